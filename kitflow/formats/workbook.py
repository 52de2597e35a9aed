"""Excel workbooks (.xlsx, .xlsm, and the binary .xls), read as kitflow always has."""

from __future__ import annotations

from pathlib import Path

from config.settings import InputLimits
from kitflow.core.bookings import HeaderFinder
from kitflow.formats.base import Export, Format
from kitflow.readers import read_workbook, read_xlsx_columns


def _read(path: Path, find_header: HeaderFinder, limits: InputLimits | None) -> Export:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = read_xlsx_columns(path, find_header, limits=limits)
    else:
        sheets = list(read_workbook(path, limits=limits).values())
    n = len(sheets)
    return Export(sheets, "Excel-regneark", f"{n} ark" if n > 1 else "")


# Anything under these names the formats before it did not take: the readers refuse, clearly,
# what is no workbook (an empty file, a password, CSV under an .xlsx name).
WORKBOOK = Format("Excel-regneark", (".xlsx", ".xlsm", ".xls"), lambda head, suffix: True, _read)
