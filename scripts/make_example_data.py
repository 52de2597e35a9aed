"""Generate the shipped example data folder config/example/ (deterministic, B4's figures)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import sys
import zipfile
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
# The acquisitions register's headers are the tests' (one list of the data contract's names).
sys.path.insert(0, str(ROOT / "tests"))
from acquisitions_builder import HEADERS  # noqa: E402

OUT = ROOT / "config" / "example"
BOOKINGS = OUT / "bookings"

SEED = 20201231
FIXED_TIME = dt.datetime(2020, 12, 31, 2, 0, 0)
CENT = Decimal("0.01")
BEVILLING = "3191, Koncern IT, anlæg"
UDVALG = "Økonomiudvalget"
CATEGORIES = ("Aktivitetsændringer", "Omkostningsændring", "Tidsforskydninger")


def d(text: str) -> dt.date:
    """A date from 'dd.mm.yyyy'."""
    return dt.datetime.strptime(text, "%d.%m.%Y").date()


def para(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


# --- the capital-projects register ------------------------------------------------------------

PROJECTS = [
    {
        "Projekt": "Automatisering af it-drift",
        "Kort navn": "Automatisering af it-drift",
        "Beskrivelse": para(
            "Opdatering og automatisering af drift af Københavns Kommunes databaseplatform "
            "(MSSQL) vil give en effektivisering samt services af højere kvalitet.",
            "KK’s SQL-databaser har gennemgået den sidste fase af konsolidering, opgraderinger "
            "og standardiseringer. Det har resulteret i et langt mere driftsvenligt, robust og "
            "sikkert miljø, der i dag driftes af færre ressourcer, og bruger færre licenser. "
            "Effektiviseringscasen på dette projekt har været succesfuld, og KK’s compliance på "
            "området er på plads.",
        ),
        "Anlægsbevilling": 4_500_000,
        "Ibrugtagningsdato": d("31.12.2020"),
        "Færdiggjort": d("31.12.2020"),
        "Anlægskartotek": "Nej",
    },
    {
        "Projekt": "Automatisering af processer på it-sikkerhedsområdet",
        "Kort navn": "Aut. af processer på it-sikkerhedsområdet",
        "Beskrivelse": para(
            "Med forslaget automatiseres og optimeres en række nuværende manuelle driftsopgaver "
            "på it-sikkerhedsområdet i Københavns Kommune. Automatiseringen omhandler "
            "dataklassifikation, rettighedstildeling og adgangsstyring på fællesdrevene, mens "
            "optimeringen omhandler arbejdet med vejledende it-sikkerhed i koncern IT.",
        ),
        "Anlægsbevilling": 2_700_000,
        "Ibrugtagningsdato": d("31.12.2019"),
        "Færdiggjort": d("31.12.2019"),
        "Anlægskartotek": "Nej",
    },
    {
        "Projekt": "ESDH-implementering",
        "Kort navn": "ESDH-implementering",
        "Beskrivelse": para(
            "I juni 2018 udløb KK’s kontrakt med leverandøren for ESDH-systemet, eDoc, hvorfor "
            "et udbud blev gennemført. Programledelsen af det fælles KK-program var forankret i "
            "KIT. Implementeringsprogrammet bestod af to hovedprojekter, et teknisk og et "
            "organisatorisk, i tæt kobling og samarbejde om implementeringen af eDoc 5 og "
            "opnåelsen af projektets gevinster.",
        ),
        "Anlægsbevilling": 7_900_000,
        "Ibrugtagningsdato": d("20.01.2020"),
        "Færdiggjort": d("20.01.2020"),
        "Anlægskartotek": "Nej",
    },
    {
        "Projekt": (
            "Automatisering af support ved medarbejderhenvendelser om it-, finans- og "
            "personalesager"
        ),
        "Kort navn": (
            "Automatisering af support ved medarbejderhenvendelser om it-, finans- og "
            "personalesager"
        ),
        "Beskrivelse": para(
            "Projektet har leveret tre voicebots som håndterer alle opkald til Serviceindgang IT, "
            "-Finans og -Personale i KIT og KS. Voicebotten opretter sager, som automatisk "
            "udfyldes med basisoplysninger om brugeren, der ringer, og dermed effektiviserer "
            "serviceindgangenes sagsbehandlingstid. Voicebotten har i Serviceindgang IT håndteret "
            "25.000 opkald siden 01.03 2020 (med 7 måneders pause under den første "
            "Corona-nedlukning). Voicebots til Serviceindgang Finans og -Personale, er klar til "
            "idriftsættelse.",
            "Derudover kan voicebotten automatisk inkorporere relevante brugerinformationer i de "
            "oprettede sager fra tredjepartssystemer. Voicebotten kan informere og vejlede "
            "brugeren baseret på henvendelsens emne fx med vejledning til nulstilling af kodeord "
            "eller genåbning af konti, hvis brugeren angiver at henvendelsen drejer sig om dette.",
            "Projektet har påvist at teknologien er moden til skalering og kan skaleres til andre "
            "serviceområder i kommunen. Projektet har etableret en avanceret og skalerbar "
            "infrastruktur baseret på Azure platformen med automatiserede deploy pipelines, der "
            "har indbygget automatiske enheds- og taletests til kvalitetssikring af kommende "
            "udgivelser af voicebots.",
            "I forbindelse med projektet har kommunen samarbejdet med teleleverandører og bidraget "
            "omfattende til udvikling og understøttelse af voice-teknologi i kommunens "
            "callcenterløsninger. Projektet har desuden været driver på samarbejdsmulighederne "
            "med de store IT-giganter på tværs af Atlanten i overensstemmelse med "
            "GDPR-forordningen.",
            "Projektet har etableret en solid og sikker voicebot-platform i KK’s IT-infrastruktur.",
        ),
        "Anlægsbevilling": 4_800_000,
        "Ibrugtagningsdato": None,
        "Færdiggjort": d("30.09.2020"),
        "Anlægskartotek": "Nej",
    },
    {
        "Projekt": "Styrkelse af IT-sikkerhed – AD",
        "Kort navn": "Styrkelse af IT-sikkerhed – AD",
        "Beskrivelse": para(
            "Med anskaffelse af en løsning til automatisering af brugerstyring og omlægning af "
            "forretningsgange i Koncernservice og Koncern IT og i forvaltningerne, gennemføres en "
            "væsentlig forbedring af it-sikkerheden, og det vil være muligt at leve op til "
            "lovgivningskrav på persondataområde.",
            "Projektet indebærer en renovering af Active Directory (AD), herunder etablering af "
            "konsolideret base for brugerstyringsløsningen, forenkling af implementering af nye "
            "systemer og forbedring af it-sikkerheden i forbindelse med brugerstyring.",
        ),
        "Anlægsbevilling": 10_100_000,
        "Ibrugtagningsdato": d("01.12.2017"),
        "Færdiggjort": d("01.12.2017"),
        "Anlægskartotek": "Nej",
    },
    {
        "Projekt": "Standardisering af PC-image",
        "Kort navn": "Standardisering af PC-image",
        "Beskrivelse": para(
            "Med projektet har Koncern IT implementeret en ny proces for at installere "
            "grundsoftware på alle computere i Københavns Kommune. Ved at implementere Shoppen, "
            "og ligge den i skyen, er Københavns Kommune gået fra at have 23 forskellige images "
            "til 2 standard images. Det betyder, at processen ved ombytninger og "
            "fejldiagnosticeringer mindre ressourcetung, hvilket gør, at Serviceindgangen i dag "
            "får mange tusind færre opkald pr. år.",
        ),
        "Anlægsbevilling": 6_700_000,
        "Ibrugtagningsdato": d("01.11.2018"),
        "Færdiggjort": d("01.11.2018"),
        "Anlægskartotek": "Nej",
        "Afvigelsesforklaring": (
            "Mindreforbrug på projektet skyldes, at udgifterne blev markant mindre end forudsat i "
            "businesscasen. Det vedrører især udgifter til eksterne konsulenter, da der i højere "
            "grad blev benyttet interne udviklere i Koncern IT. Samtidig har der også været behov "
            "for færre interne ressourcer. Desuden fik Koncern IT forhandlet en billigere aftale "
            "med leverandør i forhold til software der skulle benyttes."
        ),
    },
    {
        "Projekt": "Styrkelse af IT-sikkerhed – IGA",
        "Kort navn": "Styrkelse af IT-sikkerhed – IGA",
        "Beskrivelse": para(
            "Anskaffelse og implementering af en løsning til Identity Governance and "
            "Administration (IGA), der automatiserer brugerstyringen i Københavns Kommune. IGA er "
            "en del af anlægsbevillingen til styrkelse af it-sikkerhed fra budgetaftalen 2017 og "
            "er forsinket grundet en ekstra udbudsrunde samt udfordringer ved implementeringen.",
            "IGA var indtil 2018 en del af Koncernservice, hvorfor en del af midlerne i perioden "
            "2017-2018 er konteret under Koncernservice.",
        ),
        "Anlægsbevilling": 16_000_000,
        "Ibrugtagningsdato": None,
        "Færdiggjort": None,
        "Anlægskartotek": "Nej",
    },
    {
        "Projekt": "Udskiftning af mødelokaleudstyr",
        "Kort navn": "Udskiftning af mødelokaleudstyr",
        "Beskrivelse": para(
            "Udskiftning af skærme, videokonferenceudstyr og bookingpaneler i Koncern IT's "
            "mødelokaler. Forvaltningerne bidrager med et tilskud til udstyr i de fælles "
            "mødelokaler.",
        ),
        "Anlægsbevilling": 1_500_000,
        "Ibrugtagningsdato": d("15.06.2020"),
        "Færdiggjort": d("15.06.2020"),
        "Anlægskartotek": "Ja",
        "Controller email": "controller@example.kk.dk",
    },
]

PROJECT_COLUMNS = [
    "Projekt",
    "Bevilling",
    "Beskrivelse",
    "Anlægsbevilling",
    "Ibrugtagningsdato",
    "Færdiggjort",
    "Byggeri",
    "Etårsgennemgang",
    "Udvalg",
    "Udførende udvalg",
    "Anlægskartotek",
    "Afvigelsesforklaring",
    "Forelagt udvalg",
    "Sendt til revision",
    "Controller email",
    "Kort navn",
]

P1, P2, P3, P4, P5, P6, P7, P8 = (p["Projekt"] for p in PROJECTS)

# Løbenummer, project, text as B4 names it
LOEBENUMRE = [
    ("XA-0285000114", P1, "Automatisering af it-drift"),
    ("XA-4411000116", P2, "Aut. af processer på it-sikkerhedsområdet"),
    ("XA-0283000064", P3, "ESDH Implementering"),
    ("XA-4411000009", P3, "ESDH Implementering"),
    ("XA-4411000115", P4, "Aut. af support ved medarbejder henvend"),
    ("XA-4411000003", P5, "Styrkelse af IT-sikkerhed – AD"),
    ("XA-0286000002", P5, "AD"),
    ("XA-0284000031", P6, "PC"),
    ("XA-4411000006", P6, "Standardisering af PC-image"),
    ("XA-4411000012", P7, "Styrkelse af IT-sikkerhed – IGA"),
    ("XA-4765000015", P7, "IGA"),
    ("XA-4411000020", P8, "Udskiftning af mødelokaleudstyr"),
]

# Løbenummer, Beslutning, Dato, Post, Beløb (kr.); the six B4 projects' lines add up to B4's
# rådighedsbeløb in 1.000 kr.
BEVILLINGER = [
    ("XA-0285000114", "Overførselssagen 2018-2019", d("09.05.2019"), "Udgift", 4_483_000),
    ("XA-4411000116", "Overførselssagen 2018-2019", d("09.05.2019"), "Udgift", 2_711_000),
    ("XA-0283000064", "ØU 22.05.2018", d("22.05.2018"), "Udgift", 3_100_000),
    ("XA-4411000009", "ØU 22.05.2018", d("22.05.2018"), "Udgift", 4_807_000),
    ("XA-4411000115", "Overførselssagen 09.05.2019", d("09.05.2019"), "Udgift", 4_782_000),
    ("XA-4411000003", "Budgetaftale 2017", d("01.10.2016"), "Udgift", 6_054_000),
    ("XA-0286000002", "Budgetaftale 2017", d("01.10.2016"), "Udgift", 4_000_000),
    ("XA-0284000031", "Overførselssagen 2017-2018", d("01.03.2018"), "Udgift", 2_500_000),
    ("XA-4411000006", "Overførselssagen 2017-2018", d("01.03.2018"), "Udgift", 4_147_000),
    ("XA-4765000015", "Budgetaftale 2017", d("01.10.2016"), "Udgift", 7_600_000),
    ("XA-4411000012", "Budgetaftale 2017", d("01.10.2016"), "Udgift", 8_400_000),
    ("XA-4411000020", "Budget 2020", d("03.10.2019"), "Udgift", 1_500_000),
    ("XA-4411000020", "Tilskud fra forvaltningerne", d("03.10.2019"), "Indtægt", -200_000),
]

KATEGORI_JA = {
    (P3, "Tidsforskydninger"): (
        "Dato for ibrugtagning blev udskudt fra efterår 2019 til januar 2020, da man dumpede "
        "overtagelsesprøven."
    ),
}

# --- the bookings -----------------------------------------------------------------------------

GENERIC = [
    ("4000", "Konsulentbistand"),
    ("4000", "Konsulentbistand, projektledelse"),
    ("4000", "Udviklingsydelser"),
    ("4000", "Test og kvalitetssikring"),
    ("2200", "Licenser"),
    ("2200", "Hardware"),
    ("1000", "Intern tidsregistrering"),
    ("1000", "Intern tidsregistrering"),
    ("4500", "Installation og opsætning"),
]
TEXTS = {
    P1: [*GENERIC, ("2200", "Licenser, SQL Server"), ("4000", "Automatiseringsværktøj, drift")],
    P2: [*GENERIC, ("2200", "Licenser, dataklassifikation"), ("4000", "Rettighedsstyring")],
    P3: [*GENERIC, ("4000", "Konsulentbistand, eDoc 5"), ("4000", "Uddannelse af superbrugere")],
    P4: [*GENERIC, ("2200", "Azure-forbrug"), ("4000", "Udvikling af voicebot")],
    P5: [*GENERIC, ("4000", "Konsulentbistand, AD-renovering"), ("2200", "Servere og lager")],
    P6: [*GENERIC, ("4000", "Pakketering af software"), ("2200", "Licenser, Shoppen")],
    P7: [*GENERIC, ("4000", "Konsulentbistand, IGA"), ("4000", "Udbudsrådgivning")],
    P8: [
        ("2200", "Skærme og videoudstyr"),
        ("2200", "Bookingpaneler"),
        ("4500", "Installation i mødelokaler"),
        ("4000", "Rådgivning, AV-løsning"),
        ("1000", "Intern tidsregistrering"),
    ],
}

# Unrounded forbrug (kr.) per løbenummer. Per B4 project the sum is B4's forbrug in kr. plus a
# small f (under 400 kr.) so it rounds to B4's figure; the six f's add up to 39,30 kr.
FORBRUG = {
    "XA-0285000114": Decimal("4472123.45"),  # f = +123,45
    "XA-4411000116": Decimal("2720912.90"),  # f = -87,10
    "XA-0283000064": Decimal("3412876.55"),  # ESDH: 7.635.212,30, f = +212,30
    "XA-4411000009": Decimal("4222335.75"),
    "XA-4411000115": Decimal("4807843.25"),  # f = -156,75
    "XA-4411000003": Decimal("5987210.40"),  # AD: 10.014.045,60, f = +45,60
    "XA-0286000002": Decimal("4026835.20"),
    "XA-0284000031": Decimal("1934118.35"),  # PC-image: 2.608.901,80, f = -98,20
    "XA-4411000006": Decimal("674783.45"),
    "XA-4765000015": Decimal("6104331.25"),  # IGA: 9.312.456,78
    "XA-4411000012": Decimal("3208125.53"),
    "XA-4411000020": Decimal("1234567.89"),  # expenditure only; income below
}

# Løbenummer, first date, last date, number of generated bookings
SEGMENTS = [
    ("XA-0285000114", d("03.06.2019"), d("18.12.2020"), 36),
    ("XA-4411000116", d("20.05.2019"), d("20.12.2019"), 18),
    ("XA-0283000064", d("01.06.2018"), d("28.06.2019"), 22),
    ("XA-4411000009", d("01.07.2019"), d("20.01.2020"), 16),
    ("XA-4411000115", d("10.06.2019"), d("25.09.2020"), 28),
    ("XA-4411000003", d("09.01.2017"), d("15.12.2017"), 24),
    ("XA-0286000002", d("01.02.2017"), d("28.03.2018"), 15),
    ("XA-0284000031", d("15.03.2018"), d("13.12.2019"), 18),
    ("XA-4411000006", d("15.01.2020"), d("11.12.2020"), 16),
    ("XA-4765000015", d("06.03.2017"), d("14.12.2018"), 20),
    ("XA-4411000012", d("14.01.2019"), d("15.12.2020"), 24),
    ("XA-4411000020", d("15.01.2020"), d("12.06.2020"), 14),
]


@dataclass
class Booking:
    loebenummer: str
    date: dt.date
    amount: Decimal
    art: str
    text: str
    files: tuple[str, ...] = ()
    doc: str = ""
    line: int = 0


A = "Projektposteringer 2017-2019.xlsx"
B = "Projektposteringer 2020.xlsx"
C = "posteringer_q4_2020.csv"
D = "eksport_interne_og_ukendte.csv"
DOC_START = {A: 1000000001, B: 2000000001, C: 3000000001, D: 4000000001}

# Bookings placed by hand: credit notes, income, two identical lines of one document.
# (løbenummer, date, amount, art, text)
EXTRA_ROWS = [
    ("XA-4411000003", "20.11.2017", "-8400.00", "4000", "Korrektion, fejlkontering"),
    ("XA-0285000114", "16.03.2020", "-12450.00", "4000", "Kreditnota, konsulentbistand"),
    ("XA-4411000006", "07.12.2020", "-1234.50", "2200", "Kreditnota, licenser"),
    ("XA-4411000115", "10.02.2020", "18750.00", "2200", "Licenser"),
    ("XA-4411000115", "10.02.2020", "18750.00", "2200", "Licenser"),
    ("XA-4411000020", "28.02.2020", "-100000.00", "7100", "Tilskud fra forvaltningerne"),
    ("XA-4411000020", "29.05.2020", "-87500.00", "7100", "Tilskud fra forvaltningerne"),
]

# Only in the internal/unknown export: they count in no gross figure.
INTERNAL_ROWS = [
    ("XA-0285000114", "30.06.2020", "8750.50", "9100", "Intern viderefakturering"),
    ("XA-4411000012", "30.09.2020", "45000.00", "9100", "Intern afregning, it-drift"),
    ("XA-4411000020", "30.06.2020", "-12500.00", "9500", "Intern overførsel"),
]
UNKNOWN_ROWS = [
    ("XA-9999000001", "14.08.2020", "23456.78", "4000", "Konsulentbistand"),
    ("XA-9999000001", "02.10.2020", "1200.00", "2200", "Licenser"),
]


def to_bookings(rows: list[tuple[str, str, str, str, str]]) -> list[Booking]:
    return [
        Booking(lnr, d(day), Decimal(amount), art, text) for lnr, day, amount, art, text in rows
    ]


EXTRA = to_bookings(EXTRA_ROWS)
INTERNAL = to_bookings(INTERNAL_ROWS)
UNKNOWN = to_bookings(UNKNOWN_ROWS)
PROJECT_OF = {lnr: proj for lnr, proj, _ in LOEBENUMRE}
PROJECT_ORDER = {p["Projekt"]: i for i, p in enumerate(PROJECTS)}


def weekday(day: dt.date) -> dt.date:
    """The day itself, or the Friday before a weekend."""
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def spread_dates(rng: random.Random, start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    span = (end - start).days
    dates = []
    for i in range(n):
        offset = round(span * (i + 0.5) / n) + rng.randint(-5, 5)
        day = weekday(start + dt.timedelta(days=min(max(offset, 0), span)))
        dates.append(max(day, start))
    dates.sort()
    for i in range(1, n):  # some documents carry two lines
        if rng.random() < 0.15:
            dates[i] = dates[i - 1]
    return dates


def split_amount(rng: random.Random, total: Decimal, n: int) -> list[Decimal]:
    weights = [rng.uniform(0.4, 1.6) for _ in range(n)]
    scale = total / Decimal(str(sum(weights)))
    amounts = []
    for w in weights[:-1]:
        raw = scale * Decimal(str(w))
        step = Decimal("1") if rng.random() < 0.5 else CENT
        amounts.append(raw.quantize(step, rounding=ROUND_HALF_UP).quantize(CENT))
    amounts.append(total - sum(amounts))
    return amounts


def place(b: Booking) -> tuple[str, ...]:
    """Which export(s) a booking appears in."""
    if b.art.startswith("9") or b.loebenummer not in PROJECT_OF:
        return (D,)
    project = PROJECT_OF[b.loebenummer]
    if b.date.year < 2020:
        return (A,)
    if project == P7:
        return (D,)
    if project == P8:
        return (B,) if b.date.month <= 3 else (D,)
    files = []
    if b.date <= d("30.11.2020"):  # the 2020 export was taken in December
        files.append(B)
    if b.date >= d("01.10.2020"):  # the Q4 export overlaps it for October and November
        files.append(C)
    return tuple(files)


def make_bookings() -> list[Booking]:
    rng = random.Random(SEED)
    bookings: list[Booking] = []
    for lnr, start, end, n in SEGMENTS:
        project = PROJECT_OF[lnr]
        extra = sum(
            (b.amount for b in EXTRA if b.loebenummer == lnr and not b.art.startswith("7")),
            Decimal(0),
        )
        dates = spread_dates(rng, start, end, n)
        amounts = split_amount(rng, FORBRUG[lnr] - extra, n)
        for day, amount in zip(dates, amounts, strict=True):
            art, text = rng.choice(TEXTS[project])
            bookings.append(Booking(lnr, day, amount, art, text))
    bookings += [Booking(**vars(b)) for b in EXTRA + INTERNAL + UNKNOWN]
    for b in bookings:
        b.files = place(b)
    # Document numbers: one range per export (the first file a booking appears in); bookings of
    # one løbenummer on one day share a document, as consecutive lines.
    for name, first in DOC_START.items():
        mine = sorted((b for b in bookings if b.files[0] == name), key=lambda b: b.date)
        number, previous = first - 1, None
        for b in mine:
            key = (b.date, b.loebenummer)
            if key != previous:
                number, line = number + 1, 0
            line += 1
            b.doc, b.line, previous = str(number), line, key
    return bookings


# --- writing ----------------------------------------------------------------------------------


def danish(amount: Decimal, trailing_minus: bool = False) -> str:
    text = f"{abs(amount):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    if amount < 0:
        return text + "-" if trailing_minus else "-" + text
    return text


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps so that reruns give identical files."""
    wb.properties.creator = "kitflow"
    wb.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + stamp.encode() + rb"\2", data
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)


