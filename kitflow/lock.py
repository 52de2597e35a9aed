"""One run at a time per data folder: a lock that dies with its process, on one or many machines.

On one machine the lock is `fcntl.flock` on `<state_dir>/locks/<hash of the data folder>.lock`;
the kernel releases it when the process ends however it ends, so a killed run never leaves a
stale lock behind. The file holds who has it (host, pid, start time) for the message a second
run gives. When the configured database is PostgreSQL (workers on several machines share it),
the run also takes a session advisory lock there, `pg_try_advisory_lock(KITFLOW, <hash>)`,
held by one open connection: PostgreSQL releases it when that connection ends, and its
`application_name` names the holder. The folder is keyed by its resolved path, so machines
must mount a shared data folder at the same path. That connection has the ledger's connect
and statement timeouts; when it is lost during the run (the database went away), giving the
lock back at the end is one warning, not an error over the run's own outcome: PostgreSQL lets
go of a session's lock when the session ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from kitflow.core.findings import KitflowError
from kitflow.outbox.schema import (
    DATABASE_ERRORS,
    DatabaseTimeouts,
    database_error_reason,
    make_engine,
    shown_url,
)

log = logging.getLogger(__name__)

# The first key of every kitflow advisory lock, so they cannot collide with other programs'.
PG_NAMESPACE = 0x6B697466  # "kitf"
_POLL_SECONDS = 0.5


class RunLockedError(KitflowError):
    """Another run holds the data folder and did not finish within the wait."""

    exit_code = 4

    def __init__(self, data_dir: Path, holder: str, waited: float) -> None:
        self.data_dir = data_dir
        self.holder = holder
        super().__init__(
            f"{data_dir}: en anden kørsel arbejder allerede på denne datamappe ({holder}); "
            f"ventede {waited:.0f} s. Vent til den er færdig, og kør så igen "
            "(ventetiden er indstillingen lock_wait_seconds)"
        )


def folder_key(data_dir: Path) -> str:
    """The hex hash that names a data folder's lock, the same for every path to the folder."""
    return hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()


def _holder_text(info: dict) -> str:
    return (
        f"vært {info.get('host', '?')}, pid {info.get('pid', '?')}, "
        f"startet {info.get('started', '?')}"
    )


def _me(data_dir: Path) -> dict:
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "data_dir": str(Path(data_dir).resolve()),
    }


def _wait(try_once: Callable[[], bool], wait_seconds: float, on_wait: Callable[[], None]) -> bool:
    deadline = time.monotonic() + max(wait_seconds, 0)
    if try_once():
        return True
    on_wait()
    while time.monotonic() < deadline:
        time.sleep(min(_POLL_SECONDS, max(deadline - time.monotonic(), 0)))
        if try_once():
            return True
    return False


@contextlib.contextmanager
def local_lock(
    data_dir: Path,
    state_dir: Path,
    wait_seconds: float,
    on_wait: Callable[[str], None] = lambda holder: None,
) -> Iterator[Path]:
    """Hold the data folder on this machine; yields the lock file's path."""
    folder = Path(state_dir) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{folder_key(data_dir)[:32]}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:

        def try_once() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    return False
                raise
            return True

        started = time.monotonic()
        if not _wait(try_once, wait_seconds, lambda: on_wait(_read_holder(path))):
            raise RunLockedError(Path(data_dir), _read_holder(path), time.monotonic() - started)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_me(data_dir)).encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)  # no holder named once it is free
    finally:
        os.close(fd)  # releases the flock


def _read_holder(path: Path) -> str:
    try:
        return _holder_text(json.loads(path.read_text() or "{}"))
    except (OSError, ValueError):
        return "ukendt holder"


def _pg_key(data_dir: Path) -> int:
    return int(folder_key(data_dir)[:8], 16) & 0x7FFFFFFF


