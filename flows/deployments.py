"""The three deployments, built from the settings for `kitflow serve` and `kitflow deploy`."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from prefect.schedules import Cron, Schedule

from config.settings import Settings

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

REPO_DIR = Path(__file__).resolve().parent.parent
# Served or in a work pool, a flow has one deployment of this name: deploying to a pool after
# serving (or the other way round) updates it instead of making a second, competing schedule.
DEPLOYMENT_NAME = "kitflow"
TAGS = ["kitflow"]


@dataclass(frozen=True)
class FlowEntry:
    """One scheduled flow: its name (also its key under `settings.schedules`) and entrypoint."""

    name: str
    entrypoint: str  # path relative to the repository : flow function
    description: str

    @property
    def module(self) -> str:
        return self.entrypoint.partition(":")[0].removesuffix(".py").replace("/", ".")

    @property
    def function(self) -> str:
        return self.entrypoint.partition(":")[2]


FLOWS = (
    FlowEntry(
        "afstemning",
        "flows/nightly.py:afstemning",
        "Natlig afstemning: læser eksporterne og registret, afstemmer, skriver anlægsregnskab "
        "og bilag og planlægger påmindelserne (de sendes kl. 7).",
    ),
    FlowEntry(
        "paamindelser",
        "flows/reminders.py:paamindelser",
        "Påmindelser efter forretningscirkulæret for it-anskaffelser (C1–C5), på hverdage.",
    ),
    FlowEntry(
        "rapportmail",
        "flows/report_mail.py:rapportmail",
        "Ugentlig mail med anlægsregnskab og bilag til økonomi.",
    ),
)


def schedule_for(settings: Settings, name: str) -> Schedule:
    """The flow's cron schedule in the municipality's timezone (plain `cron=` would be UTC)."""
    s = getattr(settings.schedules, name)
    return Cron(s.cron, timezone=settings.timezone, active=s.active)


def load_flow(entry: FlowEntry) -> Flow:
    """The flow object itself, imported from this checkout (for `serve`)."""
    return getattr(importlib.import_module(entry.module), entry.function)


def served_deployments(settings: Settings) -> list[RunnerDeployment]:
    """The deployments `kitflow serve` runs in its own process."""
    return [
        load_flow(entry).to_deployment(
            DEPLOYMENT_NAME,
            schedule=schedule_for(settings, entry.name),
            parameters=dict(getattr(settings.schedules, entry.name).parameters),
            description=entry.description,
            tags=TAGS,
        )
        for entry in FLOWS
    ]


def pool_deployments(
    settings: Settings, pool: str, source: Path = REPO_DIR, queue: str | None = None
) -> list[RunnerDeployment]:
    """The same deployments for a process work pool, code taken from `source` on the worker.

    A worker runs each flow run in `source` (a checkout of this repository at the same path on
    every worker machine), with the worker's own Python and environment (KITFLOW_*).
    """
    from prefect import flow

    return [
        flow.from_source(source=str(source), entrypoint=entry.entrypoint).to_deployment(
            DEPLOYMENT_NAME,
            schedule=schedule_for(settings, entry.name),
            parameters=dict(getattr(settings.schedules, entry.name).parameters),
            description=entry.description,
            tags=TAGS,
            work_pool_name=pool,
            work_queue_name=queue,
        )
        for entry in FLOWS
    ]


def deploy_to_pool(
    settings: Settings, pool: str, source: Path = REPO_DIR, queue: str | None = None
) -> list[UUID]:
    """Create or update the three deployments in the work pool `pool` (which must exist)."""
    from prefect.deployments.runner import deploy

    return deploy(
        *pool_deployments(settings, pool, source, queue),
        work_pool_name=pool,
        build=False,
        push=False,
        print_next_steps_message=False,
        ignore_warnings=True,
    )


def next_runs(cron: str, timezone: str, after: dt.datetime, n: int = 3) -> list[dt.datetime]:
    """The next `n` run times of a cron line, in `timezone`, as Prefect's scheduler makes them.

    It is Prefect's own server-side schedule code, so what is shown is what will run, also on
    the nights the clocks change.
    """
    from prefect.server.schemas.schedules import CronSchedule
    from prefect.utilities.asyncutils import run_coro_as_sync

    schedule = CronSchedule(cron=cron, timezone=timezone)
    zone = ZoneInfo(timezone)
    dates = run_coro_as_sync(schedule.get_dates(n=n, start=after)) or []
    return [d.astimezone(zone) for d in dates]


def describe(settings: Settings, after: dt.datetime, n: int = 3) -> list[str]:
    """One line per deployment: name, cron and its next runs in local time (CET/CEST shown)."""
    lines = []
    for entry in FLOWS:
        s = getattr(settings.schedules, entry.name)
        runs = next_runs(s.cron, settings.timezone, after, n)
        when = ", ".join(format_local(d) for d in runs)
        state = "" if s.active else " (sat på pause)"
        lines.append(
            f"{entry.name}/{DEPLOYMENT_NAME}: '{s.cron}' {settings.timezone}{state}; "
            f"næste kørsler: {when}"
        )
    return lines


_WEEKDAYS = ("man", "tir", "ons", "tor", "fre", "lør", "søn")


def format_local(moment: dt.datetime) -> str:
    """`man 29.03.2027 02:00 CEST`: a local time as a Danish operator reads it."""
    return f"{_WEEKDAYS[moment.weekday()]} {moment:%d.%m.%Y %H:%M} {moment.tzname()}"
