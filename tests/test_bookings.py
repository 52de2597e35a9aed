"""Bookings exports: each untidy trait of the data contract, on small inline data."""

import datetime as dt

import pytest
from openpyxl import Workbook

from kitflow.core.bookings import BookingsOptions, header_finder, parse_bookings
from kitflow.core.combine import combine
from kitflow.core.findings import FatalInputError, Severity
from kitflow.core.sheets import ColumnSheet, RawSheet
from kitflow.readers import read_csv, read_export, read_workbook

HEADER = ["Bogføringsdato", "Løbenummer", "Beløb", "Art", "Bilagsnummer", "Linje", "Tekst"]


def booking(doc, amount, project="XA-4411000006", art="4000", line=1, date="2020-03-01"):
    return [date, project, amount, art, doc, line, "tekst"]


def sheet(*rows, name="eksport.xlsx", sheet_name="Posteringer"):
    return RawSheet(name, sheet_name, [list(r) for r in rows])


def test_title_lines_and_blank_line_above_the_header():
    parsed = parse_bookings(
        sheet(["Projektposteringer"], ["Udskrevet 23.11.2026 02:00"], [], HEADER, booking(1, 10))
    )
    assert parsed.control.header_row == 4
    assert parsed.bookings["row"].tolist() == [5]
    assert parsed.bookings["amount_ore"].tolist() == [1000]


@pytest.mark.parametrize(
    "header",
    [
        ["  bogføringsdato:", "LØBENUMMER", "beløb ", "art", "BILAGSNUMMER", "linje", "tekst"],
        [
            "Posteringsdato",
            "PSP-element",
            "Beløb (DKK)",
            "Artskonto",
            "Bilagsnr.",
            "Linjenr.",
            "Posteringstekst",
        ],
        [
            "Bogf.dato",
            "WBS-element",
            "Beløb i DKK",
            "Kontoart",
            "Dokumentnummer",
            "Position",
            "Tekst",
        ],
        ["Dato", "Projektdefinition", "Beløb DKK", "Art", "Bilag", "Linje", "Tekst"],
    ],
)
def test_header_variants_and_aliases(header):
    parsed = parse_bookings(sheet(header, booking(1, "1.234,56-")))
    assert parsed.bookings["amount_ore"].tolist() == [-123456]
    assert parsed.bookings["loebenummer"].tolist() == ["XA-4411000006"]


def test_extra_aliases_from_settings():
    header = ["Dato", "Projekt nr", "Beløb", "Bilag"]
    with pytest.raises(FatalInputError):
        parse_bookings(sheet(header, ["2020-01-01", "XA4411000006", 1, 7]))
    options = BookingsOptions(extra_aliases={"project_number": ["Projekt nr"]})
    parsed = parse_bookings(sheet(header, ["2020-01-01", "XA4411000006", 1, 7]), options)
    assert len(parsed.bookings) == 1


def test_missing_required_column_names_file_and_column():
    with pytest.raises(FatalInputError) as err:
        parse_bookings(sheet(["Bogføringsdato", "Løbenummer", "Beløb", "Tekst"], booking(1, 1)))
    assert "eksport.xlsx:Posteringer" in str(err.value)
    assert "Bilagsnummer" in str(err.value)


def test_wbs_suffixes_and_missing_dash_roll_up():
    parsed = parse_bookings(
        sheet(HEADER, booking(1, 1, project="XA4411000006"), booking(2, 2, "XA-4411000006-01"))
    )
    assert set(parsed.bookings["loebenummer"]) == {"XA-4411000006"}
    assert parsed.bookings["project_raw"].tolist() == ["XA4411000006", "XA-4411000006-01"]


def test_date_forms_in_one_column():
    parsed = parse_bookings(
        sheet(
            HEADER,
            booking(1, 1, date=dt.datetime(2020, 3, 1)),
            booking(2, 1, date="01.03.2020"),
            booking(3, 1, date="2020-03-01"),
        )
    )
    assert parsed.bookings["posting_date"].astype(str).tolist() == ["2020-03-01"] * 3


def test_subtotals_and_grand_total_are_control_lines_not_bookings():
    parsed = parse_bookings(
        sheet(
            HEADER,
            booking(1, 100),
            booking(2, "50,50"),
            [None, None, 150.5, None, None, None, "I alt"],
            booking(3, 10, project="XA-4411000116"),
            [None, None, 10, None, None, None, "Sum"],
            ["Total", None, "160,50", None, None, None, None],
        )
    )
    assert len(parsed.bookings) == 3
    assert parsed.control.total_lines == 3
    assert parsed.control.control_total_ore == 16050
    assert not [f for f in parsed.findings if f.code == "booking.subtotal"]


def test_a_grand_total_that_does_not_match_stops_the_run():
    with pytest.raises(FatalInputError) as err:
        parse_bookings(
            sheet(HEADER, booking(1, 100), booking(2, 50), ["Total", None, 200, None, None])
        )
    message = str(err.value)
    assert "eksport.xlsx:Posteringer!4" in message and "kontroltotalen" in message
    assert "-50,00 kr." not in message and "50,00 kr." in message


