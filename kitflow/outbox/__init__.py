"""The reminder ledger in a real database: every reminder planned once, sent once, never lost.

One row per reminder and recipient, unique on (rule, item, milestone, recipient). A row is
`planned` when a run first sees it due, `sending` while a run holds it, then `sent`, `failed`
(retried by later runs after a backoff while `next_attempt_at` is set; for good when it is
not) or `cancelled` (the item was done, or a later milestone replaced it, before it went out).
The states, the row as reported and what "pending" means are in `kitflow.core.ledger`.

The rows of one digest share a Message-ID fixed when they are planned. A run claims a digest
with one atomic UPDATE ... WHERE state IN (...), commits, sends, and commits again; a second
run at the same time finds nothing left to claim. A run that dies between the SMTP call and
the last commit leaves its rows `sending`; once their lease has run out a later run sends them
again with the same Message-ID, so a crash costs at most one duplicate, which mail clients
recognise as the same message. Which rows a run may take (send, or cancel) is one SQL
condition, `schema.pending_unheld`: planned, failed with a retry ahead, or sending with an
expired lease.

The report mail uses the same ledger: rule RAPPORT, item anlaegsregnskab, milestone the as-of
date, one row per recipient (see `Outbox.enqueue`), built at sending time by the report flow.

Open it with `open_ledger(settings)`, which disposes the engine when the block ends.

The package, by concern; `Outbox` stays one class, put together from one mixin per concern
over `schema.LedgerBase` (the engine, the reminder settings, the From address), so a method
keeps `self` and its helpers and each file reads as one side of the ledger:

- `schema`: the table, the engine with its timeouts, `create_schema`, `utc_now`,
  `pending_unheld`, and `LedgerUnavailableError` for a database that does not answer;
- `recording`: `Recording.record` (a plan) and `Recording.enqueue` (the report mail);
- `delivery`: `Delivery.deliver`, claiming, building, marking sent or failed, `addressees`;
- `ledger`: `Outbox` (both, plus `connect` and `rows`) and `open_ledger`, which turns a
  database that does not answer into LedgerUnavailableError.
"""

from kitflow.core.ledger import (
    CANCELLED,
    FAILED,
    PLANNED,
    SENDING,
    SENT,
    STATES,
    Key,
    LedgerRow,
    State,
    failed_for_good,
    group_by_message,
    is_pending,
    pending_rows,
)
from kitflow.outbox.delivery import DeliveryResult, MessageBuilder, addressees
from kitflow.outbox.ledger import Outbox, database_timeouts, open_ledger
from kitflow.outbox.recording import Entry, RecordResult, reminder_keys
from kitflow.outbox.schema import (
    REPORT_RULE,
    UNSETTLED,
    DatabaseTimeouts,
    LedgerUnavailableError,
    create_schema,
    make_engine,
    metadata,
    outbox,
    pending_unheld,
    shown_url,
    utc_now,
)

__all__ = [
    "CANCELLED",
    "FAILED",
    "PLANNED",
    "REPORT_RULE",
    "SENDING",
    "SENT",
    "STATES",
    "UNSETTLED",
    "DatabaseTimeouts",
    "DeliveryResult",
    "Entry",
    "Key",
    "LedgerRow",
    "LedgerUnavailableError",
    "MessageBuilder",
    "Outbox",
    "RecordResult",
    "State",
    "addressees",
    "create_schema",
    "database_timeouts",
    "failed_for_good",
    "group_by_message",
    "is_pending",
    "make_engine",
    "metadata",
    "open_ledger",
    "outbox",
    "pending_rows",
    "pending_unheld",
    "reminder_keys",
    "shown_url",
    "utc_now",
]
