"""The IT-acquisitions register (acquisitions.xlsx) read from raw sheet rows into frozen data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from kitflow.core.cells import is_blank, key_text, parse_optional_date, try_parse
from kitflow.core.contract.acquisitions import (
    ACQUISITIONS,
    CLASSIFICATIONS,
    SHEET_CONDITIONS,
    SHEET_CONTRACTS,
    SHEET_KONCERN_IT,
    SHEET_SYSTEMS,
    SHEET_UNITS,
)
from kitflow.core.contract.model import SheetSpec
from kitflow.core.findings import FatalInputError, Finding, Location, Severity
from kitflow.core.sheets import RawSheet, TableRow, normalise_header, read_table

Rows = Sequence[Sequence[object]]
Sheets = Mapping[str, RawSheet] | Mapping[str, Rows]


class _HasRow(Protocol):
    @property
    def row(self) -> int: ...


T = TypeVar("T", bound=_HasRow)

_EMAIL = re.compile(r"^[^@\s;,<>]+@[^@\s;,<>]+\.[^@\s;,<>]+$")
_HEADER_SCAN_ROWS = 20


@dataclass(frozen=True, slots=True)
class Unit:
    """An acquiring unit and the addresses its RACI roles are reached at."""

    enhed: str
    forvaltning: str
    email: tuple[str, ...]
    direktion_email: tuple[str, ...]
    digitaliseringskontor_email: tuple[str, ...]
    row: int


@dataclass(frozen=True, slots=True)
class System:
    """A system or acquisition; `type` is Anskaffelse, PoC or Pilot."""

    system_id: str
    navn: str
    enhed: str
    klassifikation: str | None
    type: str
    slutdato: dt.date | None
    anmeldt_systemregister: dt.date | None
    tilladelse: str
    i_drift: dt.date | None
    row: int


@dataclass(frozen=True, slots=True)
class Contract:
    """A signed contract or addendum (`type` Kontrakt or Tillæg)."""

    kontrakt_id: str
    system_id: str | None
    leverandoer: str
    type: str
    enhed: str
    underskrevet: dt.date
    sendt_til_koncern_it: dt.date | None
    row: int


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition of a conditional go-live permit, to be fixed by its Frist."""

    betingelse_id: str
    system_id: str
    beskrivelse: str
    frist: dt.date
    udbedret: dt.date | None
    row: int


@dataclass(frozen=True, slots=True)
class AcquisitionsRegister:
    """The whole register as read, bad rows left out (each has a finding)."""

    file: str
    units: tuple[Unit, ...]
    systems: tuple[System, ...]
    contracts: tuple[Contract, ...]
    conditions: tuple[Condition, ...]
    koncern_it_email: tuple[str, ...]

    def unit(self, enhed: str) -> Unit | None:
        """The unit of that name (case-insensitive), if the register has it."""
        wanted = _norm(enhed)
        return next((u for u in self.units if _norm(u.enhed) == wanted), None)

    def system(self, system_id: str | None) -> System | None:
        """The system with that id, if the register has it."""
        return next((s for s in self.systems if s.system_id == system_id), None)


# --- columns --------------------------------------------------------------------------------

# The sheets and their columns are the data contract's (kitflow/core/contract/acquisitions.py).
_SHEETS: dict[str, SheetSpec] = {s.name: s for s in ACQUISITIONS.sheets}


def _norm(text: object) -> str:
    return normalise_header(text)


def _find_sheet(sheets: Mapping[str, RawSheet], wanted: str, file: str) -> RawSheet:
    for name, sheet in sheets.items():
        if _norm(name) == _norm(wanted):
            return sheet
    found = ", ".join(f'"{n}"' for n in sheets) or "ingen ark"
    raise FatalInputError(file, f'arket "{wanted}" mangler (fandt {found})')


# --- cell readers ----------------------------------------------------------------------------