def test_subtotal_mismatch_is_a_warning_with_its_row():
    parsed = parse_bookings(
        sheet(
            HEADER,
            booking(1, 100),
            [None, None, 90, None, None, None, "I alt"],
            booking(2, 5),
            ["Total", None, 105, None, None],
        )
    )
    (warning,) = [f for f in parsed.findings if f.code == "booking.subtotal"]
    assert str(warning.location) == "eksport.xlsx:Posteringer!3"


def test_bad_cells_quarantine_the_row_with_its_location():
    parsed = parse_bookings(
        sheet(HEADER, booking(1, 100), booking(2, "12,3,4"), booking(3, 5, project="X-1"))
    )
    assert parsed.bookings["document_number"].tolist() == ["1"]
    assert parsed.quarantined["row"].tolist() == [3, 4]
    assert parsed.quarantined["amount"].tolist() == ["12,3,4", "5"]
    messages = [str(f) for f in parsed.findings if f.code == "booking.cell"]
    assert messages[0].startswith('eksport.xlsx:Posteringer!3: beløb "12,3,4" er ikke et tal')
    assert messages[1].startswith("eksport.xlsx:Posteringer!4: løbenummer")


def test_art_decides_kind_and_without_art_the_sign_does():
    parsed = parse_bookings(
        sheet(
            HEADER,
            booking(1, 100, art="4000"),
            booking(2, -100, art="7100"),
            booking(3, 5, art="9100"),
            booking(4, -3, art=None),
        )
    )
    assert parsed.bookings["kind"].tolist() == ["udgift", "indtaegt", "intern", "indtaegt"]
    assert any(f.code == "booking.no_art" for f in parsed.findings)


def test_overlapping_exports_count_a_booking_once():
    last_month = parse_bookings(sheet(HEADER, booking(1, 100), booking(2, 50), name="okt.xlsx"))
    this_month = parse_bookings(
        sheet(HEADER, booking(2, "50,00"), booking(3, 7), name="nov.csv", sheet_name=None)
    )
    combined = combine([last_month, this_month])
    assert sorted(combined.bookings["document_number"]) == ["1", "2", "3"]
    assert combined.duplicates["file"].tolist() == ["nov.csv"]
    assert combined.read_count == 4
    assert any("talt én gang" in f.message for f in combined.findings)


def test_identical_lines_within_one_export_are_two_bookings():
    no_line = ["Bogføringsdato", "Løbenummer", "Beløb", "Bilagsnummer"]
    row = ["2020-01-01", "XA-4411000006", 10, 77]
    one = parse_bookings(sheet(no_line, row, row, name="a.xlsx"))
    other = parse_bookings(sheet(no_line, row, row, row, name="b.xlsx"))
    combined = combine([one, other])
    # a.xlsx holds two; b.xlsx holds three, two of them the same as a.xlsx's.
    assert len(combined.bookings) == 3
    assert len(combined.duplicates) == 2


def test_same_identity_with_other_content_is_a_warning():
    a = parse_bookings(sheet(HEADER, booking(1, 100), name="a.xlsx"))
    b = parse_bookings(sheet(HEADER, booking(1, 999), name="b.xlsx"))
    combined = combine([a, b])
    assert combined.bookings["amount_ore"].tolist() == [10000]
    assert any(f.code == "booking.duplicate_differs" for f in combined.findings)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_semicolon_csv_in_utf8_or_windows_1252(tmp_path, encoding):
    text = (
        "Posteringer fra økonomisystemet\n"
        "Bogføringsdato;Løbenummer;Beløb;Art;Bilagsnummer;Linje;Tekst\n"
        "01.03.2020;XA4411000006;1.234,56;4000;10;1;Konsulentbistand – møde\n"
        "2020-03-02;XA-4411000006-01;-34,56;4000;11;1;Kreditnota\n"
        "I alt;;1.200,00;;;;\n"
    )
    path = tmp_path / "eksport.csv"
    path.write_bytes(text.encode(encoding))
    parsed = parse_bookings(read_csv(path))
    assert parsed.bookings["amount_ore"].tolist() == [123456, -3456]
    assert parsed.bookings["text"].tolist()[0] == "Konsulentbistand – møde"
    assert parsed.control.control_total_ore == 120000
    assert parsed.bookings["row"].tolist() == [3, 4]


