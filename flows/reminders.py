"""The reminders run (påmindelser): plan C1–C6, record them in the ledger, send, write the CSV."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from config.settings import Settings
from kitflow.app.inputs import acquisitions_path
from kitflow.app.reminders import load_accounts
from kitflow.app.settings import settings_for_run, today
from kitflow.core.findings import Severity
from kitflow.core.ledger import SENT, LedgerRow, failed_for_good, pending_rows
from kitflow.core.obligations import AccountDue, Plan
from tasks.inputs import read_acquisitions_task
from tasks.reminders import (
    deliver_task,
    ledger_rows_task,
    plan_task,
    record_task,
    write_reminders_csv_task,
)


@dataclass(frozen=True)
class ReminderSummary:
    """What a run did, counted in reminder rows (one per reminder and recipient)."""

    as_of: str
    open_day: bool
    planned: int  # rows in today's plan
    sent: int  # rows delivered by this run
    failed: int  # rows of today's plan that failed for good
    pending: int  # rows of today's plan still to deliver (retried by the next runs)
    messages_sent: int
    findings: int
    csv: str | None
    delivery_error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Reminded:
    """The reminders' steps as one run took them: the counts, the ledger rows and the plan."""

    summary: ReminderSummary
    rows: tuple[LedgerRow, ...]
    plan: Plan

    @property
    def overdue_items(self) -> tuple[str, ...] | None:
        """Acquisition items past their date; None on a closed day, when nothing was planned."""
        over = tuple(
            sorted({f"{r.rule}: {r.item}" for r in self.plan.reminders if r.offset > 0})
        )  # TEMP
        return over if self.plan.open_day else None


def remind(
    settings: Settings,
    as_of: dt.date,
    *,
    send: bool,
    accounts: Sequence[AccountDue] | None,
    csv_folder: Path | None,
) -> Reminded:
    """Plan, record, send (unless `send` is off) and read back; reminders.csv into `csv_folder`.

    The steps of both the reminders run and the nightly run, which renders the CSV with its
    reports instead (`csv_folder` None).
    """
    logger = get_run_logger()
    register, findings = read_acquisitions_task(
        acquisitions_path(Path(settings.data_dir)), settings.input_limits
    )
    plan = plan_task(settings, register, as_of, accounts)
    for finding in [*findings, *plan.findings]:
        if finding.severity is Severity.INFO:
            logger.info("%s", finding)
        else:
            logger.warning("%s", finding)
    n_findings = len(findings) + len(plan.findings)

    if not plan.open_day:
        logger.info("%s er ikke en arbejdsdag: ingen påmindelser sendes i dag", as_of)
        csv_path = write_reminders_csv_task(csv_folder, []) if csv_folder else None
        summary = ReminderSummary(
            as_of.isoformat(), False, 0, 0, 0, 0, 0, n_findings, _text(csv_path)
        )
        return Reminded(summary, (), plan)

    record_task(settings, plan)
    delivery = deliver_task(settings, plan) if send else None
    rows = ledger_rows_task(settings, plan)
    csv_path = write_reminders_csv_task(csv_folder, rows) if csv_folder else None

    summary = ReminderSummary(
        as_of=as_of.isoformat(),
        open_day=True,
        planned=len(rows),
        sent=delivery.sent if delivery else 0,
        failed=sum(failed_for_good(r) for r in rows),
        pending=len(pending_rows(rows)),
        messages_sent=delivery.messages_sent if delivery else 0,
        findings=n_findings,
        csv=_text(csv_path),
        delivery_error=delivery.stopped_early if delivery else None,
    )
    if summary.delivery_error:
        logger.warning(
            "Afsendelsen stoppede: %s – %d påmindelser venter og sendes ved næste kørsel",
            summary.delivery_error,
            summary.pending,
        )
    delivered = sum(r.state == SENT for r in rows)
    logger.info(
        "Påmindelser %s: %d planlagt, %d sendt nu (%d i alt), %d venter, %d fejlet",
        as_of,
        summary.planned,
        summary.sent,
        delivered,
        summary.pending,
        summary.failed,
    )
    return Reminded(summary, tuple(rows), plan)


def with_csv(reminded: Reminded, csv_path: Path) -> Reminded:
    """The same run, its reminders.csv now written (by the nightly run's reports) at `csv_path`."""
    summary = dataclasses.replace(reminded.summary, csv=str(csv_path))
    return dataclasses.replace(reminded, summary=summary)


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _run_name() -> str:
    as_of = flow_run.parameters.get("as_of")
    return f"påmindelser {as_of or today().isoformat()}"


# An hour is far above a morning's reminders; a hung run is failed rather than left running.
@flow(name="paamindelser", flow_run_name=_run_name, log_prints=False, timeout_seconds=60 * 60)
def paamindelser(
    data_dir: str | None = None,
    out_dir: str | None = None,
    as_of: dt.date | None = None,
    send: bool = True,
    accounts: list[AccountDue] | None = None,
    config_file: str | None = None,
) -> ReminderSummary:
    """Remind of the circular's obligations (C1–C5) and of capital accounts due (C6).

    `data_dir` holds acquisitions.xlsx (default: the setting); reminders.csv is written into
    `out_dir` itself (default: `<output_dir>/<as-of>`). With `send` off the reminders are
    planned and recorded but none is sent. `accounts` are the capital accounts for C6; None
    takes them from the latest nightly run on the same data folder (the hand-over in the state
    folder), and without one C6 is left out (its reminders wait for a run that has them).
    """
    logger = get_run_logger()
    settings = settings_for_run(config_file, data_dir=data_dir)
    as_of = as_of or today(settings.timezone)
    folder = Path(out_dir) if out_dir else Path(settings.output_dir) / as_of.isoformat()
    if accounts is None:
        # Run on its own (the 07:00 schedule): C6 comes from the latest nightly run's hand-over.
        handed_over, accounts, said = load_accounts(settings.state_dir, Path(settings.data_dir))
        (logger.info if handed_over else logger.warning)("%s", said)
    return remind(settings, as_of, send=send, accounts=accounts, csv_folder=folder).summary
