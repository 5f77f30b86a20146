"""Every analysis command can be scripted: `-o DIR` writes its tables as CSV and all of
it as JSON, and `--format json` prints that JSON instead of the terminal tables."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from indexdsl.cli import main

ROOT = Path(__file__).resolve().parents[1]
ASEM = str(ROOT / "indices" / "asem.idx")
BRI = str(ROOT / "indices" / "bri.idx")

COMMANDS = {
    "audit": (["audit", ASEM], ["audit_nodes", "audit_children", "audit_indicators"]),
    "whatif": (["whatif", BRI, "--drop", "policy"], ["whatif"]),
    "compare": (["compare", ASEM, str(ROOT / "indices" / "asem_full.idx")], ["compare"]),
    "sensitivity": (["sensitivity", ASEM, "-N", "64"], ["sensitivity"]),
    "uncertainty": (["uncertainty", ASEM, "-N", "40"], ["uncertainty"]),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_format_json_prints_the_results_as_json(command, capsys):
    argv, tables = COMMANDS[command]
    assert main([*argv, "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)  # nothing else on standard output
    assert printed["command"] == command
    assert printed["index"]["sha256"] and sorted(printed["tables"]) == sorted(tables)
    for rows in printed["tables"].values():
        assert rows and all(isinstance(r, dict) for r in rows)


@pytest.mark.parametrize("command", COMMANDS)
def test_out_writes_csv_and_json(command, tmp_path, capsys):
    argv, tables = COMMANDS[command]
    assert main([*argv, "-o", str(tmp_path)]) == 0
    written = json.loads((tmp_path / f"{command}.json").read_text(encoding="utf-8"))
    for table in tables:
        with (tmp_path / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if command == "uncertainty":  # its own files, which the HTML report reads
            assert len(rows) == 51
            continue
        assert len(rows) == len(written["tables"][table])
        assert list(rows[0]) == list(written["tables"][table][0])


def test_the_numbers_are_the_printed_ones(capsys):
    assert main(["whatif", BRI, "--drop", "policy", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["tables"]["whatif"]
    assert main(["whatif", BRI, "--drop", "policy"]) == 0
    text = capsys.readouterr().out
    moved = [r for r in rows if r["change"]]
    assert moved
    for r in moved:
        assert any(r["label"] in line and f"{r['change']:+d}" in line for line in text.splitlines())


def test_data_text_is_neutralised_in_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "u.csv").write_text("id,name,x,y\n=cmd,=HYPERLINK(1),1,2\nb,B,3,1\nc,C,2,3\n")
    (tmp_path / "t.idx").write_text(
        'index t { }\nunits c { from csv("u.csv") key id label name }\n'
        "indicator x = c.x\nindicator y = c.y\nframework { p { x } q { y } }\n"
    )
    assert main(["whatif", "t.idx", "--drop", "q", "-o", "out"]) == 0
    text = (tmp_path / "out" / "whatif.csv").read_text()
    assert "'=cmd" in text and "'=HYPERLINK(1)" in text
