"""The report mail's tasks: each one app step with its retry and timeout policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.settings import Settings
from kitflow.app.report_mail import (
    deliver_report,
    find_report_folder,
    queue_report,
    read_summary,
    report_rows,
)
from kitflow.mail import ReportSummary
from kitflow.outbox import DeliveryResult, Key, LedgerRow
from tasks.common import IO_TASK


@task(name="find rapporterne", **IO_TASK)
def find_report_folder_task(out_root: Path, as_of: dt.date | None, today: dt.date) -> Path:
    return find_report_folder(out_root, as_of, today)


@task(name="læs resultatet", **IO_TASK)
def read_summary_task(folder: Path) -> ReportSummary:
    return read_summary(folder)


@task(name="registrér rapportmail", **IO_TASK)
def queue_report_task(settings: Settings, folder: Path) -> tuple[list[Key], int, int]:
    return queue_report(settings, folder)


# No Prefect retries: a failed mail stays in the ledger and a later run retries it (backoff).
# A hung mail server is cut off after 30 min; the ledger keeps what was not sent.
@task(name="send rapportmail", cache_policy=NO_CACHE, timeout_seconds=30 * 60)
def deliver_report_task(settings: Settings, keys: Sequence[Key]) -> DeliveryResult:
    return deliver_report(settings, keys)


@task(name="læs rapportmailens status", **IO_TASK)
def report_rows_task(settings: Settings, keys: Sequence[Key]) -> list[LedgerRow]:
    return report_rows(settings, keys)
