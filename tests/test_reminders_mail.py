"""Reminders end to end: a real SMTP server on loopback, a real SQLite and PostgreSQL ledger."""

from __future__ import annotations

import datetime as dt
import email
import logging
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from acquisitions_builder import acquisitions_sheets, write_acquisitions
from aiosmtpd.smtp import AuthResult
from ledger_db import KINDS, ledger_url
from mailserver import Server
from pydantic import SecretStr

from config.settings import Settings, SmtpSettings
from kitflow.app.inputs import load_acquisitions as read_register
from kitflow.app.reminder_policy import reminder_policy
from kitflow.app.reminders import deliver, ledger_rows, record
from kitflow.core.obligations import plan_reminders
from kitflow.mail import SmtpTransport
from kitflow.outbox import FAILED, PLANNED, SENDING, SENT, open_ledger
from reports.reminders_csv import write_reminders_csv

REPO = Path(__file__).resolve().parent.parent
D = dt.date

# --- a real SMTP server ----------------------------------------------------------------------


@pytest.fixture
def smtp():
    server = Server().start()
    yield server
    server.stop()


# --- a real ledger ---------------------------------------------------------------------------


@pytest.fixture(params=KINDS)
def database_url(request, tmp_path):
    with ledger_url(request.param, tmp_path) as url:
        yield url


def make_settings(tmp_path: Path, db_url: str, port: int | None, **kw) -> Settings:
    smtp = SmtpSettings(host="127.0.0.1", port=port, timeout_seconds=5) if port else SmtpSettings()
    return Settings(
        state_dir=tmp_path / "state",
        database_url=db_url,
        smtp=smtp,
        mail_from="Koncern IT <kitflow-noreply@kk.dk>",
        **kw,
    )


# --- a small register ------------------------------------------------------------------------

UNITS = [
    (
        "Borgerservice",
        "Kultur- og Fritidsforvaltningen",
        "bs@kk.dk",
        "dir-kff@kk.dk",
        "digi-kff@kk.dk",
    ),
    (
        "Skoleadministration",
        "Børne- og Ungdomsforvaltningen",
        "skole@kk.dk",
        "dir-buf@kk.dk",
        "digi-buf@kk.dk",
    ),
]
SYSTEM = (
    "S-1",
    "Tidsbestilling",
    "Borgerservice",
    "Fagsystem",
    "Anskaffelse",
    None,
    D(2020, 6, 1),
    "Betinget",
    D(2020, 9, 1),
)
CONDITION = ["B-1", "S-1", "Logning af <admin> & audit", D(2021, 3, 1), None]
CONTRACT = ["K-1", "S-1", "Skoledata A/S", "Kontrakt", "Skoleadministration", D(2021, 2, 1), None]


def write_register(
    path: Path, *, units=UNITS, systems=(SYSTEM,), contracts=(CONTRACT,), conditions=(CONDITION,)
) -> Path:
    sheets = acquisitions_sheets(
        units=units, systems=systems, contracts=contracts, conditions=conditions
    )
    return write_acquisitions(path, sheets)


def night(settings: Settings, path: Path, as_of: dt.date, now: dt.datetime | None = None):
    """One nightly run as the flow does it, with the clock set to 02:00 of the as-of date."""
    register, findings = read_register(path)
    assert findings == []
    plan = plan_reminders(register, as_of, reminder_policy(settings.reminders))
    now = now or dt.datetime.combine(as_of, dt.time(2))
    record(settings, plan, now)
    result = deliver(settings, plan, now)
    return plan, result, ledger_rows(settings, plan)


def addrs(msg: EmailMessage, header: str) -> set[str]:
    return {a.addr_spec for a in msg[header].addresses} if msg[header] else set()


def by_subject_owner(server: Server, owner: str) -> list[EmailMessage]:
    return [m for _, m in server.handler.messages if f"({owner})" in m["Subject"]]


# --- delivery and content --------------------------------------------------------------------


