"""The reminder ledger in a real database: every reminder planned once, sent once, never lost.

One row per reminder and recipient, unique on (rule, item, milestone, recipient). A row is
`planned` when a run first sees it due, `sending` while a run holds it, then `sent`, `failed`
(retried by later runs after a backoff while `next_attempt_at` is set; for good when it is
not) or `cancelled` (the item was done, or a later milestone replaced it, before it went out).

The rows of one digest share a Message-ID fixed when they are planned. A run claims a digest
with one atomic UPDATE ... WHERE state IN (...), commits, sends, and commits again; a second
run at the same time finds nothing left to claim. A run that dies between the SMTP call and
the last commit leaves its rows `sending`; once their lease has run out a later run sends them
again with the same Message-ID, so a crash costs at most one duplicate, which mail clients
recognise as the same message.

The report mail uses the same ledger: rule RAPPORT, item anlaegsregnskab, milestone the as-of
date, one row per recipient (see `Outbox.enqueue`), built at sending time by the report flow.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
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
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url

from config.reminder_settings import ReminderSettings
from kitflow.core.obligations import Plan, Reminder, danish_date
from kitflow.mail import DigestItem, Transport, build_digest, new_message_id

log = logging.getLogger(__name__)

PLANNED, SENDING, SENT, FAILED, CANCELLED = "planned", "sending", "sent", "failed", "cancelled"
STATES = (PLANNED, SENDING, SENT, FAILED, CANCELLED)
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

Key = tuple[str, str, str, str]
# Makes the message of one claimed group of rows (same Message-ID); the second argument is
# the time to stamp as its Date (naive UTC).
MessageBuilder = Callable[[Sequence[Any], dt.datetime], EmailMessage]


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


def _payload(r: Reminder) -> dict[str, Any]:
    return {
        "rule": r.rule,
        "section": r.section,
        "section_title": r.section_title,
        "item": r.item,
        "title": r.title,
        "date_label": r.date_label,
        "date": danish_date(r.date),
        "days_text": r.days_text,
        "action": r.action,
        "note": r.note,
        "escalated": r.escalated,
        "overdue_count": r.overdue_count,
        "owner": r.owner,
        "kind": r.kind,
        "due": r.due.isoformat(),
    }


def reminder_keys(plan: Plan) -> set[Key]:
    """The ledger keys of every reminder and recipient in a plan."""
    return {
        (r.rule, r.item, r.milestone, rc.address) for r in plan.reminders for rc in r.recipients
    }


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What recording a plan changed in the ledger."""

    inserted: int
    refreshed: int
    reopened: int
    cancelled: int


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one delivery pass did, counted in reminder rows (one per recipient)."""

    messages_sent: int
    sent: int
    failed_temporarily: int
    failed_permanently: int
    stopped_early: str | None  # the connection error that ended the pass, if one did


@dataclass(frozen=True, slots=True)
class Entry:
    """One message to one recipient for `Outbox.enqueue`: its ledger key and what it says."""

    rule: str
    item: str
    milestone: str
    recipient: str
    name: str
    role: str
    header: str  # to or cc
    payload: dict[str, Any]

    @property
    def key(self) -> Key:
        return (self.rule, self.item, self.milestone, self.recipient)


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


class Outbox:
    """The ledger: record what a plan makes due, deliver what is due, report states."""

    def __init__(self, engine: Engine, settings: ReminderSettings, mail_from: str) -> None:
        self.engine = engine
        self.settings = settings
        self.mail_from = mail_from

    @classmethod
    def connect(cls, url: str, settings: ReminderSettings, mail_from: str) -> Outbox:
        """Open (and create if needed) the ledger at a SQLAlchemy URL."""
        engine = make_engine(url)
        create_schema(engine)
        return cls(engine, settings, mail_from)

    # --- planning ------------------------------------------------------------------------

    def record(self, plan: Plan, now: dt.datetime | None = None) -> RecordResult:
        """Make the ledger match the plan for the rules it covers.

        New reminders are inserted as planned; pending ones get today's wording; pending rows
        of a covered rule that the plan no longer has (done, or replaced by a later milestone)
        are cancelled. Sent rows are never touched, so a rerun of the same day adds nothing.
        """
        now = now or utc_now()
        wanted: dict[Key, tuple[Reminder, Any]] = {
            (r.rule, r.item, r.milestone, rc.address): (r, rc)
            for r in plan.reminders
            for rc in r.recipients
        }
        rules = sorted(plan.rules)
        inserted = refreshed = reopened = cancelled = 0
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(outbox).where(
                    or_(
                        outbox.c.state.in_((PLANNED, FAILED, SENDING)),
                        outbox.c.item.in_(sorted({k[1] for k in wanted})),
                    )
                )
            ).all()
            by_key = {(e.rule, e.item, e.milestone, e.recipient): e for e in existing}
            # A digest still waiting to be sent for the first time takes new rows in, so a
            # recipient gets one mail per run; one that has been tried keeps its content.
            open_digests: dict[str, str] = {}
            tried = {e.message_id for e in existing if e.state != PLANNED}
            for e in existing:
                if e.state == PLANNED and e.message_id not in tried:
                    open_digests.setdefault(e.digest, e.message_id)
            new_rows = []
            for key, (r, rc) in wanted.items():
                row = by_key.get(key)
                payload = json.dumps(_payload(r), ensure_ascii=False, sort_keys=True)
                if row is None or row.state == CANCELLED:
                    message_id = open_digests.get(r.digest)
                    if message_id is None:
                        message_id = open_digests[r.digest] = new_message_id(self.mail_from)
                    values = {
                        "recipient_name": rc.name,
                        "role": rc.role.value,
                        "header": rc.header,
                        "digest": r.digest,
                        "message_id": message_id,
                        "payload": payload,
                        "as_of": plan.as_of,
                        "state": PLANNED,
                        "next_attempt_at": None,
                        "claim_token": None,
                        "claimed_at": None,
                        "planned_at": now,
                    }
                    if row is None:
                        new_rows.append(
                            {
                                "rule": key[0],
                                "item": key[1],
                                "milestone": key[2],
                                "recipient": key[3],
                                "attempts": 0,
                                **values,
                            }
                        )
                    else:
                        conn.execute(
                            update(outbox)
                            .where(outbox.c.id == row.id, outbox.c.state == CANCELLED)
                            .values(**values)
                        )
                        reopened += 1
                elif row.state == PLANNED or (
                    row.state == FAILED and row.next_attempt_at is not None
                ):
                    conn.execute(
                        update(outbox)
                        .where(outbox.c.id == row.id, outbox.c.state == row.state)
                        .values(payload=payload, as_of=plan.as_of)
                    )
                    refreshed += 1
            if new_rows:
                inserted = self._insert_new(conn, new_rows)
            stale = [
                e.id
                for e in existing
                if e.rule in rules
                and (e.rule, e.item, e.milestone, e.recipient) not in wanted
                and (
                    e.state == PLANNED
                    or (e.state == FAILED and e.next_attempt_at is not None)
                    or (e.state == SENDING and e.claimed_at <= now - self._lease())
                )
            ]
            if stale:
                cancelled = conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(stale), outbox.c.state.in_((PLANNED, FAILED, SENDING)))
                    .values(state=CANCELLED, next_attempt_at=None, claim_token=None)
                ).rowcount
        return RecordResult(inserted, refreshed, reopened, cancelled)

    def _insert_new(self, conn: Any, rows: list[dict[str, Any]]) -> int:
        """Insert, skipping keys another run inserted meanwhile (ON CONFLICT DO NOTHING)."""
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            count = 0
            for row in rows:
                exists = conn.execute(
                    select(outbox.c.id).where(
                        outbox.c.rule == row["rule"],
                        outbox.c.item == row["item"],
                        outbox.c.milestone == row["milestone"],
                        outbox.c.recipient == row["recipient"],
                    )
                ).first()
                if exists is None:
                    conn.execute(insert(outbox).values(**row))
                    count += 1
            return count
        stmt = dialect_insert(outbox).on_conflict_do_nothing(
            index_elements=["rule", "item", "milestone", "recipient"]
        )
        count = 0
        for row in rows:
            # Counted by RETURNING: psycopg reports rowcount -1 for an INSERT ... ON CONFLICT.
            count += len(conn.execute(stmt.values(**row).returning(outbox.c.id)).all())
        return count

    def enqueue(
        self, entries: Sequence[Entry], as_of: dt.date, now: dt.datetime | None = None
    ) -> tuple[int, int]:
        """Add the entries not yet in the ledger, as one message; returns (added, cancelled).

        A key already there is left alone whatever its state, so a rerun sends nothing twice.
        Pending rows of the same rule and item from an earlier as-of date, not yet delivered,
        are cancelled: a newer report replaces them.
        """
        now = now or utc_now()
        if not entries:
            return 0, 0
        message_id = new_message_id(self.mail_from)
        rows = [
            {
                "rule": e.rule,
                "item": e.item,
                "milestone": e.milestone,
                "recipient": e.recipient,
                "recipient_name": e.name,
                "role": e.role,
                "header": e.header,
                "digest": f"{e.rule}|{e.item}|{e.milestone}",
                "message_id": message_id,
                "payload": json.dumps(e.payload, ensure_ascii=False, sort_keys=True),
                "as_of": as_of,
                "state": PLANNED,
                "attempts": 0,
                "planned_at": now,
            }
            for e in entries
        ]
        pairs = sorted({(e.rule, e.item) for e in entries})
        with self.engine.begin() as conn:
            added = self._insert_new(conn, rows)
            cancelled = conn.execute(
                update(outbox)
                .where(
                    or_(*(and_(outbox.c.rule == r, outbox.c.item == i) for r, i in pairs)),
                    outbox.c.as_of < as_of,
                    or_(
                        outbox.c.state == PLANNED,
                        and_(outbox.c.state == FAILED, outbox.c.next_attempt_at.is_not(None)),
                        and_(outbox.c.state == SENDING, outbox.c.claimed_at <= now - self._lease()),
                    ),
                )
                .values(state=CANCELLED, next_attempt_at=None, claim_token=None)
            ).rowcount
        return added, cancelled

    # --- delivery ------------------------------------------------------------------------

    def _lease(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.settings.sending_lease_minutes)

    def _backoff(self, attempts: int) -> dt.timedelta:
        minutes = self.settings.retry_base_minutes * 2 ** max(attempts - 1, 0)
        return min(dt.timedelta(minutes=minutes), dt.timedelta(hours=self.settings.retry_max_hours))

    def _eligible(self, now: dt.datetime) -> Any:
        return or_(
            outbox.c.state == PLANNED,
            and_(
                outbox.c.state == FAILED,
                outbox.c.next_attempt_at.is_not(None),
                outbox.c.next_attempt_at <= now,
            ),
            and_(outbox.c.state == SENDING, outbox.c.claimed_at <= now - self._lease()),
        )

    def deliver(
        self,
        transport: Transport,
        *,
        timezone: str,
        keys: Iterable[Key] | None = None,
        now: dt.datetime | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        build: MessageBuilder | None = None,
    ) -> DeliveryResult:
        """Send every digest that has a row due for sending, each claimed before it is sent.

        `build` makes a message from its rows; without one, the reminder digest is built and
        the report mail's rows are left to the report flow, which passes its own builder.

        `keys` limits the pass to today's plan (rows of rules the run did not plan stay as
        they are); `now` decides eligibility (backoff, lease) and `clock` stamps the Date.
        A connection-level failure (server down, login refused) ends the pass: the digests
        not yet tried stay planned, and the run reports them as pending.
        """
        now = now or utc_now()
        wanted = set(keys) if keys is not None else None
        with self.engine.connect() as conn:
            candidates = conn.execute(
                select(
                    outbox.c.message_id,
                    outbox.c.rule,
                    outbox.c.item,
                    outbox.c.milestone,
                    outbox.c.recipient,
                )
                .where(self._eligible(now))
                .order_by(outbox.c.id)
            ).all()
        message_ids: list[str] = []
        if build is None:
            build = functools.partial(self._build, timezone=timezone)
            candidates = [c for c in candidates if c.rule != REPORT_RULE]
        for c in candidates:
            if wanted is not None and (c.rule, c.item, c.milestone, c.recipient) not in wanted:
                continue
            if c.message_id not in message_ids:
                message_ids.append(c.message_id)

        messages = sent = temporary = permanent = 0
        stopped: str | None = None
        for message_id in message_ids:
            rows = self._claim(message_id, now)
            if not rows:
                continue  # another run has it
            try:
                msg = build(rows, clock())
            except Exception as exc:
                # Not left "sending" until the lease runs out: failed, retried after the backoff.
                self._fail(rows, _Outcome(f"{type(exc).__name__}: {exc}", True, False), now)
                raise
            try:
                refused = transport.send(msg)
            except (smtplib.SMTPException, OSError) as exc:
                outcome = _classify(exc)
                t, p = self._fail(rows, outcome, now)
                temporary, permanent = temporary + t, permanent + p
                log.warning("Mail %s blev ikke sendt: %s", message_id, outcome.text)
                if outcome.connection:
                    stopped = outcome.text
                    break
                continue
            ok = [r for r in rows if r.recipient not in refused]
            self._mark_sent(ok, now)
            sent += len(ok)
            messages += 1 if ok else 0
            for address, (code, text) in refused.items():
                outcome = _Outcome(f"{code} {text}", temporary=400 <= code < 500, connection=False)
                t, p = self._fail([r for r in rows if r.recipient == address], outcome, now)
                temporary, permanent = temporary + t, permanent + p
        return DeliveryResult(messages, sent, temporary, permanent, stopped)

    def _claim(self, message_id: str, now: dt.datetime) -> list[Any]:
        token = uuid.uuid4().hex
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.message_id == message_id, self._eligible(now))
                .values(
                    state=SENDING,
                    claim_token=token,
                    claimed_at=now,
                    attempts=outbox.c.attempts + 1,
                )
            )
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(outbox).where(outbox.c.claim_token == token).order_by(outbox.c.id)
                ).all()
            )

    def _build(self, rows: Sequence[Any], now: dt.datetime, *, timezone: str) -> EmailMessage:
        items: dict[tuple[str, str, str], DigestItem] = {}
        payloads = []
        for r in rows:
            payload = json.loads(r.payload)
            payloads.append(payload)
            items.setdefault((r.rule, r.item, r.milestone), DigestItem.from_payload(payload))
        first = payloads[0]
        to, cc = addressees(rows)
        return build_digest(
            list(items.values()),
            owner=first["owner"],
            kind=first["kind"],
            as_of=max(r.as_of for r in rows),
            to=to,
            cc=cc,
            mail_from=self.mail_from,
            message_id=rows[0].message_id,
            now=now.replace(tzinfo=dt.UTC),
            timezone=timezone,
        )

    def _mark_sent(self, rows: Sequence[Any], now: dt.datetime) -> None:
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(
                    outbox.c.id.in_([r.id for r in rows]),
                    outbox.c.claim_token == rows[0].claim_token,
                )
                .values(state=SENT, sent_at=now, last_error=None, next_attempt_at=None)
            )

    def _fail(self, rows: Sequence[Any], outcome: _Outcome, now: dt.datetime) -> tuple[int, int]:
        """Mark rows failed; returns (temporarily, permanently) failed counts."""
        temporary = permanent = 0
        with self.engine.begin() as conn:
            for r in rows:
                retry = outcome.temporary and r.attempts < self.settings.max_attempts
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == r.id, outbox.c.claim_token == r.claim_token)
                    .values(
                        state=FAILED,
                        last_error=outcome.text[:2000],
                        next_attempt_at=now + self._backoff(r.attempts) if retry else None,
                    )
                )
                if retry:
                    temporary += 1
                else:
                    permanent += 1
        return temporary, permanent

    # --- reporting -----------------------------------------------------------------------

    def rows(self, keys: Iterable[Key] | None = None) -> list[LedgerRow]:
        """Ledger rows (all, or those with the given keys), in a stable order."""
        wanted = set(keys) if keys is not None else None
        with self.engine.connect() as conn:
            result = conn.execute(select(outbox).order_by(outbox.c.id)).all()
        out = []
        for r in result:
            if wanted is not None and (r.rule, r.item, r.milestone, r.recipient) not in wanted:
                continue
            out.append(LedgerRow(**{f: getattr(r, f) for f in _LEDGER_FIELDS}))
        return out


_LEDGER_FIELDS = tuple(LedgerRow.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class _Outcome:
    text: str
    temporary: bool
    connection: bool  # the server or the login failed: the next digest would fail the same way


def _classify(exc: BaseException) -> _Outcome:
    """What an SMTP failure means for the rows: retry later or never, and whether to stop."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(
            f"{a}: {code} {resp.decode('utf-8', 'replace') if isinstance(resp, bytes) else resp}"
            for a, (code, resp) in exc.recipients.items()
        )
        return _Outcome(text, temporary=any(400 <= c < 500 for c in codes), connection=False)
    if isinstance(exc, smtplib.SMTPDataError):
        text = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
        return _Outcome(text, temporary=not 500 <= exc.smtp_code < 600, connection=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        # Sender refused, HELO, AUTH: settings or the server, not this message; retry later.
        text = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
        return _Outcome(text, temporary=True, connection=True)
    return _Outcome(f"{type(exc).__name__}: {exc}", temporary=True, connection=True)


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def addressees(rows: Sequence[Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(To, Cc) of a claimed message as (address, name) pairs, each address once."""
    to = _unique((r.recipient, r.recipient_name) for r in rows if r.header == "to")
    cc = _unique((r.recipient, r.recipient_name) for r in rows if r.header == "cc")
    if not to:  # only copies left to (re)send: they go as To, still the same message
        to, cc = cc, []
    return to, cc


def _unique(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for address, name in pairs:
        seen.setdefault(address.lower(), (address, name))
    return list(seen.values())


def pending_rows(rows: Iterable[LedgerRow]) -> list[LedgerRow]:
    """Rows still to be delivered: planned, being sent, or failed with a retry ahead."""
    return [
        r
        for r in rows
        if r.state in (PLANNED, SENDING) or (r.state == FAILED and r.next_attempt_at is not None)
    ]


def group_by_message(rows: Iterable[LedgerRow]) -> dict[str, list[LedgerRow]]:
    """Rows per Message-ID."""
    out: dict[str, list[LedgerRow]] = defaultdict(list)
    for r in rows:
        out[r.message_id].append(r)
    return dict(out)
