"""Render the report model into the run's output folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from prefect import task

from kitflow.app.publishing import write_reports
from kitflow.core.accounts import Report
from kitflow.core.ledger import LedgerRow
from tasks.common import IO_TASK


@task(name="skriv rapporter", task_run_name="skriv rapporter {report.as_of}", **IO_TASK)
def write_reports_task(
    report: Report, out_root: Path, reminder_rows: Sequence[LedgerRow] | None = None
) -> Path:
    return write_reports(report, out_root, reminder_rows)
