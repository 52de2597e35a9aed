"""Bookings from untidy finance exports: find the header, tell bookings from total lines,
parse every cell exactly, quarantine what does not parse, and check the control totals.

One sheet's parse is one pass over its columns, kept in one module; combining the sheets of
every export is `combine.py`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kitflow.core import cells
from kitflow.core.contract.bookings import BOOKINGS
from kitflow.core.findings import FatalInputError, Finding, Location, Severity
from kitflow.core.money import kr_text
from kitflow.core.sheets import ColumnSheet, HeaderMatch, RawSheet, find_header, normalise_header

# Field -> accepted headers (the first is the name shown), from the data contract. The posting
# date (Bogføringsdato) is the date an account as of a date is judged by: the date the finance
# system books by, and the only date the contract requires (see reconcile.posted_after).
FIELDS: dict[str, tuple[str, ...]] = BOOKINGS.headers()
REQUIRED = BOOKINGS.required()
LABELS = dict(BOOKINGS.labels())

_TOTAL_LABEL = re.compile(r"^\s*(i\s*alt|total|totalt|sum|subtotal|hovedtotal)\b", re.I)
# SAP's lists mark a subtotal with * and the grand total with ** in their first column.
_SAP_TOTAL_MARKS = ("*", "**")
# A løbenummer with a WBS suffix (XA-4411000006-01), as SAP's PSP-element writes it.
_WBS_SUFFIX = r"\d{10}\s*[-./]\s*[0-9A-Za-z]"

# Columns of the bookings frame every later step reads.
BOOKING_COLUMNS = (
    "file",
    "sheet",
    "row",
    "posting_date",
    "loebenummer",
    "project_raw",
    "amount_ore",
    "art",
    "kind",
    "document_number",
    "line",
    "text",
)

UDGIFT, INDTAEGT, INTERN = "udgift", "indtaegt", "intern"


@dataclass(frozen=True)
class SheetControl:
    """What one sheet held: rows by kind, the sums, and the control total if it had one."""

    file: str
    sheet: str | None
    header_row: int
    data_rows: int
    blank_rows: int
    total_lines: int
    bookings: int
    quarantined: int
    parsed_sum_ore: int
    control_total_ore: int | None


@dataclass(frozen=True)
class ParsedSheet:
    """The bookings of one sheet, its quarantined rows, findings and control figures."""

    bookings: pd.DataFrame
    quarantined: pd.DataFrame
    findings: tuple[Finding, ...]
    control: SheetControl
    # `identity_hashes(bookings)`, made where the sheet is parsed (in parallel), for combine.
    identity_hash: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class BookingsOptions:
    """What may vary per installation: extra header aliases, and how many leading digits of
    SAP's cost element (Omk.art) are the art."""

    extra_aliases: Mapping[str, Sequence[str]] = field(default_factory=dict)
    cost_element_digits: int = 2

    def fields(self) -> dict[str, tuple[str, ...]]:
        return {f: names + tuple(self.extra_aliases.get(f, ())) for f, names in FIELDS.items()}


def _columns(rows: Sequence[Sequence[object]]) -> Sequence[Sequence[object]]:
    """The rows transposed: column j holds `r[j]`, or None where a row is shorter."""
    if not rows:
        return []
    widths = set(map(len, rows))
    if len(widths) == 1 and (width := widths.pop()) > 0:
        # Rows of one width (a CSV file): numpy transposes them without a Python loop.
        grid = np.empty((len(rows), width), dtype=object)
        grid[:] = rows
        return list(grid.T)
    return list(itertools.zip_longest(*rows))


def _column(columns: Sequence[Sequence[object]], j: int | None, n: int) -> pd.Series:
    if j is None or j >= len(columns):
        return pd.Series([None] * n, dtype=object)
    return pd.Series(columns[j], dtype=object)


def _blank_row(row: Sequence[object]) -> bool:
    """all(is_blank) for a row; for a row of text (a CSV line) one join says the same."""
    try:
        return not "".join(row).strip()  # type: ignore[arg-type]
    except TypeError:
        return all(cells.is_blank(c) for c in row)


_KINDS = pa.array([UDGIFT, INDTAEGT, INTERN], type=pa.large_string())


