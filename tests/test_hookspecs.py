"""Every hook a plugin can implement is a typed, documented hookspec, and is described
in docs/reference/hooks.md under its own heading (datasette does the same)."""

from __future__ import annotations

import inspect
import re

import pytest

from conftest import REPO
from indexdsl import hookspecs
from indexdsl.plugins import ROLE_HOOKS, get_plugin_manager

HOOKS_DOC = REPO / "docs" / "reference" / "hooks.md"
HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if name.startswith("indexdsl_") and inspect.isfunction(value)
)


def documented_hooks() -> set[str]:
    """Hook names that have a Markdown heading of their own: ``## indexdsl_register_x``
    (a backquoted name, or a call with its parameters, counts too)."""
    text = HOOKS_DOC.read_text(encoding="utf-8")
    return set(re.findall(r"^#{2,4}\s+`?(indexdsl_[a-z0-9_]+)", text, flags=re.MULTILINE))


def test_there_are_hooks():
    assert len(HOOKS) >= 4


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    assert HOOKS_DOC.is_file(), f"{HOOKS_DOC.relative_to(REPO)} does not exist"
    assert hook in documented_hooks(), (
        f"hook `{hook}` has no `## {hook}` section in {HOOKS_DOC.relative_to(REPO)}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_a_typed_hookspec_with_a_docstring(hook):
    function = getattr(hookspecs, hook)
    assert hasattr(function, "indexdsl_spec"), f"`{hook}` is not marked with @hookspec"
    assert inspect.getdoc(function), f"`{hook}` has no docstring"
    assert inspect.signature(function).return_annotation is not inspect.Signature.empty
    assert re.fullmatch(r"indexdsl_[a-z]+_[a-z_]+", hook), "hooks are indexdsl_<verb>_<noun>"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_known_to_the_plugin_manager(hook):
    assert hasattr(get_plugin_manager().hook, hook)


def test_every_role_has_its_registration_hook():
    assert set(ROLE_HOOKS.values()) <= set(HOOKS)
