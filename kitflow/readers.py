"""Reading input files into raw sheets: xlsx/xls through calamine, CSV in UTF-8 or Windows-1252.

This is the only place that opens spreadsheet files; everything after it is the pure core.
Each failure to read becomes one FatalInputError naming the file and what to do.
"""

from __future__ import annotations

import csv
import hashlib
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import fastexcel
import numpy as np
import pandas as pd
import python_calamine

from config.settings import InputLimits
from kitflow.core.cells import is_text_series
from kitflow.core.findings import FatalInputError
from kitflow.core.sheets import ColumnSheet, RawSheet

BOOKING_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".txt")
# Exports read at once: one per core on the two-core server (fastexcel and Arrow work outside
# the GIL); each in flight holds one file's columns, so more would cost memory, not time.
READ_WORKERS = 2
# The second passes over mixed sheets (`ColumnSheet.prefetch`) run here, beside the parsing.
_SECOND_PASSES = ThreadPoolExecutor(READ_WORKERS, thread_name_prefix="kitflow-second-pass")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

MISSING = "filen findes ikke; læg den i datamappen, eller angiv den rigtige mappe med --data"
EMPTY = "filen er tom (0 byte); hent den igen, eller fjern den fra mappen"
RESAVE = "hent den igen, eller åbn den i Excel og gem den igen"


def reason(exc: BaseException) -> str:
    """A library's error in one line, without the file paths it quotes in its context lines."""
    first = (str(exc).strip().splitlines() or [""])[0].strip()
    return f"{type(exc).__name__}: {first[:200]}"


def not_a_workbook(path: Path, name: str) -> FatalInputError:
    """Why a file named .xlsx/.xls is no workbook: HTML and CSV under an Excel name are common."""
    with path.open("rb") as fh:
        head = fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<head", b"<meta")):
        what = "en HTML- eller XML-side"
    elif head and b"\x00" not in head:
        what = "en tekstfil (CSV)"
    else:
        return FatalInputError(name, f"filen er ikke et Excel-regneark (.xlsx, .xls); {RESAVE}")
    return FatalInputError(
        name,
        f"filen er {what}, ikke et Excel-regneark, selv om den hedder {path.suffix} (det gør "
        "nogle økonomisystemers eksporter); åbn den i Excel og gem den som .xlsx, eller hent "
        "eksporten som .xlsx eller .csv",
    )


