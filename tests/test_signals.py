"""A stopped `kitflow run` (SIGTERM, Ctrl-C) ends its flow run, its server and every child."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kitflow.lock import local_lock
from tests.conftest import EXAMPLE_DATA

REPO = Path(__file__).resolve().parent.parent


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads child processes from /proc")
def test_a_stopped_run_leaves_no_server_behind(tmp_path):
    # SIGTERM is what a service manager sends; Ctrl-C (SIGINT) goes through the same handler.
    sig = signal.SIGTERM
    data = shutil.copytree(EXAMPLE_DATA, tmp_path / "data")
    state = tmp_path / "state"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "KITFLOW_STATE_DIR": str(state),
        "KITFLOW_OUTPUT_DIR": str(tmp_path / "out"),
    }
    env.pop("PREFECT_API_URL", None)  # the run starts its own temporary server
    command = [sys.executable, "-m", "kitflow.cli", "run", "--data", str(data), "--no-send"]
    # The test holds the data folder, so the run is certainly mid-flow (waiting for the lock,
    # its temporary server up) when it is stopped.
    with local_lock(data, state, wait_seconds=0):
        run = subprocess.Popen(
            [*command, "--as-of", "2020-12-31"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            seen = []
            for line in run.stdout:
                seen.append(line)
                if "venter på en anden kørsel" in line:
                    break
            else:
                pytest.fail("the run never waited for the lock:\n" + "".join(seen))
            children = _children(run.pid)
            assert children, "the run has no temporary server process"
            run.send_signal(sig)
            code = run.wait(timeout=120)
        finally:
            if run.poll() is None:
                run.kill()
    left = [pid for pid in children if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "the temporary Prefect server outlived the run"
    assert code == 128 + sig
    rest = run.stdout.read()
    assert f"kitflow: stoppet ({sig.name})" in rest
    assert "Crash detected!" in rest  # the flow run is marked crashed, not left Running
    assert not (tmp_path / "out" / "2020-12-31").exists()
