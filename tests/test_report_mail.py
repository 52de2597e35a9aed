"""The report mail: the example run's reports to a real SMTP server, once; STARTTLS and TLS."""

from __future__ import annotations

import datetime as dt
import email
import logging
import shutil
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from ledger_db import KINDS, ledger_url
from mailserver import Server, self_signed, server_context
from pydantic import SecretStr

from config.settings import SmtpSettings, load_settings
from kitflow.app.publishing import write_reports
from kitflow.app.report_mail import deliver_report, find_report_folder, queue_report, report_rows
from kitflow.core.findings import FatalInputError
from kitflow.mail import ReportSummary, SmtpCertificateError, SmtpTransport, build_report_mail
from kitflow.outbox import CANCELLED, FAILED, SENT
from tests.test_bilag import example_report

AS_OF = dt.date(2020, 12, 31)
TO, CC = "oekonomi@kk.dk", "revision@kk.dk"
# Bilag 4 (2020): I alt 36.584 / 32.259 / 4.325 t.kr., as B4's Resultat sentence rounds them.
RESULTAT = (
    "samlet rådighedsbevilling på 36,6 mio. kr. og et samlet forbrug på 32,3 mio. kr. "
    "Det giver et samlet mindreforbrug på 4,3 mio. kr."
)


@pytest.fixture(scope="module")
def example_output(tmp_path_factory) -> Path:
    """The example's output folder for 2020-12-31, made as the nightly run makes it."""
    return write_reports(example_report(), tmp_path_factory.mktemp("example-out"))


@pytest.fixture
def out_root(tmp_path, example_output) -> Path:
    root = tmp_path / "out"
    shutil.copytree(example_output, root / AS_OF.isoformat())
    return root


@pytest.fixture
def smtp():
    server = Server().start()
    yield server
    server.stop()


def settings_for(tmp_path: Path, out_root: Path, smtp: SmtpSettings, db: str | None = None):
    return load_settings(
        None,
        output_dir=out_root,
        state_dir=tmp_path / "state",
        database_url=db,
        smtp=smtp,
        mail_from="Koncern IT <kitflow-noreply@kk.dk>",
        reminders={"report_recipients": [TO], "report_cc": [CC, TO]},
    )


def parts(msg) -> list[str]:
    return [p.get_content_type() for p in msg.walk()]


# --- the flow --------------------------------------------------------------------------------


