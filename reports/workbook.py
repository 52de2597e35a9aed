"""The controllers' workbook anlaegsregnskab.xlsx: Bilag 4's tables as numbers, and the lists."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kitflow.core.accounts import ProjectAccount, Report
from reports import csv_files, sheet_xml
from reports.csv_files import booking_rows
from reports.format import fmt_date, safe_text, thousands
from reports.labels import label as in_words
from reports.tables import (
    KATEGORI_TEKST,
    Amount,
    Percent,
    Table,
    no_remarks,
    overview_table,
    project_table,
    resultat_text,
)

THOUSANDS = "#,##0"  # a Danish Excel shows 4.483
# Percent as B4 prints it, 3% and 3,4%. Not the built-in "0%" (id 9): spreadsheet programs
# localise that one, and LibreOffice in Danish shows it as "3 %".
PCT_FORMAT = {0: "0%;-0%;0%", 1: "0.0%;-0.0%;0.0%"}
KR = "#,##0.00"
DATE = "dd.mm.yyyy"

FONT = "Calibri"
BOLD = Font(name=FONT, bold=True)
TITLE = Font(name=FONT, bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_BORDER = Border(top=Side(style="thin"), bottom=Side(style="double"))
WRAP = Alignment(wrap_text=True, vertical="top")


def _text(value: object) -> str:
    """Text from the data for an openpyxl cell: inert (safe_text) and within what a cell holds."""
    return sheet_xml.cell_text(safe_text(value))


def _style_id(wb: Workbook, number_format: str) -> int:
    """The cellXfs index openpyxl gives a plain cell with this number format, for the XML rows.

    Asked of openpyxl through a cell on a sheet removed again: the style stays in the book.
    """
    ws = wb.create_sheet()
    try:
        cell = ws.cell(row=1, column=1)
        cell.number_format = number_format
        return cell.style_id
    finally:
        wb.remove(ws)


def _in_thousands(ore: int) -> float:
    """An amount in 1.000 kr. (the overview and project tables), from øre."""
    # Excel holds doubles; the exact Decimal goes in and Excel rounds only for display.
    return float(thousands(ore))


def _header(ws: Worksheet, row: int, labels: Sequence[str]) -> None:
    for col, label in enumerate(labels, start=1):
        cell = ws.cell(row=row, column=col, value=label)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _label_height(text: str, width: float) -> float:
    """Row height for a wrapped label: LibreOffice and Excel do not grow rows openpyxl writes."""
    lines = sum(max(1, -(-len(part) // int(width * 0.95))) for part in text.split("\n"))
    return 15.0 * lines


def _write_table(ws: Worksheet, row: int, table: Table, label_width: float) -> int:
    """The shared table (reports.tables) as numbers with number formats; returns the next row."""
    _header(ws, row, table.header)
    ws.row_dimensions[row].height = 30
    for col in range(2, len(table.header) + 1):
        ws.cell(row=row, column=col).alignment = Alignment(
            horizontal="right", vertical="bottom", wrap_text=True
        )
    for r in table.rows:
        row += 1
        label = ws.cell(row=row, column=1, value=_text(r.label))
        label.alignment = WRAP
        ws.row_dimensions[row].height = _label_height(r.label, label_width)
        for col, value in enumerate(r.cells, start=2):
            cell = ws.cell(row=row, column=col)
            cell.alignment = Alignment(horizontal="right", vertical="top")
            if isinstance(value, Amount):
                cell.value = _in_thousands(value.ore)
                cell.number_format = THOUSANDS
            elif isinstance(value, Percent):
                pct = value.rounded
                # Undefined (forbrug on no rådighedsbeløb) shows as B4's dash, not as 0.
                cell.value = "–" if pct is None else float(pct / 100)
                cell.number_format = PCT_FORMAT[value.places]
        if r.total:
            for col in range(1, len(table.header) + 1):
                ws.cell(row=row, column=col).font = BOLD
        if r.key == "i_alt":
            for col in range(1, len(table.header) + 1):
                ws.cell(row=row, column=col).border = TOTAL_BORDER
    return row + 1


def _print_setup(ws: Worksheet) -> None:
    """A4 portrait, one page wide, so a printed sheet looks like the bilag page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def _chart(ws: Worksheet, report: Report, below: int) -> int:
    """Rådighedsbeløb against forbrug (netto) per project, under the table; returns its last row.

    Its data is a small table of its own in G:I beside the overview (a chart needs one range
    per series; the overview's Netto rows are every third row), outside the print area.
    """
    top = 4
    ws.cell(row=top - 1, column=7, value="Diagramdata: netto pr. projekt, 1.000 kr.").font = BOLD
    for col, label in enumerate(("Projekt", "Rådighedsbeløb", "Forbrug"), start=7):
        cell = ws.cell(row=top, column=col, value=label)
        cell.font, cell.fill = BOLD, HEADER_FILL
    row = top
    for account in report.overview:
        netto = overview_table([account]).row("netto").cells
        row += 1
        ws.cell(row=row, column=7, value=_text(account.project.kort_navn))
        for col, cell in ((8, netto[0]), (9, netto[1])):
            ws.cell(row=row, column=col, value=_in_thousands(cell.ore)).number_format = THOUSANDS
    chart = BarChart()
    chart.type = "bar"  # horizontal bars: the project names are long
    chart.title = "Rådighedsbeløb og forbrug pr. projekt (netto)"
    chart.y_axis.title = "1.000 kr."
    chart.y_axis.numFmt = THOUSANDS
    chart.x_axis.scaling.orientation = "maxMin"  # the first project on top, as in the table
    # openpyxl 3.1 hides both axes unless told otherwise.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.add_data(
        Reference(ws, min_col=8, max_col=9, min_row=top, max_row=row), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=7, min_row=top + 1, max_row=row))
    chart.height = 4 + 1.2 * len(report.overview)  # cm
    chart.width = 24
    ws.add_chart(chart, f"A{below + 1}")
    return below + 1 + int(chart.height / 0.5) + 1  # rows of 15 pt are about 0.53 cm


