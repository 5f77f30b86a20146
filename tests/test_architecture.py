"""The house's rooms: the import graph of the core follows the stages.

docs/explanation/architecture.md draws this graph; these tests keep the code to it.  A
module may import from its own room or a lower one, never a higher one, and no two
modules import each other, even through imports inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from indexdsl.plugins import load_registry

CORE = Path(__file__).resolve().parents[1] / "indexdsl"

#: the rooms, lowest first; a module belongs to the first room whose prefix it has
ROOMS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "indexdsl.diagnostics",
            "indexdsl.errors",
            "indexdsl.components",
            "indexdsl.hookspecs",
            "indexdsl.plugins",
            "indexdsl.stats",
            "indexdsl.binding",
            "indexdsl.tables",
            "indexdsl.version",
        ),
    ),
    ("syntax", ("indexdsl.syntax",)),
    ("front", ("indexdsl.front",)),
    ("model", ("indexdsl.model",)),
    ("check", ("indexdsl.check",)),
    ("data", ("indexdsl.data",)),
    ("compile", ("indexdsl.compile",)),
    ("evaluate", ("indexdsl.evaluate", "indexdsl.batched", "indexdsl.run_notes")),
    ("analyses and output", ("indexdsl.analyses", "indexdsl.output")),
    ("pipeline", ("indexdsl.pipeline",)),
    (
        "commands",
        (
            "indexdsl.api",
            "indexdsl.cli",
            "indexdsl.commands",
            "indexdsl.starter",
            "indexdsl.testing",
            "indexdsl.lsp",
            "indexdsl.serve",
            "indexdsl.__main__",
        ),
    ),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(CORE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def room(module: str) -> int:
    if module == "indexdsl":
        return len(ROOMS) - 1  # the package's front door re-exports the API
    for rank, (_, prefixes) in enumerate(ROOMS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"module `{module}` is in no room: add it to ROOMS and the docs")


def imports(path: Path) -> set[str]:
    """Every indexdsl module a file imports, at its top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "indexdsl")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "indexdsl":
                continue
            for alias in node.names:  # `from indexdsl.output import exports` names a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _is_module(candidate) else target)
    return found


def _is_module(name: str) -> bool:
    path = CORE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def graph() -> dict[str, set[str]]:
    return {
        module_name(path): {m for m in imports(path) if m != module_name(path)}
        for path in sorted(CORE.rglob("*.py"))
    }


def test_no_module_imports_a_higher_room():
    upward = [
        f"{module} ({ROOMS[room(module)][0]}) imports {target} ({ROOMS[room(target)][0]})"
        for module, targets in graph().items()
        for target in sorted(targets)
        if room(target) > room(module)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_circle():
    edges = graph()
    circles = []
    for start in edges:
        stack = [(start, (start,))]
        seen = set()
        while stack:
            current, path = stack.pop()
            for target in edges.get(current, ()):
                if target == start:
                    circles.append(" -> ".join((*path, start)))
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, (*path, target)))
    assert not circles, "\n".join(sorted(set(circles)))


@pytest.mark.parametrize(
    "module", ["indexdsl.compile", "indexdsl.evaluate", "indexdsl.batched", "indexdsl.run_notes"]
)
def test_compile_and_evaluate_see_neither_the_ast_nor_the_registry(module):
    reached = {m for m in graph()[module]}
    assert not {m for m in reached if m.startswith("indexdsl.syntax")}
    assert "indexdsl.plugins" not in reached
    assert not {m for m in reached if m.startswith("indexdsl.check")}


def test_the_core_never_imports_the_built_in_plugins():
    offenders = [
        f"{module} imports {t}"
        for path in CORE.rglob("*.py")
        for module in [module_name(path)]
        for t in _all_imports(path)
        if t.split(".")[0] in ("indexdsl_builtins", "indexdsl_example")
    ]
    assert offenders == []


def _all_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            out.add(node.module or "")
    return out


#: words the core uses in their own sense, which a built-in method happens to share
OWN_WORDS = {
    "json": "the CLI prints diagnostics and run records as JSON (`--format json`)",
    "rank": "a column heading and a value of `Results.array(what=...)`",
    "min": "a partner aggregation of the language (`min(route.x)`), not a plugin",
    "max": "a partner aggregation of the language",
    "mean": "a partner aggregation of the language",
    "median": "a word of the language's `median` column statistics",
    "none": "the language's `none` (`treat none`, `--vary none`)",
}


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


def test_the_core_names_no_built_in_method():
    """Role defaults, capabilities and warnings come from the components, so the core
    works the same whichever plugins provide the methods."""
    registry = load_registry()
    builtin = {
        name
        for _role, name, provided in registry.all()
        if provided.plugin.startswith("indexdsl_builtins")
    } - set(OWN_WORDS)
    named = sorted(
        f"{module_name(path)}: {text!r}"
        for path in CORE.rglob("*.py")
        for text in _string_constants(path) & builtin
    )
    assert not named, "\n".join(named)


def test_only_the_pipeline_wires_the_stages():
    """The stages are called from pipeline.py alone: the CLI, the API and the analyses
    get their results, or an evaluator, from it (an analysis may name the Evaluator
    type it is handed, but not build one)."""
    wiring = {
        "indexdsl.compile": {"compile_model"},
        "indexdsl.evaluate": {"evaluate"},
        "indexdsl.check": {"check", "Checker"},
        "indexdsl.data": {"load_data"},
    }
    builders = {"compile_model", "Evaluator", "Checker", "load_data"}
    offenders = []
    for path in CORE.rglob("*.py"):
        module = module_name(path)
        if module == "indexdsl.pipeline" or any(module.startswith(m) for m in wiring):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in wiring:
                used = {a.name for a in node.names} & wiring[node.module]
                offenders += [f"{module} imports {node.module}.{name}" for name in used]
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in builders:
                offenders.append(f"{module}:{node.lineno} calls {node.func.id}")
    assert not offenders, "\n".join(offenders)
