"""The Outbox itself (recording, delivery, reading its rows) and `open_ledger`, the one way in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import select

from config.reminder_settings import ReminderSettings
from config.settings import Settings
from kitflow.core.ledger import Key, LedgerRow
from kitflow.outbox.delivery import Delivery
from kitflow.outbox.recording import Recording
from kitflow.outbox.schema import create_schema, make_engine, outbox

_LEDGER_FIELDS = tuple(LedgerRow.__dataclass_fields__)


class Outbox(Recording, Delivery):
    """The ledger: record what a plan makes due, deliver what is due, report states."""

    @classmethod
    def connect(cls, url: str, settings: ReminderSettings, mail_from: str) -> Outbox:
        """Open (and create if needed) the ledger at a SQLAlchemy URL."""
        engine = make_engine(url)
        create_schema(engine)
        return cls(engine, settings, mail_from)

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


@contextmanager
def open_ledger(settings: Settings) -> Iterator[Outbox]:
    """The ledger at `settings.effective_database_url`, created if needed, closed after the block.

    SQLite in the state folder unless `database_url` is set; the reminder settings and the From
    address come from `settings`. The engine is disposed on leaving, whatever happened inside,
    so no connection outlives the task that opened it.
    """
    ledger = Outbox.connect(settings.effective_database_url, settings.reminders, settings.mail_from)
    try:
        yield ledger
    finally:
        ledger.engine.dispose()
