"""Publish the run's artifacts to the Prefect UI; keep the snapshot the next run compares with."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from kitflow.core.changes import RunSnapshot, carry_items, diff
from kitflow.publish import write_text_atomic
from reports import artifacts as render
from reports.model import Report
from tasks.common import IO_TASK

SNAPSHOT_DIR = "afstemning"


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


def snapshot_path(state_dir: Path, data_dir: Path) -> Path:
    """One snapshot per data folder: its name for people, a hash of its full path for safety."""
    resolved = str(Path(data_dir).resolve())
    slug = re.sub(r"[^a-z0-9]+", "-", Path(resolved).name.lower()).strip("-") or "data"
    digest = hashlib.sha256(resolved.encode()).hexdigest()[:12]
    return Path(state_dir) / SNAPSHOT_DIR / f"{slug}-{digest}.json"


def load_snapshot(path: Path) -> tuple[RunSnapshot | None, str | None]:
    """The previous run's snapshot, or None; an unreadable one is said, then replaced."""
    if not path.is_file():
        return None, None
    try:
        return RunSnapshot.from_json(path.read_text(encoding="utf-8")), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, (
            f"Den gemte tilstand fra forrige kørsel ({path}) kunne ikke læses ({exc}); "
            "denne kørsel sammenlignes derfor ikke og gemmer en ny."
        )


def save_snapshot(path: Path, snapshot: RunSnapshot) -> None:
    """Write the snapshot whole or not at all: a killed run leaves the previous one."""
    write_text_atomic(path, snapshot.to_json())


def read_overdue_items(
    folder: Path, reminders: Mapping[str, object] | None
) -> tuple[str, ...] | None:
    """Overdue acquisition items from the run's reminders.csv; None when the run had none."""
    csv_path = folder / "reminders.csv"
    if reminders is None or not reminders.get("open_day") or not csv_path.is_file():
        return None
    with csv_path.open(encoding="utf-8", newline="") as fh:
        return render.overdue_items(csv.DictReader(fh))


def publish_artifacts(
    report: Report,
    folder: Path,
    *,
    data_dir: Path,
    state_dir: Path,
    reminders: Mapping[str, object] | None,
    send: bool,
    base_url: str | None,
) -> dict[str, str]:
    """Create the four keyed artifacts, then save this run's snapshot for the next run."""
    path = snapshot_path(state_dir, data_dir)
    previous, problem = load_snapshot(path)
    current = render.snapshot_of(report, read_overdue_items(folder, reminders))
    changes = diff(previous, current)
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
                changes, report, data_dir=str(data_dir), problem=problem
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
    if problem:
        get_run_logger().warning("%s", problem)
    save_snapshot(path, carry_items(previous, current))
    return {key: str(value) for key, value in ids.items()}


@task(name="vis resultatet i Prefect", task_run_name="vis resultatet {report.as_of}", **IO_TASK)
def publish_artifacts_task(
    report: Report,
    folder: Path,
    *,
    data_dir: Path,
    state_dir: Path,
    reminders: Mapping[str, object] | None,
    send: bool,
    base_url: str | None,
) -> dict[str, str]:
    return publish_artifacts(
        report,
        folder,
        data_dir=data_dir,
        state_dir=state_dir,
        reminders=reminders,
        send=send,
        base_url=base_url,
    )
