"""SAP GUI's spool list saved as "Tekst med tabulatorer" (.txt): CJI3, KSB1, FBL3N and the like.

A spool holds sections (pages), each opening with title lines (the report's title, the
selection, date and time, "Side N"), dashed lines and the header: one tab-separated line, and
often a second with further columns, for records that span two physical lines (the first with
the main columns and a purely numeric Bilagsnummer, the second with the second header's
columns: Registr., Kl., TbF …). Subtotal lines start with `*`, the grand total with `**`
(the core's total lines). The reader joins each record's two lines into one row, kept at its
first line's number, so every finding names the line a controller finds in the file; a line
it cannot take apart is handed to the parse as a problem (quarantined with the reason), never
guessed at and never dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

from config.settings import InputLimits
from kitflow.core.bookings import HeaderFinder
from kitflow.core.sheets import RawSheet, normalise_header
from kitflow.formats.base import Export, Format, head_text, is_text
from kitflow.readers import decode_text, read_nonempty

NAME = "SAP-spool (tabulator)"
DASHES = re.compile(r"^[\s\-=_|]*-{5,}[\s\-=_|]*$")
HEAD_LINES = 50  # the header is among a file's first lines, as for every other export


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("\t")]


def lines_of(path: Path) -> list[str]:
    """The file's physical lines (CRLF, LF or CR), decoded, index i being line i + 1."""
    text = decode_text(read_nonempty(path, path.name), path.name)
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _sniff(head: bytes, suffix: str) -> bool:
    if not is_text(head):
        return False
    lines = head_text(head).splitlines()[: HEAD_LINES * 4]
    tabbed = sum(1 for line in lines if line.count("\t") >= 2)
    return tabbed >= 2 and any(DASHES.match(line) for line in lines)


def _blank(line: str) -> bool:
    return not line.strip() or DASHES.match(line) is not None


def _header(rows: list[list[str]], lines: list[str], find: HeaderFinder):
    """(first header line, second header line or None, the merged header's match)."""
    for i in range(min(HEAD_LINES, len(lines))):
        if _blank(lines[i]) or len(rows[i]) < 2:
            continue
        j = next((k for k in range(i + 1, len(lines)) if lines[k].strip()), None)
        second = j if j is not None and not DASHES.match(lines[j]) else None
        merged = rows[i] + (rows[second] if second is not None else [])
        match = find.match([merged])
        if match is not None:
            return i, second, match
    return None


def read_spool(path: Path, find: HeaderFinder, limits: InputLimits | None = None) -> Export:
    """The spool as one sheet: the merged header at the first header line, each record at its
    first line, total lines where they stand, everything else blank."""
    lines = lines_of(path)
    rows = [cells(line) for line in lines]
    found = _header(rows, lines, find)
    if found is None:  # the parse names the columns it misses
        return Export([RawSheet(path.name, None, rows)], NAME)
    h1, h2, match = found
    first_header = rows[h1]
    second_header = rows[h2] if h2 is not None else []
    n1, n2 = len(first_header), len(second_header)
    norm1 = [normalise_header(c) for c in first_header]
    norm2 = [normalise_header(c) for c in second_header]
    bilag = match.columns.get("document_number")
    bilag = bilag if bilag is not None and bilag < n1 else None
    second_names = ", ".join(c for c in second_header if c) or "anden linje"

    out: list[list[object]] = [[] for _ in lines]
    out[h1] = first_header + second_header
    problems: dict[int, str] = {}
    incomplete: dict[int, str] = {}
    sections = 1
    pending: tuple[int, list[str], str | None] | None = None  # a first line awaiting its second

    def close(missing: bool) -> None:
        nonlocal pending
        if pending is None:
            return
        at, first, problem = pending
        out[at] = first + [""] * n2
        if problem is not None:
            problems[at] = problem
        elif missing:
            incomplete[at] = (
                f"posteringen mangler sin anden linje ({second_names}); spoolen er ufuldstændig"
            )
        pending = None

    def is_first(row: list[str]) -> bool:
        return len(row) == n1 and (bilag is None or row[bilag].isdigit())

    for i in range(h1 + 1, len(lines)):
        line = lines[i]
        if i == h2 or _blank(line):
            continue
        row = rows[i]
        norm = [normalise_header(c) for c in row]
        if norm == norm1:
            close(missing=True)
            sections += 1
            continue
        if n2 and norm == norm2:
            continue
        if line.strip().startswith("*"):
            close(missing=True)
            mark = "**" if line.strip().startswith("**") else "*"
            out[i] = [mark, *row[1:]]  # the mark in the first column, as the core reads it
            continue
        if sum(1 for c in row if c) <= 1:
            continue  # a title line: the report's name, the selection, the date, "Side N"
        if n2 == 0:
            out[i] = row
            if not is_first(row):
                problems[i] = _shifted(row, n1)
            continue
        if pending is not None and len(row) == n2 and not is_first(row):
            at, first, problem = pending
            out[at] = first + row
            if problem is not None:
                problems[at] = problem
            pending = None
            continue
        if is_first(row):
            close(missing=True)
            pending = (i, row, None)
            continue
        if pending is not None:
            at, first, _problem = pending
            out[at] = first + row
            problems[at] = (
                f"postering i to linjer, hvor anden linje (linje {i + 1}) har {len(row)} felter, "
                f"men overskriften har {n2}; den er forskudt, og kitflow gætter ikke på, hvilket "
                "felt der er hvad"
            )
            pending = None
            continue
        close(missing=True)
        pending = (i, row, _shifted(row, n1))
    close(missing=True)
    sheet = RawSheet(path.name, None, out, problems, incomplete)
    return Export([sheet], NAME, f"{sections} sektion" + ("er" if sections != 1 else ""))


def _shifted(row: list[str], n1: int) -> str:
    return (
        f"linjen har {len(row)} felter, men overskriften har {n1}, eller bilagsnummeret er ikke "
        "et tal; den er forskudt, og kitflow gætter ikke på, hvilket felt der er hvad"
    )


SAP_SPOOL = Format(NAME, (".txt", ".xls"), _sniff, read_spool)
