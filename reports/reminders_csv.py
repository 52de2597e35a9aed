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
# The columns and what each holds; docs/data-contract.md's table is made from these.
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rule", "the obligation reminded of, `C1`–`C6` (docs/reminders.md)"),
    ("item", "what the reminder is about: a contract, condition or system id, or a project"),
    ("recipient", "one address"),
    ("role", "`Udførende`, `Informeret` or `Ansvarlig` (the escalation)"),
    (
        "milestone",
        "days from the item's date and the date: `D-30@2021-01-15` is 30 days before 15 "
        "January 2021, `D+7@…` a week after",
    ),
    ("state", "`planned`, `sending`, `sent`, `failed` or `cancelled`"),
    ("header", "`to` or `cc`"),
    ("attempts", "how many times sending was tried"),
    ("last_error", "the mail server's last answer when sending failed"),
    ("message_id", "the mail's Message-ID, fixed when the reminder was planned"),
)
CSV_HEADER = tuple(name for name, _ in CSV_COLUMNS)


def write_reminders_csv(folder: Path, rows: Sequence[LedgerRow]) -> Path:
    """`<folder>/reminders.csv`: every reminder the run planned, one row per recipient.

    Columns: `CSV_COLUMNS`. UTF-8, written whole.
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
