"""The real nightly flow on the shipped example data reproduces Bilag 4's overview table."""

import csv
import datetime as dt
import shutil
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kitflow.cli import app
from kitflow.core.money import round_half_away
from tests.conftest import EXAMPLE_DATA

pytestmark = pytest.mark.flow

# Bilag 4 (2020), Regnskab: (project, post) -> rådighedsbeløb, forbrug, afvigelse in 1.000 kr.
# and afvigelse i procent as B4 prints it (whole percent).
B4 = {
    "Automatisering af it-drift": (4483, 4472, 11, 0),
    "Automatisering af processer på it-sikkerhedsområdet": (2711, 2721, -10, 0),
    "ESDH-implementering": (7907, 7635, 272, 3),
    "Automatisering af support ved medarbejderhenvendelser om it-, finans- og personalesager": (
        4782,
        4808,
        -26,
        -1,
    ),
    "Styrkelse af IT-sikkerhed – AD": (10054, 10014, 40, 0),
    "Standardisering af PC-image": (6647, 2609, 4038, 61),
}
B4_TOTAL = (36584, 32259, 4325, 12)


def thousands(text: str) -> int:
    return int(round_half_away(Decimal(text) / 1000))


@pytest.fixture(scope="module")
def run(prefect_harness, tmp_path_factory):
    from flows.nightly import afstemning

    out = tmp_path_factory.mktemp("out")
    summary = afstemning(as_of=dt.date(2020, 12, 31), out_dir=str(out), send=False)
    return out / "2020-12-31", summary


