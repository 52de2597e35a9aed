"""A list sheet's data rows written as SpreadsheetML text and spliced into a saved workbook."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

# Excel refuses a file whose cell holds more than 32,767 characters, counted in UTF-16 units.
MAX_CELL_TEXT = 32_767
ELLIPSIS = "…"
# Characters XML 1.0 cannot carry (C0 controls but tab/LF/CR, U+FFFE/U+FFFF) and lone
# surrogates, which a Python str can hold but no UTF-8 file can.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Deflate level 3: on the benchmark workbook 0.14 s and 2.37 MB, against 0.33 s and 2.05 MB
# at zlib's default 6 (openpyxl's), 0.09 s and 2.57 MB at 1, and 1.5 s and 1.95 MB at 9.
COMPRESSLEVEL = 3

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"/>')
_SHEET_DATA_END = b"</sheetData>"


def cell_text(text: str) -> str:
    """Text as a workbook cell can hold it: what XML cannot carry becomes U+FFFD, and text
    over Excel's limit is cut to end in "…".

    openpyxl raised IllegalCharacterError on the control characters (a CSV export can hold
    them), and cut long text silently at 32,767 code points, which an emoji-rich text still
    overruns in Excel's UTF-16 count; the "…" tells the reader the cell was cut.
    """
    text = _NOT_XML.sub("\ufffd", text)
    if len(text) * 2 <= MAX_CELL_TEXT:  # a code point is at most two UTF-16 units
        return text
    units = text.encode("utf-16-le")
    if len(units) // 2 <= MAX_CELL_TEXT:
        return text
    cut = units[: 2 * (MAX_CELL_TEXT - len(ELLIPSIS))]
    if 0xD8 <= cut[-1] <= 0xDB:  # do not keep half of a surrogate pair
        cut = cut[:-2]
    return cut.decode("utf-16-le") + ELLIPSIS


def _escape(text: str) -> str:
    # A literal CR would come back as LF from any XML parser; &#13; keeps it.
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _string_cell(text: str) -> str:
    """Everything of a text cell after its reference: the type and the inline string."""
    text = cell_text(text)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f' t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


@dataclass(frozen=True)
class SheetRows:
    """Rows as the text of <row> elements, and where they start and end (last_row 0: none)."""

    xml: bytes
    first_row: int
    last_row: int
    last_col: int


# Excel's day 0, from which a date cell counts its days (1900's fictitious 29 February aside,
# which lies before every date kitflow writes).
EXCEL_EPOCH = dt.date(1899, 12, 30)


def sheet_rows(
    rows: Iterable[Sequence[object]],
    first_row: int,
    float_style: int,
    date_style: int | None = None,
) -> SheetRows:
    """Rows of str, int, float, date or None from first_row on, as SpreadsheetML.

    Text becomes inline strings (as openpyxl writes them), numbers their exact repr, floats
    get the cell style float_style (a cellXfs index), dates Excel's day number with the style
    date_style (so a spreadsheet shows, sorts and filters them as dates), and None (or "") no
    cell at all.
    """
    strings: dict[str, str] = {}  # the lists repeat file names, dates and texts a lot
    letters: list[str] = []
    float_attrs = f' s="{float_style}"><v>'
    out: list[str] = []
    row = first_row - 1
    last_col = 0
    for values in rows:
        row += 1
        number = str(row)
        cells = [f'<row r="{number}">']
        if len(values) > len(letters):
            letters.extend(get_column_letter(i) for i in range(len(letters) + 1, len(values) + 1))
        for col, value in enumerate(values):
            kind = type(value)
            if kind is str:
                if value:
                    tail = strings.get(value)
                    if tail is None:
                        tail = strings[value] = _string_cell(value)
                    cells.append(f'<c r="{letters[col]}{number}"{tail}')
            elif value is None:
                pass
            elif kind is float:
                cells.append(f'<c r="{letters[col]}{number}"{float_attrs}{_float(value)}</v></c>')
            elif kind is int:
                cells.append(f'<c r="{letters[col]}{number}"><v>{value}</v></c>')
            elif kind is dt.date and date_style is not None:
                days = (value - EXCEL_EPOCH).days
                cells.append(f'<c r="{letters[col]}{number}" s="{date_style}"><v>{days}</v></c>')
            else:
                cells.append(_other_cell(value, f"{letters[col]}{number}", float_attrs))
        cells.append("</row>")
        out.append("".join(cells))
        last_col = max(last_col, len(values))
    last_row = row if row >= first_row else 0
    return SheetRows("".join(out).encode("utf-8"), first_row, last_row, last_col)


def _float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"{value!r} kan ikke stå i en Excel-celle")
    return repr(value)


def _other_cell(value: object, ref: str, float_attrs: str) -> str:
    """Subclasses of the plain types (a numpy integer, say); anything else is a bug."""
    if isinstance(value, str):
        return f'<c r="{ref}"{_string_cell(str(value))}' if value else ""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, Real) and not isinstance(value, bool):
        return f'<c r="{ref}"{float_attrs}{_float(float(value))}</v></c>'
    raise TypeError(f"{ref}: a list sheet holds text and numbers, not {type(value).__name__}")


def _sheet_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> its part in the package, from workbook.xml and its relationships."""
    book = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    parts = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets[sheet.get(f"{_REL}id")]
        if target.startswith("/"):
            parts[sheet.get("name", "")] = target.lstrip("/")
        else:
            parts[sheet.get("name", "")] = str(PurePosixPath("xl", target))
    return parts


def _splice(xml: bytes, rows: SheetRows, part: str) -> bytes:
    """The sheet's XML with the rows at the end of its <sheetData> and its dimension widened."""
    if xml.count(_SHEET_DATA_END) != 1:
        raise ValueError(f"{part}: expected one </sheetData>, the header row written by openpyxl")
    if not rows.last_row:
        return xml
    found = _DIMENSION.search(xml)
    if found is None:
        raise ValueError(f"{part}: no <dimension> to widen")
    _min_col, _min_row, max_col, max_row = range_boundaries(found.group(1).decode())
    if max_row is not None and max_row >= rows.first_row:
        raise ValueError(f"{part}: the spliced rows would overlap rows openpyxl wrote")
    ref = f"A1:{get_column_letter(max(max_col or 1, rows.last_col))}{rows.last_row}"
    xml = xml[: found.start()] + f'<dimension ref="{ref}"/>'.encode() + xml[found.end() :]
    end = xml.index(_SHEET_DATA_END)
    return xml[:end] + rows.xml + xml[end:]


def write_with_rows(package: bytes, rows: Mapping[str, SheetRows], path: Path) -> None:
    """Write the openpyxl-saved package to path with each named sheet's rows spliced in."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        parts = _sheet_parts(source)
        missing = sorted(set(rows) - set(parts))
        if missing:
            raise ValueError(f"no such sheets in the workbook: {missing}")
        fills = {parts[title]: sheet for title, sheet in rows.items()}
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL) as out:
            for info in source.infolist():
                data = source.read(info)
                if info.filename in fills:
                    data = _splice(data, fills[info.filename], info.filename)
                entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                entry.external_attr = info.external_attr
                out.writestr(entry, data, zipfile.ZIP_DEFLATED, COMPRESSLEVEL)
