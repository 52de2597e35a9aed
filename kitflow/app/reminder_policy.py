"""The reminder settings an operator sets, turned into the policy the pure planning core takes."""

from __future__ import annotations

from typing import Any

from config.reminder_settings import AccountSchedule as AccountSettings
from config.reminder_settings import ContractSchedule, RegisterSchedule, ReminderSettings
from config.reminder_settings import Schedule as ScheduleSettings
from kitflow.core.obligations import AccountSchedule, ReminderPolicy, Schedule, SigningSchedule


def reminder_policy(settings: ReminderSettings) -> ReminderPolicy:
    """Business days and every schedule the settings have, under its rule id (c1 is C1)."""
    return ReminderPolicy(
        business_days=settings.business_days,
        extra_closed_days=frozenset(settings.extra_closed_days),
        # Every schedule field, so that a new rule's settings need only their field.
        schedules={
            name.upper(): _schedule(value)
            for name, value in settings
            if isinstance(value, ScheduleSettings)
        },
    )


def _schedule(s: ScheduleSettings) -> Schedule:
    common: dict[str, Any] = {
        "enabled": s.enabled,
        "before_days": tuple(s.before_days),
        "repeat_days": s.repeat_days,
        "escalate_from": s.escalate_from,
    }
    if isinstance(s, AccountSettings):
        return AccountSchedule(
            **common,
            send_on_days=s.send_on_days,
            default_controller_email=s.default_controller_email,
            escalation_email=s.escalation_email,
        )
    if isinstance(s, ContractSchedule | RegisterSchedule):
        return SigningSchedule(**common, due_after_signing_days=s.due_after_signing_days)
    return Schedule(**common)