def _oversigt(ws: Worksheet, report: Report) -> None:
    ws.title = "Oversigt"
    ws["A1"] = f"Anlægsregnskaber – oversigt pr. {fmt_date(report.as_of)}"
    ws["A1"].font = TITLE
    ws["A2"] = (
        resultat_text(report.overview_total.netto)
        if report.overview
        else ("Ingen projekter skal aflægge særskilt anlægsregnskab.")
    )
    ws["A2"].alignment = WRAP
    ws.merge_cells("A2:E2")
    ws.row_dimensions[2].height = 45
    row = _write_table(ws, 4, overview_table(report.overview), 58)
    last = _chart(ws, report, row) if report.overview else row
    _widths(ws, (58, 16, 16, 16, 14, 4, 40, 16, 16))
    ws.freeze_panes = "A5"
    _print_setup(ws)
    ws.print_area = f"A1:E{last}"


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", sheet_xml.cell_text(name)).strip("'")[:31] or "Projekt"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _project_sheet(ws: Worksheet, report: Report, account: ProjectAccount) -> None:
    p = account.project
    ws["A1"] = _text(p.projekt)
    ws["A1"].font = TITLE
    info = (
        ("Bevilling", p.bevilling),
        ("Løbenumre", ", ".join(n.loebenummer.loebenummer for n in account.loebenumre)),
        ("Faktisk ibrugtagningsdato", p.ibrugtagningsdato),
        ("Færdiggjort", account.due.faerdiggjort),
        ("Frist for aflæggelse", account.due.frist),
        ("Status", in_words(account.due.status)),
        ("Udvalg", account.due.udvalg),
    )
    for i, (label, value) in enumerate(info, start=3):
        ws.cell(row=i, column=1, value=label).font = BOLD
        cell = ws.cell(row=i, column=2, value=value if not isinstance(value, str) else _text(value))
        if value is not None and not isinstance(value, str):
            cell.number_format = DATE
            cell.alignment = Alignment(horizontal="left")
    row = _write_table(ws, 3 + len(info) + 1, project_table(account), 40)
    row += 1
    ws.cell(row=row, column=1, value="Afvigelsesforklaringer").font = BOLD
    row += 1
    if not account.explanation_required:
        text = no_remarks(report)
    else:
        text = p.afvigelsesforklaring or "[MANGLER: afvigelsesforklaring skal skrives i registret]"
    ws.cell(row=row, column=1, value=_text(text)).alignment = WRAP
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    ws.row_dimensions[row].height = max(15, 15 * (len(text) // 90 + 1))
    row += 2
    _header(ws, row, ("Kategori", "Ja/Nej", "Uddybende bemærkninger", ""))
    ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=4)
    for k in account.kategorier:
        row += 1
        label = KATEGORI_TEKST.get(k.kategori, k.kategori)
        ws.cell(row=row, column=1, value=_text(label)).alignment = WRAP
        svar = {True: "Ja", False: "Nej"}.get(k.svar, "[mangler]")
        ws.cell(row=row, column=2, value=svar).alignment = WRAP
        ws.cell(row=row, column=3, value=_text(k.bemaerkning)).alignment = WRAP
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=4)
        ws.row_dimensions[row].height = max(
            _label_height(label, 40), _label_height(k.bemaerkning or "", 36)
        )
    row += 2
    ws.cell(row=row, column=1, value="Registreret i anlægskartoteket").font = BOLD
    ws.cell(row=row, column=2, value={True: "Ja", False: "Nej"}.get(p.anlaegskartotek, "[mangler]"))
    _widths(ws, (40, 18, 18, 18))
    _print_setup(ws)


