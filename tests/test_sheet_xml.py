"""The list sheets written as XML read back as openpyxl's cell-by-cell writing read back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import python_calamine
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from kitflow.core.accounts import Report
from kitflow.core.combine import QUARANTINE_COLUMNS
from reports import csv_files
from reports.labels import label
from reports.sheet_xml import MAX_CELL_TEXT, cell_text, sheet_rows
from reports.workbook import DATE, KR, _file_rows, write_workbook
from tests.test_bilag import example_report

LONG = "Lang tekst " * 4000  # 44,000 characters, over Excel's cell limit
TRICKY = [
    "Tom & Jerry <b>fed</b> > x",
    "\"citat\" og 'apostrof'",
    "  foranstillede mellemrum",
    "efterstillede mellemrum  ",
    " ",
    "linje 1\nlinje 2",
    "vognretur\r\nog linjeskift\r",
    "tabulator\there",
    "æøå ÆØÅ – “typografisk”",
    "emoji 😀👍🏽 i tekst",
    "=1+1",  # made inert by safe_text on the way in
    "@SUM(A1:A9)",
    "]]> <![CDATA[ &amp; &#13;",
    "x" * MAX_CELL_TEXT,  # exactly at the limit: kept whole
    LONG,
    "a\x01b\x1f\ufffe",
    "",
    "Normal tekst",
]


def tricky_report() -> Report:
    """The example report with internal bookings and quarantined rows full of awkward text."""
    report = example_report()
    internal = report.internal
    frame = internal.iloc[[i % len(internal) for i in range(len(TRICKY))]].reset_index(drop=True)
    frame["text"] = TRICKY
    frame["file"] = [TRICKY[-1 - i] for i in range(len(TRICKY))]
    frame["row"] = [2**53 - 1 if i % 3 == 0 else i + 2 for i in range(len(TRICKY))]
    frame["amount_ore"] = [
        (-1) ** i * (10**i + 7) if i < 15 else -1 for i in range(len(TRICKY))
    ]  # up to 10 billion kr., negatives, one øre
    quarantined = pd.DataFrame(
        {
            c: [
                i + 2 if c == "row" else (None if i % 4 == 0 else TRICKY[(i + k) % len(TRICKY)])
                for i in range(len(TRICKY))
            ]
            for k, c in enumerate(QUARANTINE_COLUMNS)
        }
    )
    return dataclasses.replace(
        report,
        reconciliation=dataclasses.replace(report.reconciliation, internal=frame),
        quarantined=quarantined,
    )


def _as_number(rows, money_cols):
    """Kroner columns from the CSV's exact text to float, as write_workbook did before."""
    for values in rows:
        values = list(values)
        for i in money_cols:
            values[i] = float(Decimal(values[i])) if values[i] not in ("", None) else None
        yield values


def reference_lists(report: Report) -> Workbook:
    """The list sheets written cell by cell with plain openpyxl, as write_workbook did before.

    Text goes through cell_text first: openpyxl raised on control characters and cut long
    text without a mark, and the workbook's rule for both is tested on its own below.
    """
    lists = {
        "Ikke matchede": _as_number(csv_files.booking_rows(report.unmatched), (6,)),
        "Interne": _as_number(csv_files.booking_rows(report.internal), (6,)),
        "Karantæne": csv_files.quarantine_rows(report.quarantined),
        # Dates as dates and the codes in words, as the workbook shows them.
        "Forfaldne": csv_files.due_rows(
            report, amount=lambda ore: ore / 100, date=lambda day: day, words=label
        ),
        "Fund": csv_files.finding_rows(report),
        "Kørsel": _file_rows(report),
    }
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in lists.items():
        ws = wb.create_sheet(title)
        ws.append(["header"])  # the header row is compared on its own
        for row, values in enumerate(rows, start=2):
            values = [cell_text(v) if isinstance(v, str) else v for v in values]
            ws.append(values)
            for col, value in enumerate(values, start=1):
                if isinstance(value, float):
                    ws.cell(row=row, column=col).number_format = KR
                elif isinstance(value, dt.date):
                    ws.cell(row=row, column=col).number_format = DATE
    return wb


@pytest.fixture(scope="module")
def report() -> Report:
    return tricky_report()


