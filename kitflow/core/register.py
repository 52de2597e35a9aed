"""The capital-projects register (register.xlsx): projects, løbenumre, decisions, categories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from kitflow.core import cells
from kitflow.core.contract.register import INDTAEGT, KATEGORIER, REGISTER, SHEETS, UDGIFT
from kitflow.core.findings import FatalInputError, Finding, Location, Severity
from kitflow.core.sheets import RawSheet, TableRow, read_table

# The sheets and their columns are the data contract's (kitflow/core/contract/register.py).
_SHEETS = {s.name: s for s in REGISTER.sheets}


@dataclass(frozen=True)
class Project:
    """One capital project as the controllers keep it in the register."""

    projekt: str
    kort_navn: str
    bevilling: str
    beskrivelse: str
    anlaegsbevilling_ore: int | None
    ibrugtagningsdato: dt.date | None
    faerdiggjort: dt.date | None
    byggeri: bool
    etaarsgennemgang: dt.date | None
    udvalg: str
    udfoerende_udvalg: str
    anlaegskartotek: bool | None
    afvigelsesforklaring: str
    forelagt_udvalg: dt.date | None
    sendt_til_revision: dt.date | None
    controller_email: str
    row: int


@dataclass(frozen=True)
class Loebenummer:
    """A project number of the finance system and the project it belongs to."""

    loebenummer: str
    projekt: str
    tekst: str
    row: int


@dataclass(frozen=True)
class Bevillingslinje:
    """One appropriation line: a decision's rådighedsbeløb on one løbenummer and post."""

    loebenummer: str
    beslutning: str
    dato: dt.date | None
    post: str
    beloeb_ore: int
    row: int


@dataclass(frozen=True)
class Kategorisvar:
    """A Ja/Nej answer with a remark for one of B4's three categories (A5)."""

    projekt: str
    kategori: str
    svar: bool | None
    bemaerkning: str
    row: int


@dataclass(frozen=True)
class Register:
    """The whole register, checked for references that lead nowhere."""

    file: str
    projects: tuple[Project, ...]
    loebenumre: tuple[Loebenummer, ...]
    bevillinger: tuple[Bevillingslinje, ...]
    kategorier: tuple[Kategorisvar, ...]
    findings: tuple[Finding, ...] = field(default=())

    def project_of(self) -> dict[str, str]:
        """Løbenummer -> project name."""
        return {n.loebenummer: n.projekt for n in self.loebenumre}


def _text(value: object) -> str:
    return cells.key_text(value)


def _yes_no(value: object) -> bool | None:
    text = _text(value).lower()
    if text in ("ja", "j", "yes", "x", "sand", "true", "1"):
        return True
    if text in ("nej", "n", "no", "falsk", "false", "0"):
        return False
    if text == "":
        return None
    raise cells.CellError(f'"{_text(value)}" er hverken Ja eller Nej')


class _RowReader:
    """Parses the cells of one row, collecting every bad cell as a finding."""

    def __init__(self, file: str, sheet: str, row: TableRow, findings: list[Finding]) -> None:
        self.loc = Location(file, sheet, row.row)
        self.row = row
        self.findings = findings
        self.ok = True

    def parse(self, field_name: str, parser, label: str):
        value, error = cells.try_parse(parser, self.row.get(field_name))
        if error is not None:
            self.ok = False
            self.findings.append(
                Finding(Severity.ERROR, self.loc, f"{label}: {error}", code="register.cell")
            )
        return value


def _read(sheets: Mapping[str, RawSheet], name: str) -> list[TableRow]:
    """The rows of one sheet, its columns matched by the contract's headers."""
    spec = _SHEETS[name]
    return read_table(sheets[name], spec.headers(), spec.required())


