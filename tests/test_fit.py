"""`indexdsl fit`: the weights of a node's children that best reproduce published values.

The published columns of these tests are made from weights chosen here (the "true"
weights), so the fit must give them back; expected values are computed in the test
from the data written in it, never copied from an earlier run.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import indexdsl
from indexdsl.analyses import fitting
from indexdsl.api import InvalidIndexError
from indexdsl.cli import main
from indexdsl.diagnostics import DiagnosticError
from indexdsl.pipeline import evaluate_model, run_file

TRUE = np.array([0.5, 0.3, 0.2])


def _data(n: int = 12, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 100, size=(n, 3)).round(3)


def _write(tmp_path, published, x, *, rescale: bool, extra: str = "") -> object:
    lines = ["id,a,b,c,pub,pubrank"]
    ranks = [""] * len(x)
    known = [i for i, p in enumerate(published) if p is not None]
    order = sorted(known, key=lambda i: -published[i])
    for r, i in enumerate(order):
        ranks[i] = str(r + 1)
    for i, row in enumerate(x):
        cells = ["" if np.isnan(v) else repr(float(v)) for v in row]
        pub = "" if published[i] is None else repr(float(published[i]))
        lines.append(f"u{i},{','.join(cells)},{pub},{ranks[i]}")
    (tmp_path / "u.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = tmp_path / "t.idx"
    path.write_text(
        textwrap.dedent(f"""\
        index t {{ }}
        defaults {{
          normalise none
          {"rescale minmax(60, 100)" if rescale else ""}
        }}
        units u {{ from csv("u.csv") key id }}
        indicator a = u.a
        indicator b = u.b
        indicator c = u.c
        {extra}
        framework {{
          dim {{ a b c }}
        }}
    """),
        encoding="utf-8",
    )
    return path


def test_true_weights_are_recovered_from_published_scores(tmp_path):
    x = _data()
    published = list(x @ TRUE)
    path = _write(tmp_path, published, x, rescale=False)
    result, _ = run_file(path)
    found = fitting.fit_weights(result, "dim", "pub")
    assert found.weights == pytest.approx(TRUE, abs=1e-6)
    assert not found.affine
    assert found.fit.r2 == pytest.approx(1.0, abs=1e-9)
    assert found.fit.max_error < 1e-6
    assert found.fit.exact == found.fit.n == 12
    # the declared (equal) weights do not reproduce them
    assert found.declared == pytest.approx([1 / 3] * 3)
    assert found.declared_fit.rmse > 1


def test_true_weights_are_recovered_through_a_rescale(tmp_path):
    """`rescale minmax(60, 100)`: the published scores are an affine map of the mean."""
    x = _data()
    mean = x @ TRUE
    published = list(60 + 40 * (mean - mean.min()) / (mean.max() - mean.min()))
    path = _write(tmp_path, published, x, rescale=True)
    result, _ = run_file(path)
    found = fitting.fit_weights(result, "dim", "u.pub", evaluate=evaluate_model)
    assert found.affine
    assert found.weights == pytest.approx(TRUE, abs=1e-6)
    assert found.scale == pytest.approx(40 / (mean.max() - mean.min()), rel=1e-6)
    # recomputed by the index with the fitted weights, the scores are the published ones
    assert found.refitted_fit.max_error < 1e-6
    assert found.computed_fit.max_error > 1  # the equal weights of the file are not


def test_missing_values_are_left_out_and_counted_never_filled(tmp_path):
    x = _data(14)
    published: list = list(x @ TRUE)
    published[2] = published[5] = None
    # a unit whose child has no score: its (wrong) published value must not be used
    x[9, 1] = np.nan
    published[9] = 1e6
    path = _write(tmp_path, published, x, rescale=False, extra="")
    result, _ = run_file(path)
    found = fitting.fit_weights(result, "dim", "pub")
    keys = result.data.keys
    assert [keys[i] for i in found.missing_published] == ["u2", "u5"]
    assert [keys[i] for i in found.missing_children] == ["u9"]
    assert len(found.used) == 11
    assert np.isnan(found.published[2])  # not replaced
    assert found.weights == pytest.approx(TRUE, abs=1e-6)


def test_ranks_are_fitted_by_linear_programming(tmp_path):
    x = _data(20, seed=3)
    published = list(x @ TRUE)
    path = _write(tmp_path, published, x, rescale=False)
    result, _ = run_file(path)
    found = fitting.fit_weights(result, "dim", "pubrank", ranks=True)
    assert found.kind == "ranks"
    assert found.weights.min() >= 0 and found.weights.sum() == pytest.approx(1)
    # the fitted weights put every unit at its published rank
    assert found.fit.exact == 20 and found.fit.concordant == 1.0
    assert found.declared_fit.exact < 20


def test_bootstrap_is_seeded_and_gives_an_interval_per_weight(tmp_path):
    x = _data(30)
    noise = np.random.default_rng(1).normal(0, 2, 30)
    path = _write(tmp_path, list(x @ TRUE + noise), x, rescale=False)
    result, _ = run_file(path)
    one = fitting.fit_weights(result, "dim", "pub", bootstrap=50, seed=4)
    two = fitting.fit_weights(result, "dim", "pub", bootstrap=50, seed=4)
    other = fitting.fit_weights(result, "dim", "pub", bootstrap=50, seed=5)
    assert one.intervals.shape == (3, 2)
    assert np.array_equal(one.intervals, two.intervals)
    assert not np.array_equal(one.intervals, other.intervals)
    assert (one.intervals[:, 0] <= one.intervals[:, 1]).all()
    assert (one.intervals[:, 0] < one.weights).all() and (one.weights < one.intervals[:, 1]).all()
    assert (one.spread > 0.001).all()
    # published values reproduced exactly: every resample gives the same weights
    path = _write(tmp_path, list(x @ TRUE), x, rescale=False)
    exact = fitting.fit_weights(run_file(path)[0], "dim", "pub", bootstrap=20, seed=4)
    assert exact.intervals == pytest.approx(np.column_stack([TRUE, TRUE]), abs=1e-6)


def test_the_command_prints_tables_and_writes_json_and_csv(tmp_path, capsys):
    x = _data()
    path = _write(tmp_path, list(x @ TRUE), x, rescale=False)
    assert main(["fit", str(path), "--node", "dim", "--against", "pub"]) == 0
    out = capsys.readouterr().out
    assert "0.500" in out and "0.300" in out and "0.200" in out
    assert "12 units used, 0 left out" in out
    out_dir = tmp_path / "out"
    argv = ["fit", str(path), "--node", "dim", "--against", "pub", "--format", "json"]
    assert main([*argv, "--bootstrap", "5", "-o", str(out_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    fitted = {row["child"]: row["fitted"] for row in data["tables"]["fit_weights"]}
    assert fitted == pytest.approx({"a": 0.5, "b": 0.3, "c": 0.2}, abs=1e-6)
    assert data["bootstrap"] == 5 and data["seed"] == 1
    assert (out_dir / "fit_weights.csv").read_text().startswith("child,declared,fitted")
    assert (out_dir / "fit_units.csv").exists() and (out_dir / "fit.json").exists()


def test_the_api_fits_weights(tmp_path):
    x = _data()
    path = _write(tmp_path, list(x @ TRUE), x, rescale=False)
    results = indexdsl.load(path).run()
    assert results.fit("pub", "dim").weight_of("a") == pytest.approx(0.5, abs=1e-6)
    with pytest.raises(InvalidIndexError, match="no column `pubb`"):
        results.fit("pubb", "dim")


@pytest.mark.parametrize(
    ("argv", "code", "text"),
    [
        (["--node", "dimm", "--against", "pub"], "E710", "did you mean `dim`?"),
        (["--node", "a", "--against", "pub"], "E720", "is an indicator"),
        (["--node", "dim", "--against", "pubb"], "E721", "did you mean `pub`?"),
    ],
)
def test_a_bad_node_or_column_is_a_diagnostic(tmp_path, capsys, argv, code, text):
    x = _data()
    path = _write(tmp_path, list(x @ TRUE), x, rescale=False)
    assert main(["fit", str(path), *argv]) == 1
    err = capsys.readouterr().err
    assert f"error[{code}]" in err and text in err and "Traceback" not in err
    if code == "E721":
        assert "t.idx:6:7" in err  # located at the units declaration


def test_a_published_cell_that_is_not_a_number_is_located(tmp_path, capsys):
    x = _data()
    path = _write(tmp_path, list(x @ TRUE), x, rescale=False)
    data = tmp_path / "u.csv"
    lines = data.read_text().splitlines()
    cells = lines[4].split(",")
    cells[4] = "n.a.x"
    lines[4] = ",".join(cells)
    data.write_text("\n".join(lines) + "\n")
    assert main(["fit", str(path), "--node", "dim", "--against", "pub"]) == 1
    err = capsys.readouterr().err
    assert "error[E722]" in err and "u.csv:5:" in err


def test_too_few_published_values(tmp_path, capsys):
    x = _data(5)
    published: list = [None] * 5
    published[0], published[1] = 1.0, 2.0
    path = _write(tmp_path, published, x, rescale=False)
    assert main(["fit", str(path), "--node", "dim", "--against", "pub"]) == 1
    err = capsys.readouterr().err
    assert "error[E723]" in err and "only 2 units" in err and "3 units left out" in err


def test_without_scipy_the_fit_asks_for_the_extra(tmp_path, monkeypatch):
    x = _data()
    path = _write(tmp_path, list(x @ TRUE), x, rescale=False)
    result, _ = run_file(path)

    def missing(name):
        raise ImportError(name)

    monkeypatch.setattr(fitting.importlib, "import_module", missing)
    with pytest.raises(DiagnosticError) as caught:
        fitting.fit_weights(result, "dim", "pub")
    assert caught.value.diagnostics[0].code == "E724"
    assert "indexdsl[stats]" in caught.value.diagnostics[0].help


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda k: st.tuples(
            arrays(float, (12, k), elements=finite), arrays(float, 12, elements=finite)
        )
    ),
    st.booleans(),
)
def test_fitted_weights_are_non_negative_and_sum_to_one(data, affine):
    x, y = data
    w, _, scale = fitting.fit_scores(x, y, affine)
    assert (w >= 0).all()
    assert w.sum() == pytest.approx(1.0)
    assert scale >= 0
    ranks = fitting.competition_ranks(-y)
    w = fitting.fit_ranks(x, ranks)
    assert (w >= 0).all()
    assert w.sum() == pytest.approx(1.0)


def test_many_units_are_fitted_to_ranks_through_consecutive_pairs(monkeypatch):
    """Beyond MAX_PAIRS pairs the programme compares consecutive ranks only (a chain),
    which still orders every unit when the weights can."""
    x = np.random.default_rng(5).uniform(0, 1, size=(400, 3))
    ranks = fitting.competition_ranks(x @ TRUE)
    better, worse = fitting._pairs(ranks.astype(float), 1000)
    assert len(better) == 399  # a chain: no tie among 400 random scores
    monkeypatch.setattr(fitting, "MAX_PAIRS", 1000)
    w = fitting.fit_ranks(x, ranks)
    assert (fitting.competition_ranks(x @ w) == ranks).all()


def test_an_auxiliary_child_takes_no_part_in_the_fit(tmp_path):
    x = _data()
    path = _write(tmp_path, list(x @ TRUE), x, rescale=False)
    text = path.read_text().replace("dim { a b c }", "dim { a b c auxiliary extra { d } }")
    text = text.replace("indicator c = u.c", "indicator c = u.c\nindicator d = u.a + 1")
    path.write_text(text)
    result, _ = run_file(path)
    found = fitting.fit_weights(result, "dim", "pub", evaluate=evaluate_model)
    assert found.children == ("a", "b", "c")
    assert found.weights == pytest.approx(TRUE, abs=1e-6)
    assert found.refitted_fit.max_error < 1e-6


def test_coinrs_weights_are_recovered_from_coinrs_published_asem_scores():
    """Real data: COINr's ASEM index (indices/asem.idx) publishes its index scores in
    a table other than the units table; its two pillars weigh 1/2 each."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    result, _ = run_file(root / "indices" / "asem.idx")
    found = fitting.fit_weights(result, None, "coinr.Index", bootstrap=20, seed=1)
    assert found.children == ("Conn", "Sust")
    assert found.weights == pytest.approx([0.5, 0.5], abs=1e-6)
    assert found.intervals == pytest.approx(np.full((2, 2), 0.5), abs=1e-6)
    assert len(found.used) == 51 and found.fit.exact == 51