def _application_name(info: dict) -> str:
    # PostgreSQL keeps 63 bytes of it; the start time and pid come first so they survive.
    return f"kitflow {info['started'][:19]} pid {info['pid']} vært {info['host']}"[:63]


def _lost_warning(text: str) -> None:
    log.warning("%s", text)


@contextlib.contextmanager
def postgres_lock(
    url: str,
    data_dir: Path,
    wait_seconds: float,
    on_wait: Callable[[str], None] = lambda holder: None,
    *,
    timeouts: DatabaseTimeouts | None = None,
    on_lost: Callable[[str], None] = _lost_warning,
) -> Iterator[None]:
    """Hold the data folder in the shared PostgreSQL database (all machines).

    The database not answering is reported to `on_lost` in one line (by default a warning in
    the log), never raised: when the lock cannot be taken, the run goes on holding the folder
    on this machine only (the night's reports do not wait for the ledger's database); when
    the connection is lost by the time the lock is given back, the block's outcome stands.
    """
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    info = _me(data_dir)
    key = _pg_key(data_dir)
    timeouts = timeouts or DatabaseTimeouts()
    engine = make_engine(
        url,
        timeouts,
        poolclass=NullPool,
        connect_args={"application_name": _application_name(info)},
    )
    try:
        try:
            connection = engine.connect()
        except DATABASE_ERRORS as exc:
            on_lost(
                f"PostgreSQL-låsen på datamappen ({shown_url(url)}) kan ikke tages: "
                f"{database_error_reason(exc, timeouts)}. Kørslen holder kun datamappen på "
                "denne maskine"
            )
            yield
            return
        with connection as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")

            def try_once() -> bool:
                return bool(
                    conn.execute(
                        sa.text("SELECT pg_try_advisory_lock(:ns, :key)"),
                        {"ns": PG_NAMESPACE, "key": key},
                    ).scalar()
                )

            def holder() -> str:
                row = conn.execute(
                    sa.text(
                        "SELECT a.application_name, a.client_addr FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted "
                        "AND l.classid = :ns AND l.objid = :key AND l.objsubid = 2"
                    ),
                    {"ns": PG_NAMESPACE, "key": key},
                ).first()
                if row is None:
                    return "ukendt holder"
                return f"{row[0] or 'ukendt program'} (fra {row[1] or 'lokal forbindelse'})"

            started = time.monotonic()
            if not _wait(try_once, wait_seconds, lambda: on_wait(holder())):
                raise RunLockedError(Path(data_dir), holder(), time.monotonic() - started)
            try:
                yield
            finally:
                try:
                    conn.execute(
                        sa.text("SELECT pg_advisory_unlock(:ns, :key)"),
                        {"ns": PG_NAMESPACE, "key": key},
                    )
                except DATABASE_ERRORS as exc:
                    on_lost(
                        f"Forbindelsen til PostgreSQL-låsen på datamappen ({shown_url(url)}) "
                        f"er tabt: {database_error_reason(exc, timeouts)}. PostgreSQL slipper "
                        "låsen, når forbindelsen er lukket; kørslens eget resultat står ved magt"
                    )
    finally:
        engine.dispose()


def is_postgres(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


@contextlib.contextmanager
def run_lock(
    data_dir: Path,
    state_dir: Path,
    wait_seconds: float,
    database_url: str | None = None,
    on_wait: Callable[[str], None] = lambda holder: None,
    *,
    timeouts: DatabaseTimeouts | None = None,
    on_lost: Callable[[str], None] = _lost_warning,
) -> Iterator[None]:
    """The data folder for this run alone: on this machine, and in PostgreSQL when shared."""
    started = time.monotonic()
    with local_lock(data_dir, state_dir, wait_seconds, on_wait):
        if is_postgres(database_url):
            left = wait_seconds - (time.monotonic() - started)
            with postgres_lock(
                database_url, data_dir, left, on_wait, timeouts=timeouts, on_lost=on_lost
            ):
                yield
        else:
            yield
