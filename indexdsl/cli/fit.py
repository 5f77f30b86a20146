"""`indexdsl fit`: the weights of a node's children that best reproduce published values."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK, _analysis_results, _run_one_edition, inert_console


def cmd_fit(args, session) -> int:
    from rich.table import Table

    from indexdsl.analyses.fitting import fit_weights
    from indexdsl.output.analysis_files import AnalysisTable
    from indexdsl.pipeline import evaluate_model

    result = _run_one_edition(args, session)
    found = fit_weights(
        result, args.node, args.against, ranks=args.ranks, bootstrap=args.bootstrap,
        seed=args.seed, evaluate=evaluate_model,
    )  # fmt: skip
    data = result.data
    intervals = found.intervals
    weight_rows = [
        (
            child, found.declared[c], found.weights[c],
            intervals[c, 0] if intervals is not None else None,
            intervals[c, 1] if intervals is not None else None,
            found.spread[c] if found.spread is not None else None,
        )
        for c, child in enumerate(found.children)
    ]  # fmt: skip
    fits = [
        ("declared weights, as the index computes", found.computed_fit),
        ("declared weights, best linear map" if found.affine else None, found.declared_fit),
        ("fitted weights", found.fit),
        ("fitted weights, as the index computes", found.refitted_fit),
    ]
    fits = [(name, g) for name, g in fits if name is not None and g is not None]
    used = set(found.used.tolist())
    unit_rows = [
        (
            data.keys[i], data.labels[i], found.published[i], found.fitted[i],
            found.fitted[i] - found.published[i] if i in used and not args.ranks else None,
            "yes" if i in used else "no",
        )
        for i in range(data.n_units)
    ]  # fmt: skip
    tables = [
        AnalysisTable(
            "fit_weights", ("child", "declared", "fitted", "low", "high", "sd"), weight_rows
        ),
        AnalysisTable(
            "fit_goodness",
            ("weights", "r2", "rmse", "max_error", "exact_ranks", "units", "spearman",
             "pairs_in_order"),
            [
                (name, g.r2, g.rmse, g.max_error, g.exact, g.n, g.spearman, g.concordant)
                for name, g in fits
            ],
        ),
        AnalysisTable(
            "fit_units", ("unit", "label", "published", "fitted", "error", "used"), unit_rows
        ),
    ]  # fmt: skip
    settings = {
        "node": found.node, "against": found.against, "kind": found.kind,
        "affine": found.affine, "intercept": found.intercept, "scale": found.scale,
        "bootstrap": found.bootstrap, "seed": found.seed, "units_used": len(found.used),
        "missing_published": [data.keys[i] for i in found.missing_published],
        "missing_children": [data.keys[i] for i in found.missing_children],
    }  # fmt: skip
    if _analysis_results(args, "fit", settings, tables):
        return EXIT_OK
    console = inert_console()
    left = len(found.missing_published) + len(found.missing_children)
    console.print(
        f"Weights of the children of `{found.node}` fitted to the published {found.kind} in "
        f"`{found.against}`: {len(found.used)} units used, {left} left out "
        f"({len(found.missing_published)} without a published value, "
        f"{len(found.missing_children)} without a score for every child)",
        markup=False,
    )
    table = Table(title="Weights", title_justify="left")
    heading = f"95% interval (bootstrap {found.bootstrap}, seed {found.seed})"
    for name in ("child", "declared", "fitted", *((heading,) if intervals is not None else ())):
        table.add_column(name, justify="left" if name == "child" else "right")
    for child, declared, fitted, low, high, _ in weight_rows:
        cells = [child, f"{declared:.3f}", f"{fitted:.3f}"]
        if intervals is not None:
            cells.append(f"{low:.3f} – {high:.3f}")
        table.add_row(*cells)
    console.print(table)
    table = Table(title="Goodness of fit", title_justify="left")
    for name in ("weights", "R²", "RMSE", "max |error|", "exact ranks", "Spearman ρ",
                 "pairs in order"):  # fmt: skip
        table.add_column(name, justify="left" if name == "weights" else "right")
    for name, g in fits:
        table.add_row(
            name,
            "–" if g.r2 is None else f"{g.r2:.3f}",
            "–" if g.rmse is None else f"{g.rmse:.2f}",
            "–" if g.max_error is None else f"{g.max_error:.2f}",
            f"{g.exact} / {g.n}",
            f"{g.spearman:.3f}",
            f"{g.concordant:.1%}",
        )
    console.print(table)
    if found.affine:
        console.print(
            f"`{found.node}` rescales its score, so the published values are fitted as "
            f"{found.intercept:.3g} + {found.scale:.3g} × the weighted mean of its children",
            markup=False,
        )
    if found.degenerate:
        console.print(
            "no child's score increases with the published values: the weights are "
            "undetermined (shown equal)",
            markup=False,
        )
    return EXIT_OK
