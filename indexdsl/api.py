"""The Python API: compute an index from a script or a notebook.

>>> import indexdsl
>>> index = indexdsl.load("indices/hdi.idx", year=2015)   # parameters as keywords
>>> index.check()                                          # diagnostics; raises nothing
[]
>>> results = index.run()
>>> results.scores()["NOR"], results.ranks("education")["NOR"]
>>> results.to_pandas()["units"]                           # when pandas is installed

``load`` reads and checks the definition at once but keeps its errors: ``check()``
returns them with the warnings (and those about the data), while ``model`` and
``run()`` raise :class:`InvalidIndexError`, whose message is every diagnostic
rendered as the command line prints it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from indexdsl.data import Dataset
from indexdsl.diagnostics import (
    Diagnostic,
    DiagnosticError,
    PluginError,
    SourceMap,
    render_all,
    suggest,
)
from indexdsl.evaluate import Result
from indexdsl.model import IndexModel
from indexdsl.pipeline import Session, check_file, evaluate_model
from indexdsl.pipeline import load as load_dataset

__all__ = ["Index", "InvalidIndexError", "Results", "load"]


class InvalidIndexError(DiagnosticError):
    """The index file or its data have errors; ``diagnostics`` holds them (and the
    warnings found before), and ``str()`` renders them with their source lines."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: SourceMap | None = None):
        super().__init__(diagnostics)
        self.sources = sources or SourceMap()

    def __str__(self) -> str:
        return render_all(self.diagnostics, self.sources)


def load(path: str | PathLike[str], **parameters: Any) -> Index:
    """Read and check the index file at ``path``; keyword arguments change its
    ``parameter`` values (``year=2015``), as ``--set`` does on the command line."""
    return Index(path, parameters)


