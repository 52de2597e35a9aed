"""What changed since the previous run on a data folder: its snapshot kept in the state folder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kitflow.core.accounts import Report
from kitflow.core.changes import Changes, RunSnapshot, carry_items, diff, snapshot_of
from kitflow.publish import write_text_atomic

SNAPSHOT_DIR = "afstemning"


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


@dataclass(frozen=True)
class Comparison:
    """This run against the previous one: the changes, a problem reading the old snapshot,
    and the snapshot to save once the changes are shown."""

    changes: Changes
    problem: str | None
    path: Path
    to_save: RunSnapshot

    def save(self) -> None:
        save_snapshot(self.path, self.to_save)


def compare(
    report: Report,
    overdue_items: Sequence[str] | None,
    *,
    data_dir: Path,
    state_dir: Path,
) -> Comparison:
    """This run's snapshot against the previous run's on the same data folder.

    `overdue_items` are the acquisition items past their date, None when this run could not
    tell (no reminders today): the previous run's then carry over.
    """
    path = snapshot_path(state_dir, data_dir)
    previous, problem = load_snapshot(path)
    current = snapshot_of(report, overdue_items)
    return Comparison(diff(previous, current), problem, path, carry_items(previous, current))
