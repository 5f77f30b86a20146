"""Loading the data an index reads, and checking it against the definition.

Loaders (plugins) return text tables; this module resolves unit keys, pair endpoints
and the numeric columns the expressions use, and reports every problem at its place in
the data file (file:line:column), with the declaration in the index file beside it.
"""

from __future__ import annotations

import bisect
import fnmatch
import math
from pathlib import Path

import attrs
import numpy as np

from indexdsl.binding import DataBoundNormaliser
from indexdsl.components import DataError, Table, cell_span
from indexdsl.diagnostics import (
    Diagnostic,
    Label,
    PluginError,
    SourceMap,
    Span,
    display_path,
    read_number,
    special_file,
    suggest,
)
from indexdsl.errors import data as data_errors
from indexdsl.errors import plugins as plugin_errors
from indexdsl.model import Column, IndexModel, PairsSpec, TableSpec, columns_read

MISSING = {"", "na", "n/a", "nan", "..", "-", "null", "none"}
MAX_CELL_ERRORS = 5


@attrs.frozen
class PairData:
    spec: PairsSpec
    table: Table
    a: np.ndarray  # unit index of the first unit of each row
    b: np.ndarray  # unit index of the second unit
    # (units column, rows left out) for each `exclude same COLUMN` of the pairs block
    excluded: tuple[tuple[str, int], ...] = ()


@attrs.frozen
class Dataset:
    """Everything the evaluator needs from the data, already numeric and indexed."""

    units: Table
    keys: tuple[str, ...]
    labels: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    pairs: dict[str, PairData]
    columns: dict[tuple[str, str], np.ndarray]
    references: dict[str, np.ndarray]  # node -> published rank per unit
    # node -> (published score per unit, decimals the scores were published with)
    reference_scores: dict[str, tuple[np.ndarray, int]]
    previous: dict[str, np.ndarray]  # node -> rank in the previous edition (NaN: new)
    files: dict[str, str]  # path shown to users -> absolute path (for provenance)
    #: node -> published rank per pathway (NaN: not published), and the published ranks
    #: of rows that name no pathway scored (a pair left out, or not in the pathways table)
    pathway_references: dict[str, tuple[np.ndarray, tuple[float, ...]]] = attrs.field(factory=dict)
    #: references written as expressions (`reference ranks 44 - t.rank`), not yet
    #: computed: (setting, node) -> the decimals of the published values; their columns
    #: are in ``columns``, and the engine fills ``references``, ``reference_scores`` or
    #: ``previous`` from them (``evaluate.with_references``)
    pending_references: dict[tuple[str, str], int] = attrs.field(factory=dict)

    @property
    def n_units(self) -> int:
        return len(self.keys)


