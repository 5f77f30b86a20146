"""Statistics and data quality (indexdsl/analyses/statistics.py): every figure checked
against an independent computation (numpy, scipy, or worked by hand)."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from scipy import stats as sps

from conftest import simple_index, units_csv
from indexdsl.analyses import statistics
from indexdsl.analyses.statistics import (
    compute,
    coverage_option,
    describe,
    pairwise_pearson,
    pairwise_spearman,
)

NAN = float("nan")

# five units, four indicators; u3 has one value of four (25%), u4 two of four (50%)
COLUMNS = {
    "a": [1.0, 2.0, 4.0, 8.0, 3.0],
    "b": [5.0, 3.0, NAN, 1.0, 2.0],
    "d": [2.0, 7.0, 1.0, NAN, 4.0],
    "e": [10.0, 9.0, NAN, NAN, NAN],
}
FRAMEWORK = """
    aggregate arithmetic
    p1 "First" 3/4 {
      a 1/4
      b 3/4
    }
    p2 "Second" 1/4 {
      d 1/2
      e 1/2
    }
"""
INDICATORS = {name: f"c.{name}" for name in COLUMNS}


def _csv(text: str) -> str:
    return text.replace("nan", "")


def _index(project, framework: str = FRAMEWORK, defaults: str = "normalise minmax(0, 100)"):
    text = simple_index(INDICATORS, framework, defaults=defaults)
    return project.index(text, {"units.csv": _csv(units_csv(COLUMNS))})


# ---- the numbers ---------------------------------------------------------------------------


def test_describe_counts_missing_values_and_matches_scipy():
    x = np.array([3.0, NAN, 1.0, 4.0, 1.0, 5.0, 9.0, NAN, 2.0, 6.0])
    present = x[~np.isnan(x)]
    s = describe(x)
    assert (s["n"], s["missing"]) == (8, 2)
    assert s["min"] == 1.0 and s["max"] == 9.0
    assert s["mean"] == pytest.approx(present.mean(), abs=1e-12)
    assert s["median"] == pytest.approx(3.5)
    assert s["sd"] == pytest.approx(np.std(present, ddof=1), abs=1e-12)
    # COINr's skew and kurt are e1071's type 2 (Excel's SKEW and KURT)
    assert s["skewness"] == pytest.approx(sps.skew(present, bias=False), abs=1e-12)
    assert s["kurtosis"] == pytest.approx(sps.kurtosis(present, bias=False), abs=1e-12)
    assert s["nonzero"] == 8 and s["unique"] == 7


def test_describe_of_too_few_values_has_no_shape():
    s = describe(np.array([1.0, 2.0, NAN]))
    assert s["n"] == 2 and s["missing"] == 1
    assert math.isnan(s["skewness"]) and math.isnan(s["kurtosis"])
    assert math.isnan(describe(np.array([NAN, NAN]))["mean"])


def test_pairwise_correlations_use_the_rows_where_both_are_present():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 5))
    x[:, 1] += x[:, 0]
    x[:, 3] = np.round(x[:, 3])  # ties for Spearman
    x[rng.random((40, 5)) < 0.2] = NAN
    r, n = pairwise_pearson(x)
    rho, complete = pairwise_spearman(x)
    assert complete
    for i in range(5):
        for j in range(5):
            both = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            assert n[i, j] == both.sum()
            assert r[i, j] == pytest.approx(np.corrcoef(x[both, i], x[both, j])[0, 1], abs=1e-12)
            expected = sps.spearmanr(x[both, i], x[both, j]).statistic
            assert rho[i, j] == pytest.approx(expected, abs=1e-12)


def test_a_constant_column_or_too_few_rows_has_no_correlation():
    x = np.array([[1.0, 2.0, 1.0], [1.0, 3.0, NAN], [1.0, 5.0, NAN], [1.0, 4.0, 2.0]])
    r, n = pairwise_pearson(x)
    assert math.isnan(r[0, 1])  # column 0 is constant
    assert n[1, 2] == 2 and math.isnan(r[1, 2])  # two rows in common
    assert r[1, 1] == pytest.approx(1.0)
    assert math.isnan(pairwise_spearman(x)[0][0, 1])


def test_spearman_of_pairs_missing_in_different_units_keeps_to_its_budget():
    x = np.array(
        [[1.0, 2.0, NAN], [2.0, 1.0, 3.0], [3.0, 4.0, 1.0], [4.0, 3.0, 2.0], [5.0, 5.0, 5.0]]
    )
    rho, complete = pairwise_spearman(x, budget=0)
    assert not complete
    assert rho[0, 1] == pytest.approx(sps.spearmanr(x[:, 0], x[:, 1]).statistic)  # one block
    assert math.isnan(rho[0, 2]) and math.isnan(rho[2, 1])  # not ranked: over budget
    rho, complete = pairwise_spearman(x)
    assert complete and rho[0, 2] == pytest.approx(sps.spearmanr(x[1:, 0], x[1:, 2]).statistic)


@pytest.mark.parametrize(("text", "value"), [("0.8", 0.8), ("80%", 0.8), ("2/3", 2 / 3)])
def test_the_coverage_option_reads_shares(text, value):
    assert coverage_option(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["1.5", "-1", "abc", "1/0", "120%"])
def test_the_coverage_option_refuses_what_is_not_a_share(text):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        coverage_option(text)


# ---- a run's statistics ---------------------------------------------------------------------


def test_availability_per_unit_and_node_counts_missing_values(project):
    result, _ = project.run(_index(project).read_text())
    stats = compute(result)
    rows = {r["unit"]: r for r in stats.availability.records()}
    assert [rows[u]["present"] for u in ("u0", "u1", "u2", "u3", "u4")] == [4, 4, 2, 2, 3]
    assert rows["u2"]["missing"] == 2 and rows["u2"]["coverage"] == 0.5
    assert rows["u4"]["coverage"] == 0.75
    # p1 holds a and b; p2 holds d and e
    assert rows["u2"]["p1_coverage"] == 0.5 and rows["u2"]["p2_coverage"] == 0.5
    assert rows["u3"]["p1_coverage"] == 1.0 and rows["u3"]["p2_coverage"] == 0.0
    # the default threshold is 2/3: u2 and u3 (2 of 4) are below it, u4 (3 of 4) is not
    assert stats.min_coverage == pytest.approx(2 / 3)
    assert stats.below == ("u2", "u3")
    assert [r["below_threshold"] for r in stats.availability.records()] == [
        False, False, True, True, False,
    ]  # fmt: skip
    assert compute(result, 0.8).below == ("u2", "u3", "u4")
    assert compute(result, 0.5).below == ()


def test_missing_values_are_counted_even_when_the_index_imputes_them(project):
    path = _index(project, defaults="normalise minmax(0, 100)\nimpute mean")
    result, _ = project.run(path.read_text())
    assert not np.isnan(result.units.prepared["e"]).any()  # the index filled them
    stats = compute(result)
    rows = {r["node"]: r for r in stats.statistics.records()}
    assert (rows["e"]["n"], rows["e"]["missing"]) == (2, 3)
    assert rows["e"]["mean"] == pytest.approx(9.5)  # of the two values, not the imputed ones
    assert rows["e"]["low_coverage"] is True  # 40% < COINr's 0.65
    assert rows["a"]["low_coverage"] is False
    assert stats.below == ("u2", "u3")


def test_statistics_of_indicators_are_of_raw_values_and_of_nodes_of_scores(project):
    result, _ = project.run(_index(project).read_text())
    rows = {r["node"]: r for r in compute(result).statistics.records()}
    assert rows["a"]["values"] == "raw" and rows["a"]["kind"] == "indicator"
    a = np.array(COLUMNS["a"])
    assert rows["a"]["sd"] == pytest.approx(a.std(ddof=1))
    assert rows["a"]["skewness"] == pytest.approx(sps.skew(a, bias=False))
    assert rows["t"]["values"] == "score" and rows["t"]["kind"] == "index"
    scores = result.units.scores["t"]
    assert rows["t"]["mean"] == pytest.approx(np.nanmean(scores))
    assert rows["t"]["n"] == int((~np.isnan(scores)).sum())


def test_outliers_are_flagged_as_coinr_flags_them(project):
    # one far value among many equal ones: |skewness| > 2 and kurtosis > 3.5
    values = [1.0] * 11 + [2.0, 100.0]
    columns = {"x": values, "y": list(range(13))}
    text = simple_index({"x": "c.x", "y": "c.y"}, "x\ny", defaults="normalise minmax(0, 100)")
    result, _ = project.run(text, {"units.csv": units_csv(columns)})
    rows = {r["node"]: r for r in compute(result).statistics.records()}
    skew, kurt = sps.skew(values, bias=False), sps.kurtosis(values, bias=False)
    assert abs(skew) > 2 and kurt > 3.5
    assert rows["x"]["outliers"] is True and rows["y"]["outliers"] is False


def test_correlations_within_and_across_levels(project):
    result, _ = project.run(_index(project).read_text())
    records = compute(result).correlations.records()
    names = ["t", "p1", "a", "b", "p2", "d", "e"]
    assert len(records) == len(names) * (len(names) - 1) // 2  # every pair once
    pair = {(r["a"], r["b"]): r for r in records}
    assert pair[("t", "p1")]["relation"] == "parent"
    assert pair[("t", "a")]["relation"] == "ancestor"
    assert pair[("a", "b")]["relation"] == "siblings"
    assert pair[("b", "d")]["relation"] == ""
    assert (pair[("a", "d")]["a_depth"], pair[("a", "d")]["b_depth"]) == (2, 2)
    s = result.units.scores
    for x, y in [("a", "b"), ("p1", "t"), ("a", "t"), ("a", "d")]:
        row = pair.get((x, y)) or pair[(y, x)]
        both = ~np.isnan(s[x]) & ~np.isnan(s[y])
        assert row["n"] == both.sum()
        expected = np.corrcoef(s[x][both], s[y][both])[0, 1]
        assert row["pearson"] == pytest.approx(expected, abs=1e-12)
        rho = sps.spearmanr(s[x][both], s[y][both]).statistic
        assert row["spearman"] == pytest.approx(rho, abs=1e-12)


def test_effective_weights_are_the_products_of_the_weights_on_the_path(project):
    result, _ = project.run(_index(project).read_text())
    stats = compute(result)
    rows = {r["node"]: r for r in stats.effective_weights.records()}
    # p1 3/4, p2 1/4; a 1/4 and b 3/4 of p1; d and e 1/2 of p2
    expected = {"p1": 3 / 4, "p2": 1 / 4, "a": 3 / 16, "b": 9 / 16, "d": 1 / 8, "e": 1 / 8}
    for node, weight in expected.items():
        assert rows[node]["effective_weight"] == pytest.approx(weight, abs=1e-15), node
    assert rows["b"]["weight_in_parent"] == pytest.approx(3 / 4)
    assert sum(rows[n]["effective_weight"] for n in "abde") == pytest.approx(1.0)
    # importance: the squared correlation with the index, over the units with both;
    # e has two values: no correlation (fewer than 3 units), so no importance
    s = result.units.scores
    r2 = {}
    for leaf in "abd":
        both = ~np.isnan(s[leaf]) & ~np.isnan(s["t"])
        r2[leaf] = np.corrcoef(s[leaf][both], s["t"][both])[0, 1] ** 2
    assert rows["e"]["importance"] is None and rows["e"]["importance_share"] is None
    for leaf in "abd":
        assert rows[leaf]["importance"] == pytest.approx(r2[leaf], abs=1e-12)
        assert rows[leaf]["importance_share"] == pytest.approx(
            r2[leaf] / sum(r2.values()), abs=1e-12
        )


def test_formula_inputs_and_auxiliary_nodes_have_no_effective_weight(project):
    framework = """
        aggregate arithmetic
        ratio "A over B" = a / b {
          a
          b
        }
        d
        auxiliary side {
          e
        }
    """
    result, _ = project.run(_index(project, framework).read_text())
    stats = compute(result)
    rows = {r["node"]: r for r in stats.effective_weights.records()}
    assert rows["d"]["effective_weight"] == pytest.approx(0.5)
    assert rows["ratio"]["effective_weight"] == pytest.approx(0.5)
    assert rows["a"]["effective_weight"] is None
    assert rows["a"]["note"] == "not applicable: formula input"
    assert rows["side"]["effective_weight"] is None and rows["e"]["effective_weight"] is None
    assert rows["e"]["note"] == "not applicable: auxiliary"
    assert rows["e"]["importance"] is None  # not part of the index
    # availability counts the indicators that make the index: a, b (through the
    # formula) and d, not the auxiliary e
    assert set(stats.indicators) == {"a", "b", "d"}
    by_unit = {r["unit"]: r for r in stats.availability.records()}
    assert by_unit["u2"]["present"] == 2 and by_unit["u2"]["indicators"] == 3
    roles = {r["node"]: r["role"] for r in stats.statistics.records()}
    assert roles["a"] == "formula input" and roles["e"] == "auxiliary" and roles["d"] is None


# ---- where they are shown --------------------------------------------------------------------


def test_the_stats_command_prints_each_section(project):
    path = _index(project)
    out = project.cli("stats", path)
    assert out.code == 0, out.err
    assert "2 units have less than 67% of them: u2, u3" in out.out
    for heading in ("Least covered units", "Statistics", "Correlations", "Effective weights"):
        assert heading in out.out
    out = project.cli("stats", path, "--min-coverage", "80%")
    assert "3 units have less than 80% of them: u2, u3, u4" in out.out


def test_the_stats_command_writes_files_and_json(project):
    path = _index(project)
    out = project.cli("stats", path, "-o", "out", "--format", "json")
    assert out.code == 0, out.err
    data = json.loads(out.out)
    assert data["command"] == "statistics" and data["units_below"] == ["u2", "u3"]
    assert set(data["tables"]) == {
        "availability",
        "statistics",
        "correlations",
        "effective_weights",
    }
    for name in ("availability", "statistics", "correlations", "effective_weights"):
        assert (project.root / "out" / f"{name}.csv").is_file()
    assert (project.root / "out" / "statistics.json").is_file()


def test_the_stats_command_refuses_a_bad_threshold(project, capsys):
    path = _index(project)
    with pytest.raises(SystemExit) as info:
        project.cli("stats", path, "--min-coverage", "2")
    assert info.value.code == 2  # a usage error
    assert "not a share between 0 and 1" in capsys.readouterr().err


def test_every_run_writes_the_statistics_and_says_when_units_lack_data(project):
    path = _index(project)
    out = project.cli("run", path, "-o", "res")
    assert out.code == 0, out.err
    assert "Data availability: 2 of 5 units have less than 67% of the 4 indicators: u2, u3" in (
        out.out.replace("\n", " ")
    )
    with open(project.root / "res" / "availability.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["below_threshold"] for r in rows] == ["", "", "yes", "yes", ""]
    with open(project.root / "res" / "effective_weights.csv", newline="") as handle:
        weights = {r["node"]: r for r in csv.DictReader(handle)}
    assert float(weights["b"]["effective_weight"]) == pytest.approx(9 / 16)
    for name in ("statistics", "correlations"):
        assert (project.root / "res" / f"{name}.csv").is_file()
    out = project.cli("run", path, "-o", "res", "--min-coverage", "0.5")
    assert "Data availability" not in out.out


def test_results_json_holds_the_statistics(project):
    path = _index(project)
    assert project.cli("run", path, "-o", "res", "--format", "json").code == 0
    tables = json.loads((project.root / "res" / "results.json").read_text())["tables"]
    assert [r["unit"] for r in tables["availability"] if r["below_threshold"]] == ["u2", "u3"]
    assert {r["node"] for r in tables["statistics"]} == {"t", "p1", "p2", "a", "b", "d", "e"}


def test_the_workbook_has_a_sheet_per_statistic(project):
    openpyxl = pytest.importorskip("openpyxl")
    path = _index(project)
    assert project.cli("run", path, "-o", "res", "--format", "xlsx").code == 0
    book = openpyxl.load_workbook(project.root / "res" / "results.xlsx")
    for sheet in ("availability", "statistics", "correlations", "effective weights"):
        assert sheet in book.sheetnames, book.sheetnames
    sheet = book["effective weights"]
    headers = [c.value for c in sheet[1]]
    column = headers.index("Effective weight")
    values = {row[0].value: row[column].value for row in sheet.iter_rows(min_row=2)}
    assert values["First"] == pytest.approx(3 / 4)  # a node by its title
    first = project.root / "res" / "results.xlsx"
    before = first.read_bytes()
    assert project.cli("run", path, "-o", "res", "--format", "xlsx").code == 0
    assert first.read_bytes() == before  # reruns give the same bytes


def test_the_report_has_a_statistics_section(project):
    pytest.importorskip("jinja2")
    path = _index(project)
    assert project.cli("run", path, "-o", "res", "--format", "html").code == 0
    page = (project.root / "res" / "report.html").read_text()
    assert 'id="statistics"' in page
    section = page[page.index('id="statistics"') :]
    section = section[: section.index("</section>")]
    assert "u2" in section and "u3" in section  # the units below the threshold
    assert 'class="scrollbox"' in section
    assert "Effective weight" in section


def test_statistics_of_the_run_are_computed_once_for_all_formats(project, monkeypatch):
    calls = []
    real = statistics.compute

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(statistics, "compute", counting)
    assert project.cli("run", _index(project), "-o", "res", "--format", "csv,json").code == 0
    assert len(calls) == 1


def test_availability_counts_what_a_formula_reads(project):
    # as the IHDI: a formula node reads an indicator outside the framework and an
    # auxiliary node's score; both are data of the index
    framework = """
        aggregate arithmetic
        adjusted = (1 - d / 10) * side
        a
        auxiliary side {
          e
        }
    """
    result, _ = project.run(_index(project, framework).read_text())
    stats = compute(result)
    assert set(stats.indicators) == {"a", "d", "e"}
    by_unit = {r["unit"]: r for r in stats.availability.records()}
    # e is missing for u2, u3 and u4, d for u3
    assert [by_unit[u]["present"] for u in ("u0", "u1", "u2", "u3", "u4")] == [3, 3, 2, 1, 2]
    assert by_unit["u2"]["adjusted_coverage"] == pytest.approx(1 / 2)  # d of d and e
    assert stats.below == ("u3",)


def test_the_report_line_flags_the_units_the_statistics_flag(project):
    from indexdsl.analyses.statistics import units_below

    result, _ = project.run(_index(project).read_text())
    for threshold in (None, 0.5, 0.8, 1.0):
        assert units_below(result, threshold) == (compute(result, threshold).below, 4)


def test_the_csv_format_writes_the_statistics_from_tables_without_them(project):
    # an exporter called with the result tables alone (as a plugin's test would)
    from indexdsl.components import Export
    from indexdsl.output.exports import result_tables
    from indexdsl_builtins.export_csv import CsvExporter

    result, _ = project.run(_index(project).read_text())
    export = Export(result, {}, result_tables(result), project.root, project.root / "db")
    files = CsvExporter().render(export)
    assert files["availability.csv"].splitlines()[3].startswith("u2,U2,4,2,2,0.5,yes")


def test_a_run_written_without_a_threshold_flags_at_two_thirds(project):
    # statistics computed earlier at another threshold do not leak into the files
    from indexdsl.output.writing import write_outputs

    path = _index(project)
    result, session = project.run(path.read_text())
    assert statistics.cached(result, 0.5).below == ()
    write_outputs(result, project.root / "w", path, [], session.registry)
    text = (project.root / "w" / "availability.csv").read_text()
    assert [line.split(",")[6] for line in text.splitlines()[1:]] == ["", "", "yes", "yes", ""]
