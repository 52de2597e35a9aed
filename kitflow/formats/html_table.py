"""An .xls that is an HTML page: the "regneark" Excel and SAP GUI save as a table under that name.

Every table whose header names the bookings columns is read (through lxml), each cell as the
text it shows; a page with no such table is refused, as a page that is no export.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from config.settings import InputLimits
from kitflow.core.bookings import LABELS, REQUIRED, HeaderFinder
from kitflow.core.findings import FatalInputError
from kitflow.core.sheets import RawSheet
from kitflow.formats.base import Export, Format, head_text
from kitflow.readers import RESAVE, decode_text, read_nonempty, reason

NAME = "HTML-tabel med navnet .xls"
_MARKUP = ("<html", "<!doctype", "<table", "<?xml", "<head", "<meta", "<body")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
MAX_COLSPAN = 1000


def _sniff(head: bytes, suffix: str) -> bool:
    return head_text(head).lstrip(" \t\r\n\ufeff").lower().startswith(_MARKUP)


def _rows(table) -> list[list[object]]:
    rows: list[list[object]] = []
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        row: list[object] = []
        for cell in tr.xpath("./td|./th"):
            row.append(" ".join(cell.text_content().split()))
            try:
                span = int(cell.get("colspan") or 1)
            except ValueError:
                span = 1
            row.extend([""] * (min(max(span, 1), MAX_COLSPAN) - 1))
        rows.append(row)
    return rows


def read_html(path: Path, find: HeaderFinder, limits: InputLimits | None = None) -> Export:
    """The tables of bookings in the page, table row i being the sheet's row i + 1."""
    name = path.name
    text = _XML_DECLARATION.sub("", decode_text(read_nonempty(path, name), name))
    try:
        tables = lxml_html.document_fromstring(text).xpath("//table") if text.strip() else []
    except (etree.ParserError, ValueError) as exc:
        raise FatalInputError(name, f"HTML-siden kan ikke læses ({reason(exc)}); {RESAVE}") from exc
    found = [rows for rows in map(_rows, tables) if find(rows) is not None]
    if not found:
        wanted = ", ".join(LABELS[f] for f in REQUIRED)
        raise FatalInputError(
            name,
            f"filen er en HTML-side med navnet {path.suffix}, men ingen tabel i den har "
            f"overskrifterne {wanted}; hent eksporten igen fra økonomisystemet, eller gem den "
            "som .xlsx eller .csv",
        )
    if len(found) == 1:
        return Export([RawSheet(name, None, found[0])], NAME)
    sheets = [RawSheet(name, f"Tabel {k}", rows) for k, rows in enumerate(found, start=1)]
    return Export(sheets, NAME, f"{len(sheets)} tabeller")


HTML_XLS = Format(NAME, (".xls",), _sniff, read_html)
