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
from kitflow.outbox.schema import (
    DATABASE_ERRORS,
    DatabaseTimeouts,
    LedgerUnavailableError,
    create_schema,
    database_error_reason,
    make_engine,
    outbox,
    shown_url,
)

_LEDGER_FIELDS = tuple(LedgerRow.__dataclass_fields__)


class Outbox(Recording, Delivery):
    """The ledger: record what a plan makes due, deliver what is due, report states."""

    @classmethod
    def connect(
        cls,
        url: str,
        settings: ReminderSettings,
        mail_from: str,
        timeouts: DatabaseTimeouts | None = None,
    ) -> Outbox:
        """Open (and create if needed) the ledger at a SQLAlchemy URL."""
        engine = make_engine(url, timeouts)
        try:
            create_schema(engine)
        except BaseException:
            engine.dispose()
            raise
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


def database_timeouts(settings: Settings) -> DatabaseTimeouts:
    """The ledger's connect and statement timeouts, from the settings."""
    return DatabaseTimeouts(
        connect_seconds=settings.database_connect_timeout_seconds,
        statement_seconds=settings.database_statement_timeout_seconds,
    )


@contextmanager
def open_ledger(settings: Settings) -> Iterator[Outbox]:
    """The ledger at `settings.effective_database_url`, created if needed, closed after the block.

    SQLite in the state folder unless `database_url` is set; the reminder settings, the From
    address and the timeouts come from `settings`. The engine is disposed on leaving, whatever
    happened inside, so no connection outlives the task that opened it. A database that does
    not answer (down, lost, locked or hung past its timeouts), on opening or inside the block,
    is a LedgerUnavailableError: one line naming the database and the reason.
    """
    url = settings.effective_database_url
    timeouts = database_timeouts(settings)
    try:
        ledger = Outbox.connect(url, settings.reminders, settings.mail_from, timeouts)
    except DATABASE_ERRORS as exc:
        raise LedgerUnavailableError(shown_url(url), database_error_reason(exc, timeouts)) from None
    try:
        yield ledger
    except DATABASE_ERRORS as exc:
        raise LedgerUnavailableError(shown_url(url), database_error_reason(exc, timeouts)) from None
    finally:
        ledger.engine.dispose()
