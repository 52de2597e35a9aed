"""The circular's rules C1–C6, each one function over the same facts, and `RULES` naming them.

A rule finds the open items of its obligation; an item that is done (sent, fixed, reported,
presented) is not found, so it has no milestones. Adding a rule is one function and one entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from kitflow.core.acquisitions import (
    SHEET_CONDITIONS,
    SHEET_CONTRACTS,
    SHEET_SYSTEMS,
    AcquisitionsRegister,
    System,
    Unit,
    split_addresses,
)
from kitflow.core.findings import Finding, Location, Severity
from kitflow.core.obligations.calendar import danish_date
from kitflow.core.obligations.items import AccountDue, Facts, Found, Item, Rule
from kitflow.core.obligations.policy import AccountSchedule, Schedule, SigningSchedule
from kitflow.core.obligations.recipients import Raci, koncern_it, named, unit_roles
from kitflow.core.rules import DueStatus


def _systems(register: AcquisitionsRegister) -> Iterator[tuple[System, Unit, Location]]:
    for s in register.systems:
        unit = register.unit(s.enhed)
        if unit is not None:
            yield s, unit, Location(register.file, SHEET_SYSTEMS, s.row)


def contract_not_sent(facts: Facts, schedule: SigningSchedule) -> Found:
    """C1 (5.1): every signed contract and addendum is sent to Koncern IT."""
    if (register := facts.register) is None:
        return
    for c in register.contracts:
        unit = register.unit(c.enhed)
        if c.sendt_til_koncern_it is not None or c.underskrevet > facts.as_of or unit is None:
            continue
        system = register.system(c.system_id)
        acquiring = register.unit(system.enhed) if system is not None else None
        what = "Tillæg" if c.type == "Tillæg" else "Kontrakt"
        about = f" om {system.navn} ({system.system_id})" if system is not None else ""
        with_whom = f" med {c.leverandoer}" if c.leverandoer else ""
        roles = unit_roles(unit)
        yield Item(
            item=c.kontrakt_id,
            owner=unit.enhed,
            title=f"{what} {c.kontrakt_id}{with_whom}{about}, underskrevet "
            f"{danish_date(c.underskrevet)}, er ikke sendt til Koncern IT",
            date_label="Frist for at sende til Koncern IT",
            date=c.underskrevet + dt.timedelta(days=schedule.due_after_signing_days),
            action=f"Send den underskrevne {what.lower()} til Koncern IT "
            f"({', '.join(register.koncern_it_email)}). "
            "Koncern IT registrerer modtagelsen, og så stopper påmindelserne.",
            # The digitaliseringskontor of the unit acquiring the system, if it is known.
            raci=Raci(
                roles.own,
                roles.direktion,
                koncern_it(register) + unit_roles(acquiring or unit).digi,
            ),
            source=Location(register.file, SHEET_CONTRACTS, c.row),
        )


def condition_not_fixed(facts: Facts, schedule: Schedule) -> Found:
    """C2 (5.2): conditions of a conditional permit are fixed within the agreed period."""
    if (register := facts.register) is None:
        return
    systems = {s.system_id: s for s in register.systems}
    for b in register.conditions:
        system = systems.get(b.system_id)
        if b.udbedret is not None or system is None or system.tilladelse != "Betinget":
            continue
        if (unit := register.unit(system.enhed)) is None:
            continue
        roles = unit_roles(unit)
        yield Item(
            item=b.betingelse_id,
            owner=unit.enhed,
            title=f"Betingelse {b.betingelse_id} for ibrugtagningstilladelsen til "
            f"{system.navn} ({system.system_id})" + (f": {b.beskrivelse}" if b.beskrivelse else ""),
            date_label="Frist for udbedring",
            date=b.frist,
            action="Udbedr forholdet sammen med digitaliseringskontoret, og meld det "
            "til Koncern IT, så udbedringen kan registreres.",
            escalation_note="Fristen er overskredet. Udbedres forholdet ikke, og er der "
            "ikke lavet anden aftale, kan Koncern IT tilbagetrække "
            "ibrugtagningstilladelsen (afsnit 5.2).",
            raci=Raci(roles.own + roles.digi, roles.direktion, koncern_it(register)),
            source=Location(register.file, SHEET_CONDITIONS, b.row),
        )


def running_without_permit(facts: Facts, schedule: Schedule) -> Found:
    """C3 (5.2): only systems with a valid permit are in operation.

    A conditional permit is a permit (its conditions are C2); a PoC needs none (6.8).
    """
    if (register := facts.register) is None:
        return
    for s, unit, source in _systems(register):
        running = s.i_drift is not None and s.i_drift <= facts.as_of
        if not running or s.tilladelse not in ("Ingen", "Tilbagetrukket") or s.type == "PoC":
            continue
        state = "uden ibrugtagningstilladelse"
        if s.tilladelse == "Tilbagetrukket":
            state = "selv om ibrugtagningstilladelsen er trukket tilbage"
        roles = unit_roles(unit)
        yield Item(
            item=s.system_id,
            owner=unit.enhed,
            title=f"{s.navn} ({s.system_id}) er i drift {state}",
            date_label="I drift siden",
            date=s.i_drift,
            deadline=False,
            action="Tag systemet ud af drift, eller få en gyldig ibrugtagningstilladelse "
            "fra Koncern IT. Kun systemer med en gyldig ibrugtagningstilladelse må være "
            "i drift.",
            raci=Raci(roles.own, roles.direktion, koncern_it(register)),
            source=source,
        )


def not_in_system_register(facts: Facts, schedule: SigningSchedule) -> Found:
    """C4 (0.5): new systems are reported to the system register, by go-live at the latest
    and within a set time of the first contract."""
    if (register := facts.register) is None:
        return
    for s, unit, source in _systems(register):
        if s.anmeldt_systemregister is not None or s.type == "PoC":
            continue
        candidates = [s.i_drift] if s.i_drift is not None else []
        signed = [c.underskrevet for c in register.contracts if c.system_id == s.system_id]
        if signed:
            candidates.append(min(signed) + dt.timedelta(days=schedule.due_after_signing_days))
        if not candidates:
            continue
        roles = unit_roles(unit)
        yield Item(
            item=s.system_id,
            owner=unit.enhed,
            title=f"{s.navn} ({s.system_id}) er ikke anmeldt til det centrale systemregister",
            date_label="Frist for anmeldelse",
            date=min(candidates),
            action="Anmeld systemet til kommunens centrale systemregister efter "
            "Koncern IT's retningslinjer.",
            raci=Raci(roles.own, roles.direktion, koncern_it(register) + roles.digi),
            source=source,
        )


def trial_past_its_end(facts: Facts, schedule: Schedule) -> Found:
    """C5 (6.8, 6.9): a PoC or pilot is bounded in time; past its end it is closed down or
    becomes an ordinary acquisition (Type "Anskaffelse" in the register)."""
    if (register := facts.register) is None:
        return
    for s, unit, source in _systems(register):
        if s.type not in ("PoC", "Pilot") or s.slutdato is None:
            continue
        name = "Proof of Concept" if s.type == "PoC" else "Pilotprojektet"
        roles = unit_roles(unit)
        yield Item(
            item=s.system_id,
            owner=unit.enhed,
            title=f"{name} {s.navn} ({s.system_id}) er passeret sin slutdato",
            date_label="Slutdato",
            date=s.slutdato,
            # Reminded from the day after: the end date itself is still within the test.
            due=s.slutdato + dt.timedelta(days=1),
            deadline=False,
            action="Luk testen ned, eller gør den til en almindelig anskaffelse "
            "efter forretningscirkulæret, og meld det til Koncern IT, så registret "
            "kan rettes.",
            raci=Raci(roles.own, roles.direktion, koncern_it(register)),
            source=source,
        )


def account_not_presented(facts: Facts, schedule: AccountSchedule) -> Found:
    """C6 (Bilag 4): accounts not presented by their deadline, then presented but not sent on."""
    if (accounts := facts.accounts) is None:
        return
    escalation = named(split_addresses(schedule.escalation_email or ""), "")
    for a in accounts:
        if a.status == DueStatus.IGANGVAERENDE:
            continue
        if a.forelagt is None:
            item, title = a.projekt, f"Anlægsregnskabet for {a.projekt} er ikke aflagt"
            label, due = "Frist for aflæggelse", a.frist
            action = (
                "Læg anlægsregnskabet for udvalget til efterretning inden fristen, og send det "
                "derefter til Intern Revision og Økonomiforvaltningens Center for Økonomi."
            )
        elif a.sendt_til_revision is None:
            item = f"{a.projekt} (fremsendelse)"
            title = (
                f"Anlægsregnskabet for {a.projekt} er forelagt udvalget "
                f"{danish_date(a.forelagt)}, men ikke sendt videre"
            )
            label = "Frist for at sende videre"
            due = a.forelagt + dt.timedelta(days=schedule.send_on_days)
            action = (
                "Send anlægsregnskabet til Intern Revision og Økonomiforvaltningens Center for "
                "Økonomi, og skriv datoen i registrets kolonne Sendt til revision."
            )
        else:
            continue
        controller = a.controller_email or schedule.default_controller_email
        if not controller:
            yield _no_controller(a)
            continue
        addresses = split_addresses(controller)
        yield Item(
            item=item,
            owner=addresses[0].lower(),
            title=title,
            date_label=label,
            date=due,
            action=action,
            raci=Raci(named(addresses, ""), escalation),
        )


def _no_controller(a: AccountDue) -> Finding:
    return Finding(
        Severity.WARNING,
        a.source or Location("register.xlsx", "Projekter"),
        f"C6 {a.projekt}: ingen controller at minde om (Controller email er tom, og "
        "reminders.c6.default_controller_email er ikke sat)",
        code="reminders.no_controller",
    )


_TILLADELSE = "Sikkerhedsvurdering og ibrugtagningstilladelse"

# The rules in the order they are planned; each plans with its default schedule unless the
# policy has one for its id.
RULES: tuple[Rule, ...] = (
    Rule("C1", "5.1", "Kontraktstyring", SigningSchedule(), contract_not_sent),
    Rule("C2", "5.2", _TILLADELSE, Schedule(before_days=(30, 7, 1)), condition_not_fixed),
    Rule("C3", "5.2", _TILLADELSE, Schedule(), running_without_permit),
    Rule(
        "C4",
        "0.5",
        "Anmeldelse af it-systemer i systemregister",
        SigningSchedule(before_days=(7,), due_after_signing_days=30),
        not_in_system_register,
    ),
    Rule("C5", "6.8, 6.9", "Proof of Concept og pilotprojekter", Schedule(), trial_past_its_end),
    Rule("C6", "Bilag 4", "Anlægsregnskaber", AccountSchedule(), account_not_presented, "accounts"),
)
