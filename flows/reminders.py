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
from flows.failure import failed_with_reason
from kitflow.app.inputs import acquisitions_path
from kitflow.app.reminders import ledger_warning, load_accounts
from kitflow.app.settings import settings_for_run, today
from kitflow.core.findings import Finding, Severity
from kitflow.core.ledger import SENT, LedgerRow, failed_for_good, pending_rows
from kitflow.core.obligations import AccountDue, Plan
from kitflow.mail import outbox_folder
from kitflow.outbox import DeliveryResult, LedgerUnavailableError, reminder_keys
from tasks.inputs import read_acquisitions_task
from tasks.reminders import (
    deliver_reminders,
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
    # Where "sent" mail went when no mail server is set up (smtp.host): the outbox folder.
    outbox: str | None = None
    # Set when this ledger has never served the data folder while another ledger has.
    ledger_warning: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def outbox_of(settings: Settings) -> str | None:
    """The outbox folder mail goes to when no mail server is set up; None when one is."""
    return None if settings.smtp.host else str(outbox_folder(settings))


def delivered_text(sent: int, outbox: str | None, *, now: bool = False) -> str:
    """The mail delivered, as a person reads it: "21 sendt", or, without a mail server, where
    the 21 went (they must not think the mail has reached anyone when it lies in a folder)."""
    if outbox:
        return f"{sent} lagt i udbakken {outbox} (ingen mailserver sat op)"
    return f"{sent} sendt nu" if now else f"{sent} sendt"


@dataclass(frozen=True)
class Reminded:
    """The reminders' steps as one run took them: the counts, the ledger rows and the plan.

    `ledger_error` is set when the ledger's database did not answer: the rows are then those
    read before it went (none, if it never answered), and the run ends with that one line.
    """

    summary: ReminderSummary
    rows: tuple[LedgerRow, ...]
    plan: Plan
    ledger_error: LedgerUnavailableError | None = None

    @property
    def overdue_items(self) -> tuple[str, ...] | None:
        """Acquisition items past their date; None on a closed day, when nothing was planned."""
        return self.plan.overdue_items if self.plan.open_day else None


def prepare(
    settings: Settings,
    as_of: dt.date,
    accounts: Sequence[AccountDue] | None,
    *,
    log: bool = True,
) -> tuple[Plan, list[Finding]]:
    """Read acquisitions.xlsx and plan C1–C6: the plan, and the register's and the plan's
    findings (in `kitflow check`'s order), logged unless `log` is off."""
    register, findings = read_acquisitions_task(
        acquisitions_path(Path(settings.data_dir)), settings.input_limits
    )
    plan = plan_task(settings, register, as_of, accounts)
    found = [*findings, *plan.findings]
    if log:
        log_findings(found)
    return plan, found


def log_findings(findings: Sequence[Finding]) -> None:
    """Each finding a line of the run's log: info as info, the rest as warnings."""
    logger = get_run_logger()
    for finding in findings:
        (logger.info if finding.severity is Severity.INFO else logger.warning)("%s", finding)


def _summary(
    plan: Plan,
    n_findings: int,
    rows: Sequence[LedgerRow] | None,
    delivery: DeliveryResult | None,
    error: str | None,
) -> ReminderSummary:
    """The counts; without rows (the ledger never answered) every planned row is pending."""
    if rows is None:
        planned = len(reminder_keys(plan))
        return ReminderSummary(
            plan.as_of.isoformat(), True, planned, 0, 0, planned, 0, n_findings, None, error
        )
    return ReminderSummary(
        as_of=plan.as_of.isoformat(),
        open_day=True,
        planned=len(rows),
        sent=delivery.sent if delivery else 0,
        failed=sum(failed_for_good(r) for r in rows),
        pending=len(pending_rows(rows)),
        messages_sent=delivery.messages_sent if delivery else 0,
        findings=n_findings,
        csv=None,
        delivery_error=error,
    )


def record_reminders(settings: Settings, plan: Plan, n_findings: int) -> Reminded:
    """Record the plan in the ledger and read its rows back: the reminders as recorded.

    A ledger that has never served this data folder while another has is a warning (the other
    ledger's reminders would go out again from this one).
    """
    logger = get_run_logger()
    if not plan.open_day:
        logger.info("%s er ikke en arbejdsdag: ingen påmindelser sendes i dag", plan.as_of)
        summary = ReminderSummary(plan.as_of.isoformat(), False, 0, 0, 0, 0, 0, n_findings, None)
        return Reminded(summary, (), plan)
    warning = ledger_warning(settings, Path(settings.data_dir))
    if warning is not None:
        logger.warning("%s", warning)
    recorded = record_task(settings, plan)
    rows = (
        recorded
        if isinstance(recorded, LedgerUnavailableError)
        else ledger_rows_task(settings, plan)
    )
    if isinstance(rows, LedgerUnavailableError):  # log_reminders says it
        summary = _summary(plan, n_findings, None, None, str(rows))
        return Reminded(_with(summary, ledger_warning=warning), (), plan, rows)
    summary = _summary(plan, n_findings, rows, None, None)
    return Reminded(_with(summary, ledger_warning=warning), tuple(rows), plan)


def _with(summary: ReminderSummary, **changes: object) -> ReminderSummary:
    return dataclasses.replace(summary, **changes)


def deliver_reminders_step(settings: Settings, reminded: Reminded) -> Reminded:
    """Send what the ledger holds due for the plan, within the deadline; read the states back.

    A mail server that fails is a warning and pending rows, never the run's failure; a
    ledger that stops answering is `ledger_error`, the rows as they were recorded.
    """
    if not reminded.plan.open_day or reminded.ledger_error is not None:
        return reminded
    plan, n_findings = reminded.plan, reminded.summary.findings
    warned = reminded.summary.ledger_warning
    delivery = deliver_reminders(settings, plan)
    if isinstance(delivery, LedgerUnavailableError):
        lost = delivery
    else:
        rows = ledger_rows_task(settings, plan)
        if not isinstance(rows, LedgerUnavailableError):
            error = delivery.stopped_early
            summary = _summary(plan, n_findings, rows, delivery, error)
            summary = _with(summary, outbox=outbox_of(settings), ledger_warning=warned)
            return Reminded(summary, tuple(rows), plan)
        lost = rows
    summary = _summary(plan, n_findings, reminded.rows, None, str(lost))
    return Reminded(_with(summary, ledger_warning=warned), reminded.rows, plan, lost)


def log_reminders(reminded: Reminded) -> None:
    """The run's log: where sending stopped, if it did, and the counts."""
    summary = reminded.summary
    if not summary.open_day:
        return
    logger = get_run_logger()
    if summary.delivery_error:
        logger.warning(
            "Afsendelsen stoppede: %s – %d påmindelser venter og sendes ved næste kørsel",
            summary.delivery_error,
            summary.pending,
        )
    delivered = sum(r.state == SENT for r in reminded.rows)
    logger.info(
        "Påmindelser %s: %d planlagt, %s (%d i alt), %d venter, %d fejlet",
        summary.as_of,
        summary.planned,
        delivered_text(summary.sent, summary.outbox, now=True),
        delivered,
        summary.pending,
        summary.failed,
    )


def remind(
    settings: Settings,
    as_of: dt.date,
    *,
    send: bool,
    accounts: Sequence[AccountDue] | None,
    csv_folder: Path,
) -> Reminded:
    """Plan, record, send (unless `send` is off) and read back; reminders.csv into `csv_folder`.

    The reminders run's steps. (The nightly run takes the same steps in another order: it
    publishes its reports, reminders.csv as recorded, before it sends.)
    """
    plan, findings = prepare(settings, as_of, accounts)
    reminded = record_reminders(settings, plan, len(findings))
    if send:
        reminded = deliver_reminders_step(settings, reminded)
    if reminded.ledger_error is None:  # else the states are not known: no CSV that guesses
        reminded = with_csv(reminded, write_reminders_csv_task(csv_folder, reminded.rows))
    log_reminders(reminded)
    return reminded


def with_csv(reminded: Reminded, csv_path: Path) -> Reminded:
    """The same run, its reminders.csv now written at `csv_path`."""
    summary = dataclasses.replace(reminded.summary, csv=str(csv_path))
    return dataclasses.replace(reminded, summary=summary)


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
    reminded = remind(settings, as_of, send=send, accounts=accounts, csv_folder=folder)
    if reminded.ledger_error is not None:
        return failed_with_reason(reminded.ledger_error)  # its one line, no traceback
    return reminded.summary