def test_digest_content_to_and_cc_by_role_and_rerun_sends_nothing(tmp_path, smtp, database_url):
    settings = make_settings(tmp_path, database_url, smtp.port)
    path = write_register(tmp_path / "acquisitions.xlsx")
    _plan, result, rows = night(settings, path, D(2021, 2, 22))
    assert (result.messages_sent, result.sent) == (2, len(rows)) and result.stopped_early is None

    (bs,) = by_subject_owner(smtp, "Borgerservice")
    assert bs["Subject"] == (
        "Påmindelse: 1 opgave efter forretningscirkulæret for it-anskaffelser (Borgerservice)"
    )
    assert addrs(bs, "To") == {"bs@kk.dk", "digi-kff@kk.dk"}  # C2's Udførende
    assert addrs(bs, "Cc") == {"kit@kk.dk"}  # Informeret
    assert bs["Message-ID"].endswith("@kk.dk>") and bs["Date"] is not None
    assert bs.get_content_type() == "multipart/alternative"
    text = bs.get_body(("plain",)).get_content()
    for expected in (
        "B-1",
        "C2, afsnit 5.2",
        "Frist for udbedring: 01.03.2021",
        "om 7 dage",
        "Udbedr",
    ):
        assert expected in text
    html = bs.get_body(("html",)).get_content()
    assert "Logning af &lt;admin&gt; &amp; audit" in html and "<admin>" not in html

    (school,) = by_subject_owner(smtp, "Skoleadministration")
    assert addrs(school, "To") == {"skole@kk.dk"}  # the unit that signed (C1)
    assert addrs(school, "Cc") == {"kit@kk.dk", "digi-kff@kk.dk"}  # KIT and the acquirer's digi
    assert "7 dage over fristen" in school.get_body(("plain",)).get_content()

    csv_path = write_reminders_csv(tmp_path / "out", rows)
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("regle,emne,modtager,rolle,milepael,tilstand")
    assert any(
        line.startswith("C2,B-1,bs@kk.dk,Udførende,D-7@2021-03-01,sent,to,1,") for line in lines
    )
    assert any(
        line.startswith("C2,B-1,kit@kk.dk,Informeret,D-7@2021-03-01,sent,cc") for line in lines
    )

    again = night(settings, path, D(2021, 2, 22), dt.datetime(2021, 2, 22, 9))[1]
    assert again.sent == 0 and len(smtp.handler.messages) == 2
    tomorrow = night(settings, path, D(2021, 2, 23))[1]  # same milestones: nothing new
    assert tomorrow.sent == 0 and len(smtp.handler.messages) == 2


def test_weeks_of_repeats_then_escalation_and_fixed_items_fall_silent(tmp_path, smtp, database_url):
    settings = make_settings(tmp_path, database_url, smtp.port)
    path = write_register(tmp_path / "acquisitions.xlsx")
    monday = D(2021, 2, 22)
    for week in range(6):
        night(settings, path, monday + dt.timedelta(weeks=week))
    bs = by_subject_owner(smtp, "Borgerservice")
    assert [m["Subject"].split(":")[0] for m in bs] == ["Påmindelse"] * 4 + ["Eskalering"] * 2
    escalation = bs[4]
    assert addrs(escalation, "To") == {"dir-kff@kk.dk"}
    assert addrs(escalation, "Cc") == {"bs@kk.dk", "digi-kff@kk.dk", "kit@kk.dk"}
    body = escalation.get_body(("plain",)).get_content()
    assert (
        "Rykker nr. 3" in body and "kan Koncern IT tilbagetrække ibrugtagningstilladelsen" in body
    )
    school = by_subject_owner(smtp, "Skoleadministration")
    assert [addrs(m, "To") for m in school] == [{"skole@kk.dk"}] * 2 + [{"dir-buf@kk.dk"}] * 4
    assert len(set(smtp.handler.ids())) == len(smtp.handler.messages) == 12

    # The contract reaches Koncern IT and the condition is fixed: neither is mentioned again.
    fixed_condition = [*CONDITION[:4], D(2021, 3, 30)]
    sent_contract = [*CONTRACT[:6], D(2021, 3, 31)]
    write_register(path, conditions=[fixed_condition], contracts=[sent_contract])
    plan, result, _ = night(settings, path, monday + dt.timedelta(weeks=6))
    assert plan.reminders == () and result.sent == 0 and len(smtp.handler.messages) == 12


# --- failures --------------------------------------------------------------------------------


def test_server_down_then_up_delivers_every_pending_reminder_exactly_once(tmp_path, database_url):
    server = Server()  # not started: the port refuses connections
    settings = make_settings(tmp_path, database_url, server.port)
    path = write_register(tmp_path / "acquisitions.xlsx")
    _plan, result, rows = night(settings, path, D(2021, 2, 22))
    assert result.sent == 0 and "ConnectionRefusedError" in result.stopped_early
    assert {r.state for r in rows} == {FAILED, PLANNED}  # the first digest tried, the rest untried
    assert all(r.next_attempt_at is not None for r in rows if r.state == FAILED)
    server.start()
    try:
        _, result, rows = night(settings, path, D(2021, 2, 23))
        assert result.messages_sent == 2 and {r.state for r in rows} == {SENT}
        night(settings, path, D(2021, 2, 24))
        assert sorted(Counter(server.handler.ids()).values()) == [1, 1]
    finally:
        server.stop()


