"""The catalogue of diagnostics (indexdsl/errors/): every code's wording lives there, one
constructor per code, so a code means one thing wherever it is reported."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "indexdsl"
CODE = re.compile(r"^[EW]\d{3}$")
STAGES = (
    "syntax",
    "front",
    "check",
    "expressions",
    "framework",
    "data",
    "evaluate",
    "plugins",
    "output",
    "commands",
)
#: modules whose diagnostics are still worded where they are found (none left)
NOT_YET: tuple[str, ...] = ()


def constructors():
    for stage in STAGES:
        module = importlib.import_module(f"indexdsl.errors.{stage}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                yield stage, name, fn


def test_each_constructor_names_its_code_and_no_code_has_two():
    seen: dict[str, str] = {}
    for stage, name, fn in constructors():
        doc = inspect.getdoc(fn) or ""
        code = doc.split(":", 1)[0]
        assert CODE.match(code), f"{stage}.{name}: its docstring must begin with its code"
        assert code not in seen, f"{code} has two constructors: {seen[code]} and {stage}.{name}"
        seen[code] = f"{stage}.{name}"
        assert f'"{code}"' in inspect.getsource(fn), f"{stage}.{name} does not build {code}"


def test_no_diagnostic_is_worded_outside_the_catalogue():
    """A call whose first argument is a literal code (``error("E201", …)``,
    ``self.err("E201", …)``) anywhere but indexdsl/errors/ is wording out of place."""
    found = []
    for path in sorted(CORE.rglob("*.py")):
        relative = path.relative_to(CORE)
        if relative.parts[0] == "errors" or relative.as_posix() in NOT_YET:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and CODE.match(node.args[0].value)
            ):
                found.append(f"{path.relative_to(CORE.parent)}:{node.lineno} {node.args[0].value}")
    assert not found, "\n".join(found)


def test_every_catalogued_code_is_documented():
    documented = (CORE.parent / "docs" / "reference" / "errors.md").read_text(encoding="utf-8")
    missing = [
        f"{stage}.{name}"
        for stage, name, fn in constructors()
        if f"### {(inspect.getdoc(fn) or '').split(':', 1)[0]}" not in documented
    ]
    assert not missing, missing
