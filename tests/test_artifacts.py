"""The controllers' view in the Prefect UI: rendering, the run-to-run diff, and a real flow."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import re
import shutil
from decimal import Decimal

import pytest

from kitflow.app.inputs import combine_exports, load_register, parse_export
from kitflow.app.snapshots import load_snapshot, save_snapshot, snapshot_path
from kitflow.core.accounts import Thresholds, make_report
from kitflow.core.bookings import BookingsOptions
from kitflow.core.changes import (
    SNAPSHOT_VERSION,
    BookingsState,
    ProjectState,
    RunSnapshot,
    carry_items,
    diff,
    snapshot_of,
)
from kitflow.readers import booking_files
from reports import artifacts as render
from tests.conftest import EXAMPLE_DATA

NBSP = "\u00a0"
# Bilag 4 (2020), the overview's I alt in 1.000 kr. and whole percent, as printed in B4.
B4_I_ALT = ("36.584", "32.259", "4.325", f"12{NBSP}%")
EVIL = 'Ond | *fed* <script>alert("x")</script> [link](http://x) `kode`'
# EVIL as the markdown must hold it, written out by hand: every character kept, inert.
EVIL_ESCAPED = (
    r'Ond \| \*fed\* &lt;script&gt;alert\("x"\)&lt;/script&gt; \[link\]\(http://x\) \`kode\`'
)


@pytest.fixture(scope="module")
def report():
    register, register_file = load_register(EXAMPLE_DATA / "register.xlsx")
    results = [parse_export(p, BookingsOptions()) for p in booking_files(EXAMPLE_DATA / "bookings")]
    return make_report(
        dt.date(2020, 12, 31),
        register,
        combine_exports(results),
        [register_file, *(info for _parsed, info in results)],
        Thresholds(
            separate_account_ore=200_000_000,
            explanation_pct=Decimal(5),
            explanation_amount_ore=None,
            max_quarantined_rows=100,
        ),
    )


def _with_evil_name(report):
    """The report with the first overview project renamed to something hostile."""
    first = report.overview[0]
    evil = dataclasses.replace(
        first, project=dataclasses.replace(first.project, kort_navn=EVIL, projekt=EVIL)
    )
    return dataclasses.replace(
        report,
        overview=(evil, *report.overview[1:]),
        projects=tuple(evil if a is first else a for a in report.projects),
    )


def _cells(row: str) -> list[str]:
    """A markdown table row split on the pipes that are not escaped."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def _tables_are_whole(text: str) -> None:
    """Every row of every markdown table has as many cells as its header."""
    width = None
    for line in text.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = _cells(line)
        if width is None:
            width = len(cells)
        assert len(cells) == width, line


# --- rendering -------------------------------------------------------------------------------


def test_overview_table_holds_b4s_total(report):
    rows = render.overview_rows(report)
    assert list(rows[0]) == list(render.OVERVIEW_COLUMNS)
    total = rows[-1]
    assert (total["Projekt"], total["Post"]) == ("I alt", "Netto")
    got = tuple(total[c] for c in render.OVERVIEW_COLUMNS[2:])
    assert got == B4_I_ALT
    # B4's first line: Automatisering af it-drift 4.483 / 4.472 / 11 / 0 %.
    netto = next(
        r for r in rows if r["Projekt"] == "Automatisering af it-drift" and r["Post"] == "Netto"
    )
    assert (netto["Rådighedsbeløb"], netto["Forbrug"], netto["Afvigelse"]) == (
        "4.483",
        "4.472",
        "11",
    )
    assert len(rows) == 3 * 6 + 1
    assert "6 projekter skal" in render.overview_description(report)


def test_md_escapes_markup_and_html():
    text = render.md(EVIL + "\nnext line")
    assert "<" not in text and ">" not in text
    assert "|" not in text.replace("\\|", "")
    assert "*" not in text.replace("\\*", "")
    assert "[" not in text.replace("\\[", "") and "`" not in text.replace("\\`", "")
    assert "\n" not in text
    assert "&lt;script&gt;" in text


