"""The workbook's project sheets and Oversigt hold the Word bilag's tables as numbers; a chart."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from kitflow.core.accounts import Report
from reports.bilag import write_bilag
from reports.workbook import write_workbook
from tests.conftest import EXAMPLE_DATA
from tests.test_bilag import B4, PROJECTS, example_report


@pytest.fixture(scope="module")
def report() -> Report:
    return example_report()


@pytest.fixture(scope="module")
def folder(report, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("workbook")
    write_bilag(report, out)
    write_workbook(report, out / "anlaegsregnskab.xlsx")
    return out


def danish(value: Decimal, places: int) -> str:
    """A number the way a Danish spreadsheet shows it: 4.483, -0,4 (half away from zero)."""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)
    whole, _, frac = f"{abs(q):.{places}f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return ("-" if q < 0 else "") + grouped + ("," + frac if frac else "")


def shown(cell) -> str:
    """What a controller sees in the cell, from its value and number format only."""
    value, fmt = cell.value, cell.number_format
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    assert isinstance(value, int | float), (cell.coordinate, value)
    if "%" in fmt:
        places = len(fmt.split(";")[0].split(".")[1].rstrip("%")) if "." in fmt else 0
        return danish(Decimal(str(value)) * 100, places) + "%"
    assert fmt == "#,##0", (cell.coordinate, fmt)
    return danish(Decimal(str(value)), 0)


def sheet_table(ws: Worksheet, first_header: str) -> list[list[str]]:
    """The table whose header row starts with first_header, down to its first empty row."""
    start = next(
        r[0].row
        for r in ws.iter_rows()
        if isinstance(r[1].value, str) and r[1].value == first_header
    )
    header = ws[start]
    width = next((i for i, c in enumerate(header) if c.value is None), len(header))  # to a gap
    rows = []
    for row in ws.iter_rows(min_row=start + 1, max_col=width):
        if row[0].value is None:
            break
        rows.append([shown(c) for c in row])
    return rows


def word_tables(path: Path, second_header: str) -> list[list[list[str]]]:
    """Every table in the document whose second header cell is second_header, header dropped."""
    found = []
    for table in Document(str(path)).tables:
        cells = [[c.text for c in row.cells] for row in table.rows]
        if cells[0][1] == second_header:
            found.append(cells[1:])
    return found


def project_sheets(wb) -> dict[str, Worksheet]:
    return {ws["A1"].value: ws for ws in wb.worksheets if ws["A1"].value in PROJECTS}


def test_project_sheets_hold_the_word_project_tables(folder, report):
    wb = load_workbook(folder / "anlaegsregnskab.xlsx")
    sheets = project_sheets(wb)
    word = word_tables(folder / "anlaegsregnskab.docx", "Udgiftsregnskab")
    assert tuple(sheets) == PROJECTS and len(word) == len(PROJECTS)
    for account, word_table in zip(report.overview, word, strict=True):
        ws = sheets[account.project.projekt]
        assert sheet_table(ws, "Udgiftsregnskab") == word_table, account.project.projekt
    # Anchored to Bilag 4 itself, not only to the other renderer.
    esdh = sheet_table(sheets["ESDH-implementering"], "Udgiftsregnskab")
    assert ["Forbrug", "7.635", "", "7.635"] in esdh
    assert ["Afvigelse i procent", "3,4%", "", "3,4%"] in esdh


def test_project_sheet_figures_are_numbers_with_formats(folder):
    ws = project_sheets(load_workbook(folder / "anlaegsregnskab.xlsx"))["ESDH-implementering"]
    header = next(r for r in ws.iter_rows() if r[1].value == "Udgiftsregnskab")[0].row
    labels = {ws.cell(row=r, column=1).value: r for r in range(header + 1, header + 7)}
    forbrug = ws.cell(row=labels["Forbrug"], column=2)
    assert isinstance(forbrug.value, float) and forbrug.number_format == "#,##0"
    pct = ws.cell(row=labels["Afvigelse i procent"], column=4)
    assert isinstance(pct.value, float) and pct.value == pytest.approx(0.034)
    assert "0.0%" in pct.number_format and " " not in pct.number_format


def test_oversigt_holds_the_word_overview_with_i_alt(folder):
    ws = load_workbook(folder / "anlaegsregnskab.xlsx")["Oversigt"]
    rows = sheet_table(ws, "Rådighedsbeløb")
    (word,) = word_tables(folder / "anlaegsregnskab.docx", "Rådighedsbeløb")
    assert rows == word
    assert rows[-1] == ["I alt", "36.584", "32.259", "4.325", "12%"]
    table = {r[0]: r[1:] for r in rows}
    for name, (r, f, a, pct) in B4.items():
        assert table[f"{name} (Netto)"] == [r, f, a, pct + "%"], name


def _cells(wb, ref: str) -> list:
    sheet, _, area = ref.partition("!")
    ws = wb[sheet.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    return [
        c.value
        for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col)
        for c in row
    ]


def test_oversigt_chart_plots_raadighedsbeloeb_against_forbrug(folder, report):
    wb = load_workbook(folder / "anlaegsregnskab.xlsx")
    (chart,) = wb["Oversigt"]._charts
    assert type(chart).__name__ == "BarChart"
    raadighed, forbrug = chart.series
    assert _cells(wb, raadighed.tx.strRef.f) == ["Rådighedsbeløb"]
    assert _cells(wb, forbrug.tx.strRef.f) == ["Forbrug"]
    names = [a.project.kort_navn for a in report.overview]
    for series in (raadighed, forbrug):
        # openpyxl writes category references as numRef; Excel reads the text all the same.
        ref = series.cat.strRef or series.cat.numRef
        assert _cells(wb, ref.f) == names
    # The plotted values are the overview's Netto rows, as Bilag 4 prints them.
    netto = [B4[name][:2] for name in names]
    plotted = zip(_cells(wb, raadighed.val.numRef.f), _cells(wb, forbrug.val.numRef.f), strict=True)
    assert [(danish(Decimal(str(r)), 0), danish(Decimal(str(f)), 0)) for r, f in plotted] == netto


@pytest.mark.flow
def test_control_character_in_a_booking_text_reaches_the_workbook_replaced(
    prefect_harness, tmp_path, monkeypatch
):
    """openpyxl raised IllegalCharacterError on \\x01 and the whole run failed."""
    from flows.nightly import afstemning

    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    export = data / "bookings" / "eksport_interne_og_ukendte.csv"
    text = export.read_bytes().decode("utf-8-sig")
    assert text.count(";4000000017;1;Konsulentbistand") == 1
    text = text.replace(";4000000017;1;Konsulentbistand", ";4000000017;1;a\x01b")
    export.write_bytes(("\ufeff" + text).encode("utf-8"))
    monkeypatch.setenv("KITFLOW_STATE_DIR", str(tmp_path / "state"))

    summary = afstemning(
        as_of=dt.date(2020, 12, 31), data_dir=str(data), out_dir=str(tmp_path / "out"), send=False
    )
    folder = Path(summary["output"])
    ws = load_workbook(folder / "anlaegsregnskab.xlsx")["Ikke matchede"]
    texts = {ws.cell(row=r, column=11).value: r for r in range(2, ws.max_row + 1)}
    assert "a\ufffdb" in texts
    assert ws.cell(row=texts["a\ufffdb"], column=9).value == "4000000017"
    # The CSV files keep the text as read.
    with (folder / "unmatched.csv").open(encoding="utf-8", newline="") as fh:
        assert "a\x01b" in [row["tekst"] for row in csv.DictReader(fh)]
