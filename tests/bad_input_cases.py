"""The bad inputs kitflow is tried on: each spoils one thing in a copy of the example data.

Shared by tests/test_bad_input.py (which checks each answer) and scripts/bad_input_table.py
(which writes the table in docs/bad-input.md from the same cases, so the table cannot go
stale). `expect` is written by hand: a phrase the answer must contain.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from sap_exports import SAMPLE, list_lines, spool_bytes, spool_lines
from zip_bomb import pad_sheets

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "example"
AS_OF = "2020-12-31"
XLSX_2020 = "Projektposteringer 2020.xlsx"
CSV_NO_TOTAL = "eksport_interne_og_ukendte.csv"
CSV_Q4 = "posteringer_q4_2020.csv"


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, and what the answer must say."""

    name: str
    title: str  # what was tried, as the docs table says it
    make: Callable[[Path], None]  # spoils a copy of the example data folder
    fatal: bool  # True: a run stops (exit 2); False: a finding, and the run goes on
    where: str  # the location the answer must name (file, and sheet/row where known)
    expect: str  # a phrase the answer must contain
    settings: dict[str, object] = field(default_factory=dict)
    shown: str = ""  # where the answer shows, when not the default for its kind
    writes: str = ""  # a file (glob) the run must write into its output folder, if any


def tree_digest(folder: Path) -> str:
    """Every file's path and bytes below `folder`: equal exactly when nothing was written."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def example_copy(target: Path) -> Path:
    shutil.copytree(EXAMPLE, target)
    return target


def _edit_xlsx(path: Path, edit: Callable[[openpyxl.Workbook], None]) -> None:
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)


def _edit_csv(path: Path, edit: Callable[[list[str]], list[str]], encoding: str) -> None:
    lines = path.read_bytes().decode(encoding).split("\r\n")
    path.write_bytes("\r\n".join(edit(lines)).encode(encoding))


def _set_csv_cell(row: int, column: int, value: str) -> Callable[[Path], None]:
    """Put `value` into the CSV without a total line (row as the file numbers it, 1-based)."""

    def make(data: Path) -> None:
        def edit(lines: list[str]) -> list[str]:
            cells = lines[row - 1].split(";")
            cells[column] = value
            lines[row - 1] = ";".join(cells)
            return lines

        _edit_csv(data / "bookings" / CSV_NO_TOTAL, edit, "utf-8-sig")

    return make


def encrypt_xlsx(source: Path, target: Path, password: str = "hemmelig") -> None:
    """A real password-protected workbook, as Excel writes one (Agile encryption in a CFB)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with source.open("rb") as fh:
        OOXMLFile(fh).encrypt(password, out)
    target.write_bytes(out.getvalue())


def _encrypted_register(data: Path) -> None:
    encrypt_xlsx(EXAMPLE / "register.xlsx", data / "register.xlsx")


def _corrupt(data: Path) -> None:
    path = data / "bookings" / XLSX_2020
    path.write_bytes(path.read_bytes()[:3000])  # cut off mid-way, as a failed copy leaves it


def _empty_file(data: Path) -> None:
    (data / "bookings" / "posteringer_dec_2020.xlsx").write_bytes(b"")


def _empty_csv(data: Path) -> None:
    (data / "bookings" / "posteringer_dec_2020.csv").write_bytes(b"")


