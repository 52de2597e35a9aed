"""Read the inputs, one task per file: retried, since a file share can fail for a moment."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from config.settings import InputLimits
from kitflow.app.inputs import load_acquisitions, load_register, parse_export
from kitflow.core.accounts import FileRead
from kitflow.core.acquisitions import AcquisitionsRegister
from kitflow.core.bookings import BookingsOptions, ParsedSheet
from kitflow.core.findings import Finding
from kitflow.core.register import Register
from tasks.common import IO_TASK


# No task timeout: the flow runs this in worker threads (two exports at a time), where Prefect
# cannot interrupt a blocked read and says so in a warning on every run; a hung file share is
# caught by the flow's own timeout. Retries for a failed read stay.
@task(
    name="læs eksport",
    task_run_name="læs {path.name}",
    **{**IO_TASK, "timeout_seconds": None},
)
def read_export_task(
    path: Path, options: BookingsOptions, limits: InputLimits
) -> tuple[list[ParsedSheet], FileRead]:
    return parse_export(path, options, limits)


@task(name="læs register", task_run_name="læs {path.name}", **IO_TASK)
def read_register_task(path: Path, limits: InputLimits) -> tuple[Register, FileRead]:
    return load_register(path, limits)


@task(name="læs it-anskaffelser", task_run_name="læs {path.name}", **IO_TASK)
def read_acquisitions_task(
    path: Path, limits: InputLimits
) -> tuple[AcquisitionsRegister, list[Finding]]:
    return load_acquisitions(path, limits)
