"""The Word bilag on the example data carries Bilag 4's figures, sections and wording."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from docx import Document
from openpyxl import load_workbook

from config.settings import Settings
from kitflow.app.inputs import combine_exports, load_register, parse_export
from kitflow.app.settings import thresholds
from kitflow.core.accounts import Report, make_report
from kitflow.core.bookings import BookingsOptions
from kitflow.readers import booking_files
from reports.bilag import MISSING, TEMPLATE, bilag_context, render_bilag, write_bilag
from reports.workbook import write_workbook
from tests.conftest import EXAMPLE_DATA

# Bilag 4 (2020), Regnskab: (kort navn) -> rådighedsbeløb, forbrug, afvigelse (1.000 kr.), pct.
B4 = {
    "Automatisering af it-drift": ("4.483", "4.472", "11", "0"),
    "Aut. af processer på it-sikkerhedsområdet": ("2.711", "2.721", "-10", "0"),
    "ESDH-implementering": ("7.907", "7.635", "272", "3"),
    "Automatisering af support ved medarbejderhenvendelser om it-, finans- og personalesager": (
        "4.782",
        "4.808",
        "-26",
        "-1",
    ),
    "Styrkelse af IT-sikkerhed – AD": ("10.054", "10.014", "40", "0"),
    "Standardisering af PC-image": ("6.647", "2.609", "4.038", "61"),
}
PROJECTS = (
    "Automatisering af it-drift",
    "Automatisering af processer på it-sikkerhedsområdet",
    "ESDH-implementering",
    "Automatisering af support ved medarbejderhenvendelser om it-, finans- og personalesager",
    "Styrkelse af IT-sikkerhed – AD",
    "Standardisering af PC-image",
)
NOT_DUE = ("Styrkelse af IT-sikkerhed – IGA", "Udskiftning af mødelokaleudstyr")
PCT = "%"  # B4 prints 3,4% and 61%: no space before the sign


def example_report(settings: Settings | None = None) -> Report:
    """The example data's report for 2020, under the given (or default) settings."""
    settings = settings or Settings()
    register, register_file = load_register(EXAMPLE_DATA / "register.xlsx")
    results = [
        parse_export(path, BookingsOptions()) for path in booking_files(EXAMPLE_DATA / "bookings")
    ]
    return make_report(
        dt.date(2020, 12, 31),
        register,
        combine_exports(results),
        [register_file, *(info for _parsed, info in results)],
        thresholds(settings),
    )


@pytest.fixture(scope="module")
def report() -> Report:
    return example_report()


@pytest.fixture(scope="module")
def rendered(report, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bilag")
    write_bilag(report, folder)
    return folder


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs]


def rows(path: Path) -> list[list[str]]:
    return [[c.text for c in row.cells] for t in Document(str(path)).tables for row in t.rows]


