"""Write a run's outputs beside the old ones and swap them in whole, never half."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def publish(out_root: Path, as_of: dt.date, write: Callable[[Path], None]) -> Path:
    """Let `write` fill a fresh folder, then make it `out_root/<as-of>` in one rename.

    A run killed before the rename leaves the previous output as it was; the old folder is
    moved aside first and removed only once the new one is in place.
    """
    out_root.mkdir(parents=True, exist_ok=True)
    target = out_root / as_of.isoformat()
    staging = Path(tempfile.mkdtemp(prefix=f".{as_of.isoformat()}.new-", dir=out_root))
    try:
        write(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    staging.chmod(0o755)
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{as_of.isoformat()}.old-", dir=out_root))
        old.rmdir()
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target
