"""The nightly capital-accounts run: exports in, reconciliation, due list and workbook out."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import opaque

from config.settings import Settings, load_settings
from flows.failure import fail_with_reason, mail_koncern_it
from flows.reminders import paamindelser
from kitflow.core.bookings import BookingsOptions
from kitflow.core.obligations import AccountDue
from kitflow.core.rules import Aflaeggelse, DueStatus
from kitflow.lock import one_run_per_data_folder
from kitflow.readers import READ_WORKERS, booking_files, reading_order
from reports.model import Report
from tasks.artifacts import publish_artifacts_task, start_progress, update_progress
from tasks.ingest import combine_exports, read_export_task, read_register_task
from tasks.publish import write_reports_task
from tasks.reconcile import reconcile_task, report_options
from tasks.reminders import save_accounts


def today(settings: Settings) -> dt.date:
    """The as-of date when none is given: today where the municipality is."""
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


def accounts_due(report: Report) -> list[AccountDue]:
    """C6's input: every project with a deadline, as the reminders flow takes it."""
    return [
        AccountDue(
            projekt=a.project.projekt,
            frist=a.due.frist,
            status=a.due.status,
            controller_email=a.project.controller_email or None,
            forelagt=a.project.forelagt_udvalg,
            sendt_til_revision=a.project.sendt_til_revision,
        )
        for a in report.projects
        if a.due.frist is not None and a.due.aflaeggelse is Aflaeggelse.SAERSKILT
    ]


def _settings(data_dir: str | None, out_dir: str | None, config_file: str | None) -> Settings:
    return load_settings(
        Path(config_file) if config_file else None, data_dir=data_dir, output_dir=out_dir
    )


def _run_name() -> str:
    """`afstemning 2020-12-31`; a scheduled run has no as-of date, so it is today's."""
    as_of = flow_run.parameters.get("as_of")
    if not as_of:
        # The name is made before the flow loads its settings: the default zone will do here.
        as_of = dt.datetime.now(ZoneInfo("Europe/Copenhagen")).date().isoformat()
    return f"afstemning {as_of}"


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
@one_run_per_data_folder  # one run at a time per data folder (kitflow/lock.py)
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
    logger = get_run_logger()
    settings = _settings(data_dir, out_dir, config_file)
    as_of = as_of or today(settings)
    data = Path(settings.data_dir)
    options = BookingsOptions(
        extra_aliases={k: tuple(v) for k, v in settings.aliases.model_dump().items()}
    )
    register, register_file = read_register_task(data / "register.xlsx")
    paths = booking_files(data / "bookings")
    progress = start_progress(len(paths))
    # Exports are read READ_WORKERS at a time, largest first (fastexcel and Arrow work outside
    # the GIL, so a second thread uses the second core). Results are taken in name order, so
    # the first file keeps a duplicate and a bad file fails the run as in a serial run,
    # whatever ends first.
    futures = {path: read_export_task.submit(path, options) for path in reading_order(paths)}
    names = {f.task_run_id: path.name for path, f in futures.items()}
    for done, future in enumerate(as_completed(list(futures.values())), start=1):
        update_progress(progress, done, len(paths), names[future.task_run_id])
    results = [futures[path].result() for path in paths]
    bookings = combine_exports(results)
    # `opaque`: Prefect records where each input came from, but does not walk through a
    # million bookings (or a report of them) looking for futures: that took ~4 s a night.
    report = reconcile_task(
        as_of,
        opaque(register),
        opaque(bookings),
        [register_file, *(info for _parsed, info in results)],
        **report_options(settings),
    )
    with tempfile.TemporaryDirectory(prefix="kitflow-reminders-") as scratch:
        extra: list[Path] = []
        reminders = None
        # The morning reminders run (its own schedule) takes C6's accounts from here.
        save_accounts(settings.state_dir, data, as_of, accounts_due(report))
        if (data / "acquisitions.xlsx").is_file():
            reminders = paamindelser(
                data_dir=str(data),
                out_dir=scratch,
                as_of=as_of,
                send=send,
                accounts=accounts_due(report),
                config_file=config_file,
            )
            extra = [Path(scratch) / "reminders.csv"]
        else:
            logger.warning(
                "%s findes ikke: ingen påmindelser i denne kørsel", data / "acquisitions.xlsx"
            )
        folder = write_reports_task(opaque(report), Path(settings.output_dir), extra)
    c = report.reconciliation.conservation
    for finding in report.findings:
        logger.warning(str(finding)) if finding.severity.value != "info" else logger.info(
            str(finding)
        )
    summary = {
        "as_of": as_of.isoformat(),
        "output": str(folder),
        "bookings_read": c.read_count,
        "duplicates": c.duplicate_count,
        "matched": c.matched_count,
        "unmatched": c.unmatched_count,
        "internal": c.internal_count,
        "quarantined": len(report.quarantined),
        "projects_in_bilag": len(report.overview),
        "overdue": sum(a.due.status is DueStatus.OVERSKREDET for a in report.projects),
        "explanations_missing": len(report.missing_explanations),
        "findings": len(report.findings),
        "reminders": None if reminders is None else reminders.to_dict(),
    }
    publish_artifacts_task(
        opaque(report),
        folder,
        data_dir=data,
        state_dir=Path(settings.state_dir),
        reminders=summary["reminders"],
        send=send,
        base_url=settings.effective_report_base_url,
    )
    logger.info("Afstemning %s: %s", as_of, summary)
    return summary