class Index:
    """An index file, read and checked; computed by :meth:`run`."""

    def __init__(
        self,
        path: str | PathLike[str],
        parameters: dict[str, Any] | None = None,
        *,
        session: Session | None = None,
    ):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(
                f"index file `{self.path}` does not exist"
                if not self.path.exists()
                else f"`{self.path}` is not a file"
            )
        self.parameters = {k: _parameter_text(v) for k, v in (parameters or {}).items()}
        self._session = session or Session()
        self._model: IndexModel | None = None
        self._errors: tuple[Diagnostic, ...] = ()
        self._data: Dataset | None = None
        self._data_checked = False
        try:
            # a `parameters` name the file does not declare raises UsageError here
            self._model = check_file(self.path, self._session, self.parameters)
        except DiagnosticError as exc:
            self._errors = exc.diagnostics
        except PluginError as exc:
            self._errors = (exc.diagnostic,)

    # ---- what the file says -------------------------------------------------------------
    @property
    def ok(self) -> bool:
        """Whether the definition and its data have no errors: what :meth:`check`
        finds (reading the data once)."""
        return not any(d.is_error for d in self.check())

    @property
    def model(self) -> IndexModel:
        """The checked definition; raises :class:`InvalidIndexError` if it has errors."""
        if self._model is None:
            raise self._error()
        return self._model

    @property
    def name(self) -> str:
        return self.model.meta.name

    @property
    def title(self) -> str:
        return self.model.meta.title

    @property
    def warnings(self) -> list[Diagnostic]:
        return list(self._session.warnings)

    def check(self) -> list[Diagnostic]:
        """Every problem of the definition and of its data, warnings included, in the
        order found.  Raises nothing for them; an empty list means all is well."""
        if self._model is not None and not self._data_checked:
            self._data_checked = True
            try:
                self._data = load_dataset(self._model, self.path, self._session)
            except DiagnosticError as exc:
                self._errors = exc.diagnostics
            except PluginError as exc:
                self._errors = (exc.diagnostic,)
        return [*self._session.warnings, *self._errors]

    def format(self, diagnostics: Sequence[Diagnostic] | None = None) -> str:
        """Diagnostics (by default those of :meth:`check`) rendered as text, with the
        source lines they point at."""
        shown = self.check() if diagnostics is None else diagnostics
        return render_all(shown, self._session.sources)

    def graph(self, format: str = "dot") -> str:
        """The computation graph as Graphviz DOT (``"dot"``) or Mermaid (``"mermaid"``)."""
        from indexdsl.output.graphviz import render

        return render(self.model, format)

    def plot(self, kind: str, *nodes: str, out: str | PathLike[str] | None = None, **options):
        """A figure (:class:`matplotlib.figure.Figure`) of this index: ``"framework"``
        is drawn from the definition alone (``style="tree"`` or ``"sunburst"``); the
        other kinds run the index first (see :meth:`Results.plot`).  With ``out``
        (``.svg`` or ``.png``) the figure is also written there, as ``indexdsl plot``
        writes it."""
        if kind != "framework":
            return self.run().plot(kind, *nodes, out=out, **options)
        plots = _plots()
        if nodes:
            raise ValueError(f"`plot framework` takes no node, not {len(nodes)}")
        return _plotted(lambda: plots.plot_framework(self.model, **options), out)

    # ---- computing ------------------------------------------------------------------------
    def run(self) -> Results:
        """Compute every score and rank.  Raises :class:`InvalidIndexError` when the
        definition or the data have errors, or a method cannot use the data."""
        self.check()
        if self._errors:
            raise self._error()
        assert self._model is not None and self._data is not None
        try:
            result = evaluate_model(self._model, self._data)
        except DiagnosticError as exc:
            raise InvalidIndexError(
                [*self._session.warnings, *exc.diagnostics], self._session.sources
            ) from None
        return Results(result, self._session.warnings)

    def _error(self) -> InvalidIndexError:
        return InvalidIndexError([*self._session.warnings, *self._errors], self._session.sources)

    def __repr__(self) -> str:
        if self._model is None:
            errors = sum(d.is_error for d in self._errors)
            return f"<Index {str(self.path)!r}: {errors} error{'s' if errors != 1 else ''}>"
        leaves = sum(1 for n in self._model.root.walk() if n.is_leaf)
        return (
            f"<Index {self._model.meta.name} {self._model.meta.title!r} from "
            f"{str(self.path)!r}: {leaves} indicators>"
        )

    def _repr_html_(self) -> str:
        """In a notebook: the framework as a nested list, each node with its title,
        name, weight and method (or the errors, as `check` prints them); every text
        from the file escaped."""
        if self._model is None:
            return f"<pre>{html.escape(self.format())}</pre>"
        model = self._model

        def item(node) -> str:
            method = ""
            if node.is_leaf:
                indicator = model.indicators.get(node.indicator)
                if indicator is not None and not indicator.higher_is_better:
                    method = " · lower is better"
            elif node.formula_text:
                method = f" · <code>= {html.escape(node.formula_text)}</code>"
            weight = "" if node is model.root else f" {html.escape(node.weight_text)}"
            children = [*node.children, *node.inputs]
            inner = "".join(item(c) for c in children)
            auxiliary = " (auxiliary)" if node.auxiliary else ""
            return (
                f"<li><b>{html.escape(node.title)}</b> <code>{html.escape(node.name)}</code>"
                f"{weight}{method}{auxiliary}" + (f"<ul>{inner}</ul>" if inner else "") + "</li>"
            )

        leaves = sum(1 for n in model.root.walk() if n.is_leaf)
        return (
            f"<p>{html.escape(model.meta.title)}: {leaves} indicators, from "
            f"<code>{html.escape(str(self.path))}</code></p><ul>{item(model.root)}</ul>"
        )


