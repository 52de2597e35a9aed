"""Reconcile the bookings against the register and build the report model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from prefect import task

from config.settings import Settings
from kitflow.core.bookings import CombinedBookings
from kitflow.core.findings import FatalInputError
from kitflow.core.reconcile import reconcile
from kitflow.core.register import Register
from reports.model import FileRead, Report, build_report
from tasks.common import CPU_TASK


def report_options(settings: Settings) -> dict[str, Any]:
    """make_report's thresholds from the settings, so the run and `kitflow check` judge alike."""
    return {
        "threshold_kr": settings.separate_account_threshold,
        "explanation_pct": settings.explanation_threshold_pct,
        "explanation_amount_kr": settings.explanation_threshold_amount,
        "max_quarantined": settings.max_quarantined_rows,
    }


def make_report(
    as_of: dt.date,
    register: Register,
    bookings: CombinedBookings,
    files: Sequence[FileRead],
    *,
    threshold_kr: Decimal,
    explanation_pct: Decimal,
    explanation_amount_kr: Decimal | None,
    max_quarantined: int,
) -> Report:
    """Reconcile, apply the rules, and stop when too many rows were quarantined."""
    if len(bookings.quarantined) > max_quarantined:
        first = bookings.quarantined.iloc[0]
        raise FatalInputError(
            f"{first['file']}",
            f"{len(bookings.quarantined)} posteringsrækker kunne ikke læses (grænsen er "
            f"{max_quarantined}); den første er række {first['row']}: {first['reason']}. Ret "
            "cellerne i eksporten (kitflow check viser dem alle), eller hæv max_quarantined_rows",
        )
    result = reconcile(bookings.bookings, bookings.duplicates, register)
    return build_report(
        as_of,
        register,
        bookings,
        result,
        files,
        threshold_ore=int(threshold_kr * 100),
        explanation_pct=explanation_pct,
        explanation_amount_ore=None
        if explanation_amount_kr is None
        else int(explanation_amount_kr * 100),
    )


@task(name="afstem", task_run_name="afstem {as_of}", **CPU_TASK)
def reconcile_task(
    as_of: dt.date,
    register: Register,
    bookings: CombinedBookings,
    files: Sequence[FileRead],
    **thresholds,
) -> Report:
    return make_report(as_of, register, bookings, files, **thresholds)
