"""The CSV outputs other programs read: kr. with øre, "." as decimal point, UTF-8."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path

import pandas as pd

from kitflow.core.accounts import Report
from kitflow.core.combine import QUARANTINE_COLUMNS
from kitflow.core.money import kr_csv
from kitflow.core.reconcile import PostFigures
from reports.format import rounded_pct, safe_text
from reports.labels import AFLAEGGELSE_TEXT, STATUS_TEXT, label

ALL_PROJECTS = "I alt, alle projekter"


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _pct_csv(figures) -> str:
    value = rounded_pct(figures.afvigelse_pct, 1)
    return "" if value is None else f"{value:.1f}"


def _post_rows(projekt: str, loebenummer: str, figures: PostFigures):
    for post, f in figures.rows():
        yield (
            safe_text(projekt),
            loebenummer,
            post,
            kr_csv(f.raadighedsbeloeb),
            kr_csv(f.forbrug),
            kr_csv(f.afvigelse),
            _pct_csv(f),
        )


def reconciliation_rows(report: Report):
    """Per løbenummer, per project, then "I alt" (the bilag's projects) and all projects."""
    for account in report.projects:
        for number in account.loebenumre:
            yield from _post_rows(
                account.project.projekt, number.loebenummer.loebenummer, number.figures
            )
        yield from _post_rows(account.project.projekt, "", account.figures)
    yield from _post_rows("I alt", "", report.overview_total)
    yield from _post_rows(ALL_PROJECTS, "", report.all_total)


# Each CSV file's columns and what each holds; docs/data-contract.md's tables are made from
# these (scripts/data_contract_tables.py), so a column and its meaning change together.
Columns = tuple[tuple[str, str], ...]

RECONCILIATION_CSV: Columns = (
    (
        "projekt",
        "the project; `I alt` on the totals over the projects in this year's bilag (Bilag 4's "
        f"total), `{ALL_PROJECTS}` on the totals over every project",
    ),
    ("loebenummer", "the project number; empty on a project's own rows and on the totals"),
    ("post", "`Udgifter`, `Indtægter` or `Netto` (their sum)"),
    ("raadighedsbeloeb", "the appropriation: the sum of Bevillinger's lines, kr."),
    ("forbrug", "the matched bookings, kr."),
    ("afvigelse", "rådighedsbeløb minus forbrug, kr.: positive is underspending"),
    (
        "afvigelse_pct",
        "afvigelse in percent of the rådighedsbeløb, one decimal; empty where undefined "
        "(forbrug without a rådighedsbeløb)",
    ),
)

BOOKINGS_CSV: Columns = (
    ("fil", "the export the booking was read from"),
    ("ark", "its sheet (empty for a CSV file)"),
    ("raekke", "its row, as Excel numbers it"),
    ("bogfoeringsdato", "the posting date, `yyyy-mm-dd`"),
    ("loebenummer", "the project number, normalised (`XA-4411000006`, WBS suffix rolled up)"),
    ("loebenummer_i_fil", "the project number as the export wrote it"),
    ("beloeb", "the amount, kr."),
    ("art", "the art as written"),
    ("bilagsnummer", "the document number"),
    ("linje", "the line in the document"),
    ("tekst", "the booking's text"),
)
BOOKING_HEADER = tuple(name for name, _ in BOOKINGS_CSV)

QUARANTINE_CSV: Columns = (
    ("fil", "the export the row was read from"),
    ("ark", "its sheet (empty for a CSV file)"),
    ("raekke", "its row, as Excel numbers it"),
    ("bogfoeringsdato", "the posting date, as written"),
    ("loebenummer", "the project number, as written"),
    ("beloeb", "the amount, as written"),
    ("bilagsnummer", "the document number"),
    ("linje", "the line in the document"),
    ("tekst", "the booking's text"),
    ("aarsag", "why the row was not counted (the finding's words)"),
)
QUARANTINE_HEADER = tuple(name for name, _ in QUARANTINE_CSV)


def _codes(words: Mapping[StrEnum, str]) -> str:
    """A column's codes with the words the workbook shows for them: `forfalden` (Forfalden)."""
    return ", ".join(f"`{code}` ({label(code)})" for code in words)


DUE_CSV: Columns = (
    ("projekt", "the project"),
    ("brutto_udgifter", "its gross expenditure (matched bookings), kr."),
    (
        "brutto_indtaegter",
        "its gross income, kr., negative as in reconciliation.csv (matched bookings)",
    ),
    ("faerdiggjort", "the completion date that counts (rule A2), `yyyy-mm-dd`; empty: none"),
    ("frist", "the deadline, 31 December of the completion year; empty: none yet"),
    (
        "aflaeggelse",
        "a code, shown in the workbook as the words in brackets: "
        f"{_codes(AFLAEGGELSE_TEXT)}. A separate account when gross expenditure or income "
        "is at or above the threshold (rule A1), else with the annual accounts",
    ),
    (
        "status",
        f"a code, shown in the workbook as the words in brackets (rule A2): {_codes(STATUS_TEXT)}",
    ),
    ("udvalg", "the committee: the register's Udførende udvalg, else its Udvalg"),
)

# Every finding `kitflow check` prints for the folder, in its order: the inputs', the accounts'
# and the reminders' planning's (acquisitions.xlsx, C6).
FINDINGS_CSV: Columns = (
    ("alvor", "`fejl`, `advarsel` or `info`"),
    ("fil", "the file the finding is about"),
    ("ark", "its sheet, where there is one"),
    ("raekke", "its row, where there is one"),
    ("kode", "a fixed code for the kind of finding (e.g. `booking.cell`), for filtering"),
    ("besked", "the finding in Danish, as `kitflow check` prints it"),
)

# File -> its columns, in the order the files are written.
CSV_FILES: dict[str, Columns] = {
    "reconciliation.csv": RECONCILIATION_CSV,
    "unmatched.csv": BOOKINGS_CSV,
    "internal.csv": BOOKINGS_CSV,
    "quarantined.csv": QUARANTINE_CSV,
    "duplicates.csv": BOOKINGS_CSV,
    "later.csv": BOOKINGS_CSV,
    "due.csv": DUE_CSV,
    "findings.csv": FINDINGS_CSV,
}


def quarantine_rows(frame: pd.DataFrame):
    """Rows that did not parse, with their cells as the export wrote them."""
    columns = QUARANTINE_COLUMNS
    for values in zip(*(frame[c].tolist() for c in columns), strict=True):
        yield tuple(
            int(v) if c == "row" else safe_text(v) for c, v in zip(columns, values, strict=True)
        )


def booking_rows(
    frame: pd.DataFrame,
    extra: Sequence[str] = (),
    amount: Callable[[int], object] = kr_csv,
):
    """Bookings with their source location, as the CSV files and the workbook list them.

    The amount is written by `amount` from øre: "1234.56" for the CSV files (the default),
    a number for the workbook.
    """
    if frame.empty:
        return
    dates = pd.Series(frame["posting_date"]).astype("datetime64[s]").dt.strftime("%Y-%m-%d")
    columns = [
        frame[c].tolist()
        for c in (
            "file",
            "sheet",
            "row",
            "loebenummer",
            "project_raw",
            "amount_ore",
            "art",
            "document_number",
            "line",
            "text",
            *extra,
        )
    ]
    for values in zip(dates.fillna("").tolist(), *columns, strict=True):
        date, file, sheet, row, number, raw, ore, art, doc, line, text, *rest = values
        yield (
            safe_text(file),
            safe_text(sheet),
            int(row),
            date,
            number or "",
            safe_text(raw),
            amount(int(ore)),
            safe_text(art),
            safe_text(doc),
            safe_text(line),
            safe_text(text),
            *(safe_text(v) for v in rest),
        )


def _iso(day: dt.date | None) -> str:
    return "" if day is None else day.isoformat()


def due_rows(
    report: Report,
    amount: Callable[[int], object] = kr_csv,
    date: Callable[[dt.date | None], object] = _iso,
    words: Callable[[StrEnum], str] = str,
):
    """Every project's deadline decision. For the CSV (the defaults): amounts as "1234.56",
    dates `yyyy-mm-dd`, and the codes; the workbook passes numbers, dates and `label`."""
    for account in report.projects:
        d = account.due
        yield (
            safe_text(d.projekt),
            amount(d.brutto_udgifter),
            amount(d.brutto_indtaegter),
            date(d.faerdiggjort),
            date(d.frist),
            words(d.aflaeggelse),
            words(d.status),
            safe_text(d.udvalg),
        )


def finding_rows(report: Report):
    for f in report.findings:
        loc = f.location
        yield (
            f.severity.value,
            safe_text(loc.file),
            safe_text(loc.sheet or ""),
            "" if loc.row is None else loc.row,
            f.code,
            safe_text(f.message),
        )


def write_csv_files(report: Report, folder: Path) -> list[Path]:
    """Write every CSV output into `folder`; returns the paths written."""
    written = []

    def out(name: str, rows) -> None:
        path = folder / name
        _write(path, tuple(column for column, _ in CSV_FILES[name]), rows)
        written.append(path)

    out("reconciliation.csv", reconciliation_rows(report))
    out("unmatched.csv", booking_rows(report.unmatched))
    out("internal.csv", booking_rows(report.internal))
    out("quarantined.csv", quarantine_rows(report.quarantined))
    out("duplicates.csv", booking_rows(report.duplicates))
    out("later.csv", booking_rows(report.later))
    out("due.csv", due_rows(report))
    out("findings.csv", finding_rows(report))
    return written
