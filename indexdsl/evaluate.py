"""Evaluating a computation graph with numpy, vectorised over units (or pairs).

The same graph runs at two levels: ``unit`` (every city or country) and ``pair``
(pathways: every row of the pairs table named by ``pathways``).  At pair level a
partner aggregation such as ``sum(route.flights)`` is replaced by the pair value
itself, so a pathway's score for a metric is the strength of that one link.

Scores of every node are kept, with the fitted state of each normaliser (minimum,
maximum …) and the weights used, so a run can be explained and reproduced.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence

import attrs
import numpy as np

from indexdsl.batched import (
    NOMINAL,
    BatchedEvaluation,
    Keyed,
    LazyScores,
    Variation,
    _combine,
    _materialise,
)
from indexdsl.compile import (
    AggregateNode,
    ComputeIndicator,
    FormulaNode,
    Graph,
    NormaliseLeaf,
    bind_computed,
    compile_expression,
)
from indexdsl.components import ComponentValueError, Context, Normaliser
from indexdsl.data import Dataset, PairData
from indexdsl.diagnostics import Diagnostic, DiagnosticError, Label, PluginError, Span
from indexdsl.errors import evaluate as evaluate_errors
from indexdsl.errors import plugins as plugin_errors
from indexdsl.model import columns_read
from indexdsl.run_notes import RunNotes

#: scores are rounded to this many decimals before ranking, so that values equal up to
#: floating-point noise share a rank (published indices rank rounded scores)
RANK_DECIMALS = 9


def competition_ranks(scores: np.ndarray, decimals: int = RANK_DECIMALS) -> np.ndarray:
    """Rank 1 for the highest score; ties share the best rank and the next ranks are
    skipped (1, 2, 2, 4), as published indices rank.  Missing scores get rank 0.
    Scores equal at ``decimals`` decimals tie.  Works on the last axis."""
    rounded = np.round(scores, decimals)
    valid = ~np.isnan(rounded)
    if scores.ndim == 2 and 0 < scores.shape[-1] <= 2000:
        # a batch of replications: each row sorted from the highest; a score's rank is
        # one more than the position of the first score equal to it
        filled = np.where(valid, rounded, -np.inf)
        order = np.argsort(-filled, axis=-1)
        ordered = np.take_along_axis(filled, order, axis=-1)
        n = filled.shape[-1]
        first = np.ones(ordered.shape, dtype=bool)
        first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        position = np.maximum.accumulate(np.where(first, np.arange(n), 0), axis=-1)
        ranks = np.empty(filled.shape, dtype=np.int64)
        np.put_along_axis(ranks, order, position + 1, axis=-1)
        return np.where(valid, ranks, 0)
    filled = np.where(valid, rounded, -np.inf)
    if filled.shape[-1] == 0:
        return np.zeros(filled.shape, dtype=np.int64)
    # sort once; each score's rank counts the scores above the last one equal to it
    order = np.argsort(filled, axis=-1)
    ordered = np.take_along_axis(filled, order, axis=-1)
    n = scores.shape[-1]
    positions = np.broadcast_to(np.arange(n), ordered.shape)
    last = np.empty(ordered.shape, dtype=bool)
    last[..., -1] = True
    last[..., :-1] = ordered[..., 1:] != ordered[..., :-1]
    end = np.where(last, positions, n)
    end = np.flip(np.minimum.accumulate(np.flip(end, axis=-1), axis=-1), axis=-1)
    above = np.empty(ordered.shape, dtype=np.int64)
    np.put_along_axis(above, order, n - 1 - end, axis=-1)
    return np.where(valid, above + 1, 0).astype(np.int64)


@attrs.frozen
class LevelResult:
    """Scores of every node at one level (units or pairs)."""

    raw: dict[str, np.ndarray]  # indicator -> value before normalisation
    scores: dict[str, np.ndarray]  # node -> score (leaves: normalised indicator)
    ranks: dict[str, np.ndarray]
    fitted: dict[str, dict]  # leaf -> normaliser state; node -> weighting state
    #: leaf -> values after imputation, screening and outlier treatment (what was normalised)
    prepared: dict[str, np.ndarray] = attrs.field(factory=dict)
    #: leaf -> what preparation did: {"imputed": [units], "treatment": {...}}
    preparation: dict[str, dict] = attrs.field(factory=dict)
    #: units left out of the index by `screen` (True), or None when nothing is screened
    screened: np.ndarray | None = None
    #: inner node -> the weights its aggregator was given, one per child in order: the
    #: written weights, or those a weighting scheme chose (with a leading axis of
    #: replications when an analysis varies them)
    weights: dict[str, np.ndarray] = attrs.field(factory=dict)


@attrs.frozen
class Result:
    graph: Graph
    data: Dataset
    units: LevelResult
    pairs: LevelResult | None
    pair_data: PairData | None
    #: what the data did to the method that the user should know (values capped …)
    warnings: tuple = ()


class Evaluator(RunNotes, BatchedEvaluation):
    def __init__(self, graph: Graph, data: Dataset, registry: object = None):
        self._lost: dict[str, Diagnostic] = {}  # indicator -> W403
        self._left_out: dict[tuple, Diagnostic] = {}  # (reduction, level) -> W408
        # ``registry`` is accepted and ignored: the graph carries its bound components
        self.graph = graph
        self.data = data
        self.model = graph.model
        self._scheme_weights: dict[str, np.ndarray] = {}  # unit-level weights, reused per pair
        self._prepared_cache: dict[tuple[int, int], dict[str, np.ndarray]] = {}
        self._nominal: tuple | None = None
        self._failed_options = np.array([], dtype=np.int64)
        #: (leaf, level) -> its normaliser, bound to parameters computed from the data
        self._data_bound: dict[tuple[str, str], Normaliser] = {}
        #: the preparation options of the batch being evaluated (imputer, treatment)
        self._options: tuple = ()
        #: values that are the same in every chunk of an analysis (see `_kept`)
        self._kept_values: dict[tuple, tuple[tuple, np.ndarray]] = {}
        self._batch_keys: dict = {}

    # ---- what compiled expressions ask of the engine -------------------------------
    def column(self, table: str, column: str) -> np.ndarray:
        return np.asarray(self.data.columns[(table, column)])  # a partitioned column: read

    def context(self, level: str) -> Context:
        return Context(self._names(level), True, level)

    def guard(self, fn, span: Span | None, what: str, plugin: str):
        return self._guard(fn, span, what, plugin)

    def _names(self, level: str) -> tuple[str, ...]:
        return self.data.keys if level == "unit" else self.pair_names()

    def partner_aggregate(
        self, how: str, values: np.ndarray, table: str | None, flow: str
    ) -> np.ndarray:
        pairs = self.data.pairs[table]  # the checker has made sure there is one table
        n = self.data.n_units
        values = np.broadcast_to(values, pairs.a.shape).astype(float)
        present = ~np.isnan(values)
        ends = []
        if flow in ("both", "out") or not pairs.spec.directed:
            ends.append(pairs.a)
        if flow in ("both", "in") or not pairs.spec.directed:
            ends.append(pairs.b)
        if how in ("sum", "mean", "count"):
            total = np.zeros(n)
            count = np.zeros(n)
            for end in ends:
                if how == "count":
                    total += np.bincount(
                        end, weights=(present & (values != 0)).astype(float), minlength=n
                    )
                else:
                    total += np.bincount(end, weights=np.where(present, values, 0.0), minlength=n)
                count += np.bincount(end, weights=present.astype(float), minlength=n)
            if how == "mean":
                with np.errstate(invalid="ignore", divide="ignore"):
                    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
            return total
        out = np.full(n, np.nan)
        reducer = np.fmax if how == "max" else np.fmin
        for end in ends:
            reducer.at(out, end[present], values[present])
        return out

    def _array(self, value) -> np.ndarray:
        """An indicator's computed values as floats (an engine keeping them elsewhere,
        such as partitions on a cluster, overrides this)."""
        return np.asarray(value, dtype=float)

    # ---- guarded component calls ---------------------------------------------------------
    def _guard(
        self,
        fn,
        span: Span | None,
        what: str,
        plugin: str,
        secondary=(),
        unit_names: tuple[str, ...] | None = None,
        expect: tuple[tuple[int, ...], np.ndarray | None] | None = None,
    ):
        try:
            out = fn()
            if expect is not None:
                self._check_output(out, expect, span, what, plugin)
            return out
        except ComponentValueError as exc:
            names = unit_names if unit_names is not None else self.data.keys
            notes = ()
            if exc.units:
                shown = [names[u] for u in exc.units[:8] if u < len(names)]
                more = f" and {len(exc.units) - 8} more" if len(exc.units) > 8 else ""
                notes = (f"affected: {', '.join(shown)}{more}",)
            raise DiagnosticError(
                [
                    evaluate_errors.component_refused(
                        what, exc.message, span, secondary, exc.help, notes
                    )
                ]
            ) from None
        except (DiagnosticError, PluginError):
            raise
        except Exception as exc:
            plugin = self.model.providers.get(plugin, plugin)
            raise PluginError(plugin_errors.plugin_raised(what, plugin, exc, span)) from None

    def _check_output(self, out, expect, span: Span | None, what: str, plugin: str) -> None:
        """A component's values must have the expected shape, be finite or NaN, and (for
        normalisers, given the input) be NaN only where the input is missing; otherwise
        the plugin is at fault, not the data (E902, exit code 3)."""
        shape, missing = expect
        values = out[0] if isinstance(out, tuple) else out
        values = np.asarray(values)
        problem = None
        if values.shape != shape:
            problem = f"returned shape {values.shape}, expected {shape}"
        elif not np.issubdtype(values.dtype, np.number):
            problem = f"returned values of type {values.dtype}, expected numbers"
        elif np.isinf(values).any():
            problem = f"returned infinite values for {int(np.isinf(values).sum())} entries"
        elif missing is not None and (np.isnan(values) & ~missing).any():
            count = int((np.isnan(values) & ~missing).sum())
            problem = f"returned NaN for {count} entries whose input is present"
        if problem is not None:
            name = self.model.providers.get(plugin, plugin)
            raise PluginError(evaluate_errors.plugin_returned_bad_values(what, name, problem, span))

    # ---- one level -------------------------------------------------------------------------
    def level(
        self, level: str, variation: Variation | None = None, ranked: tuple[str, ...] | None = None
    ) -> LevelResult:
        """Scores of every node at one level (see :meth:`_level`).  numpy's warnings
        about all-missing slices are silenced: a replication whose alternative failed
        has no scores by design, and is counted in ``variation.failures``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return self._level(level, variation, ranked)

    def _level(
        self, level: str, variation: Variation | None = None, ranked: tuple[str, ...] | None = None
    ) -> LevelResult:
        """Scores of every node at one level; with a ``variation``, every array gains a
        leading axis of replications, all evaluated in one vectorised pass.  ``ranked``
        limits ranking to some nodes (ranking thousands of replications of every node
        is most of the work of an uncertainty analysis that needs the index's only)."""
        self._batch_keys: dict = {}  # keys shared by the nodes of this batch
        raw: dict[str, np.ndarray] = {}
        # node -> scores; in a batch, Keyed rows where replications differ by choices only
        held: dict = {}
        scores = held if variation is None else LazyScores(held)
        fitted: dict[str, dict] = {}
        size = self.data.n_units if level == "unit" else len(self._pathway_data().a)
        names = self.data.keys if level == "unit" else self.pair_names()
        prepared: dict[str, np.ndarray] = {}
        preparation: dict[str, dict] = {}
        available: dict[str, np.ndarray] = {}
        screened = None
        gather = None
        used_weights: dict[str, np.ndarray] = {}
        for step in self.graph.steps:
            if isinstance(step, NormaliseLeaf) and level == "unit" and not preparation:
                # every indicator is computed (they come first): impute, screen, treat
                screened = self._nominal_preparation(raw, names, prepared, preparation, available)
                if variation is not None and (variation.imputers or variation.treatments):
                    # prepared values become (options, units); `gather` picks per replication
                    gather = self._vary_preparation(raw, names, prepared, variation)
            if isinstance(step, ComputeIndicator):
                indicator = self.model.indicators[step.name]
                if level == "pair" and not indicator.has_pair_form:
                    continue
                if variation is not None and level == "unit":  # the same in every chunk
                    value = self._kept(
                        ("raw", step.name),
                        (),
                        functools.partial(self._computed_indicator, step, level, raw),
                    )
                else:
                    value = self._computed_indicator(step, level, raw)
                if variation is None and level == "unit" and indicator.level == "unit":
                    self._lost_values(indicator, value, raw)
                if indicator.level == "pair" and level == "unit":
                    # a value per pair, used inside partner aggregations of other indicators
                    raw[step.name] = value
                else:
                    raw[step.name] = np.broadcast_to(value, (size,))
            elif isinstance(step, NormaliseLeaf):
                node = self.graph.nodes[step.node]
                values = prepared.get(step.node, raw[step.indicator])
                normaliser: Normaliser = step.normaliser
                if step.arguments:
                    normaliser = self._bound_normaliser(step, level, raw)
                oriented = values if step.higher_is_better or normaliser.raw_units else -values
                context = Context(names, step.higher_is_better, level)
                secondary = (
                    (Label(node.span_of("normaliser"), f"`{normaliser.name}` chosen here"),)
                    if node.span_of("normaliser")
                    else ()
                )
                what = f"indicator `{step.indicator}`" + (" (per pair)" if level == "pair" else "")
                normalise = functools.partial(
                    self._guard,
                    functools.partial(normaliser.normalise, oriented, context),
                    self.model.indicators[step.indicator].span,
                    what,
                    type(normaliser).__module__,
                    secondary,
                    names,
                    expect=(np.shape(oriented), np.isnan(oriented)),
                )
                if variation is not None and gather is not None:  # the same each chunk
                    options = tuple(o for pair in self._options for o in pair)
                    normalised, state = self._kept(
                        ("nominal", step.node), (normaliser, *options), normalise
                    )
                else:
                    normalised, state = normalise()
                if variation is not None:
                    normalised = self._vary_leaf(
                        step, values, context, normalised, variation, gather
                    )
                held[step.node] = normalised
                fitted[step.node] = state
            elif isinstance(step, FormulaNode):
                held[step.node] = self._formula(step, level, raw, scores, size, variation)
            elif isinstance(step, AggregateNode):
                node = self.graph.nodes[step.node]
                children = [held[c] for c in step.children]
                weights = step.weights
                if variation is not None:
                    weights = variation.weights.get(step.node, weights)
                key = None  # with Keyed children, the key to the rows of `stacked`
                gathered = None  # the row of `stacked` each replication reads, if not its own
                if variation is not None and all(isinstance(c, Keyed) for c in children):
                    stacked, key = _combine(children)
                    if node.weighting is not None or step.node in variation.weights:
                        # weights per replication: the scores become one row per
                        # replication, gathered by each aggregator for its replications
                        # unless every replication needs them
                        if variation.aggregators and node.missing != "propagate":
                            gathered, key = key, None
                        else:
                            stacked, key = stacked[key], None
                else:
                    stacked = np.stack([_materialise(c) for c in children], axis=-1)
                if node.weighting is not None:
                    weights = self._scheme(node, step, stacked, names, level, fitted)
                used_weights[step.node] = np.asarray(weights, dtype=float)
                secondary = (
                    (Label(node.span_of("aggregator"), f"`{step.aggregator.name}` chosen here"),)
                    if node.span_of("aggregator")
                    else ()
                )
                where = f"node `{step.node}`" + (" (per pair)" if level == "pair" else "")
                if variation is not None and variation.aggregators and key is not None:
                    aggregated, source, key = self._vary_aggregate_keyed(
                        stacked, weights, key, variation
                    )
                    stacked = stacked[source]
                elif variation is not None and variation.aggregators:
                    aggregated = self._vary_aggregate(
                        step.node, stacked, weights, variation, gathered
                    )
                else:
                    aggregated = self._guard(
                        lambda a=step.aggregator, s=stacked, w=weights: a.aggregate(s, w),
                        node.span or self.model.root.span,
                        where,
                        type(step.aggregator).__module__,
                        secondary,
                        names,
                        expect=(stacked.shape[:-1], None),
                    )
                if node.missing == "propagate":
                    # a child weighted 0 takes no part, so its missing score does not count
                    w = np.asarray(weights, dtype=float)
                    w = w[:, None, :] if w.ndim == 2 and stacked.ndim == 3 else w
                    lost = (np.isnan(stacked) & (w != 0)).any(axis=-1)
                    aggregated = np.where(lost, np.nan, aggregated)
                if node.screen is not None and level == "unit" and available:
                    out = self._kept(  # the nominal preparation's: the same each call
                        ("screened", step.node),
                        (),
                        lambda a=available, n=node: (
                            np.mean([a[x] for x in _leaves(n)], axis=0) < n.screen - 1e-12
                        ),
                    )
                    aggregated = np.where(out, np.nan, aggregated)
                if node.rescaler is not None:
                    rescaler = node.rescaler
                    secondary = (
                        (Label(node.span_of("rescaler"), f"`{rescaler.name}` chosen here"),)
                        if node.span_of("rescaler")
                        else ()
                    )
                    aggregated, _ = self._guard(
                        lambda r=rescaler, v=aggregated: r.normalise(
                            v, Context(names, True, level)
                        ),
                        node.span or self.model.root.span,
                        f"rescaling {where}",
                        type(rescaler).__module__,
                        secondary,
                        names,
                        expect=(np.shape(aggregated), np.isnan(aggregated)),
                    )
                held[step.node] = aggregated if key is None else Keyed(aggregated, key)
        wanted = [name for name in held if ranked is None or name in ranked]
        decimals = {name: self._rank_decimals(name) for name in wanted}
        if level == "pair":  # millions of pathways: each node is ranked when first read
            ranked_on = {name: self._ranked_on(name, scores[name]) for name in wanted}
            ranks = LazyRanks(ranked_on, wanted, decimals)
        else:
            ranks = {name: self._ranks(name, held[name], decimals[name]) for name in wanted}
        return LevelResult(
            raw, scores, ranks, fitted, prepared, preparation, screened, used_weights
        )

    def _computed_indicator(self, step, level, raw) -> np.ndarray:
        return self._array(step.compute(self, level, raw))

    def _ranks(self, name: str, scores, decimals: int) -> np.ndarray:
        """Competition ranks of a node's scores; of Keyed scores, each row ranked once."""
        if isinstance(scores, Keyed):
            return competition_ranks(self._ranked_on(name, scores.rows), decimals)[scores.key]
        return competition_ranks(self._ranked_on(name, scores), decimals)

    def _formula(self, step, level, raw, scores, size, variation) -> np.ndarray:
        """A formula node's scores: its expression over the scores computed so far (the
        checker made sure those it reads come first) and the indicators' values; a
        missing input gives a missing score."""
        values = step.compute(self, level, {**raw, **scores})
        shape = (size,) if variation is None else (variation.size, size)
        out = np.array(np.broadcast_to(np.asarray(values, dtype=float), shape))
        node = self.graph.nodes[step.node]
        if node.rescaler is not None:
            names = self._names(level)
            out, _ = self._guard(
                lambda r=node.rescaler, v=out: r.normalise(v, Context(names, True, level)),
                node.span,
                f"rescaling node `{step.node}`",
                type(node.rescaler).__module__,
                (),
                names,
                expect=(np.shape(out), np.isnan(out)),
            )
        return out

    # ---- preparing the data: imputation, screening, outlier treatment -----------------------
    def prepare(
        self,
        raw,
        names,
        prepared,
        preparation,
        available,
        imputer_override=NOMINAL,
        treatment_override=NOMINAL,
        logged: bool = True,
    ) -> np.ndarray | None:
        """Fill, screen and treat every leaf's values, in COINr's order: imputation, then
        screening of units by the data they have, then outlier treatment (whose
        statistics are those of the units that stay).  Returns the screened-out units.

        The overrides replace the imputer and the treatment of every leaf that has one
        (the alternatives of an uncertainty analysis).  Without ``logged``, the
        treatment log is not wanted: a transform's ``apply`` runs, not its
        ``apply_with_state`` (the same values, without the statistics of the log)."""
        leaves = [n for n in self.graph.nodes.values() if n.is_leaf]
        # auxiliary nodes never decide which units the index screens out
        in_index = {n.name for n in self.model.root.walk_index() if n.is_leaf}
        groups = self.data.groups
        for node in leaves:
            values = np.asarray(raw[node.indicator], dtype=float)
            log: dict = {}
            imputer = node.imputer
            if imputer is not None and imputer_override is not NOMINAL:
                imputer = imputer_override
            if imputer is not None and np.isnan(values).any():
                history = self._history(node) if node.history else None
                context = Context(names, True, "unit", groups=groups, history=history)
                filled, state = self._guard(
                    lambda i=imputer, v=values, c=context: i.impute(v, c),
                    self.model.indicators[node.indicator].span,
                    f"imputing `{node.indicator}` with `{imputer.name}`",
                    type(imputer).__module__,
                    (Label(node.span_of("imputer"), f"`{imputer.name}` chosen here"),)
                    if node.span_of("imputer")
                    else (),
                    names,
                )
                filled = np.where(np.isnan(values), filled, values)  # present values stay
                log["imputed"] = [
                    int(i) for i in np.flatnonzero(np.isnan(values) & ~np.isnan(filled))
                ]
                log["imputation"] = {"method": imputer.describe(), **state}
                values = filled
            available[node.name] = ~np.isnan(values)
            prepared[node.name] = values
            preparation[node.name] = log
        screened = None
        root = self.model.root
        if root.screen is not None and in_index:
            share = np.mean([available[n] for n in in_index], axis=0)
            screened = share < root.screen - 1e-12
            if screened.all():
                raise DiagnosticError(
                    [
                        evaluate_errors.screen_leaves_no_unit(
                            root.screen, share.max(), root.span_of("screen")
                        )
                    ]
                )
            for node in leaves:
                prepared[node.name] = np.where(screened, np.nan, prepared[node.name])
        for node in leaves:
            treatment = node.treatment
            if treatment is not None and treatment_override is not NOMINAL:
                treatment = treatment_override
            if treatment is None:
                continue
            values = prepared[node.name]
            treated, state = self._guard(
                functools.partial(_treat, treatment, values, logged),
                self.model.indicators[node.indicator].span,
                f"treating `{node.indicator}` with `{treatment.name}`",
                type(treatment.transform).__module__,
                (Label(node.span_of("treatment"), f"`{treatment.name}` chosen here"),)
                if node.span_of("treatment")
                else (),
                names,
            )
            prepared[node.name] = np.asarray(treated, dtype=float)
            preparation[node.name]["treatment"] = {"method": treatment.describe(), **state}
        return screened

    def _history(self, node) -> np.ndarray:
        """The leaf's indicator in earlier editions, nearest first, shape (editions,
        units); an edition whose columns the data lack is all missing (W306 said so)."""
        rows = []
        for _, expr in node.history:
            refs = columns_read(expr)
            if all((r.table, r.column) in self.data.columns for r in refs):
                value = np.asarray(compile_expression(expr)(self, "unit", {}), dtype=float)
                rows.append(np.broadcast_to(value, (self.data.n_units,)))
            else:
                rows.append(np.full(self.data.n_units, np.nan))
        return np.stack(rows)

    def _nominal_preparation(self, raw, names, prepared, preparation, available):
        """The nominal preparation, done once per evaluator: the raw unit values never
        change between calls (the replications of an analysis vary what comes after)."""
        if self._nominal is None:
            p: dict = {}
            log: dict = {}
            avail: dict = {}
            screened = self.prepare(raw, names, p, log, avail)
            self._nominal = (p, log, avail, screened)
        p, log, avail, screened = self._nominal
        prepared.update(p)
        preparation.update(log)
        available.update(avail)
        return screened

    def _scheme(self, node, step, stacked, names, level, fitted) -> np.ndarray:
        """Weights from the node's weighting scheme.  Pathways reuse the weights found
        for the units, so that a pair and its cities are weighted alike."""
        if level == "pair" and step.node in self._scheme_weights:
            return self._scheme_weights[step.node]
        scheme = node.weighting
        weights, state = self._guard(
            lambda: scheme.weights(
                stacked, Context(names, True, level, children=tuple(step.children))
            ),
            node.span or self.model.root.span,
            f"weights of `{step.node}` by `{scheme.name}`",
            type(scheme).__module__,
            (Label(node.span_of("weighting"), f"`{scheme.name}` chosen here"),)
            if node.span_of("weighting")
            else (),
            names,
        )
        weights = np.asarray(weights, dtype=float)
        if weights.shape[-1] != len(step.children) or not np.all(np.isfinite(weights)):
            raise PluginError(
                evaluate_errors.plugin_returned_bad_values(
                    "",
                    "",
                    "",
                    node.span_of("weighting"),
                    weights=(scheme.name, weights.shape[-1], len(step.children), step.node),
                )
            )
        if level == "unit" and weights.ndim == 1:
            self._scheme_weights[step.node] = weights
            fitted[step.node] = {
                "weighting": scheme.describe(),
                "weights": dict(zip(step.children, weights.tolist(), strict=True)),
                **state,
            }
        return weights

    def _bound_normaliser(self, step: NormaliseLeaf, level: str, raw) -> Normaliser:
        """A leaf's normaliser with its parameters computed from the indicators' values
        (before imputation and treatment), once per level: the data do not change
        between the evaluations of one evaluator."""
        key = (step.node, level)
        if key not in self._data_bound:
            computed = {name: f(self, level, raw) for name, f in step.arguments}
            node = self.graph.nodes[step.node]
            written = step.normaliser
            self._data_bound[key] = self._guard(
                lambda: bind_computed(written.cls, written.values, computed),
                node.span_of("normaliser") or self.model.indicators[step.indicator].span,
                f"`{step.normaliser.name}`",
                step.normaliser.plugin,
            )
        return self._data_bound[key]

    def _pathway_data(self) -> PairData:
        return self.data.pairs[self.model.pathways]

    def pair_names(self) -> PairNames:
        pairs = self._pathway_data()
        return PairNames(self.data.keys, pairs.a, pairs.b, pairs.spec.directed)

    def run(self) -> Result:
        try:
            units = self.level("unit")
        except DiagnosticError as exc:  # the values lost on the way explain it best
            raise DiagnosticError((*self._lost.values(), *exc.diagnostics)) from None
        pairs = pair_data = None
        if self.model.pathways:
            pairs = self.level("pair")
            pair_data = self._pathway_data()
        notes = self.capped(units) + tuple(self._lost.values()) + self.skipped(units)
        notes += tuple(self._left_out.values())
        notes += self.overfull_tiers(units)
        return Result(self.graph, self.data, units, pairs, pair_data, notes)

    def _ranked_on(self, name: str, scores: np.ndarray) -> np.ndarray:
        """What a node is ranked on: its scores; their negation where lower is better
        (the lowest ranks first); minus their distance to the target with `best at`
        (the nearest ranks first: parity at 1)."""
        node = self.graph.nodes.get(name)
        target = getattr(node, "best_at", None)
        if target is not None:
            return -np.abs(scores - target)
        return scores if self._higher_is_better(name) else -scores

    def _higher_is_better(self, name: str) -> bool:
        node = self.graph.nodes.get(name)
        return node is None or node.is_leaf or getattr(node, "higher_is_better", True)

    def _rank_decimals(self, name: str) -> int:
        """The decimals a node's scores are ranked at: its `rank at N decimals`, else
        full precision (less floating-point noise)."""
        node = self.graph.nodes.get(name)
        chosen = getattr(node, "rank_decimals", None)
        return RANK_DECIMALS if chosen is None else chosen