def _parameter_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Results:
    """Scores and ranks of every node, for every unit (and pathway), of one run.

    Scores are floats (NaN where a unit has none); ranks are integers, 1 for the best,
    tied units sharing a rank, and 0 for a unit that is not ranked.  ``node`` defaults
    to the index itself (the root of the framework).
    """

    def __init__(self, result: Result, warnings: Sequence[Diagnostic] = ()):
        self.result = result
        self.warnings = list(warnings)

    # ---- what there is ---------------------------------------------------------------------
    @property
    def model(self) -> IndexModel:
        return self.result.graph.model

    @property
    def name(self) -> str:
        return self.result.graph.root

    @property
    def units(self) -> tuple[str, ...]:
        """Unit keys, in the order of the data file."""
        return self.result.data.keys

    @property
    def labels(self) -> dict[str, str]:
        return dict(zip(self.result.data.keys, self.result.data.labels, strict=True))

    @property
    def nodes(self) -> tuple[str, ...]:
        """Every node of the hierarchy, parents before children, the index first."""
        return self.result.graph.node_order

    @property
    def indicators(self) -> tuple[str, ...]:
        """The indicators of the framework (its leaves)."""
        return tuple(n for n in self.nodes if self.result.graph.nodes[n].is_leaf)

    def _node(self, node: str | None) -> str:
        if node is None:
            return self.name
        if node not in self.result.graph.nodes:
            hints = suggest(node, self.nodes)
            raise KeyError(
                f"no node `{node}` in index `{self.name}`"
                + (f"; did you mean `{hints[0]}`?" if hints else "")
            )
        return node

    # ---- values ------------------------------------------------------------------------------
    def array(self, node: str | None = None, what: str = "score") -> np.ndarray:
        """A read-only numpy array over :attr:`units`: ``what`` is ``"score"``,
        ``"rank"`` or ``"raw"`` (an indicator's value before normalisation)."""
        level = self.result.units
        node = self._node(node)
        if what == "score":
            values = level.scores[node]
        elif what == "rank":
            values = level.ranks[node]
        elif what == "raw":
            spec = self.result.graph.nodes[node]
            if not spec.is_leaf:
                raise ValueError(f"`{node}` is not an indicator, so it has no raw values")
            values = level.raw[spec.indicator]
        else:
            raise ValueError(f'`what` is "score", "rank" or "raw", not {what!r}')
        out = np.array(values, copy=True)
        out.setflags(write=False)
        return out

    def scores(self, node: str | None = None) -> dict[str, float]:
        """Unit key → score at ``node`` (the index by default)."""
        return dict(zip(self.units, self.array(node, "score").tolist(), strict=True))

    def ranks(self, node: str | None = None) -> dict[str, int]:
        """Unit key → rank at ``node`` (the index by default); 0: not ranked."""
        return dict(zip(self.units, self.array(node, "rank").tolist(), strict=True))

    def raw(self, indicator: str) -> dict[str, float]:
        """Unit key → an indicator's value before normalisation."""
        return dict(zip(self.units, self.array(indicator, "raw").tolist(), strict=True))

    def _pairs(self):
        if self.result.pairs is None:
            raise ValueError(
                f"index `{self.name}` scores no pathways (its framework has no `pathways`)"
            )
        pairs = self.result.pair_data
        keys = self.result.data.keys
        return [(keys[a], keys[b]) for a, b in zip(pairs.a, pairs.b, strict=True)]

    def pathways(self, node: str | None = None) -> dict[tuple[str, str], float]:
        """(unit key, unit key) → pathway score at ``node``; raises ValueError when
        the index scores no pathways."""
        pairs = self._pairs()
        node = self._node(node)
        return dict(zip(pairs, self.result.pairs.scores[node].tolist(), strict=True))

    def pathway_ranks(self, node: str | None = None) -> dict[tuple[str, str], int]:
        pairs = self._pairs()
        node = self._node(node)
        return dict(zip(pairs, self.result.pairs.ranks[node].tolist(), strict=True))

    def explain(self, unit: str, rivals: int = 2):
        """Why ``unit`` (a key or a label) ranks where it does: an
        :class:`indexdsl.analyses.explain.Explanation`.  Raises KeyError for an unknown unit."""
        from indexdsl.analyses.explain import explain, unit_index

        try:
            position = unit_index(self.result, unit)
        except DiagnosticError as exc:
            diagnostic = exc.diagnostics[0]
            raise KeyError(
                diagnostic.message + (f"; {diagnostic.help}" if diagnostic.help else "")
            ) from None
        return explain(self.result, position, rivals)

    def fit(
        self,
        against: str,
        node: str | None = None,
        *,
        ranks: bool = False,
        bootstrap: int = 0,
        seed: int = 1,
    ):
        """The non-negative weights, summing to one, of the children of ``node`` (the
        index by default) that best reproduce the published scores (or, with ``ranks``,
        ranks) in column ``against`` of the units table: an
        :class:`indexdsl.analyses.fitting.WeightFit` with the goodness of fit and, with
        ``bootstrap`` > 0, a 95 % interval per weight.  Needs scipy (the ``stats``
        extra); raises :class:`InvalidIndexError` for an unknown node or column."""
        from indexdsl.analyses.fitting import fit_weights

        try:
            return fit_weights(
                self.result,
                node,
                against,
                ranks=ranks,
                bootstrap=bootstrap,
                seed=seed,
                evaluate=evaluate_model,
            )
        except DiagnosticError as exc:
            raise InvalidIndexError(exc.diagnostics) from None

    def statistics(self, min_coverage: float | None = None):
        """Statistics and data quality of the run: an
        :class:`indexdsl.analyses.statistics.Statistics` with its tables ``availability``
        (units below ``min_coverage`` of the indicators, default 2/3, flagged),
        ``statistics``, ``correlations`` and ``effective_weights`` (with importance), each
        with ``records()``."""
        from indexdsl.analyses.statistics import compute

        return compute(self.result, min_coverage)

    def plot(
        self,
        kind: str,
        *nodes: str,
        out: str | PathLike[str] | None = None,
        samples: int = 200,
        seed: int = 1,
        **options: Any,
    ):
        """A figure (:class:`matplotlib.figure.Figure`) of this run, as ``indexdsl plot``
        draws it: ``"framework"`` (``style="tree"`` or ``"sunburst"``),
        ``"correlations"`` (``level="indicators"`` or a depth, ``against=``, ``raw=``),
        ``"distribution"`` of one node (``raw=``), ``"scatter"`` of two (``label=3``,
        ``raw=``), ``"contributions"`` (``node=`` the node split, the index by default),
        ``"ranks"`` (an uncertainty analysis of ``samples`` replications from ``seed``).
        With ``out`` (``.svg`` or ``.png``) the figure is also written there.  Raises
        KeyError for an unknown node, ValueError for a figure that cannot be drawn (the
        contributions of a node that is not a weighted sum)."""
        plots = _plots()
        uncertainty = None
        if kind == "ranks":
            from indexdsl.analyses.uncertainty import run_uncertainty
            from indexdsl.pipeline import evaluator

            model = self.model
            if model.uncertainty is None:
                raise ValueError(
                    f"index `{self.name}` declares no uncertain inputs: add an "
                    "`uncertainty { … }` block to plot rank intervals"
                )
            if samples < 1:
                raise ValueError("`samples` must be at least 1")
            engine = evaluator(model, self.result.data)
            uncertainty = run_uncertainty(engine, model.uncertainty, samples, seed)
            if not uncertainty.reliable():
                raise ValueError(
                    f"{uncertainty.replications - uncertainty.evaluated} of {samples} "
                    "replications could not be evaluated, more than 5%: the analysis is not "
                    "reliable; replace the alternative that fails"
                )
            options.setdefault("settings", [*uncertainty.inputs, f"seed {seed}"])
        return _plotted(
            lambda: plots.plot(self.result, kind, *nodes, uncertainty=uncertainty, **options), out
        )

    # ---- tables ------------------------------------------------------------------------------
    def to_pandas(self) -> dict[str, Any]:
        """One pandas DataFrame per table of the output folder: ``units`` (scores and
        ranks of every node, indexed by unit key), ``indicators`` (raw values),
        ``nodes`` (the hierarchy) and, when pathways are scored, ``pathways``."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "Results.to_pandas() needs pandas, which indexdsl does not install; "
                "install it with `pip install pandas` (or `uv add pandas`), or use "
                "Results.scores(), .ranks() and .array() instead"
            ) from None
        result, data = self.result, self.result.data
        graph = result.graph
        units: dict[str, Any] = {"label": list(data.labels)}
        for group, values in data.groups.items():
            units[group] = list(values)
        for node in self.nodes:
            units[f"{node}_score"] = result.units.scores[node]
            units[f"{node}_rank"] = result.units.ranks[node]
        index = pd.Index(list(data.keys), name="unit")
        order = self._order()  # rows in the order of the ranking, unranked units last
        frames = {"units": pd.DataFrame(units, index=index).iloc[order]}
        indicators = [n for n, ind in self.model.indicators.items() if ind.level != "pair"]
        frames["indicators"] = pd.DataFrame(
            {name: result.units.raw[name] for name in indicators}, index=index
        ).iloc[order]
        parents = {c.name: n.name for n in graph.nodes.values() for c in n.children}
        rows = []
        for name in self.nodes:
            node = graph.nodes[name]
            rows.append(
                {
                    "node": name,
                    "title": node.title,
                    "parent": parents.get(name),
                    "depth": node.depth,
                    "kind": "indicator" if node.is_leaf else "dimension" if node.depth else "index",
                    "weight": node.weight,
                    "aggregator": node.aggregator.describe() if node.aggregator else None,
                    "normaliser": node.normaliser.describe() if node.normaliser else None,
                }
            )
        frames["nodes"] = pd.DataFrame(rows).set_index("node")
        if result.pairs is not None:
            pairs = self._pairs()
            columns: dict[str, Any] = {
                "unit_a": [a for a, _ in pairs],
                "unit_b": [b for _, b in pairs],
            }
            for node in self.nodes:
                columns[f"{node}_score"] = result.pairs.scores[node]
                columns[f"{node}_rank"] = result.pairs.ranks[node]
            ranks = result.pairs.ranks[self.name]
            by_rank = sorted(range(len(ranks)), key=lambda p: (ranks[p] == 0, ranks[p]))
            frames["pathways"] = pd.DataFrame(columns).iloc[by_rank].reset_index(drop=True)
        return frames

    # ---- analyses ----------------------------------------------------------------------
    def _uncertain(self):
        from indexdsl.pipeline import evaluator

        if self.model.uncertainty is None:
            raise ValueError(
                f"{self.model.file} has no `uncertainty` block: add one to say which "
                "weights, methods or indicators vary (docs/reference/language.md)"
            )
        return evaluator(self.model, self.result.data)

    def uncertainty(self, samples: int = 1000, seed: int = 1, engine=None, **options: Any):
        """The ranks over ``samples`` replications of the `uncertainty` block's
        alternatives, as `indexdsl uncertainty` computes them: an
        :class:`indexdsl.analyses.uncertainty.UncertaintyResult` (its ``interval()``,
        ``median`` and ``left_out`` failed replications).  ``engine`` evaluates the
        replications, as ``--engine``: a name (``"dask"``, with its ``options`` such as
        ``scheduler="tcp://host:8786"`` or ``workers=2``) or an engine component; the
        result is the same for the same seed."""
        from indexdsl.analyses.uncertainty import run_uncertainty

        return run_uncertainty(
            self._uncertain(), self.model.uncertainty, samples, seed,
            engine=_engine(engine, options),
        )  # fmt: skip

    def sensitivity(
        self, n: int = 1000, seed: int = 1, bootstrap: int = 1000, engine=None, **options: Any
    ):
        """Sobol' indices of each uncertain input, as `indexdsl sensitivity` computes
        them: an :class:`indexdsl.analyses.sensitivity.SensitivityResult`; ``engine``
        and its ``options`` as for :meth:`uncertainty`."""
        from indexdsl.analyses.sensitivity import run_sensitivity

        return run_sensitivity(
            self._uncertain(), self.model.uncertainty, n, seed, bootstrap,
            engine=_engine(engine, options),
        )  # fmt: skip

    def audit(self):
        """The statistical audit of `indexdsl audit`: (node audits, indicator audits)."""
        from indexdsl.analyses.audit import audit

        return audit(self.result)

    def without(self, *nodes: str) -> Results:
        """The index computed again without ``nodes`` (their siblings keep their
        relative weights), as `indexdsl whatif --drop` does.  Compare its ``ranks()``
        with these to see what each node changes."""
        from indexdsl.analyses.whatif import drop_nodes
        from indexdsl.pipeline import evaluate_model

        try:
            return Results(drop_nodes(self.result, list(nodes), evaluate_model), self.warnings)
        except DiagnosticError as exc:
            raise KeyError(_message(exc)) from None

    def with_weights(self, **weights: float) -> Results:
        """The index computed again with some weights changed, as if written in the
        file: each named node gets the weight given, and its siblings' weights are
        divided by their new sum (``results.with_weights(information=0.5)``)."""
        import attrs

        from indexdsl.pipeline import evaluate_model

        known = {n.name for n in self.model.root.walk()} - {self.name}
        for name, value in weights.items():
            if name not in known:
                hints = suggest(name, known)
                raise KeyError(
                    f"`{name}` is not a node of the framework"
                    + (f"; did you mean `{hints[0]}`?" if hints else "")
                )
            if not (value >= 0 and np.isfinite(value)):
                raise ValueError(f"the weight of `{name}` must be a number, 0 or more")

        def rebuilt(node):
            children = [rebuilt(c) for c in node.children]
            if not any(c.name in weights for c in children):
                return attrs.evolve(node, children=tuple(children))
            written = [weights.get(c.name, c.weight) for c in children]
            total = sum(written)
            if total <= 0:
                raise ValueError(f"the weights of `{node.name}`'s children sum to 0")
            return attrs.evolve(
                node,
                children=tuple(
                    attrs.evolve(c, weight=w / total)
                    for c, w in zip(children, written, strict=True)
                ),
            )

        model = attrs.evolve(self.model, root=rebuilt(self.model.root))
        try:
            return Results(evaluate_model(model, self.result.data), self.warnings)
        except DiagnosticError as exc:
            raise ValueError(_message(exc)) from None

    # ---- display ------------------------------------------------------------------------------
    def _columns(self) -> list[str]:
        """The nodes a summary shows: the index and its children (dimensions)."""
        root = self.result.graph.nodes[self.name]
        return [self.name, *(c.name for c in root.children)]

    def _decimals(self) -> int:
        from indexdsl.analyses.explain import score_decimals

        return score_decimals(self.result.units.scores[self.name])

    def _order(self) -> list[int]:
        from indexdsl.analyses.explain import ranking_order

        scores = self.result.units.scores[self.name]
        ranks = self.result.units.ranks[self.name]
        ranked = ranking_order(scores, ranks)
        return ranked + [i for i in range(len(ranks)) if ranks[i] == 0]

    def _summary(self) -> str:
        pairs = self.result.pair_data
        text = (
            f"{self.model.meta.title} ({self.name}): {len(self.units)} units, "
            f"{len(self.nodes)} nodes"
        )
        if pairs is not None:
            text += f", {len(pairs.a)} pathways"
        return text

    def __repr__(self) -> str:
        return self.text()

    def text(self, limit: int = 10) -> str:
        """A plain-text table of the first ``limit`` units: rank, label, and the
        scores of the index and its dimensions."""
        columns = self._columns()
        scores = self.result.units.scores
        ranks = self.result.units.ranks[self.name]
        labels = self.result.data.labels
        d = self._decimals()
        header = ["rank", "unit", *columns]
        rows = []
        order = self._order()
        for i in order[:limit]:
            rows.append(
                [str(ranks[i] or "–"), labels[i], *(_score(scores[c][i], d) for c in columns)]
            )
        widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

        def line(cells):
            return "  ".join(
                c.ljust(w) if k == 1 else c.rjust(w)
                for k, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        out = [f"<Results: {self._summary()}>", line(header), *map(line, rows)]
        if len(order) > limit:
            out.append(f"… {len(order) - limit} more units")
        return "\n".join(out)

    def _repr_html_(self, limit: int = 50) -> str:
        columns = self._columns()
        nodes = self.result.graph.nodes
        scores = self.result.units.scores
        ranks = self.result.units.ranks[self.name]
        data = self.result.data
        e = html.escape
        d = self._decimals()
        head = "".join(f'<th title="{e(nodes[c].title)}">{e(c)}</th>' for c in columns)
        body = []
        order = self._order()
        for i in order[:limit]:
            cells = "".join(f"<td>{_score(scores[c][i], d)}</td>" for c in columns)
            body.append(
                f"<tr><td>{ranks[i] or '–'}</td><td>{e(data.keys[i])}</td>"
                f"<td>{e(data.labels[i])}</td>{cells}</tr>"
            )
        if len(order) > limit:
            span = 3 + len(columns)
            body.append(
                f'<tr><td colspan="{span}">… {len(order) - limit} more units '
                "(<code>.to_pandas()</code> or <code>.scores()</code> gives all)</td></tr>"
            )
        return (
            f"<table><caption>{e(self._summary())}</caption>"
            f"<thead><tr><th>rank</th><th>unit</th><th>label</th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )


def _engine(engine, options: dict[str, Any]):
    """An engine component from a name and its options (or the component given)."""
    if engine is None or not isinstance(engine, str):
        if options:
            raise TypeError(f"options {sorted(options)} need an engine given by its name")
        return engine
    from indexdsl.plugins import load_registry

    provided = load_registry().get("engine", engine)
    if provided is None:
        raise ValueError(f"no engine `{engine}`")
    known = {p.name for p in provided.cls.params}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"engine `{engine}` takes {sorted(known) or 'no options'}, not {unknown}")
    return provided.cls(**options)


def _message(exc: DiagnosticError) -> str:
    """A diagnostic as one line, for the exceptions the API raises."""
    d = exc.diagnostics[0]
    return d.message + (f"; {d.help}" if d.help else "")


def _score(value: float, decimals: int = 2) -> str:
    return "–" if math.isnan(value) else f"{value:.{decimals}f}"


def _plots():
    """:mod:`indexdsl.output.plots`, once matplotlib is known to be installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "plots need matplotlib, which is not installed; install it with "
            '`pip install "indexdsl[html]"` (or `uv add matplotlib`)'
        ) from None
    from indexdsl.output import plots

    return plots


def _plotted(draw, out):
    """The figure ``draw()`` returns, written to ``out`` when given; a diagnostic
    becomes KeyError (an unknown node) or ValueError, a usage error ValueError."""
    from indexdsl.diagnostics import UsageError

    try:
        figure = draw()
        if out is not None:
            _plots().save(figure, out)
    except DiagnosticError as exc:
        diagnostic = exc.diagnostics[0]
        message = diagnostic.message + (f"; {diagnostic.help}" if diagnostic.help else "")
        raise (KeyError if diagnostic.code == "E725" else ValueError)(message) from None
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    return figure
