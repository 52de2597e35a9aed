"""The nightly capital-accounts run: exports in, reconciliation, due list and workbook out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import opaque

from config.settings import Settings
from flows.failure import fail_with_reason, mail_koncern_it
from flows.locking import holding_the_data_folder
from flows.orphans import crash_orphans, remember
from flows.reminders import (
    Reminded,
    deliver_reminders_step,
    delivered_text,
    log_findings,
    log_reminders,
    prepare,
    record_reminders,
    with_csv,
)
from kitflow.app.inputs import (
    acquisitions_missing,
    acquisitions_path,
    combine_exports,
    export_paths,
    register_path,
)
from kitflow.app.reminders import save_accounts
from kitflow.app.settings import bookings_options, settings_for_run, thresholds, today
from kitflow.core.accounts import Report, accounts_due
from kitflow.readers import READ_WORKERS, reading_order
from reports.reminders_csv import REMINDERS_CSV
from tasks.accounts import reconcile_task
from tasks.artifacts import publish_artifacts_task, start_progress, update_progress
from tasks.inputs import read_export_task, read_register_task
from tasks.reminders import write_reminders_csv_task
from tasks.reports import write_reports_task


def _run_name() -> str:
    """`afstemning 2020-12-31`; a scheduled run has no as-of date, so it is today's."""
    # The name is made before the flow loads its settings: the default zone will do here.
    return f"afstemning {flow_run.parameters.get('as_of') or today().isoformat()}"


# Far above a night's run (minutes); a run still going after this is hung and is failed, so the
# failure mail reaches Koncern IT before the controllers start their day.
TIMEOUT_SECONDS = 2 * 60 * 60


@flow(
    name="afstemning",
    flow_run_name=_run_name,
    log_prints=False,
    timeout_seconds=TIMEOUT_SECONDS,
    task_runner=ThreadPoolTaskRunner(max_workers=READ_WORKERS),
    on_failure=[mail_koncern_it],
    on_crashed=[mail_koncern_it],
)
@fail_with_reason  # bad input fails the run with its one-line reason (flows/failure.py)
def afstemning(
    as_of: dt.date | None = None,
    data_dir: str | None = None,
    out_dir: str | None = None,
    send: bool = True,
    config_file: str | None = None,
) -> dict:
    """Read every export and the register, reconcile, decide what is due, write the reports.

    Args:
        as_of: Opgørelsesdato; tom betyder dagens dato i København.
        data_dir: Datamappen med register.xlsx, bookings/ og acquisitions.xlsx; tom betyder
            indstillingen data_dir.
        out_dir: Mappen rapporterne skrives i (én undermappe pr. dato); tom betyder
            indstillingen output_dir.
        send: Send påmindelser; slået fra planlægges og registreres de kun.
        config_file: En TOML-fil med indstillinger; tom betyder KITFLOW_CONFIG eller
            config/kitflow.toml.
    """
    # Loaded once here and passed down to every step.
    settings = settings_for_run(config_file, data_dir=data_dir, output_dir=out_dir)
    # Runs this machine left Running on the server (it went away, or the process was killed)
    # are marked Crashed; this run leaves its own note for the next (flows/orphans.py).
    logger = get_run_logger()
    try:
        orphans = crash_orphans(settings, current=flow_run.id)
    except Exception as exc:  # the night's accounts do not depend on tidying old runs
        logger.warning("Gamle kørsler kunne ikke ryddes op (%s: %s)", type(exc).__name__, exc)
        orphans = []
    for orphan in orphans:
        logger.warning(
            "Kørslen %s blev aldrig afsluttet på Prefect-serveren; den er nu markeret Crashed",
            orphan,
        )
    remember(settings, flow_run.id)
    with holding_the_data_folder(settings):  # one run at a time per data folder
        return _run(settings, as_of or today(settings.timezone), send)


def _read_bookings(settings: Settings) -> tuple:
    """Every export, READ_WORKERS at a time with a progress bar; results in name order."""
    options = bookings_options(settings)
    paths = export_paths(Path(settings.data_dir))
    progress = start_progress(len(paths))
    # Exports are read largest first (fastexcel and Arrow work outside the GIL, so a second
    # thread uses the second core). Results are taken in name order, so the first file keeps a
    # duplicate and a bad file fails the run as in a serial run, whatever ends first.
    limits = settings.input_limits
    futures = {
        path: read_export_task.submit(path, options, limits) for path in reading_order(paths)
    }
    names = {f.task_run_id: path.name for path, f in futures.items()}
    for done, future in enumerate(as_completed(list(futures.values())), start=1):
        update_progress(progress, done, len(paths), names[future.task_run_id])
    return [futures[path].result() for path in paths]


