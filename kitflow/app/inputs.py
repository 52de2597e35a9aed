"""Read the inputs: the bookings exports, the capital-projects register and the acquisitions."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from config.settings import InputLimits
from kitflow.core.accounts import FileRead
from kitflow.core.acquisitions import AcquisitionsRegister, read_acquisitions
from kitflow.core.bookings import BookingsOptions, ParsedSheet, header_finder
from kitflow.core.bookings import parse_bookings as parse_sheet
from kitflow.core.combine import CombinedBookings, combine
from kitflow.core.findings import FatalInputError, Finding, Location, Severity
from kitflow.core.register import Register, parse_register
from kitflow.formats import read_export
from kitflow.readers import booking_files, read_workbook, sha256

EMPTY_SHEET = "arket er tomt; hent eksporten igen, eller fjern filen fra mappen"


def parse_export(
    path: Path, options: BookingsOptions, limits: InputLimits | None = None
) -> tuple[list[ParsedSheet], FileRead]:
    """Parse every sheet of one export that holds bookings; a sheet without is said, not lost.

    An .xlsx that would unpack past `limits` (the settings' `input_limits`) is not read.
    """
    # The format is recognised from the file's content (kitflow.formats); large .xlsx exports
    # are read column-wise through fastexcel, from their header row down.
    export = read_export(path, header_finder(options), limits)
    sheets = export.sheets
    parsed: list[ParsedSheet] = []
    skipped: list[tuple[str | None, FatalInputError]] = []
    for sheet in sheets:
        if not any(any(str(c).strip() for c in row) for row in sheet.rows):
            skipped.append((sheet.sheet, FatalInputError(sheet.where, EMPTY_SHEET)))
            continue
        try:
            parsed.append(parse_sheet(sheet, options))
        except FatalInputError as exc:
            if "overskriftsrække" not in exc.problem:
                raise
            skipped.append((sheet.sheet, exc))
    if not parsed:
        raise skipped[0][1] if skipped else FatalInputError(path.name, "filen har ingen ark")
    notes = tuple(
        Finding(
            Severity.INFO,
            Location(path.name, name),
            f"arket er sprunget over, da det ikke ligner posteringer ({exc.problem})",
            code="booking.sheet_skipped",
        )
        for name, exc in skipped
    )
    if (cut := _cut_off(path, parsed[0])) is not None:
        notes += (cut,)
    if notes:
        first = parsed[0]
        parsed[0] = dataclasses.replace(first, findings=first.findings + notes)
    info = FileRead(
        file=path.name,
        sha256=sha256(path),
        size_bytes=path.stat().st_size,
        sheets=tuple(p.control for p in parsed),
        recognised=", ".join(part for part in (export.format, export.parts) if part),
    )
    return parsed, info


def _cut_off(path: Path, parsed: ParsedSheet) -> Finding | None:
    """A CSV export whose last line has no line ending may have been cut off in that line.

    A cut inside a booking's line can leave a row that still parses (its text or its last
    digits gone: "131.289,33" cut to "131.2" reads as 131,20 kr.), and an export without a
    total line has nothing else to catch it with; so it is said, naming the row to look at.
    """
    control = parsed.control
    if path.suffix.lower() != ".csv" or control.data_rows == 0:
        return None  # a header alone is said by the parse (booking.no_bookings)
    if control.control_total_ore is not None:
        # A grand total the bookings add up to (else the parse stopped the run) shows the file
        # is whole: a system that ends its last line without a line break is not warned of.
        return None
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        if fh.read(1) in (b"\n", b"\r"):
            return None
    row = control.header_row + control.data_rows
    return Finding(
        Severity.WARNING,
        Location(path.name, None, row),
        "sidste linje slutter uden linjeskift – filen kan være afskåret midt i en postering; "
        "tjek rækken mod økonomisystemet, eller hent eksporten igen",
        code="booking.cut_off",
    )


def combine_exports(results: Sequence[tuple[list[ParsedSheet], FileRead]]) -> CombinedBookings:
    """All exports' bookings, each booking once."""
    return combine([sheet for parsed, _info in results for sheet in parsed])


def load_register(path: Path, limits: InputLimits | None = None) -> tuple[Register, FileRead]:
    """register.xlsx, parsed and checked (and first held to `limits`, as every .xlsx is)."""
    sheets = read_workbook(path, limits=limits)
    register = parse_register(path.name, sheets)
    return register, FileRead(path.name, sha256(path), path.stat().st_size, ())


def load_acquisitions(
    path: Path, limits: InputLimits | None = None
) -> tuple[AcquisitionsRegister, list[Finding]]:
    """acquisitions.xlsx read and checked; FatalInputError if it is missing or unusable
    (or would unpack past `limits`)."""
    return read_acquisitions(read_workbook(path, limits=limits), path.name)


def export_paths(data_dir: Path) -> list[Path]:
    """The exports in `<data_dir>/bookings`, in name order (the order duplicates are kept in)."""
    return booking_files(Path(data_dir) / "bookings")


def register_path(data_dir: Path) -> Path:
    return Path(data_dir) / "register.xlsx"


def acquisitions_path(data_dir: Path) -> Path:
    return Path(data_dir) / "acquisitions.xlsx"


def acquisitions_missing(path: Path) -> Finding:
    """What the check and the run say of a data folder without acquisitions.xlsx."""
    return Finding(
        Severity.WARNING,
        Location(path.name),
        "filen findes ikke: kørslen sender ingen påmindelser",
        code="acquisitions.missing",
    )
