"""Schedules in Copenhagen time across daylight saving, the deployments serve and deploy build,
and `kitflow serve` without a Prefect server."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from config.settings import Settings, load_settings
from flows.deployments import (
    DEPLOYMENT_NAME,
    FLOWS,
    REPO_DIR,
    describe,
    next_runs,
    pool_deployments,
    served_deployments,
)

CPH = ZoneInfo("Europe/Copenhagen")
UTC = dt.UTC


def local(*args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CPH, fold=fold)


def runs(cron: str, start: dt.datetime, days: int) -> list[dt.datetime]:
    end = start + dt.timedelta(days=days)
    return [d for d in next_runs(cron, "Europe/Copenhagen", start, n=3 * days) if d < end]


def test_nightly_runs_once_every_night_across_the_spring_change():
    # 28 March 2027: at 02:00 CET the clocks go to 03:00 CEST; 02:00 does not exist that night.
    nights = runs("0 2 * * *", local(2027, 3, 24, 12), days=9)
    assert Counter(d.date() for d in nights) == {
        dt.date(2027, 3, 25) + dt.timedelta(days=i): 1 for i in range(9)
    }
    for d in nights:
        if d.date() != dt.date(2027, 3, 28):
            assert (d.hour, d.minute) == (2, 0)
    # The night without a 02:00: Prefect's scheduler runs it an hour early, at 01:00 CET
    # (00:00 UTC), rather than skipping it. Documented in docs/operations.md.
    (spring,) = [d for d in nights if d.date() == dt.date(2027, 3, 28)]
    assert spring == local(2027, 3, 28, 1, 0)
    assert spring.astimezone(UTC) == dt.datetime(2027, 3, 28, 0, 0, tzinfo=UTC)
    # Before the change 02:00 is 01:00 UTC, after it 00:00 UTC: local time is what stays.
    assert local(2027, 3, 27, 2) in nights and local(2027, 3, 29, 2) in nights
    assert local(2027, 3, 29, 2).astimezone(UTC).hour == 0


def test_nightly_runs_once_on_the_autumn_night_that_has_02_00_twice():
    # 31 October 2027: at 03:00 CEST the clocks go back to 02:00 CET; 02:00 happens twice.
    nights = runs("0 2 * * *", local(2027, 10, 27, 12), days=9)
    assert Counter(d.date() for d in nights) == {
        dt.date(2027, 10, 28) + dt.timedelta(days=i): 1 for i in range(9)
    }
    assert all((d.hour, d.minute) == (2, 0) for d in nights)
    (autumn,) = [d for d in nights if d.date() == dt.date(2027, 10, 31)]
    assert autumn.astimezone(UTC) == dt.datetime(2027, 10, 31, 0, 0, tzinfo=UTC)  # the first one
    assert local(2027, 11, 1, 2).astimezone(UTC).hour == 1


def test_reminders_on_weekdays_and_the_report_mail_on_mondays_keep_local_time():
    settings = Settings()
    week = runs(settings.schedules.paamindelser.cron, local(2027, 3, 26, 12), days=7)
    assert [d.strftime("%a %H:%M %Z") for d in week] == [
        "Mon 07:00 CEST",
        "Tue 07:00 CEST",
        "Wed 07:00 CEST",
        "Thu 07:00 CEST",
        "Fri 07:00 CEST",
    ]
    mondays = runs(settings.schedules.rapportmail.cron, local(2027, 10, 20), days=14)
    assert mondays == [local(2027, 10, 25, 7, 30), local(2027, 11, 1, 7, 30)]
    assert [d.astimezone(UTC).hour for d in mondays] == [5, 6]


def test_describe_prints_each_deployment_with_local_next_runs():
    lines = describe(Settings(), local(2027, 3, 27, 12))
    assert len(lines) == 3
    assert lines[0].startswith("afstemning/kitflow: '0 2 * * *' Europe/Copenhagen")
    assert "søn 28.03.2027 01:00 CET, man 29.03.2027 02:00 CEST" in lines[0]
    assert lines[1].startswith("paamindelser/kitflow: '0 7 * * 1-5'")
    assert "man 29.03.2027 07:00 CEST" in lines[1]
    assert "man 29.03.2027 07:30 CEST" in lines[2]


def test_schedules_and_parameters_are_settings(monkeypatch):
    monkeypatch.setenv("KITFLOW_SCHEDULES__AFSTEMNING__CRON", "15 3 * * *")
    monkeypatch.setenv("KITFLOW_SCHEDULES__RAPPORTMAIL__ACTIVE", "false")
    monkeypatch.setenv("KITFLOW_SCHEDULES__AFSTEMNING__PARAMETERS", '{"send": false}')
    settings = load_settings()
    deployments = {d.flow_name: d for d in served_deployments(settings)}
    assert set(deployments) == {e.name for e in FLOWS}
    nightly = deployments["afstemning"]
    assert nightly.name == DEPLOYMENT_NAME
    (schedule,) = nightly.schedules
    assert schedule.schedule.cron == "15 3 * * *"
    assert schedule.schedule.timezone == "Europe/Copenhagen"
    assert schedule.active
    assert nightly.parameters == {"send": False}
    assert deployments["rapportmail"].schedules[0].active is False
    # Every parameter has a default and is in the schema, so a run can change it in the UI.
    props = nightly._parameter_openapi_schema.properties
    for name in ("as_of", "data_dir", "out_dir", "send", "config_file"):
        assert "default" in props[name], name
    assert "Opgørelsesdato" in props["as_of"]["description"]

    monkeypatch.setenv("KITFLOW_SCHEDULES__AFSTEMNING__CRON", "0 25 * * *")
    with pytest.raises(ValidationError):
        load_settings()


def test_pool_deployments_run_from_the_checkout():
    deployments = pool_deployments(Settings(), "kitflow-pool")
    nightly = next(d for d in deployments if d.flow_name == "afstemning")
    assert nightly.entrypoint == "flows/nightly.py:afstemning"
    assert nightly.work_pool_name == "kitflow-pool"
    assert nightly.storage.to_pull_step() == {
        "prefect.deployments.steps.set_working_directory": {"directory": str(REPO_DIR)}
    }
    assert nightly.schedules[0].schedule.timezone == "Europe/Copenhagen"


@pytest.mark.parametrize("command", [["serve"], ["deploy", "--pool", "kitflow"]])
def test_serve_and_deploy_without_a_server_say_how_to_start_one(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KITFLOW_", "PREFECT_API"))}
    env["PREFECT_HOME"] = str(tmp_path)  # a profile without an API URL
    result = subprocess.run(
        [sys.executable, "-c", "from kitflow.cli import main; main()", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "PREFECT_API_URL er ikke sat" in result.stderr
    assert "prefect server start" in result.stderr
    assert "Traceback" not in result.stderr
