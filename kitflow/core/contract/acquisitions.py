"""acquisitions.xlsx's sheets and columns: the IT-acquisitions register Koncern IT keeps.

Required are the columns whose absence would change who is reminded: a missing "Sendt til
Koncern IT" must stop the run, not remind of every contract.
"""

from __future__ import annotations

import datetime as dt

from kitflow.core.contract.model import Column, FileSpec, Kind, SheetSpec

SHEET_UNITS = "Enheder"
SHEET_SYSTEMS = "Systemer"
SHEET_CONTRACTS = "Kontrakter"
SHEET_CONDITIONS = "Betingelser"
SHEET_KONCERN_IT = "Koncern IT"

CLASSIFICATIONS = ("Infrastruktur", "Generisk administrativt", "Fagsystem", "Hjælpeværktøj")
SYSTEM_TYPES = ("Anskaffelse", "PoC", "Pilot")
PERMITS = ("Ingen", "Betinget", "Gyldig", "Tilbagetrukket")
CONTRACT_TYPES = ("Kontrakt", "Tillæg")

EXAMPLE_UNIT = "Eksempelenheden"
EXAMPLE_SYSTEM = "SYS-001"
_ID_ALIASES = ("System id", "Systemid", "System-ID")


def _system_id(what: str, hjaelp: str, required: bool) -> Column:
    return Column("system_id", ("System-id", *_ID_ALIASES), required, what, hjaelp, EXAMPLE_SYSTEM)


def _enhed(what: str) -> Column:
    return Column(
        "enhed",
        ("Enhed",),
        True,
        f"{what}, as named in Enheder; must be filled, an unknown unit leaves the row out.",
        "Enheden, stavet som i arket Enheder.",
        EXAMPLE_UNIT,
    )


UNITS = SheetSpec(
    name=SHEET_UNITS,
    one_row_per="acquiring unit",
    en_raekke_pr="enhed",
    columns=(
        Column(
            "enhed",
            ("Enhed",),
            True,
            "The unit's name, unique in the sheet (case does not matter); must be filled.",
            "Enhedens navn; skal være entydigt.",
            EXAMPLE_UNIT,
        ),
        Column(
            "forvaltning",
            ("Forvaltning",),
            False,
            "The administration the unit belongs to.",
            "Forvaltningen, enheden hører til.",
            "Økonomiforvaltningen",
        ),
        Column(
            "email",
            ("Email", "E-mail", "Mail"),
            True,
            "Where the unit is reminded (Udførende); must be filled.",
            "Enhedens adresse; den får påmindelserne.",
            "enheden@example.kk.dk",
            Kind.EMAILS,
        ),
        Column(
            "direktion_email",
            ("Direktion email", "Direktion e-mail", "Direktionens email"),
            True,
            "The unit's direktion, who gets the escalations (Ansvarlig); may be empty.",
            "Direktionens adresse; den får eskaleringerne.",
            "direktion@example.kk.dk",
            Kind.EMAILS,
        ),
        Column(
            "digitaliseringskontor_email",
            (
                "Digitaliseringskontor email",
                "Digitaliseringskontor e-mail",
                "Digitaliseringskontorets email",
            ),
            True,
            "The unit's digitalisation office, copied or reminded by C1, C2 and C4; may be empty.",
            "Digitaliseringskontorets adresse; kopi af påmindelserne om C1, C2 og C4.",
            "digitalisering@example.kk.dk",
            Kind.EMAILS,
        ),
    ),
)

SYSTEMS = SheetSpec(
    name=SHEET_SYSTEMS,
    one_row_per="system or acquisition",
    en_raekke_pr="system eller anskaffelse",
    columns=(
        _system_id(
            "The system's id, unique in the sheet; must be filled.",
            "Systemets id; skal være entydigt.",
            True,
        ),
        Column(
            "navn",
            ("Navn", "Systemnavn"),
            True,
            "The system's name, as the reminders call it; must be filled.",
            "Systemets navn.",
            "Eksempelsystem",
        ),
        _enhed("The acquiring unit"),
        Column(
            "klassifikation",
            ("Klassifikation",),
            False,
            "The system's class; another value is kept as written (no reminder needs it).",
            "Systemets klassifikation.",
            "Fagsystem",
            Kind.CHOICE,
            CLASSIFICATIONS,
        ),
        Column(
            "type",
            ("Type",),
            True,
            "What kind of acquisition; a proof of concept or pilot must end by its Slutdato (C5).",
            "Anskaffelsens type; PoC og pilot skal slutte senest på slutdatoen.",
            "Anskaffelse",
            Kind.CHOICE,
            SYSTEM_TYPES,
            "Anskaffelse",
        ),
        Column(
            "slutdato",
            ("Slutdato",),
            True,
            "PoC and pilot: the day it ends (C5); empty for an ordinary acquisition.",
            "Kun PoC og pilot: slutdatoen.",
            None,
            Kind.DATE,
        ),
        Column(
            "anmeldt",
            ("Anmeldt systemregister", "Anmeldt til systemregister"),
            True,
            "When the system was reported to the system register (C4); empty: not yet.",
            "Hvornår systemet blev anmeldt til systemregistret; tom: ikke endnu.",
            dt.date(2020, 3, 2),
            Kind.DATE,
        ),
        Column(
            "tilladelse",
            ("Tilladelse", "Ibrugtagningstilladelse"),
            True,
            "The go-live permit (C2, C3).",
            "Ibrugtagningstilladelsen.",
            "Gyldig",
            Kind.CHOICE,
            PERMITS,
            "Ingen",
        ),
        Column(
            "i_drift",
            ("I drift", "I drift siden", "Idriftsat"),
            True,
            "When the system went into operation (C3, C4); empty: not yet.",
            "Hvornår systemet blev sat i drift; tom: ikke endnu.",
            dt.date(2020, 5, 4),
            Kind.DATE,
        ),
    ),
)

