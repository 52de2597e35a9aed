"""Publish the run's artifacts to the Prefect UI; keep the snapshot the next run compares with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from kitflow.app.snapshots import compare
from kitflow.core.accounts import Report
from reports import artifacts as render
from tasks.common import IO_TASK


def start_progress(total: int) -> UUID:
    """The progress bar the UI shows while the exports are read."""
    return create_progress_artifact(
        progress=0.0,
        key=render.KEY_INDLAESNING,
        description=render.progress_description(0, total, None),
    )


def update_progress(artifact_id: UUID, done: int, total: int, name: str) -> None:
    """Move the bar after one more export is read."""
    update_progress_artifact(
        artifact_id,
        progress=100.0 * done / total if total else 100.0,
        description=render.progress_description(done, total, name),
    )


def publish_artifacts(
    report: Report,
    folder: Path,
    *,
    data_dir: Path,
    state_dir: Path,
    reminders: Mapping[str, object] | None,
    overdue_items: Sequence[str] | None,
    send: bool,
    base_url: str | None,
) -> dict[str, str]:
    """Create the four keyed artifacts, then save this run's snapshot for the next run."""
    comparison = compare(report, overdue_items, data_dir=data_dir, state_dir=state_dir)
    files = [
        render.OutputFile(p.name, p.stat().st_size)
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    ]
    ids = {
        render.KEY_RESUME: create_markdown_artifact(
            markdown=render.summary_markdown(report, reminders, send=send, output=str(folder)),
            key=render.KEY_RESUME,
            description=f"Resumé pr. {report.as_of:%d.%m.%Y}",
        ),
        render.KEY_OVERSIGT: create_table_artifact(
            table=render.overview_rows(report),
            key=render.KEY_OVERSIGT,
            description=render.overview_description(report),
        ),
        render.KEY_AENDRINGER: create_markdown_artifact(
            markdown=render.changes_markdown(
                comparison.changes, report, data_dir=str(data_dir), problem=comparison.problem
            ),
            key=render.KEY_AENDRINGER,
            description="Ændringer siden forrige kørsel",
        ),
        render.KEY_RAPPORTER: create_markdown_artifact(
            markdown=render.reports_markdown(
                files, str(folder), report.as_of.isoformat(), base_url
            ),
            key=render.KEY_RAPPORTER,
            description=f"Rapportfilerne pr. {report.as_of:%d.%m.%Y}",
        ),
    }
    if comparison.problem:
        get_run_logger().warning("%s", comparison.problem)
    comparison.save()
    return {key: str(value) for key, value in ids.items()}


@task(name="vis resultatet i Prefect", task_run_name="vis resultatet {report.as_of}", **IO_TASK)
def publish_artifacts_task(
    report: Report,
    folder: Path,
    *,
    data_dir: Path,
    state_dir: Path,
    reminders: Mapping[str, object] | None,
    overdue_items: Sequence[str] | None,
    send: bool,
    base_url: str | None,
) -> dict[str, str]:
    return publish_artifacts(
        report,
        folder,
        data_dir=data_dir,
        state_dir=state_dir,
        reminders=reminders,
        overdue_items=overdue_items,
        send=send,
        base_url=base_url,
    )
