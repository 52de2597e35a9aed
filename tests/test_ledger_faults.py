"""When the reminder ledger's database goes away or is locked: one line, within its timeouts.

The shared PostgreSQL server is never stopped or frozen: a TCP proxy in front of it
(tests/faults.py) is killed instead.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from faults import TcpProxy
from ledger_db import ledger_url
from sqlalchemy.engine import make_url

D = dt.date
PASSWORD = "hemmeligt-kodeord-31"


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
