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
# The columns and what each holds; docs/data-contract.md's table is made from these. Danish
# names, as the other CSV files have (ASCII: æ, ø, å written ae, oe, aa); the values of
# `tilstand` and `felt` are the ledger's codes, for programs.
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("regle", "the obligation reminded of, `C1`–`C6` (docs/reminders.md)"),
    ("emne", "what the reminder is about: a contract, condition or system id, or a project"),
    ("modtager", "one address"),
    ("rolle", "`Udførende`, `Informeret` or `Ansvarlig` (the escalation)"),
    (
        "milepael",
        "days from the item's date and the date: `D-30@2021-01-15` is 30 days before 15 "
        "January 2021, `D+7@…` a week after",
    ),
    (
        "tilstand",
        "a code: `planned` (planlagt, not sent yet), `sending` (being sent), `sent` (sendt: "
        "handed to the mail server, or written to the outbox folder when there is none), "
        "`failed` (fejlet; tried again after a while, unless it failed for good) or "
        "`cancelled` (no longer due)",
    ),
    ("felt", "the mail's field the address is in: `to` (Til) or `cc` (Cc)"),
    ("forsoeg", "how many times sending was tried"),
    ("sidste_fejl", "the mail server's last answer when sending failed"),
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