@pytest.fixture(scope="module")
def written(report, tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sheet_xml")
    write_workbook(report, folder / "new.xlsx")
    reference_lists(report).save(folder / "old.xlsx")
    return folder / "new.xlsx", folder / "old.xlsx"


def _cells(ws, min_row: int) -> list[list[tuple[object, str]]]:
    """Values and number formats; an empty cell's format is nobody's concern."""
    return [
        [(c.value, c.number_format if c.value is not None else "") for c in row]
        for row in ws.iter_rows(min_row=min_row)
    ]


def test_list_sheets_read_back_in_openpyxl_as_cell_by_cell(written, report):
    new, old = (load_workbook(p) for p in written)
    assert len(report.internal) == len(TRICKY) and len(report.quarantined) == len(TRICKY)
    for ws in old.worksheets:
        got = new[ws.title]
        assert _cells(got, 2) == _cells(ws, 2), ws.title
        assert ws.max_row > 1, f"{ws.title}: no rows, nothing compared"
        last = f"{get_column_letter(ws.max_column)}{ws.max_row}"
        assert got.auto_filter.ref == f"A1:{last}" and got.dimensions == f"A1:{last}", ws.title
        assert got.freeze_panes == "A2"
    interne = new["Interne"]
    texts = [interne.cell(row=r, column=11).value for r in range(2, interne.max_row + 1)]
    # Spot checks against the input itself, not only against the other writer.
    assert texts[0] == TRICKY[0] and texts[2] == "  foranstillede mellemrum"
    assert "vognretur\r\nog linjeskift\r" in texts and "'=1+1" in texts
    assert "a\ufffdb\ufffd\ufffd" in texts
    assert any(t and t.endswith("…") and len(t) == MAX_CELL_TEXT for t in texts)
    amounts = [interne.cell(row=r, column=7) for r in range(2, interne.max_row + 1)]
    assert [a.value for a in amounts[:3]] == [0.08, -0.17, 1.07]
    assert {a.number_format for a in amounts} == {KR}
    assert interne["C2"].value == 2**53 - 1 and interne["C2"].number_format == "General"


def test_list_sheets_read_back_in_calamine_as_cell_by_cell(written):
    new, old = (python_calamine.CalamineWorkbook.from_path(str(p)) for p in written)
    for title in old.sheet_names:
        expected = old.get_sheet_by_name(title).to_python(skip_empty_area=False)[1:]
        got = new.get_sheet_by_name(title).to_python(skip_empty_area=False)[1:]
        assert got == expected, title


def test_header_rows_and_other_sheets_stay_openpyxl_s(written):
    wb = load_workbook(written[0])
    assert [c.value for c in wb["Interne"][1]] == list(csv_files.BOOKING_HEADER)
    assert wb["Interne"]["A1"].font.bold
    assert wb.sheetnames[0] == "Oversigt" and len(wb["Oversigt"]._charts) == 1
    with zipfile.ZipFile(written[0]) as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}
        assert z.testzip() is None


def test_rows_as_spreadsheetml():
    rows = sheet_rows([["a & <b>", 1, -2.5, None, " x", ""], [0.1 + 0.2, 10**20]], 12, 7)
    assert rows.xml.decode() == (
        '<row r="12">'
        '<c r="A12" t="inlineStr"><is><t>a &amp; &lt;b&gt;</t></is></c>'
        '<c r="B12"><v>1</v></c>'
        '<c r="C12" s="7"><v>-2.5</v></c>'
        '<c r="E12" t="inlineStr"><is><t xml:space="preserve"> x</t></is></c>'
        "</row>"
        '<row r="13"><c r="A13" s="7"><v>0.30000000000000004</v></c>'
        '<c r="B13"><v>100000000000000000000</v></c></row>'
    )
    assert (rows.first_row, rows.last_row, rows.last_col) == (12, 13, 6)
    assert sheet_rows([], 2, 7).last_row == 0
    # A date is Excel's day number with the date style: 31.12.2020 is day 44196.
    assert sheet_rows([[dt.date(2020, 12, 31)]], 2, 7, 9).xml.decode() == (
        '<row r="2"><c r="A2" s="9"><v>44196</v></c></row>'
    )


def test_rows_refuse_what_a_cell_cannot_hold():
    with pytest.raises(ValueError, match="nan"):
        sheet_rows([[float("nan")]], 2, 1)
    with pytest.raises(TypeError, match="A2"):
        sheet_rows([[object()]], 2, 1)


@pytest.mark.parametrize(
    "char", [*map(chr, [*range(9), 11, 12, *range(14, 32)]), "\ufffe", "\uffff", "\ud800", "\udfff"]
)
def test_text_xml_cannot_carry_becomes_replacement_character(char):
    assert cell_text(f"a{char}b") == "a\ufffdb"


def test_text_xml_can_carry_stays():
    text = "tab\t lf\n cr\r æøå 😀 \ufffd \ud7ff \ue000"
    assert cell_text(text) == text


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_long_text_is_cut_to_excels_limit_with_an_ellipsis():
    assert cell_text("x" * MAX_CELL_TEXT) == "x" * MAX_CELL_TEXT
    assert cell_text("x" * (MAX_CELL_TEXT + 1)) == "x" * (MAX_CELL_TEXT - 1) + "…"
    # Excel counts UTF-16 units: 20,000 emoji are 40,000 of them, though 20,000 code points.
    emoji = cell_text("😀" * 20_000)
    assert emoji == "😀" * 16_383 + "…" and _units(emoji) == MAX_CELL_TEXT
    # A cut through a surrogate pair drops the half pair instead of leaving a lone surrogate.
    odd = cell_text("x" + "😀" * 20_000)
    assert odd == "x" + "😀" * 16_382 + "…" and _units(odd) == MAX_CELL_TEXT - 1


def test_control_characters_in_openpyxl_written_sheets_are_replaced(tmp_path):
    report = example_report()
    first = report.overview[0]
    project = dataclasses.replace(first.project, projekt="Projekt\x01navn", kort_navn="Kort\x02")
    account = dataclasses.replace(first, project=project)
    write_workbook(
        dataclasses.replace(report, overview=(account, *report.overview[1:])), tmp_path / "a.xlsx"
    )
    wb = load_workbook(tmp_path / "a.xlsx")
    assert wb["Kort\ufffd"]["A1"].value == "Projekt\ufffdnavn"
    oversigt = [c.value for row in wb["Oversigt"].iter_rows() for c in row]
    assert "Kort\ufffd (Netto)" in oversigt and "Kort\ufffd" in oversigt  # table, chart data
