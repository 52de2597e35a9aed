"""The IT-acquisitions register (acquisitions.xlsx) read from raw sheet rows into frozen data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from kitflow.core.cells import is_blank, key_text, parse_optional_date, try_parse
from kitflow.core.findings import FatalInputError, Finding, Location, Severity

Rows = Sequence[Sequence[object]]

SHEET_UNITS = "Enheder"
SHEET_SYSTEMS = "Systemer"
SHEET_CONTRACTS = "Kontrakter"
SHEET_CONDITIONS = "Betingelser"
SHEET_KONCERN_IT = "Koncern IT"

CLASSIFICATIONS = ("Infrastruktur", "Generisk administrativt", "Fagsystem", "Hjælpeværktøj")
SYSTEM_TYPES = ("Anskaffelse", "PoC", "Pilot")
PERMITS = ("Ingen", "Betinget", "Gyldig", "Tilbagetrukket")
CONTRACT_TYPES = ("Kontrakt", "Tillæg")


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
    underskrevet: dt.date | None
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


# --- header matching -------------------------------------------------------------------------


def _norm(text: object) -> str:
    """A header or key as compared: trimmed, case-folded, inner spaces single, no trailing ':'."""
    s = " ".join(str(text).split()).casefold()
    while s.endswith(":"):
        s = s[:-1].rstrip()
    return s


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    required: bool
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {_norm(self.name), *(_norm(a) for a in self.aliases)}


_COLUMNS: dict[str, tuple[_Column, ...]] = {
    SHEET_UNITS: (
        _Column("Enhed", True),
        _Column("Forvaltning", False),
        _Column("Email", True, ("E-mail", "Mail")),
        _Column("Direktion email", True, ("Direktion e-mail", "Direktionens email")),
        _Column(
            "Digitaliseringskontor email",
            True,
            ("Digitaliseringskontor e-mail", "Digitaliseringskontorets email"),
        ),
    ),
    SHEET_SYSTEMS: (
        _Column("System-id", True, ("System id", "Systemid", "System-ID")),
        _Column("Navn", True, ("Systemnavn",)),
        _Column("Enhed", True),
        _Column("Klassifikation", False),
        _Column("Type", True),
        _Column("Slutdato", True),
        _Column("Anmeldt systemregister", True, ("Anmeldt til systemregister",)),
        _Column("Tilladelse", True, ("Ibrugtagningstilladelse",)),
        _Column("I drift", True, ("I drift siden", "Idriftsat")),
    ),
    SHEET_CONTRACTS: (
        _Column("Kontrakt-id", True, ("Kontrakt id", "Kontraktid", "Kontrakt-ID")),
        _Column("System-id", False, ("System id", "Systemid", "System-ID")),
        _Column("Leverandør", False, ("Leverandoer",)),
        _Column("Type", False),
        _Column("Enhed", True),
        _Column("Underskrevet", True, ("Underskrevet dato", "Underskriftsdato")),
        _Column("Sendt til Koncern IT", True, ("Sendt til KIT",)),
    ),
    SHEET_CONDITIONS: (
        _Column("Betingelse-id", True, ("Betingelse id", "Betingelsesid", "Betingelse-ID")),
        _Column("System-id", True, ("System id", "Systemid", "System-ID")),
        _Column("Beskrivelse", False),
        _Column("Frist", True),
        _Column("Udbedret", True),
    ),
}


def _find_sheet(sheets: Mapping[str, Rows], wanted: str, file: str) -> tuple[str, Rows]:
    for name, rows in sheets.items():
        if _norm(name) == _norm(wanted):
            return name, rows
    found = ", ".join(f'"{n}"' for n in sheets) or "ingen ark"
    raise FatalInputError(file, f'arket "{wanted}" mangler (fandt {found})')


def _header_row(
    rows: Rows, columns: tuple[_Column, ...], file: str, sheet: str
) -> tuple[int, dict[str, int]]:
    """The index of the header row (the first with every required column) and column indexes."""
    best: tuple[int, int, dict[str, int]] = (-1, -1, {})
    for r, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        cells = {_norm(v): c for c, v in enumerate(row) if not is_blank(v)}
        found = {}
        for col in columns:
            hit = next((cells[n] for n in col.names() if n in cells), None)
            if hit is not None:
                found[col.name] = hit
        if all(col.name in found for col in columns if col.required):
            return r, found
        if len(found) > best[1]:
            best = (r, len(found), found)
    missing = [col.name for col in columns if col.required and col.name not in best[2]]
    where = f"{file}:{sheet}"
    if best[0] < 0 or not best[2]:
        raise FatalInputError(
            where, "ingen overskriftsrække fundet; forventede kolonnerne " + _quoted(missing)
        )
    raise FatalInputError(
        where,
        f"kolonnen {_quoted(missing)} mangler i overskriftsrækken (række {best[0] + 1})"
        if len(missing) == 1
        else f"kolonnerne {_quoted(missing)} mangler i overskriftsrækken (række {best[0] + 1})",
    )


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


# --- cell readers ----------------------------------------------------------------------------


class _RowReader:
    """Reads the cells of one row by column name, collecting Danish messages for bad cells."""

    def __init__(self, row: Sequence[object], index: dict[str, int]) -> None:
        self._row = row
        self._index = index
        self.errors: list[str] = []

    def raw(self, column: str) -> object:
        c = self._index.get(column)
        if c is None or c >= len(self._row):
            return None
        return self._row[c]

    def text(self, column: str, *, required: bool = False) -> str:
        value = key_text(self.raw(column))
        if required and not value:
            self.errors.append(f"{column} mangler")
        return value

    def date(self, column: str, *, required: bool = False) -> dt.date | None:
        value, error = try_parse(parse_optional_date, self.raw(column))
        if error is not None:
            self.errors.append(f"{column}: {error}")
            return None
        if value is None and required:
            self.errors.append(f"{column} mangler")
        return value if isinstance(value, dt.date) else None

    def choice(self, column: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(column)
        if not value:
            return default
        hit = next((a for a in allowed if _norm(a) == _norm(value)), None)
        if hit is None:
            self.errors.append(f'{column} "{value}" er ikke en af {", ".join(allowed)}')
            return default
        return hit

    def emails(self, column: str, *, required: bool = False) -> tuple[str, ...]:
        text = self.text(column)
        addresses = tuple(a for a in re.split(r"[;,\s]+", text) if a)
        bad = [a for a in addresses if not _EMAIL.match(a)]
        if bad:
            self.errors.append(f'{column} "{bad[0]}" er ikke en e-mail-adresse')
            return ()
        if required and not addresses:
            self.errors.append(f"{column} mangler")
        return addresses


def _read_table(
    sheets: Mapping[str, Rows],
    sheet: str,
    file: str,
    build: Callable[[_RowReader, int], T],
    findings: list[Finding],
) -> list[T]:
    name, rows = _find_sheet(sheets, sheet, file)
    header, index = _header_row(rows, _COLUMNS[sheet], file, name)
    out: list[T] = []
    for r in range(header + 1, len(rows)):
        row = rows[r]
        if all(is_blank(v) for v in row):
            continue
        reader = _RowReader(row, index)
        item = build(reader, r + 1)
        if reader.errors:
            findings.append(
                Finding(
                    Severity.ERROR,
                    Location(file, name, r + 1),
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


def _koncern_it_email(sheets: Mapping[str, Rows], file: str) -> tuple[str, ...]:
    """The address in sheet "Koncern IT": under an "Email" header, or beside an "Email:" label."""
    name, rows = _find_sheet(sheets, SHEET_KONCERN_IT, file)
    for r, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        for c, value in enumerate(row):
            if is_blank(value) or _norm(value) not in {"email", "e-mail", "mail"}:
                continue
            beside = row[c + 1] if c + 1 < len(row) else None
            below = rows[r + 1][c] if r + 1 < len(rows) and c < len(rows[r + 1]) else None
            for candidate in (beside, below):
                if is_blank(candidate):
                    continue
                addresses = tuple(a for a in re.split(r"[;,\s]+", str(candidate).strip()) if a)
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
    sheets: Mapping[str, Rows], file: str = "acquisitions.xlsx"
) -> tuple[AcquisitionsRegister, list[Finding]]:
    """The register from {sheet name: rows} (row i is Excel row i+1), with findings for bad rows.

    A missing sheet or required column raises FatalInputError naming the file and what is
    missing; a bad row is left out with an error finding giving sheet and row. Rows that refer
    to a unit or system the register does not have are left out too, since nobody could be
    reminded of them.
    """
    findings: list[Finding] = []
    kit = _koncern_it_email(sheets, file)

    def unit(r: _RowReader, row: int) -> Unit:
        return Unit(
            enhed=r.text("Enhed", required=True),
            forvaltning=r.text("Forvaltning"),
            email=r.emails("Email", required=True),
            direktion_email=r.emails("Direktion email"),
            digitaliseringskontor_email=r.emails("Digitaliseringskontor email"),
            row=row,
        )

    units = _read_table(sheets, SHEET_UNITS, file, unit, findings)
    units = _drop_duplicates(
        units, lambda u: _norm(u.enhed), "Enheden", file, SHEET_UNITS, findings
    )
    unit_names = {_norm(u.enhed) for u in units}

    def system(r: _RowReader, row: int) -> System:
        enhed = r.text("Enhed", required=True)
        if enhed and _norm(enhed) not in unit_names:
            r.errors.append(f'enheden "{enhed}" findes ikke i arket "{SHEET_UNITS}"')
        kind = r.choice("Type", SYSTEM_TYPES, "Anskaffelse")
        slutdato = r.date("Slutdato")
        klass = r.text("Klassifikation")
        if klass:
            klass = r.choice("Klassifikation", CLASSIFICATIONS, klass)
        return System(
            system_id=r.text("System-id", required=True),
            navn=r.text("Navn", required=True),
            enhed=enhed,
            klassifikation=klass or None,
            type=kind,
            slutdato=slutdato,
            anmeldt_systemregister=r.date("Anmeldt systemregister"),
            tilladelse=r.choice("Tilladelse", PERMITS, "Ingen"),
            i_drift=r.date("I drift"),
            row=row,
        )

    systems = _read_table(sheets, SHEET_SYSTEMS, file, system, findings)
    systems = _drop_duplicates(
        systems, lambda s: s.system_id, "System-id", file, SHEET_SYSTEMS, findings
    )
    system_ids = {s.system_id for s in systems}

    def contract(r: _RowReader, row: int) -> Contract:
        enhed = r.text("Enhed", required=True)
        if enhed and _norm(enhed) not in unit_names:
            r.errors.append(f'enheden "{enhed}" findes ikke i arket "{SHEET_UNITS}"')
        return Contract(
            kontrakt_id=r.text("Kontrakt-id", required=True),
            system_id=r.text("System-id") or None,
            leverandoer=r.text("Leverandør"),
            type=r.choice("Type", CONTRACT_TYPES, "Kontrakt"),
            enhed=enhed,
            underskrevet=r.date("Underskrevet"),
            sendt_til_koncern_it=r.date("Sendt til Koncern IT"),
            row=row,
        )

    contracts = _read_table(sheets, SHEET_CONTRACTS, file, contract, findings)
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
        system_id = r.text("System-id", required=True)
        if system_id and system_id not in system_ids:
            r.errors.append(f'System-id "{system_id}" findes ikke i arket "{SHEET_SYSTEMS}"')
        return Condition(
            betingelse_id=r.text("Betingelse-id", required=True),
            system_id=system_id,
            beskrivelse=r.text("Beskrivelse"),
            frist=r.date("Frist", required=True) or dt.date.min,
            udbedret=r.date("Udbedret"),
            row=row,
        )

    conditions = _read_table(sheets, SHEET_CONDITIONS, file, condition, findings)
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