def _kind(first: pa.Array, amount_ore: np.ndarray) -> pd.Series:
    """Hovedart from the art's first character: 7-8 income, 9 internal, else expenditure.

    Where there is no art the sign decides (negative is income); the caller says so.
    """
    code = np.where(_is_in(first, ["7", "8"]), 1, 0)
    code[_is_in(first, ["9"])] = 2
    no_art = _is_in(first, [""])
    code[no_art] = np.where(amount_ore[no_art] < 0, 1, 0)
    return cells.text_column(_KINDS.take(pa.array(code)))


def _is_in(texts: pa.Array, values: Sequence[str]) -> np.ndarray:
    found = pc.is_in(texts, value_set=pa.array(values, type=texts.type))
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False)


_DIGIT = re.compile(r"\d")


def _starts_with_digit(first: pa.Array) -> np.ndarray:
    """re.match(r"\\d", art) from each art's first character: ASCII in Arrow, the rest in Python.

    Python's \\d takes every Unicode digit; the few first characters outside ASCII are asked.
    """
    out = _is_in(first, list("0123456789"))
    other = ~pc.fill_null(pc.string_is_ascii(first), True).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(other):
        out[i] = _DIGIT.match(first[int(i)].as_py()) is not None
    return out


def _constant(text: str, n: int) -> pd.Series:
    """A text column holding one value n times (file and sheet names), built in Arrow."""
    one = pa.array([text], type=pa.large_string())
    return cells.text_column(one.take(pa.array(np.zeros(n, dtype=np.int64))))


@dataclass(frozen=True)
class HeaderFinder:
    """For a reader: the 0-based header row among a sheet's first rows (None: no header), and
    which column holds each field, with the installation's aliases."""

    fields: Mapping[str, Sequence[str]]

    def __call__(self, rows: Sequence[Sequence[object]]) -> int | None:
        found = self.match(rows)
        return None if found is None else found.row_index

    def match(self, rows: Sequence[Sequence[object]]) -> HeaderMatch | None:
        try:
            return find_header(RawSheet("", None, rows), self.fields, REQUIRED, LABELS)
        except FatalInputError:
            return None


def header_finder(options: BookingsOptions | None = None) -> HeaderFinder:
    """For a reader: the 0-based header row among a sheet's first rows, or None."""
    return HeaderFinder((options or BookingsOptions()).fields())


def _sap_marked(values: pd.Series) -> np.ndarray:
    """Cells that are SAP's subtotal (*) or grand total (**) mark (in Arrow: one pass)."""
    if cells.is_text_series(values):
        texts = cells.arrow_text(values)
    else:
        obj = values.to_numpy(dtype=object)
        texts = pa.array([v if type(v) is str else None for v in obj], type=pa.large_string())
    return _is_in(pc.utf8_trim_whitespace(texts), _SAP_TOTAL_MARKS)


def _project_columns(
    sheet: RawSheet | ColumnSheet, header: HeaderMatch, fields: Mapping[str, Sequence[str]]
) -> list[int]:
    """Every column of the header row that names the løbenummer, the matched one first."""
    names = {normalise_header(a) for a in fields["project_number"]}
    row = sheet.rows[header.row_index]
    others = [
        j
        for j, cell in enumerate(row)
        if j != header.columns["project_number"] and normalise_header(cell) in names
    ]
    return [header.columns["project_number"], *others]


def _header_rank(row: Sequence[object], names: Sequence[str]) -> dict[int, int]:
    """Column -> the place of its header among a field's accepted names."""
    order = {normalise_header(a): k for k, a in reversed(list(enumerate(names)))}
    return {j: order.get(normalise_header(cell), len(order)) for j, cell in enumerate(row)}


def _wbs_count(values: pd.Series) -> int:
    texts = pa.array(
        [v if isinstance(v, str) else None for v in values.to_numpy(dtype=object)],
        type=pa.large_string(),
    )
    return int(
        pc.sum(pc.fill_null(pc.match_substring_regex(texts, _WBS_SUFFIX), False)).as_py() or 0
    )


