"""Raw sheets as read from any file, and header matching shared by every reader of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kitflow.core.cells import is_blank
from kitflow.core.findings import FatalInputError
from kitflow.core.nearest import MAX_DISTANCE, Vocabulary


@dataclass(frozen=True)
class RawSheet:
    """The cells of one sheet (or CSV file): `rows[i]` is what Excel shows as row i + 1."""

    file: str
    sheet: str | None
    rows: Sequence[Sequence[object]]
    # Rows the reader could not take apart (0-based index -> why, in Danish): a line of a text
    # export whose fields do not match its header. The parse quarantines them with that reason,
    # their amounts unknown to a control total.
    problems: Mapping[int, str] = field(default_factory=dict, compare=False)
    # Rows read whole but not as the format writes them (a record without its second line):
    # quarantined with the reason, their amounts still counted against a control total.
    incomplete: Mapping[int, str] = field(default_factory=dict, compare=False)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.sheet}" if self.sheet else self.file


@dataclass(frozen=True)
class ColumnSheet:
    """A large sheet read column by column, its header row already found by the reader.

    `head` holds the rows up to and including the header as plain values, so header matching
    works as for a RawSheet; `columns[j]` is Excel column j + 1 below the header, row i of
    every column being Excel row `first_row + i`. A column that mixed numbers and text in the
    file arrives as text; `numbers(j)` then says which of its cells were numbers (the reader
    reads that only when asked, since it costs a second pass over the file). `prefetch()`
    starts that pass in the background, so it overlaps the parsing of the other columns.
    """

    file: str
    sheet: str | None
    head: Sequence[Sequence[object]]
    first_row: int
    height: int
    columns: Mapping[int, pd.Series]
    numbers: Callable[[int], np.ndarray] | None = field(default=None, compare=False)
    prefetch: Callable[[], None] | None = field(default=None, compare=False)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.sheet}" if self.sheet else self.file

    @property
    def rows(self) -> Sequence[Sequence[object]]:
        """The rows header matching looks at (the data rows are in `columns`)."""
        return self.head


def normalise_header(value: object) -> str:
    """A header as compared: lower case, single spaces, no trailing colon."""
    if is_blank(value):
        return ""
    text = re.sub(r"\s+", " ", str(value)).strip().lower()
    return text.rstrip(":").strip()


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header row is (0-based index into rows) and which column holds each field."""

    row_index: int
    columns: Mapping[str, int]
    ignored: tuple[str, ...]


def find_header(
    sheet: RawSheet,
    fields: Mapping[str, Sequence[str]],
    required: Sequence[str],
    labels: Mapping[str, str],
    scan_rows: int = 50,
) -> HeaderMatch:
    """Find the first row among the first `scan_rows` that names every required field.

    `fields` maps a field to its accepted header names; `labels` gives the name to show a
    user for each field. Raises FatalInputError naming what is missing when no row fits.
    """
    lookup = {normalise_header(alias): field for field, names in fields.items() for alias in names}
    best: tuple[int, dict[str, int]] | None = None
    for i, row in enumerate(sheet.rows[:scan_rows]):
        columns: dict[str, int] = {}
        for j, cell in enumerate(row):
            field = lookup.get(normalise_header(cell))
            if field is not None and field not in columns:
                columns[field] = j
        if all(f in columns for f in required):
            ignored = tuple(
                str(c).strip()
                for j, c in enumerate(row)
                if not is_blank(c) and j not in columns.values()
            )
            return HeaderMatch(i, columns, ignored)
        hits = sum(f in columns for f in required)
        if hits and (best is None or hits > sum(f in best[1] for f in required)):
            best = (i, columns)
    if best is None:
        wanted = ", ".join(labels[f] for f in required)
        raise FatalInputError(
            sheet.where,
            f"fandt ingen overskriftsrække med kolonnerne {wanted} i de første {scan_rows} rækker",
        )
    row_index, columns = best
    missing = [f for f in required if f not in columns]
    names = "; ".join(_with_aliases(labels[f], fields[f][1:]) for f in missing)
    unused = [
        str(c).strip()
        for j, c in enumerate(sheet.rows[row_index])
        if not is_blank(c) and j not in columns.values()
    ]
    raise FatalInputError(
        sheet.where,
        f"overskriftsrækken (række {row_index + 1}) mangler kolonnen {names}"
        + _found_instead(unused, [fields[f] for f in missing]),
    )


def _with_aliases(label: str, aliases: Sequence[str]) -> str:
    return f"{label} (eller {', '.join(aliases)})" if aliases else label


def _found_instead(unused: Sequence[str], wanted: Sequence[Sequence[str]]) -> str:
    """What the header row has instead, quoted: the header nearest a missing column's names
    (a misspelling: `; den har "Beløp DKK" – mente du Beløb DKK?`), else its other headers."""
    if not unused:
        return ""
    headers = Vocabulary(normalise_header(h) for h in unused)
    best: tuple[int, str, str] | None = None
    for names in wanted:
        for name in names:
            distances = headers.distances(normalise_header(name))
            k = int(distances.argmin())
            if distances[k] <= MAX_DISTANCE and (best is None or distances[k] < best[0]):
                best = (int(distances[k]), headers.words[k], name)
    if best is not None:
        _d, found, name = best
        header = next(h for h in unused if normalise_header(h) == found)
        return f'; den har "{header}" – mente du {name}?'
    shown = ", ".join(f'"{h}"' for h in unused[:6]) + (" …" if len(unused) > 6 else "")
    return f"; dens andre overskrifter er {shown}"


@dataclass(frozen=True)
class TableRow:
    """One non-blank row of a register sheet: its Excel row number and its cells by field."""

    row: int
    cells: Mapping[str, object]

    def get(self, field: str) -> object:
        return self.cells.get(field)


def read_table(
    sheet: RawSheet,
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
    scan_rows: int = 10,
) -> list[TableRow]:
    """The rows of a register sheet whose header is among the first rows.

    Columns not named are kept out and ignored; a missing optional column reads as empty.
    """
    labels = {f: names[0] for f, names in columns.items()}
    header = find_header(sheet, columns, required, labels, scan_rows=scan_rows)
    out = []
    for i, row in enumerate(sheet.rows[header.row_index + 1 :], start=header.row_index + 2):
        values = {f: (row[j] if j < len(row) else None) for f, j in header.columns.items()}
        if all(is_blank(v) for v in values.values()):
            continue
        out.append(TableRow(i, values))
    return out
