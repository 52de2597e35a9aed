"""`kitflow template DIR`: a data folder made from its output alone (and one export) passes
`kitflow check` and a real nightly flow run; it never overwrites a file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kitflow.app.template import EXAMPLE_EXPORT, HELP_SHEET
from kitflow.cli import app
from kitflow.core.contract import ACQUISITIONS, REGISTER
from kitflow.core.contract.register import EXAMPLE_LOEBENUMMER, EXAMPLE_PROJECT

AS_OF = "2020-12-31"
# Written in the test, as a finance system exports: a title line, its own header names.
EXPORT = f"""Projektposteringer 2020
Posteringsdato;PSP-element;Beløb (DKK);Artskonto;Bilagsnr.;Linjenr.;Posteringstekst
03.02.2020;{EXAMPLE_LOEBENUMMER}-01;1.200.000,00;4000;3000000001;1;Konsulentbistand
14.05.2020;{EXAMPLE_LOEBENUMMER};1.234,56-;7000;3000000002;1;Tilbagebetaling
I alt;;1.198.765,44;;;;
"""


def template(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["template", str(folder)])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("skabelon") / "data"
    code, output = template(folder)
    assert code == 0, output
    (folder / "bookings" / "posteringer.csv").write_text(EXPORT, encoding="cp1252")
    return folder


def test_it_writes_the_registers_an_empty_bookings_folder_and_an_example(data):
    assert sorted(p.name for p in data.iterdir()) == sorted(
        ["register.xlsx", "acquisitions.xlsx", "bookings", EXAMPLE_EXPORT]
    )
    assert [p.name for p in (data / "bookings").iterdir()] == ["posteringer.csv"]  # the test's


@pytest.mark.parametrize("spec", [REGISTER, ACQUISITIONS], ids=lambda s: s.path)
def test_every_sheet_has_its_header_an_example_and_a_line_of_help(data, spec):
    wb = load_workbook(data / spec.path)
    assert wb.sheetnames == [*(s.name for s in spec.sheets), HELP_SHEET]
    helped = {(r[0], r[2]): r for r in wb[HELP_SHEET].iter_rows(values_only=True)}
    for sheet in spec.sheets:
        rows = list(wb[sheet.name].iter_rows(values_only=True))
        assert rows[0] == tuple(c.written for c in sheet.columns)
        assert len(rows) == 2 and any(v is not None for v in rows[1])
        for column in sheet.columns:
            line = helped[(sheet.name, column.written)]
            assert line[4] == ("ja" if column.required else "nej")
            assert line[6] == column.hjaelp and line[6]


def test_kitflow_check_passes_the_folder(data):
    result = CliRunner().invoke(app, ["check", "--data", str(data), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "posteringer.csv: info: CSV, 2 posteringer",
        "kitflow check: 3 filer læst; 0 stopper kørslen, 0 fejl, 0 advarsler, 0 til orientering "
        "– en kørsel vil gå igennem",
    ]


@pytest.mark.flow
def test_a_nightly_run_writes_the_reports(prefect_harness, data, tmp_path):
    from flows.nightly import afstemning

    summary = afstemning(
        as_of=dt.date.fromisoformat(AS_OF), data_dir=str(data), out_dir=str(tmp_path), send=False
    )
    folder = tmp_path / AS_OF
    assert Path(summary["output"]) == folder
    for name in ("reconciliation.csv", "due.csv", "anlaegsregnskab.xlsx", "reminders.csv"):
        assert (folder / name).is_file(), name
    with (folder / "reconciliation.csv").open(encoding="utf-8") as fh:
        rows = {(r["projekt"], r["loebenummer"], r["post"]): r for r in csv.DictReader(fh)}
    netto = rows[(EXAMPLE_PROJECT, "", "Netto")]
    assert (netto["raadighedsbeloeb"], netto["forbrug"]) == ("2500000.00", "1198765.44")
    with (folder / "due.csv").open(encoding="utf-8") as fh:
        (due,) = csv.DictReader(fh)
    assert (due["projekt"], due["status"], due["aflaeggelse"]) == (
        EXAMPLE_PROJECT,
        "forfalden",
        "aarsregnskab",
    )
    assert summary["bookings_read"] == 2 and summary["unmatched"] == 0


def test_it_overwrites_nothing(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    mine = folder / "acquisitions.xlsx"
    mine.write_bytes(b"controllerens egen fil")
    code, output = template(folder)
    assert code == 2
    assert output == (
        f"kitflow: {mine}: findes allerede; kitflow template overskriver ingen filer – "
        "vælg en tom mappe\n"
    )
    assert mine.read_bytes() == b"controllerens egen fil"
    assert sorted(p.name for p in folder.iterdir()) == ["acquisitions.xlsx"]  # nothing written
