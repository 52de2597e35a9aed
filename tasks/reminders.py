"""The reminders' tasks: each one app step with its retry and timeout policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.settings import Settings
from kitflow.app.reminders import deliver, ledger_rows, plan, record
from kitflow.core.acquisitions import AcquisitionsRegister
from kitflow.core.ledger import LedgerRow
from kitflow.core.obligations import AccountDue, Plan
from kitflow.outbox import DeliveryResult, LedgerUnavailableError, RecordResult
from reports.reminders_csv import write_reminders_csv
from tasks.common import IO_TASK, ledger_loss_as_value


@task(
    name="planlæg påmindelser",
    task_run_name="planlæg påmindelser {as_of}",
    cache_policy=NO_CACHE,
    timeout_seconds=10 * 60,
)
def plan_task(
    settings: Settings,
    register: AcquisitionsRegister | None,
    as_of: dt.date,
    accounts: Sequence[AccountDue] | None,
) -> Plan:
    return plan(settings, register, as_of, accounts)


# The ledger's tasks return a LedgerUnavailableError rather than raise it (tasks.common).
@task(name="registrér påmindelser", task_run_name="registrér påmindelser", **IO_TASK)
@ledger_loss_as_value
def record_task(settings: Settings, plan: Plan) -> RecordResult:
    return record(settings, plan)


# No Prefect retries: a failed mail stays in the ledger and later runs retry it with backoff.
# The SMTP pass has its own deadline (smtp.deadline_seconds) and the ledger its timeouts; the
# task's timeout is only a backstop far above both (at least 30 min, and 10 min above the
# deadline).
@task(name="send påmindelser", task_run_name="send påmindelser", cache_policy=NO_CACHE)
@ledger_loss_as_value
def deliver_task(settings: Settings, plan: Plan) -> DeliveryResult:
    return deliver(settings, plan)


def deliver_reminders(settings: Settings, plan: Plan) -> DeliveryResult | LedgerUnavailableError:
    """Send the plan's due reminders; a mail server that fails them never fails the run.

    Connection errors and the deadline end the pass inside (`stopped_early`, rows pending for
    the next run); should the backstop cut the task, that is a stopped pass as well.
    """
    backstop = max(30 * 60, settings.smtp.deadline_seconds + 10 * 60)
    try:
        return deliver_task.with_options(timeout_seconds=backstop)(settings, plan)
    except TimeoutError:
        return DeliveryResult(
            0, 0, 0, 0, f"afsendelsen blev afbrudt efter {backstop / 60:g} min (opgavens grænse)"
        )


@task(name="læs påmindelsernes status", task_run_name="læs påmindelsernes status", **IO_TASK)
@ledger_loss_as_value
def ledger_rows_task(settings: Settings, plan: Plan) -> list[LedgerRow]:
    return ledger_rows(settings, plan)


@task(name="skriv reminders.csv", task_run_name="skriv reminders.csv", **IO_TASK)
def write_reminders_csv_task(folder: Path, rows: Sequence[LedgerRow]) -> Path:
    return write_reminders_csv(folder, rows)
