"""The ledger's table, its engine, its clock, and the one SQL condition for a pending row."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    event,
    or_,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from config.reminder_settings import ReminderSettings
from kitflow.core.findings import KitflowError
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


@dataclass(frozen=True, slots=True)
class DatabaseTimeouts:
    """How long the ledger's database may take: to connect, and to answer one statement.

    The settings `database_connect_timeout_seconds` and `database_statement_timeout_seconds`;
    the defaults here are theirs, for callers without settings.
    """

    connect_seconds: float = 10.0
    statement_seconds: float = 30.0

    @property
    def cut_seconds(self) -> float:
        """When a statement's connection is cut on this side: the server had its chance.

        The statement timeout is PostgreSQL's own, and its cancel comes back as an error on a
        connection that still works. A server, or network, that has stopped cannot send it:
        after as long again (at most 5 s more) the client cuts the connection itself.
        """
        return self.statement_seconds + min(self.statement_seconds, 5.0)


class LedgerUnavailableError(KitflowError):
    """The ledger's database did not answer: down, unreachable, locked or hung.

    One line, naming the database (never its password) and the reason. Raised by
    `open_ledger`; the nightly run writes its reports all the same and then fails with it.
    """

    exit_code = 5

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"påmindelsesregistret ({url}) svarer ikke: {reason}")


# What a database that has gone away, hangs or is locked raises (SQLite says "database is
# locked" as an OperationalError; psycopg's lost connection is one too, or an InterfaceError
# on a connection already closed).
DATABASE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError)


def shown_url(url: str) -> str:
    """The database URL as kitflow shows it: without its password."""
    # URL.set(password=None) leaves the password as it is; the URL is a named tuple.
    return make_url(url)._replace(password=None).render_as_string(hide_password=False)


class StatementCutError(sa_exc.OperationalError):
    """A statement had no answer within the timeouts, and kitflow cut its connection."""


def database_error_reason(exc: BaseException, timeouts: DatabaseTimeouts) -> str:
    """Why the database did not answer, in one line: the timeouts by name, else the driver's."""
    if isinstance(exc, StatementCutError):
        return (
            f"intet svar inden for {timeouts.cut_seconds:g} s "
            "(database_statement_timeout_seconds); forbindelsen er afbrudt"
        )
    orig = getattr(exc, "orig", None) or exc
    kind = type(orig).__name__
    if kind == "ConnectionTimeout":
        return (
            f"ingen forbindelse inden for {_connect_timeout(timeouts)} s "
            "(database_connect_timeout_seconds)"
        )
    if kind == "QueryCanceled":
        return (
            f"en forespørgsel tog mere end {timeouts.statement_seconds:g} s "
            "(database_statement_timeout_seconds)"
        )
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else kind


def _connect_timeout(timeouts: DatabaseTimeouts) -> int:
    # libpq's connect_timeout is whole seconds, at least 2.
    return max(2, math.ceil(timeouts.connect_seconds))


