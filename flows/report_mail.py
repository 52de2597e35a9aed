"""The report mail (rapportmail): a finished run's workbook and bilag to the report recipients."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.reminders import delivered_text, outbox_of
from kitflow.app.settings import settings_for_run, today
from kitflow.core.ledger import failed_for_good, pending_rows
from kitflow.outbox import FAILED, SENT
from tasks.report_mail import (
    deliver_report_task,
    find_report_folder_task,
    queue_report_task,
    read_summary_task,
    report_rows_task,
)


def _run_name() -> str:
    as_of = flow_run.parameters.get("as_of")
    return f"rapportmail {as_of or f'{today().isoformat()} (nyeste)'}"


# A hung run (a mail server that never answers) is failed after an hour, not left running.
@flow(name="rapportmail", flow_run_name=_run_name, log_prints=False, timeout_seconds=60 * 60)
def rapportmail(
    as_of: dt.date | None = None,
    out_dir: str | None = None,
    send: bool = True,
    config_file: str | None = None,
) -> dict:
    """Mail `<out_dir>/<as-of>/`'s anlaegsregnskab.xlsx and .docx to the report recipients.

    `out_dir` is the output root (default: the output_dir setting). Without `as_of`, today's
    folder is mailed, or else the newest one before today. Each recipient gets a report once:
    the ledger has a row per (report, as-of, recipient), so a rerun sends only what is still
    due (failed earlier and past its backoff). With `send` off the mail is queued, not sent.
    """
    logger = get_run_logger()
    settings = settings_for_run(config_file, output_dir=out_dir)
    day = today(settings.timezone)
    folder = find_report_folder_task(Path(settings.output_dir), as_of, day)
    if as_of is None and folder.name != day.isoformat():
        logger.warning("Ingen rapporter fra i dag (%s): sender de nyeste, %s", day, folder)
    summary = read_summary_task(folder)
    result: dict = {
        "as_of": folder.name,
        "folder": str(folder),
        "recipients": 0,
        "queued": 0,
        "sent": 0,
        "pending": 0,
        "failed": 0,
        "delivery_error": None,
        # Where the mail went without a mail server (smtp.host); None with one, or not sent.
        "outbox": outbox_of(settings) if send else None,
    }
    keys, added, cancelled = queue_report_task(settings, folder)
    if not keys:
        logger.warning(
            "Ingen modtagere af rapportmailen: sæt reminders.report_recipients "
            "(KITFLOW_REMINDERS__REPORT_RECIPIENTS)"
        )
        return result
    if cancelled:
        logger.info("%d ikke sendte rapportmails fra før %s er erstattet", cancelled, folder.name)
    delivery = deliver_report_task(settings, keys) if send else None
    rows = report_rows_task(settings, keys)
    result.update(
        recipients=len(rows),
        queued=added,
        sent=delivery.sent if delivery else 0,
        pending=len(pending_rows(rows)),
        failed=sum(failed_for_good(r) for r in rows),
        delivery_error=delivery.stopped_early if delivery else None,
    )
    for r in rows:
        if r.state == FAILED:
            retry = (
                f"prøves igen efter {r.next_attempt_at:%Y-%m-%d %H:%M} UTC"
                if (r.next_attempt_at)
                else "opgivet"
            )
            logger.warning("Rapportmail til %s fejlede (%s): %s", r.recipient, retry, r.last_error)
    total = sum(r.state == SENT for r in rows)
    # The Resultat sentence last: it is a sentence of its own, with its own full stop.
    logger.info(
        "Rapportmail %s: %s%s. %s",
        folder.name,
        result_text(result),
        f" ({total} i alt sendt)" if total != result["sent"] else "",
        summary.resultat,
    )
    return result


def result_text(result: dict) -> str:
    """ "1 modtager, 1 sendt nu, 0 venter, 0 fejlet" (or where the mail went, without a server)."""
    n = result["recipients"]
    sent = delivered_text(result["sent"], result.get("outbox"), now=True)
    return (
        f"{n} {'modtager' if n == 1 else 'modtagere'}, {sent}, {result['pending']} venter, "
        f"{result['failed']} fejlet"
    )
