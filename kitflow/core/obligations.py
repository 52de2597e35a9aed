"""Pure planning of the circular's reminders (C1–C6): which milestone is due, and to whom.

Every item has a date its obligation hangs on. Its milestones are days before that date, the
date itself, then a repeat every `repeat_days` while the item stays open; the n-th repeat is the
n-th overdue reminder, and from `escalate_from` on it is escalated to the direktion. A milestone
is due from its (business-day shifted) date on, so a night that did not run is caught up by the
next; only the latest due milestone of an item is planned, never a backlog. An item that is
done (sent, fixed, reported, presented) has no milestones at all.

Who gets it follows the circular's RACI tables: the Udførende are reminded (To), the Informeret
copied (Cc), the Ansvarlig (the direktion) receives the escalation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import holidays

from config.reminder_settings import ReminderSettings, Schedule
from kitflow.core.acquisitions import (
    SHEET_CONDITIONS,
    SHEET_CONTRACTS,
    SHEET_SYSTEMS,
    AcquisitionsRegister,
    Unit,
    split_addresses,
)
from kitflow.core.findings import Finding, Location, Severity
from kitflow.core.rules import DueStatus


class Role(StrEnum):
    """The RACI roles of the circular's tables that receive mail."""

    UDFOERENDE = "Udførende"
    ANSVARLIG = "Ansvarlig"
    INFORMERET = "Informeret"


_ROLE_RANK = {Role.ANSVARLIG: 0, Role.UDFOERENDE: 1, Role.INFORMERET: 2}

SECTIONS = {
    "C1": ("5.1", "Kontraktstyring"),
    "C2": ("5.2", "Sikkerhedsvurdering og ibrugtagningstilladelse"),
    "C3": ("5.2", "Sikkerhedsvurdering og ibrugtagningstilladelse"),
    "C4": ("0.5", "Anmeldelse af it-systemer i systemregister"),
    "C5": ("6.8, 6.9", "Proof of Concept og pilotprojekter"),
    "C6": ("Bilag 4", "Anlægsregnskaber"),
}


@dataclass(frozen=True, slots=True)
class AccountDue:
    """A capital account due under A2, as the capital-accounts pipeline hands it over (C6).

    `status` is due.csv's: igangvaerende, ikke_forfalden, forfalden, overskredet or aflagt.
    """

    projekt: str
    frist: dt.date
    status: str
    controller_email: str | None
    forelagt: dt.date | None
    sendt_til_revision: dt.date | None


@dataclass(frozen=True, slots=True)
class Recipient:
    """One address of one reminder, with its RACI role and the header it goes in."""

    address: str
    role: Role
    header: Literal["to", "cc"]
    name: str = ""


@dataclass(frozen=True, slots=True)
class Reminder:
    """One item's latest due milestone, with everything its digest entry says."""

    rule: str
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
    def section(self) -> str:
        return SECTIONS[self.rule][0]

    @property
    def section_title(self) -> str:
        return SECTIONS[self.rule][1]

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


# --- days ------------------------------------------------------------------------------------


class BusinessCalendar:
    """Danish business days: weekdays that are neither public holidays nor extra closed days."""

    def __init__(self, enabled: bool = True, extra_closed: Iterable[dt.date] = ()) -> None:
        self.enabled = enabled
        self._extra = frozenset(extra_closed)
        self._holidays = holidays.country_holidays("DK")

    @classmethod
    def from_settings(cls, settings: ReminderSettings) -> BusinessCalendar:
        return cls(settings.business_days, settings.extra_closed_days)

    def is_open(self, day: dt.date) -> bool:
        """Whether mail may go out on this day."""
        if not self.enabled:
            return True
        return day.weekday() < 5 and day not in self._holidays and day not in self._extra

    def next_open(self, day: dt.date) -> dt.date:
        """The day itself if open, else the next open day."""
        while not self.is_open(day):
            day += dt.timedelta(days=1)
        return day


@dataclass(frozen=True, slots=True)
class Milestone:
    """A milestone of one item: days from its date, and how many overdue reminders it makes."""

    offset: int
    overdue_count: int

    def label(self, due: dt.date) -> str:
        """The ledger's key for it, e.g. "D-30@2021-01-15" or "D+21@2020-12-01"."""
        return f"D{self.offset:+d}@{due.isoformat()}"


