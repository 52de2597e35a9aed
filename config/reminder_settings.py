"""Settings for the reminders of the IT-acquisitions circular (C1–C6), outbox and report mail."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, Field, field_validator

_ADDRESS = re.compile(r"^[^@\s;,<>]+@[^@\s;,<>]+\.[^@\s;,<>]+$")


class Schedule(BaseModel):
    """When one obligation is reminded: days before its date, on it, then every N days after.

    The n-th repeat after the date is the n-th overdue reminder; from `escalate_from` on it
    goes to the direktion (the RACI table's Ansvarlig) as well.
    """

    enabled: bool = True
    before_days: list[int] = Field(default_factory=list)
    repeat_days: int = Field(default=7, ge=1)
    escalate_from: int = Field(default=3, ge=1)

    @field_validator("before_days")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(days <= 0 for days in value):
            raise ValueError("before_days are days before the date and must be positive")
        return sorted(set(value), reverse=True)


class ContractSchedule(Schedule):
    """C1: a signed contract or addendum is due at Koncern IT this many days after signing."""

    due_after_signing_days: int = Field(default=14, ge=0)


class RegisterSchedule(Schedule):
    """C4: a system is due in the system register by go-live, or this long after first signing."""

    due_after_signing_days: int = Field(default=30, ge=0)
    before_days: list[int] = Field(default_factory=lambda: [7])


class AccountSchedule(Schedule):
    """C6: capital accounts before 31 December of the due year, then sent on after presenting."""

    before_days: list[int] = Field(default_factory=lambda: [60, 30, 7])
    # After the committee: sent to Intern Revision and Center for Økonomi within this many days.
    send_on_days: int = Field(default=14, ge=0)
    # Who is reminded when the register names no controller, and who is escalated to.
    default_controller_email: str | None = None
    escalation_email: str | None = None


class ReminderSettings(BaseModel):
    """Everything about reminders an operator may set (KITFLOW_REMINDERS__...)."""

    # Mail goes out on Danish business days only; a milestone on a closed day waits for the
    # next open one. Extra closed days (e.g. 2020-12-24) add to the public holidays.
    business_days: bool = True
    extra_closed_days: list[dt.date] = Field(default_factory=list)

    c1: ContractSchedule = Field(default_factory=ContractSchedule)
    c2: Schedule = Field(default_factory=lambda: Schedule(before_days=[30, 7, 1]))
    c3: Schedule = Field(default_factory=Schedule)
    c4: RegisterSchedule = Field(default_factory=RegisterSchedule)
    c5: Schedule = Field(default_factory=Schedule)
    c6: AccountSchedule = Field(default_factory=AccountSchedule)

    # Delivery: a failed message is retried by later runs after base * 2**(attempts-1) minutes,
    # capped; after max_attempts it stays failed. A message left "sending" by a crashed run is
    # sent again (same Message-ID) once this lease has run out.
    retry_base_minutes: float = Field(default=15, gt=0)
    retry_max_hours: float = Field(default=24, gt=0)
    max_attempts: int = Field(default=10, ge=1)
    sending_lease_minutes: float = Field(default=30, gt=0)

    # The report mail (flow rapportmail): the run's workbook and bilag go to these addresses
    # (To, and Cc), attached up to the size limit, else as a link under report_link_base (a
    # share or web address where the output folder is published).
    report_recipients: list[str] = Field(default_factory=list)
    report_cc: list[str] = Field(default_factory=list)
    attachment_limit_mb: float = Field(default=10, ge=0)
    report_link_base: str | None = None

    @field_validator("report_recipients", "report_cc")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        cleaned = [a.strip() for a in value if a.strip()]
        bad = [a for a in cleaned if not _ADDRESS.match(a)]
        if bad:
            raise ValueError(f"not an e-mail address: {', '.join(bad)} (one address per entry)")
        return cleaned
