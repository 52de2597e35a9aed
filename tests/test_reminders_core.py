"""Pure planning of the circular's reminders and the acquisitions reader, on small inline cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from acquisitions_builder import HEADERS, acquisitions_sheets

from config.reminder_settings import ReminderSettings
from kitflow.app.reminder_policy import reminder_policy
from kitflow.core.acquisitions import read_acquisitions
from kitflow.core.findings import FatalInputError
from kitflow.core.obligations import (
    AccountDue,
    BusinessCalendar,
    Role,
    Schedule,
    latest_milestone,
    plan_accounts,
    plan_reminders,
)
from kitflow.readers import read_workbook

D = dt.date
EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "example" / "acquisitions.xlsx"

UNITS = [["Borgerservice", "KFF", "bs@kk.dk", "dir@kk.dk", "digi@kk.dk"]]
CONTRACT_HEADER = HEADERS["Kontrakter"]
S1 = ["S-1", "Booking", "Borgerservice", "Fagsystem", "Anskaffelse", "", D(2020, 1, 1), "Betinget"]


def sheets(systems=(), contracts=(), conditions=(), units=None, kit=None):
    """The register's sheets; `units` and `kit`, when given, are whole sheets (header too)."""
    built = acquisitions_sheets(
        units=UNITS, systems=systems, contracts=contracts, conditions=conditions
    )
    if units is not None:
        built["Enheder"] = units
    if kit is not None:
        built["Koncern IT"] = kit
    return built


def plan(as_of, settings=None, **kw):
    register, findings = read_acquisitions(sheets(**kw))
    assert findings == []
    return plan_reminders(register, as_of, reminder_policy(settings or ReminderSettings()))


def by_item(p):
    return {(r.rule, r.item): r for r in p.reminders}


def addresses(reminder, header):
    return {r.address for r in reminder.recipients if r.header == header}


# --- reader ----------------------------------------------------------------------------------


def test_reader_accepts_untidy_headers_and_title_rows():
    units = [
        ["IT-anskaffelser, enheder"],
        [],
        ["  ENHED:", "forvaltning", "E-mail ", "DIREKTION EMAIL:", "digitaliseringskontor email"],
        ["Borgerservice", "KFF", "bs@kk.dk; bs2@kk.dk", "dir@kk.dk", ""],
    ]
    register, findings = read_acquisitions(
        sheets(units=units, kit=[["Email:", "kit@kk.dk"]]), "acq.xlsx"
    )
    assert findings == []
    assert register.units[0].email == ("bs@kk.dk", "bs2@kk.dk")
    assert register.units[0].row == 4
    assert register.units[0].digitaliseringskontor_email == ()
    assert register.koncern_it_email == ("kit@kk.dk",)


def test_bad_rows_become_findings_with_sheet_and_row():
    register, findings = read_acquisitions(
        sheets(
            systems=[[*S1, D(2020, 2, 1)], ["S-2", "X", "Ukendt enhed", "", "", "", "", "", ""]],
            conditions=[
                ["B-1", "S-1", "", "31.02.2021", ""],
                ["B-2", "S-1", "", "01.03.2021", ""],
                ["B-2", "S-1", "", "01.04.2021", ""],
            ],
        ),
        "acq.xlsx",
    )
    assert [c.betingelse_id for c in register.conditions] == ["B-2"]
    assert [s.system_id for s in register.systems] == ["S-1"]
    text = [str(f) for f in findings]
    assert text[0].startswith('acq.xlsx:Systemer!3: enheden "Ukendt enhed" findes ikke')
    assert text[1].startswith('acq.xlsx:Betingelser!2: Frist: dato "31.02.2021" findes ikke')
    assert text[2].startswith('acq.xlsx:Betingelser!4: Betingelse-id "B-2" findes allerede')


def test_missing_sheet_or_column_stops_with_the_file_named():
    broken = sheets()
    del broken["Betingelser"]
    with pytest.raises(FatalInputError, match=r'acq.xlsx: arket "Betingelser" mangler'):
        read_acquisitions(broken, "acq.xlsx")
    broken = sheets()
    broken["Kontrakter"] = [CONTRACT_HEADER[:-1]]
    with pytest.raises(FatalInputError, match=r"acq.xlsx:Kontrakter: .*Sendt til Koncern IT"):
        read_acquisitions(broken, "acq.xlsx")