def latest_milestone(
    due: dt.date, as_of: dt.date, schedule: Schedule, calendar: BusinessCalendar
) -> Milestone | None:
    """The latest milestone whose shifted date is on or before `as_of`, or None."""
    if as_of >= due:
        k = (as_of - due).days // schedule.repeat_days
        while k >= 0:
            offset = k * schedule.repeat_days
            if calendar.next_open(due + dt.timedelta(days=offset)) <= as_of:
                return Milestone(offset, k)
            k -= 1
    for before in sorted(schedule.before_days):
        if calendar.next_open(due - dt.timedelta(days=before)) <= as_of:
            return Milestone(-before, 0)
    return None


def deadline_text(days: int) -> str:
    """Days until a deadline, in words: "om 3 dage", "i dag", "2 dage over fristen"."""
    if days > 1:
        return f"om {days} dage"
    if days == 1:
        return "i morgen"
    if days == 0:
        return "i dag"
    return "1 dag over fristen" if days == -1 else f"{-days} dage over fristen"


def since_text(days: int) -> str:
    """Days since an event: "i dag", "for 1 dag siden", "for 12 dage siden"."""
    if days >= 0:
        return "i dag" if days == 0 else deadline_text(days)
    return "for 1 dag siden" if days == -1 else f"for {-days} dage siden"


def danish_date(day: dt.date) -> str:
    """A date as Danes write it: 31.12.2020."""
    return day.strftime("%d.%m.%Y")


# --- planning --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    rule: str
    item: str
    owner: str
    title: str
    date_label: str
    date: dt.date
    due: dt.date
    deadline: bool  # a deadline ("om 3 dage") or an event that happened ("for 3 dage siden")
    action: str
    escalation_note: str
    udfoerende: tuple[tuple[str, str], ...]  # (address, display name)
    ansvarlig: tuple[tuple[str, str], ...]
    informeret: tuple[tuple[str, str], ...]
    source: Location | None


def _recipients(item: _Item, escalated: bool) -> tuple[Recipient, ...]:
    """Each address once, in its strongest role; escalation puts the Ansvarlig in To."""
    roles: list[tuple[str, str, Role]] = [(a, n, Role.UDFOERENDE) for a, n in item.udfoerende]
    roles += [(a, n, Role.INFORMERET) for a, n in item.informeret]
    if escalated:
        roles += [(a, n, Role.ANSVARLIG) for a, n in item.ansvarlig]
    best: dict[str, tuple[str, Role]] = {}
    for address, name, role in roles:
        key = address.lower()
        if key not in best or _ROLE_RANK[role] < _ROLE_RANK[best[key][1]]:
            best[key] = (name, role)
    out = []
    has_ansvarlig = any(role is Role.ANSVARLIG for _n, role in best.values())
    for key, (name, role) in best.items():
        if role is Role.ANSVARLIG:
            header: Literal["to", "cc"] = "to"
        elif role is Role.UDFOERENDE:
            # In an escalation the direktion is addressed and the unit copied; without a
            # direktion address the unit stays the addressee.
            header = "cc" if escalated and has_ansvarlig else "to"
        else:
            header = "cc"
        out.append(Recipient(key, role, header, name))
    return tuple(sorted(out, key=lambda r: (r.header != "to", _ROLE_RANK[r.role], r.address)))


def _plan_item(
    item: _Item,
    as_of: dt.date,
    schedule: Schedule,
    calendar: BusinessCalendar,
    findings: list[Finding],
) -> Reminder | None:
    if not schedule.enabled:
        return None
    milestone = latest_milestone(item.due, as_of, schedule, calendar)
    if milestone is None:
        return None
    escalated = milestone.overdue_count >= schedule.escalate_from
    if escalated and not item.ansvarlig:
        findings.append(
            Finding(
                Severity.WARNING,
                item.source or Location("påmindelser"),
                f"{item.rule} {item.item}: ingen adresse at eskalere til (direktionen) – "
                "påmindelsen sendes kun til de udførende",
                code="reminders.no_escalation_address",
            )
        )
    days = (item.date - as_of).days
    note = item.escalation_note if escalated else ""
    return Reminder(
        rule=item.rule,
        item=item.item,
        milestone=milestone.label(item.due),
        owner=item.owner,
        title=item.title,
        date_label=item.date_label,
        date=item.date,
        due=item.due,
        offset=milestone.offset,
        overdue_count=milestone.overdue_count,
        escalated=escalated,
        days=days,
        days_text=deadline_text(days) if item.deadline else since_text(days),
        action=item.action,
        note=note,
        recipients=_recipients(item, escalated),
        source=item.source,
    )