def _run(settings: Settings, as_of: dt.date, send: bool) -> dict:
    logger = get_run_logger()
    data = Path(settings.data_dir)
    register, register_file = read_register_task(register_path(data), settings.input_limits)
    results = _read_bookings(settings)
    bookings = combine_exports(results)
    # `opaque`: Prefect records where each input came from, but does not walk through a
    # million bookings (or a report of them) looking for futures: that took ~4 s a night.
    report = reconcile_task(
        as_of,
        opaque(register),
        opaque(bookings),
        [register_file, *(info for _parsed, info in results)],
        thresholds(settings),
    )
    accounts = accounts_due(report)
    # The morning reminders run (its own schedule) takes C6's accounts from here.
    save_accounts(settings.state_dir, data, as_of, accounts)
    # The reminders are planned and recorded; the reports (reminders.csv as recorded) are
    # published before any mail is sent, so the night's accounts never wait on a mail server,
    # and a ledger that does not answer costs the reminders, not the reports.
    reminded: Reminded | None = None
    if acquisitions_path(data).is_file():
        plan, planning = prepare(settings, as_of, accounts, log=False)
        reminded = record_reminders(settings, plan, len(planning))
    else:
        planning = [acquisitions_missing(acquisitions_path(data))]
    # Every finding `kitflow check` prints, in its order, into findings.csv and the summary.
    report = report.with_findings(planning)
    recorded = None if reminded is None or reminded.ledger_error else reminded.rows
    folder = write_reports_task(opaque(report), Path(settings.output_dir), recorded)
    if reminded is not None:
        if send:
            before = reminded
            reminded = deliver_reminders_step(settings, reminded)
            if reminded.ledger_error is None and reminded.rows != before.rows:
                # The states after sending, into the published folder (replaced whole).
                write_reminders_csv_task(folder, reminded.rows)
        if recorded is not None:
            reminded = with_csv(reminded, folder / REMINDERS_CSV)
        log_reminders(reminded)
    log_findings(report.findings)
    summary = _summary(report, folder, reminded)
    publish_artifacts_task(
        opaque(report),
        folder,
        data_dir=data,
        state_dir=Path(settings.state_dir),
        reminders=summary["reminders"],
        overdue_items=reminded.overdue_items if reminded else None,
        send=send,
        base_url=settings.effective_report_base_url,
    )
    logger.info("%s", summary_sentence(summary, send))
    if reminded is not None and reminded.ledger_error is not None:
        raise reminded.ledger_error  # the reports are written; the run fails with one line
    return summary


def summary_lines(summary: dict, send: bool = True) -> list[str]:
    """The run's result in Danish, as `kitflow run` prints it: where the reports are, the
    bookings and projects, and the reminders (when acquisitions.xlsx was there)."""
    later = summary.get("later") or 0
    lines = [
        f"Rapporterne er skrevet til {summary['output']}",
        f"{summary['bookings_read']} posteringer læst ({summary['duplicates']} dubletter talt "
        f"én gang), {summary['unmatched']} ikke matchede, {summary['internal']} interne, "
        + (f"{later} bogført efter opgørelsesdatoen, " if later else "")
        + f"{summary['quarantined']} i karantæne; {summary['projects_in_bilag']} projekter skal "
        f"aflægge særskilt anlægsregnskab, {summary['overdue']} er over fristen.",
    ]
    if (r := summary.get("reminders")) is not None:
        if not send:
            what = f"{r['sent']} sendt, {r['pending']} venter, {r['failed']} fejlet"
            what += " (--no-send: intet sendt)"
        else:
            what = (
                f"{delivered_text(r['sent'], r.get('outbox'))}, {r['pending']} venter, "
                f"{r['failed']} fejlet"
            )
        lines.append(f"Påmindelser: {r['planned']} planlagt, {what}")
        if r.get("ledger_warning"):
            lines.append(f"Advarsel: {r['ledger_warning']}")
    return lines


def summary_sentence(summary: dict, send: bool = True) -> str:
    """The run's last log line: `summary_lines` as one paragraph."""
    day = dt.date.fromisoformat(summary["as_of"])
    _where, *rest = summary_lines(summary, send)
    text = f"Afstemning pr. {day:%d.%m.%Y}: rapporterne er skrevet til {summary['output']}."
    return " ".join([text, *(line if line.endswith(".") else f"{line}." for line in rest)])


def _summary(report: Report, folder: Path, reminded: Reminded | None) -> dict:
    """The run's result as `kitflow run` prints it and the flow returns it."""
    c = report.reconciliation.conservation
    return {
        "as_of": report.as_of.isoformat(),
        "output": str(folder),
        "bookings_read": c.read_count,
        "duplicates": c.duplicate_count,
        "matched": c.matched_count,
        "unmatched": c.unmatched_count,
        "internal": c.internal_count,
        "later": c.later_count,
        "quarantined": len(report.quarantined),
        "projects_in_bilag": len(report.overview),
        "overdue": len(report.overdue),
        "explanations_missing": len(report.missing_explanations),
        "findings": len(report.findings),
        "reminders": None if reminded is None else reminded.summary.to_dict(),
    }
