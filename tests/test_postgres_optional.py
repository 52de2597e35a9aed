"""Without PostgreSQL, its tests are skipped with one line saying how to run them; under CI
(`CI=true`) they fail instead, so none goes missing quietly.

The suite's PostgreSQL tests of the ledger and the run lock run in a pytest of their own, with
TEST_POSTGRES_URL pointing at a closed port. (The Prefect server test, which falls back to
SQLite, is left out: it would start a server and a worker.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLOSED = "postgresql+psycopg://postgres@127.0.0.1:1/test"
POSTGRES_TESTS = (
    "tests/test_lock.py::test_postgres_lock_covers_other_machines",
    "tests/test_outbox_ledger.py::test_the_database_stores_the_states_as_plain_strings[postgresql]",
    "tests/test_ledger_faults.py::test_the_run_lock_warns_in_one_line_when_its_connection_is_lost",
)


def pytest_without_postgres(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "TEST_POSTGRES_DSN")}
    environ.update(TEST_POSTGRES_URL=CLOSED, PYTHONPATH=str(REPO), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", *POSTGRES_TESTS],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_postgres_its_tests_skip_with_one_line_and_under_ci_they_fail(tmp_path):
    skipped = pytest_without_postgres(tmp_path)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert re.search(r"\b3 skipped\b", skipped.stdout), skipped.stdout
    lines = [line for line in skipped.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(lines) == 1, skipped.stdout  # one line for all of them
    (line,) = lines
    assert line.startswith("SKIPPED [3] ")
    assert "127.0.0.1:1" in line and "TEST_POSTGRES_URL" in line and "to run them" in line

    failed = pytest_without_postgres(tmp_path, CI="true")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    # A test whose fixture wants PostgreSQL errors at its setup; one that asks itself fails.
    last = failed.stdout.splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (failed|errors?|skipped)", last)}
    assert counts.get("failed", 0) + counts.get("errors", counts.get("error", 0)) == 3, last
    assert "skipped" not in counts, last
    assert failed.stdout.count("CI=true and PostgreSQL at postgresql+psycopg://") >= 3
