"""`indexdsl compare`: two rankings of the same units, matched by key."""

from __future__ import annotations

import textwrap

import pytest

from indexdsl.analyses.compare import compare
from indexdsl.cli import main
from indexdsl.pipeline import run_file


def index(tmp_path, name: str, column: str, data: str) -> object:
    (tmp_path / f"{name}.csv").write_text(data, encoding="utf-8")
    path = tmp_path / f"{name}.idx"
    path.write_text(
        textwrap.dedent(f"""\
        index {name} {{ }}
        units u {{ from csv("{name}.csv") key id }}
        indicator x = u.{column}
        framework {{ x }}
    """),
        encoding="utf-8",
    )
    return path


def test_ranks_among_common_units_and_correlations(tmp_path, capsys):
    a = index(tmp_path, "a", "v", "id,v\np,4\nq,3\nr,2\ns,1\n")  # p q r s
    b = index(tmp_path, "b", "v", "id,v\nq,9\np,8\ns,7\nr,1\nt,0\n")  # q p s r (t only here)
    result_a, _ = run_file(a)
    result_b, _ = run_file(b)
    c = compare(result_a, result_b)
    assert c.keys == ("p", "q", "r", "s")
    assert c.ranks.tolist() == [1, 2, 3, 4] and c.other.tolist() == [2, 1, 4, 3]
    # d = (1, 1, 1, 1): rho = 1 - 6·4 / (4·15) = 0.6; tau = (4 - 2) / 6 = 1/3
    assert c.spearman == pytest.approx(0.6)
    assert c.kendall == pytest.approx(1 / 3)
    assert c.only_there == ("t",)
    assert main(["compare", str(a), str(b)]) == 0
    assert "Spearman ρ 0.600" in capsys.readouterr().out


def test_rankings_with_no_unit_in_common_are_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = index(tmp_path, "a", "v", "id,v\np,4\nq,3\n")
    b = index(tmp_path, "b", "v", "id,v\nP,9\nQ,8\n")
    assert main(["compare", str(a), str(b)]) == 1
    err = capsys.readouterr().err
    assert "error[E712]" in err and "rank no unit in common" in err
    assert "a.idx:2:" in err and "b.idx:2:" in err  # both units declarations shown
    assert "`p`, `q`" in err and "`P`, `Q`" in err
    assert "nan" not in err


def test_kendall_hint_says_what_is_missing(tmp_path, capsys):
    a = index(tmp_path, "a", "v", "id,v\np,4\nq,3\n")
    b = index(tmp_path, "b", "v", "id,v\np,9\nr,8\n")  # one unit in common
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "fewer than two units in common" in out and "needs scipy" not in out
