"""Write a run's outputs beside the old ones and swap them in whole, never half.

`out_root/<as-of>` stays a plain folder (controllers open it from a Windows share, where a
symlink would not do). On Linux the finished folder and the old one are exchanged by one
`renameat2(RENAME_EXCHANGE)` call, so there is no moment without a complete folder. Where
the file system cannot exchange (some network file systems, other systems), the old folder
is renamed aside and the new one renamed in; a run killed between the two renames leaves the
old folder under its aside name, and the next publish (or `recover`) renames it back before
doing anything else. Publishing to one output folder is serialised by a lock on the folder,
so two runs never swap the same folder at once.

A full disk (ENOSPC, or EDQUOT for a full quota) while writing is a DiskFullError: the
half-written folder is removed, the old one stays, and the run ends with one line naming the
folder (exit code 5) rather than retrying a write that would fill the same disk again.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import fcntl
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from kitflow.core.findings import KitflowError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# Tests turn this off to exercise the two-rename path; the file system may turn it off too.
exchange_supported = sys.platform.startswith("linux")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries atomically; False when this system cannot."""
    global exchange_supported
    if not exchange_supported:
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # glibc older than 2.28, or another libc
        exchange_supported = False
        return False
    renameat2.argtypes = (
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    )
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # this file system cannot exchange; the caller renames twice
    raise OSError(code, f"kan ikke bytte {b} ud: {os.strerror(code)}", str(b))


# A full disk, or a full quota: retrying the same write a few seconds later fills it again.
_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskFullError(KitflowError):
    """The output folder's disk (or the user's quota there) is full: nothing was published.

    Not bad input (exit 2) nor a defect: the operator frees space and runs again.
    """

    exit_code = 5

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


def _full_disk(exc: BaseException) -> OSError | None:
    """The ENOSPC/EDQUOT error behind `exc` (itself, or what a library raised it from)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _FULL:
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _size_text(n: int) -> str:
    """Bytes as a Dane reads them: 4.096 byte, 1,2 MB, 3,4 GB."""
    if n < 1_000_000:
        return f"{n:,} byte".replace(",", ".")
    value, unit = (n / 1e6, "MB") if n < 1e9 else (n / 1e9, "GB")
    return f"{value:.1f}".replace(".", ",") + f" {unit}"


def _bytes_in(folder: Path) -> int:
    """What the files under `folder` hold, in bytes (0 where it cannot be read)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _bytes_in_file(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def disk_full_error(
    folder: Path, what: str, written: int, cause: OSError, kept: Path | None = None
) -> DiskFullError:
    """One line for the operator: which folder, what could not be written, how far it got, how
    much is free now (with a full quota the disk may have room and the user none), and which
    previous file or folder is still as it was."""
    if cause.errno == errno.EDQUOT:
        state = "kvoten på disken er brugt op"
    else:
        state = "disken er fuld"
        with contextlib.suppress(OSError):
            stat = os.statvfs(folder)
            state += f" ({_size_text(stat.f_bavail * stat.f_frsize)} ledigt)"
    unchanged = f"; {kept.name} er som før" if kept is not None and kept.exists() else ""
    return DiskFullError(
        str(folder),
        f"{state}: {what} kunne ikke skrives ({_size_text(written)} var skrevet, da pladsen "
        f"slap op). Frigør plads, og kør igen{unchanged}",
    )


def _staging_prefix(as_of: str) -> str:
    return f".{as_of}.new-"


def _aside_prefix(as_of: str) -> str:
    return f".{as_of}.old-"


def _owner_tag() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(name: str, prefix: str) -> bool:
    """A staging folder whose writer (on this host) is dead; another host's is left alone."""
    rest = name[len(prefix) :]
    host = socket.gethostname()
    if not rest.startswith(host + "-"):
        return False
    pid = rest[len(host) + 1 :].split("-", 1)[0]
    return pid.isdigit() and not _alive(int(pid))


@contextlib.contextmanager
def _publish_lock(out_root: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder itself, so it gets no lock file to show."""
    fd = os.open(out_root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            # A network file system may refuse locks on a folder; the run lock (one run per
            # data folder) still keeps runs apart, so go on without this one.
            if exc.errno not in (errno.EBADF, errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise
        yield
    finally:
        os.close(fd)  # closing releases the lock; so does the process dying


def recover(out_root: Path) -> list[Path]:
    """Undo what a killed publish left: the old folder back in place, leftovers removed.

    Call with the publish lock held (as `publish` does) or when no run can be publishing.
    Returns the folders put back.
    """
    restored = []
    if not out_root.is_dir():
        return restored
    entries = sorted(out_root.iterdir(), key=lambda p: p.name)
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and ".old-" in name and entry.is_dir()):
            continue
        as_of = name[1:].split(".old-", 1)[0]
        target = out_root / as_of
        if target.exists():
            shutil.rmtree(entry, ignore_errors=True)  # the swap went through; only cleanup
        else:
            entry.rename(target)
            restored.append(target)
    for entry in entries:
        name = entry.name
        if name.startswith(".") and ".new-" in name and entry.exists():
            prefix = name.split(".new-", 1)[0] + ".new-"
            if _abandoned(name, prefix):
                shutil.rmtree(entry, ignore_errors=True)
    return restored


def publish(out_root: Path, as_of: dt.date, write: Callable[[Path], None]) -> Path:
    """Let `write` fill a fresh folder, then make it `out_root/<as-of>` whole.

    Killed at any point, `out_root/<as-of>` is the complete previous output (or, after the
    swap, the complete new one); never a mixture, and never missing once `recover` has run.
    """
    day = as_of.isoformat()
    target = out_root / day
    what = f"rapporterne pr. {as_of:%d.%m.%Y}"
    try:
        out_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(day) + _owner_tag(), dir=out_root))
    except OSError as exc:
        if (full := _full_disk(exc)) is not None:
            raise disk_full_error(out_root, what, 0, full, target) from exc
        raise
    try:
        write(staging)
    except BaseException as exc:
        # A full disk is said in one line, and the task does not retry it (the same disk
        # would be full again); the half-written folder goes either way, the old one stays.
        full = _full_disk(exc)
        written = _bytes_in(staging) if full is not None else 0
        shutil.rmtree(staging, ignore_errors=True)
        if full is not None:
            raise disk_full_error(out_root, what, written, full, target) from exc
        raise
    staging.chmod(0o755)
    with _publish_lock(out_root):
        recover(out_root)
        if not target.exists():
            staging.rename(target)
            return target
        if _exchange(staging, target):
            shutil.rmtree(staging, ignore_errors=True)  # now holds the old output
            return target
        aside = Path(tempfile.mkdtemp(prefix=_aside_prefix(day), dir=out_root))
        aside.rmdir()
        target.rename(aside)
        # A kill here leaves no out_root/<as-of>; `recover` renames `aside` back.
        staging.rename(target)
        shutil.rmtree(aside, ignore_errors=True)
    return target


def write_text_atomic(path: Path, text: str) -> None:
    """Write a small state file whole or not at all: a killed run leaves the previous one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        if (full := _full_disk(exc)) is not None:
            raise disk_full_error(path.parent, path.name, 0, full, path) from exc
        raise
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        full = _full_disk(exc)
        written = _bytes_in_file(Path(tmp)) if full is not None else 0
        Path(tmp).unlink(missing_ok=True)
        if full is not None:
            raise disk_full_error(path.parent, path.name, written, full, path) from exc
        raise
