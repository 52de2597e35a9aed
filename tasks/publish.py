"""Render the report model into the run's output folder."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from prefect import task

from kitflow.publish import publish
from reports.bilag import write_bilag
from reports.csv_files import write_csv_files
from reports.model import Report
from reports.workbook import write_workbook
from tasks.common import IO_TASK


def render_all(report: Report, folder: Path) -> None:
    """Every output file of the capital-accounts run."""
    write_csv_files(report, folder)
    write_workbook(report, folder / "anlaegsregnskab.xlsx")
    write_bilag(report, folder)


def write_reports(report: Report, out_root: Path, extra_files: Sequence[Path] = ()) -> Path:
    """Render everything, plus files made elsewhere in the run, into one swapped-in folder."""

    def write(folder: Path) -> None:
        render_all(report, folder)
        for path in extra_files:
            shutil.copy2(path, folder / path.name)

    return publish(out_root, report.as_of, write)


@task(name="skriv rapporter", task_run_name="skriv rapporter {report.as_of}", **IO_TASK)
def write_reports_task(report: Report, out_root: Path, extra_files: Sequence[Path] = ()) -> Path:
    return write_reports(report, out_root, extra_files)
