"""The bookings exports' columns: what the finance system's exports must hold."""

from __future__ import annotations

from kitflow.core.contract.model import Column, FileSpec, Kind, SheetSpec

BOOKINGS = SheetSpec(
    name="bookings",
    one_row_per="booking",
    en_raekke_pr="postering",
    columns=(
        Column(
            "posting_date",
            ("Bogføringsdato", "Posteringsdato", "Bogf.dato", "Dato"),
            True,
            "The date the booking was posted.",
            "Bogføringsdatoen.",
            "16.03.2020",
            Kind.DATE,
        ),
        Column(
            "project_number",
            ("Løbenummer", "Projektdefinition", "PSP-element", "WBS-element", "Objekt"),
            True,
            "The project number the booking is on. A number that no register.xlsx row knows "
            "makes the booking unmatched (unmatched.csv), never dropped, and is a warning "
            "naming the nearest known numbers. SAP's Objekt may carry its type first "
            "(`PSP XA-4411000006-01`). Where several of these columns are in one export "
            "(SAP's PSP-element and Projektdefinition), the one with WBS suffixes is read, and "
            "`kitflow check` says which.",
            "Løbenummeret, posteringen er bogført på. Et løbenummer, registret ikke kender, "
            "giver en ikke-matchet postering og en advarsel, der nævner de nærmeste kendte.",
            "XA-4411000999",
            Kind.LOEBENUMMER,
        ),
        Column(
            "amount",
            (
                "Beløb",
                "Beløb (DKK)",
                "Beløb i DKK",
                "Beløb DKK",
                "Vrd./CO-områdevaluta",
                "Værdi/CO-valuta",
            ),
            True,
            "Kr. with øre: expenditure positive, income negative.",
            "Beløbet i kr. og øre: udgifter positive, indtægter negative.",
            "125.000,00",
            Kind.AMOUNT,
        ),
        Column(
            "art",
            ("Art", "Artskonto", "Kontoart"),
            False,
            "The account type; its first digit is the hovedart: 7 and 8 income, 9 internal "
            "(internal.csv, counted in no gross figure), any other expenditure. Without the "
            "column or with an empty cell the sign decides (negative is income), and the run "
            "says so; an art that does not start with a digit puts the row in quarantine.",
            "Artskontoen; første ciffer er hovedarten: 7 og 8 er indtægt, 9 intern, resten "
            "udgift. Uden art afgør fortegnet.",
            "4000",
        ),
        Column(
            "cost_element",
            ("Omk.art", "Omkostningsart"),
            False,
            "SAP's cost element, read where there is no Art column: in the municipal chart of "
            "accounts its first two digits are the art (`22001000` is 2.2, `91000000` is 9.1; "
            "the setting `cost_element_art_digits`).",
            "SAP's omkostningsart; bruges som art, når der ingen Art-kolonne er: de første to "
            "cifre er arten (22001000 er 2.2).",
        ),
        Column(
            "document_number",
            ("Bilagsnummer", "Bilagsnr.", "Dokumentnummer", "Bilag"),
            True,
            "The document number. With the line (or, without one, the booking's content) it "
            "identifies a booking, so one found in two exports is counted once; an empty cell "
            "puts the row in quarantine.",
            "Bilagsnummeret; med linjen kendes en postering igen i en anden eksport, så den "
            "kun tælles én gang. Skal være udfyldt.",
            "1000000001",
        ),
        Column(
            "line",
            ("Linje", "Linjenr.", "Position", "BoL"),
            False,
            "The line within the document; empty: the booking is known by its document "
            "number and content.",
            "Linjen i bilaget.",
            "1",
        ),
        Column(
            "text",
            ("Tekst", "Posteringstekst", "Betegnelse", "Bilagstoptekst"),
            False,
            "The booking's text, shown in the lists of the reports.",
            "Posteringsteksten.",
            "Konsulentbistand",
        ),
    ),
)

EXPORTS = FileSpec(
    path="bookings/",
    what="The finance system's exports, one or many: `.xlsx`, `.xlsm`, `.xls` (also the "
    "HTML and tab-separated text SAP GUI and Excel save under that name), `.csv`, and SAP "
    "GUI's text exports (`.txt`: a spool list saved as tab-separated text, or a list "
    "exported unconverted with `|` between the columns).",
    sheets=(BOOKINGS,),
)