def _table(
    ws: Worksheet,
    lists: dict[str, sheet_xml.SheetRows],
    styles: tuple[int, int],
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[float],
) -> None:
    """A list sheet: openpyxl writes the header and the sheet's settings, the rows go in as XML.

    openpyxl cost ~20 µs a cell, 7 s for the benchmark's 30,000 internal bookings; the rows
    are spliced into the saved file by write_workbook (reports.sheet_xml).
    """
    ws.title = title
    _header(ws, 1, header)
    kroner, dates = styles
    data = sheet_xml.sheet_rows(rows, 2, kroner, dates)
    lists[title] = data
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(data.last_row, 1)}"
    _widths(ws, widths)


def _in_kroner(ore: int) -> float:
    """An amount in kr. with øre (the list sheets), from øre."""
    # The double nearest the exact amount, as float("1234.56") of the CSV's text would give.
    return ore / 100


def write_workbook(report: Report, path: Path) -> None:
    """Oversigt, a sheet per project in the bilag, and the lists a controller works from."""
    wb = Workbook()
    # Before any other sheet: removing their sheet then moves nothing.
    styles = (_style_id(wb, KR), _style_id(wb, DATE))
    _oversigt(wb.active, report)
    used = {"oversigt", "ikke matchede", "interne", "karantæne", "forfaldne", "fund", "kørsel"}
    for account in report.overview:
        ws = wb.create_sheet(_sheet_name(account.project.kort_navn, used))
        _project_sheet(ws, report, account)
    lists: dict[str, sheet_xml.SheetRows] = {}

    def table(title: str, header: Sequence[str], rows, widths: Sequence[float]) -> None:
        _table(wb.create_sheet(), lists, styles, title, header, rows, widths)

    booking_widths = (28, 14, 8, 12, 16, 18, 14, 8, 14, 8, 40)
    bookings = csv_files.BOOKING_HEADER
    table(
        "Ikke matchede", bookings, booking_rows(report.unmatched, amount=_in_kroner), booking_widths
    )
    table("Interne", bookings, booking_rows(report.internal, amount=_in_kroner), booking_widths)
    table(
        "Karantæne",
        csv_files.QUARANTINE_HEADER,
        csv_files.quarantine_rows(report.quarantined),
        (28, 14, 8, 14, 18, 14, 14, 8, 30, 60),
    )
    table(
        "Forfaldne",
        (
            "Projekt",
            "Brutto udgifter (kr.)",
            "Brutto indtægter (kr.)",
            "Færdiggjort",
            "Frist",
            "Aflæggelse",
            "Status",
            "Udvalg",
        ),
        # Real dates and the words for the codes, which due.csv keeps for programs.
        csv_files.due_rows(report, amount=_in_kroner, date=lambda day: day, words=in_words),
        (50, 18, 18, 12, 12, 14, 16, 24),
    )
    table(
        "Fund",
        ("Alvor", "Fil", "Ark", "Række", "Kode", "Besked"),
        csv_files.finding_rows(report),
        (10, 30, 14, 8, 26, 100),
    )
    table(
        "Kørsel",
        ("Fil", "Ark", "Rækker", "Posteringer", "Karantæne", "Kontroltotal (kr.)", "sha256"),
        _file_rows(report),
        (34, 14, 10, 12, 10, 18, 66),
    )
    package = io.BytesIO()
    wb.save(package)
    sheet_xml.write_with_rows(package.getvalue(), lists, path)


def _file_rows(report: Report):
    for f in report.files:
        if not f.sheets:
            yield (safe_text(f.file), "", None, None, None, None, f.sha256)
        for s in f.sheets:
            total = None if s.control_total_ore is None else _in_kroner(s.control_total_ore)
            yield (
                safe_text(f.file),
                safe_text(s.sheet or ""),
                s.data_rows,
                s.bookings,
                s.quarantined,
                total,
                f.sha256,
            )
