"""Planning: the rules' open items turned into the reminders due on one day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from kitflow.core.acquisitions import AcquisitionsRegister
from kitflow.core.findings import Finding, Location, Severity
from kitflow.core.obligations.calendar import (
    BusinessCalendar,
    deadline_text,
    latest_milestone,
    since_text,
)
from kitflow.core.obligations.items import AccountDue, Facts, Item, Rule
from kitflow.core.obligations.policy import ReminderPolicy, Schedule
from kitflow.core.obligations.recipients import Recipient
from kitflow.core.obligations.rules import RULES


@dataclass(frozen=True, slots=True)
class Reminder:
    """One item's latest due milestone, with everything its digest entry says."""

    rule: str
    section: str  # the circular's section and its title
    section_title: str
    item: str
    milestone: str
    owner: str  # whose digest it is in: the unit, or the controller for C6
    title: str
    date_label: str
    date: dt.date  # the date shown to the reader
    due: dt.date  # the date the milestones count from
    offset: int  # milestone in days from `due`: negative before, 0 on, positive overdue
    overdue_count: int
    escalated: bool
    days: int  # `date` minus the as-of date
    days_text: str
    action: str
    note: str
    recipients: tuple[Recipient, ...]
    source: Location | None = None

    @property
    def kind(self) -> str:
        """The digest it goes into: an ordinary reminder or an escalation to the direktion."""
        return "eskalering" if self.escalated else "påmindelse"

    @property
    def digest(self) -> str:
        return f"{self.owner}|{self.kind}"


@dataclass(frozen=True, slots=True)
class Plan:
    """What one run should send, and what the register made impossible to send."""

    as_of: dt.date
    open_day: bool
    reminders: tuple[Reminder, ...]
    findings: tuple[Finding, ...] = field(default=())
    # The rules this plan speaks for: a pending reminder of one of them that the plan does not
    # have is no longer due. C6 is covered only when accounts were handed in.
    rules: frozenset[str] = field(default=frozenset())

    @property
    def overdue_items(self) -> tuple[str, ...]:
        """The items past their date, as "C2: B-002", each once and sorted."""
        return tuple(sorted({f"{r.rule}: {r.item}" for r in self.reminders if r.offset > 0}))


def plan_accounts(accounts: Sequence[AccountDue], as_of: dt.date, policy: ReminderPolicy) -> Plan:
    """C6 alone: the reminders for capital accounts due under A2 and sent on under A3."""
    return plan_reminders(None, as_of, policy, accounts)


def plan_reminders(
    register: AcquisitionsRegister | None,
    as_of: dt.date,
    policy: ReminderPolicy,
    accounts: Sequence[AccountDue] | None = None,
    *,
    rules: Sequence[Rule] = RULES,
) -> Plan:
    """Every reminder due on `as_of`: C1–C5 from the register, C6 from `accounts`.

    None for either means "not known in this run": its rules are not planned, and their
    pending reminders are left as they are. On a closed day (with business days on) nothing
    is planned: what fell due waits for the next open day, if it is still due then.
    """
    facts = Facts(as_of, register, accounts)
    covered = [rule for rule in rules if rule.covered(facts)]
    findings: list[Finding] = []
    found: list[tuple[Rule, Item, Schedule]] = []
    for rule in covered:
        schedule = policy.schedule(rule.id, rule.default)
        for thing in rule.find(facts, schedule):
            if isinstance(thing, Finding):
                findings.append(thing)
            else:
                found.append((rule, thing, schedule))
    ids = frozenset(rule.id for rule in covered)
    calendar = BusinessCalendar.from_policy(policy)
    if not calendar.is_open(as_of):
        return Plan(as_of, False, (), tuple(findings), ids)
    reminders = []
    for rule, item, schedule in _down_the_register(found):
        reminder = _reminder(rule, item, as_of, schedule, calendar, findings)
        if reminder is not None:
            reminders.append(reminder)
    reminders.sort(key=lambda r: (r.owner, r.rule, r.due, r.item))
    return Plan(as_of, True, tuple(reminders), tuple(findings), ids)


def _down_the_register(
    found: list[tuple[Rule, Item, Schedule]],
) -> list[tuple[Rule, Item, Schedule]]:
    """The items sheet by sheet and row by row, so that the warnings about them read down the
    register: a system's C3, C4 and C5 together. Items of no sheet keep their order."""
    sheets: dict[tuple[str, str | None] | None, int] = {}
    for _rule, item, _schedule in found:
        sheets.setdefault(_sheet(item), len(sheets))

    def key(entry: tuple[Rule, Item, Schedule]) -> tuple[int, int]:
        source = entry[1].source
        return sheets[_sheet(entry[1])], (source.row or 0) if source is not None else 0

    return sorted(found, key=key)


def _sheet(item: Item) -> tuple[str, str | None] | None:
    return None if item.source is None else (item.source.file, item.source.sheet)


def _reminder(
    rule: Rule,
    item: Item,
    as_of: dt.date,
    schedule: Schedule,
    calendar: BusinessCalendar,
    findings: list[Finding],
) -> Reminder | None:
    """The item's latest due milestone as a reminder, or None if it has none due."""
    if not schedule.enabled:
        return None
    due = item.due or item.date
    milestone = latest_milestone(due, as_of, schedule, calendar)
    if milestone is None:
        return None
    escalated = milestone.overdue_count >= schedule.escalate_from
    if escalated and not item.raci.ansvarlig:
        findings.append(
            Finding(
                Severity.WARNING,
                item.source or Location("påmindelser"),
                f"{rule.id} {item.item}: ingen adresse at eskalere til (direktionen) – "
                "påmindelsen sendes kun til de udførende",
                code="reminders.no_escalation_address",
            )
        )
    days = (item.date - as_of).days
    return Reminder(
        rule=rule.id,
        section=rule.section,
        section_title=rule.title,
        item=item.item,
        milestone=milestone.label(due),
        owner=item.owner,
        title=item.title,
        date_label=item.date_label,
        date=item.date,
        due=due,
        offset=milestone.offset,
        overdue_count=milestone.overdue_count,
        escalated=escalated,
        days=days,
        days_text=deadline_text(days) if item.deadline else since_text(days),
        action=item.action,
        note=item.escalation_note if escalated else "",
        recipients=item.raci.recipients(escalated),
        source=item.source,
    )
