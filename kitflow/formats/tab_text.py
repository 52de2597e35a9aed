"""An .xls that is text: the tab-separated "regneark" SAP GUI and Excel write under that name."""

from __future__ import annotations

from pathlib import Path

from config.settings import InputLimits
from kitflow.core.bookings import HeaderFinder
from kitflow.formats.base import Export, Format, head_text, is_text
from kitflow.readers import read_csv

NAME = "tabulatorsepareret tekst med navnet .xls"


def _sniff(head: bytes, suffix: str) -> bool:
    text = head_text(head).lstrip()
    return is_text(head) and not text.startswith("<") and "\t" in text


def _read(path: Path, find_header: HeaderFinder, limits: InputLimits | None) -> Export:
    return Export([read_csv(path)], NAME)


TAB_TEXT_XLS = Format(NAME, (".xls",), _sniff, _read)