class _StatementGuard:
    """Cuts a PostgreSQL connection whose statement gets no answer within `seconds`.

    Armed (per DBAPI connection) before each statement, commit and rollback, disarmed after
    and when the connection goes back to the pool. Arming takes a duplicate of the
    connection's socket, so a timer can only ever cut the connection it was armed for; firing
    shuts that socket down, the driver's wait ends at once with an error, and `handle_error`
    turns it into a StatementCutError.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._armed: dict[int, tuple[threading.Timer, socket.socket]] = {}
        self._cut: set[int] = set()

    def arm(self, dbapi_conn: Any) -> None:
        key = id(dbapi_conn)
        self.disarm(dbapi_conn)
        try:
            sock = socket.socket(fileno=os.dup(dbapi_conn.fileno()))
        except Exception:  # closed already (the driver says so in its own way): nothing to cut
            return
        timer = threading.Timer(self.seconds, self._fire, (key,))
        timer.daemon = True
        with self._lock:
            self._armed[key] = (timer, sock)
        timer.start()

    def disarm(self, dbapi_conn: Any) -> None:
        with self._lock:
            armed = self._armed.pop(id(dbapi_conn), None)
        if armed is not None:
            armed[0].cancel()
            armed[1].close()

    def take_cut(self, dbapi_conn: Any) -> bool:
        """Whether this connection was cut (and forget it: its error is being raised)."""
        with self._lock:
            if id(dbapi_conn) in self._cut:
                self._cut.discard(id(dbapi_conn))
                return True
            return False

    def forget(self, dbapi_conn: Any) -> None:
        self.disarm(dbapi_conn)
        with self._lock:
            self._cut.discard(id(dbapi_conn))

    def _fire(self, key: int) -> None:
        with self._lock:
            armed = self._armed.pop(key, None)
            if armed is None:
                return  # disarmed meanwhile
            self._cut.add(key)
        with contextlib.suppress(OSError):
            armed[1].shutdown(socket.SHUT_RDWR)
        armed[1].close()


def _guard_statements(engine: Engine, seconds: float) -> None:
    guard = _StatementGuard(seconds)

    def dbapi(conn: Any) -> Any:
        if conn.invalidated or conn.closed:
            return None  # nothing left to wait on
        return conn.connection.dbapi_connection

    def arm(conn: Any, *_args: Any) -> None:
        if (raw := dbapi(conn)) is not None:
            guard.arm(raw)

    def disarm(conn: Any, *_args: Any) -> None:
        if (raw := dbapi(conn)) is not None:
            guard.disarm(raw)

    event.listen(engine, "before_cursor_execute", arm)
    event.listen(engine, "after_cursor_execute", disarm)
    event.listen(engine, "commit", arm)
    event.listen(engine, "rollback", arm)
    event.listen(engine.pool, "reset", lambda dbapi_conn, *_: guard.arm(dbapi_conn))
    event.listen(engine.pool, "checkin", lambda dbapi_conn, *_: guard.disarm(dbapi_conn))
    event.listen(engine.pool, "close", lambda dbapi_conn, *_: guard.forget(dbapi_conn))

    @event.listens_for(engine, "handle_error")
    def cut(ctx: Any) -> Any:
        raw = None if ctx.connection is None else dbapi(ctx.connection)
        if raw is None:
            return None  # failed to connect, or already given up: nothing armed
        guard.disarm(raw)
        if not guard.take_cut(raw):
            return None
        ctx.is_disconnect = True  # the connection is gone: the pool must not hand it out again
        return StatementCutError(ctx.statement, ctx.parameters, ctx.original_exception)


def make_engine(
    url: str, timeouts: DatabaseTimeouts | None = None, **engine_options: Any
) -> Engine:
    """An engine for the ledger (or the run lock) with the connect and statement timeouts.

    SQLite: the file's folder is created, and a writer waits the statement timeout for
    another's lock (the busy timeout). PostgreSQL: `connect_timeout`, the server's
    `statement_timeout` (added to any `options` the URL has), and a client-side cut for a
    server that no longer answers at all. No pre-ping: the engine lives for one step, a
    connection that died meanwhile fails its statement, and a ping itself could not be cut.
    """
    timeouts = timeouts or DatabaseTimeouts()
    parsed = make_url(url)
    connect_args = dict(engine_options.pop("connect_args", {}))
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args.setdefault("timeout", timeouts.statement_seconds)
        return create_engine(url, connect_args=connect_args, **engine_options)
    if parsed.get_backend_name() != "postgresql":
        return create_engine(url, connect_args=connect_args, **engine_options)
    options = parsed.query.get("options", "")
    if not isinstance(options, str):  # the parameter given more than once
        options = " ".join(options)
    statement_ms = max(1, round(timeouts.statement_seconds * 1000))
    connect_args.setdefault("connect_timeout", _connect_timeout(timeouts))
    connect_args["options"] = f"{options} -c statement_timeout={statement_ms}".strip()
    engine = create_engine(url, connect_args=connect_args, **engine_options)
    _guard_statements(engine, timeouts.cut_seconds)
    return engine


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
