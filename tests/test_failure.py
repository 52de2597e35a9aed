"""A fatal input fails the run with its one-line reason, in the API and on the console, and
Koncern IT gets a mail about it: by a real SMTP server on loopback, or in the outbox folder."""

from __future__ import annotations

import email
import os
import shutil
import socket
import subprocess
import sys
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import EXAMPLE_DATA
from tests.mailserver import Recorder, free_port

pytestmark = pytest.mark.flow


@pytest.fixture
def smtp():
    inbox = Recorder()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def data_without_register(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    (data / "register.xlsx").unlink()
    return data


def write_config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "kitflow.toml"
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n{extra}', encoding="utf-8")
    return path


def test_fatal_input_fails_the_run_with_its_reason_and_mails_koncern_it(
    prefect_harness, tmp_path, smtp
):
    from prefect import get_client

    from flows.nightly import afstemning
    from kitflow.core.findings import FatalInputError

    controller, inbox = smtp
    config = write_config(
        tmp_path,
        'koncern_it_email = "drift@koncernit.example"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\n',
    )
    data = data_without_register(tmp_path)

    def start(send: bool):
        return afstemning(
            data_dir=str(data),
            out_dir=str(tmp_path / "out"),
            as_of="2020-12-31",
            send=send,
            config_file=str(config),
            return_state=True,
        )

    # --no-send sends nothing at all: the failure mail goes to the outbox folder, not the server.
    assert start(send=False).is_failed()
    assert inbox.messages == []
    (kept,) = (tmp_path / "state" / "outbox").glob("*.eml")
    kept_msg = email.message_from_bytes(kept.read_bytes(), policy=default_policy)
    assert kept_msg["To"] == "drift@koncernit.example"
    assert "register.xlsx: filen findes ikke" in kept_msg["Subject"]

    state = start(send=True)
    assert state.is_failed()

    # What the UI shows: the run's state as the API has it.
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.name == "afstemning 2020-12-31"
    assert run.state.type.value == "FAILED"
    # Just the reason (the FatalInputError's one line), not Prefect's "Flow run encountered an
    # exception: FatalInputError: ..." wrapping.
    reason = run.state.message
    assert reason.startswith("register.xlsx: filen findes ikke")
    assert "\n" not in reason and "FatalInputError" not in reason
    with pytest.raises(FatalInputError) as raised:
        state.result()
    assert str(raised.value) == reason

    assert len(inbox.messages) == 1
    rcpt, msg = inbox.messages[0]
    assert rcpt == ["drift@koncernit.example"]
    assert "afstemning 2020-12-31" in msg["Subject"]
    assert "register.xlsx: filen findes ikke" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert reason in body
    assert str(run.id) in body  # the link to the run in the UI
    assert f"Datamappe: {data}" in body and f"Kørt på: {socket.gethostname()}" in body
    assert not (tmp_path / "out" / "2020-12-31").exists()


def test_cli_shows_one_line_and_the_mail_lands_in_the_outbox_without_smtp(
    prefect_harness, tmp_path
):
    """`kitflow run --no-send` as an operator starts it: no traceback on the console, exit 2.

    No koncern_it_email and no SMTP host: the address comes from acquisitions.xlsx's sheet
    "Koncern IT", and the mail is written to the outbox folder, as the run says.
    """
    from prefect.settings import get_current_settings

    config = write_config(tmp_path, "")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITFLOW_")}
    env["PREFECT_API_URL"] = str(get_current_settings().api.url)  # the harness's server
    env["PREFECT_LOGGING_LEVEL"] = "INFO"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kitflow.cli import main; main()",
            "run",
            "--data",
            str(data_without_register(tmp_path)),
            "--out",
            str(tmp_path / "out"),
            "--as-of",
            "2020-12-31",
            "--config",
            str(config),
            "--no-send",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 2, result.stderr
    assert "kitflow: register.xlsx: filen findes ikke" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Finished in state Failed('register.xlsx: filen findes ikke" in result.stderr

    outbox = tmp_path / "state" / "outbox"
    # The run says where the failure mail is, and that nothing was sent (--no-send).
    assert f"lagt i udbakken {outbox}" in result.stderr and "--no-send" in result.stderr
    mails = list(outbox.glob("*.eml"))
    assert len(mails) == 1
    msg = email.message_from_bytes(mails[0].read_bytes(), policy=default_policy)
    assert msg["To"] == "koncernit@example.kk.dk"
    assert "register.xlsx: filen findes ikke" in msg.get_body(("plain",)).get_content()


def test_a_defect_keeps_prefects_message(prefect_harness):
    """Only bad input is shortened: any other exception is a defect and shows as one."""
    from prefect import flow

    from flows.failure import fail_with_reason
    from kitflow.core.findings import FatalInputError

    @flow(name="fejltest")
    @fail_with_reason
    def fails(kind: str) -> int:
        if kind == "input":
            raise FatalInputError("x.xlsx:Ark1!7", "cellen er ikke et beløb")
        return 1 // 0

    bad_input = fails("input", return_state=True)
    assert bad_input.message == "x.xlsx:Ark1!7: cellen er ikke et beløb"
    with pytest.raises(FatalInputError):
        bad_input.result()
    defect = fails("defect", return_state=True)
    assert defect.message == (
        "Flow run encountered an exception: ZeroDivisionError: integer division or modulo by zero"
    )