@pytest.mark.flow
def test_flow_mails_workbook_and_bilag_once_with_the_resultat(
    tmp_path, out_root, smtp, monkeypatch, prefect_harness, caplog
):
    from prefect.client.orchestration import get_client

    from flows.report_mail import rapportmail

    for name, value in {
        "OUTPUT_DIR": out_root,
        "STATE_DIR": tmp_path / "state",
        "SMTP__HOST": "127.0.0.1",
        "SMTP__PORT": smtp.port,
        "REMINDERS__REPORT_RECIPIENTS": f'["{TO}"]',
        "REMINDERS__REPORT_CC": f'["{CC}"]',
    }.items():
        monkeypatch.setenv(f"KITFLOW_{name}", str(value))

    # Prefect's loggers do not propagate to the root logger caplog listens on (test_secrets.py).
    prefect_logger = logging.getLogger("prefect")
    prefect_logger.addHandler(caplog.handler)
    for name in ("", "prefect", "prefect.flow_runs"):
        caplog.set_level(logging.INFO, logger=name)
    try:
        state = rapportmail(as_of=AS_OF, return_state=True)
    finally:
        prefect_logger.removeHandler(caplog.handler)
    result = state.result()
    assert (result["recipients"], result["sent"], result["pending"]) == (2, 2, 0)
    # The run's line: the counts, then the Resultat sentence with its own full stop (it ends in
    # "mio. kr.", and a full stop after it made "kr..").
    (line,) = {r.getMessage() for r in caplog.records if r.getMessage().startswith("Rapportmail")}
    assert line == (
        "Rapportmail 2020-12-31: 2 modtagere, 2 sendt nu, 0 venter, 0 fejlet. "
        f"Anlægsregnskaberne i denne oversigt har en {RESULTAT}"
    )
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(state.state_details.flow_run_id).name == (
            "rapportmail 2020-12-31"
        )
    ((rcpt, msg),) = smtp.handler.messages
    assert sorted(rcpt) == sorted([TO, CC])
    assert (
        msg["To"] == TO and msg["Cc"] == CC and msg["Subject"] == "Anlægsregnskaber pr. 31.12.2020"
    )
    assert msg["Message-ID"].endswith("@kk.dk>") and msg["Date"] is not None
    assert msg["Date"].datetime.tzinfo is not None
    assert parts(msg)[:4] == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
    folder = out_root / "2020-12-31"
    attachments = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    assert attachments == {
        "anlaegsregnskab.xlsx": (folder / "anlaegsregnskab.xlsx").read_bytes(),
        "anlaegsregnskab.docx": (folder / "anlaegsregnskab.docx").read_bytes(),
    }
    text = msg.get_body(("plain",)).get_content()
    assert RESULTAT in text and "opgjort pr. 31.12.2020" in text
    # Past their deadline on 31.12.2020 (færdiggjort 2017, 2018, 2019): the register's three.
    assert "Over fristen for aflæggelse (3):" in text
    assert "- Styrkelse af IT-sikkerhed – AD (frist 31.12.2017)" in text
    html = msg.get_body(("html",)).get_content()
    assert RESULTAT in html and "<li>Standardisering af PC-image (frist 31.12.2018)</li>" in html

    again = rapportmail(as_of=AS_OF)
    assert (again["sent"], again["queued"], again["pending"]) == (0, 0, 0)
    assert len(smtp.handler.messages) == 1

    with pytest.raises(FatalInputError) as missing:
        rapportmail(as_of=dt.date(2021, 1, 4))
    assert str(missing.value) == (
        f"{out_root / '2021-01-04'}: mappen med rapporterne findes ikke; "
        "kør `kitflow run --as-of 2021-01-04` først"
    )
    assert len(smtp.handler.messages) == 1


