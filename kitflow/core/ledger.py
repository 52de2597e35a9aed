"""The reminder ledger's words: a row's states and key, its reported row, and what pending is."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class State(StrEnum):
    """Where a ledger row stands; the values are what the database stores and reminders.csv shows.

    planned (due, not yet tried) → sending (a run holds it) → sent, or failed (retried after a
    backoff while `next_attempt_at` is set, for good when it is not), or cancelled (the item was
    done, or a later milestone or report replaced it, before it went out).
    """

    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


PLANNED = State.PLANNED
SENDING = State.SENDING
SENT = State.SENT
FAILED = State.FAILED
CANCELLED = State.CANCELLED
STATES = tuple(State)

# A row's identity in the ledger: (rule, item, milestone, recipient).
Key = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One ledger row as reminders.csv and the run summary show it."""

    rule: str
    item: str
    recipient: str
    role: str
    milestone: str
    state: str
    header: str
    message_id: str
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime | None


class Stated(Protocol):
    """Anything with a ledger row's state and retry time: a LedgerRow, or a row of the table."""

    @property
    def state(self) -> str: ...

    @property
    def next_attempt_at(self) -> dt.datetime | None: ...


def is_pending(row: Stated) -> bool:
    """Still to be delivered: planned, being sent, or failed with a retry ahead."""
    return row.state in (PLANNED, SENDING) or (
        row.state == FAILED and row.next_attempt_at is not None
    )


def failed_for_good(row: Stated) -> bool:
    """Failed with no retry ahead: permanently refused, or out of attempts."""
    return row.state == FAILED and row.next_attempt_at is None


def pending_rows(rows: Iterable[LedgerRow]) -> list[LedgerRow]:
    """Rows still to be delivered: planned, being sent, or failed with a retry ahead."""
    return [r for r in rows if is_pending(r)]


def group_by_message(rows: Iterable[LedgerRow]) -> dict[str, list[LedgerRow]]:
    """Rows per Message-ID."""
    out: dict[str, list[LedgerRow]] = defaultdict(list)
    for r in rows:
        out[r.message_id].append(r)
    return dict(out)
