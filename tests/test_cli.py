"""The command line as a user meets it: --version, the help, the README's commands and exit
codes, and no Prefect start-up chatter on the console."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import kitflow
from kitflow.cli import app

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"kitflow {kitflow.__version__}\n"


def test_the_help_names_every_command_and_promises_nothing_for_later():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "later" not in result.output.lower()
    for name in typer.main.get_command(app).commands:
        assert name in result.output


def _readme_usage() -> dict[str, str]:
    """Each command's line in the README's "Running it yourself" block."""
    block = README.split("## Running it yourself", 1)[1].split("```bash", 1)[1].split("```")[0]
    lines = [line for line in block.splitlines() if line.startswith(".venv/bin/kitflow ")]
    return {line.split()[1]: line for line in lines}


def test_the_readme_shows_every_command_and_option():
    usage = _readme_usage()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert name in usage, f"README: no line for `kitflow {name}`"
        for param in command.params:
            for option in param.opts:
                if option.startswith("--") and option != "--help":
                    assert re.search(rf"{option}\b", usage[name]), f"README: {name} {option}"
    assert "--version" in usage


def test_the_readme_says_what_every_exit_code_means():
    table = README.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    codes = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
    assert codes == ["0", "1", "2", "3", "4", "5", "130, 143"]


# Prefect's temporary server says where it started on the logger "prefect" itself; the child
# says the same on that very logger, then (when asked) runs a real flow against the test
# harness's API.
CHILD = """
import sys

from kitflow import cli

if "quiet" in sys.argv:
    cli._quiet_temporary_server()

from prefect import flow, get_run_logger, task
from prefect.server.api.server import subprocess_server_logger

subprocess_server_logger.info("Starting temporary server on http://127.0.0.1:8123")
subprocess_server_logger.warning("Prefect warns")


@task(name="et trin", task_run_name="et trin")
def step() -> int:
    return 1


@flow(name="stille", flow_run_name="stille")
def quiet() -> None:
    step()
    get_run_logger().info("the run's own line")
    get_run_logger().warning("the run's own warning")


if "flow" in sys.argv:
    quiet()
"""


def _child(*args: str, api_url: str = "") -> str:
    """The child's console (stderr), run as `kitflow` runs: Prefect's logging as it sets it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING_")}
    env["PREFECT_API_URL"] = api_url
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


@pytest.mark.flow
def test_the_temporary_servers_start_up_lines_are_hidden_and_nothing_else(prefect_harness):
    from prefect.settings import get_current_settings

    shown = _child("quiet", "flow", api_url=str(get_current_settings().api.url))
    assert "Starting temporary server" not in shown
    assert "Prefect warns" in shown
    assert "the run's own line" in shown
    assert "the run's own warning" in shown
    assert "Task run 'et trin' - Finished in state Completed()" in shown
    assert "Flow run 'stille' - Finished in state Completed()" in shown


def test_without_kitflow_s_settings_prefect_shows_them():
    """The test above can fail: Prefect's own logging prints the line."""
    shown = _child()
    assert "Starting temporary server on http://127.0.0.1:8123" in shown
    assert "Prefect warns" in shown