def test_summary_in_danish_with_the_runs_figures(report):
    reminders = {"open_day": True, "planned": 21, "sent": 3, "failed": 1, "pending": 17}
    text = render.summary_markdown(report, reminders, send=True, output="/srv/out/2020-12-31")
    c = report.reconciliation.conservation
    assert text.startswith("# Afstemning pr. 31.12.2020")
    assert "6 projekter skal aflægge særskilt anlægsregnskab: 3 forfaldne i år, 3 over fristen" in (
        text
    )
    # 271 read, 8 duplicates, 2 unmatched in the example (test_example_flow checks the same).
    assert f"| Læst i alt | {c.read_count} |" in text and c.read_count == 271
    assert "| Dubletter (talt én gang) | 8 |" in text
    # The two unmatched bookings of XA-9999000001: 23.456,78 + 1.200,00 kr.
    assert c.unmatched_sum == 2_465_678
    assert "| **Ikke matchet** | **2** | **24.656,78** |" in text
    assert "| 21 | 3 | 1 | 17 |" in text
    for f in report.files:
        assert f.file in text.replace("\\", "")
        assert f"`{f.sha256[:12]}`" in text
    # The example's findings: the duplicates (info) and the unknown løbenummer (a warning).
    assert "## Fund (2)" in text and "talt én gang" in text
    unknown = "- **Advarsel** eksport_interne_og_ukendte.csv:20: løbenummer XA-9999000001"
    assert unknown in text.replace("\\", "")
    _tables_are_whole(text)


def test_summary_without_reminders_or_sending(report):
    assert "acquisitions.xlsx findes ikke" in render.summary_markdown(
        report, None, send=True, output="/o"
    )
    closed = render.summary_markdown(report, {"open_day": False}, send=True, output="/o")
    assert "ikke en arbejdsdag" in closed
    dry = {"open_day": True, "planned": 2, "sent": 0, "failed": 0, "pending": 2}
    assert "uden afsendelse" in render.summary_markdown(report, dry, send=False, output="/o")


def test_hostile_project_name_cannot_break_tables_or_inject_html(report):
    evil = _with_evil_name(report)
    # Make it due and missing an explanation, so it shows in the summary's table too.
    summary = render.summary_markdown(evil, None, send=True, output="/o")
    assert "<script>" not in summary
    assert f"- **Forfaldne i år (3):** {EVIL_ESCAPED}, " in summary
    _tables_are_whole(summary)
    previous = snapshot_of(report, ())
    changed = dataclasses.replace(
        previous,
        projects={
            EVIL: ProjectState(BookingsState(1, 100, 7), 0, "0", True, "overskredet"),
            **previous.projects,
        },
    )
    before = dataclasses.replace(
        previous,
        projects={
            EVIL: ProjectState(BookingsState(0, 0, 0), 0, "0", False, "forfalden"),
            **previous.projects,
        },
    )
    text = render.changes_markdown(diff(before, changed), evil, data_dir="/d")
    assert "<script>" not in text
    assert EVIL_ESCAPED in text
    _tables_are_whole(text)
    # The table artifact holds plain strings, rendered as text by the UI: the name as it is.
    assert render.overview_rows(evil)[0]["Projekt"] == EVIL


def test_reports_markdown_links_or_paths():
    files = [
        render.OutputFile("anlaegsregnskab.xlsx", 20_480),
        render.OutputFile("Bilag ESDH (2).docx", 3 * 1024 * 1024),
    ]
    linked = render.reports_markdown(
        files, "/srv/out/2020-12-31", "2020-12-31", "https://x.kk.dk/kf/"
    )
    assert "(<https://x.kk.dk/kf/2020-12-31/anlaegsregnskab.xlsx>)" in linked
    assert "(<https://x.kk.dk/kf/2020-12-31/Bilag%20ESDH%20%282%29.docx>)" in linked
    assert "20 kB" in linked and "3,00 MB" in linked
    plain = render.reports_markdown(files, "/srv/out/2020-12-31", "2020-12-31", None)
    assert "`/srv/out/2020-12-31`" in plain and "http" not in plain
    assert "`anlaegsregnskab.xlsx`" in plain and "report_base_url" in plain


# --- the diff --------------------------------------------------------------------------------


def _snap(as_of="2020-12-30", items=("C2: Lønsystem",), **projects):
    return RunSnapshot(
        as_of=as_of,
        projects=projects,
        unmatched=BookingsState(2, 500, 11),
        overdue_items=items,
    )


def _p(count=10, amount=1000, fp=1, over=False, status="forfalden", pct="1.5"):
    return ProjectState(BookingsState(count, amount, fp), amount, pct, over, status)


def test_first_run_says_there_is_nothing_to_compare(report):
    changes = diff(None, _snap(A=_p()))
    assert changes.first_run
    text = render.changes_markdown(changes, report, data_dir="/data/kk")
    assert "ingen tidligere kørsel at sammenligne med" in text and "`/data/kk`" in text