def _empty_sheet(data: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Ark1"
    wb.save(data / "bookings" / "posteringer_dec_2020.xlsx")


def _register_empty_sheet(data: Path) -> None:
    def edit(wb: openpyxl.Workbook) -> None:
        ws = wb["Kategorier"]
        ws.delete_rows(1, ws.max_row)

    _edit_xlsx(data / "register.xlsx", edit)


def _csv_named_xlsx(data: Path) -> None:
    shutil.copy(data / "bookings" / CSV_NO_TOTAL, data / "bookings" / "posteringer_dec_2020.xlsx")


def _html_named_xls(data: Path) -> None:
    # What several finance systems save as "Excel" is an HTML table with an .xls name, and
    # kitflow reads it (tests/test_sap_formats.py); this one holds no bookings, only the
    # system's answer to an empty selection.
    (data / "bookings" / "posteringer_dec_2020.xls").write_text(
        '<html xmlns:x="urn:schemas-microsoft-com:office:excel"><body><table>'
        "<tr><td>Projekter: Faktiske omkostninger/indtægter, linjeposter</td></tr>"
        "<tr><td>Ingen data fundet for de valgte kriterier</td></tr>"
        "</table></body></html>",
        encoding="utf-8",
    )


# --- SAP GUI's text exports: three December bookings on Standardisering af PC-image ---------

SPOOL = "cji3_dec_2020.txt"
SAP_LIST = "cji3_dec_2020_liste.txt"
SAP_POSTINGS = SAMPLE
_SPOOL_LINES = spool_lines(SAP_POSTINGS, sections=2)
# The first line of the second booking (its Bilagsnummer is in no other line), 1-based.
SPOOL_SECOND = next(i for i, line in enumerate(_SPOOL_LINES) if "\t5000000002\t" in line) + 1
SPOOL_GRAND_TOTAL = len(_SPOOL_LINES)
_LIST_LINES = list_lines(SAP_POSTINGS, total=False)
LIST_SECOND = next(i for i, line in enumerate(_LIST_LINES) if "|5000000002" in line) + 1


def _spool(edit: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    def make(data: Path) -> None:
        lines = edit(list(_SPOOL_LINES))
        (data / "bookings" / SPOOL).write_bytes(spool_bytes(lines, "cp1252"))

    return make


def _shift(line: str) -> str:
    """One tab too many after the Objekt, as a hand edit of the file leaves it."""
    first, rest = line.split("\t", 2)[0:2], line.split("\t", 2)[2]
    return "\t".join([*first, "", rest])


def _spool_shifted(lines: list[str]) -> list[str]:
    lines[SPOOL_SECOND - 1] = _shift(lines[SPOOL_SECOND - 1])
    return lines


def _spool_missing_second_line(lines: list[str]) -> list[str]:
    del lines[SPOOL_SECOND]
    return lines


def _spool_wrong_total(lines: list[str]) -> list[str]:
    lines[-1] = lines[-1].replace("15.250,25", "15.350,25")
    return lines


def _list_shifted(data: Path) -> None:
    lines = list(_LIST_LINES)
    lines[LIST_SECOND - 1] = lines[LIST_SECOND - 1].replace("|5000000002", "|5000000002|", 1)
    (data / "bookings" / SAP_LIST).write_bytes(spool_bytes(lines, "cp1252"))


def _header_only(data: Path) -> None:
    # What a finance system writes when the period's query found nothing (or a download that
    # stopped right after the header): the header line, and no booking under it.
    (data / "bookings" / "posteringer_dec_2020.csv").write_bytes(
        "Bogføringsdato;Løbenummer;Beløb;Art;Bilagsnummer;Linje;Tekst\r\n".encode("cp1252")
    )


def _cut_in_last_line(data: Path) -> None:
    # A download that stopped inside its last line; the export has no total line to catch it.
    path = data / "bookings" / CSV_NO_TOTAL
    text = path.read_bytes().decode("utf-8-sig")
    path.write_bytes(("\ufeff" + text[: text.rindex("kvalitetssikring")]).encode("utf-8"))


def _register_missing_sheet(data: Path) -> None:
    _edit_xlsx(data / "register.xlsx", lambda wb: wb.remove(wb["Bevillinger"]))


def _acquisitions_missing_sheet(data: Path) -> None:
    _edit_xlsx(data / "acquisitions.xlsx", lambda wb: wb.remove(wb["Kontrakter"]))


def _missing_column(data: Path) -> None:
    _edit_xlsx(data / "bookings" / XLSX_2020, lambda wb: wb["Data"].delete_cols(3))


def _truncated(data: Path) -> None:
    # Rows 60-65 lost, the "I alt" line kept: what a cut-off download looks like.
    _edit_xlsx(data / "bookings" / XLSX_2020, lambda wb: wb["Data"].delete_rows(60, 6))


def _bad_amount_with_total(data: Path) -> None:
    def edit(wb: openpyxl.Workbook) -> None:
        wb["Data"]["C5"] = "1.62845,08"

    _edit_xlsx(data / "bookings" / XLSX_2020, edit)


def _misspelt_header(data: Path) -> None:
    def edit(lines: list[str]) -> list[str]:
        return [lines[0].replace("Beløb DKK", "Beløp DKK"), *lines[1:]]

    _edit_csv(data / "bookings" / CSV_NO_TOTAL, edit, "utf-8-sig")


def _too_many(data: Path) -> None:
    for row in (2, 3, 4):
        _set_csv_cell(row, 1, "XA-44110")(data)


def _same_export_twice(data: Path) -> None:
    shutil.copy(data / "bookings" / CSV_Q4, data / "bookings" / "posteringer_q4_2020 (1).csv")


def _two_formats(data: Path) -> None:
    # A booking of the 2017-2019 workbook (Excel date, number amount) written again by hand
    # in a CSV with a dd.mm.yyyy date and a Danish text amount.
    (data / "bookings" / "rettelser.csv").write_text(
        "Bogføringsdato;Løbenummer;Beløb;Art;Bilagsnummer;Linje;Tekst\r\n"
        "12.06.2019;XA0285000114;121.340,00;4000;1000000085;1;Test og kvalitetssikring\r\n",
        encoding="utf-8",
    )


def _posted_after_as_of(data: Path) -> None:
    # Booked in 2099 on Standardisering af PC-image (in the bilag), in the export without a
    # total line: an account as of 31.12.2020 must not count it.
    def edit(lines: list[str]) -> list[str]:
        return [
            *lines[:-1],
            "01.06.2099;XA-4411000006;1.000.000,00;4000;4000000099;1;Konsulentbistand",
            lines[-1],
        ]

    _edit_csv(data / "bookings" / CSV_NO_TOTAL, edit, "utf-8-sig")


# 90 CJK characters, 270 bytes of UTF-8: as a file name part cut at 80 characters it was 240
# bytes, and anlaegsregnskab-<name>.docx more than the 255 a file name may have.
CJK_NAME = ("电子文档与档案管理系统实施项目" * 6)[:90]


def _cjk_project_name(data: Path) -> None:
    """ESDH-implementering (in the bilag) renamed to CJK_NAME wherever the register names it."""

    def edit(wb: openpyxl.Workbook) -> None:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value == "ESDH-implementering":
                        cell.value = CJK_NAME

    _edit_xlsx(data / "register.xlsx", edit)


SHEET1 = "xl/worksheets/sheet1.xml"  # the first sheet's part, as openpyxl names it


def _zip_bomb(data: Path) -> None:
    # Issue 17's bomb: a sheet that unpacks to 2 GB (here blank space between the rows, which
    # every reader accepts), in a file of 2 MB.
    path = data / "bookings" / XLSX_2020
    pad_sheets(path, path, {SHEET1: 2048})


def _zip_bomb_register(data: Path) -> None:
    # 64 MiB of blank space packed to 70 KB: under the size limits, over the ratio.
    path = data / "register.xlsx"
    pad_sheets(path, path, {SHEET1: 64})


def _zip_bomb_lying(data: Path) -> None:
    # The 2 GB sheet again, but the package says it is 1 MB, packed 2 times: nothing to see.
    path = data / "bookings" / XLSX_2020
    pad_sheets(path, path, {SHEET1: 2048}, declare=1)


def _zip_bomb_acquisitions(data: Path) -> None:
    # Three sheets of 400 MiB: each under the limit per part, together over the one per file.
    path = data / "acquisitions.xlsx"
    pad_sheets(path, path, {f"xl/worksheets/sheet{k}.xml": 400 for k in (1, 2, 3)})


def _mistyped_loebenummer(data: Path) -> None:
    # Two bookings of IGA (XA-4411000012) keyed with two digits swapped: XA-4411000102.
    for row in (6, 10):
        _set_csv_cell(row, 1, "XA-4411000102")(data)


def _missing_register(data: Path) -> None:
    (data / "register.xlsx").unlink()


def _missing_bookings(data: Path) -> None:
    shutil.rmtree(data / "bookings")


def _register_bad_cell(data: Path) -> None:
    def edit(wb: openpyxl.Workbook) -> None:
        wb["Bevillinger"]["E3"] = "mange penge"

    _edit_xlsx(data / "register.xlsx", edit)


CASES: tuple[Case, ...] = (
    Case(
        "corrupt",
        "Ødelagt xlsx (afskåret midt i filen)",
        _corrupt,
        True,
        XLSX_2020,
        "kan ikke læses",
    ),
    Case(
        "encrypted",
        "register.xlsx beskyttet med adgangskode",
        _encrypted_register,
        True,
        "register.xlsx",
        "adgangskode",
    ),
    Case(
        "empty_xlsx",
        "Tom fil (0 byte), .xlsx",
        _empty_file,
        True,
        "posteringer_dec_2020.xlsx",
        "tom",
    ),
    Case(
        "empty_csv", "Tom fil (0 byte), .csv", _empty_csv, True, "posteringer_dec_2020.csv", "tom"
    ),
    Case(
        "empty_sheet",
        "Eksport hvis eneste ark er tomt",
        _empty_sheet,
        True,
        "posteringer_dec_2020.xlsx:Ark1",
        "tomt",
    ),
    Case(
        "register_empty_sheet",
        "Tomt ark (Kategorier) i register.xlsx",
        _register_empty_sheet,
        True,
        "register.xlsx:Kategorier",
        "overskriftsrække",
    ),
    Case(
        "csv_as_xlsx",
        "CSV-fil med navnet .xlsx",
        _csv_named_xlsx,
        True,
        "posteringer_dec_2020.xlsx",
        "CSV",
    ),
    Case(
        "html_as_xls",
        "HTML-side med navnet .xls uden en tabel med posteringer (et tomt udtræk)",
        _html_named_xls,
        True,
        "posteringer_dec_2020.xls",
        "HTML",
    ),
    Case(
        "spool_shifted_row",
        "SAP-spool (.txt) med en forskudt linje (et tabulatortegn for meget) og en **-total",
        _spool(_spool_shifted),
        True,
        f"{SPOOL}:{SPOOL_GRAND_TOTAL}",
        f"linje {SPOOL_SECOND} er forskudt og kunne ikke læses",
    ),
    Case(
        "spool_missing_second_line",
        "SAP-spool (.txt), hvor en postering mangler sin anden linje (Registr., Kl., TbF)",
        _spool(_spool_missing_second_line),
        False,
        f"{SPOOL}:{SPOOL_SECOND}",
        "posteringen mangler sin anden linje",
        shown="console (check); findings.csv and quarantined.csv; Prefect UI: run log warning",
    ),
    Case(
        "spool_wrong_total",
        "SAP-spool (.txt), hvis **-total ikke stemmer med posteringerne",
        _spool(_spool_wrong_total),
        True,
        f"{SPOOL}:{SPOOL_GRAND_TOTAL}",
        "kontroltotalen 15.350,25 kr. stemmer ikke",
    ),
    Case(
        "sap_list_shifted_row",
        "SAP-liste eksporteret som tekst (|) med en linje med et felt for meget",
        _list_shifted,
        False,
        f"{SAP_LIST}:{LIST_SECOND}",
        "linjen har 8 felter, men overskriften har 7",
        shown="console (check); findings.csv and quarantined.csv; Prefect UI: run log warning",
    ),
    Case(
        "register_missing_sheet",
        "register.xlsx uden arket Bevillinger",
        _register_missing_sheet,
        True,
        "register.xlsx",
        "Bevillinger",
    ),
    Case(
        "acquisitions_missing_sheet",
        "acquisitions.xlsx uden arket Kontrakter",
        _acquisitions_missing_sheet,
        True,
        "acquisitions.xlsx",
        "Kontrakter",
    ),
    Case(
        "zip_bomb",
        "Zip-bombe: en eksport på 2 MB, hvis ark pakker ud til 2 GB",
        _zip_bomb,
        True,
        XLSX_2020,
        "pakker ud til 2,1 GB",
    ),
    Case(
        "zip_bomb_lying",
        "Zip-bombe, der angiver, at arket fylder 1 MB, og pakker ud til 2 GB",
        _zip_bomb_lying,
        True,
        XLSX_2020,
        "filen selv angiver",
    ),
    Case(
        "zip_bomb_register",
        "register.xlsx med et ark pakket 959 gange sammen (70 KB bliver til 67 MB)",
        _zip_bomb_register,
        True,
        "register.xlsx",
        "gange sammen",
    ),
    Case(
        "zip_bomb_acquisitions",
        "acquisitions.xlsx, der pakker ud til 1,3 GB i tre ark (max_compression_ratio hævet)",
        _zip_bomb_acquisitions,
        True,
        "acquisitions.xlsx",
        "i alt",
        {"input_limits.max_compression_ratio": 5000},
    ),
    Case(
        "missing_column",
        "Eksport uden beløbskolonne",
        _missing_column,
        True,
        f"{XLSX_2020}:Data",
        "Beløb",
    ),
    Case(
        "missing_register",
        "register.xlsx mangler",
        _missing_register,
        True,
        "register.xlsx",
        "findes ikke",
    ),
    Case(
        "missing_bookings",
        "Mappen bookings mangler",
        _missing_bookings,
        True,
        "bookings",
        "findes ikke",
    ),
    Case(
        "truncated",
        "Afskåret eksport (rækker mangler, totallinjen står der)",
        _truncated,
        True,
        f"{XLSX_2020}:Data!62",
        "kontroltotalen",
    ),
    Case(
        "bad_amount_with_total",
        "Ulæseligt beløb i en eksport med totallinje",
        _bad_amount_with_total,
        True,
        f"{XLSX_2020}:Data",
        'række 5: beløb "1.62845,08" er ikke et tal; uden den stemmer kontroltotalen i række 68 '
        "ikke (forskel 162.845,08 kr.)",
    ),
    Case(
        "misspelt_header",
        "Overskrift stavet forkert (Beløp DKK for Beløb DKK)",
        _misspelt_header,
        True,
        CSV_NO_TOTAL,
        'den har "Beløp DKK" – mente du Beløb DKK?',
    ),
    Case(
        "too_many_quarantined",
        "Flere rækker i karantæne end max_quarantined_rows (her 2)",
        _too_many,
        True,
        CSV_NO_TOTAL,
        "grænsen er 2",
        {"max_quarantined_rows": 2},
    ),
    Case(
        "mistyped_loebenummer",
        "Løbenummer med to cifre byttet om (XA-4411000102 for XA-4411000012) i to rækker",
        _mistyped_loebenummer,
        False,
        f"{CSV_NO_TOTAL}:6",
        "mente du XA-4411000012?",
        shown="console (check); findings.csv and unmatched.csv; Prefect UI: run log warning and "
        "the summary's Fund",
    ),
    Case(
        "unmatched_over_limit",
        "Ukendte løbenumre for mere end max_unmatched_amount (her 100.000 kr.)",
        _mistyped_loebenummer,
        True,
        f"{CSV_NO_TOTAL}:6",
        "mere end grænsen på 100.000,00 kr.",
        {"max_unmatched_amount": 100000},
    ),
    Case(
        "bad_amount",
        "Ulæseligt beløb (eksport uden totallinje)",
        _set_csv_cell(3, 2, "59.383,7x"),
        False,
        f"{CSV_NO_TOTAL}:3",
        'beløb "59.383,7x" er ikke et tal',
    ),
    Case(
        "bad_date",
        "Dato der ikke findes (31.02.2020)",
        _set_csv_cell(4, 0, "31.02.2020"),
        False,
        f"{CSV_NO_TOTAL}:4",
        'dato "31.02.2020" findes ikke',
    ),
    Case(
        "bad_loebenummer",
        "Misdannet løbenummer (XA-44110)",
        _set_csv_cell(5, 1, "XA-44110"),
        False,
        f"{CSV_NO_TOTAL}:5",
        "to bogstaver og ti cifre",
    ),
    Case(
        "register_bad_cell",
        "Ulæseligt beløb i register.xlsx (Bevillinger)",
        _register_bad_cell,
        False,
        "register.xlsx:Bevillinger!3",
        "mange penge",
    ),
    Case(
        "header_only",
        "Eksport med overskrifter men ingen posteringer",
        _header_only,
        False,
        "posteringer_dec_2020.csv",
        "0 posteringer – filen har overskrifter men ingen posteringsrækker",
    ),
    Case(
        "cut_in_last_line",
        "CSV-eksport afskåret inde i sidste linje (ingen totallinje)",
        _cut_in_last_line,
        False,
        f"{CSV_NO_TOTAL}:26",
        "sidste linje slutter uden linjeskift",
    ),
    Case(
        "same_export_twice",
        "Samme eksport to gange (to filer, samme indhold)",
        _same_export_twice,
        False,
        "posteringer_q4_2020 (1).csv",
        "talt én gang",
    ),
    Case(
        "posted_after_as_of",
        "Postering bogført efter opgørelsesdatoen (01.06.2099, 1 mio. kr.)",
        _posted_after_as_of,
        False,
        CSV_NO_TOTAL,
        "1 postering (1.000.000,00 kr.) er bogført efter opgørelsesdatoen 31.12.2020",
        shown="console (check); findings.csv, and the booking in later.csv; Prefect UI: run log",
    ),
    Case(
        "cjk_project_name",
        "Projektnavn på 90 kinesiske tegn (270 byte i UTF-8)",
        _cjk_project_name,
        False,
        "register.xlsx:Projekter!4",
        CJK_NAME,
        writes=f"anlaegsregnskab-{CJK_NAME[:55]}*.docx",
        shown=(
            "console (check) and findings.csv: only the name in the reminders' warning (C6); "
            "the run goes through and writes the project's bilag as "
            "anlaegsregnskab-<name cut to 200 bytes>.docx"
        ),
    ),
    Case(
        "two_formats",
        "Samme postering i to formater (xlsx med tal og Excel-dato; CSV med tekst)",
        _two_formats,
        False,
        "rettelser.csv",
        "talt én gang",
    ),
)


def make_case(case: Case, root: Path) -> tuple[Path, Path | None]:
    """The spoiled data folder, and a settings file when the case needs one."""
    data = example_copy(root / "data")
    case.make(data)
    config = None
    if case.settings:
        config = root / "kitflow.toml"
        config.write_text("".join(f"{k} = {v!r}\n" for k, v in case.settings.items()))
    return data, config


# --- running a case and the docs table ---------------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "bad-input.md"
TABLE_BEGIN = "<!-- table: made by scripts/bad_input_table.py from tests/bad_input_cases.py -->"
TABLE_END = "<!-- end of table -->"


def run_check(data: Path, config: Path | None = None) -> tuple[int, list[str]]:
    """`kitflow check --data DATA` as a user runs it: exit code and console lines."""
    from typer.testing import CliRunner

    from kitflow.cli import app

    args = ["check", "--data", str(data), "--as-of", AS_OF]
    if config is not None:
        args += ["--config", str(config)]
    result = CliRunner().invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output.splitlines()


def _format_line(line: str) -> str | None:
    """The file a line names the recognised format of (kitflow.formats), else None."""
    from kitflow.formats import FORMATS

    for fmt in FORMATS:
        if f": info: {fmt.name}" in line:
            return line.split(": info: ", 1)[0]
    return None


def answers(lines: list[str], baseline: list[str], data: Path) -> list[str]:
    """What a case adds to the check of the untouched example (the summary line aside).

    The format line of a file the example has too is left out: only its count changed.
    """
    seen = set(baseline)
    known = {_format_line(line) for line in baseline} - {None}
    return [
        line.replace(str(data), "<data>")
        for line in lines[:-1]
        if line not in seen
        and not line.startswith("kitflow check:")
        and _format_line(line) not in known
    ]


def _where_shown(case: Case) -> str:
    if case.shown:
        return case.shown
    if case.fatal:
        return (
            "console: `kitflow check` and `kitflow run` (stderr, `kitflow: …`); Prefect UI: the "
            "flow run fails with this message; no new output, the previous folder stays"
        )
    if "karantæne" in case.expect or case.name.startswith("bad_"):
        return "console (check); findings.csv and quarantined.csv; Prefect UI: run log warning"
    if case.name.startswith("register"):
        return "console (check); findings.csv; Prefect UI: run log warning"
    if case.name in ("header_only", "cut_in_last_line"):
        return "console (check); findings.csv; Prefect UI: run log warning and the summary's Fund"
    return "console (check); findings.csv and duplicates.csv; Prefect UI: run log"


def render_table(results: list[tuple[Case, int, list[str]]]) -> str:
    """The markdown table: bad input, what the user gets, exit code, where it shows."""
    out = [
        "| Bad input | What the user gets (`kitflow check`) | Exit | Where it shows |",
        "|---|---|---|---|",
    ]
    for case, code, got in results:
        shown = "<br>".join(f"`{line}`".replace("|", "\\|") for line in got)
        out.append(f"| {case.title} | {shown} | {code} | {_where_shown(case)} |")
    return "\n".join(out)


def run_all(root: Path) -> list[tuple[Case, int, list[str]]]:
    """Every case in its own folder under `root`, with its answer lines."""
    import tempfile

    base = example_copy(Path(tempfile.mkdtemp(dir=root)) / "data")
    _code, baseline = run_check(base)
    results = []
    for case in CASES:
        data, config = make_case(case, Path(tempfile.mkdtemp(dir=root)))
        code, lines = run_check(data, config)
        results.append((case, code, answers(lines, baseline, data)))
    return results


def doc_with_table(doc_text: str, table: str) -> str:
    """The doc with its table replaced by `table`."""
    head, rest = doc_text.split(TABLE_BEGIN, 1)
    _old, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_BEGIN}\n{table}\n{TABLE_END}{tail}"
