"""Shared fixtures: an isolated Prefect home per session and one test harness for flow tests."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Before Prefect is imported anywhere: cached results and settings must not leak between runs,
# and the machine is offline.
_PREFECT_HOME = tempfile.mkdtemp(prefix="kitflow-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
# kitflow's default state folder is the user's ($XDG_STATE_HOME/kitflow): the tests' own, never
# the developer's (subprocesses inherit it).
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="kitflow-state-home-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
for _name in list(os.environ):
    # A developer's own KITFLOW_* settings must not change what the tests see.
    if _name.startswith("KITFLOW_"):
        del os.environ[_name]

# CI gates every landing, so the property tests draw the same examples on every run; a case a
# run happens to draw must not fail one submission and pass the next. When changing a parser,
# run them with fresh examples too: HYPOTHESIS_PROFILE=explore make test. A case found that
# way goes into the test as an @example, which every run then tries.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_DATA = REPO / "config" / "example"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Every skip for want of PostgreSQL in one line of the summary (tests/pg.py)."""
    from pg import as_one_line

    outcome = yield
    as_one_line(outcome.get_result())


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A real Prefect API (temporary SQLite database) for the tests that run flows."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session", autouse=True)
def _work_in_a_scratch_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Relative defaults (out/, state/) land in a scratch folder, never in the checkout.

    Without this, a test that runs the CLI with the default state folder left failure mails
    and ledger files in the repository's own state/.
    """
    previous = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        yield
    finally:
        os.chdir(previous)
