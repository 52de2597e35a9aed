"""The export formats kitflow reads, one module each, chosen by sniffing the file's content."""

from __future__ import annotations

from pathlib import Path

from config.settings import InputLimits
from kitflow.core.bookings import HeaderFinder
from kitflow.core.findings import FatalInputError
from kitflow.formats.base import SNIFF_BYTES, Export, Format
from kitflow.formats.csv_text import CSV
from kitflow.formats.html_table import HTML_XLS
from kitflow.formats.sap_list import SAP_LIST
from kitflow.formats.sap_spool import SAP_SPOOL
from kitflow.formats.tab_text import TAB_TEXT_XLS
from kitflow.formats.workbook import WORKBOOK

# Asked in this order; the first whose suffixes hold the file's and whose sniff says yes reads
# it. A new format is a module with a `Format`, and its place in this tuple.
FORMATS: tuple[Format, ...] = (SAP_SPOOL, SAP_LIST, HTML_XLS, TAB_TEXT_XLS, WORKBOOK, CSV)

__all__ = ["FORMATS", "Export", "Format", "read_export", "recognise"]


def recognise(path: Path) -> Format:
    """The format of one export, from its suffix and its first bytes."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        head = b""  # a file that is not there: its format's reader says so
    for candidate in FORMATS:
        if suffix in candidate.suffixes and candidate.sniff(head, suffix):
            return candidate
    raise FatalInputError(path.name, f"kitflow læser ikke filer af typen {suffix or '(ingen)'}")


def read_export(path: Path, find_header: HeaderFinder, limits: InputLimits | None = None) -> Export:
    """One bookings export in whatever format it is, with the name of the format."""
    return recognise(path).read(path, find_header, limits)