def _named(addresses: Sequence[str], name: str) -> tuple[tuple[str, str], ...]:
    return tuple((a, name) for a in addresses)


def _unit_roles(unit: Unit) -> tuple[tuple[tuple[str, str], ...], ...]:
    own = _named(unit.email, unit.enhed)
    direktion = _named(
        unit.direktion_email, f"Direktionen, {unit.forvaltning}" if unit.forvaltning else ""
    )
    digi = _named(
        unit.digitaliseringskontor_email,
        f"Digitaliseringskontoret, {unit.forvaltning}" if unit.forvaltning else "",
    )
    return own, direktion, digi


def acquisition_items(
    register: AcquisitionsRegister, as_of: dt.date, settings: ReminderSettings
) -> list[tuple[_Item, Schedule]]:
    """Every open item of C1–C5 in the register, each with the schedule it is reminded by."""
    kit = _named(register.koncern_it_email, "Koncern IT")
    file = register.file
    items: list[tuple[_Item, Schedule]] = []

    # C1 (5.1): every signed contract and addendum is sent to Koncern IT.
    for c in register.contracts:
        if c.sendt_til_koncern_it is not None or c.underskrevet > as_of:
            continue
        unit = register.unit(c.enhed)
        if unit is None:
            continue
        own, direktion, _digi = _unit_roles(unit)
        system = register.system(c.system_id)
        acquiring = register.unit(system.enhed) if system is not None else None
        digi = _unit_roles(acquiring or unit)[2]
        what = "Tillæg" if c.type == "Tillæg" else "Kontrakt"
        about = f" om {system.navn} ({system.system_id})" if system is not None else ""
        with_whom = f" med {c.leverandoer}" if c.leverandoer else ""
        kit_address = ", ".join(register.koncern_it_email)
        items.append(
            (
                _Item(
                    rule="C1",
                    item=c.kontrakt_id,
                    owner=unit.enhed,
                    title=f"{what} {c.kontrakt_id}{with_whom}{about}, underskrevet "
                    f"{danish_date(c.underskrevet)}, er ikke sendt til Koncern IT",
                    date_label="Frist for at sende til Koncern IT",
                    date=c.underskrevet + dt.timedelta(days=settings.c1.due_after_signing_days),
                    due=c.underskrevet + dt.timedelta(days=settings.c1.due_after_signing_days),
                    deadline=True,
                    action=f"Send den underskrevne {what.lower()} til Koncern IT ({kit_address}). "
                    "Koncern IT registrerer modtagelsen, og så stopper påmindelserne.",
                    escalation_note="",
                    udfoerende=own,
                    ansvarlig=direktion,
                    informeret=kit + digi,
                    source=Location(file, SHEET_CONTRACTS, c.row),
                ),
                settings.c1,
            )
        )

    systems = {s.system_id: s for s in register.systems}

    # C2 (5.2): conditions of a conditional permit are fixed within the agreed period.
    for b in register.conditions:
        system = systems.get(b.system_id)
        if b.udbedret is not None or system is None or system.tilladelse != "Betinget":
            continue
        unit = register.unit(system.enhed)
        if unit is None:
            continue
        own, direktion, digi = _unit_roles(unit)
        items.append(
            (
                _Item(
                    rule="C2",
                    item=b.betingelse_id,
                    owner=unit.enhed,
                    title=f"Betingelse {b.betingelse_id} for ibrugtagningstilladelsen til "
                    f"{system.navn} ({system.system_id})"
                    + (f": {b.beskrivelse}" if b.beskrivelse else ""),
                    date_label="Frist for udbedring",
                    date=b.frist,
                    due=b.frist,
                    deadline=True,
                    action="Udbedr forholdet sammen med digitaliseringskontoret, og meld det "
                    "til Koncern IT, så udbedringen kan registreres.",
                    escalation_note="Fristen er overskredet. Udbedres forholdet ikke, og er der "
                    "ikke lavet anden aftale, kan Koncern IT tilbagetrække "
                    "ibrugtagningstilladelsen (afsnit 5.2).",
                    udfoerende=own + digi,
                    ansvarlig=direktion,
                    informeret=kit,
                    source=Location(file, SHEET_CONDITIONS, b.row),
                ),
                settings.c2,
            )
        )

    for s in register.systems:
        unit = register.unit(s.enhed)
        if unit is None:
            continue
        own, direktion, digi = _unit_roles(unit)
        source = Location(file, SHEET_SYSTEMS, s.row)

        # C3 (5.2): only systems with a valid permit are in operation. A conditional permit is
        # a permit (its conditions are C2); a PoC needs none (6.8).
        if (
            s.i_drift is not None
            and s.i_drift <= as_of
            and s.tilladelse in ("Ingen", "Tilbagetrukket")
            and s.type != "PoC"
        ):
            state = "uden ibrugtagningstilladelse"
            if s.tilladelse == "Tilbagetrukket":
                state = "selv om ibrugtagningstilladelsen er trukket tilbage"
            items.append(
                (
                    _Item(
                        rule="C3",
                        item=s.system_id,
                        owner=unit.enhed,
                        title=f"{s.navn} ({s.system_id}) er i drift {state}",
                        date_label="I drift siden",
                        date=s.i_drift,
                        due=s.i_drift,
                        deadline=False,
                        action="Tag systemet ud af drift, eller få en gyldig "
                        "ibrugtagningstilladelse fra Koncern IT. Kun systemer med en gyldig "
                        "ibrugtagningstilladelse må være i drift.",
                        escalation_note="",
                        udfoerende=own,
                        ansvarlig=direktion,
                        informeret=kit,
                        source=source,
                    ),
                    settings.c3,
                )
            )

        # C4 (0.5): new systems are reported to the system register, by go-live at the latest
        # and within a set time of the first contract.
        if s.anmeldt_systemregister is None and s.type != "PoC":
            candidates = [s.i_drift] if s.i_drift is not None else []
            signed = [c.underskrevet for c in register.contracts if c.system_id == s.system_id]
            if signed:
                days = settings.c4.due_after_signing_days
                candidates.append(min(signed) + dt.timedelta(days=days))
            if candidates:
                due = min(candidates)
                items.append(
                    (
                        _Item(
                            rule="C4",
                            item=s.system_id,
                            owner=unit.enhed,
                            title=f"{s.navn} ({s.system_id}) er ikke anmeldt til det centrale "
                            "systemregister",
                            date_label="Frist for anmeldelse",
                            date=due,
                            due=due,
                            deadline=True,
                            action="Anmeld systemet til kommunens centrale systemregister efter "
                            "Koncern IT's retningslinjer.",
                            escalation_note="",
                            udfoerende=own,
                            ansvarlig=direktion,
                            informeret=kit + digi,
                            source=source,
                        ),
                        settings.c4,
                    )
                )

        # C5 (6.8, 6.9): a PoC or pilot is bounded in time; past its end it is closed down or
        # becomes an ordinary acquisition (Type "Anskaffelse" in the register).
        if s.type in ("PoC", "Pilot") and s.slutdato is not None:
            name = "Proof of Concept" if s.type == "PoC" else "Pilotprojektet"
            items.append(
                (
                    _Item(
                        rule="C5",
                        item=s.system_id,
                        owner=unit.enhed,
                        title=f"{name} {s.navn} ({s.system_id}) er passeret sin slutdato",
                        date_label="Slutdato",
                        date=s.slutdato,
                        due=s.slutdato + dt.timedelta(days=1),
                        deadline=False,
                        action="Luk testen ned, eller gør den til en almindelig anskaffelse "
                        "efter forretningscirkulæret, og meld det til Koncern IT, så registret "
                        "kan rettes.",
                        escalation_note="",
                        udfoerende=own,
                        ansvarlig=direktion,
                        informeret=kit,
                        source=source,
                    ),
                    settings.c5,
                )
            )
    return items