def _cost_element_arts(values: pd.Series, digits: int) -> pd.Series:
    """SAP's cost element as the art: its first `digits` digits joined by points
    ("22001000" -> "2.2"); a cell that is not all digits is kept as written (and judged as an
    art is)."""
    texts = cells.key_texts(values)

    def art(text: str) -> str:
        if len(text) >= digits and text.isascii() and text.isdigit():
            return ".".join(text[:digits])
        return text

    return pd.Series(
        pd.arrays.ArrowStringArray(
            pa.array([art(t) for t in texts.to_numpy(dtype=object)], type=pa.large_string())
        )
    )


# A superset of `_TOTAL_LABEL` in Arrow's RE2 (which has no Unicode \b): only the few cells it
# finds are checked with Python's pattern. The odd letters are those Python's case-insensitive
# matching also takes for i and s.
_TOTAL_PREFILTER = (
    r"(?i)^[^0-9A-Za-z]*"
    r"([i\x{0130}\x{0131}][^0-9A-Za-z]*alt|total|[s\x{017f}]u(m|btotal)|hovedtotal)"
)


def _is_total_label(values: pd.Series) -> np.ndarray:
    if cells.is_text_series(values):
        texts = cells.arrow_text(values)
        maybe = pc.fill_null(pc.match_substring_regex(texts, _TOTAL_PREFILTER), False)
        out = maybe.to_numpy(zero_copy_only=False).copy()
        for i in np.flatnonzero(out):
            out[i] = _TOTAL_LABEL.match(values.iloc[i]) is not None
        return out
    obj = values.to_numpy(dtype=object)
    if all(type(v) is str or v is None for v in obj):  # a CSV column: all text
        texts = pa.array(obj, type=pa.large_string(), from_pandas=True)
        return _is_total_label(pd.Series(pd.arrays.ArrowStringArray(texts)))
    return values.map(lambda v: isinstance(v, str) and _TOTAL_LABEL.match(v) is not None).to_numpy(
        dtype=bool
    )


