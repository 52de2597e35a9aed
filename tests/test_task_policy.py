"""The I/O tasks' Prefect policy (tasks/common.py), triggered for real: a passing fault is
retried, bad input is not, and a hung task is timed out and retried.

The tasks here have IO_TASK's policy as the input tasks do; only the retry delay (0 s) and,
for the timeout, the time limit (1 s) are made small with `.with_options`, so that the tests
take seconds. Each task counts its attempts by name.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from prefect import flow, task

from kitflow.core.findings import FatalInputError
from tasks.common import IO_TASK
from tasks.inputs import read_register_task

pytestmark = pytest.mark.flow

attempts: Counter[str] = Counter()


@task(**IO_TASK)
def fails_once(name: str) -> str:
    """A file share that is gone for a moment: the first attempt fails, the next reads."""
    attempts[name] += 1
    if attempts[name] == 1:
        raise OSError(f"[Errno 5] Input/output error: '{name}'")
    return "read"


@task(**IO_TASK)
def bad_input(name: str) -> str:
    attempts[name] += 1
    raise FatalInputError(name, "filen findes ikke")


@task(**IO_TASK)
def hangs_once(name: str) -> str:
    """A file share that hangs on the first attempt (for up to 30 s), then answers."""
    attempts[name] += 1
    if attempts[name] == 1:
        # Short sleeps: where Prefect cannot interrupt a call (outside the main thread), its
        # timeout takes effect between them, so the hung attempt ends soon after the limit.
        for _ in range(300):
            time.sleep(0.1)
    return "read"


@flow
def run_one(task_fn, name: str) -> str:
    return task_fn.with_options(retry_delay_seconds=0)(name)


def test_the_policy_is_the_input_tasks_own():
    assert read_register_task.retries == IO_TASK["retries"] == 2
    assert read_register_task.retry_condition_fn is IO_TASK["retry_condition_fn"]
    assert read_register_task.timeout_seconds == IO_TASK["timeout_seconds"]


def test_a_passing_io_error_is_retried_and_the_task_succeeds(prefect_harness):
    assert run_one(fails_once, "share") == "read"
    assert attempts["share"] == 2


def test_bad_input_is_not_retried(prefect_harness):
    with pytest.raises(FatalInputError, match=r"^register\.xlsx: filen findes ikke$"):
        run_one(bad_input, "register.xlsx")
    assert attempts["register.xlsx"] == 1


def test_a_hung_task_is_timed_out_and_retried(prefect_harness):
    assert run_one(hangs_once.with_options(timeout_seconds=1), "hung") == "read"
    assert attempts["hung"] == 2


def test_retries_run_out(prefect_harness, tmp_path: Path):
    # A register that is not there: an OSError every time, as long as the share is gone.
    @task(**IO_TASK)
    def always_gone(name: str) -> None:
        attempts[name] += 1
        Path(name).read_bytes()

    missing = str(tmp_path / "register.xlsx")
    with pytest.raises(FileNotFoundError):
        run_one(always_gone, missing)
    assert attempts[missing] == 1 + IO_TASK["retries"]
