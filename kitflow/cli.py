"""kitflow: Koncern IT's capital-project accounts and IT-acquisition reminders.

Run the nightly flow once, check a data folder, write an empty data folder to start from,
mail a run's reports, and serve or deploy the three schedules. Exit codes: 0 done, 1 another
error, 2 bad input, 3 the sums do not add up (a defect in kitflow), 4 another run holds the
data folder, 5 the Prefect server or the reminder ledger does not answer or a disk is full,
130/143 stopped by Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from kitflow import __version__
from kitflow.core.findings import KitflowError

T = TypeVar("T")

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help=__doc__, rich_markup_mode="markdown"
)


# The options several commands share, spelt once.
ConfigOption = Annotated[Path | None, typer.Option("--config", help="A settings TOML file.")]
DataOption = Annotated[Path | None, typer.Option("--data", help="The data folder.")]
OutOption = Annotated[Path | None, typer.Option("--out", help="The output folder.")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today in Copenhagen.")
]


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"kitflow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    pass


# Prefect's temporary server announces its start and stop at INFO on the logger "prefect"
# itself ("Starting temporary server on …", "See https://docs.prefect.io/…"), which a user of
# `kitflow run` cannot act on. Prefect reads these settings once, when it is first imported:
# that logger from WARNING, while the run's own lines (the loggers "prefect.flow_runs" and
# "prefect.task_runs") stay at INFO; warnings and errors show as before. An operator's own
# values win.
QUIET_TEMPORARY_SERVER = {
    "PREFECT_LOGGING_LOGGERS_PREFECT_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
}


def _quiet_temporary_server() -> None:
    """Hide the temporary server's start-up lines, if Prefect is not imported yet."""
    if "prefect" in sys.modules:
        return  # too late to take effect (a test calling the app in its own process)
    for name, value in QUIET_TEMPORARY_SERVER.items():
        os.environ.setdefault(name, value)


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} er ikke en dato på formen ÅÅÅÅ-MM-DD") from None


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _settings(config: Path | None, data: Path | None) -> Any:
    from kitflow.app.settings import settings_for_run

    return settings_for_run(config, data_dir=data)


def _today() -> dt.date:
    """As the flows name their runs: today in the default zone."""
    from kitflow.app.settings import today

    return today()


# The Prefect server (PREFECT_API_URL) does not answer: something kitflow needs, as a ledger
# that does not answer or a full disk.
EXIT_NO_SERVER = 5


def _server_problem() -> str | None:
    """Why the configured Prefect server does not answer; None when it does, or none is set."""
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        return None  # the run starts its own temporary server
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is None:
        return None
    return f"Prefect-serveren på {url} svarer ikke ({type(problem).__name__}: {problem})"


def _server_lost(
    problem: str, run_name: str, *, started: bool, send: bool, settings_of: Callable[[], Any]
):
    """One line, Koncern IT mailed directly (the run's own hook needs the server), exit 5."""
    from flows.failure import tell_koncern_it

    what = "kørslen kunne ikke gøres færdig" if started else "kørslen er ikke startet"
    reason = f"{problem}; {what}"
    try:
        _ok, said = tell_koncern_it(
            settings_of(),
            run_name=run_name,
            state_name="Crashed",
            reason=reason,
            run_url=None,
            send=send,
        )
    except KitflowError as exc:  # the settings themselves: said, the server is the news here
        said = f"Ingen mail om fejlen til Koncern IT ({exc})"
    typer.echo(
        f"kitflow: {reason}. {said}. Start serveren (docs/operations.md), og kør igen; en "
        "kørsel, serveren stadig viser som Running, markeres Crashed af den næste kørsel.",
        err=True,
    )
    raise typer.Exit(EXIT_NO_SERVER)


class _NoServerTraceback(logging.Filter):
    """Drops the traceback of a lost connection to the Prefect server from a log record.

    Its hundred lines say no more than its last, which the record's message already carries;
    `kitflow run` then ends with its own line saying what happened and what to do.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        import httpx

        if record.exc_info and isinstance(record.exc_info[1], httpx.TransportError):
            record.exc_info = None
            record.exc_text = None
        return True


def _short_tracebacks_when_the_server_goes() -> None:
    """Every handler Prefect's loggers write through (the console's is the root's) drops them."""
    names = ("", "prefect", "prefect.flow_runs", "prefect.task_runs")
    for handler in {h for name in names for h in logging.getLogger(name).handlers}:
        if not any(isinstance(f, _NoServerTraceback) for f in handler.filters):
            handler.addFilter(_NoServerTraceback())