def add_sheet(wb: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "dd.mm.yyyy"
            elif isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = "#,##0.00" if isinstance(cell.value, float) else "#,##0"
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column[:30])
        ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)


def write_register(path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    rows = []
    for p in PROJECTS:
        values = {"Bevilling": BEVILLING, "Byggeri": "Nej", "Udvalg": UDVALG, **p}
        rows.append([values.get(c) for c in PROJECT_COLUMNS])
    add_sheet(wb, "Projekter", PROJECT_COLUMNS, rows)
    add_sheet(wb, "Løbenumre", ["Løbenummer", "Projekt", "Tekst"], [list(r) for r in LOEBENUMRE])
    add_sheet(
        wb,
        "Bevillinger",
        ["Løbenummer", "Beslutning", "Dato", "Post", "Beløb"],
        [list(r) for r in BEVILLINGER],
    )
    kategorier = [
        [
            p["Projekt"],
            c,
            "Ja" if (p["Projekt"], c) in KATEGORI_JA else "Nej",
            KATEGORI_JA.get((p["Projekt"], c)),
        ]
        for p in PROJECTS
        for c in CATEGORIES
    ]
    add_sheet(wb, "Kategorier", ["Projekt", "Kategori", "Svar", "Bemærkning"], kategorier)
    save_workbook(wb, path)


def write_export_2017_2019(bookings: list[Booking], path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Posteringer"
    ws.append(["Projektposteringer"])
    ws.append(["Udskrevet 23.11.2026 02:00"])
    ws.append([])
    ws.append(
        ["  bogføringsdato:", "LØBENUMMER ", "Beløb", "art:", "BILAGSNUMMER", " Linje", "Tekst"]
    )
    mine = [b for b in bookings if A in b.files]
    mine.sort(key=lambda b: (PROJECT_ORDER[PROJECT_OF[b.loebenummer]], b.date, int(b.doc), b.line))
    total = Decimal(0)
    for project in sorted({PROJECT_OF[b.loebenummer] for b in mine}, key=PROJECT_ORDER.get):
        block = [b for b in mine if PROJECT_OF[b.loebenummer] == project]
        for b in block:
            ws.append(
                [b.date, b.loebenummer, float(b.amount), int(b.art), int(b.doc), b.line, b.text]
            )
        subtotal = sum((b.amount for b in block), Decimal(0))
        ws.append([None, None, float(subtotal), None, None, None, "I alt"])
        total += subtotal
    ws.append(["Total", None, float(total)])
    for row in ws.iter_rows(min_row=5):
        if isinstance(row[0].value, dt.date):
            row[0].number_format = "dd.mm.yyyy"
        row[2].number_format = "#,##0.00"
    for letter, width in zip("ABCDEFG", (18, 16, 14, 8, 14, 8, 36), strict=True):
        ws.column_dimensions[letter].width = width
    save_workbook(wb, path)


def write_export_2020(bookings: list[Booking], path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(
        [
            "Posteringsdato",
            "PSP-element",
            "Beløb (DKK)",
            "Artskonto",
            "Bilagsnr.",
            "Linjenr.",
            "Posteringstekst",
        ]
    )
    mine = sorted((b for b in bookings if B in b.files), key=lambda b: (b.date, b.doc, b.line))
    for i, b in enumerate(mine):
        digits = b.loebenummer.replace("-", "")
        project = [b.loebenummer, digits, f"{b.loebenummer}-01", b.loebenummer, f"{digits}"][i % 5]
        if i % 7 == 3:
            project = f"{b.loebenummer}-02"
        ws.append(
            [
                b.date.strftime("%d.%m.%Y"),
                project,
                danish(b.amount, trailing_minus=True),
                b.art,
                b.doc,
                str(b.line),
                b.text,
            ]
        )
    total = sum((b.amount for b in mine), Decimal(0))
    ws.append(["I alt", None, danish(total, trailing_minus=True)])
    for letter, width in zip("ABCDEFG", (14, 20, 16, 10, 12, 9, 36), strict=True):
        ws.column_dimensions[letter].width = width
    save_workbook(wb, path)


def write_csv(path: Path, encoding: str, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_q4(bookings: list[Booking], path: Path) -> None:
    mine = sorted((b for b in bookings if C in b.files), key=lambda b: (b.date, b.doc, b.line))
    rows = [
        [b.date.isoformat(), b.loebenummer, danish(b.amount), b.art, b.doc, str(b.line), b.text]
        for b in mine
    ]
    rows.append(["Sum", "", danish(sum((b.amount for b in mine), Decimal(0))), "", "", "", ""])
    header = ["Dato", "Projektdefinition", "Beløb i DKK", "Kontoart", "Bilag", "Position", "Tekst"]
    write_csv(path, "cp1252", header, rows)


def write_internal(bookings: list[Booking], path: Path) -> None:
    mine = sorted((b for b in bookings if D in b.files), key=lambda b: (b.date, b.doc, b.line))
    rows = [
        [
            b.date.strftime("%d.%m.%Y"),
            b.loebenummer,
            danish(b.amount),
            b.art,
            b.doc,
            str(b.line),
            b.text,
        ]
        for b in mine
    ]
    header = ["Bogf.dato", "WBS-element", "Beløb DKK", "Art", "Dokumentnummer", "Linje", "Tekst"]
    write_csv(path, "utf-8-sig", header, rows)


# --- the IT-acquisitions register -------------------------------------------------------------


def write_acquisitions(path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    add_sheet(
        wb,
        "Enheder",
        HEADERS["Enheder"],
        [
            [
                "Koncern IT Drift",
                "Økonomiforvaltningen",
                "kit-drift@example.kk.dk",
                "direktion-okf@example.kk.dk",
                "digitalisering-okf@example.kk.dk",
            ],
            [
                "Borgerservice",
                "Kultur- og Fritidsforvaltningen",
                "borgerservice@example.kk.dk",
                "direktion-kff@example.kk.dk",
                "digitalisering-kff@example.kk.dk",
            ],
            [
                "Skoleadministration",
                "Børne- og Ungdomsforvaltningen",
                "skoleadministration@example.kk.dk",
                "direktion-buf@example.kk.dk",
                "digitalisering-buf@example.kk.dk",
            ],
        ],
    )
    add_sheet(
        wb,
        "Systemer",
        HEADERS["Systemer"],
        [
            ["SYS-001", "Overvågningsplatform", "Koncern IT Drift", "Infrastruktur",
             "Anskaffelse", None, d("02.03.2020"), "Gyldig", d("04.05.2020")],
            ["SYS-002", "Tidsbestilling i Borgerservice", "Borgerservice", "Fagsystem",
             "Anskaffelse", None, d("15.06.2020"), "Betinget", d("01.09.2020")],
            ["SYS-003", "Elevplan-integration", "Skoleadministration", "Fagsystem",
             "Anskaffelse", None, d("20.11.2019"), "Ingen", d("10.08.2020")],
            ["SYS-004", "Chatbot til borgerhenvendelser", "Borgerservice", "Hjælpeværktøj",
             "PoC", d("31.10.2020"), d("04.05.2020"), "Ingen", None],
            ["SYS-005", "Digital fraværsregistrering", "Skoleadministration",
             "Generisk administrativt", "Pilot", d("31.03.2021"), d("01.09.2020"), "Gyldig",
             d("01.10.2020")],
            ["SYS-006", "Central logopsamling", "Koncern IT Drift", "Infrastruktur",
             "Anskaffelse", None, None, "Gyldig", d("16.11.2020")],
        ],
    )  # fmt: skip
    add_sheet(
        wb,
        "Kontrakter",
        HEADERS["Kontrakter"],
        [
            ["K-2020-001", "SYS-001", "Nordisk Driftsovervågning A/S", "Kontrakt",
             "Koncern IT Drift", d("10.02.2020"), d("14.02.2020")],
            ["K-2020-002", "SYS-002", "Tidsbestilling ApS", "Tillæg", "Borgerservice",
             d("02.11.2020"), None],
            ["K-2020-003", "SYS-005", "Skoledata A/S", "Kontrakt", "Skoleadministration",
             d("28.12.2020"), None],
        ],
    )  # fmt: skip
    add_sheet(
        wb,
        "Betingelser",
        HEADERS["Betingelser"],
        [
            ["B-001", "SYS-002", "Logning af administratoradgange skal aktiveres",
             d("15.10.2020"), d("09.10.2020")],
            ["B-002", "SYS-002", "Databehandleraftale med leverandøren skal underskrives",
             d("01.12.2020"), None],
            ["B-003", "SYS-002", "Tofaktorlogin for sagsbehandlere skal indføres",
             d("08.01.2021"), None],
        ],
    )  # fmt: skip
    add_sheet(wb, "Koncern IT", HEADERS["Koncern IT"], [["koncernit@example.kk.dk"]])
    save_workbook(wb, path)


def main() -> None:
    BOOKINGS.mkdir(parents=True, exist_ok=True)
    bookings = make_bookings()
    write_register(OUT / "register.xlsx")
    write_acquisitions(OUT / "acquisitions.xlsx")
    write_export_2017_2019(bookings, BOOKINGS / A)
    write_export_2020(bookings, BOOKINGS / B)
    write_q4(bookings, BOOKINGS / C)
    write_internal(bookings, BOOKINGS / D)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(bookings)} bookings")


if __name__ == "__main__":
    main()
