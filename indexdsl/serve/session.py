"""What the explorer holds for one index file, and how it re-ranks and saves.

The index is checked, loaded and compiled once; each change of the page (a node's
weights, a choice among the alternatives the `uncertainty` block declares) is one
replication of the batched engine (:meth:`~indexdsl.evaluate.Evaluator.level` with a
:class:`~indexdsl.evaluate.Variation` of size 1), the same engine that runs the
uncertainty analysis.  "Save as" writes the choices as a new index file beside the
original: weights as exact fractions (``3/10``), so that the saved file gives the very
weights the page used, then checks it before writing, and never writes over the input.
"""

from __future__ import annotations

import re
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from indexdsl.analyses.uncertainty import run_uncertainty
from indexdsl.batched import Variation
from indexdsl.diagnostics import DiagnosticError, UsageError, display_path
from indexdsl.pipeline import Session, check_file, check_source, evaluator, load
from indexdsl.syntax import ast, parse
from indexdsl.syntax.formatter import format_tree
from indexdsl.syntax.parser import parse_with_comments

#: replications of the rank intervals computed when the explorer starts
INTERVAL_SAMPLES = 500
#: the alternatives the page offers, by the role of the engine's variation
CHOICES = (
    ("normaliser", "normalisers", "normalise"),
    ("aggregator", "aggregators", "aggregate"),
    ("imputation", "imputers", "impute"),
    ("outlier treatment", "treatments", "treat"),
)
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.idx")


class ExploreError(Exception):
    """A request the explorer cannot carry out; its message says why (HTTP 400)."""


