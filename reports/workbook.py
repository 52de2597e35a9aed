"""The controllers' workbook anlaegsregnskab.xlsx, laid out as Bilag 4's overview table."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kitflow.core.reconcile import Figures
from reports import csv_files
from reports.format import fmt_date, fmt_mio, rounded_pct, safe_text, thousands
from reports.model import ProjectAccount, Report

THOUSANDS = "#,##0"  # a Danish Excel shows 4.483
PCT_WHOLE = "0%"  # B4's overview: 3%
PCT_ONE = "0.0%"  # B4's project tables: 3,4%
KR = "#,##0.00"
DATE = "dd.mm.yyyy"

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_BORDER = Border(top=Side(style="thin"), bottom=Side(style="double"))
WRAP = Alignment(wrap_text=True, vertical="top")


def _money(ore: int) -> float:
    # Excel holds doubles; the exact Decimal goes in and Excel rounds only for display.
    return float(thousands(ore))


def _pct(figures: Figures, places: int) -> float | None:
    value = rounded_pct(figures.afvigelse_pct, places)
    return None if value is None else float(value / 100)


def _header(ws: Worksheet, row: int, labels: Sequence[str]) -> None:
    for col, label in enumerate(labels, start=1):
        cell = ws.cell(row=row, column=col, value=label)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _figure_row(ws: Worksheet, row: int, label: str, f: Figures, pct_places: int) -> None:
    ws.cell(row=row, column=1, value=safe_text(label)).alignment = WRAP
    for col, value in ((2, f.raadighedsbeloeb), (3, f.forbrug), (4, f.afvigelse)):
        ws.cell(row=row, column=col, value=_money(value)).number_format = THOUSANDS
    cell = ws.cell(row=row, column=5, value=_pct(f, pct_places))
    cell.number_format = PCT_WHOLE if pct_places == 0 else PCT_ONE
    if cell.value is None:
        cell.value = "–"
        cell.alignment = Alignment(horizontal="right")


def resultat_text(report: Report) -> str:
    """B4's Resultat sentence, from the same totals as the table."""
    total = report.overview_total.netto
    afvigelse = total.afvigelse
    word = "mindreforbrug" if afvigelse >= 0 else "merforbrug"
    return (
        "Anlægsregnskaberne i denne oversigt har en samlet rådighedsbevilling på "
        f"{fmt_mio(total.raadighedsbeloeb)} mio. kr. og et samlet forbrug på "
        f"{fmt_mio(total.forbrug)} mio. kr. Det giver et samlet {word} på "
        f"{fmt_mio(abs(afvigelse))} mio. kr."
    )


