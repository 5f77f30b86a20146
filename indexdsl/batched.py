"""Batched replications: the evaluator's machinery for thousands of variations of an
index in one pass (uncertainty and sensitivity analyses).

A :class:`Variation` says what differs between replications: weights per
replication, alternative normalisers, aggregators, imputers and treatments chosen
per replication, a leaf left out.  Replications that differ only in discrete choices
share their values: :class:`Keyed` holds one row per choice and, per replication,
the row it takes, until the first node whose weights vary; :class:`LazyScores` makes
each node's (replications, units) array only when it is read.  The methods here are
those of :class:`indexdsl.evaluate.Evaluator` that only a batched evaluation uses,
kept apart so that the one-evaluation path reads on its own.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np

from indexdsl.components import ComponentValueError
from indexdsl.diagnostics import DiagnosticError

#: "the index's own choice", as opposed to an alternative of an uncertainty analysis
NOMINAL = object()
#: marks a preparation option that failed (the key holds the reason)
FAILED = "\0failed"


@attrs.define
class Variation:
    """Replications of an index that differ in their uncertain inputs.

    ``weights`` maps a node to (size, children) weights; ``normalisers`` and
    ``aggregators`` are alternatives chosen per replication by the index arrays
    ``normaliser_choice`` / ``aggregator_choice``; ``excluded`` names, per replication,
    the leaf left out (an index into ``leaves``; -1 for none).  ``failures`` collects how
    replications an alternative could not evaluate, and why.
    """

    size: int
    weights: dict[str, np.ndarray] = attrs.field(factory=dict)
    normalisers: tuple = ()
    normaliser_choice: np.ndarray | None = None
    aggregators: tuple = ()
    aggregator_choice: np.ndarray | None = None
    excluded: np.ndarray | None = None
    imputers: tuple = ()
    imputer_choice: np.ndarray | None = None
    treatments: tuple = ()  # Treatment, or None for no treatment
    treatment_choice: np.ndarray | None = None
    leaves: tuple[str, ...] = ()
    # reason -> replications (numbered from 0 over all chunks) that could not be evaluated
    failures: dict[str, set[int]] = attrs.field(factory=dict)
    offset: int = 0  # number of the first replication, when this is a chunk of a larger run


class Keyed:
    """Scores of a batch of replications held once per distinct choice: ``rows``
    (choices, units) and, per replication, the row it takes (``key``).  The leaves of
    a batch differ only by discrete choices (a normaliser, a preparation option), and
    so do the nodes above them up to the first whose weights vary per replication: a
    handful of rows stand for thousands of replications until then."""

    __slots__ = ("rows", "key")

    def __init__(self, rows: np.ndarray, key: np.ndarray):
        self.rows, self.key = rows, key

    def materialise(self) -> np.ndarray:
        return self.rows[self.key]


def _materialise(value):
    return value.materialise() if isinstance(value, Keyed) else value


def _combine(children: list[Keyed]) -> tuple[np.ndarray, np.ndarray]:
    """The children's rows side by side, (choices, units, children), one row per
    combination of their choices that some replication takes, and the key to them."""
    key = children[0].key
    if all(c.key is key or np.array_equal(c.key, key) for c in children[1:]):
        return np.stack([c.rows for c in children], axis=-1), key
    codes = np.stack([c.key for c in children], axis=1)
    distinct, key = np.unique(codes, axis=0, return_inverse=True)
    stacked = np.stack([c.rows[distinct[:, i]] for i, c in enumerate(children)], axis=-1)
    return stacked, key.reshape(-1)


class LazyScores(Mapping):
    """The scores of a batch of replications, (replications, units) arrays, each made
    from its :class:`Keyed` rows when first read."""

    def __init__(self, held: dict):
        self._held = held

    def __getitem__(self, name: str) -> np.ndarray:
        value = self._held[name]
        if isinstance(value, Keyed):
            value = self._held[name] = value.materialise()
        return value

    def __iter__(self):
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)


class BatchedEvaluation:
    """Mixin of :class:`~indexdsl.evaluate.Evaluator`: the steps of a batched evaluation."""

    def _vary_preparation(self, raw, names, prepared, variation: Variation) -> np.ndarray:
        """Each leaf's prepared values per option: every combination of imputer and
        treatment alternatives is prepared once (and kept for later chunks); returns,
        per replication, the number of its combination."""
        imputers = variation.imputers or (NOMINAL,)
        treatments = variation.treatments or (NOMINAL,)
        options: dict[str, list[np.ndarray]] = {name: [] for name in prepared}
        failed: dict[int, str] = {}  # combination -> why it could not be prepared
        for imputer in imputers:
            for treatment in treatments:
                key = (id(imputer), id(treatment))
                if key not in self._prepared_cache:
                    values: dict[str, np.ndarray] = {}
                    try:
                        self.prepare(raw, names, values, {}, {}, imputer, treatment, False)
                    except DiagnosticError as exc:
                        # an alternative that fails on these data: its replications get
                        # no scores, and are counted with the reason
                        # (the nominal values stand in, so that normalisers fitted on all
                        # options at once still work; the scores are dropped in _vary_leaf)
                        values = dict(prepared)
                        values[FAILED] = exc.diagnostics[0].message
                    self._prepared_cache[key] = values
                cached = self._prepared_cache[key]
                if FAILED in cached:
                    failed[len(options[next(iter(options))])] = cached[FAILED]
                for name in options:
                    options[name].append(cached[name])
        imputer_choice = (
            variation.imputer_choice
            if variation.imputers
            else np.zeros(variation.size, dtype=np.int64)
        )
        treatment_choice = (
            variation.treatment_choice
            if variation.treatments
            else np.zeros(variation.size, dtype=np.int64)
        )
        for name, values in options.items():
            prepared[name] = np.stack(values)
        combination = imputer_choice * len(treatments) + treatment_choice
        self._options = tuple(
            (imputer, treatment) for imputer in imputers for treatment in treatments
        )
        self._failed_options = np.array(sorted(failed), dtype=np.int64)
        for index, reason in failed.items():
            rows = np.nonzero(combination == index)[0] + variation.offset
            if rows.size:
                variation.failures.setdefault(reason, set()).update(rows.tolist())
        return combination

    def _vary_leaf(
        self, step, values, context, nominal, variation: Variation, gather=None
    ) -> Keyed:
        """A leaf's scores per replication: the chosen alternative normaliser, and no
        score at all in the replications that exclude this indicator.  With ``gather``,
        ``values`` and ``nominal`` hold one row per preparation option (imputer and
        treatment alternatives) and ``gather`` says which row each replication uses: a
        handful of options are normalised, not thousands of replications.  The scores
        are Keyed: one row per normaliser and preparation option (and a row of NaN for
        the replications that leave the leaf out)."""
        normalisers = variation.normalisers
        if gather is None and normalisers:
            rows = self._normalised_rows(step, values, context, normalisers, (), False)
            key = variation.normaliser_choice
        elif gather is None:
            rows = nominal[None]
            key = np.zeros(variation.size, dtype=np.int64)
        else:  # rows: (normalisers, preparation options, units) as (choices, units)
            rows = self._normalised_rows(step, values, context, normalisers, nominal, True)
            key = self._batch_keys.get("leaves")
            if key is None:  # the same for every leaf of the batch
                options = len(self._options)
                chosen = variation.normaliser_choice if normalisers else 0
                key = self._batch_keys["leaves"] = chosen * options + gather
        if variation.excluded is not None:
            leaf = variation.leaves.index(step.node)
            rows = np.concatenate([rows, np.full((1, rows.shape[-1]), np.nan)])
            key = np.where(variation.excluded == leaf, len(rows) - 1, key)
        return Keyed(rows, np.asarray(key, dtype=np.int64))

    def _normalised_rows(self, step, values, context, normalisers, nominal, prepared):
        """A leaf's scores under each alternative normaliser (or its own, ``nominal``)
        and, when ``prepared``, each preparation option: (choices, units).  At unit
        level they are kept for the later chunks of the analysis."""
        options = tuple(o for pair in self._options for o in pair) if prepared else ()
        return self._kept(
            ("rows", step.node, context.level),
            (*normalisers, *options),
            lambda: self._normalise_rows(step, values, context, normalisers, nominal, prepared),
            context.level == "unit",
        )

    def _kept(self, name: tuple, used: tuple, compute, keep: bool = True):
        """``compute()``, kept for the later chunks of an analysis under ``name`` and
        the alternatives it used (compared by identity: the same objects on the same
        data give the same values)."""
        cache = (*name, *map(id, used))
        kept = self._kept_values.get(cache)
        if kept is not None and all(a is b for a, b in zip(kept[0], used, strict=True)):
            return kept[1]
        value = compute()
        if keep:
            self._kept_values[cache] = (used, value)
        return value

    def _normalise_rows(self, step, values, context, normalisers, nominal, prepared):
        if normalisers:
            options = []
            for normaliser in normalisers:
                keep = step.higher_is_better or normaliser.raw_units  # direction handled once
                options.append(normaliser.normalise(values if keep else -values, context)[0])
            rows = np.stack(options)
        else:
            rows = np.asarray(nominal)[None]
        if prepared:
            if self._failed_options.size:  # a preparation option that failed
                rows = rows.copy()
                rows[:, self._failed_options] = np.nan
            rows = rows.reshape(-1, rows.shape[-1])
        return rows

    def _vary_aggregate(
        self, node: str, stacked, weights, variation: Variation, gathered=None
    ) -> np.ndarray:
        """The chosen aggregator per replication.  An alternative that fails (a zero under
        a geometric mean) leaves its replications without scores, counted by reason.
        With ``gathered``, replication r's scores are ``stacked[gathered[r]]``."""
        out = np.full((variation.size, *stacked.shape[1:-1]), np.nan)
        for index, aggregator in enumerate(variation.aggregators):
            chosen = np.nonzero(variation.aggregator_choice == index)[0]
            if chosen.size:
                self._aggregate_rows(aggregator, stacked, weights, chosen, out, variation, gathered)
        return out

    def _vary_aggregate_keyed(self, stacked, weights, key, variation: Variation):
        """The chosen aggregator per replication, over Keyed children: each combination
        of a row of ``stacked`` and an aggregator that some replication takes is
        aggregated once.  Returns the rows, the row of ``stacked`` each comes from, and
        the key to them."""
        count = stacked.shape[0]
        shared = ("aggregators", id(key), count)  # nodes whose children share a key
        if shared not in self._batch_keys:
            used, inverse = np.unique(
                variation.aggregator_choice * count + key, return_inverse=True
            )
            self._batch_keys[shared] = (key, used, inverse.reshape(-1))
        _, used, key = self._batch_keys[shared]
        source = used % count
        out = np.full((used.size, *stacked.shape[1:-1]), np.nan)
        for index, aggregator in enumerate(variation.aggregators):
            chosen = np.nonzero(used // count == index)[0]
            if chosen.size:
                self._aggregate_rows(
                    aggregator, stacked, weights, chosen, out, variation, source, key
                )
        return out, source, key

    def _aggregate_rows(
        self, aggregator, stacked, weights, rows, out, variation, source=None, key=None
    ) -> None:
        """Aggregate the replications ``rows`` in one call; when the aggregator refuses
        them (one of them has a zero under a geometric mean), halve and try again, so
        that only the replications that fail on their own are left without scores and
        counted (a few more calls, and only when something fails).  With ``source``,
        row r of ``out`` aggregates ``stacked[source[r]]`` (its weights stay
        ``weights[r]``); with ``key`` too, ``rows`` are Keyed rows, and row r stands for
        the replications whose ``key`` is r."""
        taken = rows if source is None else source[rows]
        w = weights[rows] if np.ndim(weights) == 2 else weights  # per replication
        try:
            out[rows] = aggregator.aggregate(stacked[taken], w)
        except ComponentValueError as exc:
            if rows.size == 1:
                reason = f"`{aggregator.describe()}`: {exc.message}"
                failed = rows if key is None else np.nonzero(key == rows[0])[0]
                variation.failures.setdefault(reason, set()).update(
                    int(r) + variation.offset for r in failed
                )
                return
            half = rows.size // 2
            for part in (rows[:half], rows[half:]):
                self._aggregate_rows(
                    aggregator, stacked, weights, part, out, variation, source, key
                )