def test_reconciliation_csv_reproduces_b4(run):
    folder, _ = run
    with (folder / "reconciliation.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_key = {(r["projekt"], r["loebenummer"], r["post"]): r for r in rows}
    for project, (r, f, a, pct) in B4.items():
        for post, expected in (
            ("Udgifter", (r, f, a)),
            ("Indtægter", (0, 0, 0)),
            ("Netto", (r, f, a)),
        ):
            row = by_key[(project, "", post)]
            got = tuple(thousands(row[k]) for k in ("raadighedsbeloeb", "forbrug", "afvigelse"))
            assert got == expected, (project, post)
        netto_pct = Decimal(by_key[(project, "", "Netto")]["afvigelse_pct"])
        assert int(round_half_away(netto_pct)) == pct, project
    total = by_key[("I alt", "", "Netto")]
    got = tuple(thousands(total[k]) for k in ("raadighedsbeloeb", "forbrug", "afvigelse"))
    assert (*got, int(round_half_away(Decimal(total["afvigelse_pct"])))) == B4_TOTAL
    # Per løbenummer rows exist for a project with two løbenumre, and add up to it.
    esdh = [
        by_key[("ESDH-implementering", n, "Udgifter")] for n in ("XA-0283000064", "XA-4411000009")
    ]
    assert sum(Decimal(r["forbrug"]) for r in esdh) == Decimal(
        by_key[("ESDH-implementering", "", "Udgifter")]["forbrug"]
    )


def test_oversigt_sheet_reproduces_b4(run):
    folder, _ = run
    ws = load_workbook(folder / "anlaegsregnskab.xlsx")["Oversigt"]
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(rows) == 19  # 6 projects x Udgifter/Indtægter/Netto, and I alt
    long_name = "Automatisering af processer på it-sikkerhedsområdet"
    short = {long_name: "Aut. af processer på it-sikkerhedsområdet"}
    for i, (project, (r, f, a, pct)) in enumerate(B4.items()):
        label, *values = rows[3 * i + 2]
        assert label == f"{short.get(project, project)} (Netto)"
        assert [int(round_half_away(Decimal(str(v)))) for v in values[:3]] == [r, f, a]
        assert round(values[3] * 100) == pct
    label, *values = rows[-1]
    assert label == "I alt"
    assert [int(round_half_away(Decimal(str(v)))) for v in values[:3]] == list(B4_TOTAL[:3])
    assert ws.cell(row=5, column=2).number_format == "#,##0"
    assert ws["A2"].value == (
        "Anlægsregnskaberne i denne oversigt har en samlet rådighedsbevilling på 36,6 mio. kr. og "
        "et samlet forbrug på 32,3 mio. kr. Det giver et samlet mindreforbrug på 4,3 mio. kr."
    )


def test_due_list_and_nothing_lost(run):
    folder, summary = run
    with (folder / "due.csv").open(encoding="utf-8") as fh:
        due = {r["projekt"]: r for r in csv.DictReader(fh)}
    assert due["Styrkelse af IT-sikkerhed – AD"]["status"] == "overskredet"
    assert due["Automatisering af it-drift"]["status"] == "forfalden"
    assert due["Styrkelse af IT-sikkerhed – IGA"]["status"] == "igangvaerende"
    assert due["Udskiftning af mødelokaleudstyr"]["aflaeggelse"] == "aarsregnskab"
    assert summary["projects_in_bilag"] == 6
    with (folder / "unmatched.csv").open(encoding="utf-8") as fh:
        unmatched = list(csv.DictReader(fh))
    assert {r["loebenummer"] for r in unmatched} == {"XA-9999000001"}
    assert all(r["fil"] and r["raekke"] for r in unmatched)
    assert summary["bookings_read"] == (
        summary["matched"] + summary["unmatched"] + summary["internal"] + summary["duplicates"]
    )
    assert summary["duplicates"] == 8


def test_what_a_person_reads_is_danish_and_one_sign_for_income(run):
    """reminders.csv has Danish headers like the other CSVs; income is negative in due.csv as in
    reconciliation.csv; the workbook's due list has real dates and Danish words, not codes."""
    folder, _ = run
    header = (folder / "reminders.csv").read_text(encoding="utf-8").splitlines()[0]
    assert (
        header == "regle,emne,modtager,rolle,milepael,tilstand,felt,forsoeg,sidste_fejl,message_id"
    )
    with (folder / "due.csv").open(encoding="utf-8") as fh:
        due = {r["projekt"]: r for r in csv.DictReader(fh)}
    with (folder / "reconciliation.csv").open(encoding="utf-8") as fh:
        income = {
            r["projekt"]: r["forbrug"]
            for r in csv.DictReader(fh)
            if r["loebenummer"] == "" and r["post"] == "Indtægter"
        }
    moede = "Udskiftning af mødelokaleudstyr"  # the example's income: 187.500,00 kr. of tilskud
    assert due[moede]["brutto_indtaegter"] == income[moede] == "-187500.00"
    ws = load_workbook(folder / "anlaegsregnskab.xlsx")["Forfaldne"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    ad = rows["Styrkelse af IT-sikkerhed – AD"]
    assert ad[3:7] == (
        dt.datetime(2017, 12, 1),
        dt.datetime(2017, 12, 31),
        "Særskilt regnskab",
        "Over fristen",
    )
    assert rows[moede][2] == -187500.0 and rows[moede][5] == "Med årsregnskabet"
    assert ws.cell(row=2, column=4).number_format == "dd.mm.yyyy"


def test_cli_run_replaces_the_folder_whole_and_says_what_it_did(
    run, prefect_harness, tmp_path, monkeypatch
):
    """`kitflow run` over an earlier run's folder (a copy: the module's run stays as it was)."""
    folder, _ = run
    out = tmp_path / "out"
    shutil.copytree(folder, out / "2020-12-31")
    (out / "2020-12-31" / "stale.txt").write_text("from an earlier run")
    monkeypatch.setenv("KITFLOW_STATE_DIR", str(tmp_path / "state"))
    # A data folder of its own: the example's has been served by the module run's ledger, and
    # a new ledger on it would (rightly) add a warning to the output.
    data = shutil.copytree(EXAMPLE_DATA, tmp_path / "data")
    result = CliRunner().invoke(
        app, ["run", "--data", str(data), "--out", str(out), "--as-of", "2020-12-31"]
    )
    assert result.exit_code == 0, result.output
    assert not (out / "2020-12-31" / "stale.txt").exists()
    assert (out / "2020-12-31" / "reconciliation.csv").exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    # The example's figures: 3 internal bookings (art 9xxx in eksport_interne_og_ukendte.csv),
    # B4's six projects, 21 reminders planned on 31.12.2020, which go to the outbox folder (the
    # shipped settings name no mail server).
    assert result.stdout.splitlines() == [
        f"Rapporterne er skrevet til {out / '2020-12-31'}",
        "271 posteringer læst (8 dubletter talt én gang), 2 ikke matchede, 3 interne, 0 i "
        "karantæne; 6 projekter skal aflægge særskilt anlægsregnskab, 3 er over fristen.",
        f"Påmindelser: 21 planlagt, 21 lagt i udbakken {tmp_path / 'state' / 'outbox'} (ingen "
        "mailserver sat op), 0 venter, 0 fejlet",
    ]
    assert len(list((tmp_path / "state" / "outbox").glob("*.eml"))) > 0


def test_cli_fatal_input_error_is_one_clear_line(prefect_harness, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    (data / "register.xlsx").unlink()
    result = CliRunner().invoke(
        app, ["run", "--data", str(data), "--out", str(tmp_path / "out"), "--as-of", "2020-12-31"]
    )
    assert result.exit_code == 2
    assert "kitflow: register.xlsx: filen findes ikke" in result.output
    assert not (tmp_path / "out" / "2020-12-31").exists()


def test_cli_control_total_mismatch_stops_with_file_and_row(prefect_harness, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    csv_path = data / "bookings" / "posteringer_q4_2020.csv"
    lines = csv_path.read_bytes().decode("cp1252").splitlines(keepends=True)
    del lines[2]  # a booking cut out of the export; its "Sum" line still counts it
    csv_path.write_bytes("".join(lines).encode("cp1252"))
    result = CliRunner().invoke(
        app, ["run", "--data", str(data), "--out", str(tmp_path / "out"), "--as-of", "2020-12-31"]
    )
    assert result.exit_code == 2
    assert "posteringer_q4_2020.csv:" in result.output and "kontroltotalen" in result.output
