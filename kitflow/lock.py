"""One run at a time per data folder: a lock that dies with its process, on one or many machines.

On one machine the lock is `fcntl.flock` on `<state_dir>/locks/<hash of the data folder>.lock`;
the kernel releases it when the process ends however it ends, so a killed run never leaves a
stale lock behind. The file holds who has it (host, pid, start time) for the message a second
run gives. When the configured database is PostgreSQL (workers on several machines share it),
the run also takes a session advisory lock there, `pg_try_advisory_lock(KITFLOW, <hash>)`,
held by one open connection: PostgreSQL releases it when that connection ends, and its
`application_name` names the holder. The folder is keyed by its resolved path, so machines
must mount a shared data folder at the same path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from kitflow.core.findings import KitflowError

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


@contextlib.contextmanager
def postgres_lock(
    url: str,
    data_dir: Path,
    wait_seconds: float,
    on_wait: Callable[[str], None] = lambda holder: None,
) -> Iterator[None]:
    """Hold the data folder in the shared PostgreSQL database (all machines)."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    info = _me(data_dir)
    key = _pg_key(data_dir)
    engine = sa.create_engine(
        url, poolclass=NullPool, connect_args={"application_name": _application_name(info)}
    )
    try:
        with engine.connect() as conn:
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
                conn.execute(
                    sa.text("SELECT pg_advisory_unlock(:ns, :key)"),
                    {"ns": PG_NAMESPACE, "key": key},
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
) -> Iterator[None]:
    """The data folder for this run alone: on this machine, and in PostgreSQL when shared."""
    started = time.monotonic()
    with local_lock(data_dir, state_dir, wait_seconds, on_wait):
        if is_postgres(database_url):
            left = wait_seconds - (time.monotonic() - started)
            with postgres_lock(database_url, data_dir, left, on_wait):
                yield
        else:
            yield
