"""The exports as they leave SAP GUI reconcile to the øre of the same bookings as .xlsx."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sap_exports import (
    example_postings,
    html_xls,
    list_lines,
    spool_bytes,
    spool_lines,
    tab_xls_lines,
    write_xlsx,
)

from kitflow.app.check import check_data
from kitflow.app.inputs import combine_exports, export_paths, load_register, parse_export
from kitflow.app.settings import bookings_options, thresholds
from kitflow.core.accounts import make_report
from kitflow.core.bookings import BookingsOptions, header_finder
from kitflow.formats import read_export, recognise
from kitflow.readers import booking_files
from tests.conftest import EXAMPLE_DATA

AS_OF = dt.date(2020, 12, 31)
POSTINGS = example_postings(EXAMPLE_DATA)
DOCS = Path(__file__).resolve().parent.parent / "docs" / "formats"


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    data = root / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    shutil.rmtree(data / "bookings")
    (data / "bookings").mkdir()
    for name, content in files.items():
        (data / "bookings" / name).write_bytes(content)
    return data


def _figures(data: Path):
    """Every project's and løbenummer's figures in øre, the bookings counted and the unmatched."""
    from config.settings import Settings

    settings = Settings(data_dir=data)
    register, register_file = load_register(data / "register.xlsx")
    results = [parse_export(p, bookings_options(settings)) for p in export_paths(data)]
    combined = combine_exports(results)
    report = make_report(
        AS_OF,
        register,
        combined,
        [register_file, *(i for _p, i in results)],
        thresholds(settings),
    )
    projects = [
        (p.project, p.figures, [(lb.figures) for lb in p.loebenumre]) for p in report.projects
    ]
    frame = combined.bookings
    keyed = sorted(
        zip(
            frame["loebenummer"],
            frame["posting_date"].astype(str),
            frame["document_number"],
            frame["line"],
            frame["amount_ore"],
            frame["kind"],
            frame["text"],
            strict=True,
        )
    )
    return projects, keyed, len(combined.quarantined)


@pytest.fixture(scope="module")
def as_xlsx(tmp_path_factory):
    root = tmp_path_factory.mktemp("xlsx")
    data = _folder(root, {})
    write_xlsx(POSTINGS, data / "bookings" / "alle.xlsx")
    return _figures(data)


FORMATS = {
    "spool_cp1252": ("cji3.txt", lambda: spool_bytes(spool_lines(POSTINGS, sections=3))),
    "spool_utf8": ("cji3.txt", lambda: spool_bytes(spool_lines(POSTINGS), "utf-8-sig")),
    "spool_utf16": ("cji3.txt", lambda: spool_bytes(spool_lines(POSTINGS), "utf-16")),
    "sap_list": ("cji3_liste.txt", lambda: spool_bytes(list_lines(POSTINGS), "cp1252")),
    "html_xls": ("cji3.xls", lambda: html_xls(POSTINGS).encode("utf-8")),
    "tab_xls": ("ksb1.xls", lambda: spool_bytes(tab_xls_lines(POSTINGS))),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_reconciles_to_the_ore_of_the_xlsx(fmt, as_xlsx, tmp_path):
    name, make = FORMATS[fmt]
    got = _figures(_folder(tmp_path, {name: make()}))
    assert got[2] == 0  # nothing quarantined
    assert len(got[1]) == len(POSTINGS) == len(as_xlsx[1])
    # Same bookings (kind from the cost element's first digit as from the art), same figures.
    assert got[1] == as_xlsx[1]
    assert got[0] == as_xlsx[0]


def test_overlapping_spools_count_each_booking_once(as_xlsx, tmp_path):
    first, second = POSTINGS[: len(POSTINGS) * 2 // 3], POSTINGS[len(POSTINGS) // 3 :]
    data = _folder(
        tmp_path,
        {
            "cji3_2017-2019.txt": spool_bytes(spool_lines(first)),
            "cji3_2019-2020.txt": spool_bytes(spool_lines(second, sections=1)),
        },
    )
    got = _figures(data)
    assert got[1] == as_xlsx[1] and got[0] == as_xlsx[0]


def test_the_check_names_the_format_and_the_column_used(tmp_path):
    data = _folder(tmp_path, {"cji3.txt": spool_bytes(spool_lines(POSTINGS, sections=2))})
    from config.settings import Settings

    result = check_data(data, Settings(data_dir=data), AS_OF)
    lines = [str(line) for line in result.lines]
    assert f"cji3.txt: info: SAP-spool (tabulator), 2 sektioner, {len(POSTINGS)} posteringer" in (
        lines
    )
    assert (
        "cji3.txt: info: løbenummeret er læst fra kolonnen PSP-element (den med WBS-suffiks, "
        "fx XA-4411000006-01); Objekt, Projektdefinition er ikke brugt"
    ) in lines
    assert result.ok


def test_a_txt_export_is_found_in_the_folder(tmp_path):
    (tmp_path / "cji3.txt").write_bytes(spool_bytes(spool_lines(POSTINGS[:3])))
    assert booking_files(tmp_path) == [tmp_path / "cji3.txt"]


def test_sniffing_goes_by_content_not_the_name(tmp_path):
    spool = tmp_path / "eksport.xls"
    spool.write_bytes(spool_bytes(spool_lines(POSTINGS[:4])))
    assert recognise(spool).name == "SAP-spool (tabulator)"
    plain = tmp_path / "eksport.txt"
    plain.write_text("Bogføringsdato;Løbenummer;Beløb;Bilagsnummer\r\n", encoding="utf-8")
    assert recognise(plain).name == "CSV"


def test_the_cost_elements_first_digits_are_the_art_by_a_setting(tmp_path):
    from dataclasses import replace

    from kitflow.core.bookings import parse_bookings

    two = [replace(POSTINGS[0], art="2200", bilag="1"), replace(POSTINGS[1], art="9100", bilag="2")]
    path = tmp_path / "cji3.txt"
    path.write_bytes(spool_bytes(spool_lines(two, sections=1)))
    for digits, arts in ((2, ["2.2", "9.1"]), (1, ["2", "9"])):
        options = BookingsOptions(cost_element_digits=digits)
        sheet = parse_bookings(read_export(path, header_finder(options)).sheets[0], options)
        assert list(sheet.bookings["art"]) == arts
        assert list(sheet.bookings["kind"]) == ["udgift", "intern"]


SAMPLES = sorted(p.name for p in DOCS.glob("*") if p.is_file() and p.suffix != ".md")


def test_every_format_has_a_sample():
    from kitflow.formats import FORMATS

    named = {recognise(DOCS / name).name for name in SAMPLES}
    assert named == {f.name for f in FORMATS} - {"Excel-regneark", "CSV"}


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_samples_in_the_docs_are_read(sample):
    parsed, info = parse_export(DOCS / sample, BookingsOptions())
    assert info.bookings == 3
    assert all(not p.quarantined.size for p in parsed)


def test_a_star_line_is_a_subtotal_checked_against_its_object(tmp_path):
    from sap_exports import SAMPLE

    from kitflow.core.findings import Severity

    lines = spool_lines(SAMPLE, sections=1)
    star = next(i for i, line in enumerate(lines) if line.startswith("*\t"))
    lines[star] = lines[star].replace("15.250,25", "15.250,00")
    path = tmp_path / "cji3.txt"
    path.write_bytes(spool_bytes(lines))
    (parsed,), info = parse_export(path, BookingsOptions())
    assert info.bookings == 3 and parsed.control.control_total_ore == 15_250_25
    warnings = [f for f in parsed.findings if f.severity is Severity.WARNING]
    assert [(f.location.row, f.code) for f in warnings] == [(star + 1, "booking.subtotal")]
    assert "subtotal 15.250,00 kr. stemmer ikke med posteringerne over den 15.250,25 kr." in (
        warnings[0].message
    )
