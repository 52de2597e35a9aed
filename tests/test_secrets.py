"""The SMTP password is used to log in and is found nowhere: logs, Prefect API, artifacts, files."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from mailserver import Server

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "example"


def files_holding(needle: bytes, *roots: Path) -> list[Path]:
    """Every file under `roots` whose bytes hold `needle` (also UTF-16 and base64 forms)."""
    import base64

    forms = [needle, needle.decode().encode("utf-16-le"), base64.b64encode(needle)[:-4]]
    hits = []
    for root in roots:
        for path in root.rglob("*") if root.is_dir() else [root]:
            if path.is_file():
                data = path.read_bytes()
                if any(f in data for f in forms):
                    hits.append(path)
    return hits


def api_texts() -> list[str]:
    """Everything the Prefect API holds about the runs: logs, runs, task runs, artifacts."""
    from prefect import get_client
    from prefect.logging.handlers import APILogHandler

    # Logs reach the API in batches from a background worker: send what is queued first.
    APILogHandler().flush()
    texts: list[str] = []
    with get_client(sync_client=True) as client:
        for read in (
            client.read_logs,
            client.read_artifacts,
            client.read_flow_runs,
            client.read_task_runs,
        ):
            offset = 0
            while True:
                batch = read(limit=200, offset=offset)
                texts.extend(json.dumps(item.model_dump(mode="json")) for item in batch)
                if len(batch) < 200:
                    break
                offset += 200
        for variable in client.read_variables():
            texts.append(json.dumps(variable.model_dump(mode="json")))
    return texts


@pytest.mark.flow
def test_smtp_password_is_found_nowhere(prefect_harness, tmp_path, monkeypatch, caplog, capfd):
    from prefect import flow, get_run_logger

    from flows.nightly import afstemning

    password = f"pw-{uuid.uuid4().hex}"
    logins: list[bytes] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append(auth_data.password)
        return AuthResult(success=auth_data.password == password.encode())

    server = Server(authenticator=authenticator, auth_require_tls=False).start()
    data, out, state = tmp_path / "data", tmp_path / "out", tmp_path / "state"
    shutil.copytree(EXAMPLE, data)
    for name, value in {
        "KITFLOW_SMTP__HOST": "127.0.0.1",
        "KITFLOW_SMTP__PORT": str(server.port),
        "KITFLOW_SMTP__SECURITY": "none",
        "KITFLOW_SMTP__USERNAME": "kitflow",
        "KITFLOW_SMTP__PASSWORD": password,
        "KITFLOW_STATE_DIR": str(state),
    }.items():
        monkeypatch.setenv(name, value)
    # Prefect's loggers do not propagate to the root logger that caplog listens on: listen on
    # them too, at DEBUG, so that every record any of them makes is searched.
    prefect_logger = logging.getLogger("prefect")
    prefect_logger.addHandler(caplog.handler)
    for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs", "kitflow"):
        caplog.set_level(logging.DEBUG, logger=name)
    try:
        summary = afstemning(as_of=dt.date(2020, 12, 31), data_dir=str(data), out_dir=str(out))
    finally:
        server.stop()
        prefect_logger.removeHandler(caplog.handler)
    # The password was really used: the server let kitflow in with it and got the mail.
    assert logins and all(login == password.encode() for login in logins)
    assert server.handler.messages and summary["reminders"]["sent"] > 0

    captured = capfd.readouterr()
    # The capture did see the run's records; the run's last line is a Danish sentence, not a
    # Python dict with the output folder's path in it.
    assert f"Afstemning pr. 31.12.2020: rapporterne er skrevet til {out / '2020-12-31'}." in (
        caplog.text
    )
    assert "{'as_of'" not in caplog.text
    assert password not in caplog.text
    assert password not in captured.out + captured.err
    assert not [t for t in api_texts() if password in t]
    prefect_home = Path(os.environ["PREFECT_HOME"])
    assert files_holding(password.encode(), out, state, data, prefect_home) == []
    assert not [m for m in server.handler.raw if password.encode() in m]

    # The searches would have found it: plant a copy in each place and look again.
    leak_logger = logging.getLogger("prefect")
    leak_logger.addHandler(caplog.handler)

    @flow(name="lækage")
    def leak() -> None:
        get_run_logger().warning("planted %s", password)

    try:
        leak()
    finally:
        leak_logger.removeHandler(caplog.handler)
    (state / "planted.txt").write_text(f"x{password}x")
    assert [t for t in api_texts() if password in t]
    assert files_holding(password.encode(), out, state) == [state / "planted.txt"]
    # The log capture sees it (the console may not: Prefect's console handler keeps whatever
    # stream it was given first, so the capfd check above is only a second net).
    assert password in caplog.text
