"""When the mail server misbehaves, the night's reports are still published and the run ends.

Real parts on loopback: a trickling SMTP server (tests/faults.py) that never trips a socket
timeout, aiosmtpd servers that answer 421 or take the failure mail, the real nightly flow under
the Prefect harness, a real SQLite ledger.
"""

from __future__ import annotations

import datetime as dt

import pytest
from mailserver import Recorder, Server

D = dt.date


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
