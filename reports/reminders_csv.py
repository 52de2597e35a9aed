"""reminders.csv: every reminder a run planned, one row per recipient, with its delivery state."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kitflow.core.ledger import LedgerRow
from reports.format import safe_text

REMINDERS_CSV = "reminders.csv"
CSV_HEADER = (
    "rule",
    "item",
    "recipient",
    "role",
    "milestone",
    "state",
    "header",
    "attempts",
    "last_error",
    "message_id",
)


def write_reminders_csv(folder: Path, rows: Sequence[LedgerRow]) -> Path:
    """`<folder>/reminders.csv`: every reminder the run planned, one row per recipient.

    Columns: rule, item, recipient, role (Udførende, Informeret, Ansvarlig), milestone
    (D-30@2021-01-15: 30 days before the date 2021-01-15), state (planned, sending, sent,
    failed, cancelled), header (to/cc), attempts, last_error, message_id. UTF-8, written whole.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / REMINDERS_CSV
    fd, tmp = tempfile.mkstemp(prefix=".reminders-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(CSV_HEADER)
            for r in rows:
                writer.writerow(
                    (
                        r.rule,
                        safe_text(r.item),
                        safe_text(r.recipient),
                        r.role,
                        r.milestone,
                        r.state,
                        r.header,
                        r.attempts,
                        safe_text(r.last_error or ""),
                        r.message_id,
                    )
                )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