def test_the_example_register_reads_clean_and_plans_its_reminders():
    register, findings = read_acquisitions(read_workbook(EXAMPLE), EXAMPLE.name)
    assert findings == []
    p = plan_reminders(register, D(2020, 12, 31), reminder_policy(ReminderSettings()))
    assert sorted(by_item(p)) == [
        ("C1", "K-2020-002"),
        ("C2", "B-002"),
        ("C2", "B-003"),
        ("C3", "SYS-003"),
        ("C4", "SYS-006"),
        ("C5", "SYS-004"),
    ]
    # Sent to Koncern IT (K-2020-001) and fixed (B-001): never mentioned.
    assert not any(r.item in ("K-2020-001", "B-001") for r in p.reminders)


# --- milestones and days ---------------------------------------------------------------------

OFF = BusinessCalendar(enabled=False)
C2 = Schedule(before_days=[30, 7, 1])


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (D(2021, 2, 28), None),
        (D(2021, 3, 2), (-30, 0)),
        (D(2021, 3, 24), (-7, 0)),
        (D(2021, 3, 30), (-1, 0)),
        (D(2021, 3, 31), (0, 0)),
        (D(2021, 4, 6), (0, 0)),
        (D(2021, 4, 7), (7, 1)),
        (D(2021, 4, 21), (21, 3)),
        # Catch-up: whatever nights were skipped, only the latest due milestone counts.
        (D(2021, 6, 1), (56, 8)),
    ],
)
def test_latest_due_milestone(as_of, expected):
    m = latest_milestone(D(2021, 3, 31), as_of, C2, OFF)
    assert ((m.offset, m.overdue_count) if m else None) == expected


def test_business_days_move_a_milestone_to_the_next_open_day():
    cal = BusinessCalendar()
    assert not cal.is_open(D(2020, 12, 25))  # juledag
    assert cal.next_open(D(2020, 12, 24)) == D(2020, 12, 24)
    assert cal.next_open(D(2020, 12, 25)) == D(2020, 12, 28)  # past 2. juledag and Sunday
    # Due on Saturday 2021-01-09: the due-day reminder waits for Monday.
    assert latest_milestone(D(2021, 1, 9), D(2021, 1, 8), C2, cal).offset == -1
    assert latest_milestone(D(2021, 1, 9), D(2021, 1, 11), C2, cal).offset == 0
    assert BusinessCalendar(extra_closed=[D(2020, 12, 24)]).next_open(D(2020, 12, 24)) == D(
        2020, 12, 28
    )


def test_nothing_is_planned_on_a_closed_day_and_it_catches_up_after():
    kw = {"systems": [[*S1, D(2020, 2, 1)]], "conditions": [["B-1", "S-1", "", D(2021, 1, 9), ""]]}
    saturday = plan(D(2021, 1, 9), **kw)
    assert saturday.open_day is False and saturday.reminders == ()
    monday = plan(D(2021, 1, 11), **kw)
    assert [r.milestone for r in monday.reminders] == ["D+0@2021-01-09"]
    without = plan(D(2021, 1, 9), ReminderSettings(business_days=False), **kw)
    assert [r.milestone for r in without.reminders] == ["D+0@2021-01-09"]


def test_every_night_for_ten_weeks_plans_each_milestone_once_and_escalates_from_the_third():
    kw = {"systems": [[*S1, D(2020, 2, 1)]], "conditions": [["B-1", "S-1", "", D(2021, 3, 31), ""]]}
    nights: list[tuple[str, bool]] = []  # what each open night planned, repeats and all
    day = D(2021, 2, 1)
    while day <= D(2021, 6, 10):
        planned = [(r.milestone, r.escalated) for r in plan(day, **kw).reminders]
        assert len(planned) <= 1, (day, planned)  # one reminder a night for the one item
        nights += planned
        day += dt.timedelta(days=1)
    # A milestone is planned night after night until the next is due (the ledger sends it
    # once); it never comes back after a later one, and is escalated or not, never both.
    stretches = [n for i, n in enumerate(nights) if i == 0 or nights[i - 1] != n]
    milestones = [m for m, _ in stretches]
    assert len(milestones) == len(set(milestones)), milestones
    assert [m.split("@")[0] for m in milestones] == [
        "D-30",
        "D-7",
        "D-1",
        "D+0",
        *(f"D+{7 * week}" for week in range(1, 11)),  # weekly to 9 June
    ]
    assert [e for _, e in stretches] == [False] * 6 + [True] * 8


