"""Days: Danish business days, the milestone an item is due for, and dates and days in Danish."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import holidays

from kitflow.core.obligations.policy import ReminderPolicy, Schedule


class BusinessCalendar:
    """Danish business days: weekdays that are neither public holidays nor extra closed days."""

    def __init__(self, enabled: bool = True, extra_closed: Iterable[dt.date] = ()) -> None:
        self.enabled = enabled
        self._extra = frozenset(extra_closed)
        self._holidays = holidays.country_holidays("DK")

    @classmethod
    def from_policy(cls, policy: ReminderPolicy) -> BusinessCalendar:
        return cls(policy.business_days, policy.extra_closed_days)

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
    """A milestone of one item: days from its date, and how many overdue reminders it makes.

    An item's milestones are the schedule's days before its date, the date itself, then a
    repeat every `repeat_days` while the item stays open; the n-th repeat is the n-th overdue
    reminder, and from `escalate_from` on it is escalated to the direktion.
    """

    offset: int
    overdue_count: int

    def label(self, due: dt.date) -> str:
        """The ledger's key for it, e.g. "D-30@2021-01-15" or "D+21@2020-12-01"."""
        return f"D{self.offset:+d}@{due.isoformat()}"


def latest_milestone(
    due: dt.date, as_of: dt.date, schedule: Schedule, calendar: BusinessCalendar
) -> Milestone | None:
    """The latest milestone whose shifted date is on or before `as_of`, or None.

    A milestone is due from its date moved to the next business day on, so a night that did
    not run is caught up by the next; only the latest is planned, never a backlog.
    """
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
