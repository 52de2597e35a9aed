"""C6's hand-over from the nightly run to the morning reminders: the accounts due, as JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from kitflow.core.findings import Location
from kitflow.core.obligations import AccountDue
from kitflow.core.rules import DueStatus

HANDOVER_VERSION = 1


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def accounts_to_json(as_of: dt.date, accounts: Sequence[AccountDue]) -> str:
    """The nightly run's accounts due, stable in order so equal runs write equal files."""
    data = {
        "version": HANDOVER_VERSION,
        "as_of": as_of.isoformat(),
        "accounts": [
            {
                "projekt": a.projekt,
                "frist": a.frist.isoformat(),
                "status": a.status,
                "controller_email": a.controller_email,
                "forelagt": None if a.forelagt is None else a.forelagt.isoformat(),
                "sendt_til_revision": None
                if a.sendt_til_revision is None
                else a.sendt_til_revision.isoformat(),
                # Where the project is in register.xlsx (a later field: older files lack it).
                "file": None if a.source is None else a.source.file,
                "row": None if a.source is None else a.source.row,
            }
            for a in sorted(accounts, key=lambda a: (a.projekt, a.frist))
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def accounts_from_json(text: str) -> tuple[dt.date, list[AccountDue]]:
    """What `accounts_to_json` wrote; ValueError saying what is wrong for anything else."""
    try:
        data = json.loads(text)
        if data.get("version") != HANDOVER_VERSION:
            raise ValueError(f"ukendt version {data.get('version')!r}")
        accounts = [
            AccountDue(
                projekt=str(a["projekt"]),
                frist=dt.date.fromisoformat(a["frist"]),
                status=DueStatus(a["status"]),
                controller_email=a["controller_email"],
                forelagt=_date(a["forelagt"]),
                sendt_til_revision=_date(a["sendt_til_revision"]),
                source=None
                if a.get("file") is None
                else Location(str(a["file"]), "Projekter", a.get("row")),
            )
            for a in data["accounts"]
        ]
        return dt.date.fromisoformat(data["as_of"]), accounts
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"filen har ikke den ventede form ({exc})") from exc