class LazyRanks(Mapping):
    """Competition ranks of each node's scores, computed when first read."""

    def __init__(self, scores: dict[str, np.ndarray], names: list[str], decimals: dict):
        self._scores = scores
        self._names = names
        self._decimals = decimals
        self._ranks: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._ranks:
            self._ranks[name] = competition_ranks(self._scores[name], self._decimals[name])
        return self._ranks[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class PairNames(Sequence):
    """``a – b`` (``a → b`` when directed) for each pathway, made when asked for: a
    pathway index over thousands of units has millions of pairs."""

    def __init__(self, keys, a: np.ndarray, b: np.ndarray, directed: bool):
        self.keys, self.a, self.b = keys, a, b
        self.sep = " → " if directed else " – "

    def __len__(self) -> int:
        return len(self.a)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        return f"{self.keys[self.a[index]]}{self.sep}{self.keys[self.b[index]]}"

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None


def _treat(treatment, values: np.ndarray, logged: bool):
    """A treatment's values and, when ``logged``, what it did."""
    if logged:
        return treatment.transform.apply_with_state(values, **treatment.arguments)
    return treatment.transform.apply(values, **treatment.arguments), {}


def _leaves(node) -> list[str]:
    return [n.name for n in node.walk_index() if n.is_leaf]


def with_references(graph: Graph, data: Dataset) -> Dataset:
    """The data with the references written as expressions computed per unit
    (`reference scores round(country.hdi_{year} * 100, 1)`), beside those read from a
    column.  A value that cannot be computed is missing, as an empty cell is."""
    if not data.pending_references:
        return data
    engine = Evaluator(graph, data)
    found = {
        "reference": dict(data.references),
        "reference_scores": dict(data.reference_scores),
        "previous": dict(data.previous),
    }
    for (kind, node), decimals in data.pending_references.items():
        compute = graph.references.get((kind, node))
        if compute is None:
            continue
        with np.errstate(all="ignore"):
            values = np.asarray(compute(engine, "unit", {}), dtype=float)
        values = np.array(np.broadcast_to(values, (data.n_units,)), dtype=float)
        values[~np.isfinite(values)] = np.nan
        found[kind][node] = (values, decimals) if kind == "reference_scores" else values
    return attrs.evolve(
        data,
        references=found["reference"],
        reference_scores=found["reference_scores"],
        previous=found["previous"],
        pending_references={},
    )


def evaluate(graph: Graph, data: Dataset, registry: object = None) -> Result:
    """Every score and rank of the graph on the data (``registry`` is ignored: the
    graph's components are bound at compile time)."""
    return Evaluator(graph, data).run()
