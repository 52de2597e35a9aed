"""The `kitflow` command: run the nightly flow once, and later serve, deploy and check."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from kitflow.core.findings import KitflowError

T = TypeVar("T")

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


# The options several commands share, spelt once.
ConfigOption = Annotated[Path | None, typer.Option("--config", help="A settings TOML file.")]
DataOption = Annotated[Path | None, typer.Option("--data", help="The data folder.")]
OutOption = Annotated[Path | None, typer.Option("--out", help="The output folder.")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today in Copenhagen.")
]


@app.callback()
def _root() -> None:
    """kitflow: Koncern IT's capital-project accounts and IT-acquisition reminders."""


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} er ikke en dato på formen ÅÅÅÅ-MM-DD") from None


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _run_flow(flow_fn: Callable[..., T], **parameters: object) -> T:
    """Run a flow once; bad input ends the command with its one line and exit code."""
    try:
        return flow_fn(**parameters)
    except KitflowError as exc:
        typer.echo(f"kitflow: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


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
    from flows.nightly import afstemning

    summary = _run_flow(
        afstemning,
        as_of=date,
        data_dir=_text(data),
        out_dir=_text(out),
        send=not no_send,
        config_file=_text(config),
    )
    typer.echo(f"Rapporterne er skrevet til {summary['output']}")
    later = summary.get("later") or 0
    typer.echo(
        f"{summary['bookings_read']} posteringer læst ({summary['duplicates']} dubletter talt "
        f"én gang), {summary['unmatched']} ikke matchede, {summary['internal']} interne, "
        + (f"{later} bogført efter opgørelsesdatoen, " if later else "")
        + f"{summary['quarantined']} i karantæne; {summary['projects_in_bilag']} projekter skal "
        f"aflægge særskilt anlægsregnskab, {summary['overdue']} er over fristen."
    )
    if (r := summary.get("reminders")) is not None:
        typer.echo(
            f"Påmindelser: {r['planned']} planlagt, {r['sent']} sendt, {r['pending']} venter, "
            f"{r['failed']} fejlet" + ("" if not no_send else " (--no-send: intet sendt)")
        )


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
    from flows.report_mail import rapportmail

    r = _run_flow(
        rapportmail, as_of=date, out_dir=_text(out), send=not no_send, config_file=_text(config)
    )
    typer.echo(
        f"Rapportmail {r['as_of']} ({r['folder']}): {r['recipients']} modtagere, {r['sent']} "
        f"sendt nu, {r['pending']} venter, {r['failed']} fejlet"
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
    try:
        app()
    except KitflowError as exc:  # raised outside a command, e.g. while loading settings
        print(f"kitflow: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