def sections(path: Path) -> dict[str, list[str]]:
    """Each project heading (Heading 1 after the title) with the paragraphs under it."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for i, p in enumerate(Document(str(path)).paragraphs):
        if p.style.name == "Heading 1" and i > 0:
            current = found.setdefault(p.text, [])
        elif current is not None:
            current.append(p.text)
    return found


def test_overview_table_carries_every_b4_figure(rendered):
    table = {r[0]: r[1:] for r in rows(rendered / "anlaegsregnskab.docx")}
    for name, (r, f, a, pct) in B4.items():
        assert table[f"{name} (Udgifter)"] == [r, f, a, pct + PCT], name
        assert table[f"{name} (Indtægter)"] == ["0", "0", "0", "0" + PCT], name
        assert table[f"{name} (Netto)"] == [r, f, a, pct + PCT], name
    assert table["I alt"] == ["36.584", "32.259", "4.325", "12" + PCT]


def test_resultat_and_project_list(rendered):
    text = paragraphs(rendered / "anlaegsregnskab.docx")
    assert text[0] == "Bilag 4. Koncern IT - aflæggelse af anlægsregnskaber"
    assert any("på eller over 2,0 mio. kr." in p for p in text)
    assert (
        "Anlægsregnskaberne i denne oversigt har en samlet rådighedsbevilling på 36,6 mio. kr. og "
        "et samlet forbrug på 32,3 mio. kr. Det giver et samlet mindreforbrug på 4,3 mio. kr."
    ) in text
    start = text.index("Projekter") + 1
    assert tuple(text[start : start + 6]) == PROJECTS


def test_a_section_per_due_project_and_none_for_others(rendered, report):
    found = sections(rendered / "anlaegsregnskab.docx")
    assert tuple(found) == PROJECTS
    pc_image = next(a for a in report.overview if a.project.projekt == PROJECTS[-1])
    explanation = pc_image.project.afvigelsesforklaring.strip()
    for name, body in found.items():
        if name == "Standardisering af PC-image":
            # The register's explanation, whole, as the paragraphs under its heading.
            wanted = [" ".join(part.split()) for part in re.split(r"\n\s*\n", explanation)]
            start = body.index("Afvigelsesforklaringer") + 1
            assert body[start : start + len(wanted)] == wanted, name
            assert "Ingen bemærkninger, da afvigelsen er under 5 pct." not in body
        else:
            assert "Ingen bemærkninger, da afvigelsen er under 5 pct." in body, name
        assert "Bevilling: 3191, Koncern IT, anlæg" in body
        assert not any(MISSING in p for p in body)
    everything = "\n".join(paragraphs(rendered / "anlaegsregnskab.docx"))
    cells = "\n".join("\t".join(r) for r in rows(rendered / "anlaegsregnskab.docx"))
    for name in NOT_DUE:
        assert name not in everything and name not in cells
    esdh = found["ESDH-implementering"]
    assert "XA-0283000064 ESDH Implementering" in esdh
    assert "Heraf 7,9 mio. kr. (ØU 22.05.2018)" in esdh
    assert "Faktisk ibrugtagningsdato: 20.01.2020" in esdh


def test_project_table_and_kategori_rows(rendered):
    table = rows(rendered / "anlaegsregnskab-ESDH-implementering.docx")
    # B4's ESDH table: no income, so the Indtægtsregnskab column is blank.
    assert ["ØU 22.05.2018", "7.907", "", "7.907"] in table
    assert ["Rådighedsbeløb i alt", "7.907", "", "7.907"] in table
    assert ["Forbrug", "7.635", "", "7.635"] in table
    assert ["Afvigelse", "272", "", "272"] in table
    assert ["Afvigelse i procent", "3,4%", "", "3,4%"] in table
    tids = next(r for r in table if r[0] == "Tidsforskydninger")
    assert tids[1] == "Ja" and tids[2].startswith("Dato for ibrugtagning blev udskudt")
    assert next(r[0] for r in table if r[1] in ("Ja", "Nej")) == (
        "Aktivitetsændringer i forhold til oprindelig bevilling"
    )


def test_one_file_per_project(rendered):
    per_project = sorted(p.name for p in rendered.glob("anlaegsregnskab-*.docx"))
    assert len(per_project) == 6
    assert all("/" not in n and "\\" not in n and " " not in n for n in per_project)
    found = sections(rendered / "anlaegsregnskab-Standardisering-af-PC-image.docx")
    assert tuple(found) == ("Standardisering af PC-image",)


def test_missing_explanation_shows_a_placeholder(report, tmp_path):
    account = next(a for a in report.overview if a.project.projekt == PROJECTS[-1])
    bare = dataclasses.replace(
        account, project=dataclasses.replace(account.project, afvigelsesforklaring="")
    )
    path = tmp_path / "b.docx"
    render_bilag(bilag_context(report, [bare]), path)
    assert sum(MISSING in p for p in paragraphs(path)) == 2  # Væsentlige afvigelser and section


def test_changed_template_sentence_reaches_the_document(report, tmp_path):
    template = tmp_path / "t.docx"
    shutil.copy(TEMPLATE, template)
    doc = Document(str(template))
    note = next(p for p in doc.paragraphs if p.text.startswith("Note: Evt. afvigelser"))
    for run in note.runs[1:]:
        run.text = ""
    note.runs[0].text = "Note: Beløbene er i løbende priser, som udvalget ønskede."
    doc.save(str(template))
    write_bilag(report, tmp_path, template)
    text = paragraphs(tmp_path / "anlaegsregnskab.docx")
    assert text.count("Note: Beløbene er i løbende priser, som udvalget ønskede.") == 6


def test_missing_context_key_fails(report, tmp_path):
    context = bilag_context(report, report.overview)
    del context["resultat"]
    with pytest.raises(jinja2.UndefinedError):
        render_bilag(context, tmp_path / "x.docx")


def test_project_text_stays_literal(report, tmp_path):
    account = report.overview[0]
    odd = dataclasses.replace(
        account,
        project=dataclasses.replace(
            account.project,
            beskrivelse="Tekst med <b>fed</b> & </w:t> tegn",
            kort_navn="../<b>&",
        ),
    )
    changed = dataclasses.replace(report, overview=(odd,))
    written = write_bilag(changed, tmp_path)
    assert "Tekst med <b>fed</b> & </w:t> tegn" in paragraphs(tmp_path / "anlaegsregnskab.docx")
    assert [r[0] for r in rows(tmp_path / "anlaegsregnskab.docx")][1] == "../<b>& (Udgifter)"
    assert [p.parent for p in written] == [tmp_path, tmp_path]
    assert written[1].name == "anlaegsregnskab-b.docx"


def test_long_names_in_many_bytes_are_cut_by_bytes_and_stay_unique(report, tmp_path):
    """90 CJK characters (3 bytes each) made a 256-byte file name; the file system refused it."""
    cjk = ("电子文档与档案管理系统实施项目" * 6)[:90]
    names = [
        cjk,
        cjk + "二",  # the same as the first for as far as a file name goes
        "𠀀" * 70,  # 4 bytes a character
        "Automatisering af support ved medarbejderhenvendelser om it-, finans- og personalesager",
    ]
    accounts = [
        dataclasses.replace(a, project=dataclasses.replace(a.project, kort_navn=name))
        for a, name in zip(report.overview, names, strict=False)
    ]
    written = write_bilag(dataclasses.replace(report, overview=tuple(accounts)), tmp_path)
    files = [p.name for p in written[1:]]
    assert all(len(name.encode("utf-8")) <= 200 for name in files), files
    assert len({name.lower() for name in files}) == len(files) == 4
    assert all(p.is_file() for p in written)
    assert files[0].startswith("anlaegsregnskab-" + cjk[:55])
    assert files[1].endswith("-2.docx")
    # A Danish name is cut at 80 characters, as before.
    assert files[3] == (
        "anlaegsregnskab-Automatisering-af-support-ved-medarbejderhenvendelser-om-it--finans--og-"
        "personal.docx"
    )


@pytest.fixture(scope="module")
def strict_run(tmp_path_factory) -> tuple[Report, Path]:
    """The example under a run's own A4 settings: 1 pct. or 30.000 kr."""
    settings = Settings(
        explanation_threshold_pct=Decimal("1"), explanation_threshold_amount=Decimal("30000")
    )
    report = example_report(settings)
    folder = tmp_path_factory.mktemp("strict")
    write_bilag(report, folder)
    write_workbook(report, folder / "anlaegsregnskab.xlsx")
    return report, folder


