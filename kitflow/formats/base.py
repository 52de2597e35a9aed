"""What every export format provides: how to recognise it and how to read it into sheets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from config.settings import InputLimits
from kitflow.core.bookings import HeaderFinder
from kitflow.core.sheets import ColumnSheet, RawSheet

SNIFF_BYTES = 1 << 16  # how much of a file the formats look at to recognise it
_BOMS = {b"\xef\xbb\xbf": "utf-8", b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}


@dataclass(frozen=True)
class Export:
    """One export as read: its sheets, the format's name and what it held, for the check."""

    sheets: list[RawSheet | ColumnSheet]
    format: str
    parts: str = ""  # e.g. "2 sektioner"; empty where there is nothing to say


@dataclass(frozen=True)
class Format:
    """An export format: the suffixes it comes under, whether a file's first bytes are it, and
    its reader. `sniff(head, suffix)` sees the first SNIFF_BYTES of the file."""

    name: str
    suffixes: tuple[str, ...]
    sniff: Callable[[bytes, str], bool]
    read: Callable[[Path, HeaderFinder, InputLimits | None], Export]


def head_text(head: bytes) -> str:
    """The first bytes as text for sniffing: by their BOM, else UTF-8, else Windows-1252.

    Cut anywhere, so a character split at the end is dropped; never raises.
    """
    for bom, encoding in _BOMS.items():
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:
            return head[: exc.start].decode("utf-8")
    return head.decode("cp1252", errors="replace")


def is_text(head: bytes) -> bool:
    """No NUL byte where there is no UTF-16 BOM: a text file, not a binary workbook."""
    return bool(head) and (head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in head)


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")
