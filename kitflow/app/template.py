"""`kitflow template DIR`: an empty, correctly headed data folder, written from the data contract.

register.xlsx and acquisitions.xlsx get every sheet with its header row and one example row,
and a help sheet (Hjælp) listing each sheet's columns in Danish; `bookings/` is made empty,
with a small example export beside it that the run does not read. Nothing is overwritten.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from kitflow.core.contract import ACQUISITIONS, BOOKINGS, EXPORTS, REGISTER, FileSpec, Kind
from kitflow.core.contract.model import Column, SheetSpec
from kitflow.core.findings import FatalInputError
from reports.workbook import BOLD, DATE, FONT, KR, TITLE

HELP_SHEET = "Hjælp"
EXAMPLE_EXPORT = "eksempel-eksport.csv"
BOOKINGS_FOLDER = "bookings"
EXAMPLE = Font(name=FONT, italic=True, color="808080")  # the example row, so it reads as one
REFUSE = "findes allerede; kitflow template overskriver ingen filer – vælg en tom mappe"

_HELP_INTRO = (
    "Række 1 i hvert ark er overskrifterne, række 2 et eksempel: skriv over det, eller slet "
    "rækken. kitflow finder kolonnerne ved overskriften (store og små bogstaver er lige gode, "
    "og rækkefølgen er ligegyldig); kolonner, der ikke står her, bliver sprunget over.",
    "Skal med = ja: uden den kolonne stopper kørslen. En tom celle betyder det, der står "
    "under Beskrivelse. Dette ark læser kitflow ikke.",
    "Tjek mappen, før den bruges: kitflow check --data <mappen>",
)
_HELP_HEADER = ("Ark", "Én række pr.", "Kolonne", "Også accepteret", "Skal med", "Format")
_HELP_WIDTHS = (22, 26, 30, 34, 9, 34, 80)


def write_template(folder: Path) -> list[Path]:
    """Write the template into `folder` (made if missing); returns what was written.

    Raises FatalInputError, having written nothing, when any of the files is already there.
    """
    files = {
        folder / REGISTER.path: _workbook_bytes(REGISTER, also=(EXPORTS,)),
        folder / ACQUISITIONS.path: _workbook_bytes(ACQUISITIONS),
        folder / EXAMPLE_EXPORT: example_export(),
    }
    if folder.exists() and not folder.is_dir():
        raise FatalInputError(str(folder), "er en fil, ikke en mappe")
    for path in files:
        if path.exists():
            raise FatalInputError(str(path), REFUSE)
    bookings = folder / BOOKINGS_FOLDER
    bookings.mkdir(parents=True, exist_ok=True)
    written = []
    for path, data in files.items():
        try:
            with path.open("xb") as fh:  # "x": never replace a file that appeared meanwhile
                fh.write(data)
        except FileExistsError:
            raise FatalInputError(str(path), REFUSE) from None
        written.append(path)
    return [*written, bookings]


def _workbook_bytes(spec: FileSpec, also: tuple[FileSpec, ...] = ()) -> bytes:
    """The workbook: each sheet headed, with its example row, then the help sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in spec.sheets:
        _data_sheet(wb, sheet)
    _help_sheet(wb, spec, also)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _data_sheet(wb: Workbook, sheet: SheetSpec) -> None:
    ws = wb.create_sheet(sheet.name)
    for j, column in enumerate(sheet.columns, start=1):
        ws.cell(row=1, column=j, value=column.written).font = BOLD
        cell = ws.cell(row=2, column=j, value=column.example)
        cell.font = EXAMPLE
        if column.kind is Kind.DATE:
            cell.number_format = DATE
        elif column.kind is Kind.AMOUNT:
            cell.number_format = KR
        width = max(len(column.written), len(str(column.example or ""))) + 3
        ws.column_dimensions[get_column_letter(j)].width = min(max(width, 12), 60)
    ws.freeze_panes = "A2"


def _help_sheet(wb: Workbook, spec: FileSpec, also: tuple[FileSpec, ...]) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    ws.cell(row=1, column=1, value=f"Sådan udfylder du {spec.path}").font = TITLE
    for i, line in enumerate(_HELP_INTRO, start=2):
        ws.cell(row=i, column=1, value=line)
    top = len(_HELP_INTRO) + 3
    for j, title in enumerate((*_HELP_HEADER, "Beskrivelse"), start=1):
        ws.cell(row=top, column=j, value=title).font = BOLD
    row = top + 1
    for file in (spec, *also):
        for sheet in file.sheets:
            where = _where(file, sheet)
            for column in sheet.columns:
                values = _help_row(where, sheet, column)
                for j, value in enumerate(values, start=1):
                    cell = ws.cell(row=row, column=j, value=value)
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                ws.row_dimensions[row].height = 15 * _lines(values)
                row += 1
    for j, width in enumerate(_HELP_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = ws.cell(row=top + 1, column=1)


def _lines(values: tuple[str, ...]) -> int:
    """The lines the row wraps to: a taller row, as not every spreadsheet program fits it."""
    widths = (int(w * 1.1) for w in _HELP_WIDTHS)  # characters per line, roughly
    return max(1, *(-(-len(v) // w) for v, w in zip(values, widths, strict=True)))


def _where(file: FileSpec, sheet: SheetSpec) -> str:
    return f"Eksporter i mappen {BOOKINGS_FOLDER}" if file is EXPORTS else sheet.name


def _help_row(where: str, sheet: SheetSpec, column: Column) -> tuple[str, ...]:
    return (
        where,
        sheet.en_raekke_pr,
        column.written,
        ", ".join(h for h in column.headers if h != column.written),
        "ja" if column.required else "nej",
        column.format_da(),
        column.hjaelp,
    )


def example_export() -> bytes:
    """A small export as the finance system writes one: a booking and its grand total line.

    Semicolon CSV with Danish amounts, UTF-8 with BOM so Excel shows the letters right.
    """
    header = [c.written for c in BOOKINGS.columns]
    booking = [_csv_value(c.example) for c in BOOKINGS.columns]
    total = ["" for _ in BOOKINGS.columns]
    total[0] = "I alt"
    amount = header.index(BOOKINGS.column("amount").written)
    total[amount] = booking[amount]
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerows((header, booking, total))
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def _csv_value(value: object) -> str:
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    return "" if value is None else str(value)
