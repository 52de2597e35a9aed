"""One run per data folder: a real second process waits, then stops naming the holder."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pg import require_postgres

from kitflow.lock import RunLockedError, local_lock, postgres_lock, run_lock

REPO = Path(__file__).resolve().parent.parent

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kitflow.lock import run_lock
    data, state, url = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] or None
    marker = Path(sys.argv[5]) if sys.argv[5] else None
    with run_lock(data, state, 0, url):
        print("held", flush=True)
        time.sleep(float(sys.argv[4]))
        if marker is not None:
            marker.write_text("done")  # the last thing before the lock is let go
    print("released", flush=True)
    """
)


def hold(
    data: Path, state: Path, url: str = "", seconds: float = 60, marker: Path | None = None
) -> subprocess.Popen:
    """A real process that holds the lock and says so on stdout.

    With `marker`, the holder writes that file just before it lets go of the lock.
    """
    args = [str(data), str(state), url, str(seconds), str(marker or "")]
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdout.readline().strip() == "held"
    return child


@pytest.fixture
def folders(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    return data, tmp_path / "state"


def test_second_run_stops_naming_folder_and_holder_then_lock_dies_with_holder(folders):
    data, state = folders
    child = hold(data, state)
    try:
        with pytest.raises(RunLockedError) as info, local_lock(data, state, wait_seconds=0.6):
            pass
        message = str(info.value)
        assert str(data) in message
        assert f"pid {child.pid}" in message and socket.gethostname() in message
        assert f"startet {dt.date.today().isoformat()}" in message
        assert info.value.exit_code == 4
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # Killed, the holder left no stale lock: the next run gets it at once.
    with local_lock(data, state, wait_seconds=0):
        pass


def test_a_second_run_waits_for_the_first_to_finish(folders, tmp_path):
    data, state = folders
    marker = tmp_path / "first-run-finished"
    child = hold(data, state, seconds=1.0, marker=marker)
    waits: list[str] = []
    try:
        with local_lock(data, state, wait_seconds=30, on_wait=waits.append):
            # It got the lock only once the first had finished its work and was letting go.
            assert marker.exists()
    finally:
        child.kill()
        child.wait()
    assert waits and f"pid {child.pid}" in waits[0]


def test_same_folder_by_another_path_is_the_same_lock(folders, tmp_path):
    data, state = folders
    link = tmp_path / "link"
    link.symlink_to(data)
    child = hold(data, state)
    try:
        with pytest.raises(RunLockedError), local_lock(link, state, wait_seconds=0):
            pass
        other = tmp_path / "other"
        other.mkdir()
        with local_lock(other, state, wait_seconds=0):  # another folder runs freely
            pass
    finally:
        child.kill()
        child.wait()


@pytest.fixture
def pg_url():
    return require_postgres()  # skipped (failed under CI) where PostgreSQL does not answer


def test_postgres_lock_covers_other_machines(pg_url, tmp_path):
    """Two state folders stand for two machines; only the shared database keeps them apart."""
    data = tmp_path / "data"
    data.mkdir()
    child = hold(data, tmp_path / "machine-a", pg_url)
    try:
        with (
            pytest.raises(RunLockedError) as info,
            run_lock(data, tmp_path / "machine-b", 0.6, pg_url),
        ):
            pass
        assert f"pid {child.pid}" in str(info.value) and "kitflow" in str(info.value)
        # The database lock alone (no local lock) refuses too.
        with pytest.raises(RunLockedError), postgres_lock(pg_url, data, 0):
            pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # The killed holder's connection is gone, and with it its lock.
    with run_lock(data, tmp_path / "machine-b", 10, pg_url):
        pass


@pytest.mark.flow
def test_the_nightly_flow_takes_the_lock(prefect_harness, folders, tmp_path, monkeypatch):
    from flows.nightly import afstemning

    data, state = folders
    monkeypatch.setenv("KITFLOW_STATE_DIR", str(state))
    monkeypatch.setenv("KITFLOW_LOCK_WAIT_SECONDS", "0.5")
    child = hold(data, state)
    try:
        with pytest.raises(RunLockedError) as info:
            afstemning(
                as_of=dt.date(2020, 12, 31),
                data_dir=str(data),
                out_dir=str(tmp_path / "out"),
                send=False,
            )
        assert f"pid {child.pid}" in str(info.value)
        assert not (tmp_path / "out").exists()
    finally:
        child.kill()
        child.wait()
