"""When the mail server misbehaves, the night's reports are still published and the run ends.

Real parts on loopback: a trickling SMTP server (tests/faults.py) that never trips a socket
timeout, aiosmtpd servers that answer 421 or take the failure mail, the real nightly flow under
the Prefect harness, a real SQLite ledger.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pytest
from faults import RunLog, TrickleSmtp
from mailserver import Recorder, Server

from tests.conftest import EXAMPLE_DATA

D = dt.date
AS_OF = D(2020, 12, 31)


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kitflow.toml"
    path.write_text(
        f'state_dir = "{tmp_path / "state"}"\nkoncern_it_email = "drift@koncernit.example"\n'
        + text,
        encoding="utf-8",
    )
    return path


# --- 1. a server that trickles: the reports first, then an SMTP pass with a deadline ----------


@pytest.mark.flow
def test_a_trickling_mail_server_neither_holds_the_reports_nor_hangs_the_run(
    prefect_harness, tmp_path
):
    from flows.nightly import afstemning
    from kitflow.app.settings import settings_for_run
    from kitflow.mail import SmtpTransport
    from kitflow.outbox import FAILED, PLANNED, SENDING, SENT, open_ledger, utc_now

    out = tmp_path / "out"
    folder = out / AS_OF.isoformat()
    # The server holds the session until the client hangs up (or 15 s, so that a client
    # without a deadline cannot hang the test), and notes whether the reports were published
    # while it held the mail back.
    slow = TrickleSmtp(probe=lambda: (folder / "anlaegsregnskab.xlsx").is_file()).start()
    config = write_config(
        tmp_path,
        f'[smtp]\nhost = "127.0.0.1"\nport = {slow.port}\ntimeout_seconds = 2\n'
        "deadline_seconds = 2\n",
    )
    try:
        with RunLog() as log:
            summary = afstemning(as_of=AS_OF, out_dir=str(out), send=True, config_file=str(config))
    finally:
        slow.stop()

    # The run succeeded, published while the mail was held back, and hung up by itself.
    assert [s.ended_by for s in slow.sessions] == ["client"]
    assert slow.sessions[0].probe_seen, "the reports waited for the mail server"
    reminders = summary["reminders"]
    assert "smtp.deadline_seconds" in reminders["delivery_error"]
    assert reminders["sent"] == 0 and reminders["pending"] == reminders["planned"] > 0
    assert "Afsendelsen stoppede: SMTP-serveren 127.0.0.1" in log.text()

    # The message in flight is released for a retry, the rest still planned: none "sending".
    settings = settings_for_run(str(config))
    with open_ledger(settings) as ledger:
        rows = ledger.rows()
    states = Counter(r.state for r in rows)
    assert states[SENDING] == 0 and states[FAILED] >= 1 and states[PLANNED] >= 1
    assert all(r.next_attempt_at is not None for r in rows if r.state == FAILED)
    # reminders.csv in the published folder shows the states after the pass.
    with (folder / "reminders.csv").open(encoding="utf-8") as fh:
        in_csv = Counter(r["tilstand"] for r in csv.DictReader(fh))
    assert in_csv == states

    # A later run, once the server answers, delivers every reminder once.
    good = Server().start()
    try:
        smtp = settings.smtp.model_copy(update={"port": good.port})
        transport = SmtpTransport(smtp, None)
        with open_ledger(settings) as ledger:
            later = utc_now() + dt.timedelta(minutes=20)  # past the first backoff
            result = ledger.deliver(transport, timezone=settings.timezone, now=later)
            transport.close()
            assert {r.state for r in ledger.rows()} == {SENT}
        assert result.sent == len(rows)
        assert sorted(Counter(good.handler.ids()).values()) == [1] * result.messages_sent
    finally:
        good.stop()


def data_without_register(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    (data / "register.xlsx").unlink()
    return data


@pytest.mark.flow
def test_the_failure_mail_gives_up_on_a_trickling_server_within_its_own_deadline(
    prefect_harness, tmp_path
):
    from flows.nightly import afstemning

    slow = TrickleSmtp(give_up=8).start()
    # The SMTP pass would have a minute; the failure mail's own deadline is shorter.
    config = write_config(
        tmp_path,
        f'[smtp]\nhost = "127.0.0.1"\nport = {slow.port}\ntimeout_seconds = 2\n'
        "deadline_seconds = 60\nfailure_mail_deadline_seconds = 2\n",
    )
    try:
        with RunLog() as log:
            state = afstemning(
                as_of=AS_OF,
                data_dir=str(data_without_register(tmp_path)),
                out_dir=str(tmp_path / "out"),
                send=True,  # with send off, no failure mail goes to a server (test_failure.py)
                config_file=str(config),
                return_state=True,
            )
    finally:
        slow.stop()
    assert state.is_failed()
    assert [s.ended_by for s in slow.sessions] == ["client"]
    (line,) = [r for r in log.records if "Koncern IT" in r.getMessage()]
    assert line.getMessage().startswith("Fejlen kunne ikke meldes til Koncern IT")
    assert "failure_mail_deadline_seconds" in line.getMessage()
    assert line.exc_info is None  # one line, not a hook's traceback


# --- 2. a 421 ends the connection, not the next message's chances ------------------------------


class Answers421Once(Recorder):
    """Says 421 (and closes) at the first message's RCPT or DATA; then behaves."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage
        self.said_421 = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stage == "RCPT" and not self.said_421:
            self.said_421 = True
            return "421 4.7.0 For mange forbindelser, prøv igen senere"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        if self.stage == "DATA" and not self.said_421:
            self.said_421 = True
            return "421 4.3.2 Systemet lukker ned"
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_a_421_fails_only_its_own_message_and_the_next_goes_on_a_new_connection(tmp_path, stage):
    from test_reminders_mail import make_settings, night, write_register

    from kitflow.outbox import FAILED, SENT

    server = Server()
    server.handler = Answers421Once(stage)
    server.start()
    try:
        settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'l.db'}", server.port)
        _plan, result, rows = night(settings, write_register(tmp_path / "a.xlsx"), D(2021, 2, 22))
    finally:
        server.stop()
    by_message: dict[str, set[tuple[str, int]]] = {}
    for r in rows:
        by_message.setdefault(r.message_id, set()).add((r.state, r.attempts))
    first, second = (by_message[m] for m in dict.fromkeys(r.message_id for r in rows))
    assert first == {(FAILED, 1)}  # its own 421, retried later
    assert all("421" in r.last_error and r.next_attempt_at for r in rows if r.state == FAILED)
    assert second == {(SENT, 1)}  # charged nothing: sent on a fresh connection
    assert result.stopped_early is None and result.messages_sent == 1
    assert len(server.handler.messages) == 1