# --- rules and roles -------------------------------------------------------------------------


def test_c2_routes_by_raci_and_escalation_warns_of_withdrawal():
    kw = {
        "systems": [[*S1, D(2020, 2, 1)]],
        "conditions": [["B-1", "S-1", "2FA", D(2021, 3, 1), ""]],
    }
    before = by_item(plan(D(2021, 2, 22), **kw))["C2", "B-1"]
    assert addresses(before, "to") == {"bs@kk.dk", "digi@kk.dk"}  # both Udførende
    assert addresses(before, "cc") == {"kit@kk.dk"}  # Informeret
    assert before.days_text == "om 7 dage" and not before.escalated and before.note == ""
    second = by_item(plan(D(2021, 3, 15), **kw))["C2", "B-1"]
    assert not second.escalated and second.days_text == "14 dage over fristen"
    third = by_item(plan(D(2021, 3, 22), **kw))["C2", "B-1"]
    assert third.escalated and third.overdue_count == 3
    assert addresses(third, "to") == {"dir@kk.dk"}
    assert addresses(third, "cc") == {"bs@kk.dk", "digi@kk.dk", "kit@kk.dk"}
    assert {r.role for r in third.recipients if r.address == "dir@kk.dk"} == {Role.ANSVARLIG}
    assert "tilbagetrække ibrugtagningstilladelsen" in third.note


def test_fixed_conditions_and_sent_contracts_are_never_reminded():
    def kw(fixed, sent):
        return {
            "systems": [[*S1, D(2020, 2, 1)]],
            "conditions": [["B-1", "S-1", "", D(2020, 6, 1), fixed]],
            "contracts": [["K-1", "S-1", "Lev", "Kontrakt", "Borgerservice", D(2020, 1, 2), sent]],
        }

    assert plan(D(2021, 3, 1), **kw(D(2020, 12, 1), D(2021, 1, 5))).reminders == ()
    # The same register with neither done: both are overdue and reminded.
    assert sorted(by_item(plan(D(2021, 3, 1), **kw("", "")))) == [("C1", "K-1"), ("C2", "B-1")]


def test_c1_contract_due_fourteen_days_after_signing_copies_koncern_it_and_digi():
    kw = {"contracts": [["K-1", "", "Lev A/S", "Tillæg", "Borgerservice", D(2021, 3, 1), ""]]}
    assert plan(D(2021, 3, 12), **kw).reminders == ()
    r = by_item(plan(D(2021, 3, 15), **kw))["C1", "K-1"]
    assert (r.date, r.days_text, r.milestone) == (D(2021, 3, 15), "i dag", "D+0@2021-03-15")
    assert addresses(r, "to") == {"bs@kk.dk"}
    assert addresses(r, "cc") == {"kit@kk.dk", "digi@kk.dk"}
    assert r.title.startswith("Tillæg K-1 med Lev A/S")
    assert "kit@kk.dk" in r.action


def test_c3_alerts_at_once_for_a_system_in_operation_without_a_valid_permit():
    row = ["S-3", "Kasse", "Borgerservice", "", "Anskaffelse", "", D(2020, 1, 1)]
    p = plan(D(2021, 3, 1), systems=[[*row, "Ingen", D(2021, 3, 1)]])
    r = by_item(p)["C3", "S-3"]
    assert (r.milestone, r.days_text, r.escalated) == ("D+0@2021-03-01", "i dag", False)
    for permit in ("Gyldig", "Betinget"):
        assert plan(D(2021, 3, 1), systems=[[*row, permit, D(2021, 3, 1)]]).reminders == ()
    poc = ["S-4", "Test", "Borgerservice", "", "PoC", D(2021, 6, 1), D(2020, 1, 1), "Ingen"]
    assert plan(D(2021, 3, 1), systems=[[*poc, D(2021, 1, 1)]]).reminders == ()


