"""Reading input files into raw sheets: xlsx/xls through calamine, CSV in UTF-8 or Windows-1252.

This is the only place that opens spreadsheet files; everything after it is the pure core.
Each failure to read becomes one FatalInputError naming the file and what to do.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import python_calamine

from kitflow.core.findings import FatalInputError
from kitflow.core.sheets import RawSheet

BOOKING_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
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
            str(folder), "mappen indeholder ingen eksporter (.xlsx, .xls eller .csv)"
        )
    return files


def read_workbook(path: Path, display_name: str | None = None) -> dict[str, RawSheet]:
    """Every sheet of an .xlsx/.xls workbook, row i of a sheet being Excel's row i + 1."""
    name = display_name or path.name
    if not path.is_file():
        raise FatalInputError(name, MISSING)
    head = path.read_bytes()[:8]
    if not head:
        raise FatalInputError(name, EMPTY)
    if head.startswith(_OLE_MAGIC) and path.suffix.lower() in (".xlsx", ".xlsm"):
        raise FatalInputError(
            name, "filen er beskyttet med adgangskode; åbn den i Excel, fjern koden og gem den"
        )
    if not head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise not_a_workbook(path, name)
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


def decode_text(data: bytes, name: str) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else Windows-1252."""
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
    if not path.is_file():
        raise FatalInputError(name, MISSING)
    data = path.read_bytes()
    if not data.strip():
        raise FatalInputError(name, EMPTY)
    if b"\x00" in data[:4096]:
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


def read_export(path: Path) -> list[RawSheet]:
    """The sheets of one bookings export, whatever its format."""
    if path.suffix.lower() == ".csv":
        return [read_csv(path)]
    return list(read_workbook(path).values())
