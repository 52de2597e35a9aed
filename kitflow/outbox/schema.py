"""The ledger's table, its engine, its clock, and the one SQL condition for a pending row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    create_engine,
    or_,
)
from sqlalchemy.engine import make_url

from config.reminder_settings import ReminderSettings
from kitflow.core.ledger import FAILED, PLANNED, SENDING

# The report mail's rows: rule RAPPORT, item the report, milestone its as-of date.
REPORT_RULE = "RAPPORT"

metadata = MetaData()
outbox = Table(
    "kitflow_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(8), nullable=False),
    Column("item", String(200), nullable=False),
    Column("milestone", String(40), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("recipient_name", String(200), nullable=False, default=""),
    Column("role", String(16), nullable=False),
    Column("header", String(2), nullable=False),
    Column("digest", String(400), nullable=False),
    Column("message_id", String(250), nullable=False),
    Column("payload", Text, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime),
    Column("claim_token", String(40)),
    Column("claimed_at", DateTime),
    Column("planned_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    UniqueConstraint("rule", "item", "milestone", "recipient", name="uq_kitflow_outbox_key"),
    Index("ix_kitflow_outbox_state", "state"),
    Index("ix_kitflow_outbox_message_id", "message_id"),
)

# Every state a pending row can be in (and a failure for good is in): the rows `record` reads
# besides its plan's items, and the guard of its cancelling UPDATE. Sent and cancelled are not.
UNSETTLED = (PLANNED, FAILED, SENDING)


def utc_now() -> dt.datetime:
    """Now, as the ledger stores times: naive UTC (the same on SQLite and PostgreSQL)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def make_engine(url: str) -> Engine:
    """An engine for the ledger; a SQLite file's folder is created, and writers wait for locks."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Create the ledger table if it is not there (idempotent)."""
    metadata.create_all(engine)


def pending_unheld(
    now: dt.datetime, lease: dt.timedelta, *, retry_due: bool
) -> ColumnElement[bool]:
    """SQL: the row is pending and no live run holds it, so this run may take it.

    That is: planned; or failed with a retry ahead (with `retry_due`, only one due by `now`:
    what may be sent now; without, any: what may be cancelled); or sending with a claim older
    than `lease` (the run that claimed it died). A claim within its lease is another run's.
    """
    failed = [outbox.c.state == FAILED, outbox.c.next_attempt_at.is_not(None)]
    if retry_due:
        failed.append(outbox.c.next_attempt_at <= now)
    return or_(
        outbox.c.state == PLANNED,
        and_(*failed),
        and_(outbox.c.state == SENDING, outbox.c.claimed_at <= now - lease),
    )


class LedgerBase:
    """What every part of the Outbox holds: the engine, the reminder settings, the From address."""

    def __init__(self, engine: Engine, settings: ReminderSettings, mail_from: str) -> None:
        self.engine = engine
        self.settings = settings
        self.mail_from = mail_from

    def _lease(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.settings.sending_lease_minutes)

    def _unheld(self, now: dt.datetime, *, retry_due: bool) -> ColumnElement[bool]:
        """`pending_unheld` with this ledger's sending lease."""
        return pending_unheld(now, self._lease(), retry_due=retry_due)