# --- 4. a reason of several lines --------------------------------------------------------------


@pytest.mark.flow
def test_the_failure_mail_takes_a_reason_of_several_lines(prefect_harness, tmp_path):
    from prefect import flow

    from flows.failure import fail_with_reason, mail_koncern_it
    from kitflow.core.findings import KitflowError

    server = Server().start()
    config = write_config(tmp_path, f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\n')

    @flow(name="flerlinjet", flow_run_name="flerlinjet", on_failure=[mail_koncern_it])
    @fail_with_reason
    def fails(config_file: str) -> None:
        raise KitflowError(
            "påmindelsesregistret svarer ikke: forbindelsen blev afbrudt\n"
            "\tServeren lukkede forbindelsen uventet"
        )

    try:
        state = fails(str(config), return_state=True)
    finally:
        server.stop()
    assert state.is_failed()
    (_rcpt, msg), *_ = server.handler.messages
    assert msg["Subject"] == (
        "kitflow: flerlinjet fejlede – påmindelsesregistret svarer ikke: forbindelsen blev afbrudt"
    )
    body = msg.get_body(("plain",)).get_content()
    assert "Serveren lukkede forbindelsen uventet" in body
    assert "påmindelsesregistret svarer ikke: forbindelsen blev afbrudt" in body