def account_items(
    accounts: Sequence[AccountDue], settings: ReminderSettings, findings: list[Finding]
) -> list[tuple[_Item, Schedule]]:
    """C6: accounts not yet presented by their deadline, then presented but not sent on."""
    schedule = settings.c6
    escalation = _named(split_addresses(schedule.escalation_email or ""), "")
    items: list[tuple[_Item, Schedule]] = []
    for a in accounts:
        if a.status == DueStatus.IGANGVAERENDE:
            continue
        controller = a.controller_email or schedule.default_controller_email
        if a.forelagt is None:
            title = f"Anlægsregnskabet for {a.projekt} er ikke aflagt"
            label, due = "Frist for aflæggelse", a.frist
            item = a.projekt
            action = (
                "Læg anlægsregnskabet for udvalget til efterretning inden fristen, og send det "
                "derefter til Intern Revision og Økonomiforvaltningens Center for Økonomi."
            )
        elif a.sendt_til_revision is None:
            title = (
                f"Anlægsregnskabet for {a.projekt} er forelagt udvalget "
                f"{danish_date(a.forelagt)}, men ikke sendt videre"
            )
            label = "Frist for at sende videre"
            due = a.forelagt + dt.timedelta(days=schedule.send_on_days)
            item = f"{a.projekt} (fremsendelse)"
            action = (
                "Send anlægsregnskabet til Intern Revision og Økonomiforvaltningens Center for "
                "Økonomi, og skriv datoen i registrets kolonne Sendt til revision."
            )
        else:
            continue
        if not controller:
            findings.append(
                Finding(
                    Severity.WARNING,
                    Location("register.xlsx", "Projekter"),
                    f"C6 {a.projekt}: ingen controller at minde om (Controller email er tom, og "
                    "reminders.c6.default_controller_email er ikke sat)",
                    code="reminders.no_controller",
                )
            )
            continue
        addresses = split_addresses(controller)
        items.append(
            (
                _Item(
                    rule="C6",
                    item=item,
                    owner=addresses[0].lower(),
                    title=title,
                    date_label=label,
                    date=due,
                    due=due,
                    deadline=True,
                    action=action,
                    escalation_note="",
                    udfoerende=_named(addresses, ""),
                    ansvarlig=escalation,
                    informeret=(),
                    source=None,
                ),
                schedule,
            )
        )
    return items