def test_451_is_retried_after_the_backoff_and_550_is_final(tmp_path, smtp, database_url):
    settings = make_settings(tmp_path, database_url, smtp.port)
    path = write_register(tmp_path / "acquisitions.xlsx")
    smtp.handler.data_reply = "451 4.3.0 Try again later"
    start = dt.datetime(2021, 2, 22, 2)
    _, result, rows = night(settings, path, D(2021, 2, 22), start)
    assert (result.sent, result.failed_temporarily) == (0, len(rows)) and not result.stopped_early
    assert all(r.state == FAILED and "451" in r.last_error for r in rows)
    smtp.handler.data_reply = None
    smtp.handler.refuse = {"kit@kk.dk"}
    # Within the backoff (15 minutes after the first attempt) nothing is tried.
    _, result, _ = night(settings, path, D(2021, 2, 22), start + dt.timedelta(minutes=5))
    assert result.sent == 0 and smtp.handler.messages == []
    _, result, rows = night(settings, path, D(2021, 2, 22), start + dt.timedelta(minutes=20))
    assert result.messages_sent == 2 and result.failed_permanently == 2  # kit@ in both digests
    kit = [r for r in rows if r.recipient == "kit@kk.dk"]
    assert all(
        r.state == FAILED and r.next_attempt_at is None and "550" in r.last_error for r in kit
    )
    assert all(r.state == SENT for r in rows if r.recipient != "kit@kk.dk")
    smtp.handler.refuse = set()
    _, result, _ = night(settings, path, D(2021, 2, 23))
    assert result.sent == 0 and len(smtp.handler.messages) == 2


def test_451_every_time_doubles_the_wait_up_to_the_cap_then_gives_up(tmp_path, smtp):
    """max_attempts 4, base 15 minutes, cap half an hour: tried at 0, 15, 45 and 75 minutes."""
    with ledger_url("sqlite", tmp_path) as url:
        settings = make_settings(
            tmp_path,
            url,
            smtp.port,
            reminders={"max_attempts": 4, "retry_base_minutes": 15, "retry_max_hours": 0.5},
        )
        path = write_register(tmp_path / "acquisitions.xlsx", contracts=())  # one digest
        smtp.handler.data_reply = "451 4.3.0 Try again later"
        start = dt.datetime(2021, 2, 22, 2)
        plan, result, rows = night(settings, path, D(2021, 2, 22), start)
        n = len(rows)
        assert n == 3 and (result.failed_temporarily, result.failed_permanently) == (n, 0)
        minute = dt.timedelta(minutes=1)
        # (minutes after the start, offered to the server in all, retry at, attempts so far)
        steps = [
            (14, 1, start + 15 * minute, 1),  # within the first wait: not tried
            (15, 2, start + 45 * minute, 2),  # tried; the wait doubles to 30 minutes
            (44, 2, start + 45 * minute, 2),
            (45, 3, start + 75 * minute, 3),  # 60 minutes would be next: capped at 30
            (74, 3, start + 75 * minute, 3),
            (75, 4, None, 4),  # the fourth attempt was the last: failed for good
            (24 * 60, 4, None, 4),  # and never tried again
        ]
        assert {(r.state, r.next_attempt_at, r.attempts) for r in rows} == {
            (FAILED, start + 15 * minute, 1)
        }
        for minutes, offered, retry_at, attempts in steps:
            result = deliver(settings, plan, start + minutes * minute)
            rows = ledger_rows(settings, plan)
            assert smtp.handler.data_attempts == offered, minutes
            assert {(r.state, r.next_attempt_at, r.attempts) for r in rows} == {
                (FAILED, retry_at, attempts)
            }, minutes
            assert all("451" in r.last_error for r in rows)
            if minutes == 75:
                assert (result.failed_temporarily, result.failed_permanently) == (0, n)
        assert smtp.handler.messages == []


