"""The plugin manager and the component registry built from it.

``get_plugin_manager()`` is a factory, not a global: it adds the specs, loads the
third-party plugins of the ``indexdsl`` entry-point group, registers the built-in
plugin modules through the very same hooks, and checks that every hook a plugin
implements exists, so that a misspelt hook name is reported.  The :class:`Registry`
records which plugin provides each component, so that duplicates name both providers
and an unknown name can suggest close matches together with the plugin that provides
them.

A third-party plugin that cannot be imported, implements an unknown hook or fails in a
registration hook is left out with warning ``W901`` naming it and its distribution;
the run goes on, and only an index that needs one of its components stops (``E210``
then says which plugin failed).  Plugins can be blocked by name (entry-point name,
distribution name or built-in module) with ``--disable-plugin`` or the environment
variable ``INDEXDSL_DISABLE_PLUGINS`` (comma-separated).
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import os
import re
import sys
import types
from collections.abc import Iterable

import attrs
import pluggy

from indexdsl import hookspecs
from indexdsl.components import ROLES, Component
from indexdsl.diagnostics import Diagnostic, PluginError, suggest
from indexdsl.errors import plugins as errors

ENTRY_POINT_GROUP = "indexdsl"
#: environment variable naming plugins to block, comma-separated
DISABLE_ENV = "INDEXDSL_DISABLE_PLUGINS"

#: the built-in plugin modules, registered like any third-party plugin
BUILTIN_PLUGINS = (
    "indexdsl_builtins.loaders",
    "indexdsl_builtins.normalisers",
    "indexdsl_builtins.aggregators",
    "indexdsl_builtins.transforms",
    "indexdsl_builtins.weighting",
    "indexdsl_builtins.imputation",
    "indexdsl_builtins.engines",
    # one module per output format, in the order `--format` lists them
    "indexdsl_builtins.export_csv",
    "indexdsl_builtins.export_json",
    "indexdsl_builtins.export_md",
    "indexdsl_builtins.export_sqlite",
    "indexdsl_builtins.export_xlsx",
    "indexdsl_builtins.export_parquet",
    "indexdsl_builtins.export_html",
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
    "engine": "indexdsl_register_engines",
}


def _plugin_failure(plugin: str, what: str, exc: BaseException) -> PluginError:
    return PluginError(errors.plugin_raised(None, plugin, exc, workaround=what))


def normalise_name(name: str) -> str:
    """Distribution names compare as pip compares them: case and ``-_.`` do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower().strip()


@attrs.define
class PluginInfo:
    """One plugin: where it comes from, and whether it is in use."""

    name: str
    distribution: str
    version: str
    status: str = "loaded"  # loaded | disabled | failed
    hooks: tuple[str, ...] = ()
    problem: Diagnostic | None = None


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, plus what ``indexdsl plugins`` and the diagnostics need: each
    plugin's distribution and version, and the plugins left out (and why)."""

    def __init__(self) -> None:
        super().__init__("indexdsl")
        self.infos: dict[str, PluginInfo] = {}
        self.problems: list[Diagnostic] = []

    def fail(self, name: str, what: str, exc: BaseException | str) -> None:
        """Leave a plugin out, with warning W901 naming it and its distribution."""
        info = self.infos.setdefault(name, PluginInfo(name, "?", "?"))
        where = f"plugin `{name}`" + (
            f" (distribution `{info.distribution}` {info.version})"
            if info.distribution != "?"
            else ""
        )
        reason = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        diagnostic = errors.plugin_left_out(where, what, reason, info.distribution, name)
        info.status, info.problem = "failed", diagnostic
        self.problems.append(diagnostic)
        plugin = self.get_plugin(name)
        if plugin is not None:
            self.unregister(plugin)

    def is_disabled(self, name: str, disabled: set[str], distribution: str = "") -> bool:
        return bool({normalise_name(name), normalise_name(distribution)} & disabled)

    def parse_hookimpl_opts(self, plugin: object, name: str):
        # a module's classes, constants and modules are no hook implementations: skipped
        # here as pluggy would skip them, without its `inspect.getattr_static` for each
        # (most of registering the plugins at start-up); functions are left to pluggy
        if isinstance(plugin, types.ModuleType) and not isinstance(
            vars(plugin).get(name), _HOOKABLE
        ):
            return None
        return super().parse_hookimpl_opts(plugin, name)


