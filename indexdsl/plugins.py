"""The plugin manager and the component registry built from it.

``get_plugin_manager()`` is a factory, not a global: it adds the specs, loads the
third-party plugins of the ``indexdsl`` entry-point group, registers the built-in
plugin modules through the very same hooks, and calls ``check_pending()`` so that a
misspelt hook name in a plugin fails loudly.  The :class:`Registry` records which
plugin provides each component, so that duplicates name both providers and an unknown
name can suggest close matches together with the plugin that provides them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import attrs
import pluggy

from indexdsl import hookspecs
from indexdsl.components import ROLES, Component
from indexdsl.diagnostics import Diagnostic, PluginError, error, suggest, warning

ENTRY_POINT_GROUP = "indexdsl"

#: the built-in plugin modules, registered like any third-party plugin
BUILTIN_PLUGINS = (
    "indexdsl_builtins.loaders",
    "indexdsl_builtins.normalisers",
    "indexdsl_builtins.aggregators",
    "indexdsl_builtins.transforms",
    "indexdsl_builtins.weighting",
    "indexdsl_builtins.imputation",
    "indexdsl_builtins.exporters",
)

#: hook that registers each role
ROLE_HOOKS = {
    "loader": "indexdsl_register_loaders",
    "transform": "indexdsl_register_transforms",
    "normaliser": "indexdsl_register_normalisers",
    "aggregator": "indexdsl_register_aggregators",
    "weighting": "indexdsl_register_weighting_schemes",
    "imputer": "indexdsl_register_imputers",
    "exporter": "indexdsl_register_exporters",
}


def _plugin_failure(plugin: str, what: str, exc: BaseException) -> PluginError:
    return PluginError(
        error(
            "E901",
            f"plugin `{plugin}` failed while {what}: {type(exc).__name__}: {exc}",
            help=f"this is a bug in the plugin `{plugin}`; report it to its authors, "
            "or uninstall it",
        )
    )


def get_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-in and installed plugins registered."""
    pm = pluggy.PluginManager("indexdsl")
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # an installed plugin that cannot even be imported
            raise _plugin_failure(getattr(exc, "name", None) or "?", "loading", exc) from None
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise _plugin_failure(pm.get_name(exc.plugin) or "?", "registering", exc) from None
    return pm


@attrs.frozen
class Provided:
    cls: type[Component]
    plugin: str


class Registry:
    """Components by role and name, each with the plugin that provides it."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self.components: dict[str, dict[str, Provided]] = {role: {} for role in ROLES}
        self.problems: list[Diagnostic] = []
        for role, hook_name in ROLE_HOOKS.items():
            hook = getattr(pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                plugin = impl.plugin_name
                try:
                    classes = impl.function() or []
                except Exception as exc:
                    raise _plugin_failure(plugin, f"running `{hook_name}`", exc) from None
                for cls in classes:
                    self._add(role, cls, plugin, hook_name)

    def _add(self, role: str, cls: type, plugin: str, hook_name: str) -> None:
        base = ROLES[role]
        if not (isinstance(cls, type) and issubclass(cls, base) and getattr(cls, "name", None)):
            raise _plugin_failure(
                plugin,
                f"running `{hook_name}`",
                TypeError(f"{cls!r} is not a {base.__name__} subclass with a `name`"),
            )
        existing = self.components[role].get(cls.name)
        if existing is not None and existing.cls is not cls:
            self.problems.append(
                warning(
                    "W902",
                    f"{role} `{cls.name}` is provided by two plugins: "
                    f"`{existing.plugin}` and `{plugin}`",
                    help=f"`{existing.plugin}` (registered first) is used; uninstall one of them "
                    "to silence this",
                )
            )
            return
        self.components[role][cls.name] = Provided(cls, plugin)

    def get(self, role: str, name: str) -> Provided | None:
        return self.components[role].get(name)

    def names(self, role: str) -> list[str]:
        return sorted(self.components[role])

    def suggestions(self, role: str, name: str) -> list[str]:
        """The same name in another role first (the likeliest mix-up), then close
        matches in this role, with the plugin that provides them."""
        hints = [
            f"`{name}` is a {other}, not a {role}"
            for other in ROLES
            if other != role and name in self.components[other]
        ]
        hints += [
            f"`{n}` ({role} from `{self.components[role][n].plugin}`)"
            for n in suggest(name, self.components[role])
        ]
        return hints

    def all(self) -> Iterable[tuple[str, str, Provided]]:
        for role in ROLES:
            for name in sorted(self.components[role]):
                yield role, name, self.components[role][name]


def load_registry() -> Registry:
    return Registry(get_plugin_manager())
