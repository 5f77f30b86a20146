"""Base classes of the components that plugins provide.

A component class has a ``name`` (used in index files), a one-line ``summary`` and a
tuple of :class:`Param` describing what it accepts, so the checker can validate a call
such as ``minmax(60, 100)`` before any data is read, and ``indexdsl plugins`` can
document it.  Every array method works on the last axis (units) and broadcasts over
any leading axes, so that the evaluator can pass a batch of variants in one call.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np

from indexdsl.diagnostics import IndexdslError, Span, split_lines

REQUIRED = object()


@attrs.frozen
class Param:
    """One parameter of a component: name, Python type, default and what it is for."""

    name: str
    kind: type
    default: Any = REQUIRED
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class ComponentValueError(IndexdslError):
    """Raised by a component when the data do not suit it (a constant indicator under
    min-max, a zero under a geometric mean).  The engine turns it into a diagnostic
    located at the declaration that chose the component."""

    def __init__(self, message: str, help: str | None = None, units: tuple[int, ...] = ()):
        super().__init__(message)
        self.message = message
        self.help = help
        self.units = units


class Component:
    """Common shape of every component; ``role`` says which hook registers it."""

    name: ClassVar[str]
    role: ClassVar[str]
    summary: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    #: parameter sets the conformance suite (indexdsl.testing) checks it with; needed
    #: when a parameter is required
    examples: ClassVar[tuple[dict[str, Any], ...]] = ()
    #: set on the one component of a role that an index uses where it chooses none
    #: (the built-in ``minmax`` normaliser and ``arithmetic`` aggregator declare it), so
    #: the core needs no method's name; the parameters are the defaults of ``params``
    role_default: ClassVar[bool] = False

    def __init__(self, **values: Any) -> None:
        for param in self.params:
            if param.name not in values and not param.required:
                values[param.name] = param.default
        self.values = values

    def __getattr__(self, item: str) -> Any:
        values = self.__dict__.get("values", {})
        if item in values:
            return values[item]
        raise AttributeError(item)

    def validate(self) -> None:
        """Check the parameter values together (``high`` above ``low`` …) once the checker
        has checked each one's type.  Raise :class:`ComponentValueError` with a message
        that names the parameter in backticks; the checker reports it as ``E217`` at the
        component's call in the index file.  The default accepts everything."""

    def describe(self) -> str:
        """How this instance is written in an index file: ``minmax(low=0, high=100)``."""
        if not self.params:
            return self.name
        inner = ", ".join(f"{p.name}={self.values.get(p.name)!r}" for p in self.params)
        return f"{self.name}({inner})"


@attrs.frozen
class Context:
    """What a component may need to know besides the values: whose values they are.

    ``keys`` names the entries along the last axis (unit keys, or ``a – b`` for
    pathways); ``higher_is_better`` is the indicator's direction; ``level`` is
    ``"unit"`` or ``"pair"``.
    """

    keys: tuple[str, ...] = ()
    higher_is_better: bool = True
    level: str = "unit"
    #: the children of the node being weighted (weighting schemes)
    children: tuple[str, ...] = ()
    #: group column name → each unit's label in it (group imputation, group analyses)
    groups: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    #: the same indicator in earlier editions of a panel, nearest first, shape
    #: (editions, ..., units); ``None`` when the index is not a panel
    history: np.ndarray | None = None


@attrs.frozen
class CappedNote:
    """A normaliser's note to the engine: ``units`` (their positions) lay beyond a
    fixed ``bound`` (``"lower goalpost"``) and were scored at it; ``chosen`` labels
    the place where the method was chosen (``"goalposts chosen here"``)."""

    units: tuple[int, ...]
    bound: str
    chosen: str


