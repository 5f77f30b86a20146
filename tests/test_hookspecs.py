"""Every hook a plugin can implement is a typed, documented hookspec, is described in
docs/reference/hooks.md under its own heading (datasette does the same), and has a
page in docs/plugins/hooks/ whose signature is the one in hookspecs.py."""

from __future__ import annotations

import inspect
import re

import pytest

from conftest import REPO
from indexdsl import hookspecs
from indexdsl.plugins import ROLE_HOOKS, get_plugin_manager

HOOKS_DOC = REPO / "docs" / "reference" / "hooks.md"
HOOK_PAGES = REPO / "docs" / "plugins" / "hooks"
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


def documented_signature(hook: str) -> str | None:
    """The ``def hook(...) -> ...`` line of the first Python block of the hook's page."""
    page = HOOK_PAGES / f"{hook}.md"
    if not page.is_file():
        return None
    block = re.search(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    found = re.search(rf"def {hook}(\(.*?\) -> .*?):", block.group(1) if block else "")
    return found.group(1) if found else None


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_page_with_its_current_signature(hook):
    page = HOOK_PAGES / f"{hook}.md"
    assert page.is_file(), f"hook `{hook}` has no page {page.relative_to(REPO)}"
    # annotations are strings (``from __future__ import annotations``): as written
    expected = str(inspect.signature(getattr(hookspecs, hook))).replace("'", "")
    documented = documented_signature(hook)
    assert documented is not None, f"{page.relative_to(REPO)} shows no `def {hook}(...) -> ...:`"
    assert documented == expected, (
        f"{page.relative_to(REPO)} documents `{hook}{documented}`, "
        f"but hookspecs.py says `{hook}{expected}`"
    )


def test_no_page_for_a_hook_that_does_not_exist():
    pages = {p.stem for p in HOOK_PAGES.glob("*.md")}
    assert pages == set(HOOKS)


def test_the_hookspec_version_is_documented():
    text = (REPO / "docs" / "plugins" / "versioning.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| {hookspecs.HOOKSPEC_VERSION} \|", text, re.MULTILINE), (
        f"docs/plugins/versioning.md has no row for HOOKSPEC_VERSION {hookspecs.HOOKSPEC_VERSION}"
    )
