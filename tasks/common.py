"""What every I/O task shares: no caching of large inputs, and retries only where they help."""

from __future__ import annotations

from typing import Any

from prefect.cache_policies import NO_CACHE

from kitflow.core.findings import KitflowError


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