class Normaliser(Component):
    """Puts an indicator on a common scale.

    Direction is handled once, by the engine: ``normalise`` receives values oriented so
    that higher is better (a reverse indicator arrives negated).  A normaliser whose
    parameters are in the indicator's own units (goalposts, targets) sets
    ``raw_units = True``: it then receives the raw values and must use
    ``context.higher_is_better`` itself.  It returns the normalised values (higher is
    better) and the fitted state (minimum, maximum, mean …) that makes a run explainable.
    """

    role: ClassVar[str] = "normaliser"
    raw_units: ClassVar[bool] = False

    def normalise(
        self, x: np.ndarray, context: Context | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        raise NotImplementedError

    def warnings(self, state: dict[str, Any]) -> tuple[CappedNote, ...]:
        """What the engine should warn about, given the state ``normalise`` returned:
        units whose values lay beyond a fixed bound and were scored at it.  The engine
        turns each note into a diagnostic; the default has nothing to say."""
        return ()


class Aggregator(Component):
    """Combines the scores of a node's children into the node's score.

    ``values`` has shape (..., units, children) and may hold NaN for missing scores;
    ``weights`` has shape (children,) or (..., children) and sums to 1.
    """

    role: ClassVar[str] = "aggregator"
    #: whether raising one child's score can never lower the aggregate (rank monotonicity)
    monotone: ClassVar[bool] = True
    #: whether the aggregate is the weighted sum of the children's scores, so that a
    #: unit's score can be taken apart into contributions (``indexdsl explain``)
    additive: ClassVar[bool] = False

    def aggregate(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Transform(Component):
    """A function usable inside indicator expressions: ``log(x)``, ``cap(x, 0, 100)``.

    Its params are its arguments; every argument arrives as an array broadcastable
    against the others.
    """

    role: ClassVar[str] = "transform"
    #: gives one value, the same for every unit (a reduction over units): its result
    #: may then stand where a component needs one number, such as a normaliser's
    #: goalpost, and is computed from the data when the index is evaluated
    one_value: ClassVar[bool] = False

    def apply(self, *args: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def apply_with_state(self, *args: Any, **kwargs: Any) -> tuple[np.ndarray, dict[str, Any]]:
        """``apply``, and what it did: used when the transform treats outliers
        (``treat NAME``), so that the run can log, per indicator, what was treated.
        Transforms with something to report override it and return these keys, all
        optional, which the treatment log and reports read (and no others): ``method``
        (what was done to this indicator, ``"none"`` when nothing), ``points`` (how many
        values were changed), ``units`` (their positions), ``skewness`` and ``kurtosis``
        (each ``[before, after]``)."""
        return self.apply(*args, **kwargs), {}

    def decimals(self, *args: float, **kwargs: float) -> int | None:
        """How many decimals its values carry, given its arguments after the first as
        numbers (a rounding transform: the decimals it rounds to), or None.  A
        ``reference scores`` expression whose outermost call is this transform compares
        at that precision."""
        return None


class WeightingScheme(Component):
    """Chooses the weights of a node's children: ``weights NAME(...)``.

    ``scores`` has shape (..., units, children): the children's scores as the node
    aggregates them (NaN where missing), so data-driven schemes (entropy, CRITIC, PCA)
    see what the aggregator sees; a scheme that ignores the data (AHP, explicit) uses
    ``context.children`` to match its parameters to the children.  It returns
    non-negative weights of shape (..., children) that sum to 1, and the state that
    explains them (a consistency ratio, the share of variance explained …).
    """

    role: ClassVar[str] = "weighting"
    #: whether the weights depend on the data (then they are recomputed for every variant)
    data_driven: ClassVar[bool] = True

    def weights(self, scores: np.ndarray, context: Context) -> tuple[np.ndarray, dict[str, Any]]:
        raise NotImplementedError


class Imputer(Component):
    """Fills an indicator's missing values: ``impute NAME(...)``.

    ``x`` has shape (..., units) with NaN for missing values; the result has the same
    shape.  Values it cannot fill stay NaN (the engine reports them); a value that is
    present is never changed.  Group imputers read ``context.groups``; panel imputers
    read ``context.history``.  The second value returned counts, per unit, how the
    gaps were filled, so that a run can say what it imputed.
    """

    role: ClassVar[str] = "imputer"
    #: False for an imputer that only checks (``none`` refuses missing values)
    fills: ClassVar[bool] = True
    #: whether it reads ``context.history`` (earlier editions of a panel)
    needs_history: ClassVar[bool] = False

    def impute(self, x: np.ndarray, context: Context) -> tuple[np.ndarray, dict[str, Any]]:
        raise NotImplementedError

    def groups_needed(self) -> tuple[str, ...]:
        """The units' group columns it reads (``context.groups``), so that the checker
        can say before computing that one is not declared.  The default reads none."""
        return ()


class LazyRows(Sequence):
    """The rows of a table that a loader read column by column: built (by ``make``)
    only when something asks for a row, which a large file that is read without
    problems never does."""

    def __init__(self, size: int, make: Callable[[], Sequence[tuple[str, ...]]]):
        self._size = size
        self._make = make
        self._rows: Sequence[tuple[str, ...]] | None = None

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index):
        if self._rows is None:
            self._rows = self._make()
        return self._rows[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]


@attrs.frozen
class TablePart:
    """The rows of a table that one of its files holds, for a table read from several
    files (a folder of them): rows from ``start`` up to the next part's ``start`` are
    lines of ``path`` (as shown to users), whose text ``text()`` reads when a diagnostic
    points into it."""

    path: str
    start: int
    text: Callable[[], str] = attrs.field(repr=False, eq=False)


@attrs.frozen
class Table:
    """A loaded data table: header, text cells, and where each row came from.

    Cells stay text until the engine needs a number, so that a bad cell is reported
    with its file, line and column only if it is used.  A loader may also give columns
    it has already read in bulk (large files): ``numbers`` (floats, NaN for a missing
    value; only columns where every cell is a number or missing) and ``texts`` (each
    cell's bytes in ``encoding``, not yet stripped); ``rows`` may then be a
    :class:`LazyRows`.  Without ``column_offsets``, a cell's column is found from the
    line's text and the ``delimiter``.
    """

    path: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    line_numbers: Sequence[int]
    column_offsets: tuple[tuple[int, ...], ...] = ()
    text: str = attrs.field(default="", repr=False)
    numbers: dict[str, np.ndarray] = attrs.field(factory=dict, repr=False, eq=False)
    texts: dict[str, np.ndarray] = attrs.field(factory=dict, repr=False, eq=False)
    encoding: str = "utf-8"
    delimiter: str = ","
    #: for a large file, reads its text again when a diagnostic needs it, instead of
    #: holding hundreds of megabytes of text for the whole run (``text`` is then empty)
    text_loader: Any = attrs.field(default=None, repr=False, eq=False)
    #: text columns also given as (distinct cells, index of each row's cell), so that
    #: millions of pair endpoints are matched to units through a few thousand words
    dictionaries: dict[str, tuple[np.ndarray, np.ndarray]] = attrs.field(
        factory=dict, repr=False, eq=False
    )
    #: for a table read from several files, the file of each run of rows
    #: (:class:`TablePart`, by ``start``); ``line_numbers`` are then lines of those files
    parts: tuple[TablePart, ...] = attrs.field(default=(), repr=False, eq=False)

    def full_text(self) -> str:
        """The file's text, read again if the loader did not keep it."""
        if not self.text and self.text_loader is not None:
            return self.text_loader()
        return self.text

    def column_index(self, name: str) -> int:
        return self.columns.index(name)

    def cells(self, name: str) -> list[str]:
        if name in self.texts:
            return [cell.decode(self.encoding).strip() for cell in self.texts[name].tolist()]
        i = self.columns.index(name)
        return [row[i] for row in self.rows]


def _field_offsets(line: str, delimiter: str) -> tuple[int, ...]:
    """1-based column where each field of a raw CSV line starts (quotes respected)."""
    offsets = [1]
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            offsets.append(i + 2)
    return tuple(offsets)


_LINES: dict[int, tuple[str, list[str]]] = {}  # id of a table's text -> (text, its lines)


def _line(text: str, number: int) -> str:
    cached = _LINES.get(id(text))
    if cached is None or cached[0] is not text:
        _LINES.clear()  # one table's lines at a time: a large file's lines are many
        cached = _LINES[id(text)] = (text, split_lines(text))
    lines = cached[1]
    return lines[number - 1] if 0 < number <= len(lines) else ""


def cell_span(table: Table, row: int, column: int) -> Span:
    """Where a cell of a table stands in its file, for diagnostics that point at data."""
    line = table.line_numbers[row]
    path, text = table.path, table.full_text
    if table.parts:  # the file of the table's folder that holds the row
        starts = [part.start for part in table.parts]
        part = table.parts[max(bisect.bisect_right(starts, row) - 1, 0)]
        path, text = part.path, part.text
    if table.column_offsets:
        offsets = table.column_offsets[row]
    else:  # found from the line's text, only when a cell is reported
        offsets = _field_offsets(_line(text(), line), table.delimiter)
    col = offsets[column] if column < len(offsets) else 1
    width = len(table.rows[row][column]) or 1
    return Span(path, line, col, line, col + width)


class DataError(IndexdslError):
    """Raised by a loader for a located problem in a data file."""

    def __init__(
        self,
        message: str,
        file: str,
        line: int = 0,
        col: int = 0,
        help: str | None = None,
        text: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.help = help
        self.text = text


class Loader(Component):
    """Reads a data table; ``base`` is the folder of the index file, paths are relative to it."""

    role: ClassVar[str] = "loader"

    def load(self, base: Path) -> Table:
        raise NotImplementedError

    def files(self) -> tuple[str, ...]:
        """The files it reads, as written (relative to the index file's folder): a
        run's provenance records their SHA-256.  The default is the loader's ``path``
        parameter when it has one (the convention of hook version 1); a loader that
        reads several files says so here, and one that reads no file (a web API)
        returns nothing."""
        path = getattr(self, "path", None)
        return (path,) if isinstance(path, str) else ()


@attrs.define
class Export:
    """What an exporter receives: the run's :class:`~indexdsl.evaluate.Result`, its run
    record (``run.json``: index metadata, provenance, time), its typed tables (by name:
    ``units``, ``groups``, ``indicators``, ``nodes``, ``pathways``; see
    :func:`indexdsl.output.exports.result_tables`), the output folder, and the results database
    that ``--format sqlite`` appends to."""

    result: Any
    record: dict[str, Any]
    tables: dict[str, Any]
    out_dir: Path
    database: Path


class Exporter(Component):
    """Writes a run's results in one format: ``indexdsl run --format NAME``.

    ``render`` returns the files to write into the output folder, by name; it must not
    write anything itself, so that every format is rendered before any file is written
    and a failure leaves the earlier results as they were.  An exporter that writes
    elsewhere (a database appended to) does so in ``commit``, which runs after every file
    is rendered and staged and before any is moved into place; it writes all or nothing
    and returns the paths it wrote.  ``writes`` says what it writes (for ``indexdsl
    plugins`` and ``--help``); ``requires`` names an optional library as
    ``(module, extra)``, or several as ``((module, ...), extra)``, checked before
    anything is computed.
    """

    role: ClassVar[str] = "exporter"
    writes: ClassVar[str] = ""
    requires: ClassVar[tuple[str | tuple[str, ...], str] | None] = None

    def render(self, export: Export) -> dict[str, str | bytes]:
        raise NotImplementedError

    def commit(self, export: Export) -> list[Path]:
        return []


class Engine(Component):
    """Evaluates a compiled index on its data: ``indexdsl run --engine NAME``.

    ``evaluate(graph, data)`` returns the same :class:`~indexdsl.evaluate.Result` as the
    embedded numpy engine (``role_default``), scores, ranks, fitted states and weights
    alike, so that every analysis and output format reads it unchanged.  ``requires``
    names an optional library as for exporters, checked before anything is computed;
    ``params`` are the engine's options (``scheduler``: the address of a cluster)."""

    role: ClassVar[str] = "engine"
    requires: ClassVar[tuple[str | tuple[str, ...], str] | None] = None

    def evaluate(self, graph: Any, data: Any) -> Any:
        raise NotImplementedError

    def evaluate_replications(self, evaluator: Any, chunks: Any, ranked: str) -> Any:
        """The ranks of node ``ranked`` (an array per chunk, replications × units) for
        each chunk of replications of an uncertainty or sensitivity analysis (each a
        :class:`~indexdsl.evaluate.Variation`, its inputs drawn by the caller), yielded in
        the order of ``chunks``; the replications that could not be evaluated are added
        to each chunk's ``failures`` (numbered from its ``offset``), as the in-process
        evaluator records them.  The default evaluates them here, one chunk after the
        other, with ``evaluator``; an engine with workers may send them there."""
        for chunk in chunks:
            yield evaluator.level("unit", chunk, ranked=(ranked,)).ranks[ranked]


ROLES: dict[str, type[Component]] = {
    "normaliser": Normaliser,
    "aggregator": Aggregator,
    "transform": Transform,
    "loader": Loader,
    "weighting": WeightingScheme,
    "imputer": Imputer,
    "exporter": Exporter,
    "engine": Engine,
}