def test_a_pending_reminder_for_an_item_fixed_meanwhile_is_cancelled(tmp_path, database_url):
    server = Server()
    settings = make_settings(tmp_path, database_url, server.port)
    path = write_register(tmp_path / "acquisitions.xlsx")
    night(settings, path, D(2021, 2, 22))  # server down: both digests pending
    write_register(path, conditions=[[*CONDITION[:4], D(2021, 2, 22)]])
    server.start()
    try:
        _, result, _ = night(settings, path, D(2021, 2, 23))
        assert result.messages_sent == 1
        assert next(m["Subject"] for _, m in server.handler.messages).endswith(
            "(Skoleadministration)"
        )
        with open_ledger(settings) as ledger:
            states = {(r.rule, r.state) for r in ledger.rows()}
        assert ("C2", "cancelled") in states and ("C2", SENT) not in states
    finally:
        server.stop()


CHILD = """
import datetime as dt, sys
from config.reminder_settings import ReminderSettings
from config.settings import SmtpSettings
from kitflow.mail import SmtpTransport
from kitflow.outbox import Outbox
url, port, now = sys.argv[1], int(sys.argv[2]), dt.datetime.fromisoformat(sys.argv[3])
outbox = Outbox.connect(url, ReminderSettings(), "kitflow-noreply@kk.dk")
sys.stdin.readline()
outbox.deliver(SmtpTransport(SmtpSettings(host="127.0.0.1", port=port), None),
               timezone="Europe/Copenhagen", now=now)
print("survived")
"""


def test_a_crash_between_send_and_commit_gives_at_most_one_duplicate(tmp_path, smtp, database_url):
    settings = make_settings(tmp_path, database_url, smtp.port)
    path = write_register(tmp_path / "acquisitions.xlsx")
    register, _ = read_register(path)
    plan = plan_reminders(register, D(2021, 2, 22), reminder_policy(settings.reminders))
    now = dt.datetime(2021, 2, 22, 2)
    record(settings, plan, now)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, str(smtp.port), now.isoformat()],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    smtp.handler.kill_pid = child.pid
    out, err = child.communicate("go\n", timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    assert "survived" not in out and len(smtp.handler.messages) == 1
    crashed = smtp.handler.ids()[0]
    assert {r.state for r in ledger_rows(settings, plan) if r.message_id == crashed} == {SENDING}

    # Within the lease another run leaves the crashed digest alone; after it, it is resent.
    deliver(settings, plan, now + dt.timedelta(minutes=10))
    assert smtp.handler.ids().count(crashed) == 1
    deliver(settings, plan, now + dt.timedelta(minutes=45))
    deliver(settings, plan, now + dt.timedelta(minutes=50))
    counts = Counter(smtp.handler.ids())
    assert counts[crashed] == 2 and sorted(counts.values()) == [1, 2]
    assert {r.state for r in ledger_rows(settings, plan)} == {SENT}


def test_two_runs_at_once_never_send_the_same_reminder(tmp_path, smtp, database_url):
    units = [(f"Enhed {i}", "Forv", f"e{i}@kk.dk", f"d{i}@kk.dk", f"g{i}@kk.dk") for i in range(12)]
    contracts = [
        [f"K-{i}", "", "Lev", "Kontrakt", f"Enhed {i}", D(2021, 2, 1), None] for i in range(12)
    ]
    settings = make_settings(tmp_path, database_url, smtp.port)
    path = write_register(
        tmp_path / "acquisitions.xlsx", units=units, systems=(), contracts=contracts, conditions=()
    )
    register, _ = read_register(path)
    plan = plan_reminders(register, D(2021, 2, 22), reminder_policy(settings.reminders))
    now = dt.datetime(2021, 2, 22, 2)
    record(settings, plan, now)
    barrier = threading.Barrier(3)
    results = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with open_ledger(settings) as outbox:
                transport = SmtpTransport(settings.smtp, None)
                barrier.wait()
                results.append(outbox.deliver(transport, timezone="Europe/Copenhagen", now=now))
                transport.close()
        except BaseException as exc:
            errors.append(exc)
            raise

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not [t for t in threads if t.is_alive()], "a delivery still running after 60 s"
    assert errors == []
    assert sum(r.messages_sent for r in results) == 12
    assert sorted(Counter(smtp.handler.ids()).values()) == [1] * 12


# --- settings and the other senders ----------------------------------------------------------


def test_login_uses_the_password_from_settings_and_never_logs_it(tmp_path, caplog):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"hemmeligt-kodeord-42")

    server = Server(authenticator=authenticator, auth_require_tls=False).start()
    try:
        settings = make_settings(
            tmp_path, f"sqlite:///{tmp_path / 'l.db'}", server.port
        ).model_copy(
            update={
                "smtp": SmtpSettings(
                    host="127.0.0.1",
                    port=server.port,
                    username="kitflow",
                    password=SecretStr("hemmeligt-kodeord-42"),
                )
            }
        )
        caplog.set_level(logging.DEBUG)
        _, result, _ = night(settings, write_register(tmp_path / "a.xlsx"), D(2021, 2, 22))
        assert result.messages_sent == 2 and seen[0] == (b"kitflow", b"hemmeligt-kodeord-42")
        assert "hemmeligt" not in caplog.text and "hemmeligt" not in repr(settings)
    finally:
        server.stop()


