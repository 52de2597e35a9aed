"""The ledger's vocabulary, its one SQL condition for a pending row, and `open_ledger`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ledger_db import KINDS, ledger_url

from config.reminder_settings import ReminderSettings
from config.settings import Settings
from kitflow.core.ledger import (
    CANCELLED,
    FAILED,
    PLANNED,
    SENDING,
    SENT,
    STATES,
    LedgerRow,
    State,
    failed_for_good,
    is_pending,
    pending_rows,
)
from kitflow.outbox import REPORT_RULE, Entry, Outbox, open_ledger, outbox, pending_unheld

NOW = dt.datetime(2021, 2, 22, 2)
LEASE = dt.timedelta(minutes=30)
LATER = NOW + dt.timedelta(minutes=5)
EARLIER = NOW - dt.timedelta(minutes=5)

# (state, next_attempt_at, claimed_at) → (pending, unheld and due now, unheld at all)
CASES = {
    "planned": ((PLANNED, None, None), (True, True, True)),
    "sending, in its lease": ((SENDING, None, NOW - LEASE / 2), (True, False, False)),
    "sending, lease just out": ((SENDING, None, NOW - LEASE), (True, True, True)),
    "sending, lease long out": ((SENDING, None, NOW - 2 * LEASE), (True, True, True)),
    "failed, retry due": ((FAILED, EARLIER, NOW - LEASE / 2), (True, True, True)),
    "failed, retry due right now": ((FAILED, NOW, None), (True, True, True)),
    "failed, retry ahead": ((FAILED, LATER, None), (True, False, True)),
    "failed for good": ((FAILED, None, NOW - 2 * LEASE), (False, False, False)),
    "sent": ((SENT, None, NOW - 2 * LEASE), (False, False, False)),
    "cancelled": ((CANCELLED, None, None), (False, False, False)),
}


def test_the_states_are_the_strings_the_database_and_the_csv_have_always_had():
    assert STATES == ("planned", "sending", "sent", "failed", "cancelled")
    assert [str(s) for s in State] == list(STATES) and f"{FAILED}" == "failed"
    assert PLANNED == "planned" and SENT == "sent" and State("cancelled") is CANCELLED


@pytest.mark.parametrize("name", CASES)
def test_pending_and_failed_for_good_in_python(name):
    (state, next_attempt_at, _), (pending, _, _) = CASES[name]
    row = LedgerRow(
        "C1", "K", "a@kk.dk", "Udførende", "D0", state, "to", "<m>", 1, None, next_attempt_at
    )
    assert is_pending(row) is pending
    assert failed_for_good(row) is (name == "failed for good")
    assert pending_rows([row]) == ([row] if pending else [])


@pytest.fixture(params=KINDS)
def engine(request, tmp_path):
    with ledger_url(request.param, tmp_path) as url:
        ledger = Outbox.connect(url, ReminderSettings(), "kitflow-noreply@kk.dk")
        yield ledger.engine
        ledger.engine.dispose()


def test_one_sql_condition_for_what_a_run_may_send_or_cancel(engine):
    with engine.begin() as conn:
        for i, (name, ((state, next_attempt_at, claimed_at), _)) in enumerate(CASES.items()):
            conn.execute(
                sa.insert(outbox).values(
                    rule="C1",
                    item=name,
                    milestone="D0",
                    recipient=f"r{i}@kk.dk",
                    role="Udførende",
                    header="to",
                    digest=name,
                    message_id=f"<{i}@kk.dk>",
                    payload="{}",
                    as_of=NOW.date(),
                    state=state,
                    next_attempt_at=next_attempt_at,
                    claimed_at=claimed_at,
                    planned_at=NOW - 3 * LEASE,
                )
            )

    def matching(retry_due: bool) -> set[str]:
        where = pending_unheld(NOW, LEASE, retry_due=retry_due)
        with engine.connect() as conn:
            return set(conn.execute(sa.select(outbox.c.item).where(where)).scalars())

    assert matching(retry_due=True) == {n for n, (_, (_, due, _)) in CASES.items() if due}
    assert matching(retry_due=False) == {n for n, (_, (_, _, any_)) in CASES.items() if any_}
    # What a run may take is pending; what is pending but not takeable is another run's claim.
    with engine.connect() as conn:
        rows = conn.execute(sa.select(outbox)).all()
    held = {r.item for r in rows if is_pending(r)} - matching(retry_due=False)
    assert held == {"sending, in its lease"}


def _entries(*recipients: str, milestone: str = "2020-12-31") -> list[Entry]:
    return [
        Entry(REPORT_RULE, "anlaegsregnskab", milestone, r, "", "Modtager", "to", {"n": 1})
        for r in recipients
    ]


class RefusingTransport:
    """Accepts every message; refuses perm@ for good (550) and temp@ for now (450)."""

    def send(self, msg: EmailMessage) -> dict[str, tuple[int, str]]:
        to = str(msg["To"])
        return {
            a: (code, "nej") for a, code in (("perm@kk.dk", 550), ("temp@kk.dk", 450)) if a in to
        }

    def close(self) -> None:
        return None


def _build(rows: Sequence[Any], now: dt.datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = ", ".join(r.recipient for r in rows)
    msg["Message-ID"] = rows[0].message_id
    msg.set_content("rapport")
    return msg


def test_open_ledger_opens_the_configured_ledger_and_disposes_its_engine(tmp_path: Path):
    settings = Settings(state_dir=tmp_path / "state", mail_from="Koncern IT <kit@kk.dk>")
    with open_ledger(settings) as ledger:
        assert ledger.mail_from == "Koncern IT <kit@kk.dk>"
        assert ledger.settings == settings.reminders
        assert ledger.enqueue(_entries("a@kk.dk", "b@kk.dk"), dt.date(2020, 12, 31)) == (2, 0)
        pool = ledger.engine.pool
        assert pool.checkedin() == 1  # the connection is pooled while the ledger is open
    assert pool.checkedout() == 0 and pool.checkedin() == 0  # closed, not just returned
    assert ledger.engine.pool is not pool  # dispose() replaced the pool
    # The default ledger: SQLite in the state folder, its schema created, the rows stored.
    assert (tmp_path / "state" / "kitflow.db").is_file()
    with open_ledger(settings) as again:
        assert {r.recipient for r in again.rows()} == {"a@kk.dk", "b@kk.dk"}
        assert again.enqueue(_entries("a@kk.dk"), dt.date(2020, 12, 31)) == (0, 0)


def test_open_ledger_disposes_the_engine_when_the_block_fails(tmp_path: Path):
    settings = Settings(state_dir=tmp_path / "state", database_url=f"sqlite:///{tmp_path / 'l.db'}")
    with pytest.raises(RuntimeError, match="inside"), open_ledger(settings) as ledger:
        ledger.enqueue(_entries("a@kk.dk"), dt.date(2020, 12, 31))
        pool = ledger.engine.pool
        raise RuntimeError("inside")
    assert pool.checkedin() == 0 and ledger.engine.pool is not pool
    assert (tmp_path / "l.db").is_file() and not (tmp_path / "state" / "kitflow.db").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_the_database_stores_the_states_as_plain_strings(kind, tmp_path):
    d = dt.date
    with ledger_url(kind, tmp_path) as url:
        settings = Settings(state_dir=tmp_path / "state", database_url=url)
        with open_ledger(settings) as ledger:
            ledger.enqueue(_entries("x@kk.dk", milestone="2020-12-29"), d(2020, 12, 29))
            m1 = _entries("ok@kk.dk", "perm@kk.dk", "temp@kk.dk", milestone="2020-12-30")
            assert ledger.enqueue(m1, d(2020, 12, 30)) == (3, 1)
            result = ledger.deliver(RefusingTransport(), timezone=settings.timezone, build=_build)
            assert (result.sent, result.failed_permanently, result.failed_temporarily) == (1, 1, 1)
            # A newer report cancels the retry ahead, not the failure for good nor the sent.
            assert ledger.enqueue(_entries("ok@kk.dk"), d(2020, 12, 31)) == (1, 1)
            with ledger.engine.connect() as conn:
                stored = conn.execute(
                    sa.text("SELECT milestone, recipient, state FROM kitflow_outbox ORDER BY id")
                ).all()
            rows = ledger.rows()
    assert [tuple(r) for r in stored] == [
        ("2020-12-29", "x@kk.dk", "cancelled"),
        ("2020-12-30", "ok@kk.dk", "sent"),
        ("2020-12-30", "perm@kk.dk", "failed"),
        ("2020-12-30", "temp@kk.dk", "cancelled"),
        ("2020-12-31", "ok@kk.dk", "planned"),
    ]
    assert all(type(r[2]) is str for r in stored) and all(type(r.state) is str for r in rows)
    assert [r.state for r in rows] == [r[2] for r in stored]
    assert [r.recipient for r in rows if failed_for_good(r)] == ["perm@kk.dk"]
    assert [r.milestone for r in pending_rows(rows)] == ["2020-12-31"]