def _run_flow(
    flow_fn: Callable[..., T],
    run_name: str,
    settings_of: Callable[[], Any],
    **parameters: object,
) -> T:
    """Run a flow once; bad input, or a Prefect server away, end it with one line and a code."""
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError

    send = parameters.get("send") is not False  # --no-send sends no failure mail either
    if (problem := _server_problem()) is not None:
        _server_lost(problem, run_name, started=False, send=send, settings_of=settings_of)
    _short_tracebacks_when_the_server_goes()
    try:
        return flow_fn(**parameters)
    except KitflowError as exc:
        typer.echo(f"kitflow: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except (httpx.TransportError, PrefectHTTPStatusError) as exc:
        if isinstance(exc, PrefectHTTPStatusError) and exc.response.status_code < 500:
            raise  # the server answered: a defect, with its traceback
        problem = _server_problem() or f"Prefect-serveren svarer ikke ({type(exc).__name__})"
        _server_lost(problem, run_name, started=True, send=send, settings_of=settings_of)


@app.command()
def run(
    data: DataOption = None,
    out: OutOption = None,
    as_of: AsOfOption = None,
    no_send: Annotated[bool, typer.Option("--no-send", help="Plan mail, send none.")] = False,
    config: ConfigOption = None,
) -> None:
    """Run the nightly flow once, as a real Prefect flow run."""
    date = _as_of(as_of)
    _quiet_temporary_server()
    from flows.nightly import afstemning, summary_lines

    summary = _run_flow(
        afstemning,
        f"afstemning {(date or _today()).isoformat()}",
        lambda: _settings(config, data),
        as_of=date,
        data_dir=_text(data),
        out_dir=_text(out),
        send=not no_send,
        config_file=_text(config),
    )
    for line in summary_lines(summary, send=not no_send):
        typer.echo(line)


@app.command()
def check(
    data: DataOption = None,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Check a data folder as a run would read it; write nothing; exit 2 if a run would stop."""
    from kitflow.app.check import check_data
    from kitflow.app.settings import settings_for_run, today

    settings = settings_for_run(config, data_dir=data)
    date = _as_of(as_of) or today(settings.timezone)
    result = check_data(Path(settings.data_dir), settings, date)
    for line in result.lines:
        typer.echo(str(line))
    typer.echo(result.summary())
    raise typer.Exit(result.exit_code)


@app.command()
def template(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="The folder to write into; made if missing.")
    ],
) -> None:
    """Write an empty data folder to start from: register.xlsx, acquisitions.xlsx, bookings/."""
    from kitflow.app.template import EXAMPLE_EXPORT, write_template

    try:
        write_template(folder)
    except KitflowError as exc:
        typer.echo(f"kitflow: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    typer.echo(f"Skabelonen er skrevet til {folder}:")
    typer.echo("  register.xlsx         anlægsprojekterne (controllernes register)")
    typer.echo("  acquisitions.xlsx     it-anskaffelserne (Koncern IT's register)")
    typer.echo("  bookings/             tom: læg økonomisystemets eksporter her")
    typer.echo(f"  {EXAMPLE_EXPORT:<21} en lille eksport, der viser kolonnerne; den læses ikke")
    typer.echo(
        "Række 2 i hvert ark er et eksempel, og arket Hjælp beskriver kolonnerne. "
        f"Tjek mappen med: kitflow check --data {folder}"
    )


@app.command("mail-reports")
def mail_reports(
    out: OutOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM-DD; default today's reports, else the newest."),
    ] = None,
    no_send: Annotated[bool, typer.Option("--no-send", help="Queue the mail, send none.")] = False,
    config: ConfigOption = None,
) -> None:
    """Mail a run's anlaegsregnskab.xlsx and .docx to the report recipients (flow rapportmail)."""
    date = _as_of(as_of)
    _quiet_temporary_server()
    from flows.report_mail import rapportmail, result_text

    r = _run_flow(
        rapportmail,
        f"rapportmail {(date or _today()).isoformat()}",
        lambda: _settings(config, None),
        as_of=date,
        out_dir=_text(out),
        send=not no_send,
        config_file=_text(config),
    )
    typer.echo(
        f"Rapportmail {r['as_of']} ({r['folder']}): {result_text(r)}"
        + (" (--no-send: intet sendt)" if no_send else "")
    )
    if r["delivery_error"]:
        typer.echo(f"Afsendelsen stoppede: {r['delivery_error']}", err=True)


NO_SERVER = (
    "kitflow: {command} kræver en Prefect-server, og PREFECT_API_URL er ikke sat. Start "
    "serveren (som en tjeneste, den skal køre videre) med\n"
    "    prefect server start\n"
    "og peg på den, fx\n"
    "    export PREFECT_API_URL=http://127.0.0.1:4200/api\n"
    "(eller én gang for alle: prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api). "
    "Se docs/operations.md."
)


def _require_server(command: str) -> str:
    """The Prefect server's API URL, answering; else exit 1 saying how to start one.

    kitflow does not start a server itself: the server owns the run history and the UI and
    must outlive `serve` and every worker, and a temporary one would schedule nothing.
    """
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        typer.echo(NO_SERVER.format(command=command), err=True)
        raise typer.Exit(1)
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        typer.echo(
            f"kitflow: Prefect-serveren på {url} svarer ikke ({problem}). Kører "
            "`prefect server start`, og er PREFECT_API_URL rigtig?",
            err=True,
        )
        raise typer.Exit(1)
    return url


def _use_config(config: Path | None):
    """Settings from `config`, which the flow runs started from this process also read."""
    from kitflow.app.settings import settings_for_run

    settings = settings_for_run(config)
    if config is not None:
        # The deployments' runs start in this process (serve) and load their settings anew.
        os.environ["KITFLOW_CONFIG"] = str(config.resolve())
    return settings


@app.command()
def serve(
    config: ConfigOption = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many runs at a time.")
    ] = None,
) -> None:
    """Serve the three deployments on their schedules until stopped (Ctrl-C, SIGTERM)."""
    from prefect import serve as prefect_serve

    from flows.deployments import describe, served_deployments

    url = _require_server("kitflow serve")
    settings = _use_config(config)
    deployments = served_deployments(settings)
    typer.echo(f"Prefect-server: {url}")
    for line in describe(settings, dt.datetime.now(dt.UTC)):
        typer.echo(line)
    # Stopping serve (a restart, a deploy) must not pause the nightly schedule: Prefect's
    # default pauses every served deployment on shutdown, and nothing would resume it.
    prefect_serve(*deployments, pause_on_shutdown=False, limit=limit)


@app.command()
def deploy(
    pool: Annotated[str, typer.Option("--pool", help="The process work pool.")],
    source: Annotated[
        Path | None,
        typer.Option("--source", help="The repository checkout workers run from (default: this)."),
    ] = None,
    queue: Annotated[str | None, typer.Option("--queue", help="A work queue in the pool.")] = None,
    config: ConfigOption = None,
) -> None:
    """Create or update the three deployments in a process work pool, for `prefect worker`."""
    from prefect.exceptions import ObjectNotFound

    from flows.deployments import REPO_DIR, deploy_to_pool, describe

    url = _require_server("kitflow deploy")
    settings = _use_config(config)
    checkout = (source or REPO_DIR).resolve()
    try:
        deploy_to_pool(settings, pool, checkout, queue)
    except ValueError as exc:
        if not isinstance(exc.__cause__, ObjectNotFound):
            raise
        typer.echo(
            f"kitflow: arbejdspuljen {pool!r} findes ikke på {url}. Opret den med\n"
            f"    prefect work-pool create {pool} --type process",
            err=True,
        )
        raise typer.Exit(1) from None
    typer.echo(f"Deployments i arbejdspuljen {pool!r} på {url}, kode fra {checkout}:")
    for line in describe(settings, dt.datetime.now(dt.UTC)):
        typer.echo(line)
    typer.echo(f"Start en worker på hver maskine med repoet i {checkout}:")
    typer.echo(f"    prefect worker start --pool {pool}")


def main() -> None:
    """Console entry point."""
    # The municipality's machines send nothing home: Prefect's telemetry heartbeat also races
    # the temporary server's SQLite database and fills the console with "database is locked".
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The temporary server gets 20 s by default; on a busy two-core machine it was seen to
    # need more, and an unattended night must not fail on that.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # A stopped run (SIGTERM from a service manager, Ctrl-C) must end like any other exit: the
    # flow run is marked crashed, and the temporary Prefect server this process started is
    # stopped by its atexit handler, which Python's default SIGTERM handling never runs.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _stop_on_signal)
    try:
        app()
    except KitflowError as exc:  # raised outside a command, e.g. while loading settings
        print(f"kitflow: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)


# Stopped by a signal: 128 + the signal's number, as a shell reports it (143 SIGTERM, 130 Ctrl-C).
EXIT_STOPPED = 128


def _stop_on_signal(signum: int, _frame: object) -> None:
    print(f"kitflow: stoppet ({signal.Signals(signum).name})", file=sys.stderr)
    raise SystemExit(EXIT_STOPPED + signum)


if __name__ == "__main__":
    main()