def test_new_bookings_crossings_and_overdue():
    before = _snap(
        A=_p(),
        B=_p(over=True, pct="7.0"),
        C=_p(status="forfalden"),
        D=_p(),
    )
    after = _snap(
        "2020-12-31",
        ("C2: Lønsystem", "C5: Pilot"),
        A=_p(count=12, amount=1500, fp=9, over=True, pct="-6.2"),
        B=_p(over=False, pct="4.9"),
        C=_p(status="overskredet"),
        E=_p(count=1, amount=10),
    )
    changes = diff(before, after)
    assert changes.previous_as_of == "2020-12-30"
    by_name = {b.projekt: b for b in changes.bookings}
    assert (by_name["A"].count, by_name["A"].amount_ore, by_name["A"].altered) == (2, 500, False)
    assert (by_name["E"].count, by_name["E"].amount_ore) == (1, 10)
    assert set(by_name) == {"A", "E"}
    assert [(x.projekt, x.now_over) for x in changes.crossings] == [("A", True), ("B", False)]
    assert changes.overdue_projects == ("C",)
    assert changes.overdue_items == ("C5: Pilot",)
    assert changes.new_projects == ("E",) and changes.removed_projects == ("D",)


def test_replaced_and_removed_bookings_are_not_called_new():
    before = _snap(A=_p(count=10, amount=1000, fp=1), B=_p(count=5, amount=50, fp=2))
    after = _snap(A=_p(count=10, amount=1000, fp=2), B=_p(count=4, amount=40, fp=3))
    by_name = {b.projekt: b for b in diff(before, after).bookings}
    assert by_name["A"].altered and by_name["A"].count == 0
    assert by_name["B"].altered and by_name["B"].count == -1


def test_unmatched_bookings_show_as_their_own_line(report):
    before = _snap(A=_p())
    after = dataclasses.replace(before, unmatched=BookingsState(3, 800, 12))
    changes = diff(before, after)
    assert [(b.projekt, b.count, b.amount_ore) for b in changes.bookings] == [("", 1, 300)]
    assert "*Ikke matchet*" in render.changes_markdown(changes, report, data_dir="/d")


def test_no_change_says_so(report):
    snap = _snap(A=_p())
    changes = diff(snap, snap)
    assert changes.nothing
    assert "Intet er ændret" in render.changes_markdown(changes, report, data_dir="/d")


def test_items_unknown_today_carry_over():
    before = _snap(A=_p(), items=("C2: Lønsystem",))
    closed_day = _snap("2021-01-02", None, A=_p())
    changes = diff(before, closed_day)
    assert not changes.items_known and changes.overdue_items == ()
    assert carry_items(before, closed_day).overdue_items == ("C2: Lønsystem",)
    # The next open day compares with the last day that knew: only the new item is new.
    monday = _snap("2021-01-04", ("C2: Lønsystem", "C4: X"), A=_p())
    assert diff(carry_items(before, closed_day), monday).overdue_items == ("C4: X",)


def test_snapshot_sees_a_booking_changed_at_the_same_amount_but_not_a_new_order(report):
    matched = report.reconciliation.matched
    before = snapshot_of(report, None)

    def with_matched(frame):
        rec = dataclasses.replace(report.reconciliation, matched=frame)
        return snapshot_of(dataclasses.replace(report, reconciliation=rec), None)

    # The same bookings in another order: nothing changed.
    assert with_matched(matched.iloc[::-1].reset_index(drop=True)) == before
    # One booking's text corrected, same amount: its project's fingerprint moves, nothing else.
    edited = matched.copy()
    edited.loc[0, "text"] = str(edited.loc[0, "text"]) + " (rettet)"
    after = with_matched(edited)
    changed = [n for n in before.projects if before.projects[n] != after.projects[n]]
    assert len(changed) == 1
    old, new = before.projects[changed[0]].bookings, after.projects[changed[0]].bookings
    assert (old.count, old.amount_ore) == (new.count, new.amount_ore)
    assert old.fingerprint != new.fingerprint
    assert diff(before, after).bookings[0].altered


