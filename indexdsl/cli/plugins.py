"""`indexdsl plugins`: every plugin and its components."""

from __future__ import annotations

import json
import sys

from indexdsl.cli.common import EXIT_OK, EXIT_PLUGIN, _print_diagnostics, inert_console


def cmd_plugins(args, session) -> int:
    from rich.table import Table

    from indexdsl.plugins import load_registry

    registry = load_registry(session.disabled_plugins)
    failed = any(i.status == "failed" for i in registry.infos.values())
    if args.format == "json":
        print(json.dumps(plugins_record(registry), indent=2))
        return EXIT_PLUGIN if failed else EXIT_OK
    _print_diagnostics(registry.problems, session.sources)
    console = inert_console(width=None if sys.stdout.isatty() else 160)
    plugins = Table(title="Installed plugins")
    for heading in ("plugin", "distribution", "version", "status", "hooks", "components"):
        plugins.add_column(heading)
    for info in registry.infos.values():
        provided = [name for _, name, p in registry.all() if p.plugin == info.name]
        hooks = [h.removeprefix("indexdsl_register_") for h in info.hooks]
        plugins.add_row(
            info.name,
            info.distribution,
            info.version,
            info.status,
            ", ".join(hooks),
            ", ".join(provided),
        )
    console.print(plugins)
    table = Table(title="Installed components")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("parameters")
    table.add_column("plugin")
    table.add_column("what it does")
    for role, name, provided in registry.all():
        params = ", ".join(
            p.name if p.required else f"{p.name}={p.default!r}" for p in provided.cls.params
        )
        table.add_row(role, name, params, provided.plugin, provided.cls.summary)
    console.print(table)
    return EXIT_PLUGIN if failed else EXIT_OK


def plugins_record(registry) -> dict:
    """What `indexdsl plugins --format json` prints: plugins, components, problems."""
    return {
        "plugins": [
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "status": info.status,
                "hooks": list(info.hooks),
                "components": [
                    {"kind": role, "name": name}
                    for role, name, p in registry.all()
                    if p.plugin == info.name
                ],
            }
            for info in registry.infos.values()
        ],
        "components": [
            {
                "kind": role,
                "name": name,
                "plugin": p.plugin,
                "parameters": [param.name for param in p.cls.params],
                "summary": p.cls.summary,
            }
            for role, name, p in registry.all()
        ],
        "problems": [d.to_dict() for d in registry.problems],
    }