def _edition(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _subset(table: Table, keep: list[int]) -> Table:
    """The table with only the rows numbered in ``keep``."""
    return attrs.evolve(
        table,
        rows=tuple(table.rows[r] for r in keep),
        line_numbers=tuple(table.line_numbers[r] for r in keep),
        column_offsets=tuple(table.column_offsets[r] for r in keep) if table.column_offsets else (),
        numbers={name: values[keep] for name, values in table.numbers.items()},
        texts={name: cells[keep] for name, cells in table.texts.items()},
        dictionaries={},
        # the first kept row of each file (a table read from a folder of files)
        parts=tuple(attrs.evolve(p, start=bisect.bisect_left(keep, p.start)) for p in table.parts),
    )


def _decimals(cells: list[str]) -> int:
    """How many decimals published values carry: the most seen in any cell."""
    most = 0
    for cell in cells:
        if "." in cell and cell.replace(".", "", 1).lstrip("-").isdigit():
            most = max(most, len(cell.split(".", 1)[1]))
    return most


def source_files(loader, base: Path, shown: str | None = None) -> dict[str, str]:
    """The files a loader declares it reads (``Loader.files()``) that exist, as path
    shown to users -> absolute path, for provenance to hash.  ``shown`` names the
    table's file when the loader reads one file; otherwise each file is shown by its
    path."""
    declared = [f for f in loader.files() if isinstance(f, str)]
    out: dict[str, str] = {}
    for source in declared:
        path = base / source
        if path.is_file():
            key = shown if shown is not None and len(declared) == 1 else display_path(path)
            out[key] = str(path.resolve())
    return out


#: relative range below which a column counts as constant up to rounding noise
NEAR_CONSTANT = 1e-9


class DataChecker:
    def __init__(self, model: IndexModel, base: Path, sources: SourceMap):
        self.excluded_keys: set[str] = set()
        self.model = model
        self.base = base
        self.sources = sources
        self.diagnostics: list[Diagnostic] = []
        self.files: dict[str, str] = {}

    def err(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def load(self, spec: TableSpec) -> Table | None:
        loader = spec.loader
        for name in loader.files():
            special = special_file(self.base / name) if isinstance(name, str) else None
            if special == "a folder" and getattr(loader, "reads_folders", False):
                special = None  # a loader that reads a folder of files as one table
            if special is not None:
                self.err(data_errors.data_file_special(name, special, spec.span))
                return None
        try:
            table = loader.load(self.base)
        except DataError as exc:
            if exc.text:
                self.sources.add(exc.file, exc.text)
            where = Span.point(exc.file, exc.line, exc.col) if exc.line else None
            loaded_as = Label(spec.span, f"`{spec.name}` is loaded from it") if where else None
            self.err(
                data_errors.table_unreadable(exc.message, where or spec.span, exc.help, loaded_as)
            )
            return None
        except Exception as exc:
            plugin = type(loader).__module__
            raise PluginError(
                plugin_errors.plugin_raised(
                    f"loader `{loader.name}`", plugin, exc, spec.span, name_in_help=False
                )
            ) from None
        self.sources.add(table.path, table.text or table.text_loader or "")
        for part in table.parts:  # a folder of files: each file's text, read if shown
            self.sources.add(part.path, part.text)
        self.files.update(source_files(loader, self.base, table.path))
        seen: dict[str, int] = {}
        for position, name in enumerate(table.columns):  # which of two would be read?
            if name.strip() in seen:
                first = table.columns[seen[name.strip()]]
                where = Span.point(table.path, 1, 1)
                self.err(data_errors.column_twice(first, name, where, spec.span))
                return None
            seen[name.strip()] = position
        return table

    def exclude(self, table: Table, rules) -> Table:
        """Drop the rows whose column matches a glob pattern (``exclude iso3 matching "ZZ*"``)."""
        if not rules:
            return table
        keep = list(range(len(table.rows)))
        for column, pattern, span in rules:
            index = self._column(table, column, span, "column tested by `exclude`")
            if index is not None:
                keep = [r for r in keep if not fnmatch.fnmatchcase(table.rows[r][index], pattern)]
        return _subset(table, keep)

    def _column(self, table: Table, name: str, span: Span | None, what: str) -> int | None:
        if name in table.columns:
            return table.columns.index(name)
        hints = suggest(name, table.columns)
        self.err(
            data_errors.unknown_column(
                name, table.path, table.columns, span, what, hints[0] if hints else None
            )
        )
        return None

    def numeric(self, table: Table, name: str, span: Span | None) -> np.ndarray | None:
        index = self._column(table, name, span, "column used here")
        if index is None:
            return None
        if name in table.numbers:  # read in bulk by the loader: every cell is a number
            self._near_constant(table.numbers[name], name, table.path, span)
            return table.numbers[name]
        values = np.empty(len(table.rows))
        bad = []
        for r, row in enumerate(table.rows):
            cell = row[index]
            if cell.lower() in MISSING:
                values[r] = math.nan
                continue
            number = read_number(cell)  # `1_000`, `0x10`, `١٢` and `inf` are not numbers
            if number is None:
                bad.append(r)
                values[r] = math.nan
            else:
                values[r] = number
        for r in bad[:MAX_CELL_ERRORS]:
            self.err(
                data_errors.not_a_number(
                    table.rows[r][index], name, cell_span(table, r, index), span
                )
            )
        if len(bad) > MAX_CELL_ERRORS:
            self.err(
                data_errors.not_a_number(
                    "", name, None, None, more=len(bad) - MAX_CELL_ERRORS, path=table.path
                )
            )
        if not bad:
            self._near_constant(values, name, table.path, span)
        return None if bad else values

    def _near_constant(self, values: np.ndarray, name: str, path: str, span) -> None:
        """Warn about a column whose values differ only in their last digits: a
        normalisation that stretches the observed range (min-max) would turn that
        rounding noise into a full spread of scores."""
        if hasattr(values, "min_max"):  # a column read a partition at a time
            low, high, count = values.min_max()
            if count < 2:
                return
        else:
            present = values[~np.isnan(values)]
            if present.size < 2:
                return
            low, high = float(present.min()), float(present.max())
        if high > low and high - low <= NEAR_CONSTANT * max(abs(low), abs(high)):
            self.diagnostics.append(
                data_errors.near_constant_column(name, path, low, high, NEAR_CONSTANT, span)
            )

    def run(self) -> Dataset | None:
        model = self.model
        units_spec = model.units
        units = self.load(units_spec)
        pair_tables = {name: self.load(spec) for name, spec in model.pairs.items()}
        data_tables = {name: self.load(spec) for name, spec in model.tables.items()}
        if units is None:
            return None
        every_row = units.rows
        units = self.exclude(units, units_spec.exclude)
        # keys of the excluded units: pair rows that name them are left out, not errors
        self.excluded_keys: set[str] = set()
        if units_spec.key in units.columns and len(units.rows) < len(every_row):
            k = units.columns.index(units_spec.key)
            self.excluded_keys = {r[k] for r in every_row} - {r[k] for r in units.rows}
        key_index = self._column(units, units_spec.key, units_spec.key_span, "key column")
        keys: list[str] = []
        positions: dict[str, int] = {}
        if key_index is not None:
            for r, key in enumerate(units.cells(units_spec.key)):
                if not key:
                    self.err(data_errors.empty_key(cell_span(units, r, key_index)))
                elif key in positions:
                    first = positions[key]
                    self.err(
                        data_errors.duplicate_key(
                            key,
                            cell_span(units, r, key_index),
                            cell_span(units, first, key_index),
                            None,
                        )
                    )
                else:
                    positions[key] = r
                keys.append(key)
        labels = keys
        if units_spec.label:
            li = self._column(units, units_spec.label, units_spec.label_span, "label column")
            if li is not None:
                fallback = keys if key_index is not None else units.cells(units.columns[0])
                cells = units.cells(units_spec.label)
                labels = [label or key for label, key in zip(cells, fallback, strict=True)]
        groups = {}
        for group, span in units_spec.groups:
            gi = self._column(units, group, span, "group column")
            if gi is not None:
                groups[group] = tuple(units.cells(group))
        for column, span in units_spec.illustrative_spans.items():
            self._column(units, column, span, "illustrative column")
        pairs = {}
        for name, table in pair_tables.items():
            if table is not None and key_index is not None:
                pair = self._pairs(model.pairs[name], table, positions)
                if pair is not None:
                    pair = self._exclude_same(pair, units)
                    pairs[name] = pair
                    pair_tables[name] = pair.table
        # for each unit, its row in each table (-1: the table has no row for it)
        aligned = {units_spec.name: (units, np.arange(len(units.rows)))}
        for name, table in data_tables.items():
            if table is not None and key_index is not None:
                aligned[name] = (table, self._join(model.tables[name], table, positions))

        def per_unit(ref) -> tuple[np.ndarray, Table] | None:
            """A column of the units table or of a data table, one value per unit."""
            if ref.table not in aligned:
                return None
            table, rows = aligned[ref.table]
            values = self.numeric(table, ref.column, ref.span)
            if values is None:
                return None
            out = np.full(len(units.rows), np.nan)
            present = rows >= 0
            out[present] = values[rows[present]]
            return out, table

        columns: dict[tuple[str, str], np.ndarray] = {}
        # the columns of the indicators, and of normalisers' parameters computed from
        # the data (`normalise goalposts(0, max_over_units(country.le_{year}))`)
        computed = [
            ref
            for node in model.nodes()
            if isinstance(node.normaliser, DataBoundNormaliser)
            for expr in node.normaliser.arguments.values()
            for ref in columns_read(expr)
        ]
        for refs in [*(i.columns for i in model.indicators.values()), computed]:
            for ref in refs:
                table_name, column = ref.table, ref.column
                if (table_name, column) in columns:
                    continue
                if table_name in pair_tables:
                    table = pair_tables[table_name]
                    values = None if table is None else self.numeric(table, column, ref.span)
                else:
                    found = per_unit(ref)
                    values = None if found is None else found[0]
                if values is not None:
                    columns[(table_name, column)] = values
        for node in model.nodes():
            # panel imputation: earlier editions' columns, where the data have them
            absent: list[str] = []
            for edition, expr in node.history:
                refs = columns_read(expr)
                missing = []
                for ref in refs:
                    key = (ref.table, ref.column)
                    if key in columns:
                        continue
                    table = aligned.get(ref.table, (None,))[0]
                    if table is None or ref.column not in table.columns:
                        missing.append(ref.column)
                        continue
                    found = per_unit(ref)
                    if found is not None:
                        columns[key] = found[0]
                if missing:
                    absent.append(f"{_edition(edition)} (`{'`, `'.join(missing)}`)")
            if absent:
                self.err(
                    data_errors.panel_editions_missing(
                        node.name, absent, node.imputer.describe(), node.span_of("imputer")
                    )
                )
        references = {}
        reference_scores = {}
        previous = {}
        pending: dict[tuple[str, str], int] = {}
        for node in model.nodes():
            for kind in ("reference", "reference_scores", "previous"):
                expression = getattr(node, kind)
                if expression is None or isinstance(expression, Column):
                    continue
                # an expression: its columns now, its values once the engine has them
                most = 0
                for ref in expression.columns:
                    found = per_unit(ref)
                    if found is not None:
                        columns[(ref.table, ref.column)] = found[0]
                        most = max(most, _decimals(found[1].cells(ref.column)))
                decimals = expression.decimals
                pending[(kind, node.name)] = most if decimals is None else decimals
        for node in model.nodes():
            if node.previous is not None and isinstance(node.previous, Column):
                found = per_unit(node.previous)
                if found is not None:
                    previous[node.name] = found[0]
            if isinstance(node.reference, Column):
                found = per_unit(node.reference)
                if found is not None:
                    references[node.name] = found[0]
            if isinstance(node.reference_scores, Column):
                found = per_unit(node.reference_scores)
                if found is not None:
                    cells = found[1].cells(node.reference_scores.column)
                    reference_scores[node.name] = (found[0], _decimals(cells))
        pathway_references = self._pathway_references(pairs)
        if any(d.is_error for d in self.diagnostics):
            return None
        return Dataset(
            units=units,
            keys=tuple(keys),
            labels=tuple(labels),
            groups=groups,
            pairs=pairs,
            columns=columns,
            references=references,
            reference_scores=reference_scores,
            previous=previous,
            files=self.files,
            pathway_references=pathway_references,
            pending_references=pending,
        )

    def _pathway_references(self, pairs: dict[str, PairData]) -> dict:
        """Each `reference pathway ranks` column, matched to the pathways scored by the
        two units of each row (either order, for undirected pathways)."""
        out = {}
        scored = pairs.get(self.model.pathways) if self.model.pathways else None
        if scored is None or not any(n.reference_pathways for n in self.model.nodes()):
            return out
        directed = scored.spec.directed

        def key(a, b):
            return (int(a), int(b)) if directed else (min(int(a), int(b)), max(int(a), int(b)))

        row_of = {key(a, b): r for r, (a, b) in enumerate(zip(scored.a, scored.b, strict=True))}
        for node in self.model.nodes():
            ref = node.reference_pathways
            if ref is None or ref.table not in pairs:
                continue
            published = pairs[ref.table]
            values = self.numeric(published.table, ref.column, ref.span)
            if values is None:
                continue
            ranks = np.full(len(scored.a), np.nan)
            unmatched = []
            for a, b, value in zip(published.a, published.b, values, strict=True):
                if np.isnan(value):
                    continue
                r = row_of.get(key(a, b))
                if r is None:
                    unmatched.append(float(value))
                else:
                    ranks[r] = value
            out[node.name] = (ranks, tuple(unmatched))
        return out

    def _join(self, spec, table: Table, positions: dict[str, int]) -> np.ndarray:
        """For each unit, the row of a data table with its key (-1 where none).

        Rows for keys that are not units of the index are ignored: a data table often
        covers more units (all countries) than the index ranks."""
        unit_rows = np.full(len(positions), -1, dtype=np.int64)
        index = self._column(table, spec.key, spec.key_span, "key column")
        if index is None:
            return unit_rows
        seen: dict[str, int] = {}
        for r, key in enumerate(table.cells(spec.key)):
            if key in seen:
                self.err(
                    data_errors.duplicate_key(
                        key,
                        cell_span(table, r, index),
                        cell_span(table, seen[key], index),
                        spec.name,
                    )
                )
                continue
            seen[key] = r
        for key, position in positions.items():
            if key in seen:
                unit_rows[position] = seen[key]
        return unit_rows

    def _pairs(self, spec: PairsSpec, table: Table, positions: dict[str, int]) -> PairData | None:
        ia = self._column(table, spec.between[0], spec.between_spans[0], "first unit column")
        ib = self._column(table, spec.between[1], spec.between_spans[1], "second unit column")
        for column, span in spec.illustrative_spans.items():
            self._column(table, column, span, "illustrative column")
        if ia is None or ib is None:
            return None
        found = self._pairs_in_bulk(spec, table, positions)
        if found is not None:
            return found
        a = np.empty(len(table.rows), dtype=np.int64)
        b = np.empty(len(table.rows), dtype=np.int64)
        seen: dict[tuple[int, int], int] = {}
        failures = 0
        keep = np.ones(len(table.rows), dtype=bool)
        for r, row in enumerate(table.rows):
            if row[ia] in self.excluded_keys or row[ib] in self.excluded_keys:
                keep[r] = False  # a pair of a unit the index excludes
                a[r] = b[r] = -1
                continue
            for target, ci in ((a, ia), (b, ib)):
                key = row[ci]
                if key in positions:
                    target[r] = positions[key]
                    continue
                failures += 1
                if failures <= MAX_CELL_ERRORS:
                    hints = suggest(key, positions)
                    self.err(
                        data_errors.pair_unknown_unit(
                            key,
                            self.model.units.name,
                            cell_span(table, r, ci),
                            hints[0] if hints else None,
                        )
                    )
                target[r] = -1
            if a[r] < 0 or b[r] < 0:
                continue
            if a[r] == b[r]:
                self.err(data_errors.pair_with_itself(row[ia], cell_span(table, r, ia)))
                continue
            pair = (
                (int(a[r]), int(b[r])) if spec.directed else tuple(sorted((int(a[r]), int(b[r]))))
            )
            if pair in seen:
                self.err(
                    data_errors.duplicate_pair(
                        row[ia],
                        row[ib],
                        spec.directed,
                        cell_span(table, r, ia),
                        cell_span(table, seen[pair], ia),
                    )
                )
            else:
                seen[pair] = r
        if failures > MAX_CELL_ERRORS:
            self.err(
                data_errors.pair_unknown_unit(
                    "", "", None, None, more=failures - MAX_CELL_ERRORS, path=table.path
                )
            )
        if not keep.all():
            table = _subset(table, np.nonzero(keep)[0].tolist())
            a, b = a[keep], b[keep]
        return PairData(spec, table, a, b)

    def _exclude_same(self, pair: PairData, units: Table) -> PairData:
        """Leave out the pairs whose two units share a value of a units column
        (``exclude same country``).  A unit with no value in that column shares it with
        no one: its pairs are kept, since a missing value is not a match."""
        keep = np.ones(len(pair.a), dtype=bool)
        excluded = []
        for column, span in pair.spec.exclude_same:
            if self._column(units, column, span, "units column compared by `exclude same`") is None:
                continue
            cells = units.cells(column)
            values = np.array([c.strip() for c in cells], dtype=object)
            same = (values[pair.a] == values[pair.b]) & (values[pair.a] != "") & keep
            keep &= ~same
            excluded.append((column, int(same.sum())))
        if keep.all():
            return attrs.evolve(pair, excluded=tuple(excluded))
        rows = np.nonzero(keep)[0]
        return PairData(
            pair.spec,
            _subset(pair.table, rows.tolist()),
            pair.a[rows],
            pair.b[rows],
            tuple(excluded),
        )

    def _pairs_in_bulk(
        self, spec: PairsSpec, table: Table, positions: dict[str, int]
    ) -> PairData | None:
        """The pairs of a table the loader read column by column, matched with numpy;
        None when a row has a problem (the row-by-row reading reports it) or names an
        excluded unit."""
        first, second = spec.between
        if first not in table.texts or second not in table.texts or self.excluded_keys:
            return None
        if not positions:
            return None
        try:
            units = np.array([key.encode(table.encoding) for key in positions])
        except UnicodeEncodeError:
            return None
        rows = np.fromiter(positions.values(), dtype=np.int64, count=len(positions))
        order = np.argsort(units, kind="stable")
        ordered = units[order]
        if all(hasattr(table.dictionaries.get(c), "codes") for c in (first, second)):
            return _pairs_by_partition(spec, table, ordered, rows[order])
        ends = []
        for column in (first, second):
            if column in table.dictionaries:
                cells, indices = table.dictionaries[column]
            else:
                cells, indices = table.texts[column], None
            at = np.minimum(np.searchsorted(ordered, cells), len(ordered) - 1)
            known = ordered[at] == cells
            if indices is None:
                if not known.all():  # an unknown unit, or blanks around a key
                    return None
                ends.append(rows[order[at]])
                continue
            # distinct cells: match the few words, then gather each row's unit
            used = np.bincount(indices, minlength=len(cells)) > 0
            if not known[used].all():
                return None
            ends.append(rows[order[at]][indices])
        a, b = ends
        if (a == b).any():
            return None
        low, high = (a, b) if spec.directed else (np.minimum(a, b), np.maximum(a, b))
        codes = np.sort(low * (int(rows.max()) + 1) + high)
        if (codes[1:] == codes[:-1]).any():
            return None
        return PairData(spec, table, a, b)


class PartitionCodes:
    """The unit number of one end of each pair of a table read a partition at a time
    (a loader's column with ``codes(piece, keys, rows)``): read when used as an array
    (the numpy engine, the outputs), or partition by partition where an engine computes
    (``to_dask``), never all at once in this process otherwise."""

    ndim = 1
    dtype = np.dtype(np.int64)

    def __init__(self, column, ordered: np.ndarray, rows: np.ndarray):
        self.column, self.ordered, self.rows = column, ordered, rows
        self.chunks = column.chunks
        self.shape = (len(column),)
        self._values: np.ndarray | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if self._values is None:
            parts = [self.column.codes(i, self.ordered, self.rows) for i in range(len(self.chunks))]
            self._values = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        return self._values if dtype is None else self._values.astype(dtype)

    def __getitem__(self, key):
        return np.asarray(self)[key]

    def __iter__(self):
        return iter(np.asarray(self))

    def tolist(self) -> list:
        return np.asarray(self).tolist()

    def to_dask(self):
        return self.column.to_dask_codes(self.ordered, self.rows)


def _pairs_by_partition(spec, table: Table, ordered: np.ndarray, rows: np.ndarray):
    """The pairs of a table read a partition at a time, checked a partition at a time:
    every end a unit, no pair of a unit with itself, no pair twice (a bitmap of the
    n x n pairs seen); None when a row has a problem (the row-by-row reading reports
    it).  The unit numbers stay unread (:class:`PartitionCodes`)."""
    first, second = (table.dictionaries[c] for c in spec.between)
    n = int(rows.max()) + 1
    seen = np.zeros((n * n + 7) // 8, dtype=np.uint8)
    for piece in range(len(first.chunks)):
        a = first.codes(piece, ordered, rows)
        b = second.codes(piece, ordered, rows)
        if (a < 0).any() or (b < 0).any() or (a == b).any():
            return None
        low, high = (a, b) if spec.directed else (np.minimum(a, b), np.maximum(a, b))
        ids = np.sort(low * n + high)
        if (ids[1:] == ids[:-1]).any():
            return None
        byte, bit = ids >> 3, np.left_shift(1, ids & 7).astype(np.uint8)
        if (seen[byte] & bit).any():
            return None
        starts = np.flatnonzero(np.r_[True, byte[1:] != byte[:-1]])
        seen[byte[starts]] |= np.bitwise_or.reduceat(bit, starts)
    return PairData(
        spec,
        table,
        PartitionCodes(first, ordered, rows),
        PartitionCodes(second, ordered, rows),
    )


def load_data(
    model: IndexModel, base: Path, sources: SourceMap
) -> tuple[Dataset | None, list[Diagnostic]]:
    checker = DataChecker(model, base, sources)
    dataset = checker.run()
    return dataset, checker.diagnostics
