"""The rule list as an extension point, the policy's defaults, and the plan's overdue items."""

from __future__ import annotations

import datetime as dt

import pytest
from acquisitions_builder import acquisitions_sheets

from config.reminder_settings import ReminderSettings
from kitflow.app.reminder_policy import reminder_policy
from kitflow.core.acquisitions import read_acquisitions
from kitflow.core.obligations import (
    RULES,
    Facts,
    Found,
    Item,
    Raci,
    ReminderPolicy,
    Rule,
    Schedule,
    plan_reminders,
)
from kitflow.core.obligations.recipients import unit_roles

D = dt.date
UNITS = [["Borgerservice", "KFF", "bs@kk.dk", "dir@kk.dk", "digi@kk.dk"]]
# Anskaffelse S-1, conditionally permitted and in operation; PoC S-2 ending 1 March 2021.
S1 = ["S-1", "Booking", "Borgerservice", "", "Anskaffelse", "", D(2020, 1, 1), "Betinget", ""]
S2 = ["S-2", "Chatbot", "Borgerservice", "", "PoC", D(2021, 3, 1), "", "Ingen", ""]


def register(**kw):
    sheets = acquisitions_sheets(units=UNITS, systems=[S1, S2], **kw)
    found, findings = read_acquisitions(sheets, "acq.xlsx")
    assert findings == []
    return found


def unclassified(facts: Facts, schedule: Schedule) -> Found:
    """A made-up C7: every system is classified, from its acquisition on 1 March 2021."""
    if (acq := facts.register) is None:
        return
    for s in acq.systems:
        unit = acq.unit(s.enhed)
        if not s.klassifikation and unit is not None:
            roles = unit_roles(unit)
            yield Item(
                item=s.system_id,
                owner=unit.enhed,
                title=f"{s.navn} er ikke klassificeret",
                date_label="Frist for klassifikation",
                date=D(2021, 3, 1),
                action="Klassificér systemet.",
                raci=Raci(roles.own, roles.direktion),
            )


C7 = Rule("C7", "4.2", "Klassifikation", Schedule(before_days=(7,)), unclassified)


def c7(policy: ReminderPolicy, rules=(*RULES, C7)) -> list:
    p = plan_reminders(register(), D(2021, 2, 22), policy, rules=rules)
    return [r for r in p.reminders if r.rule == "C7"]


def test_a_new_rule_is_one_function_and_one_entry_in_the_list():
    first, second = c7(ReminderPolicy())  # planned with the rule's default schedule
    assert (first.item, first.milestone, first.days_text) == ("S-1", "D-7@2021-03-01", "om 7 dage")
    assert (second.item, second.section, second.section_title) == ("S-2", "4.2", "Klassifikation")
    assert [(r.header, r.address) for r in first.recipients] == [("to", "bs@kk.dk")]
    assert c7(ReminderPolicy(), rules=RULES) == []
    # A schedule in the policy is used instead of the default.
    assert c7(ReminderPolicy(schedules={"C7": Schedule(enabled=False)})) == []
    # Like C1–C5 it needs the register: without one the plan does not speak for it.
    assert "C7" in plan_reminders(register(), D(2021, 2, 22), ReminderPolicy(), rules=(C7,)).rules
    assert "C7" not in plan_reminders(None, D(2021, 2, 22), ReminderPolicy(), [], rules=(C7,)).rules


def test_the_core_defaults_are_the_settings_defaults():
    configured = reminder_policy(ReminderSettings())
    assert sorted(configured.schedules) == [rule.id for rule in RULES]
    for rule in RULES:
        assert configured.schedule(rule.id, rule.default) == rule.default, rule.id
    assert (configured.business_days, configured.extra_closed_days) == (True, frozenset())
    settings = ReminderSettings.model_validate({"c4": {"before_days": [1, 14, 14]}})
    assert reminder_policy(settings).schedules["C4"].before_days == (14, 1)


def test_a_schedule_of_the_wrong_kind_is_refused():
    policy = ReminderPolicy(schedules={"C1": Schedule()})
    with pytest.raises(TypeError, match="C1: the schedule must be a SigningSchedule"):
        plan_reminders(register(), D(2021, 3, 1), policy)


def test_overdue_items_are_the_reminders_past_their_date():
    conditions = [
        ["B-3", "S-1", "", D(2021, 3, 1), ""],
        ["B-2", "S-1", "", D(2021, 3, 15), ""],
        ["B-1", "S-1", "", D(2021, 2, 1), ""],
        ["B-4", "S-1", "", D(2021, 3, 22), ""],
    ]
    p = plan_reminders(register(conditions=conditions), D(2021, 3, 15), ReminderPolicy())
    assert {r.item: r.offset for r in p.reminders} == {
        "B-1": 42,
        "B-2": 0,
        "B-3": 14,
        "B-4": -7,
        "S-2": 7,
    }
    # B-2 is due today and B-4 in a week: not past their date.
    assert p.overdue_items == ("C2: B-1", "C2: B-3", "C5: S-2")
