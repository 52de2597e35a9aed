"""End to end on loopback: a real Prefect server on PostgreSQL, a process worker, `kitflow deploy`,
a run triggered through the API, its output files and artifacts read back; then `kitflow serve`.

The server's database is a fresh one on TEST_POSTGRES_URL's server (tests/pg.py); where no
PostgreSQL answers, the server runs on SQLite, as Prefect's own default (under CI=true the test
fails instead).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from pg import POSTGRES_URL, in_ci, postgres_url, shown, unreachable
from sqlalchemy.engine import make_url

from tests.conftest import EXAMPLE_DATA

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
RUN_TIMEOUT = 240  # seconds for the deployed run, from trigger to a final state
POOL = "kitflow-e2e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    """The processes the test started, their logs, and what they need to reach each other."""

    tmp: Path
    env: dict[str, str]
    api_url: str
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        # Its own process group, so stopping it also stops what it started (the flow runs).
        proc = subprocess.Popen(
            args, env=self.env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        self.procs[name] = proc
        return proc

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            args, env=self.env, cwd=self.tmp, capture_output=True, text=True, timeout=timeout
        )

    def stop(self, name: str, grace: float = 20) -> None:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def logs(self) -> str:
        """The tail of every log, for a failure message that says what went wrong."""
        parts = []
        for path in sorted(self.tmp.glob("*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name} ---\n{text[-6000:]}")
        return "\n".join(parts)


@pytest.fixture
def database(tmp_path) -> Iterator[str]:
    """A fresh PostgreSQL database for the Prefect server, dropped afterwards; SQLite where
    PostgreSQL does not answer (except under CI)."""
    if (why := unreachable()) is not None:
        if in_ci():
            pytest.fail(f"CI=true and PostgreSQL at {shown(POSTGRES_URL)} does not answer ({why})")
        yield f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}"
        return
    name = f"kitflow_e2e_{secrets.token_hex(4)}"
    admin = postgres_url(make_url(POSTGRES_URL).database or "postgres", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name, "postgresql+asyncpg")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def stack(tmp_path, database) -> Iterator[Stack]:
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KITFLOW_", "PREFECT_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_API_URL=api_url,
        PREFECT_API_DATABASE_CONNECTION_URL=database,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_LOGGING_LEVEL="INFO",
        # Background services this test does not use: they only compete for the two cores.
        **{
            f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false"
            for name in (
                "CANCELLATION_CLEANUP",
                "FOREMAN",
                "LATE_RUNS",
                "PAUSE_EXPIRATIONS",
                "REPOSSESSOR",
                "CLEANUP_RECONCILER",
                "TRIGGERS",
            )
        },
        # The deployed runs work in the checkout; their state (reminder ledger, outbox) not.
        KITFLOW_STATE_DIR=str(tmp_path / "state"),
    )
    s = Stack(tmp_path, env, api_url)
    try:
        yield s
    finally:
        for name in list(s.procs):
            # The server's database is dropped next: it need not shut down tidily.
            s.stop(name, grace=5 if name == "server" else 20)


def wait_healthy(stack: Stack, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stack.procs["server"].poll() is not None:
            pytest.fail(f"the Prefect server exited\n{stack.logs()}")
        try:
            if httpx.get(f"{stack.api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the Prefect server did not answer /api/health in {seconds} s\n{stack.logs()}")


def wait_for_line(path: Path, text: str, proc: subprocess.Popen, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        content = path.read_text(errors="replace") if path.exists() else ""
        if text in content:
            return content
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    pytest.fail(f"{path.name} never said {text!r}:\n{content}")


def test_server_worker_deployment_run_and_artifacts(stack, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.workers.process import ProcessWorker

    stack.start("server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                "--port", stack.api_url.split(":")[-1].split("/")[0])  # fmt: skip
    wait_healthy(stack)

    # What `prefect work-pool create kitflow-e2e --type process` does, without a second CLI.
    with (
        temporary_settings({PREFECT_API_URL: stack.api_url}),
        get_client(sync_client=True) as client,
    ):
        template = ProcessWorker.get_default_base_job_template()
        client.create_work_pool(
            WorkPoolCreate(name=POOL, type="process", base_job_template=template)
        )
    stack.start("worker", str(BIN / "prefect"), "worker", "start", "--pool", POOL)

    # A pool that does not exist gets the command that creates it (run alongside the real one).
    no_pool = subprocess.Popen(
        [str(BIN / "kitflow"), "deploy", "--pool", "findes-ikke"],
        env=stack.env, cwd=stack.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deployed = stack.run(str(BIN / "kitflow"), "deploy", "--pool", POOL)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr + stack.logs()
    assert "afstemning/kitflow: '0 2 * * *' Europe/Copenhagen; næste kørsler:" in deployed.stdout
    assert f"prefect worker start --pool {POOL}" in deployed.stdout
    _, err = no_pool.communicate(timeout=120)
    assert no_pool.returncode == 1, err
    assert "prefect work-pool create findes-ikke --type process" in err
    assert "Traceback" not in err

    out = tmp_path / "out"
    with temporary_settings({PREFECT_API_URL: stack.api_url}):
        run = run_deployment(
            "afstemning/kitflow",
            parameters={
                "data_dir": str(EXAMPLE_DATA),
                "out_dir": str(out),
                "as_of": "2020-12-31",
                "send": False,
            },
            timeout=0,  # returns at once; waited for below, within a bound
        )
        deadline = time.monotonic() + RUN_TIMEOUT
        with get_client(sync_client=True) as client:
            while True:
                run = client.read_flow_run(run.id)
                if run.state is not None and run.state.is_final():
                    break
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"the run was {run.state_name} after {RUN_TIMEOUT} s\n{stack.logs()}"
                    )
                time.sleep(1)
            assert run.state.is_completed(), f"{run.state}\n{stack.logs()}"
            assert run.name == "afstemning 2020-12-31"
            deployment = client.read_deployment(run.deployment_id)
            assert deployment.work_pool_name == POOL
            assert deployment.schedules[0].schedule.timezone == "Europe/Copenhagen"
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
            )

    folder = out / "2020-12-31"
    for name in ("reconciliation.csv", "due.csv", "anlaegsregnskab.xlsx", "reminders.csv"):
        assert (folder / name).stat().st_size > 0, name

    by_key = {a.key: a for a in artifacts if a.key}
    assert {
        "afstemning-oversigt",
        "afstemning-resume",
        "afstemning-aendringer",
        "afstemning-rapporter",
    } <= set(by_key), sorted(by_key)
    table = by_key["afstemning-oversigt"].data
    rows = json.loads(table) if isinstance(table, str) else table
    (total,) = [r for r in rows if r["Projekt"] == "I alt"]
    # Bilag 4's I alt, in 1.000 kr.
    assert (total["Rådighedsbeløb"], total["Forbrug"], total["Afvigelse"]) == (
        "36.584",
        "32.259",
        "4.325",
    )
    assert "Afstemning pr. 31.12.2020" in by_key["afstemning-resume"].data

    # `kitflow serve` on the same server: shows its deployments with their next runs in
    # Copenhagen time, and leaves their schedules active when stopped.
    stack.stop("worker")
    serve = stack.start("serve", str(BIN / "kitflow"), "serve")
    log = wait_for_line(stack.tmp / "serve.log", "polling for scheduled runs", serve, 90)
    for entry in ("afstemning/kitflow", "paamindelser/kitflow", "rapportmail/kitflow"):
        assert f"{entry}: '" in log and "næste kørsler:" in log, log
    assert ("CET" in log) or ("CEST" in log)
    stack.stop("serve")
    with (
        temporary_settings({PREFECT_API_URL: stack.api_url}),
        get_client(sync_client=True) as client,
    ):
        served = client.read_deployment_by_name("afstemning/kitflow")
    assert not served.paused
    assert all(s.active for s in served.schedules)