class _RowReader:
    """Reads the cells of one row by field, collecting Danish messages for bad cells."""

    def __init__(self, row: TableRow, spec: SheetSpec) -> None:
        self._row = row
        self._spec = spec
        self._labels = spec.labels()
        self.errors: list[str] = []

    def text(self, field: str, *, required: bool = False) -> str:
        value = key_text(self._row.get(field))
        if required and not value:
            self.errors.append(f"{self._labels[field]} mangler")
        return value

    def date(self, field: str, *, required: bool = False) -> dt.date | None:
        value, error = try_parse(parse_optional_date, self._row.get(field))
        if error is not None:
            self.errors.append(f"{self._labels[field]}: {error}")
            return None
        if value is None and required:
            self.errors.append(f"{self._labels[field]} mangler")
        return value if isinstance(value, dt.date) else None

    def choice(self, field: str) -> str:
        """One of the contract's choices for the column; empty, its default."""
        column = self._spec.column(field)
        allowed, default = column.choices, column.default or ""
        value = self.text(field)
        if not value:
            return default
        hit = next((a for a in allowed if _norm(a) == _norm(value)), None)
        if hit is None:
            self.errors.append(
                f'{self._labels[field]} "{value}" er ikke en af {", ".join(allowed)}'
            )
            return default
        return hit

    def emails(self, field: str, *, required: bool = False) -> tuple[str, ...]:
        addresses = split_addresses(self.text(field))
        bad = [a for a in addresses if not _EMAIL.match(a)]
        if bad:
            self.errors.append(f'{self._labels[field]} "{bad[0]}" er ikke en e-mail-adresse')
            return ()
        if required and not addresses:
            self.errors.append(f"{self._labels[field]} mangler")
        return addresses


def split_addresses(text: str) -> tuple[str, ...]:
    """One or more addresses in a cell, separated by ";", "," or spaces."""
    return tuple(a for a in re.split(r"[;,\s]+", text.strip()) if a)


def _read_table(
    sheets: Mapping[str, RawSheet],
    sheet_name: str,
    file: str,
    build: Callable[[_RowReader, int], T],
    findings: list[Finding],
) -> list[T]:
    sheet = _find_sheet(sheets, sheet_name, file)
    spec = _SHEETS[sheet_name]
    out: list[T] = []
    for row in read_table(sheet, spec.headers(), spec.required(), scan_rows=_HEADER_SCAN_ROWS):
        reader = _RowReader(row, spec)
        item = build(reader, row.row)
        if reader.errors:
            findings.append(
                Finding(
                    Severity.ERROR,
                    Location(file, sheet_name, row.row),
                    "; ".join(reader.errors) + " – rækken er sprunget over",
                    code="acquisitions.bad_row",
                )
            )
            continue
        out.append(item)
    return out


def _drop_duplicates(
    items: list[T],
    key: Callable[[T], str],
    what: str,
    file: str,
    sheet: str,
    findings: list[Finding],
) -> list[T]:
    seen: dict[str, int] = {}
    kept: list[T] = []
    for item in items:
        k = key(item)
        if k in seen:
            findings.append(
                Finding(
                    Severity.ERROR,
                    Location(file, sheet, item.row),
                    f'{what} "{k}" findes allerede i række {seen[k]} – rækken er sprunget over',
                    code="acquisitions.duplicate",
                )
            )
            continue
        seen[k] = item.row
        kept.append(item)
    return kept


_KONCERN_IT_HEADERS = {_norm(h) for h in _SHEETS[SHEET_KONCERN_IT].column("email").headers}


def _koncern_it_email(sheets: Mapping[str, RawSheet], file: str) -> tuple[str, ...]:
    """The address in sheet "Koncern IT": under an "Email" header, or beside an "Email:" label."""
    sheet = _find_sheet(sheets, SHEET_KONCERN_IT, file)
    name, rows = sheet.sheet, sheet.rows
    for r, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        for c, value in enumerate(row):
            if is_blank(value) or _norm(value) not in _KONCERN_IT_HEADERS:
                continue
            beside = row[c + 1] if c + 1 < len(row) else None
            below = rows[r + 1][c] if r + 1 < len(rows) and c < len(rows[r + 1]) else None
            for candidate in (beside, below):
                if is_blank(candidate):
                    continue
                addresses = split_addresses(str(candidate))
                if addresses and all(_EMAIL.match(a) for a in addresses):
                    return addresses
                raise FatalInputError(
                    f"{file}:{name}", f'"{candidate}" er ikke en e-mail-adresse for Koncern IT'
                )
    raise FatalInputError(
        f"{file}:{name}", 'arket skal have kolonnen "Email" med Koncern IT\'s e-mail-adresse'
    )


# --- the register ----------------------------------------------------------------------------