def test_threshold_text_is_the_runs_setting(strict_run):
    report, folder = strict_run
    found = sections(folder / "anlaegsregnskab.docx")
    under = "Ingen bemærkninger, da afvigelsen er under 1 pct. og 30.000 kr."
    # Under both limits (B4's 11, -10 and -26 t. kr., all under 1 pct.).
    for name in PROJECTS[0], PROJECTS[1], PROJECTS[3]:
        assert under in found[name], name
    # ESDH (3,4 pct.) and AD (40 t. kr., 0,4 pct.) now need an explanation the register lacks.
    for name in "ESDH-implementering", "Styrkelse af IT-sikkerhed – AD":
        assert under not in found[name] and MISSING in found[name], name
    assert not any("under 5 pct." in p for p in paragraphs(folder / "anlaegsregnskab.docx"))
    wb = load_workbook(folder / "anlaegsregnskab.xlsx")
    sheet_text = {
        ws["A1"].value: [c.value for row in ws.iter_rows() for c in row if c.value]
        for ws in wb.worksheets
    }
    assert under in sheet_text["Automatisering af it-drift"]
    assert under not in sheet_text["ESDH-implementering"]
    missing = [f.message for f in report.findings if f.code == "rules.explanation_missing"]
    assert len(missing) == 2
    assert any("ESDH-implementering" in m for m in missing)
    assert any("Styrkelse af IT-sikkerhed – AD" in m for m in missing)


def test_no_significant_deviation_names_either_limit(report, tmp_path):
    calm = dataclasses.replace(report, threshold_pct=Decimal("100"), threshold_amount=5_000_000_00)
    accounts = [dataclasses.replace(a, explanation_required=False) for a in report.overview]
    path = tmp_path / "calm.docx"
    render_bilag(bilag_context(calm, accounts), path)
    text = paragraphs(path)
    assert "Ingen projekter har en afvigelse på eller over 100 pct. eller 5.000.000 kr." in text
    assert "Ingen bemærkninger, da afvigelsen er under 100 pct. og 5.000.000 kr." in text


def test_separate_account_threshold_is_the_runs_setting(tmp_path):
    report = example_report(Settings(separate_account_threshold=Decimal("5000000")))
    write_bilag(report, tmp_path)
    text = paragraphs(tmp_path / "anlaegsregnskab.docx")
    assert any("på eller over 5,0 mio. kr." in p for p in text)
    assert not any("2,0 mio. kr." in p for p in text)
    found = sections(tmp_path / "anlaegsregnskab.docx")
    # B4's forbrug (gross expenditure) at or over 5 mio. kr.: ESDH 7.635 and AD 10.014 t. kr.;
    # PC-image's rådighedsbeløb is 6.647, but its forbrug 2.609, and A1 is about forbrug.
    assert tuple(found) == ("ESDH-implementering", "Styrkelse af IT-sikkerhed – AD")