def _oversigt(ws: Worksheet, report: Report) -> None:
    ws.title = "Oversigt"
    ws["A1"] = f"Anlægsregnskaber – oversigt pr. {fmt_date(report.as_of)}"
    ws["A1"].font = TITLE
    ws["A2"] = (
        resultat_text(report)
        if report.overview
        else ("Ingen projekter skal aflægge særskilt anlægsregnskab.")
    )
    ws["A2"].alignment = WRAP
    ws.merge_cells("A2:E2")
    ws.row_dimensions[2].height = 45
    _header(
        ws,
        4,
        (
            "Projekt\n1.000 kr., løbende priser",
            "Rådighedsbeløb",
            "Forbrug",
            "Afvigelse",
            "Afvigelse i procent",
        ),
    )
    row = 5
    for account in report.overview:
        for post, f in account.figures.rows():
            _figure_row(ws, row, f"{account.project.kort_navn} ({post})", f, 0)
            row += 1
    _figure_row(ws, row, "I alt", report.overview_total.netto, 0)
    for col in range(1, 6):
        ws.cell(row=row, column=col).font = BOLD
        ws.cell(row=row, column=col).border = TOTAL_BORDER
    _widths(ws, (58, 16, 16, 16, 14))
    ws.freeze_panes = "A5"


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'")[:31] or "Projekt"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _project_sheet(ws: Worksheet, account: ProjectAccount) -> None:
    p = account.project
    ws["A1"] = p.projekt
    ws["A1"].font = TITLE
    info = (
        ("Bevilling", p.bevilling),
        ("Løbenumre", ", ".join(n.loebenummer.loebenummer for n in account.loebenumre)),
        ("Faktisk ibrugtagningsdato", p.ibrugtagningsdato),
        ("Færdiggjort", account.due.faerdiggjort),
        ("Frist for aflæggelse", account.due.frist),
        ("Status", account.due.status),
        ("Udvalg", account.due.udvalg),
    )
    for i, (label, value) in enumerate(info, start=3):
        ws.cell(row=i, column=1, value=label).font = BOLD
        cell = ws.cell(
            row=i, column=2, value=value if not isinstance(value, str) else safe_text(value)
        )
        if value is not None and not isinstance(value, str):
            cell.number_format = DATE
            cell.alignment = Alignment(horizontal="left")
    row = 3 + len(info) + 1
    _header(
        ws,
        row,
        (
            "Projekt\n1.000 kr., løbende priser",
            "Udgiftsregnskab",
            "Indtægtsregnskab",
            "Nettoregnskab",
        ),
    )
    row += 1
    fig = account.figures

    def line(label: str, values: Iterable[int | None], fmt: str = THOUSANDS, bold=False) -> None:
        nonlocal row
        ws.cell(row=row, column=1, value=safe_text(label)).font = Font(bold=bold)
        for col, value in enumerate(values, start=2):
            cell = ws.cell(row=row, column=col, value=value)
            cell.number_format = fmt
            if bold:
                cell.font = BOLD
        row += 1

    for d in account.decisions:
        line(d.beslutning, (_money(d.udgifter), _money(d.indtaegter), _money(d.netto)))
    posts = (fig.udgifter, fig.indtaegter, fig.netto)
    line("Rådighedsbeløb i alt", (_money(f.raadighedsbeloeb) for f in posts), bold=True)
    line("Forbrug", (_money(f.forbrug) for f in posts))
    line("Afvigelse", (_money(f.afvigelse) for f in posts))
    line("Afvigelse i procent", (_pct(f, 1) for f in posts), fmt=PCT_ONE)
    row += 1
    ws.cell(row=row, column=1, value="Afvigelsesforklaringer").font = BOLD
    row += 1
    if not account.explanation_required:
        text = "Ingen bemærkninger, da afvigelsen er under 5 pct."
    else:
        text = p.afvigelsesforklaring or "[MANGLER: afvigelsesforklaring skal skrives i registret]"
    ws.cell(row=row, column=1, value=safe_text(text)).alignment = WRAP
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    ws.row_dimensions[row].height = max(15, 15 * (len(text) // 90 + 1))
    row += 2
    _header(ws, row, ("Kategori", "Ja/Nej", "Uddybende bemærkninger"))
    for k in account.kategorier:
        row += 1
        ws.cell(row=row, column=1, value=k.kategori)
        ws.cell(row=row, column=2, value={True: "Ja", False: "Nej"}.get(k.svar, "[mangler]"))
        ws.cell(row=row, column=3, value=safe_text(k.bemaerkning)).alignment = WRAP
    row += 2
    ws.cell(row=row, column=1, value="Registreret i anlægskartoteket").font = BOLD
    ws.cell(row=row, column=2, value={True: "Ja", False: "Nej"}.get(p.anlaegskartotek, "[mangler]"))
    _widths(ws, (40, 18, 18, 18))


def _table(
    ws: Worksheet,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[float],
) -> None:
    ws.title = title
    _header(ws, 1, header)
    for values in rows:
        ws.append(list(values))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(ws.max_row, 1)}"
    _widths(ws, widths)


def _as_number(rows: Iterable[Sequence[object]], money_cols: Sequence[int]):
    for values in rows:
        values = list(values)
        for i in money_cols:
            values[i] = float(Decimal(values[i])) if values[i] not in ("", None) else None
        yield values


def write_workbook(report: Report, path: Path) -> None:
    """Oversigt, a sheet per project in the bilag, and the lists a controller works from."""
    wb = Workbook()
    _oversigt(wb.active, report)
    used = {"oversigt", "ikke matchede", "interne", "karantæne", "forfaldne", "fund", "kørsel"}
    for account in report.overview:
        _project_sheet(wb.create_sheet(_sheet_name(account.project.kort_navn, used)), account)
    booking_widths = (28, 14, 8, 12, 16, 18, 14, 8, 14, 8, 40)
    _table(
        wb.create_sheet(),
        "Ikke matchede",
        csv_files.BOOKING_HEADER,
        _as_number(csv_files.booking_rows(report.unmatched), (6,)),
        booking_widths,
    )
    _table(
        wb.create_sheet(),
        "Interne",
        csv_files.BOOKING_HEADER,
        _as_number(csv_files.booking_rows(report.internal), (6,)),
        booking_widths,
    )
    _table(
        wb.create_sheet(),
        "Karantæne",
        csv_files.QUARANTINE_HEADER,
        csv_files.quarantine_rows(report.quarantined),
        (28, 14, 8, 14, 18, 14, 14, 8, 30, 60),
    )
    _table(
        wb.create_sheet(),
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
        _as_number(csv_files.due_rows(report), (1, 2)),
        (50, 18, 18, 12, 12, 14, 16, 24),
    )
    _table(
        wb.create_sheet(),
        "Fund",
        ("Alvor", "Fil", "Ark", "Række", "Kode", "Besked"),
        csv_files.finding_rows(report),
        (10, 30, 14, 8, 26, 100),
    )
    _table(
        wb.create_sheet(),
        "Kørsel",
        ("Fil", "Ark", "Rækker", "Posteringer", "Karantæne", "Kontroltotal (kr.)", "sha256"),
        _file_rows(report),
        (34, 14, 10, 12, 10, 18, 66),
    )
    for ws in wb.worksheets[-6:]:
        for col in ws.iter_cols(min_row=2):
            for cell in col:
                if isinstance(cell.value, float):
                    cell.number_format = KR
    wb.save(path)


def _file_rows(report: Report):
    for f in report.files:
        if not f.sheets:
            yield (safe_text(f.file), "", None, None, None, None, f.sha256)
        for s in f.sheets:
            total = None if s.control_total_ore is None else s.control_total_ore / 100
            yield (
                safe_text(f.file),
                safe_text(s.sheet or ""),
                s.data_rows,
                s.bookings,
                s.quarantined,
                total,
                f.sha256,
            )
