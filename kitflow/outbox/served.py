"""Which reminder ledgers have served which data folder, noted per user outside any state folder.

A ledger knows what it has sent, not which data folder it sent it for, and a second ledger
(another state_dir, another database_url) knows nothing of the first: its run would send the
same reminders again. So every run that records reminders notes its ledger against its data
folder in one small file per data folder, in the user's own kitflow folder
(`$XDG_STATE_HOME/kitflow/data-folders/`), which no setting moves; a run whose ledger is not
among those noted, while another is, can then say so. Runs by other users (another home
folder) are not seen: they must share state_dir or database_url, as docs/reminders.md says.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from kitflow.lock import folder_key
from kitflow.publish import write_text_atomic

FOLDER = "data-folders"


@dataclass(frozen=True)
class Served:
    """What the note for a data folder said before this run's ledger was added to it."""

    seen_before: bool  # this ledger has served the data folder before
    others: dict[str, str]  # every other ledger that has: its URL -> when it last did (ISO)


def note_ledger(user_dir: Path, data_dir: Path, ledger: str, now: dt.datetime) -> Served:
    """Note that `ledger` (its URL without a password) serves `data_dir` now; return what the
    note held before. A note that cannot be read counts as none; one that cannot be written is
    left (the run's reminders do not depend on it)."""
    path = Path(user_dir) / FOLDER / f"{folder_key(data_dir)[:32]}.json"
    ledgers: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError):
        noted = json.loads(path.read_text(encoding="utf-8")).get("ledgers", {})
        ledgers = {str(k): str(v) for k, v in noted.items()}
    served = Served(ledger in ledgers, {k: v for k, v in ledgers.items() if k != ledger})
    ledgers[ledger] = now.isoformat(timespec="seconds")
    text = json.dumps(
        {"data_dir": str(Path(data_dir).resolve()), "ledgers": ledgers}, ensure_ascii=False
    )
    with contextlib.suppress(OSError):
        write_text_atomic(path, text + "\n")
    return served