def test_without_an_smtp_host_digests_are_eml_files_in_the_outbox_folder(tmp_path):
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'l.db'}", None)
    _, result, rows = night(settings, write_register(tmp_path / "a.xlsx"), D(2021, 2, 22))
    files = sorted((tmp_path / "state" / "outbox").glob("*.eml"))
    assert result.messages_sent == len(files) == 2
    ids = {
        email.message_from_bytes(f.read_bytes(), policy=default_policy)["Message-ID"] for f in files
    }
    assert ids == {r.message_id for r in rows}


# --- the flow --------------------------------------------------------------------------------


@pytest.mark.flow
def test_flow_on_the_example_register_sends_once_with_a_secret_block_password(
    tmp_path, monkeypatch, caplog, prefect_harness
):
    from prefect.blocks.system import Secret
    from prefect.client.orchestration import get_client

    from flows.reminders import paamindelser
    from kitflow.core.obligations import AccountDue

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append(auth_data.password)
        return AuthResult(success=auth_data.password == b"blok-kodeord-77")

    server = Server(authenticator=authenticator, auth_require_tls=False).start()
    Secret(value="blok-kodeord-77").save("kitflow-smtp-test", overwrite=True)
    for name, value in {
        "STATE_DIR": tmp_path / "state",
        "OUTPUT_DIR": tmp_path / "out",
        "SMTP__HOST": "127.0.0.1",
        "SMTP__PORT": server.port,
        "SMTP__USERNAME": "kitflow",
        "SMTP__PASSWORD_BLOCK": "kitflow-smtp-test",
    }.items():
        monkeypatch.setenv(f"KITFLOW_{name}", str(value))
    account = AccountDue("Ny skole", D(2020, 12, 31), "forfalden", "ctrl@kk.dk", None, None)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="prefect")
    caplog.set_level(logging.DEBUG, logger="prefect.flow_runs")
    caplog.set_level(logging.DEBUG, logger="prefect.task_runs")
    # Prefect's run loggers do not propagate to the root logger: listen on "prefect" itself.
    records: list[str] = []
    listener = logging.Handler(logging.DEBUG)
    listener.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("prefect").addHandler(listener)
    try:
        state = paamindelser(as_of=D(2020, 12, 31), accounts=[account], return_state=True)
        summary = state.result()
        # The example register: C1 K-2020-002, C2 B-002 and B-003, C3 SYS-003, C4 SYS-006 and
        # C5 SYS-004 in four digests to three units, plus the account in the controller's.
        assert (summary.planned, summary.sent, summary.pending, summary.failed) == (22, 22, 0, 0)
        assert summary.messages_sent == len(server.handler.messages) == 5
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(state.state_details.flow_run_id)
        assert run.name == "påmindelser 2020-12-31"
        csv_lines = (tmp_path / "out" / "2020-12-31" / "reminders.csv").read_text().splitlines()
        assert len(csv_lines) == 23 and all(",sent," in line for line in csv_lines[1:])

        again = paamindelser(as_of=D(2020, 12, 31), accounts=[account])
        assert (again.planned, again.sent) == (22, 0) and len(server.handler.messages) == 5
        # Without send, a week later's reminders are planned and recorded, and none is sent.
        dry = paamindelser(as_of=D(2021, 1, 7), send=False)
        assert (
            dry.sent == 0 and dry.pending == dry.planned > 0 and len(server.handler.messages) == 5
        )
        assert set(logins) == {b"blok-kodeord-77"}
        logged = "\n".join(records) + caplog.text
        assert "Påmindelser 2020-12-31: 22 planlagt, 0 sendt nu" in logged
        assert "Forbundet til SMTP-serveren 127.0.0.1" in logged
        assert "blok-kodeord" not in logged
        (controller,) = by_subject_owner(server, "ctrl@kk.dk")
        assert controller["Subject"].startswith("Påmindelse: 1 opgave efter reglerne for anlæg")
    finally:
        logging.getLogger("prefect").removeHandler(listener)
        server.stop()
