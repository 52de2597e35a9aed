"""docs/data-contract.md says what the code does: its tables are the code's, and every header it
lists is one the readers accept."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from contract_tables import DOC, doc_with_tables, sheet_table, tables
from openpyxl import Workbook

from config.settings import Settings
from kitflow.app.check import check_data
from kitflow.core.contract import ACQUISITIONS, BOOKINGS, REGISTER, Column, FileSpec

REPO = Path(__file__).resolve().parent.parent


def test_docs_tables_are_current():
    text = DOC.read_text(encoding="utf-8")
    assert text == doc_with_tables(text, tables()), (
        "docs/data-contract.md is stale: run .venv/bin/python scripts/data_contract_tables.py"
    )


def test_a_new_alias_makes_the_doc_stale():
    """The check above can fail: one more header name for Beløb changes the bookings table."""
    amount = BOOKINGS.column("amount")
    changed = dataclasses.replace(amount, headers=(*amount.headers, "Beløb i kr."))
    sheet = dataclasses.replace(
        BOOKINGS, columns=tuple(changed if c is amount else c for c in BOOKINGS.columns)
    )
    made = {**tables(), "bookings": sheet_table(sheet, alias_keys=True)}
    text = DOC.read_text(encoding="utf-8")
    assert "`Beløb i kr.`" in doc_with_tables(text, made)
    assert text != doc_with_tables(text, made)


def test_a_table_without_its_marker_is_refused():
    text = DOC.read_text(encoding="utf-8")
    begin = "<!-- table: register.xlsx/Kategorier "
    without = text.replace(begin, "<!-- no table: register.xlsx/Kategorier ")
    with pytest.raises(ValueError, match="Kategorier"):
        doc_with_tables(without, tables())


def test_no_reference_outside_the_repository():
    """A user who clones kitflow has the repository only: no ../shared, no spec/ folder."""
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text, path.name
        assert "`spec/" not in text, path.name
    assert "docs/data-contract.md" in (REPO / "README.md").read_text(encoding="utf-8")


def _workbook(spec: FileSpec, header) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in spec.sheets:
        ws = wb.create_sheet(sheet.name)
        ws.append([header(c) for c in sheet.columns])
        ws.append([c.example for c in sheet.columns])
    return wb


def _export(path: Path, header) -> None:
    values = [c.example for c in BOOKINGS.columns]
    lines = [[header(c) for c in BOOKINGS.columns], values]
    # Ended by a line break, as an export is: without one the last line may be cut off (a warning).
    path.write_text("".join(";".join(map(str, v)) + "\n" for v in lines), encoding="utf-8")


@pytest.mark.parametrize("which", ["first", "last"], ids=["first names", "last aliases"])
def test_every_header_the_doc_lists_is_read(tmp_path, which):
    """A data folder headed with each column's first name, or with its last alias, all
    lower case and with a trailing colon, passes `kitflow check` without a word."""

    def header(column: Column) -> str:
        name = column.headers[0] if which == "first" else column.headers[-1]
        return f"{name.lower()}:"

    (tmp_path / "bookings").mkdir()
    _export(tmp_path / "bookings" / "eksport.csv", header)
    _workbook(REGISTER, header).save(tmp_path / "register.xlsx")
    _workbook(ACQUISITIONS, header).save(tmp_path / "acquisitions.xlsx")
    result = check_data(tmp_path, Settings(data_dir=tmp_path), dt.date(2020, 12, 31))
    assert [str(line) for line in result.lines] == []
    assert result.files_read == 3
