"""What every I/O task shares: no caching of large inputs, and retries only where they help."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from prefect.cache_policies import NO_CACHE

from kitflow.core.findings import KitflowError
from kitflow.outbox import LedgerUnavailableError

T = TypeVar("T")


def retry_unless_bad_input(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a passing fault (a file share, a mail server), never a KitflowError: an input
    that is wrong, or a full disk (kitflow.publish.DiskFullError), is the same a minute later."""
    return not isinstance(getattr(state, "data", None), KitflowError)


# Hashing a million-row frame to build a cache key costs more than the task; nothing is cached.
# Timeouts are far above what the work takes (a million-row export reads in well under a
# minute): they catch a hung file share or mail server, and a timed-out I/O task is retried.
IO_TASK = {
    "cache_policy": NO_CACHE,
    "retries": 2,
    "retry_delay_seconds": [5, 30],
    "retry_condition_fn": retry_unless_bad_input,
    "timeout_seconds": 10 * 60,
}
CPU_TASK = {"cache_policy": NO_CACHE, "timeout_seconds": 30 * 60}


def ledger_loss_as_value(fn: Callable[..., T]) -> Callable[..., T | LedgerUnavailableError]:
    """A ledger step's function: a database that does not answer is returned, not raised.

    The database has had its connect and statement timeouts (the settings), so the task is
    not retried: the reminders wait for the next run. Returned, the one-line error reaches the
    flow without a task failure's traceback in the log, and the flow decides what it costs:
    the nightly run writes its reports all the same and fails with that line at the end.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T | LedgerUnavailableError:
        try:
            return fn(*args, **kwargs)
        except LedgerUnavailableError as exc:
            return exc

    return wrapper