ACQUISITION_RULES = frozenset({"C1", "C2", "C3", "C4", "C5"})


def plan_accounts(
    accounts: Sequence[AccountDue], as_of: dt.date, settings: ReminderSettings
) -> Plan:
    """C6 alone: the reminders for capital accounts due under A2 and sent on under A3."""
    return plan_reminders(None, as_of, settings, accounts)


def plan_reminders(
    register: AcquisitionsRegister | None,
    as_of: dt.date,
    settings: ReminderSettings,
    accounts: Sequence[AccountDue] | None = None,
) -> Plan:
    """Every reminder due on `as_of`: C1–C5 from the register, C6 from `accounts`.

    None for either means "not known in this run": its rules are not planned, and their
    pending reminders are left as they are. On a closed day (with business days on) nothing
    is planned: what fell due waits for the next open day, if it is still due then.
    """
    calendar = BusinessCalendar.from_settings(settings)
    findings: list[Finding] = []
    items: list[tuple[_Item, Schedule]] = []
    rules: set[str] = set()
    if register is not None:
        items += acquisition_items(register, as_of, settings)
        rules |= ACQUISITION_RULES
    if accounts is not None:
        items += account_items(accounts, settings, findings)
        rules.add("C6")
    if not calendar.is_open(as_of):
        return Plan(as_of, False, (), tuple(findings), frozenset(rules))
    reminders = []
    for item, schedule in items:
        reminder = _plan_item(item, as_of, schedule, calendar, findings)
        if reminder is not None:
            reminders.append(reminder)
    reminders.sort(key=lambda r: (r.owner, r.rule, r.due, r.item))
    return Plan(as_of, True, tuple(reminders), tuple(findings), frozenset(rules))