def parse_bookings(
    sheet: RawSheet | ColumnSheet, options: BookingsOptions | None = None
) -> ParsedSheet:
    """Parse one export sheet into bookings; raises FatalInputError for structural faults."""
    options = options or BookingsOptions()
    fields = options.fields()
    header = find_header(sheet, fields, REQUIRED, LABELS)
    findings: list[Finding] = []
    start = header.row_index + 1
    col = dict(header.columns)
    project_columns = _project_columns(sheet, header, fields)
    numbers: dict[str, object] = {}
    if isinstance(sheet, ColumnSheet):
        if sheet.first_row != start + 1:
            raise ValueError("the reader's header row is not the one found here")
        n = sheet.height

        def column(j: int | None) -> pd.Series:
            if j is None or j not in sheet.columns:
                return pd.Series([None] * n, dtype=object)
            return sheet.columns[j]

        project_candidates = {j: column(j) for j in project_columns}
        first_cell = column(0)
        blank = np.ones(n, dtype=bool)
        for series in sheet.columns.values():
            blank &= cells.blank_mask(series)
        if sheet.numbers is not None:
            for f in ("amount", "posting_date"):
                j = col[f]
                numbers[f] = lambda j=j: sheet.numbers(j)
            if sheet.prefetch is not None and (
                cells.has_ambiguous_text(column(col["amount"]), cells.AMOUNT_AMBIGUOUS)
                or cells.has_ambiguous_text(column(col["posting_date"]), cells.DATE_AMBIGUOUS)
            ):
                sheet.prefetch()  # the amounts and dates below will ask; start reading now
    else:
        rows = sheet.rows[start:]
        n = len(rows)
        columns = _columns(rows)
        project_candidates = {j: _column(columns, j, n) for j in project_columns}
        first_cell = _column(columns, 0, n)
        blank = np.fromiter((_blank_row(r) for r in rows), dtype=bool, count=n)
    if len(project_columns) > 1:
        # SAP writes PSP-element (with the WBS suffix) beside Projektdefinition: the column
        # with the most WBS suffixes is the booking's; on a tie, the header named first in
        # the contract (Objekt, which may name other objects than projects, last).
        rank = _header_rank(sheet.rows[header.row_index], fields["project_number"])
        records = ~_sap_marked(first_cell)  # SAP's total lines repeat the object
        wbs = {j: _wbs_count(project_candidates[j][records]) for j in project_columns}
        col["project_number"] = max(project_columns, key=lambda j: (wbs[j], -rank[j]))
    if isinstance(sheet, ColumnSheet):
        raw = {f: column(col.get(f)) for f in FIELDS}
    else:
        raw = {f: _column(columns, col.get(f), n) for f in FIELDS}
        del columns
    excel_rows = np.arange(start + 1, start + 1 + n, dtype=np.int64)

    def loc(i: int | None = None) -> Location:
        return Location(sheet.file, sheet.sheet, None if i is None else int(excel_rows[i]))

    if len(project_columns) > 1:
        header_row = sheet.rows[header.row_index]
        used = str(header_row[col["project_number"]]).strip()
        unused = ", ".join(
            str(header_row[j]).strip() for j in project_columns if j != col["project_number"]
        )
        why = (
            "den med WBS-suffiks, fx XA-4411000006-01"
            if wbs[col["project_number"]]
            else "ingen af kolonnerne har WBS-suffiks"
        )
        findings.append(
            Finding(
                Severity.INFO,
                loc(),
                f"løbenummeret er læst fra kolonnen {used} ({why}); {unused} er ikke brugt",
                code="booking.project_column",
            )
        )
    project_blank = cells.blank_mask(raw["project_number"])
    labelled = _is_total_label(first_cell) | _is_total_label(raw["text"])
    is_total = ((project_blank & labelled) | _sap_marked(first_cell)) & ~blank
    candidate = ~blank & ~is_total

    projects, project_errors = cells.loebenumre(raw["project_number"])
    documents = cells.key_texts(raw["document_number"])
    lines = cells.key_texts(raw["line"])
    if "art" not in col and "cost_element" in col:
        arts = _cost_element_arts(raw["cost_element"], options.cost_element_digits)
    else:
        arts = cells.key_texts(raw["art"])
    texts = cells.key_texts(raw["text"])
    art_first = pc.utf8_slice_codeunits(cells.arrow_text(arts), 0, 1)
    # Last, since they may wait for the reader's second pass (ColumnSheet.prefetch).
    amounts, amount_errors = cells.amounts_to_ore(raw["amount"], numbers.get("amount"))
    dates, date_errors = cells.dates_to_days(raw["posting_date"], numbers.get("posting_date"))

    bad = np.zeros(n, dtype=bool)
    messages: dict[int, list[str]] = {}
    for errors in (date_errors, project_errors, amount_errors):
        for i, message in errors.items():
            if candidate[i]:
                bad[i] = True
                messages.setdefault(i, []).append(message)
    for i in np.flatnonzero(candidate & (documents == "").to_numpy()):
        bad[i] = True
        messages.setdefault(int(i), []).append("bilagsnummer mangler")
    bad_art = candidate & ~_is_in(art_first, [""]) & ~_starts_with_digit(art_first)
    for i in np.flatnonzero(bad_art):
        bad[i] = True
        messages.setdefault(int(i), []).append(
            f'art "{arts.iloc[i]}" begynder ikke med et ciffer (hovedarten)'
        )
    problems = getattr(sheet, "problems", {})
    if problems:
        amount_errors = dict(amount_errors)
    for k, problem in problems.items():
        i = k - start
        if 0 <= i < n and not blank[i]:
            # The reader could not take the line apart: its cells are not read, only said, and
            # its amount is unknown to a control total.
            bad[i] = True
            candidate[i] = True
            is_total[i] = False
            messages[i] = [problem]
            amounts[i] = 0
            amount_errors[i] = problem
    for k, problem in getattr(sheet, "incomplete", {}).items():
        i = k - start
        if 0 <= i < n and candidate[i] and int(i) not in problems:
            bad[i] = True
            messages.setdefault(i, []).insert(0, problem)
    for i in sorted(messages):
        findings.append(
            Finding(
                Severity.ERROR,
                loc(i),
                "; ".join(messages[i]) + " – rækken er sat i karantæne og ikke talt med; "
                "ret den i eksporten og kør igen",
                code="booking.cell",
            )
        )

    good = candidate & ~bad
    frame = pd.DataFrame(
        {
            "file": _constant(sheet.file, n).array,
            "sheet": _constant(sheet.sheet or "", n).array,
            "row": excel_rows,
            "posting_date": dates,
            "loebenummer": projects,
            "project_raw": cells.key_texts(raw["project_number"]).array,
            "amount_ore": amounts,
            "art": arts.array,
            "kind": _kind(art_first, amounts).array,
            "document_number": documents.array,
            "line": lines.array,
            "text": texts.array,
        }
    )
    bookings = frame[good].reset_index(drop=True)
    q = np.flatnonzero(candidate & bad)
    quarantined = pd.DataFrame(
        {
            "file": sheet.file,
            "sheet": sheet.sheet or "",
            "row": excel_rows[q],
            # As written in the export, since these cells are the ones that did not parse.
            "posting_date": cells.key_texts(raw["posting_date"].iloc[q]),
            "project_raw": cells.key_texts(raw["project_number"].iloc[q]),
            "amount": cells.key_texts(raw["amount"].iloc[q]),
            "document_number": documents.iloc[q].to_numpy(dtype=object),
            "line": lines.iloc[q].to_numpy(dtype=object),
            "text": texts.iloc[q].to_numpy(dtype=object),
            "reason": ["; ".join(messages[int(i)]) for i in q],
        }
    )

    if not candidate.any():
        # A header and nothing under it (or only blank and total lines): an export that came
        # out empty, or was cut off right after its header. Said, since it adds nothing.
        what = "arket" if sheet.sheet else "filen"
        findings.append(
            Finding(
                Severity.WARNING,
                loc(),
                f"0 posteringer – {what} har overskrifter men ingen posteringsrækker; hent "
                "eksporten igen, hvis den skulle have haft posteringer",
                code="booking.no_bookings",
            )
        )

    no_art = bookings["art"] == ""
    if no_art.any():
        what = (
            "kolonnen Art mangler" if "art" not in col else f"{int(no_art.sum())} rækker uden art"
        )
        findings.append(
            Finding(
                Severity.WARNING,
                loc(),
                f"{what}: fortegnet afgør udgift (positivt) eller indtægt (negativt)",
                code="booking.no_art",
            )
        )

    unsplit = {k - start for k in problems}
    control = _check_totals(
        sheet, raw, amounts, amount_errors, candidate, good, is_total, loc, unsplit
    )
    findings.extend(control[1])
    return ParsedSheet(
        identity_hash=identity_hashes(bookings),
        bookings=bookings,
        quarantined=quarantined,
        findings=tuple(findings),
        control=SheetControl(
            file=sheet.file,
            sheet=sheet.sheet,
            header_row=header.row_index + 1,
            data_rows=n,
            blank_rows=int(blank.sum()),
            total_lines=int(is_total.sum()),
            bookings=int(good.sum()),
            quarantined=int((candidate & bad).sum()),
            parsed_sum_ore=int(amounts[good].sum()),
            control_total_ore=control[0],
        ),
    )


