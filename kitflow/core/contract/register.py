"""register.xlsx's sheets and columns: the capital-projects register the controllers keep."""

from __future__ import annotations

import datetime as dt

from kitflow.core.contract.model import Column, FileSpec, Kind, SheetSpec

KATEGORIER = ("Aktivitetsændringer", "Omkostningsændring", "Tidsforskydninger")
UDGIFT, INDTAEGT = "Udgift", "Indtægt"

EXAMPLE_PROJECT = "Eksempel: Digital selvbetjening"
EXAMPLE_LOEBENUMMER = "XA-4411000999"

PROJEKTER = SheetSpec(
    name="Projekter",
    one_row_per="project",
    en_raekke_pr="projekt",
    columns=(
        Column(
            "projekt",
            ("Projekt",),
            True,
            "The project's name, unique in the sheet; the other sheets name the project by "
            "it. A row without one is left out with an error.",
            "Projektets navn; det skal være entydigt, og de andre ark henviser til det.",
            EXAMPLE_PROJECT,
        ),
        Column(
            "kort_navn",
            ("Kort navn",),
            False,
            "A short name for the workbook's sheet tab and the bilag's file name; empty: the "
            "Projekt.",
            "Et kort navn til regnearkets fane og bilagets filnavn; tom: Projekt.",
            "Digital selvbetjening",
        ),
        Column(
            "bevilling",
            ("Bevilling",),
            False,
            "The appropriation area, as the bilag prints it.",
            "Bevillingsområdet, som bilaget skriver det.",
            "3191, Koncern IT, anlæg",
        ),
        Column(
            "beskrivelse",
            ("Beskrivelse",),
            False,
            "What the project delivered, printed in the bilag as written (line breaks kept).",
            "Hvad projektet har leveret; står i bilaget som skrevet.",
            "Borgerne kan nu søge og følge deres sager digitalt.",
        ),
        Column(
            "anlaegsbevilling",
            ("Anlægsbevilling (kr.)", "Anlægsbevilling"),
            False,
            "The capital appropriation in kr.; empty: none.",
            "Anlægsbevillingen i kr.",
            2500000,
            Kind.AMOUNT,
        ),
        Column(
            "ibrugtagningsdato",
            ("Ibrugtagningsdato",),
            False,
            "When the project was taken into use.",
            "Hvornår projektet blev taget i brug.",
            dt.date(2020, 6, 30),
            Kind.DATE,
        ),
        Column(
            "faerdiggjort",
            ("Færdiggjort",),
            False,
            "When the project was completed. Empty, or after the as-of date: not completed. "
            "The account is due by 31 December of the completion year (rule A2).",
            "Hvornår projektet blev færdiggjort; tom eller en senere dato: ikke færdigt. "
            "Regnskabet skal aflægges senest 31. december samme år.",
            dt.date(2020, 6, 30),
            Kind.DATE,
        ),
        Column(
            "byggeri",
            ("Byggeri (Ja/Nej)", "Byggeri"),
            False,
            "Ja for a construction project: the one-year review then caps the completion "
            "date; empty: Nej.",
            "Ja for et byggeprojekt (så tæller etårsgennemgangen); tom: Nej.",
            "Nej",
            Kind.YES_NO,
        ),
        Column(
            "etaarsgennemgang",
            ("Etårsgennemgang",),
            False,
            "Construction only: the date of the one-year review.",
            "Kun byggeri: datoen for etårsgennemgangen.",
            None,
            Kind.DATE,
        ),
        Column(
            "udvalg",
            ("Udvalg",),
            False,
            "The committee the account is presented to, unless Udførende udvalg is filled.",
            "Udvalget, regnskabet forelægges.",
            "Økonomiudvalget",
        ),
        Column(
            "udfoerende_udvalg",
            ("Udførende udvalg",),
            False,
            "The committee carrying out the project; when filled, due.csv and the workbook name "
            "it instead of Udvalg.",
            "Det udførende udvalg, hvis det er et andet; det nævnes så i stedet for Udvalg.",
            None,
        ),
        Column(
            "anlaegskartotek",
            ("Anlægskartotek (Ja/Nej)", "Anlægskartotek"),
            False,
            "Whether the asset is entered in the fixed-asset register; empty: not stated.",
            "Om aktivet er optaget i anlægskartoteket; tom: ikke oplyst.",
            "Ja",
            Kind.YES_NO,
        ),
        Column(
            "afvigelsesforklaring",
            ("Afvigelsesforklaring",),
            False,
            "Why spending deviates from the rådighedsbeløb. For a project in the bilag whose "
            "deviation is at or above the threshold (rule A4), an empty cell is an error "
            "finding.",
            "Forklaringen på afvigelsen mellem forbrug og rådighedsbeløb; skal udfyldes, når "
            "afvigelsen er på eller over tærsklen.",
            None,
        ),
        Column(
            "forelagt_udvalg",
            ("Forelagt udvalg (date)", "Forelagt udvalg"),
            False,
            "When the account was presented to the committee; on or before the as-of date, "
            "the project's status is aflagt.",
            "Hvornår regnskabet blev forelagt udvalget.",
            None,
            Kind.DATE,
            template="Forelagt udvalg",
        ),
        Column(
            "sendt_til_revision",
            ("Sendt til revision (date)", "Sendt til revision"),
            False,
            "When the presented account was sent on to the auditors (rule A3); it ends the "
            "C6 reminders.",
            "Hvornår det forelagte regnskab blev sendt til revisionen.",
            None,
            Kind.DATE,
            template="Sendt til revision",
        ),
        Column(
            "controller_email",
            ("Controller email", "Controller e-mail"),
            False,
            "The controller reminded of this account (C6); empty: the setting "
            "`reminders.c6.default_controller_email`.",
            "Controlleren, der mindes om regnskabet; tom: standardadressen i indstillingerne.",
            "controller@example.kk.dk",
            Kind.EMAIL,
        ),
    ),
)