def read_acquisitions(
    sheets: Sheets, file: str = "acquisitions.xlsx"
) -> tuple[AcquisitionsRegister, list[Finding]]:
    """The register from {sheet name: rows} (row i is Excel row i+1), with findings for bad rows.

    A missing sheet or required column raises FatalInputError naming the file and what is
    missing; a bad row is left out with an error finding giving sheet and row. Rows that refer
    to a unit or system the register does not have are left out too, since nobody could be
    reminded of them.
    """
    raw = {
        name: value if isinstance(value, RawSheet) else RawSheet(file, name, value)
        for name, value in sheets.items()
    }
    findings: list[Finding] = []
    kit = _koncern_it_email(raw, file)

    def unit(r: _RowReader, row: int) -> Unit:
        return Unit(
            enhed=r.text("enhed", required=True),
            forvaltning=r.text("forvaltning"),
            email=r.emails("email", required=True),
            direktion_email=r.emails("direktion_email"),
            digitaliseringskontor_email=r.emails("digitaliseringskontor_email"),
            row=row,
        )

    units = _read_table(raw, SHEET_UNITS, file, unit, findings)
    units = _drop_duplicates(
        units, lambda u: _norm(u.enhed), "Enheden", file, SHEET_UNITS, findings
    )
    unit_names = {_norm(u.enhed) for u in units}

    def system(r: _RowReader, row: int) -> System:
        enhed = r.text("enhed", required=True)
        if enhed and _norm(enhed) not in unit_names:
            r.errors.append(f'enheden "{enhed}" findes ikke i arket "{SHEET_UNITS}"')
        kind = r.choice("type")
        slutdato = r.date("slutdato")
        klass = r.text("klassifikation")
        # Not needed for any reminder: an unknown value is kept as written, not an error.
        klass = next((c for c in CLASSIFICATIONS if _norm(c) == _norm(klass)), klass)
        return System(
            system_id=r.text("system_id", required=True),
            navn=r.text("navn", required=True),
            enhed=enhed,
            klassifikation=klass or None,
            type=kind,
            slutdato=slutdato,
            anmeldt_systemregister=r.date("anmeldt"),
            tilladelse=r.choice("tilladelse"),
            i_drift=r.date("i_drift"),
            row=row,
        )

    systems = _read_table(raw, SHEET_SYSTEMS, file, system, findings)
    systems = _drop_duplicates(
        systems, lambda s: s.system_id, "System-id", file, SHEET_SYSTEMS, findings
    )
    system_ids = {s.system_id for s in systems}

    def contract(r: _RowReader, row: int) -> Contract:
        enhed = r.text("enhed", required=True)
        if enhed and _norm(enhed) not in unit_names:
            r.errors.append(f'enheden "{enhed}" findes ikke i arket "{SHEET_UNITS}"')
        return Contract(
            kontrakt_id=r.text("kontrakt_id", required=True),
            system_id=r.text("system_id") or None,
            leverandoer=r.text("leverandoer"),
            type=r.choice("type"),
            enhed=enhed,
            underskrevet=r.date("underskrevet", required=True) or dt.date.min,
            sendt_til_koncern_it=r.date("sendt"),
            row=row,
        )

    contracts = _read_table(raw, SHEET_CONTRACTS, file, contract, findings)
    contracts = _drop_duplicates(
        contracts, lambda c: c.kontrakt_id, "Kontrakt-id", file, SHEET_CONTRACTS, findings
    )
    for c in contracts:
        if c.system_id and c.system_id not in system_ids:
            findings.append(
                Finding(
                    Severity.WARNING,
                    Location(file, SHEET_CONTRACTS, c.row),
                    f'System-id "{c.system_id}" findes ikke i arket "{SHEET_SYSTEMS}"',
                    code="acquisitions.unknown_system",
                )
            )

    def condition(r: _RowReader, row: int) -> Condition:
        system_id = r.text("system_id", required=True)
        if system_id and system_id not in system_ids:
            r.errors.append(f'System-id "{system_id}" findes ikke i arket "{SHEET_SYSTEMS}"')
        return Condition(
            betingelse_id=r.text("betingelse_id", required=True),
            system_id=system_id,
            beskrivelse=r.text("beskrivelse"),
            frist=r.date("frist", required=True) or dt.date.min,
            udbedret=r.date("udbedret"),
            row=row,
        )

    conditions = _read_table(raw, SHEET_CONDITIONS, file, condition, findings)
    conditions = _drop_duplicates(
        conditions, lambda c: c.betingelse_id, "Betingelse-id", file, SHEET_CONDITIONS, findings
    )

    register = AcquisitionsRegister(
        file=file,
        units=tuple(units),
        systems=tuple(systems),
        contracts=tuple(contracts),
        conditions=tuple(conditions),
        koncern_it_email=kit,
    )
    return register, findings