CONTRACTS = SheetSpec(
    name=SHEET_CONTRACTS,
    one_row_per="contract or addendum",
    en_raekke_pr="kontrakt eller tillæg",
    columns=(
        Column(
            "kontrakt_id",
            ("Kontrakt-id", "Kontrakt id", "Kontraktid", "Kontrakt-ID"),
            True,
            "The contract's id, unique in the sheet; must be filled.",
            "Kontraktens id; skal være entydigt.",
            "K-2020-001",
        ),
        _system_id(
            "The system the contract is for; an id not in Systemer is a warning.",
            "Systemet, kontrakten gælder, som i arket Systemer.",
            False,
        ),
        Column(
            "leverandoer",
            ("Leverandør", "Leverandoer"),
            False,
            "The supplier.",
            "Leverandøren.",
            "Eksempelleverandøren A/S",
        ),
        Column(
            "type",
            ("Type",),
            False,
            "A contract or an addendum.",
            "Kontrakt eller tillæg.",
            "Kontrakt",
            Kind.CHOICE,
            CONTRACT_TYPES,
            "Kontrakt",
        ),
        _enhed("The unit that signed"),
        Column(
            "underskrevet",
            ("Underskrevet", "Underskrevet dato", "Underskriftsdato"),
            True,
            "When it was signed; must be filled. It is due at Koncern IT 14 days later (C1).",
            "Hvornår kontrakten blev underskrevet; skal udfyldes.",
            dt.date(2020, 2, 10),
            Kind.DATE,
        ),
        Column(
            "sendt",
            ("Sendt til Koncern IT", "Sendt til KIT"),
            True,
            "When it was sent to Koncern IT; empty: not yet, and C1 reminds of it.",
            "Hvornår kontrakten blev sendt til Koncern IT; tom: ikke endnu.",
            dt.date(2020, 2, 14),
            Kind.DATE,
        ),
    ),
)

CONDITIONS = SheetSpec(
    name=SHEET_CONDITIONS,
    one_row_per="condition of a conditional go-live permit",
    en_raekke_pr="betingelse i en betinget ibrugtagningstilladelse",
    columns=(
        Column(
            "betingelse_id",
            ("Betingelse-id", "Betingelse id", "Betingelsesid", "Betingelse-ID"),
            True,
            "The condition's id, unique in the sheet; must be filled.",
            "Betingelsens id; skal være entydigt.",
            "B-001",
        ),
        _system_id(
            "The system whose permit has the condition; must be in Systemer.",
            "Systemet, som i arket Systemer.",
            True,
        ),
        Column(
            "beskrivelse",
            ("Beskrivelse",),
            False,
            "What must be fixed, as the reminders say it.",
            "Hvad der skal udbedres.",
            "Logning af administratoradgange skal aktiveres",
        ),
        Column(
            "frist",
            ("Frist",),
            True,
            "The date it must be fixed by (C2); must be filled.",
            "Fristen for udbedringen; skal udfyldes.",
            dt.date(2020, 10, 15),
            Kind.DATE,
        ),
        Column(
            "udbedret",
            ("Udbedret",),
            True,
            "When it was fixed; empty: not yet, and C2 reminds of it.",
            "Hvornår betingelsen blev udbedret; tom: ikke endnu.",
            dt.date(2020, 10, 9),
            Kind.DATE,
        ),
    ),
)

KONCERN_IT = SheetSpec(
    name=SHEET_KONCERN_IT,
    one_row_per="(one address)",
    en_raekke_pr="(én adresse)",
    columns=(
        Column(
            "email",
            ("Email", "E-mail", "Mail"),
            True,
            "Koncern IT's address (Informeret on C1-C5, and where a failed run is mailed "
            "unless `koncern_it_email` is set): below the header, or beside an `Email:` label, "
            "in the sheet's first 20 rows.",
            "Koncern IT's adresse; den får kopi af påmindelserne og besked om en fejlet kørsel.",
            "koncernit@example.kk.dk",
            Kind.EMAILS,
        ),
    ),
)

ACQUISITIONS = FileSpec(
    path="acquisitions.xlsx",
    what="The IT-acquisitions register, kept by Koncern IT.",
    sheets=(UNITS, SYSTEMS, CONTRACTS, CONDITIONS, KONCERN_IT),
)
