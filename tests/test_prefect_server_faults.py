"""A Prefect server that is away: one line, the failure mail sent anyway, no run left Running."""

from __future__ import annotations

import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from email.header import decode_header, make_header
from pathlib import Path

import httpx
import pytest

from config.settings import Settings
from flows.orphans import CRASHED_MESSAGE, crash_orphans, remember
from kitflow.lock import local_lock
from tests.conftest import EXAMPLE_DATA

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path, api_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api_url,
        # One retry, not Prefect's five with backoff: the test waits for the give-up.
        "PREFECT_CLIENT_MAX_RETRIES": "1",
        "KITFLOW_STATE_DIR": str(tmp_path / "state"),
        "KITFLOW_OUTPUT_DIR": str(tmp_path / "out"),
    }


def _kitflow_run(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    data = tmp_path / "data"
    if not data.exists():
        shutil.copytree(EXAMPLE_DATA, data)
    command = [sys.executable, "-m", "kitflow.cli", "run", "--data", str(data), "--no-send"]
    return subprocess.Popen(
        [*command, "--as-of", "2020-12-31"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _failure_mails(tmp_path: Path) -> list[email.message.Message]:
    folder = tmp_path / "state" / "outbox"
    mails = [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]
    return [m for m in mails if "fejlede" in str(make_header(decode_header(m["Subject"])))]


def test_no_server_at_the_start_is_one_line_and_a_mail(tmp_path):
    closed = f"http://127.0.0.1:{_free_port()}/api"
    run = _kitflow_run(tmp_path, _env(tmp_path, closed))
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 5, output
    assert "Traceback" not in output
    last = output.strip().splitlines()[-1]
    assert last.startswith(f"kitflow: Prefect-serveren på {closed} svarer ikke (ConnectError")
    assert "kørslen er ikke startet" in last
    # --no-send: nothing is sent, the failure mail to Koncern IT lies in the outbox folder.
    assert "Intet er sendt (--no-send): mailen om fejlen til Koncern IT" in last
    (mail,) = _failure_mails(tmp_path)
    assert "svarer ikke" in mail.get_payload(decode=True).decode()
    assert not (tmp_path / "out").exists()


def _server(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    """`prefect server start` on its own SQLite database, in its own process group."""
    server = subprocess.Popen(
        [
            *(str(Path(sys.executable).parent / "prefect"), "server", "start", "--no-ui"),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        env={**os.environ, "PREFECT_HOME": str(tmp_path / "server")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300  # generous: a loaded two-core machine is slow to start it
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        assert server.poll() is None, "prefect server start ended"
        time.sleep(0.3)
    os.killpg(server.pid, signal.SIGKILL)
    pytest.fail("the Prefect server did not start")


def _runs(api: str) -> dict[str, tuple[str, str | None]]:
    runs = httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10).json()
    return {r["id"]: (r["state_type"], r["state"]["message"]) for r in runs}


@pytest.mark.e2e
def test_a_server_lost_mid_run_ends_in_one_line_and_the_next_run_crashes_its_run(tmp_path):
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = _env(tmp_path, api)
    server = _server(tmp_path, port)
    try:
        # The test holds the data folder, so the run is certainly mid-flow when the server goes.
        with local_lock(shutil.copytree(EXAMPLE_DATA, tmp_path / "data"), tmp_path / "state", 0):
            run = _kitflow_run(tmp_path, env)
            for line in run.stdout:
                if "venter på en anden kørsel" in line:
                    break
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        output = run.stdout.read()
        assert run.wait(timeout=300) == 5, output
        # It was a hundred lines of httpx traceback; Prefect's own warnings about its lost
        # event and log connections may still come, as many as the timing makes them.
        assert "Traceback" not in output, output
        last = [line for line in output.splitlines() if line.startswith("kitflow: ")]
        assert last and "svarer ikke" in last[-1] and "kunne ikke gøres færdig" in last[-1]
        assert _failure_mails(tmp_path), "Koncern IT was not mailed"
        (note,) = (tmp_path / "state" / "runs").glob("*.json")
        lost = note.stem

        server = _server(tmp_path, port)
        assert _runs(api)[lost][0] == "RUNNING"  # what the server believes, left alone
        again = _kitflow_run(tmp_path, env)
        output = again.communicate(timeout=300)[0]
        assert again.returncode == 0, output
        runs = _runs(api)
        assert runs[lost] == ("CRASHED", CRASHED_MESSAGE)
        assert sorted(state for state, _message in runs.values()) == ["COMPLETED", "CRASHED"]
        assert [p.stem for p in (tmp_path / "state" / "runs").glob("*.json")] != [lost]
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)


@pytest.mark.flow
def test_only_runs_of_ended_processes_are_crashed(prefect_harness, tmp_path):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Running

    @flow(name="en kørsel")
    def some_run() -> None:
        return None

    settings = Settings(state_dir=tmp_path / "state")
    ended = subprocess.run(["true"], check=True)  # noqa: F841 (its pid is gone now)
    with get_client(sync_client=True) as client:
        ids = []
        for _ in range(3):
            created = client.create_flow_run(some_run, state=Running())
            ids.append(str(created.id))
        dead, alive, done = ids
        client.set_flow_run_state(done, Running(), force=True)
    # A process that has ended, one that runs (this one), and an ended one whose run finished.
    remember(settings, alive)
    for run_id in (dead, done):
        note = remember(settings, run_id)
        note.write_text(note.read_text().replace(f'"pid": {os.getpid()}', '"pid": 999999999'))
    from prefect.states import Completed

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(done, Completed(), force=True)

    assert crash_orphans(settings) == [dead]

    with get_client(sync_client=True) as client:
        states = {i: client.read_flow_run(i).state for i in ids}
    assert states[dead].is_crashed() and states[dead].message == CRASHED_MESSAGE
    assert states[alive].is_running() and states[done].is_completed()
    notes = sorted(p.stem for p in (tmp_path / "state" / "runs").glob("*.json"))
    assert notes == [alive]  # the live run's note stays until its process has ended
