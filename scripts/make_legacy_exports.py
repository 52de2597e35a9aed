"""Make the legacy-format export fixtures: tests/fixtures/eksport.{xlsx,xls,xlsm}.

The workbook is written here with openpyxl (eksport.xlsx); LibreOffice converts it to a real
Excel 97-2003 workbook (BIFF8, .xls) and to a macro-enabled workbook (.xlsm), as a finance
system or a colleague's Excel saves them. The three files are committed, so the tests need no
LibreOffice; run this again only to change the rows (tests/test_legacy_formats.py holds the
bookings they must give, and checks the committed .xlsx against `write_xlsx`).

Needs LibreOffice Calc: apt-get install libreoffice-calc-nogui. Run:
.venv/bin/python scripts/make_legacy_exports.py
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FIXED_TIME = dt.datetime(2020, 12, 31, 2, 0, 0)

TITLE = "Projektposteringer nov.-dec. 2020"
HEADER = ("Bogføringsdato", "Løbenummer", "Beløb", "Art", "Bilagsnummer", "Linje", "Tekst")
# Number cells as a finance system writes them, one amount and one art as text, and a total.
ROWS = (
    (dt.datetime(2020, 11, 2), "XA-4411000006", 12345.67, 4000, 5000000001, 1, "Konsulentbistand"),
    (dt.datetime(2020, 11, 15), "XA-0285000114", -2500.5, 7100, 5000000002, 1, "Tilskud"),
    (dt.datetime(2020, 12, 1), "XA4411000012", "1.234,56", "4000", 5000000003, 2, "Licenser – æøå"),
    (dt.datetime(2020, 12, 31), "XA-4411000012", 0.1, 9100, 5000000004, 1, "Intern afregning"),
    (dt.datetime(2020, 12, 31), "XA-0283000064", 1000000, 4000, 5000000005, 1, "Hardware"),
)
TOTAL = ("I alt", None, 1011079.83)


def write_xlsx(path: Path) -> Path:
    """The export as openpyxl writes it: a title, a blank row, the header, bookings, a total."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Posteringer"
    ws.append([TITLE])
    ws.append([])
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    ws.append(TOTAL)
    for cell in ws["A"][3:]:
        cell.number_format = "DD.MM.YYYY"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.save(path)
    return path


def convert(source: Path, target_format: str, folder: Path) -> Path:
    """`source` converted by LibreOffice headless into `folder` (its own profile, no UI)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice is needed: apt-get install libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                target_format,
                "--outdir",
                str(folder),
                str(source),
            ],
            check=True,
            capture_output=True,
        )
    suffix = target_format.split(":", 1)[0]
    return folder / f"{source.stem}.{suffix}"


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    xlsx = write_xlsx(FIXTURES / "eksport.xlsx")
    with tempfile.TemporaryDirectory() as out:
        for target in ("xls:MS Excel 97", "xlsm:Calc MS Excel 2007 VBA XML"):
            made = convert(xlsx, target, Path(out))
            shutil.copy(made, FIXTURES / made.name)
            print(f"wrote {(FIXTURES / made.name).relative_to(ROOT)}")
    print(f"wrote {xlsx.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
