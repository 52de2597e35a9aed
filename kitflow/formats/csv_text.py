"""CSV exports (semicolon, comma or tab), and a .txt that is none of SAP's list formats."""

from __future__ import annotations

from pathlib import Path

from config.settings import InputLimits
from kitflow.core.bookings import HeaderFinder
from kitflow.formats.base import Export, Format
from kitflow.readers import read_csv


def _read(path: Path, find_header: HeaderFinder, limits: InputLimits | None) -> Export:
    return Export([read_csv(path)], "CSV")


CSV = Format("CSV", (".csv", ".txt"), lambda head, suffix: True, _read)