def test_snapshot_round_trip_of_the_example(report, tmp_path):
    snap = snapshot_of(report, ("C2: Lønsystem",))
    assert sum(p.bookings.count for p in snap.projects.values()) == (
        report.reconciliation.conservation.matched_count
    )
    assert snap.unmatched.count == 2
    path = snapshot_path(tmp_path / "state", tmp_path / "Data Mappe")
    assert path.parent == tmp_path / "state" / "afstemning"
    assert re.fullmatch(r"data-mappe-[0-9a-f]{12}\.json", path.name)
    save_snapshot(path, snap)
    loaded, problem = load_snapshot(path)
    assert problem is None and loaded == snap
    assert diff(loaded, snapshot_of(report, ("C2: Lønsystem",))).nothing
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_unreadable_snapshot_is_said_not_ignored(tmp_path):
    path = tmp_path / "x.json"
    assert load_snapshot(path) == (None, None)
    incomplete = {"version": SNAPSHOT_VERSION, "as_of": "2020-12-30"}
    path.write_text(json.dumps(incomplete), encoding="utf-8")
    snapshot, problem = load_snapshot(path)
    assert snapshot is None and "kunne ikke læses" in problem and str(path) in problem
    path.write_text("{not json", encoding="utf-8")
    assert load_snapshot(path)[0] is None
    path.write_text(json.dumps({"version": 99}), encoding="utf-8")
    assert "ukendt version" in load_snapshot(path)[1]
    # A snapshot an earlier kitflow saved (its fingerprints were made differently) is not
    # compared with, and the run says why.
    path.write_text(json.dumps({"version": SNAPSHOT_VERSION - 1}), encoding="utf-8")
    snapshot, problem = load_snapshot(path)
    assert snapshot is None and "anden udgave af kitflow" in problem


# --- the real flow, twice --------------------------------------------------------------------

EXTRA_BOOKINGS = (
    "Dato;Projektdefinition;Beløb i DKK;Kontoart;Bilag;Position;Tekst\r\n"
    "2020-12-15;XA-0285000114;200.000,00;4000;2000000901;1;Konsulentbistand, slutfase\r\n"
    "2020-12-16;XA-0285000114;100.000,50;4000;2000000902;1;Licenser\r\n"
)


async def _artifacts(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    keys = [
        render.KEY_OVERSIGT,
        render.KEY_RESUME,
        render.KEY_AENDRINGER,
        render.KEY_RAPPORTER,
        render.KEY_INDLAESNING,
    ]
    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=keys),
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
            )
        )
    return {a.key: a for a in found}


@pytest.mark.flow
def test_afstemning_publishes_artifacts_and_what_changed(prefect_harness, tmp_path, monkeypatch):
    from flows.nightly import afstemning

    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    monkeypatch.setenv("KITFLOW_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("KITFLOW_REPORT_BASE_URL", "https://intra.kk.dk/kitflow/")

    def run():
        state = afstemning(
            as_of=dt.date(2020, 12, 31),
            data_dir=str(data),
            out_dir=str(tmp_path / "out"),
            send=False,
            return_state=True,
        )
        assert state.is_completed(), state
        return asyncio.run(_artifacts(state.state_details.flow_run_id))

    first = run()
    assert set(first) == {
        render.KEY_OVERSIGT,
        render.KEY_RESUME,
        render.KEY_AENDRINGER,
        render.KEY_RAPPORTER,
        render.KEY_INDLAESNING,
    }
    table = first[render.KEY_OVERSIGT].data
    table = json.loads(table) if isinstance(table, str) else table
    total = table[-1]
    assert (total["Projekt"], total["Rådighedsbeløb"], total["Forbrug"], total["Afvigelse"]) == (
        "I alt",
        *B4_I_ALT[:3],
    )
    assert "ingen tidligere kørsel" in first[render.KEY_AENDRINGER].data
    assert "**271**" not in first[render.KEY_RESUME].data  # read count is plain, unmatched bold
    assert "| Læst i alt | 271 |" in first[render.KEY_RESUME].data
    assert (
        "(<https://intra.kk.dk/kitflow/2020-12-31/anlaegsregnskab.xlsx>)"
        in first[render.KEY_RAPPORTER].data
    )
    assert float(first[render.KEY_INDLAESNING].data) == 100.0

    (data / "bookings" / "posteringer_tillaeg.csv").write_text(EXTRA_BOOKINGS, encoding="utf-8")
    second = run()
    changes = second[render.KEY_AENDRINGER].data
    assert "Sammenlignet med forrige kørsel (opgjort pr. 31.12.2020)" in changes
    assert "| Automatisering af it\\-drift | +2 | 300.000,50 |" in changes
    # 4.483 t.kr. against 4.472 + 300 spent: now 6,4 % over, past the 5 % threshold.
    assert re.search(r"Automatisering af it\\-drift\*\*: afvigelsen er nu -6,\d", changes)
    assert "over tærsklen" in changes
    assert "posteringer_tillaeg.csv" in second[render.KEY_RESUME].data.replace("\\", "")
    assert len(list((tmp_path / "state" / "afstemning").glob("data-*.json"))) == 1