def _check_totals(
    sheet: RawSheet,
    raw: Mapping[str, pd.Series],
    amounts: np.ndarray,
    amount_errors: Mapping[int, str],
    candidate: np.ndarray,
    good: np.ndarray,
    is_total: np.ndarray,
    loc,
    unsplit: set[int] | None = None,
) -> tuple[int | None, list[Finding]]:
    """Check subtotals (warnings) and the grand total (fatal when it does not match).

    The grand total is the last total line when no booking follows it; a last line that only
    matches its own block after earlier subtotals is a subtotal, and the sheet has no control
    figure.
    """
    findings: list[Finding] = []
    totals = np.flatnonzero(is_total)
    if totals.size == 0:
        return None, findings
    for i in totals:
        if int(i) in amount_errors and not cells.is_blank(raw["amount"].iloc[i]):
            raise FatalInputError(
                str(loc(int(i))), f"totallinjens beløb kan ikke læses: {amount_errors[int(i)]}"
            )
    counted = np.where(candidate, amounts, 0)
    unreadable = [int(i) for i in np.flatnonzero(candidate) if int(i) in amount_errors]
    block_start = 0
    last = int(totals[-1])
    trailing_bookings = bool(candidate[last + 1 :].any())
    for i in totals:
        i = int(i)
        block = int(counted[block_start:i].sum())
        value = int(amounts[i])
        if i == last and not trailing_bookings:
            whole = int(counted[:i].sum())
            if value == whole:
                return value, findings
            if len(totals) > 1 and value == block:
                findings.append(
                    Finding(
                        Severity.WARNING,
                        loc(),
                        "eksporten har ingen totallinje; den kunne ikke kontrolleres for "
                        "afskårne rækker",
                        code="booking.no_control_total",
                    )
                )
                return None, findings
            # The cause first (the sheet's own findings are lost with this error, so the rows
            # are named here): amounts that could not be read, and lines a reader could not take
            # apart (a shifted SAP line). Without them the total cannot be checked, so they
            # explain the difference as far as anyone can tell.
            unsplit = unsplit or set()
            shifted = [k for k in unreadable if k in unsplit]
            unreadable = [k for k in unreadable if k not in unsplit]
            shifted_text = ""
            if shifted:
                lines = ", ".join(str(loc(k).row) for k in shifted[:10])
                more = " …" if len(shifted) > 10 else ""
                shifted_text = f"linje {lines}{more} er forskudt og kunne ikke læses"
            if unreadable:
                causes = "; ".join(
                    f"række {loc(k).row}: {amount_errors[k]}" for k in unreadable[:5]
                )
                more = f" (og {len(unreadable) - 5} rækker mere)" if len(unreadable) > 5 else ""
                causes += f"{more}; {shifted_text}" if shifted_text else more
                one = len(unreadable) + len(shifted) == 1
                raise FatalInputError(
                    str(loc()),
                    f"{causes}; uden {'den' if one else 'dem'} stemmer kontroltotalen i "
                    f"række {loc(i).row} ikke (forskel {kr_text(value - whole)}) – ret "
                    f"{'beløbet' if one else 'beløbene'} i eksporten, og kør igen",
                )
            if shifted:
                one = len(shifted) == 1
                raise FatalInputError(
                    str(loc(i)),
                    f"{shifted_text}; uden {'den' if one else 'dem'} stemmer kontroltotalen "
                    f"{kr_text(value)} ikke (forskel {kr_text(value - whole)}) – hent eksporten "
                    "igen fra økonomisystemet, og kør igen",
                )
            raise FatalInputError(
                str(loc(i)),
                f"kontroltotalen {kr_text(value)} stemmer ikke med summen af de læste posteringer "
                f"{kr_text(whole)} (forskel {kr_text(value - whole)}); eksporten er måske "
                "afskåret eller redigeret – hent den igen fra økonomisystemet",
            )
        if value != block:
            findings.append(
                Finding(
                    Severity.WARNING,
                    loc(i),
                    f"subtotal {kr_text(value)} stemmer ikke med posteringerne over den "
                    f"{kr_text(block)}",
                    code="booking.subtotal",
                )
            )
        block_start = i + 1
    findings.append(
        Finding(
            Severity.WARNING,
            loc(),
            "der står posteringer efter den sidste totallinje; eksporten har ingen kontroltotal",
            code="booking.no_control_total",
        )
    )
    return None, findings