def sha256(path: Path) -> str:
    """The file's sha256, so a summary can prove which file was read."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def booking_files(folder: Path) -> list[Path]:
    """The export files in `<data>/bookings`, in name order (the first to hold a booking wins)."""
    if not folder.is_dir():
        raise FatalInputError(str(folder), "mappen med posteringseksporter findes ikke")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in BOOKING_SUFFIXES and not p.name.startswith("~$")
    )
    if not files:
        raise FatalInputError(
            str(folder), "mappen indeholder ingen eksporter (.xlsx, .xls, .csv eller .txt)"
        )
    return files


def reading_order(paths: Sequence[Path]) -> list[Path]:
    """The order to start reading in: largest file first.

    With READ_WORKERS reading at once, a large file started last would run on one core while
    the other waits; results are still combined in name order (`booking_files`).
    """
    return sorted(paths, key=lambda p: (-p.stat().st_size, p.name))


def read_workbook(
    path: Path, display_name: str | None = None, limits: InputLimits | None = None
) -> dict[str, RawSheet]:
    """Every sheet of an .xlsx/.xls workbook, row i of a sheet being Excel's row i + 1.

    An .xlsx is first held to `limits` (the settings' defaults when None): see `check_package`.
    """
    name = display_name or path.name
    _check_workbook_file(path, name, limits)
    return _read_checked_workbook(path, name)


def _read_checked_workbook(path: Path, name: str) -> dict[str, RawSheet]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = {}
        for sheet_name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(sheet_name)
            sheets[sheet_name] = RawSheet(name, sheet_name, sheet.to_python(skip_empty_area=False))
    except FatalInputError:
        raise
    except Exception as exc:  # calamine's errors are plain exceptions with a reason
        raise FatalInputError(name, f"regnearket kan ikke læses ({reason(exc)}); {RESAVE}") from exc
    return sheets


def _check_workbook_file(path: Path, name: str, limits: InputLimits | None) -> None:
    if not path.is_file():
        raise FatalInputError(name, MISSING)
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise FatalInputError(name, EMPTY)
    if head.startswith(_OLE_MAGIC) and path.suffix.lower() in (".xlsx", ".xlsm"):
        raise FatalInputError(
            name, "filen er beskyttet med adgangskode; åbn den i Excel, fjern koden og gem den"
        )
    if not head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise not_a_workbook(path, name)
    if head.startswith(_ZIP_MAGIC):
        check_package(path, name, limits or InputLimits())


# --- zip bombs: how far a package unpacks, before any reader opens it -------------------------

MB = 1_000_000
# The compression ratio is asked of parts larger than this; a smaller part is harmless whatever
# its ratio, and small XML parts (styles, an empty sheet) may be packed far.
RATIO_FROM_BYTES = 10 * MB
_CHUNK = 1 << 20
_TOO_LARGE = "filen er ikke læst. Hent den igen, eller hæv grænsen, hvis filen virkelig er så stor"
_REFETCH = "filen er ikke læst. Hent den igen fra økonomisystemet"


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _size_text(n: int) -> str:
    """Bytes as a Dane reads them: 27.703 byte, 500 MB, 2,1 GB."""
    if n < MB:
        return f"{_thousands(n)} byte"
    value, unit = (n / MB, "MB") if n < 1000 * MB else (n / (1000 * MB), "GB")
    return f"{value:.1f}".removesuffix(".0").replace(".", ",") + f" {unit}"


def check_package(path: Path, name: str, limits: InputLimits) -> None:
    """Refuse a zip package (.xlsx) that unpacks to more than `limits`, before it is read.

    First what the package says of itself (its central directory: each part's unpacked and
    packed size), so a zip bomb is refused without unpacking a byte. Then whether it says the
    truth: every part is unpacked once as a stream and thrown away, stopping at the first byte
    past the size it declared. calamine holds a part to its declared size, but fastexcel's
    unzip does not, so a package that lies would otherwise be read to its real size. A
    package zipfile cannot open, or a part that does not unpack, is left to the readers, which
    say what is wrong with it as before.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return
    part_limit = limits.max_unpacked_mb_per_part * MB
    file_limit = limits.max_unpacked_mb_per_file * MB
    total = 0
    for info in parts:
        # A stored part is read for its packed size, whatever it says it unpacks to.
        size = max(info.file_size, info.compress_size)
        packed = max(info.compress_size, 1)
        if size > part_limit:
            raise FatalInputError(
                name,
                f"delen {info.filename} pakker ud til {_size_text(size)}, mere end grænsen på "
                f"{_size_text(part_limit)} pr. del (input_limits.max_unpacked_mb_per_part); "
                + _TOO_LARGE,
            )
        total += size
        if total > file_limit:
            raise FatalInputError(
                name,
                f"filen pakker ud til mere end grænsen på {_size_text(file_limit)} i alt "
                f"(input_limits.max_unpacked_mb_per_file); {_TOO_LARGE}",
            )
        if size > RATIO_FROM_BYTES and size > limits.max_compression_ratio * packed:
            raise FatalInputError(
                name,
                f"delen {info.filename} er pakket {_thousands(size // packed)} gange sammen "
                f"({_size_text(packed)} bliver til {_size_text(size)}), mere end grænsen på "
                f"{limits.max_compression_ratio} gange (input_limits.max_compression_ratio); så "
                f"tæt pakker kun en zip-bombe eller en ødelagt fil, og {_REFETCH}",
            )
    with path.open("rb") as fh:
        for info in parts:
            if _unpacks_past_its_size(fh, info):
                raise FatalInputError(
                    name,
                    f"delen {info.filename} pakker ud til mere end de "
                    f"{_size_text(info.file_size)}, filen selv angiver; den er ødelagt eller lavet "
                    f"til at fylde maskinen op, og {_REFETCH}",
                )


def _unpacks_past_its_size(fh, info: zipfile.ZipInfo) -> bool:
    """True when a deflated part holds more than its declared size (unpacked as a stream, at
    most that size and one chunk more). Anything else about the part is the readers' to say.

    calamine and fastexcel read stored and deflated parts only (bzip2, LZMA: "compression
    method not supported"), so a deflated part is the only one that can grow.
    """
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
        return False  # stored: as large as it is on disk; encrypted: no reader opens it
    try:
        fh.seek(info.header_offset)
        header = fh.read(30)
        if len(header) < 30 or header[:4] != _ZIP_MAGIC:
            return False
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        fh.seek(info.header_offset + 30 + name_length + extra_length)
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        left, unpacked = info.compress_size, 0
        while left > 0 and not inflate.eof:
            data = fh.read(min(_CHUNK, left))
            if not data:
                return False
            left -= len(data)
            while data:
                unpacked += len(inflate.decompress(data, _CHUNK))
                if unpacked > info.file_size:
                    return True
                data = inflate.unconsumed_tail
    except (zlib.error, OSError, struct.error):
        return False
    return False


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_nonempty(path: Path, name: str) -> bytes:
    """A text export's bytes; FatalInputError when it is missing or holds only white space."""
    if not path.is_file():
        raise FatalInputError(name, MISSING)
    data = path.read_bytes()
    if not data.strip():
        raise FatalInputError(name, EMPTY)
    return data


def decode_text(data: bytes, name: str) -> str:
    """CSV bytes as text: UTF-16 with BOM, UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FatalInputError(
                name,
                f"filen siger den er UTF-16, men byte {exc.start} er ikke UTF-16; "
                "hent eksporten igen",
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FatalInputError(
                name,
                f"filen siger den er UTF-8, men byte {exc.start + 3} er ikke UTF-8; "
                "gem den igen som CSV (UTF-8), eller hent eksporten igen",
            ) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FatalInputError(
            name, f"filen er hverken UTF-8 eller Windows-1252 (byte {exc.start})"
        ) from exc


def read_csv(path: Path, display_name: str | None = None) -> RawSheet:
    """A semicolon (or comma/tab) separated export; row i is the file's line i + 1."""
    name = display_name or path.name
    data = read_nonempty(path, name)
    if b"\x00" in data[:4096] and not data.startswith(_UTF16_BOMS):
        raise FatalInputError(name, "filen er ikke en tekstfil (CSV)")
    text = decode_text(data, name)
    sample = "\n".join(text.splitlines()[:20])
    delimiter = max(";\t,", key=sample.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[object]] = []
    try:
        for record in reader:
            # Pad so that a multi-line quoted field keeps later rows on their own line numbers.
            while len(rows) < reader.line_num - 1:
                rows.append([])
            rows.append(list(record))
    except csv.Error as exc:
        raise FatalInputError(f"{name}:{reader.line_num}", f"CSV-filen er ødelagt: {exc}") from exc
    return RawSheet(name, None, rows)


# --- large xlsx exports through fastexcel (calamine into Arrow) ----------------------------------

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
HEAD_ROWS = 50  # header matching looks at the first 50 rows, as for every other sheet


class _NotPeekable(Exception):
    """The sheet's first rows cannot be read cheaply; the caller uses calamine instead."""


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _text_of(element: ElementTree.Element) -> str:
    """A shared or inline string: its <t> runs, phonetic runs (<rPh>) left out."""
    parts = []
    for child in element:
        if child.tag == _NS + "t":
            parts.append(child.text or "")
        elif child.tag == _NS + "r":
            parts.extend(t.text or "" for t in child.iter(_NS + "t"))
    return "".join(parts)


def _stream(zf: zipfile.ZipFile, member: str, tag: str, limit: int) -> list[ElementTree.Element]:
    """The first `limit` <tag> elements of a (possibly huge) part, decompressing no further."""
    parser = ElementTree.XMLPullParser(events=("end",))
    found: list[ElementTree.Element] = []
    with zf.open(member) as fh:
        while len(found) < limit:
            chunk = fh.read(1 << 16)
            if not chunk:
                break
            parser.feed(chunk)
            for _event, element in parser.read_events():
                if element.tag == _NS + tag:
                    found.append(element)
    return found[:limit]


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the package, from workbook.xml and its relationships."""
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts = {}
    for sheet in book.iter(_NS + "sheet"):
        target = targets.get(sheet.get(_REL_NS + "id"), "")
        parts[sheet.get("name", "")] = (
            target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        )
    return parts


def _peek_head(zf: zipfile.ZipFile, part: str) -> list[list[object]]:
    """The first rows of a sheet as calamine shows them, strings exact, other cells marked.

    Only strings can name a column, so a number, date or error cell is given as True.
    Raises _NotPeekable where the part does not say plainly where its cells are.
    """
    rows = _stream(zf, part, "row", HEAD_ROWS)
    cells: dict[tuple[int, int], object] = {}
    shared_needed: dict[tuple[int, int], int] = {}
    for row in rows:
        for c in row.iter(_NS + "c"):
            m = _CELL_REF.match(c.get("r", ""))
            if m is None:
                raise _NotPeekable("cell without a reference")
            at = (int(m.group(2)) - 1, _column_index(m.group(1)))
            kind = c.get("t", "n")
            v = c.find(_NS + "v")
            if kind == "s" and v is not None and v.text is not None:
                shared_needed[at] = int(v.text)
            elif kind == "inlineStr":
                inline = c.find(_NS + "is")
                cells[at] = _text_of(inline) if inline is not None else ""
            elif kind == "str":
                cells[at] = v.text or "" if v is not None else None
            elif v is not None and v.text not in (None, ""):
                cells[at] = True
    if shared_needed:
        top = max(shared_needed.values())
        strings = _stream(zf, "xl/sharedStrings.xml", "si", top + 1)
        if len(strings) <= top:
            raise _NotPeekable("shared string out of range")
        for at, k in shared_needed.items():
            cells[at] = _text_of(strings[k])
    height = max((r for r, _c in cells), default=-1) + 1
    width = max((c for _r, c in cells), default=-1) + 1
    head: list[list[object]] = [[None] * width for _ in range(min(height, HEAD_ROWS))]
    for (r, c), value in cells.items():
        if r < HEAD_ROWS:
            head[r][c] = value
    return head


def _series(column) -> pd.Series:
    """An Arrow column as pandas: floats as float64, text as Arrow-backed str, dates as
    datetime64; an all-empty column as objects (None)."""
    import pyarrow as pa

    array = pa.array(column) if not isinstance(column, pa.Array | pa.ChunkedArray) else column
    if pa.types.is_null(array.type):
        return pd.Series([None] * len(array), dtype=object)
    return array.to_pandas()


def read_xlsx_columns(
    path: Path,
    find_header,
    display_name: str | None = None,
    limits: InputLimits | None = None,
) -> list[ColumnSheet | RawSheet]:
    """Every sheet of a large .xlsx export, read column-wise through fastexcel where it can be
    done exactly, else through calamine as `read_workbook` does.

    `find_header(rows) -> int | None` names the header row among a sheet's first rows. The
    header row is found from the sheet's first rows read straight from the package (cheap);
    fastexcel then reads the data below it once, each column typed by all of its cells, so a
    column of numbers stays numbers and one of text stays text. fastexcel's own reading of the
    header row must name the same columns, or the sheet is read by calamine instead.
    """
    name = display_name or path.name
    _check_workbook_file(path, name, limits)
    try:
        with zipfile.ZipFile(path) as zf:
            parts = _sheet_parts(zf)
            heads = {}
            for sheet_name, part in parts.items():
                try:
                    heads[sheet_name] = _peek_head(zf, part)
                except (_NotPeekable, KeyError, ElementTree.ParseError, ValueError):
                    heads[sheet_name] = None
        reader = fastexcel.read_excel(str(path))
        if list(parts) != list(reader.sheet_names):
            return list(_read_checked_workbook(path, name).values())
        out: list[ColumnSheet | RawSheet] = []
        for sheet_name in reader.sheet_names:
            head = heads.get(sheet_name)
            header = None if head is None else find_header(head)
            sheet = None
            if header is not None:
                sheet = _load_columns(path, name, reader, sheet_name, head, header)
            if sheet is None:
                # No header among the first rows, or the cheap reading disagreed with
                # fastexcel's: calamine reads it, and parsing says what is wrong if anything.
                sheet = _calamine_sheet(path, name, sheet_name)
            out.append(sheet)
        return out
    except FatalInputError:
        raise
    except Exception as exc:  # fastexcel's and zipfile's errors carry their reason
        raise FatalInputError(name, f"regnearket kan ikke læses ({reason(exc)}); {RESAVE}") from exc


def _load_columns(
    path: Path, name: str, reader, sheet_name: str, head: list[list[object]], header: int
) -> ColumnSheet | None:
    sheet = reader.load_sheet(sheet_name, header_row=header, skip_rows=0, schema_sample_rows=None)
    columns: dict[int, pd.Series] = {}
    header_cells = head[header]
    batch = sheet.to_arrow()
    for k, info in enumerate(sheet.selected_columns):
        j = info.absolute_index
        expected = header_cells[j] if j < len(header_cells) else None
        if isinstance(expected, str) and expected:
            same = info.name == expected or info.name.startswith(f"{expected}_")
        else:
            same = expected is not None or info.name.startswith("__UNNAMED__")
        if not same:
            return None
        columns[j] = _series(batch.column(k))
    height = batch.num_rows
    text_columns = sorted(j for j, s in columns.items() if is_text_series(s))
    passes: list[Future[dict[int, np.ndarray]]] = []

    def second_pass() -> dict[int, np.ndarray]:
        """Which cells of each text column were numbers (or booleans): a typed pass.

        The pass parses the whole sheet whatever columns it returns, so it answers for every
        text column at once.
        """
        # A reader of its own: this runs in another thread, and a fastexcel reader is not
        # shared between threads.
        again = fastexcel.read_excel(str(path)).load_sheet(
            sheet_name, header_row=header, skip_rows=0, use_columns=text_columns, dtypes="boolean"
        )
        typed = again.to_arrow()
        return {
            info.absolute_index: typed.column(k).is_valid().to_numpy(zero_copy_only=False)
            for k, info in enumerate(again.selected_columns)
        }

    def prefetch() -> None:
        if not passes:
            passes.append(_SECOND_PASSES.submit(second_pass))

    def numbers(j: int) -> np.ndarray:
        prefetch()
        return passes[0].result()[j]

    return ColumnSheet(
        name, sheet_name, head[: header + 1], header + 2, height, columns, numbers, prefetch
    )


def _calamine_sheet(path: Path, name: str, sheet_name: str) -> RawSheet:
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    return RawSheet(name, sheet_name, rows)


def read_export(
    path: Path, find_header=None, limits: InputLimits | None = None
) -> list[RawSheet | ColumnSheet]:
    """The sheets of one bookings export, whatever its format.

    .xlsx/.xlsm go column-wise through fastexcel when `find_header` is given (see
    `read_xlsx_columns`); .xls and CSV are read whole, as rows. A zip package is first held to
    `limits` (`check_package`).
    """
    if path.suffix.lower() == ".csv":
        return [read_csv(path)]
    if find_header is not None and path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx_columns(path, find_header, limits=limits)
    return list(read_workbook(path, limits=limits).values())
