"""Thin Prefect tasks for the reminders: read the register, plan, record, send, write the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.reminder_settings import ReminderSettings
from config.settings import Settings
from kitflow.app.reminder_policy import reminder_policy
from kitflow.core.acquisitions import AcquisitionsRegister, read_acquisitions
from kitflow.core.findings import Finding
from kitflow.core.handover import accounts_from_json, accounts_to_json
from kitflow.core.obligations import AccountDue, Plan, plan_reminders
from kitflow.lock import folder_key
from kitflow.mail import open_transport
from kitflow.outbox import DeliveryResult, LedgerRow, Outbox, RecordResult, reminder_keys
from kitflow.publish import write_text_atomic
from kitflow.readers import read_workbook
from reports.format import safe_text
from tasks.common import IO_TASK

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


def read_register(path: Path) -> tuple[AcquisitionsRegister, list[Finding]]:
    """acquisitions.xlsx read and checked; FatalInputError if it is missing or unusable."""
    return read_acquisitions(read_workbook(path), path.name)


def open_outbox(settings: Settings) -> Outbox:
    """The ledger at `effective_database_url` (SQLite in the state folder unless configured)."""
    return Outbox.connect(settings.effective_database_url, settings.reminders, settings.mail_from)


def record(settings: Settings, plan: Plan, now: dt.datetime | None = None) -> RecordResult:
    """Write the plan into the ledger (idempotent: a rerun of the same day changes nothing)."""
    outbox = open_outbox(settings)
    try:
        return outbox.record(plan, now)
    finally:
        outbox.engine.dispose()


def deliver(settings: Settings, plan: Plan, now: dt.datetime | None = None) -> DeliveryResult:
    """Send what the ledger holds due for today's plan: by SMTP, or to the outbox folder."""
    outbox = open_outbox(settings)
    transport = open_transport(settings)
    try:
        return outbox.deliver(
            transport, timezone=settings.timezone, keys=reminder_keys(plan), now=now
        )
    finally:
        transport.close()
        outbox.engine.dispose()


def ledger_rows(settings: Settings, plan: Plan) -> list[LedgerRow]:
    """The ledger's rows for today's plan, with their delivery state."""
    outbox = open_outbox(settings)
    try:
        return outbox.rows(reminder_keys(plan))
    finally:
        outbox.engine.dispose()


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


@task(name="læs it-anskaffelser", task_run_name="læs {path.name}", **IO_TASK)
def read_register_task(path: Path) -> tuple[AcquisitionsRegister, list[Finding]]:
    return read_register(path)


@task(
    name="planlæg påmindelser",
    task_run_name="planlæg påmindelser {as_of}",
    cache_policy=NO_CACHE,
    timeout_seconds=10 * 60,
)
def plan_task(
    register: AcquisitionsRegister | None,
    as_of: dt.date,
    settings: ReminderSettings,
    accounts: Sequence[AccountDue] | None,
) -> Plan:
    return plan_reminders(register, as_of, reminder_policy(settings), accounts)


@task(name="registrér påmindelser", task_run_name="registrér påmindelser", **IO_TASK)
def record_task(settings: Settings, plan: Plan) -> RecordResult:
    return record(settings, plan)


# No Prefect retries: a failed mail stays in the ledger and later runs retry it with backoff.
# A hung mail server is cut off after 30 min; the ledger keeps what was not sent for later.
@task(
    name="send påmindelser",
    task_run_name="send påmindelser",
    cache_policy=NO_CACHE,
    timeout_seconds=30 * 60,
)
def deliver_task(settings: Settings, plan: Plan) -> DeliveryResult:
    return deliver(settings, plan)


@task(name="læs påmindelsernes status", task_run_name="læs påmindelsernes status", **IO_TASK)
def ledger_rows_task(settings: Settings, plan: Plan) -> list[LedgerRow]:
    return ledger_rows(settings, plan)


@task(name="skriv reminders.csv", task_run_name="skriv reminders.csv", **IO_TASK)
def write_reminders_csv_task(folder: Path, rows: Sequence[LedgerRow]) -> Path:
    return write_reminders_csv(folder, rows)


def handover_path(state_dir: Path, data_dir: Path) -> Path:
    """Where the nightly run leaves C6's accounts for the morning reminders, per data folder."""
    return Path(state_dir) / "afstemning" / f"c6-{folder_key(data_dir)[:12]}.json"


def save_accounts(
    state_dir: Path, data_dir: Path, as_of: dt.date, accounts: Sequence[AccountDue]
) -> Path:
    """Leave the nightly run's accounts due for the reminders run that has no report of its own."""
    path = handover_path(state_dir, data_dir)
    write_text_atomic(path, accounts_to_json(as_of, accounts))
    return path


def load_accounts(state_dir: Path, data_dir: Path) -> tuple[dt.date | None, list[AccountDue], str]:
    """The latest nightly run's accounts due (its as-of, the accounts) and a line saying so.

    No file, or one that cannot be read, gives no accounts and a line saying why: C6 is then
    left out of this run and its pending reminders wait for a run that has them.
    """
    path = handover_path(state_dir, data_dir)
    if not path.is_file():
        said = f"C6 er ikke med: ingen afstemning har kørt på {data_dir} endnu ({path} findes ikke)"
        return None, [], said
    try:
        as_of, accounts = accounts_from_json(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        said = f"C6 er ikke med: {path} kan ikke læses ({exc}); den skrives ved næste afstemning"
        return None, [], said
    return (
        as_of,
        accounts,
        f"C6: {len(accounts)} anlægsregnskaber fra afstemningen {as_of:%d.%m.%Y}",
    )