#: what pluggy takes a hook implementation from (the rest it skips)
_HOOKABLE = (types.FunctionType, types.MethodType, staticmethod, classmethod)


def disabled_from_environment() -> tuple[str, ...]:
    return tuple(n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip())


# ---- entry points, read from the dist-info folders ---------------------------------------
class _Distribution:
    """An installed distribution's name and version, read from its ``METADATA`` when
    first asked for (only ``indexdsl plugins`` and the diagnostics ask)."""

    def __init__(self, folder: str):
        self._folder = folder

    @functools.cached_property
    def _fields(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        try:
            with open(os.path.join(self._folder, "METADATA"), encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        break  # the headers end at the first blank line
                    key, sep, value = line.partition(":")
                    if sep and key in ("Name", "Version") and key not in fields:
                        fields[key] = value.strip()
        except OSError:
            pass
        return fields

    @property
    def metadata(self) -> dict[str, str]:
        return {"Name": self._fields.get("Name", "?")}

    @property
    def version(self) -> str:
        return self._fields.get("Version", "?")


@attrs.frozen
class _EntryPoint:
    name: str
    value: str  # "module" or "module:attribute", then any extras: "[extra]"
    group: str
    dist: _Distribution

    def load(self):
        module, _, attribute = self.value.split("[", 1)[0].partition(":")
        found = importlib.import_module(module.strip())
        for part in filter(None, attribute.strip().split(".")):
            found = getattr(found, part)
        return found


def entry_points(group: str):
    """The entry points of ``group`` of the installed distributions, as
    :func:`importlib.metadata.entry_points` finds them: the ``*.dist-info`` folders of
    each ``sys.path`` folder in turn, the first distribution of a name winning.  Read
    directly, because importing ``importlib.metadata`` (and its e-mail parser) is a
    tenth of a short command's start-up.  Anything but plain folders of dist-info
    (eggs, a zip on the path, another metadata finder) is left to importlib."""
    found: list[_EntryPoint] = []
    seen: set[str] = set()
    if any(
        getattr(f, "find_distributions", None) is not None
        and f is not importlib.machinery.PathFinder
        for f in sys.meta_path
    ):
        return _importlib_entry_points(group)
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return _importlib_entry_points(group)  # a zip file: importlib reads it
        except OSError:
            continue
        for name in names:
            lowered = name.lower()
            if lowered.endswith((".egg-info", ".egg")):
                return _importlib_entry_points(group)
            if not lowered.endswith(".dist-info"):
                continue
            key = re.sub(r"[-_.]+", "_", name[: -len(".dist-info")].partition("-")[0]).lower()
            if key in seen:
                continue
            seen.add(key)
            path = os.path.join(folder, name)
            try:
                with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            found.extend(_parse_entry_points(text, group, _Distribution(path)))
    return found


def _parse_entry_points(text: str, group: str, dist: _Distribution) -> list[_EntryPoint]:
    """The entries of one ``[group]`` section of an ``entry_points.txt``."""
    out = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, _, value = line.partition("=")
            out.append(_EntryPoint(name.strip(), value.strip(), group, dist))
    return out


def _importlib_entry_points(group: str):
    from importlib.metadata import entry_points as found

    return found(group=group)


def get_plugin_manager(
    load_entry_points: bool = True, disabled: Iterable[str] | None = None
) -> PluginManager:
    """A fresh plugin manager with the built-in and installed plugins registered.

    ``disabled`` names plugins to block (entry-point, distribution or module names);
    by default, those of the environment variable ``INDEXDSL_DISABLE_PLUGINS``.
    """
    from indexdsl.version import __version__

    blocked_names = tuple(disabled) if disabled is not None else disabled_from_environment()
    blocked = {normalise_name(n) for n in blocked_names}
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist
            info = PluginInfo(
                ep.name,
                dist.metadata["Name"] if dist is not None else "?",
                dist.version if dist is not None else "?",
            )
            if ep.name in pm.infos:
                continue
            pm.infos[ep.name] = info
            if pm.is_disabled(ep.name, blocked, info.distribution):
                info.status = "disabled"
                pm.set_blocked(ep.name)
                continue
            try:
                module = ep.load()
            except Exception as exc:  # an installed plugin that cannot even be imported
                pm.fail(ep.name, "loading", exc)
                continue
            try:
                pm.register(module, name=ep.name)
            except pluggy.PluginValidationError as exc:
                pm.fail(ep.name, "registering", exc)
    for module_name in BUILTIN_PLUGINS:
        info = PluginInfo(module_name, "indexdsl", __version__)
        pm.infos[module_name] = info
        if pm.is_disabled(module_name, blocked):
            info.status = "disabled"
            continue
        pm.register(importlib.import_module(module_name), name=module_name)
    while True:  # pluggy's check_pending stops at the first unknown hook
        try:
            pm.check_pending()
            break
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or "?"
            unknown = [
                n
                for n in dir(exc.plugin)
                if n.startswith("indexdsl_") and not hasattr(hookspecs, n)
            ]
            hints = [h for n in unknown for h in suggest(n, _hook_names())]
            reason = f"it implements unknown hook {', '.join(f'`{n}`' for n in unknown)}" + (
                f" (did you mean `{hints[0]}`?)" if hints else ""
            )
            if name in BUILTIN_PLUGINS or name not in pm.infos:
                raise _plugin_failure(name, "registering", exc) from None
            pm.fail(name, "registering", reason)
    known = {normalise_name(n) for i in pm.infos.values() for n in (i.name, i.distribution)}
    for name in blocked_names:
        if normalise_name(name) not in known:
            hints = suggest(name, sorted({i.name for i in pm.infos.values()}))
            pm.problems.append(errors.no_plugin_to_disable(name, hints[0] if hints else None))
    for name, info in pm.infos.items():
        plugin = pm.get_plugin(name)
        if plugin is not None:
            info.hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or ()))
    return pm