def parse_register(file: str, sheets: Mapping[str, RawSheet]) -> Register:
    """Parse register.xlsx's four sheets; FatalInputError for a missing sheet or column."""
    missing = [s for s in SHEETS if s not in sheets]
    if missing:
        raise FatalInputError(
            file,
            f"mangler arket {', '.join(missing)} (arkene skal hedde {', '.join(SHEETS)}; "
            f"fandt {', '.join(sheets) or 'ingen'})",
        )
    findings: list[Finding] = []

    projects: dict[str, Project] = {}
    for row in _read(sheets, "Projekter"):
        r = _RowReader(file, "Projekter", row, findings)
        name = _text(row.get("projekt"))
        if not name:
            findings.append(
                Finding(
                    Severity.ERROR,
                    r.loc,
                    "projektet har intet navn – rækken er ikke brugt",
                    code="register.project_name",
                )
            )
            continue
        if name in projects:
            findings.append(
                Finding(
                    Severity.ERROR,
                    r.loc,
                    f'projektet "{name}" står også i række {projects[name].row}; '
                    "kun den første er brugt",
                    code="register.duplicate_project",
                )
            )
            continue
        anlaeg = row.get("anlaegsbevilling")
        projects[name] = Project(
            projekt=name,
            kort_navn=_text(row.get("kort_navn")) or name,
            bevilling=_text(row.get("bevilling")),
            beskrivelse=str(row.get("beskrivelse") or "").strip(),
            anlaegsbevilling_ore=None
            if cells.is_blank(anlaeg)
            else r.parse("anlaegsbevilling", cells.parse_amount, "Anlægsbevilling"),
            ibrugtagningsdato=r.parse(
                "ibrugtagningsdato", cells.parse_optional_date, "Ibrugtagningsdato"
            ),
            faerdiggjort=r.parse("faerdiggjort", cells.parse_optional_date, "Færdiggjort"),
            byggeri=bool(r.parse("byggeri", _yes_no, "Byggeri")),
            etaarsgennemgang=r.parse(
                "etaarsgennemgang", cells.parse_optional_date, "Etårsgennemgang"
            ),
            udvalg=_text(row.get("udvalg")),
            udfoerende_udvalg=_text(row.get("udfoerende_udvalg")),
            anlaegskartotek=r.parse("anlaegskartotek", _yes_no, "Anlægskartotek"),
            afvigelsesforklaring=str(row.get("afvigelsesforklaring") or "").strip(),
            forelagt_udvalg=r.parse(
                "forelagt_udvalg", cells.parse_optional_date, "Forelagt udvalg"
            ),
            sendt_til_revision=r.parse(
                "sendt_til_revision", cells.parse_optional_date, "Sendt til revision"
            ),
            controller_email=_text(row.get("controller_email")),
            row=row.row,
        )

    loebenumre: dict[str, Loebenummer] = {}
    for row in _read(sheets, "Løbenumre"):
        r = _RowReader(file, "Løbenumre", row, findings)
        number = r.parse("loebenummer", cells.parse_loebenummer, "Løbenummer")
        projekt = _text(row.get("projekt"))
        if number is None:
            continue
        if projekt not in projects:
            findings.append(
                Finding(
                    Severity.ERROR,
                    r.loc,
                    f'løbenummer {number} peger på projektet "{projekt}", som ikke står i '
                    "arket Projekter; dets posteringer regnes som ikke-matchede",
                    code="register.unknown_project",
                )
            )
            continue
        if number in loebenumre:
            findings.append(
                Finding(
                    Severity.ERROR,
                    r.loc,
                    f"løbenummer {number} står også i række {loebenumre[number].row}; "
                    "kun den første er brugt",
                    code="register.duplicate_loebenummer",
                )
            )
            continue
        loebenumre[number] = Loebenummer(number, projekt, _text(row.get("tekst")), row.row)

    bevillinger: list[Bevillingslinje] = []
    for row in _read(sheets, "Bevillinger"):
        r = _RowReader(file, "Bevillinger", row, findings)
        number = r.parse("loebenummer", cells.parse_loebenummer, "Løbenummer")
        beloeb = r.parse("beloeb", cells.parse_amount, "Beløb")
        dato = r.parse("dato", cells.parse_optional_date, "Dato")
        post = _text(row.get("post")).capitalize().replace("Indtaegt", "Indtægt")
        if post not in (UDGIFT, INDTAEGT):
            r.ok = False
            findings.append(
                Finding(
                    Severity.ERROR,
                    r.loc,
                    f'Post "{post}" skal være Udgift eller Indtægt',
                    code="register.cell",
                )
            )
        if not r.ok or number is None or beloeb is None:
            findings[-1] = Finding(
                findings[-1].severity,
                findings[-1].location,
                findings[-1].message + " – bevillingslinjen er ikke talt med i rådighedsbeløbet",
                findings[-1].code,
            )
            continue
        if number not in loebenumre:
            findings.append(
                Finding(
                    Severity.ERROR,
                    r.loc,
                    f"bevillingen på løbenummer {number} hører ikke til noget løbenummer i "
                    "arket Løbenumre; den er ikke talt med i noget rådighedsbeløb",
                    code="register.unknown_loebenummer",
                )
            )
            continue
        bevillinger.append(
            Bevillingslinje(number, _text(row.get("beslutning")), dato, post, beloeb, row.row)
        )

    kategorier: list[Kategorisvar] = []
    for row in _read(sheets, "Kategorier"):
        r = _RowReader(file, "Kategorier", row, findings)
        projekt = _text(row.get("projekt"))
        kategori = _text(row.get("kategori"))
        match = next((k for k in KATEGORIER if kategori.lower().startswith(k.lower()[:8])), None)
        if projekt not in projects or match is None:
            findings.append(
                Finding(
                    Severity.ERROR,
                    r.loc,
                    f'kategorien "{kategori}" for "{projekt}" passer ikke til et projekt og en '
                    f"af kategorierne {', '.join(KATEGORIER)}",
                    code="register.kategori",
                )
            )
            continue
        svar = r.parse("svar", _yes_no, "Svar")
        kategorier.append(
            Kategorisvar(projekt, match, svar, str(row.get("bemaerkning") or "").strip(), row.row)
        )

    return Register(
        file=file,
        projects=tuple(projects.values()),
        loebenumre=tuple(loebenumre.values()),
        bevillinger=tuple(bevillinger),
        kategorier=tuple(kategorier),
        findings=tuple(findings),
    )