LOEBENUMRE = SheetSpec(
    name="Løbenumre",
    one_row_per="project number (løbenummer)",
    en_raekke_pr="løbenummer",
    columns=(
        Column(
            "loebenummer",
            ("Løbenummer",),
            True,
            "The finance system's project number; each once in the sheet.",
            "Økonomisystemets løbenummer; hvert kun én gang.",
            EXAMPLE_LOEBENUMMER,
            Kind.LOEBENUMMER,
        ),
        Column(
            "projekt",
            ("Projekt",),
            True,
            "The project it belongs to, as named in Projekter; another name is an error and "
            "the number's bookings count as unmatched.",
            "Projektet, løbenummeret hører til, stavet som i arket Projekter.",
            EXAMPLE_PROJECT,
        ),
        Column(
            "tekst",
            ("Tekst",),
            False,
            "The number's text, as the bilag lists it.",
            "Løbenummerets tekst, som bilaget viser den.",
            "Digital selvbetjening",
        ),
    ),
)

BEVILLINGER = SheetSpec(
    name="Bevillinger",
    one_row_per="appropriation line (a decision's amount on one løbenummer and post)",
    en_raekke_pr="bevillingslinje",
    columns=(
        Column(
            "loebenummer",
            ("Løbenummer",),
            True,
            "The project number the amount is granted on; it must be in Løbenumre.",
            "Løbenummeret, beløbet er bevilget på; det skal stå i arket Løbenumre.",
            EXAMPLE_LOEBENUMMER,
            Kind.LOEBENUMMER,
        ),
        Column(
            "beslutning",
            ("Beslutning",),
            True,
            "The decision, as the bilag lists it (e.g. ØU 12.03.2019).",
            "Beslutningen, som bilaget viser den.",
            "ØU 12.03.2019",
        ),
        Column(
            "dato",
            ("Dato",),
            False,
            "The decision's date.",
            "Beslutningens dato.",
            dt.date(2019, 3, 12),
            Kind.DATE,
        ),
        Column(
            "post",
            ("Post (Udgift/Indtægt)", "Post"),
            True,
            "Whether the amount is expenditure or income; any other value leaves the line "
            "out with an error.",
            "Om beløbet er udgift eller indtægt.",
            UDGIFT,
            Kind.CHOICE,
            (UDGIFT, INDTAEGT),
        ),
        Column(
            "beloeb",
            ("Beløb (kr.; income negative)", "Beløb (kr.)", "Beløb"),
            True,
            "The amount in kr., income negative; the lines of a løbenummer and post add up "
            "to its rådighedsbeløb. An unreadable amount leaves the line out with an error.",
            "Beløbet i kr.; indtægter negative. Linjerne lægges sammen til rådighedsbeløbet.",
            2500000,
            Kind.AMOUNT,
            template="Beløb (kr.)",
        ),
    ),
)

KATEGORIER_SHEET = SheetSpec(
    name="Kategorier",
    one_row_per="answer to one of the bilag's three categories for one project",
    en_raekke_pr="svar på en kategori for et projekt",
    columns=(
        Column(
            "projekt",
            ("Projekt",),
            True,
            "The project, as named in Projekter.",
            "Projektet, stavet som i arket Projekter.",
            EXAMPLE_PROJECT,
        ),
        Column(
            "kategori",
            ("Kategori",),
            True,
            "The category; a cell that begins with a category's first eight letters is that "
            "category. A project in the bilag without all three answered is a warning.",
            "Kategorien; et projekt i bilaget skal have en række for hver af de tre.",
            KATEGORIER[0],
            Kind.CHOICE,
            KATEGORIER,
        ),
        Column(
            "svar",
            ("Svar (Ja/Nej)", "Svar"),
            True,
            "The answer; empty: not answered.",
            "Svaret.",
            "Nej",
            Kind.YES_NO,
        ),
        Column(
            "bemaerkning",
            ("Bemærkning",),
            False,
            "A remark, printed in the bilag beside the answer.",
            "En bemærkning, som bilaget viser ved svaret.",
            None,
        ),
    ),
)

REGISTER = FileSpec(
    path="register.xlsx",
    what="The capital-projects register, kept by the finance controllers.",
    sheets=(PROJEKTER, LOEBENUMRE, BEVILLINGER, KATEGORIER_SHEET),
)
SHEETS = tuple(s.name for s in REGISTER.sheets)
