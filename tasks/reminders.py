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
from kitflow.outbox import DeliveryResult, RecordResult
from reports.reminders_csv import write_reminders_csv
from tasks.common import IO_TASK


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