def test_c4_unreported_system_is_due_by_go_live_or_thirty_days_after_signing():
    row = ["S-5", "Ny", "Borgerservice", "", "Anskaffelse", "", "", "Gyldig", D(2021, 6, 1)]
    contract = ["K-5", "S-5", "Lev", "Kontrakt", "Borgerservice", D(2021, 3, 1), D(2021, 3, 2)]
    r = by_item(plan(D(2021, 3, 31), systems=[row], contracts=[contract]))["C4", "S-5"]
    assert r.due == D(2021, 3, 31)
    assert addresses(r, "cc") == {"kit@kk.dk", "digi@kk.dk"}
    assert plan(D(2021, 3, 23), systems=[row], contracts=[contract]).reminders == ()
    assert (
        by_item(plan(D(2021, 3, 24), systems=[row], contracts=[contract]))["C4", "S-5"].offset == -7
    )


def test_c5_pilot_past_its_end_alerts_the_next_day_until_it_becomes_an_acquisition():
    pilot = ["S-6", "Pilot", "Borgerservice", "", "Pilot", D(2021, 3, 4), D(2021, 1, 1), "Gyldig"]
    assert plan(D(2021, 3, 4), systems=[[*pilot, ""]]).reminders == ()
    r = by_item(plan(D(2021, 3, 5), systems=[[*pilot, ""]]))["C5", "S-6"]
    assert (r.date, r.days_text) == (D(2021, 3, 4), "for 1 dag siden")
    converted = [*pilot[:4], "Anskaffelse", *pilot[5:], ""]
    assert plan(D(2021, 3, 5), systems=[converted]).reminders == ()


# --- C6 --------------------------------------------------------------------------------------


def account(**kw):
    base = dict(
        projekt="Ny skole",
        frist=D(2021, 12, 31),
        status="forfalden",
        controller_email="ctrl@kk.dk",
        forelagt=None,
        sendt_til_revision=None,
    )
    return AccountDue(**{**base, **kw})


def test_c6_accounts_before_31_december_then_escalated_to_management():
    settings = reminder_policy(
        ReminderSettings.model_validate({"c6": {"escalation_email": "chef@kk.dk"}})
    )
    assert plan_accounts([account()], D(2021, 10, 29), settings).reminders == ()
    (r,) = plan_accounts([account()], D(2021, 11, 1), settings).reminders
    assert (r.rule, r.offset, r.days_text) == ("C6", -60, "om 60 dage")
    assert addresses(r, "to") == {"ctrl@kk.dk"} and addresses(r, "cc") == set()
    (late,) = plan_accounts([account()], D(2022, 1, 21), settings).reminders
    assert late.escalated and addresses(late, "to") == {"chef@kk.dk"}
    assert addresses(late, "cc") == {"ctrl@kk.dk"}


def test_c6_presented_then_sent_on_and_the_rest_left_alone():
    presented = account(forelagt=D(2021, 11, 15), status="aflagt")
    (r,) = plan_accounts(
        [presented], D(2021, 11, 29), reminder_policy(ReminderSettings())
    ).reminders
    assert (r.item, r.due) == ("Ny skole (fremsendelse)", D(2021, 11, 29))
    done = account(forelagt=D(2021, 11, 15), sendt_til_revision=D(2021, 11, 20), status="aflagt")
    running = account(status="igangvaerende")
    policy = reminder_policy(ReminderSettings())
    assert plan_accounts([done, running], D(2022, 3, 1), policy).reminders == ()
    # On the same day an account neither presented nor running is reminded.
    (late,) = plan_accounts([done, running, account()], D(2022, 3, 1), policy).reminders
    assert (late.item, late.escalated) == ("Ny skole", True)


def test_c6_without_a_controller_is_a_finding_not_a_silent_skip():
    p = plan_accounts(
        [account(controller_email=None)], D(2021, 12, 31), reminder_policy(ReminderSettings())
    )
    assert p.reminders == ()
    assert "ingen controller" in p.findings[0].message
    default = reminder_policy(
        ReminderSettings.model_validate({"c6": {"default_controller_email": "oek@kk.dk"}})
    )
    (r,) = plan_accounts([account(controller_email=None)], D(2021, 12, 31), default).reminders
    assert addresses(r, "to") == {"oek@kk.dk"}
