"""Writing to the ledger: a reminder plan's rows (`record`), the report mail's (`enqueue`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from kitflow.core.ledger import CANCELLED, PLANNED, SENDING, Key, is_pending
from kitflow.core.obligations import Plan, Reminder, danish_date
from kitflow.mail import new_message_id
from kitflow.outbox.schema import UNSETTLED, LedgerBase, outbox, utc_now


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What recording a plan changed in the ledger."""

    inserted: int
    refreshed: int
    reopened: int
    cancelled: int


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


def reminder_keys(plan: Plan) -> set[Key]:
    """The ledger keys of every reminder and recipient in a plan."""
    return {
        (r.rule, r.item, r.milestone, rc.address) for r in plan.reminders for rc in r.recipients
    }


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


class Recording(LedgerBase):
    """The Outbox's writing side: what a plan makes due, and the report mail's entries."""

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
            # `unheld`: pending and in no live run's hands, so cancelled if the plan dropped it.
            existing = conn.execute(
                select(outbox, self._unheld(now, retry_due=False).label("unheld")).where(
                    or_(
                        outbox.c.state.in_(UNSETTLED),
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
                elif is_pending(row) and row.state != SENDING:  # and in no run's hands
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
                if e.unheld
                and e.rule in rules
                and (e.rule, e.item, e.milestone, e.recipient) not in wanted
            ]
            if stale:
                cancelled = conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(stale), outbox.c.state.in_(UNSETTLED))
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
                    self._unheld(now, retry_due=False),
                )
                .values(state=CANCELLED, next_attempt_at=None, claim_token=None)
            ).rowcount
        return added, cancelled
