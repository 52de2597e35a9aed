"""Runs left "Running" on the Prefect server by a process that is gone are marked Crashed.

A run whose Prefect server went away mid-run cannot report how it ended; when the server is
back it shows the run as Running for ever. Each `afstemning` run therefore leaves a small note
in `<state_dir>/runs/` (its flow run id, host, process and the process's start time), and the
next run on the same state folder asks the server about every note whose process is gone:
a run still Pending or Running there is set Crashed with a Danish message, and the note goes.

Prefect's own mechanism for this is flow run heartbeats with a "zombie" automation on the
server (docs/operations.md says how to set it up); it needs the automation created on every
server. This note works without it, for runs on this machine; a note from another host is left
for a run on that host.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound
from prefect.states import Crashed

from config.settings import Settings
from kitflow.publish import write_text_atomic

RUNS_DIR = "runs"
CRASHED_MESSAGE = (
    "Kørslen stoppede uden at kunne melde, hvordan den endte (Prefect-serveren svarede ikke, "
    "eller processen blev dræbt); markeret som Crashed af den næste kørsel på samme maskine"
)


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (None when it is not running)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]


def _note(state_dir: Path, flow_run_id: UUID | str) -> Path:
    return Path(state_dir) / RUNS_DIR / f"{flow_run_id}.json"


def remember(settings: Settings, flow_run_id: UUID | str) -> Path:
    """Leave this run's note; the next run removes it once the run is gone."""
    pid = os.getpid()
    note = {
        "flow_run_id": str(flow_run_id),
        "host": socket.gethostname(),
        "pid": pid,
        "started": _start_time(pid),
    }
    path = _note(Path(settings.state_dir), flow_run_id)
    write_text_atomic(path, json.dumps(note) + "\n")
    return path


def _gone(note: dict) -> bool:
    """Whether the note's process has ended (a pid reused by another process counts as ended)."""
    if note.get("host") != socket.gethostname():
        return False  # another machine's run: only a run there can tell
    started = _start_time(int(note.get("pid", 0)))
    return started is None or started != note.get("started")


def crash_orphans(settings: Settings, current: UUID | str | None = None) -> list[str]:
    """Mark the Pending or Running runs of ended processes Crashed; their ids.

    Every note whose process has ended is removed, whatever its run's state; a note that cannot
    be read is removed too (it names nothing that can be acted on).
    """
    folder = Path(settings.state_dir) / RUNS_DIR
    crashed: list[str] = []
    if not folder.is_dir():
        return crashed
    with get_client(sync_client=True) as client:
        for path in sorted(folder.glob("*.json")):
            try:
                note = json.loads(path.read_text(encoding="utf-8"))
                run_id = UUID(note["flow_run_id"])
            except (OSError, ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)
                continue
            if str(run_id) == str(current) or not _gone(note):
                continue
            try:
                run = client.read_flow_run(run_id)
            except ObjectNotFound:  # not on this server (another server, or deleted)
                path.unlink(missing_ok=True)
                continue
            if run.state is not None and not run.state.is_final():
                client.set_flow_run_state(run_id, Crashed(message=CRASHED_MESSAGE), force=True)
                crashed.append(str(run_id))
            path.unlink(missing_ok=True)
    return crashed