def test_xlsx_rows_are_numbered_as_excel_shows_them(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["C3"] = "Bogføringsdato"  # the table starts at C3, not A1
    for col, value in zip("DEF", ("Løbenummer", "Beløb", "Bilagsnummer"), strict=True):
        ws[f"{col}3"] = value
    ws["C4"], ws["D4"], ws["E4"], ws["F4"] = dt.date(2020, 1, 2), "XA4411000006", "x", 5
    path = tmp_path / "eksport.xlsx"
    wb.save(path)
    parsed = parse_bookings(read_workbook(path)["Data"])
    assert parsed.quarantined["row"].tolist() == [4]
    assert str(parsed.findings[0].location) == "eksport.xlsx:Data!4"


@pytest.mark.parametrize("line", [1, None])
def test_a_booking_in_an_xlsx_and_in_a_csv_is_counted_once(tmp_path, line):
    # The xlsx is read column-wise (fastexcel, typed columns), the CSV as rows of text: the
    # same booking must be recognised whatever the reader made of its cells.
    header = HEADER if line else [h for h in HEADER if h != "Linje"]
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    first = [dt.datetime(2020, 3, 1), "XA-4411000006", 1234.5, 4000, 77, line, "Licens"]
    other = [dt.datetime(2020, 3, 2), "XA-4411000006", 10, 4000, 78, line, "Andet"]
    for row in (first, other):
        ws.append([v for h, v in zip(HEADER, row, strict=True) if h in header])
    wb.save(tmp_path / "a.xlsx")
    csv_row = ["01.03.2020", "XA4411000006", "1.234,50", "4000", "77", "1", "Licens"]
    text = (
        ";".join(header)
        + "\n"
        + ";".join(v for h, v in zip(HEADER, csv_row, strict=True) if h in header)
    )
    (tmp_path / "b.csv").write_text(text + "\n", encoding="utf-8")
    sheets = read_export(tmp_path / "a.xlsx", header_finder())
    assert isinstance(sheets[0], ColumnSheet)
    combined = combine([parse_bookings(sheets[0]), parse_bookings(read_csv(tmp_path / "b.csv"))])
    assert combined.bookings["document_number"].tolist() == ["77", "78"]
    assert combined.duplicates["file"].tolist() == ["b.csv"]


# --- an export that holds nothing, or was cut off ---------------------------------------------

NO_BOOKINGS = (
    "0 posteringer – {} har overskrifter men ingen posteringsrækker; hent eksporten igen, hvis "
    "den skulle have haft posteringer"
)


def test_a_csv_with_a_header_and_no_bookings_says_so(tmp_path):
    from kitflow.app.inputs import parse_export

    path = tmp_path / "eksport.csv"
    path.write_text(
        "Bogføringsdato;Løbenummer;Beløb;Art;Bilagsnummer\r\n;;;;\r\n", encoding="utf-8"
    )
    (parsed,), info = parse_export(path, BookingsOptions())
    assert parsed.bookings.empty and info.sheets[0].bookings == 0
    assert [(f.severity, str(f), f.code) for f in parsed.findings] == [
        (
            Severity.WARNING,
            "eksport.csv: " + NO_BOOKINGS.format("filen"),
            "booking.no_bookings",
        )
    ]
    # A booking under the header, and the export says nothing.
    path.write_text(
        "Bogføringsdato;Løbenummer;Beløb;Art;Bilagsnummer\r\n01.03.2020;XA4411000006;1,00;4000;7\r\n",
        encoding="utf-8",
    )
    (parsed,), _info = parse_export(path, BookingsOptions())
    assert len(parsed.bookings) == 1 and parsed.findings == ()


def test_a_sheet_with_a_header_and_only_a_total_line_is_named(tmp_path):
    from kitflow.app.inputs import parse_export

    wb = Workbook()
    full = wb.active
    full.title = "Januar"
    full.append(HEADER)
    full.append([dt.datetime(2020, 1, 2), "XA-4411000006", 12.5, 4000, 1, 1, "Licens"])
    empty = wb.create_sheet("Februar")
    empty.append(HEADER)
    empty.append(["I alt", None, 0])
    wb.save(tmp_path / "eksport.xlsx")
    januar, februar = parse_export(tmp_path / "eksport.xlsx", BookingsOptions())[0]
    assert januar.bookings["amount_ore"].tolist() == [1250] and januar.findings == ()
    assert februar.bookings.empty
    assert [str(f) for f in februar.findings] == [
        "eksport.xlsx:Februar: " + NO_BOOKINGS.format("arket")
    ]


def test_a_csv_cut_off_inside_its_last_line_is_said_with_the_row(tmp_path):
    from kitflow.app.inputs import parse_export

    whole = (
        "Bogføringsdato;Løbenummer;Art;Bilagsnummer;Beløb\r\n"
        "01.03.2020;XA4411000006;4000;10;1.234,56\r\n"
        "02.03.2020;XA4411000006;4000;11;131.289,33\r\n"
    )
    path = tmp_path / "eksport.csv"
    path.write_text(whole, encoding="utf-8")
    (parsed,), _info = parse_export(path, BookingsOptions())
    assert parsed.bookings["amount_ore"].tolist() == [123456, 13128933] and not parsed.findings
    # Cut inside the last amount: the row still parses, to another amount.
    path.write_text(whole[: whole.rindex("89,33")], encoding="utf-8")
    (parsed,), _info = parse_export(path, BookingsOptions())
    assert parsed.bookings["amount_ore"].tolist() == [123456, 13120]
    assert [(f.severity, str(f), f.code) for f in parsed.findings] == [
        (
            Severity.WARNING,
            "eksport.csv:3: sidste linje slutter uden linjeskift – filen kan være afskåret midt "
            "i en postering; tjek rækken mod økonomisystemet, eller hent eksporten igen",
            "booking.cut_off",
        )
    ]
