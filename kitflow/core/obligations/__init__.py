"""Pure planning of the IT-acquisitions circular's reminders (C1–C6): what is due, and to whom."""

from kitflow.core.obligations.calendar import (
    BusinessCalendar,
    Milestone,
    danish_date,
    deadline_text,
    latest_milestone,
    since_text,
)
from kitflow.core.obligations.items import AccountDue, Facts, Found, Item, Rule
from kitflow.core.obligations.plan import Plan, Reminder, plan_accounts, plan_reminders
from kitflow.core.obligations.policy import (
    AccountSchedule,
    ReminderPolicy,
    Schedule,
    SigningSchedule,
)
from kitflow.core.obligations.recipients import Raci, Recipient, Role
from kitflow.core.obligations.rules import RULES

__all__ = [
    "RULES",
    "AccountDue",
    "AccountSchedule",
    "BusinessCalendar",
    "Facts",
    "Found",
    "Item",
    "Milestone",
    "Plan",
    "Raci",
    "Recipient",
    "Reminder",
    "ReminderPolicy",
    "Role",
    "Rule",
    "Schedule",
    "SigningSchedule",
    "danish_date",
    "deadline_text",
    "latest_milestone",
    "plan_accounts",
    "plan_reminders",
    "since_text",
]
