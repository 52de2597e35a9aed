"""Reconcile the bookings against the register and apply the rules: the report model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from prefect import task

from kitflow.core.accounts import FileRead, Report, Thresholds, make_report
from kitflow.core.combine import CombinedBookings
from kitflow.core.register import Register
from tasks.common import CPU_TASK


@task(name="afstem", task_run_name="afstem {as_of}", **CPU_TASK)
def reconcile_task(
    as_of: dt.date,
    register: Register,
    bookings: CombinedBookings,
    files: Sequence[FileRead],
    thresholds: Thresholds,
) -> Report:
    return make_report(as_of, register, bookings, files, thresholds)
