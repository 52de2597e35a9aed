"""The report mail's steps: find the finished reports, queue them in the ledger, send them."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.settings import Settings
from kitflow.core.findings import FatalInputError
from kitflow.mail import ReportSummary, build_report_mail, open_transport
from kitflow.outbox import (
    REPORT_RULE,
    DeliveryResult,
    Entry,
    Key,
    LedgerRow,
    MessageBuilder,
    addressees,
)
from kitflow.readers import read_workbook
from tasks.common import IO_TASK
from tasks.reminders import open_outbox

REPORT_ITEM = "anlaegsregnskab"
REPORT_FILES = ("anlaegsregnskab.xlsx", "anlaegsregnskab.docx")
DUE_CSV = "due.csv"
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
    missing = [name for name in (*REPORT_FILES, DUE_CSV) if not (folder / name).is_file()]
    if missing:
        again = _run_first(dt.date.fromisoformat(folder.name), "igen")
        raise FatalInputError(str(folder), f"{', '.join(missing)} mangler i mappen; {again}")
    return folder


def read_summary(folder: Path) -> ReportSummary:
    """The Resultat sentence as the workbook states it, and the projects past their deadline."""
    as_of = dt.date.fromisoformat(folder.name)
    sheets = read_workbook(folder / "anlaegsregnskab.xlsx")
    overview = sheets.get("Oversigt")
    # The workbook writes B4's Resultat sentence in Oversigt!A2; the mail repeats it word for
    # word rather than computing the totals a second time.
    if overview is None or len(overview.rows) < 2 or not str(overview.rows[1][0]).strip():
        raise FatalInputError(
            f"{folder / 'anlaegsregnskab.xlsx'}:Oversigt",
            "resultatet (celle A2) mangler; regnearket er ikke fra kitflow run",
        )
    with (folder / DUE_CSV).open(encoding="utf-8", newline="") as fh:
        overdue = tuple(
            (row["projekt"], dt.date.fromisoformat(row["frist"]).strftime("%d.%m.%Y"))
            for row in csv.DictReader(fh)
            if row["status"] == "overskredet"
        )
    return ReportSummary(as_of, str(overview.rows[1][0]).strip(), overdue)


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
    outbox = open_outbox(settings)
    try:
        added, cancelled = outbox.enqueue(entries, dt.date.fromisoformat(folder.name))
    finally:
        outbox.engine.dispose()
    return [e.key for e in entries], added, cancelled


def deliver_report(
    settings: Settings, keys: Sequence[Key], now: dt.datetime | None = None
) -> DeliveryResult:
    """Send the report mail's rows that are due (new, or failed and past their backoff)."""
    outbox = open_outbox(settings)
    transport = open_transport(settings)
    try:
        return outbox.deliver(
            transport,
            timezone=settings.timezone,
            keys=keys,
            now=now,
            build=report_builder(settings),
        )
    finally:
        transport.close()
        outbox.engine.dispose()


def report_rows(settings: Settings, keys: Sequence[Key]) -> list[LedgerRow]:
    """The ledger's rows of this report mail, with their delivery state."""
    outbox = open_outbox(settings)
    try:
        return outbox.rows(keys)
    finally:
        outbox.engine.dispose()


@task(name="find rapporterne", **IO_TASK)
def find_report_folder_task(out_root: Path, as_of: dt.date | None, today: dt.date) -> Path:
    return find_report_folder(out_root, as_of, today)


@task(name="læs resultatet", **IO_TASK)
def read_summary_task(folder: Path) -> ReportSummary:
    return read_summary(folder)


@task(name="registrér rapportmail", **IO_TASK)
def queue_report_task(settings: Settings, folder: Path) -> tuple[list[Key], int, int]:
    return queue_report(settings, folder)


# No Prefect retries: a failed mail stays in the ledger and a later run retries it (backoff).
# A hung mail server is cut off after 30 min; the ledger keeps what was not sent.
@task(name="send rapportmail", cache_policy=NO_CACHE, timeout_seconds=30 * 60)
def deliver_report_task(settings: Settings, keys: Sequence[Key]) -> DeliveryResult:
    return deliver_report(settings, keys)


@task(name="læs rapportmailens status", **IO_TASK)
def report_rows_task(settings: Settings, keys: Sequence[Key]) -> list[LedgerRow]:
    return report_rows(settings, keys)
