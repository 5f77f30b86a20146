"""The engine boundary and the Dask engine: `indexdsl run --engine dask` gives the numpy
engine's results (1e-12 relative, identical ranks) on a local cluster of two workers,
and refuses with a located diagnostic what it cannot compute partition by partition."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexdsl.cli import main
from indexdsl.diagnostics import DiagnosticError
from indexdsl.pipeline import run_file
from indexdsl.plugins import load_registry

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.array")

from indexdsl_builtins.engines import DaskEngine, NumpyEngine  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "indices").glob("*.idx"))


def assert_same(numpy_result, dask_result):
    for level in ("units", "pairs"):
        a, b = getattr(numpy_result, level), getattr(dask_result, level)
        assert (a is None) == (b is None)
        if a is None:
            continue
        for part in ("raw", "scores"):
            x, y = getattr(a, part), getattr(b, part)
            assert x.keys() == y.keys()
            for name in x:
                np.testing.assert_allclose(
                    np.asarray(y[name], dtype=float),
                    np.asarray(x[name], dtype=float),
                    rtol=1e-12,
                    atol=0,
                    err_msg=f"{level} {part} {name}",
                )
        assert list(a.ranks) == list(b.ranks)
        for name in a.ranks:
            np.testing.assert_array_equal(b.ranks[name], a.ranks[name], err_msg=name)
        assert a.fitted.keys() == b.fitted.keys()
        for name, state in a.fitted.items():
            for key, value in state.items():
                if isinstance(value, np.ndarray | float | int):
                    np.testing.assert_allclose(b.fitted[name][key], value, rtol=1e-12)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_index_agrees_with_numpy(path, scheduler):
    expected, _ = run_file(path)
    # small partitions, so that a pathway index (bri: 231 pairs) spans many of them
    got, _ = run_file(path, engine=DaskEngine(scheduler=scheduler, partition=40))
    assert_same(expected, got)


def write_network(folder: Path, normaliser: str = "minmax(0, 100)") -> Path:
    """A directed network of 40 units (1,560 ordered pairs, 17 % of them absent, some
    metrics missing), scored per unit with every partner aggregation and per pathway."""
    rng = np.random.default_rng(7)
    n = 40
    keys = [f"u{i:02d}" for i in range(n)]
    (folder / "units.csv").write_text(
        "key,pop\n"
        + "".join(f"{k},{v:.3f}\n" for k, v in zip(keys, rng.lognormal(2, 1, n), strict=True))
    )
    rows = ["a,b,trade,flights,seats"]
    for i in range(n):
        for j in range(n):
            if i == j or rng.random() < 0.17:
                continue
            trade = f"{rng.lognormal(3, 2):.4f}" if rng.random() > 0.05 else ""
            flights = str(int(rng.poisson(0.7)))
            seats = f"{rng.normal(100, 30):.2f}"
            rows.append(f"{keys[i]},{keys[j]},{trade},{flights},{seats}")
    (folder / "pairs.csv").write_text("\n".join(rows) + "\n")
    index = folder / "net.idx"
    index.write_text(
        f"""index net "A network" {{}}
defaults {{
  normalise {normaliser}
  aggregate arithmetic
}}
units u "Units" {{
  from csv("units.csv")
  key key
}}
pairs link "Links" {{
  from csv("pairs.csv")
  between a and b
  directed
}}
indicator exports "Exports" = sum(link.trade, flow = out)
indicator imports "Imports" = sum(link.trade, flow = in)
indicator routes "Routes" = count(link.flights)
indicator busiest "Busiest" = max(link.seats)
indicator quietest "Quietest" = min(link.seats, flow = in)
indicator avg_seats "Mean seats" = mean(link.seats * 2 - link.flights / 3)
framework {{
  pathways link
  trade "Trade" 50% {{
    exports 50%
    imports 50%
  }}
  air "Air" 50% {{
    routes 25%
    busiest 25%
    quietest 25%
    avg_seats 25%
  }}
}}
"""
    )
    return index


@pytest.mark.parametrize(
    "normaliser",
    [
        "minmax(0, 100)",
        "zscore(50, 10)",
        "goalposts(0, 300)",
        "goalposts(0, max_over_units(exports))",  # a goalpost computed on the cluster
    ],
)
def test_partner_aggregations_and_pathways_agree_with_numpy(tmp_path, scheduler, normaliser):
    index = write_network(tmp_path, normaliser)
    expected, _ = run_file(index)
    got, _ = run_file(index, engine=DaskEngine(scheduler=scheduler, partition=97))
    assert expected.pairs is not None and len(expected.pairs.scores["net"]) > 1000
    assert_same(expected, got)


def test_numpy_engine_through_the_boundary_is_the_default(tmp_path):
    registry = load_registry()
    assert registry.default("engine").cls is NumpyEngine
    index = write_network(tmp_path)
    assert_same(run_file(index)[0], run_file(index, engine=NumpyEngine())[0])


def test_a_normaliser_that_sorts_every_pathway_is_refused_where_chosen(tmp_path, scheduler):
    index = write_network(tmp_path, normaliser="rank")
    run_file(index)  # the numpy engine computes it
    with pytest.raises(DiagnosticError) as info:
        run_file(index, engine=DaskEngine(scheduler=scheduler))
    [diagnostic] = info.value.diagnostics
    assert diagnostic.code == "E404"
    assert "per pair" in diagnostic.message and "argsort" in diagnostic.message
    assert diagnostic.span.file.endswith("net.idx") and diagnostic.span.line > 1


def test_cli_run_on_a_scheduler_writes_the_numpy_engines_scores(tmp_path, scheduler, capsys):
    index = write_network(tmp_path)
    assert main(["run", str(index), "-q", "-o", str(tmp_path / "np")]) == 0
    code = main(
        ["run", str(index), "-q", "-o", str(tmp_path / "dk"), "--engine", "dask"]
        + ["--scheduler", scheduler]
    )
    assert code == 0
    for name in ("units.csv", "pathways.csv"):
        assert (tmp_path / "dk" / name).read_text() == (tmp_path / "np" / name).read_text()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--engine", "dusk"], "did you mean `dask`"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--engine dask"),
        (["--engine", "numpy", "--scheduler", "tcp://127.0.0.1:1"], "does not"),
    ],
)
def test_engine_options_that_cannot_work_are_usage_errors(tmp_path, capsys, args, says):
    index = write_network(tmp_path)
    assert main(["run", str(index), "-q", "--no-write", *args]) == 2
    assert says in capsys.readouterr().err


def test_the_default_engine_does_not_import_dask(tmp_path):
    index = write_network(tmp_path)
    code = (
        "import sys; from indexdsl.cli import main; "
        f"rc = main(['run', {str(index)!r}, '-q', '--no-write']); "
        "assert rc == 0; assert 'dask' not in sys.modules and 'distributed' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