def _hook_names() -> list[str]:
    return [n for n in vars(hookspecs) if n.startswith("indexdsl_")]


@attrs.frozen
class Provided:
    cls: type[Component]
    plugin: str


class Registry:
    """Components by role and name, each with the plugin that provides it."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self.components: dict[str, dict[str, Provided]] = {role: {} for role in ROLES}
        self.infos: dict[str, PluginInfo] = dict(getattr(pm, "infos", {}))
        self.problems: list[Diagnostic] = list(getattr(pm, "problems", []))
        found: list[tuple[str, type, str, str]] = []
        failed: set[str] = set()
        for role, hook_name in ROLE_HOOKS.items():
            hook = getattr(pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                plugin = impl.plugin_name
                # pluggy's opt-in arguments: an implementation names only those it uses
                offered = {"api_version": hookspecs.HOOKSPEC_VERSION}
                try:
                    classes = impl.function(*(offered[a] for a in impl.argnames)) or []
                    for cls in classes:
                        _check_class(role, cls)
                        found.append((role, cls, plugin, hook_name))
                except Exception as exc:
                    if plugin in BUILTIN_PLUGINS or not isinstance(pm, PluginManager):
                        raise _plugin_failure(plugin, f"running `{hook_name}`", exc) from None
                    failed.add(plugin)
                    pm.fail(plugin, f"running `{hook_name}`", exc)
                    self.problems.append(pm.problems[-1])
        for role, cls, plugin, _ in found:
            if plugin not in failed:
                self._add(role, cls, plugin)

    def _add(self, role: str, cls: type, plugin: str) -> None:
        existing = self.components[role].get(cls.name)
        if existing is not None and existing.cls is not cls:
            self.problems.append(
                errors.component_provided_twice(
                    role,
                    cls.name,
                    existing.plugin,
                    self._from(existing.plugin),
                    plugin,
                    self._from(plugin),
                )
            )
            return
        self.components[role][cls.name] = Provided(cls, plugin)

    def _from(self, plugin: str) -> str:
        info = self.infos.get(plugin)
        if info is None or info.distribution in ("?", "indexdsl"):
            return ""
        return f" (distribution `{info.distribution}`)"

    def get(self, role: str, name: str) -> Provided | None:
        return self.components[role].get(name)

    def default(self, role: str) -> Provided | None:
        """The component a role falls back on where an index chooses none: the first
        registered one that declares ``role_default`` (None when no plugin offers one,
        e.g. when the built-in aggregators are disabled)."""
        for provided in self.components[role].values():
            if provided.cls.role_default:
                return provided
        return None

    def names(self, role: str) -> list[str]:
        return sorted(self.components[role])

    def provider_of(self, plugin_or_module: str) -> str:
        """The plugin name for a plugin name, or for the module of one of its classes."""
        if plugin_or_module in self.infos:
            return plugin_or_module
        for _, _, provided in self.all():
            if provided.cls.__module__ == plugin_or_module:
                return provided.plugin
        return plugin_or_module

    def distribution(self, plugin: str) -> PluginInfo | None:
        return self.infos.get(plugin)

    def unavailable(self) -> list[PluginInfo]:
        """Plugins that are installed but left out: disabled, or failed to load."""
        return [i for i in self.infos.values() if i.status != "loaded"]

    def suggestions(self, role: str, name: str) -> list[str]:
        """The same name in another role first (the likeliest mix-up), then close
        matches in this role, with the plugin that provides them."""
        hints = [
            f"`{name}` is {_article(other)} {other}, not {_article(role)} {role}"
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


def _check_class(role: str, cls: object) -> None:
    base = ROLES[role]
    if not (isinstance(cls, type) and issubclass(cls, base) and getattr(cls, "name", None)):
        raise TypeError(f"{cls!r} is not a {base.__name__} subclass with a `name`")


def load_registry(disabled: Iterable[str] | None = None) -> Registry:
    return Registry(get_plugin_manager(disabled=disabled))


# ---- `requires` in an index file ---------------------------------------------------------
_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*")
_SPECIFIER = re.compile(r"\s*(~=|==|!=|>=|<=|>|<)\s*([0-9]+(?:\.[0-9]+)*)\s*")


def parse_requirement(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """``"indexdsl-example >= 0.2, < 1"`` → ``("indexdsl-example", [(">=", "0.2"), ("<", "1")])``;
    ``None`` when the text is not a distribution name with optional version clauses."""
    match = _REQUIREMENT.fullmatch(text)
    if match is None:
        return None
    name, rest = match.groups()
    specs = []
    for clause in rest.split(",") if rest else []:
        spec = _SPECIFIER.fullmatch(clause)
        if spec is None:
            return None
        specs.append((spec.group(1), spec.group(2)))
    return name, specs


def _version_key(version: str) -> tuple[int, ...]:
    numbers = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        numbers.append(int(digits.group()))
        if digits.group() != part:  # 1.0rc1: keep 1.0 and stop
            break
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def version_satisfies(version: str, op: str, wanted: str) -> bool:
    have, want = _version_key(version), _version_key(wanted)
    if op == "~=":  # compatible release: ~=1.4 means >=1.4, ==1.*
        prefix = _version_key(".".join(wanted.split(".")[:-1]))
        return have >= want and have[: len(prefix)] == prefix
    return {
        "==": have == want,
        "!=": have != want,
        ">=": have >= want,
        "<=": have <= want,
        ">": have > want,
        "<": have < want,
    }[op]


def unmet_requirement(text: str, registry: Registry) -> tuple[str, str] | None:
    """Why an index's ``requires "DIST >= X"`` is not met here, as (message, help);
    ``None`` when the distribution is installed, recent enough and in use."""
    from importlib.metadata import PackageNotFoundError, version

    name, specs = parse_requirement(text) or (text, [])
    wanted = ", ".join(f"{op} {v}" for op, v in specs)
    install = f'pip install "{name}{", ".join(f"{op}{v}" for op, v in specs)}"'
    try:
        installed = version(name)
    except PackageNotFoundError:
        return (
            f"this index needs the plugin distribution `{name}`, which is not installed",
            f"install it: {install}",
        )
    failing = [f"{op} {v}" for op, v in specs if not version_satisfies(installed, op, v)]
    if failing:
        return (
            f"this index needs `{name}` {wanted}, but version {installed} is installed",
            f"upgrade it: {install}",
        )
    for info in registry.infos.values():
        if normalise_name(info.distribution) == normalise_name(name) and info.status != "loaded":
            why = (
                "is disabled (`--disable-plugin` or INDEXDSL_DISABLE_PLUGINS)"
                if info.status == "disabled"
                else "failed to load (see warning W901)"
            )
            return (
                f"this index needs `{name}`, whose plugin `{info.name}` {why}",
                f"enable `{info.name}` again, or fix `{name}`",
            )
    return None


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