@attrs.define
class Explorer:
    path: Path
    session: Session
    model: Any
    data: Any
    engine: Any
    nominal_ranks: np.ndarray
    nominal_scores: dict[str, np.ndarray]
    intervals: dict[str, list] | None

    @classmethod
    def open(cls, path: Path, samples: int = INTERVAL_SAMPLES) -> Explorer:
        """Check, load and compile an index file (diagnostics raise, as for `run`)."""
        session = Session()
        model = check_file(path, session)
        data = load(model, path, session)
        engine = evaluator(model, data)
        root = model.root.name
        nominal = engine.level("unit", ranked=(root,))
        intervals = None
        if model.uncertainty is not None and samples:
            result = run_uncertainty(engine, model.uncertainty, samples, seed=1)
            low, high = result.interval()
            intervals = {
                "samples": samples,
                "evaluated": result.evaluated,
                "median": [_number(v) for v in result.median],
                "low": [_number(v) for v in low],
                "high": [_number(v) for v in high],
            }
        return cls(
            path, session, model, data, engine, nominal.ranks[root],
            {k: v for k, v in nominal.scores.items()}, intervals,
        )  # fmt: skip

    # ---- what the page shows -----------------------------------------------------------

    def describe(self) -> dict:
        """The index as the page first shows it: units, framework, choices, ranking."""
        model, data = self.model, self.data
        spec = model.uncertainty
        choices = []
        for label, field, _ in CHOICES:
            options = getattr(spec, field, ()) if spec is not None else ()
            if options:
                names = ["none" if o is None else o.describe() for o in options]
                choices.append({"role": label, "options": ["as in the file", *names]})
        return {
            "title": model.meta.title,
            "file": display_path(self.path),
            "units": [
                {"key": k, "label": lab} for k, lab in zip(data.keys, data.labels, strict=True)
            ],
            "framework": _node(model.root),
            "dimensions": [c.name for c in model.root.children],
            "choices": choices,
            "intervals": self.intervals,
            **self.ranking({}, {}),
        }

    def ranking(self, weights: dict[str, list[float]], choices: dict[str, int]) -> dict:
        """The ranking with the given weights (node -> points per child, in order) and
        choices (role -> option, 0 for the file's own method), and the movers against
        the file's ranking."""
        started = time.perf_counter()
        variation = self.variation(weights, choices)
        root = self.model.root.name
        level = self.engine.level("unit", variation, ranked=(root,))
        if variation.failures:
            reason = next(iter(variation.failures))
            raise ExploreError(f"these choices cannot be evaluated on these data: {reason}")
        ranks = level.ranks[root][0]
        scores = {
            n: level.scores[n][0] for n in [root, *(c.name for c in self.model.root.children)]
        }
        moved = [
            (int(self.nominal_ranks[i]) - int(ranks[i]), i)
            for i in range(len(ranks))
            if ranks[i] and self.nominal_ranks[i] and ranks[i] != self.nominal_ranks[i]
        ]
        moved.sort(key=lambda m: (-abs(m[0]), int(ranks[m[1]])))
        return {
            "ranks": [int(r) for r in ranks],
            "file_ranks": [int(r) for r in self.nominal_ranks],
            "scores": {n: [_number(v) for v in s] for n, s in scores.items()},
            "movers": [{"unit": i, "change": m} for m, i in moved[:10]],
            "milliseconds": round((time.perf_counter() - started) * 1000, 2),
        }

    def variation(self, weights: dict[str, list[float]], choices: dict[str, int]) -> Variation:
        """One replication: the page's weights and choices, checked."""
        leaves = tuple(n.name for n in self.model.root.walk() if n.is_leaf)
        variation = Variation(size=1, leaves=leaves)
        nodes = {n.name: n for n in self.model.root.walk()}
        for name, points in (weights or {}).items():
            node = nodes.get(name)
            if node is None or node.is_leaf or len(node.children) < 2:
                raise ExploreError(f"`{name}` is not a node with weights to set")
            if node.weighting is not None:
                raise ExploreError(f"`{name}` takes its weights from a weighting scheme")
            share = _shares(points, len(node.children), name)
            variation.weights[name] = np.array([[float(s) for s in share]])
        spec = self.model.uncertainty
        for label, field, _ in CHOICES:
            chosen = int((choices or {}).get(label, 0))
            options = getattr(spec, field, ()) if spec is not None else ()
            if not 0 <= chosen <= len(options):
                raise ExploreError(f"no option {chosen} for the {label}")
            if chosen:
                setattr(variation, field, options)
                setattr(variation, _CHOICE_FIELD[field], np.array([chosen - 1]))
        return variation

    # ---- save as ------------------------------------------------------------------------

    def save(self, name: str, weights: dict, choices: dict, overwrite: bool = False) -> dict:
        """Write the page's weights and choices as ``name`` beside the index file."""
        if not _NAME.fullmatch(name or ""):
            raise ExploreError("give a file name such as `my-weights.idx` (letters, digits, . _ -)")
        target = self.path.parent / name
        if target.resolve() == self.path.resolve():
            raise ExploreError("the explorer never writes over the index file it explores")
        if target.exists() and not overwrite:
            raise ExploreError(f"`{name}` exists; tick 'overwrite' to replace it")
        self.variation(weights, choices)  # the same checks as a ranking
        for label in ("imputation", "outlier treatment"):
            if int((choices or {}).get(label, 0)):
                raise ExploreError(
                    f"save as keeps the file's {label}: an alternative {label} applies to "
                    "the indicators the file prepares, which one setting cannot say; set it "
                    "back to 'as in the file' to save"
                )
        text = self.text(weights, choices)
        checked = check_source(text, target, Session(registry=self.session.registry))
        errors = [d for d in checked.diagnostics if d.is_error]
        if errors:  # pragma: no cover - a bug of the writer, not of the user
            raise ExploreError(f"the file would not check: {errors[0].message}")
        temporary = target.with_name(f".{name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)
        return {"file": display_path(target)}

    def text(self, weights: dict, choices: dict) -> str:
        """The index file with the page's weights and choices, formatted."""
        source = self.path.read_text(encoding="utf-8")
        tree, comments = parse_with_comments(source, display_path(self.path))
        inline = not any(isinstance(d, ast.ExtendsDecl) for d in tree.declarations) and not any(
            isinstance(d, ast.FrameworkDecl) and d.source is not None for d in tree.declarations
        )
        header = ""
        if not inline:  # the framework comes from another file: write it out whole
            from indexdsl.front.extends import resolve_or_raise
            from indexdsl.front.metadata import expand_framework_table

            tree, _ = resolve_or_raise(
                parse(source, display_path(self.path)), self.path, self.session.sources
            )
            tree, _ = expand_framework_table(
                tree, self.path.parent, self.session.registry, self.session.sources
            )
            comments, source = [], ""
            header = (
                f"# Written by `indexdsl serve` from {self.path.name}, whose framework comes\n"
                "# from another file: every declaration is written out here.\n"
            )
        tree = _with_weights(tree, weights)
        tree = _with_choices(tree, self.model, choices)
        return header + format_tree(tree, comments, source)


_CHOICE_FIELD = {
    "normalisers": "normaliser_choice",
    "aggregators": "aggregator_choice",
    "imputers": "imputer_choice",
    "treatments": "treatment_choice",
}


def _number(value: float) -> float | None:
    value = float(value)
    return None if value != value else round(value, 6)


def _node(node) -> dict:
    out = {"name": node.name, "title": node.title, "weight": node.weight}
    if not node.is_leaf:
        out["children"] = [_node(c) for c in node.children]
        out["scheme"] = node.weighting is not None
    return out


def _shares(points: list, count: int, name: str) -> list[Fraction]:
    """Points per child (whole numbers from 0 to 1000) as exact shares summing to 1."""
    if not isinstance(points, list) or len(points) != count:
        raise ExploreError(f"`{name}` has {count} children: give {count} weights")
    try:
        whole = [int(p) for p in points]
    except (TypeError, ValueError):
        raise ExploreError(f"the weights of `{name}` must be whole numbers") from None
    if any(p < 0 or p > 1000 for p in whole) or not sum(whole):
        raise ExploreError(f"the weights of `{name}` must be 0 to 1000, not all 0")
    total = sum(whole)
    return [Fraction(p, total) for p in whole]


def _with_weights(tree: ast.IndexFile, weights: dict) -> ast.IndexFile:
    """The tree with each changed node's children weighted as exact fractions."""

    def visit(node: ast.NodeDecl) -> ast.NodeDecl:
        children = tuple(visit(c) for c in node.children)
        if node.name.text in weights:
            shares = _shares(weights[node.name.text], len(children), node.name.text)
            children = tuple(
                attrs.evolve(c, weight=_weight(s)) for c, s in zip(children, shares, strict=True)
            )
        return attrs.evolve(node, children=children)

    declarations = []
    for decl in tree.declarations:
        if isinstance(decl, ast.FrameworkDecl):
            children = tuple(visit(c) for c in decl.children)
            root = next(iter(weights.keys() & _root_names(tree)), None)
            if root is not None:
                shares = _shares(weights[root], len(children), root)
                children = tuple(
                    attrs.evolve(c, weight=_weight(s))
                    for c, s in zip(children, shares, strict=True)
                )
            decl = attrs.evolve(decl, children=children)
        declarations.append(decl)
    return attrs.evolve(tree, declarations=tuple(declarations))


def _root_names(tree: ast.IndexFile) -> set[str]:
    return {d.name.text for d in tree.declarations if isinstance(d, ast.IndexDecl)}


def _weight(share: Fraction) -> ast.Weight:
    text = f"{share.numerator}/{share.denominator}" if share.denominator != 1 else "1"
    return ast.Weight(share, text, Fraction(0))


def _with_choices(tree: ast.IndexFile, model, choices: dict) -> ast.IndexFile:
    """The tree with each chosen alternative set for the whole framework: the settings
    of that kind removed from the indicators, the nodes and the defaults, and the
    alternative written once at the top of the framework."""
    uncertainty = next((d for d in tree.declarations if isinstance(d, ast.UncertaintyDecl)), None)
    chosen: list[ast.Setting] = []
    for label, _, kind in CHOICES:
        index = int((choices or {}).get(label, 0))
        if not index:
            continue
        item = next(i for i in uncertainty.inputs if i.kind == kind)
        component = item.components[index - 1]
        if kind == "treat" and component.name.text == "none":
            chosen.append(ast.Setting(kind, target=ast.Name("none")))
        else:
            chosen.append(ast.Setting(kind, component=component))
    if not chosen:
        return tree
    kinds = {s.kind for s in chosen} | (
        {"normalize"} if "normalise" in {s.kind for s in chosen} else set()
    )

    def keep(settings):
        return tuple(s for s in settings if s.kind not in kinds)

    def visit(node: ast.NodeDecl) -> ast.NodeDecl:
        return attrs.evolve(
            node, settings=keep(node.settings), children=tuple(visit(c) for c in node.children)
        )

    declarations = []
    for decl in tree.declarations:
        if isinstance(decl, ast.IndicatorDecl):
            decl = attrs.evolve(
                decl,
                normalise=None if "normalise" in kinds else decl.normalise,
                impute=None if "impute" in kinds else decl.impute,
                treat=None if "treat" in kinds else decl.treat,
            )
        elif isinstance(decl, ast.DefaultsDecl):
            decl = attrs.evolve(decl, settings=keep(decl.settings))
        elif isinstance(decl, ast.FrameworkDecl):
            decl = attrs.evolve(
                decl,
                settings=tuple(chosen) + keep(decl.settings),
                children=tuple(visit(c) for c in decl.children),
            )
        declarations.append(decl)
    return attrs.evolve(tree, declarations=tuple(declarations))


def open_explorer(path: Path) -> Explorer:
    try:
        return Explorer.open(path)
    except DiagnosticError:
        raise
    except OSError as exc:  # pragma: no cover
        raise UsageError(f"cannot read `{path}`: {exc.strerror}") from None
