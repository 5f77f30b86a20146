"""`indexdsl plot`: a figure as SVG or PNG."""

from __future__ import annotations

import sys

from indexdsl.cli.common import (
    EXIT_OK,
    EXIT_UNRELIABLE,
    _one_edition,
    _print_diagnostics,
    _uncertain_model,
)


def cmd_plot(args, session) -> int:
    from indexdsl.output import plots
    from indexdsl.pipeline import check_file, evaluate_model, run_file

    plots.check_target(args.out)  # before computing: the suffix, and matplotlib installed
    if args.kind == "framework":
        model = check_file(args.file, session, _one_edition(args))
        _print_diagnostics(session.warnings, session.sources)
        figure = plots.plot_framework(model, style=args.style)
    elif args.kind == "ranks":
        model, data, engine = _uncertain_model(args, session)
        from indexdsl.analyses.uncertainty import run_uncertainty

        result = run_uncertainty(engine, model.uncertainty, args.samples, args.seed)
        if not result.reliable(args.max_failed):
            failed = result.replications - result.evaluated
            print(
                f"error: {failed} of {result.replications} replications "
                f"({result.failed_share:.0%}) could not be evaluated, more than the "
                f"{args.max_failed:.0%} allowed: the analysis is not reliable, and nothing was "
                "drawn. Replace the alternative that fails, or accept the share with --max-failed",
                file=sys.stderr,
            )
            return EXIT_UNRELIABLE
        nominal = evaluate_model(model, data)
        settings = [*result.inputs, f"seed {args.seed}"]
        if result.failed.any():
            failed = result.replications - result.evaluated
            settings.append(f"{failed} of {result.replications} replications failed, left out")
        figure = plots.plot(
            nominal, "ranks", *args.nodes, uncertainty=result, settings=settings, top=args.top
        )
    else:
        result, _ = run_file(args.file, session, _one_edition(args))
        _print_diagnostics(session.warnings, session.sources)
        options = {
            "correlations": {"level": args.level, "against": args.against, "raw": args.raw},
            "distribution": {"raw": args.raw},
            "scatter": {"label": args.label, "raw": args.raw},
            "contributions": {"node": args.node, "top": args.top},
        }[args.kind]
        figure = plots.plot(result, args.kind, *args.nodes, **options)
    plots.save(figure, args.out)
    print(f"Wrote {args.out}.")
    return EXIT_OK
