"""Render the report model into the run's output folder."""

from __future__ import annotations

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


def write_reports(report: Report, out_root: Path) -> Path:
    return publish(out_root, report.as_of, lambda folder: render_all(report, folder))


@task(name="skriv rapporter", task_run_name="skriv rapporter {report.as_of}", **IO_TASK)
def write_reports_task(report: Report, out_root: Path) -> Path:
    return write_reports(report, out_root)