CONTENT_COLUMNS = ("posting_date", "loebenummer", "amount_ore", "art", "text")
IDENTITY_COLUMNS = ["document_number", *CONTENT_COLUMNS]


# The identity columns' types, fixed before hashing, so equal bookings from any two sheets
# hash equal (a booking whose hash occurs once is certainly unique; see combine).
_IDENTITY_TYPES = {
    "document_number": "str",
    "line": "str",
    "posting_date": "datetime64[s]",
    "loebenummer": "str",
    "amount_ore": "int64",
    "art": "str",
    "text": "str",
}


def identity_hashes(bookings: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash per booking of what `_identities` compares (its line or its content)."""
    out = np.zeros(len(bookings), dtype=np.uint64)
    if bookings.empty:
        return out
    typed = bookings[list(_IDENTITY_TYPES)].astype(_IDENTITY_TYPES)
    has_line = (typed["line"] != "").to_numpy()
    # The two kinds of identity never equal each other, as in `_identities`: the flag is hashed.
    for rows, columns in ((has_line, ["document_number", "line"]), (~has_line, IDENTITY_COLUMNS)):
        if rows.any():
            part = typed.loc[rows, columns].assign(_line=rows[rows])
            out[rows] = pd.util.hash_pandas_object(part, index=False).to_numpy(np.uint64)
    return out