@pytest.mark.flow
def test_the_mail_reports_command_writes_the_mail_to_the_outbox_folder(
    tmp_path, out_root, monkeypatch, prefect_harness
):
    """`kitflow mail-reports` as an operator runs it, with the shipped settings (no SMTP host):
    the mail is in the outbox folder, and the command says so rather than "sendt"."""
    from typer.testing import CliRunner

    from kitflow.cli import app

    monkeypatch.setenv("KITFLOW_STATE_DIR", str(tmp_path / "state"))
    outbox = tmp_path / "state" / "outbox"
    result = CliRunner().invoke(
        app, ["mail-reports", "--out", str(out_root), "--as-of", "2020-12-31"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"Rapportmail 2020-12-31 ({out_root / '2020-12-31'}): 1 modtager, 1 lagt i udbakken "
        f"{outbox} (ingen mailserver sat op), 0 venter, 0 fejlet"
    ]
    (eml,) = outbox.glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert msg["To"] == "anlaeg@example.kk.dk"
    assert msg["Subject"] == "Anlægsregnskaber pr. 31.12.2020"
    assert RESULTAT in msg.get_body(("plain",)).get_content()
    assert sorted(a.get_filename() for a in msg.iter_attachments()) == [
        "anlaegsregnskab.docx",
        "anlaegsregnskab.xlsx",
    ]


# --- the ledger ------------------------------------------------------------------------------


def test_without_an_smtp_host_the_example_config_writes_an_eml(tmp_path, out_root):
    # The shipped config/kitflow.toml names a report recipient, so the example makes a mail.
    settings = load_settings(None, output_dir=out_root, state_dir=tmp_path / "state")
    assert settings.smtp.host is None and settings.reminders.report_recipients
    keys, added, _ = queue_report(settings, out_root / "2020-12-31")
    result = deliver_report(settings, keys)
    (eml,) = (tmp_path / "state" / "outbox").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert (
        added == result.sent == len(keys) and msg["To"] == settings.reminders.report_recipients[0]
    )
    assert sorted(a.get_filename() for a in msg.iter_attachments()) == [
        "anlaegsregnskab.docx",
        "anlaegsregnskab.xlsx",
    ]
    assert deliver_report(settings, keys).sent == 0


@pytest.mark.parametrize("kind", KINDS)
def test_retried_after_backoff_refused_for_good_and_replaced_by_a_newer_report(
    tmp_path, out_root, smtp, kind
):
    with ledger_url(kind, tmp_path) as db:
        settings = settings_for(
            tmp_path, out_root, SmtpSettings(host="127.0.0.1", port=smtp.port), db
        )
        keys, added, _ = queue_report(settings, out_root / "2020-12-31")
        assert added == 2 and queue_report(settings, out_root / "2020-12-31")[1] == 0
        smtp.handler.data_reply = "451 4.3.0 Try again later"
        start = dt.datetime(2021, 1, 4, 6, 30)
        result = deliver_report(settings, keys, start)
        assert result.failed_temporarily == 2 and smtp.handler.messages == []
        rows = report_rows(settings, keys)
        assert all(r.state == FAILED and r.last_error.startswith("451") for r in rows)

        smtp.handler.data_reply = None
        smtp.handler.refuse = {CC}
        assert deliver_report(settings, keys, start + dt.timedelta(minutes=5)).sent == 0
        result = deliver_report(settings, keys, start + dt.timedelta(minutes=20))
        assert (result.sent, result.failed_permanently) == (1, 1)
        (cc_row,) = [r for r in report_rows(settings, keys) if r.recipient == CC]
        assert cc_row.next_attempt_at is None and "550" in cc_row.last_error
        assert deliver_report(settings, keys, start + dt.timedelta(days=1)).sent == 0
        assert len(smtp.handler.messages) == 1

        # A week later the server is down for the old report's retry, then a newer one comes.
        shutil.copytree(out_root / "2020-12-31", out_root / "2021-01-07")
        smtp.handler.data_reply = "451 4.3.0 Try again later"
        settings = settings.model_copy(
            update={"reminders": settings.reminders.model_copy(update={"report_cc": ["ny@kk.dk"]})}
        )
        old_keys, added, _ = queue_report(settings, out_root / "2020-12-31")
        assert added == 1  # the new Cc of the old report
        deliver_report(settings, old_keys, start + dt.timedelta(days=2))
        _, added, cancelled = queue_report(settings, out_root / "2021-01-07")
        assert (added, cancelled) == (2, 1)
        states = {r.recipient: r.state for r in report_rows(settings, old_keys)}
        assert states == {TO: SENT, "ny@kk.dk": CANCELLED}


# --- STARTTLS and TLS ------------------------------------------------------------------------


def tls_server(tmp_path: Path, mode: str, logins: list) -> tuple[Server, Path]:
    cert, key = self_signed(tmp_path)

    def authenticator(server, session, envelope, mechanism, auth_data):
        tls = server.transport.get_extra_info("ssl_object") is not None
        logins.append((auth_data.login, auth_data.password, tls))
        return AuthResult(success=tls and auth_data.password == b"tls-kodeord")

    if mode == "starttls":
        kw = {"tls_context": server_context(cert, key), "require_starttls": True}
        kw |= {"authenticator": authenticator, "auth_require_tls": True}
    else:
        # aiosmtpd's auth_require_tls knows only STARTTLS and would refuse AUTH on a connection
        # that is TLS from the start; the authenticator insists on TLS instead.
        kw = {"ssl_context": server_context(cert, key)}
        kw |= {"authenticator": authenticator, "auth_require_tls": False}
    return Server(**kw).start(), cert


def tls_settings(port: int, mode: str, ca_file: Path | None) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        security=mode,
        username="kitflow",
        password=SecretStr("tls-kodeord"),
        ca_file=ca_file,
        timeout_seconds=10,
    )


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_tls_with_login_verifies_the_server_against_the_ca_file(tmp_path, out_root, mode):
    logins: list = []
    server, cert = tls_server(tmp_path, mode, logins)
    try:
        settings = settings_for(tmp_path, out_root, tls_settings(server.port, mode, cert))
        keys, _, _ = queue_report(settings, out_root / "2020-12-31")
        result = deliver_report(settings, keys)
        assert result.sent == 2 and result.stopped_early is None
        assert logins == [(b"kitflow", b"tls-kodeord", True)]
        ((_, msg),) = server.handler.messages
        assert msg["Subject"] == "Anlægsregnskaber pr. 31.12.2020"
    finally:
        server.stop()


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_an_untrusted_certificate_sends_nothing_and_says_why(tmp_path, out_root, mode):
    logins: list = []
    server, _cert = tls_server(tmp_path, mode, logins)
    other, _ = self_signed(tmp_path, "other-ca")  # trusted, but not the server's issuer
    try:
        settings = settings_for(tmp_path, out_root, tls_settings(server.port, mode, other))
        keys, _, _ = queue_report(settings, out_root / "2020-12-31")
        result = deliver_report(settings, keys)
        assert result.sent == 0 and server.handler.messages == [] and logins == []
        assert "SMTP-serverens certifikat (127.0.0.1" in result.stopped_early
        assert (
            "kan ikke verificeres" in result.stopped_early
            and "smtp.ca_file" in result.stopped_early
        )
        rows = report_rows(settings, keys)
        assert {r.state for r in rows} == {FAILED} and all(r.next_attempt_at for r in rows)

        transport = SmtpTransport(tls_settings(server.port, mode, None), "tls-kodeord")
        with pytest.raises(SmtpCertificateError, match="KITFLOW_SMTP__CA_FILE"):
            transport.send(build_report_mail([], ReportSummary(AS_OF, "x", ()), **_ADDR))
        transport.close()
    finally:
        server.stop()


