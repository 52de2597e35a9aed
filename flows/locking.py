"""One run at a time per data folder: the flows hold `kitflow.lock`'s lock, its wait logged."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from prefect import get_run_logger

from config.settings import Settings
from kitflow.lock import run_lock
from kitflow.outbox import database_timeouts


@contextlib.contextmanager
def holding_the_data_folder(settings: Settings) -> Iterator[None]:
    """Hold the settings' data folder for this run; a second run waits, then stops (exit 4)."""
    data = Path(settings.data_dir)
    logger = get_run_logger()

    def on_wait(holder: str) -> None:
        logger.warning("%s: venter på en anden kørsel af samme datamappe (%s)", data, holder)

    def on_lost(text: str) -> None:  # the database lock's connection: one line, no traceback
        logger.warning("%s", text)

    with run_lock(
        data,
        Path(settings.state_dir),
        settings.lock_wait_seconds,
        settings.database_url,
        on_wait,
        timeouts=database_timeouts(settings),
        on_lost=on_lost,
    ):
        yield
