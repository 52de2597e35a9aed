"""A SAP GUI list exported unconverted ("Eksporter som tekst"): `|` between the columns,
dashed frame lines, the header repeated on every page, amounts right-aligned.

Each `|` line is one row at its own line number; a row whose field count differs from its
header's is handed to the parse as a problem (quarantined with the reason), never guessed at.
"""

from __future__ import annotations

from pathlib import Path

from config.settings import InputLimits
from kitflow.core.bookings import HeaderFinder
from kitflow.core.sheets import RawSheet, normalise_header
from kitflow.formats.base import Export, Format, head_text, is_text
from kitflow.formats.sap_spool import DASHES, HEAD_LINES, lines_of

NAME = "SAP-liste (|-separeret tekst)"


def _framed(line: str) -> bool:
    text = line.strip()
    return text.startswith("|") and text.count("|") >= 3


def cells(line: str) -> list[str]:
    text = line.strip()[1:]
    if text.endswith("|"):
        text = text[:-1]
    return [c.strip() for c in text.split("|")]


def _sniff(head: bytes, suffix: str) -> bool:
    if not is_text(head):
        return False
    lines = head_text(head).splitlines()[: HEAD_LINES * 4]
    return sum(map(_framed, lines)) >= 2 and any(DASHES.match(line) for line in lines)


def read_list(path: Path, find: HeaderFinder, limits: InputLimits | None = None) -> Export:
    """The list as one sheet: `|` lines as rows at their line numbers, the rest blank."""
    lines = lines_of(path)
    rows: list[list[object]] = [cells(line) if _framed(line) else [] for line in lines]
    header = find(rows[:HEAD_LINES])
    if header is None:  # the parse names the columns it misses
        return Export([RawSheet(path.name, None, rows)], NAME)
    norm = [normalise_header(c) for c in rows[header]]
    width = len(norm)
    problems: dict[int, str] = {}
    pages = 1
    for i in range(header + 1, len(rows)):
        row = rows[i]
        if not row:
            continue
        if [normalise_header(c) for c in row] == norm:
            rows[i] = []  # the header again, on the next page
            pages += 1
        elif len(row) != width:
            problems[i] = (
                f"linjen har {len(row)} felter, men overskriften har {width}; den er forskudt, "
                "og kitflow gætter ikke på, hvilket felt der er hvad"
            )
    sheet = RawSheet(path.name, None, rows, problems)
    return Export([sheet], NAME, f"{pages} side" + ("r" if pages != 1 else ""))


SAP_LIST = Format(NAME, (".txt", ".xls"), _sniff, read_list)