_ADDR = {
    "to": [(TO, "")],
    "mail_from": "kitflow-noreply@kk.dk",
    "message_id": "<t@kk.dk>",
    "limit_bytes": 0,
    "link_base": None,
    "now": dt.datetime(2021, 1, 4, 6, 30, tzinfo=dt.UTC),
    "timezone": "Europe/Copenhagen",
}


# --- attachments -----------------------------------------------------------------------------


def test_danish_file_names_survive_and_large_files_become_links(tmp_path, smtp):
    small = tmp_path / "anlægsregnskab – oversigt.xlsx"
    small.write_bytes(b"x" * 1000)
    large = tmp_path / "anlaegsregnskab.docx"
    large.write_bytes(b"y" * 30_000)
    msg = build_report_mail(
        [small, large],
        ReportSummary(AS_OF, "Resultat.", ()),
        **{**_ADDR, "limit_bytes": 10_000, "link_base": "https://intra.kk.dk/kitflow/"},
    )
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=smtp.port), None)
    try:
        assert transport.send(msg) == {}
    finally:
        transport.close()
    ((_, received),) = smtp.handler.messages
    (attachment,) = received.iter_attachments()
    assert attachment.get_filename() == "anlægsregnskab – oversigt.xlsx"
    assert attachment.get_content() == b"x" * 1000
    assert b"filename*=utf-8''anl%C3%A6gsregnskab" in smtp.handler.raw[0]
    text = received.get_body(("plain",)).get_content()
    assert (
        "- anlaegsregnskab.docx: https://intra.kk.dk/kitflow/2020-12-31/anlaegsregnskab.docx"
        in (text)
    )


def test_without_an_as_of_date_the_newest_folder_up_to_today_is_mailed(tmp_path, out_root):
    shutil.copytree(out_root / "2020-12-31", out_root / "2021-01-04")
    (out_root / ".2021-01-11.new-x").mkdir()  # a run still writing: not a report folder
    (out_root / "2021-01-11").mkdir()  # a later day than "today"
    assert find_report_folder(out_root, None, dt.date(2021, 1, 8)).name == "2021-01-04"
    assert find_report_folder(out_root, None, dt.date(2021, 1, 4)).name == "2021-01-04"
    with pytest.raises(FatalInputError, match="ingen mappe med rapporter her eller fra før"):
        find_report_folder(out_root, None, dt.date(2020, 12, 30))
    (out_root / "2021-01-04" / "anlaegsregnskab.docx").unlink()
    with pytest.raises(FatalInputError) as incomplete:
        find_report_folder(out_root, dt.date(2021, 1, 4), dt.date(2021, 1, 8))
    assert str(incomplete.value) == (
        f"{out_root / '2021-01-04'}: anlaegsregnskab.docx mangler i mappen; "
        "kør `kitflow run --as-of 2021-01-04` igen"
    )
