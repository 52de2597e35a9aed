"""What planning needs to know from the operator: business days and each rule's schedule.

Plain frozen values, so the core needs no settings library; `kitflow.app.reminder_policy`
builds them from the settings. The defaults are the settings' defaults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar


@dataclass(frozen=True, slots=True)
class Schedule:
    """When one obligation is reminded: days before its date, on it, then every N days after.

    The n-th repeat after the date is the n-th overdue reminder; from `escalate_from` on it
    goes to the direktion (the RACI table's Ansvarlig) as well.
    """

    enabled: bool = True
    before_days: tuple[int, ...] = ()
    repeat_days: int = 7
    escalate_from: int = 3

    def __post_init__(self) -> None:
        if any(days <= 0 for days in self.before_days):
            raise ValueError("before_days are days before the date and must be positive")
        if self.repeat_days < 1 or self.escalate_from < 1:
            raise ValueError("repeat_days and escalate_from must be at least 1")
        # Distinct and largest first, as the settings hand them over.
        object.__setattr__(self, "before_days", tuple(sorted(set(self.before_days), reverse=True)))


@dataclass(frozen=True, slots=True)
class SigningSchedule(Schedule):
    """C1 and C4: the obligation falls due this many days after a contract is signed."""

    due_after_signing_days: int = 14


@dataclass(frozen=True, slots=True)
class AccountSchedule(Schedule):
    """C6: capital accounts before their deadline, then sent on after presenting."""

    before_days: tuple[int, ...] = (60, 30, 7)
    # After the committee: sent to Intern Revision and Center for Økonomi within this many days.
    send_on_days: int = 14
    # Who is reminded when the register names no controller, and who is escalated to.
    default_controller_email: str | None = None
    escalation_email: str | None = None


S = TypeVar("S", bound=Schedule)


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """Business days and the schedules by rule id; a rule without one plans with its default."""

    # Mail goes out on Danish business days only; a milestone on a closed day waits for the
    # next open one. Extra closed days (e.g. 2020-12-24) add to the public holidays.
    business_days: bool = True
    extra_closed_days: frozenset[dt.date] = frozenset()
    schedules: Mapping[str, Schedule] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        days: Iterable[dt.date] = self.extra_closed_days
        object.__setattr__(self, "extra_closed_days", frozenset(days))
        object.__setattr__(self, "schedules", MappingProxyType(dict(self.schedules)))

    def schedule(self, rule: str, default: S) -> S:
        """The schedule `rule` is reminded by; it must be of its default's kind."""
        found = self.schedules.get(rule, default)
        if not isinstance(found, type(default)):
            raise TypeError(
                f"{rule}: the schedule must be a {type(default).__name__}, "
                f"not a {type(found).__name__}"
            )
        return found
