"""Real legacy exports: an Excel 97-2003 workbook (BIFF8, .xls) and a macro-enabled .xlsm.

The fixtures in tests/fixtures/ were made by scripts/make_legacy_exports.py: eksport.xlsx by
openpyxl, the .xls and .xlsm from it by LibreOffice. Read through the run's reader, each gives
the same bookings, to the øre, as the .xlsx, and the amounts written here by hand.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kitflow.app.inputs import parse_export
from kitflow.core.bookings import BookingsOptions, header_finder
from kitflow.core.combine import combine
from kitflow.core.sheets import ColumnSheet, RawSheet
from kitflow.readers import read_export

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
COLUMNS = ["row", "posting_date", "loebenummer", "amount_ore", "art", "document_number", "line"]
# The rows of make_legacy_exports.py, as bookings: Excel row, løbenummer, øre, art, bilag.
EXPECTED = [
    (4, "XA-4411000006", 1234567, "4000", "5000000001"),
    (5, "XA-0285000114", -250050, "7100", "5000000002"),
    (6, "XA-4411000012", 123456, "4000", "5000000003"),  # "1.234,56" as text
    (7, "XA-4411000012", 10, "9100", "5000000004"),  # 0,10 kr. as a double
    (8, "XA-0283000064", 100000000, "4000", "5000000005"),
]
CONTROL_TOTAL = 101107983  # the "I alt" line: 1.011.079,83 kr.


def bookings(name: str):
    (parsed,), info = parse_export(FIXTURES / name, BookingsOptions())
    assert parsed.findings == () and info.sheets[0].sheet == "Posteringer"
    return parsed


def test_the_xlsx_gives_the_rows_written():
    parsed = bookings("eksport.xlsx")
    got = parsed.bookings[["row", "loebenummer", "amount_ore", "art", "document_number"]]
    assert list(got.itertuples(index=False, name=None)) == EXPECTED
    assert parsed.bookings["posting_date"].dt.date.tolist()[0] == dt.date(2020, 11, 2)
    assert parsed.control.control_total_ore == CONTROL_TOTAL


@pytest.mark.parametrize("name", ["eksport.xls", "eksport.xlsm"])
def test_a_legacy_export_gives_the_same_bookings_as_the_xlsx(name):
    got, want = bookings(name), bookings("eksport.xlsx")
    assert got.bookings[COLUMNS].equals(want.bookings[COLUMNS])
    assert got.bookings["text"].tolist() == want.bookings["text"].tolist()
    assert got.control.control_total_ore == CONTROL_TOTAL
    assert got.control.parsed_sum_ore == sum(e[2] for e in EXPECTED)
    # Each booking is the xlsx's: combined, the second file's five are all duplicates.
    combined = combine([want, got])
    assert len(combined.bookings) == 5 and len(combined.duplicates) == 5


def test_the_fixtures_are_what_their_names_say():
    xls = FIXTURES / "eksport.xls"
    assert xls.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a CFB: BIFF inside
    assert isinstance(read_export(xls, header_finder())[0], RawSheet)  # calamine, row-wise
    xlsm = FIXTURES / "eksport.xlsm"
    with zipfile.ZipFile(xlsm) as z:
        types = z.read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert isinstance(read_export(xlsm, header_finder())[0], ColumnSheet)  # fastexcel


def test_the_committed_xlsx_is_what_the_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_legacy_exports", REPO / "scripts" / "make_legacy_exports.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    made = script.write_xlsx(tmp_path / "eksport.xlsx")

    def cells(path: Path) -> list[tuple]:
        return list(load_workbook(path)["Posteringer"].iter_rows(values_only=True))

    assert cells(made) == cells(FIXTURES / "eksport.xlsx")
