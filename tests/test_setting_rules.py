"""Settings are built and written back from the grammar's own table of them, so a new
setting of a known shape needs no code in the transformer or the formatter."""

from __future__ import annotations

import pytest

from indexdsl.syntax import ast, parse
from indexdsl.syntax.formatter import format_setting
from indexdsl.syntax.settings import setting_rules

SAMPLES = {
    "component": "minmax(0, 100)",
    "percent": "10%",
    "target": "skip",
    "column": "c.x",
    "expression": "100 - round(c.x * 2, 1)",
    "number": "3",
}


@pytest.mark.parametrize("kind", sorted(setting_rules()))
def test_every_setting_of_the_grammar_round_trips(kind):
    rule = setting_rules()[kind]
    sample = "lower" if kind == "node_direction" else SAMPLES.get(rule.shape)
    line = " ".join(part for part in (rule.keywords, sample, rule.after) if part)
    tree = parse(f"framework {{\n  d {{\n    {line}\n    x\n  }}\n}}\n")
    framework = next(d for d in tree.declarations if isinstance(d, ast.FrameworkDecl))
    (setting,) = framework.children[0].settings
    assert setting.kind == kind
    assert format_setting(setting) == line


def test_the_table_reads_keywords_and_shapes_from_the_grammar():
    rules = setting_rules()
    assert rules["reference"].keywords == "reference ranks"
    assert rules["reference"].shape == "expression"
    assert rules["reference_pathways"].shape == "column"
    assert rules["weights"].keywords == "weights equal" and rules["weights"].shape is None
    assert rules["weighting"].keywords == "weights" and rules["weighting"].shape == "component"
    assert rules["top"].shape == "percent" and rules["missing"].shape == "target"
