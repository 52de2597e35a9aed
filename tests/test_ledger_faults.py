"""When the reminder ledger's database goes away or hangs, the night's reports are still written.

The shared PostgreSQL server is never stopped or frozen: a TCP proxy in front of it
(tests/faults.py) is killed or frozen while a mail is being sent, by the real SMTP server on
loopback as it takes the message. The runs are the real nightly flow under the Prefect harness.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from faults import RunLog, TcpProxy
from ledger_db import ledger_url
from mailserver import Recorder, Server
from pg import POSTGRES_URL
from sqlalchemy.engine import make_url

D = dt.date
AS_OF = D(2020, 12, 31)
PASSWORD = "hemmeligt-kodeord-31"


class BreaksTheLedgerOnFirstData(Recorder):
    """Takes the first message, and just before saying 250 does `act` (kill or freeze)."""

    def __init__(self, act) -> None:
        super().__init__()
        self.act = act

    async def handle_DATA(self, server, session, envelope):
        if self.act is not None:
            act, self.act = self.act, None
            act()
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def through_proxy(tmp_path):
    """(proxy, URL of a fresh ledger schema reached through it, with a password in the URL)."""
    with ledger_url("postgresql", tmp_path) as url:
        direct = make_url(url)
        proxy = TcpProxy((direct.host, direct.port or 5432)).start()
        try:
            via = direct.set(port=proxy.port, password=PASSWORD)
            yield proxy, via.render_as_string(hide_password=False)
        finally:
            proxy.kill()


def nightly_with_a_broken_ledger(tmp_path, monkeypatch, proxy, url, break_it):
    """Run afstemning (send on) against the ledger at `url`; `break_it` happens mid-send."""
    from flows.nightly import afstemning

    # Short ledger timeouts, so that a hang costs seconds (environment: read by every run).
    monkeypatch.setenv("KITFLOW_DATABASE_CONNECT_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("KITFLOW_DATABASE_STATEMENT_TIMEOUT_SECONDS", "1")
    server = Server()
    server.handler = BreaksTheLedgerOnFirstData(break_it)
    server.start()
    config = tmp_path / "kitflow.toml"
    config.write_text(
        f'state_dir = "{tmp_path / "state"}"\ndatabase_url = "{url}"\n'
        'koncern_it_email = "drift@koncernit.example"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\n',
        encoding="utf-8",
    )
    try:
        with RunLog() as log:
            state = afstemning(
                as_of=AS_OF,
                out_dir=str(tmp_path / "out"),
                send=True,
                config_file=str(config),
                return_state=True,
            )
    finally:
        server.stop()
    return state, log, server.handler


def assert_reports_written_and_one_line(tmp_path, state, log, inbox, proxy) -> str:
    folder = tmp_path / "out" / AS_OF.isoformat()
    assert (folder / "anlaegsregnskab.xlsx").is_file() and (folder / "due.csv").is_file()
    assert (folder / "reminders.csv").is_file()  # as recorded before sending
    assert state.is_failed()
    line = state.message
    server = make_url(POSTGRES_URL)
    assert line.startswith(
        f"påmindelsesregistret (postgresql+psycopg://{server.username}@{server.host}:{proxy.port}"
        f"/{server.database}"
    )
    assert "svarer ikke: " in line and "\n" not in line and PASSWORD not in line
    with pytest.raises(Exception) as raised:
        state.result()
    assert type(raised.value).__name__ == "LedgerUnavailableError"
    assert raised.value.exit_code == 5
    # No traceback anywhere in the run's log, and no misleading unlock error: the lost lock
    # connection is one warning.
    assert log.tracebacks() == []
    assert "pg_advisory_unlock" not in log.text()
    assert "PostgreSQL-låsen" in log.text()
    # Koncern IT is told, by the mail server that still works.
    subjects = [m["Subject"] for _, m in inbox.messages]
    assert any("påmindelsesregistret" in s for s in subjects), subjects
    return line


@pytest.mark.flow
def test_a_ledger_lost_mid_send_still_gives_the_reports_and_one_line(
    prefect_harness, tmp_path, monkeypatch, through_proxy
):
    proxy, url = through_proxy
    state, log, inbox = nightly_with_a_broken_ledger(tmp_path, monkeypatch, proxy, url, proxy.kill)
    assert_reports_written_and_one_line(tmp_path, state, log, inbox, proxy)


@pytest.mark.flow
def test_a_ledger_frozen_mid_send_is_cut_off_by_its_timeouts(
    prefect_harness, tmp_path, monkeypatch, through_proxy
):
    proxy, url = through_proxy
    state, log, inbox = nightly_with_a_broken_ledger(
        tmp_path, monkeypatch, proxy, url, lambda: proxy.freeze(safety_seconds=40)
    )
    # The run ended while the proxy was still frozen: its own timeouts, not the proxy's
    # safety kill, ended the wait.
    assert not proxy.safety_killed
    line = assert_reports_written_and_one_line(tmp_path, state, log, inbox, proxy)
    assert "database_statement_timeout_seconds" in line


def test_the_run_lock_warns_in_one_line_when_its_connection_is_lost(
    tmp_path, through_proxy, caplog
):
    from kitflow.lock import postgres_lock

    proxy, url = through_proxy
    data = tmp_path / "data"
    data.mkdir()
    with postgres_lock(url, data, 0):
        proxy.kill()
    (record,) = [r for r in caplog.records if r.name == "kitflow.lock"]
    assert record.levelname == "WARNING" and "PostgreSQL-låsen" in record.getMessage()
    assert PASSWORD not in record.getMessage() and record.exc_info is None


def test_a_sqlite_ledger_locked_by_another_process_is_reported_after_the_busy_timeout(
    tmp_path, monkeypatch
):
    from test_reminders_mail import write_register

    from config.settings import Settings
    from kitflow.app.inputs import load_acquisitions
    from kitflow.app.reminder_policy import reminder_policy
    from kitflow.app.reminders import record
    from kitflow.core.obligations import plan_reminders
    from kitflow.outbox import open_ledger

    monkeypatch.setenv("KITFLOW_DATABASE_STATEMENT_TIMEOUT_SECONDS", "1")
    db = tmp_path / "l.db"
    settings = Settings(state_dir=tmp_path / "state", database_url=f"sqlite:///{db}")
    with open_ledger(settings):
        pass  # the table exists
    register, _ = load_acquisitions(write_register(tmp_path / "a.xlsx"))
    plan = plan_reminders(register, D(2021, 2, 22), reminder_policy(settings.reminders))
    holder = sqlite3.connect(db)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(Exception) as raised:
            record(settings, plan)
    finally:
        holder.close()
    assert type(raised.value).__name__ == "LedgerUnavailableError"
    assert str(raised.value) == (
        f"påmindelsesregistret (sqlite:///{db}) svarer ikke: database is locked"
    )
