"""The `kitflow` command: run the nightly flow once, and later serve, deploy and check."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from kitflow.core.findings import KitflowError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


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


@app.command()
def run(
    data: Annotated[Path | None, typer.Option("--data", help="The data folder.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="The output folder.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today in Copenhagen.")
    ] = None,
    no_send: Annotated[bool, typer.Option("--no-send", help="Plan mail, send none.")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="A settings TOML file.")] = None,
) -> None:
    """Run the nightly flow once, as a real Prefect flow run."""
    date = _as_of(as_of)
    from flows.nightly import afstemning

    try:
        summary = afstemning(
            as_of=date,
            data_dir=None if data is None else str(data),
            out_dir=None if out is None else str(out),
            send=not no_send,
            config_file=None if config is None else str(config),
        )
    except KitflowError as exc:
        typer.echo(f"kitflow: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    typer.echo(f"Rapporterne er skrevet til {summary['output']}")
    typer.echo(
        f"{summary['bookings_read']} posteringer læst ({summary['duplicates']} dubletter talt "
        f"én gang), {summary['unmatched']} ikke matchede, {summary['internal']} interne, "
        f"{summary['quarantined']} i karantæne; {summary['projects_in_bilag']} projekter skal "
        f"aflægge særskilt anlægsregnskab, {summary['overdue']} er over fristen."
    )
    if (r := summary.get("reminders")) is not None:
        typer.echo(
            f"Påmindelser: {r['planned']} planlagt, {r['sent']} sendt, {r['pending']} venter, "
            f"{r['failed']} fejlet" + ("" if not no_send else " (--no-send: intet sendt)")
        )


@app.command()
def check(
    data: Annotated[Path | None, typer.Option("--data", help="The data folder.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="A settings TOML file.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD; default today in Copenhagen.")
    ] = None,
) -> None:
    """Check a data folder as a run would read it; write nothing; exit 2 if a run would stop."""
    from kitflow.check import check_data, load_check_settings

    settings = load_check_settings(config, data)
    date = _as_of(as_of)
    if date is None:
        from zoneinfo import ZoneInfo

        date = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    result = check_data(Path(settings.data_dir), settings, date)
    for line in result.lines:
        typer.echo(str(line))
    typer.echo(result.summary())
    raise typer.Exit(result.exit_code)


def main() -> None:
    """Console entry point."""
    # The municipality's machines send nothing home: Prefect's telemetry heartbeat also races
    # the temporary server's SQLite database and fills the console with "database is locked".
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        app()
    except KitflowError as exc:  # raised outside a command, e.g. while loading settings
        print(f"kitflow: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
