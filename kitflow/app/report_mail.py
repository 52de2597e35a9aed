"""The report mail's steps: find a run's finished reports, queue them in the ledger, send them."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from config.settings import Settings
from kitflow.app.publishing import SUMMARY_FILE, summary_from_json
from kitflow.core.findings import FatalInputError
from kitflow.core.ledger import Key, LedgerRow
from kitflow.mail import ReportSummary, build_report_mail, open_transport
from kitflow.outbox import (
    REPORT_RULE,
    DeliveryResult,
    Entry,
    MessageBuilder,
    addressees,
    open_ledger,
)

REPORT_ITEM = "anlaegsregnskab"
REPORT_FILES = ("anlaegsregnskab.xlsx", "anlaegsregnskab.docx")
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _run_first(as_of: dt.date | None, when: str = "først") -> str:
    day = f" --as-of {as_of.isoformat()}" if as_of else ""
    return f"kør `kitflow run{day}` {when}"


def find_report_folder(out_root: Path, as_of: dt.date | None, today: dt.date) -> Path:
    """`<out_root>/<as-of>`; without an as-of date, today's folder or else the newest before it.

    FatalInputError (one line, naming the folder) when there is no such folder or it lacks a
    report file.
    """
    if as_of is not None:
        folder = out_root / as_of.isoformat()
        if not folder.is_dir():
            raise FatalInputError(
                str(folder), f"mappen med rapporterne findes ikke; {_run_first(as_of)}"
            )
    else:
        dated = sorted(
            p
            for p in (out_root.iterdir() if out_root.is_dir() else ())
            if p.is_dir() and _DATED.match(p.name) and p.name <= today.isoformat()
        )
        if not dated:
            raise FatalInputError(
                str(out_root / today.isoformat()),
                f"ingen mappe med rapporter her eller fra før; {_run_first(None)}",
            )
        folder = dated[-1]
    missing = [name for name in (*REPORT_FILES, SUMMARY_FILE) if not (folder / name).is_file()]
    if missing:
        again = _run_first(dt.date.fromisoformat(folder.name), "igen")
        raise FatalInputError(str(folder), f"{', '.join(missing)} mangler i mappen; {again}")
    return folder


def read_summary(folder: Path) -> ReportSummary:
    """The run's Resultat sentence and overdue projects, as its report model gave them.

    The nightly run writes them beside the reports (SUMMARY_FILE), in the same swap, so the
    mail always describes the files it attaches.
    """
    path = folder / SUMMARY_FILE
    try:
        return summary_from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        again = _run_first(dt.date.fromisoformat(folder.name), "igen")
        raise FatalInputError(str(path), f"resuméet kan ikke læses ({exc}); {again}") from None


def report_entries(settings: Settings, folder: Path) -> list[Entry]:
    """One ledger entry per recipient of this folder's report: To, then Cc (each once)."""
    r = settings.reminders
    payload = {"folder": str(folder.resolve()), "as_of": folder.name}
    seen: set[str] = set()
    entries = []
    for header, role, addresses in (
        ("to", "Modtager", r.report_recipients),
        ("cc", "Kopi", r.report_cc),
    ):
        for address in addresses:
            if address.lower() in seen:
                continue
            seen.add(address.lower())
            entries.append(
                Entry(REPORT_RULE, REPORT_ITEM, folder.name, address, "", role, header, payload)
            )
    return entries


def report_builder(settings: Settings) -> MessageBuilder:
    """Builds a claimed report mail from the folder its rows name, as it is at sending time."""

    def build(rows: Sequence[Any], now: dt.datetime) -> Any:
        folder = Path(json.loads(rows[0].payload)["folder"])
        to, cc = addressees(rows)
        return build_report_mail(
            [folder / name for name in REPORT_FILES],
            read_summary(folder),
            to=to,
            cc=cc,
            mail_from=settings.mail_from,
            message_id=rows[0].message_id,
            limit_bytes=int(settings.reminders.attachment_limit_mb * 1024 * 1024),
            link_base=settings.reminders.report_link_base,
            now=now.replace(tzinfo=dt.UTC),
            timezone=settings.timezone,
        )

    return build


def queue_report(settings: Settings, folder: Path) -> tuple[list[Key], int, int]:
    """Record the report mail in the ledger: (its keys, rows added, older rows cancelled)."""
    entries = report_entries(settings, folder)
    with open_ledger(settings) as ledger:
        added, cancelled = ledger.enqueue(entries, dt.date.fromisoformat(folder.name))
    return [e.key for e in entries], added, cancelled


def deliver_report(
    settings: Settings, keys: Sequence[Key], now: dt.datetime | None = None
) -> DeliveryResult:
    """Send the report mail's rows that are due (new, or failed and past their backoff)."""
    with open_ledger(settings) as ledger, closing(open_transport(settings)) as transport:
        return ledger.deliver(
            transport,
            timezone=settings.timezone,
            keys=keys,
            now=now,
            build=report_builder(settings),
        )


def report_rows(settings: Settings, keys: Sequence[Key]) -> list[LedgerRow]:
    """The ledger's rows of this report mail, with their delivery state."""
    with open_ledger(settings) as ledger:
        return ledger.rows(keys)
