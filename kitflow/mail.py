"""Mail with the standard library: digests and the report mail, sent by SMTP or to a folder."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import mimetypes
import os
import re
import smtplib
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import jinja2

from config.settings import Settings, SmtpSettings
from kitflow.core.findings import KitflowError

log = logging.getLogger(__name__)

Refused = dict[str, tuple[int, str]]


class MailConfigError(KitflowError):
    """The mail settings cannot work (e.g. a password block that does not exist)."""


# --- rendering -------------------------------------------------------------------------------

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("reports", "templates"),
    autoescape=lambda name: name is not None and name.endswith(".html.j2"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One entry of a digest, as the templates show it."""

    rule: str
    section: str
    section_title: str
    item: str
    title: str
    date_label: str
    date: str  # 31.12.2020
    days_text: str
    action: str
    note: str
    escalated: bool
    overdue_count: int

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> DigestItem:
        """From the ledger's stored payload (see kitflow.outbox)."""
        return cls(**{f: payload[f] for f in cls.__dataclass_fields__})


def _topic(items: Sequence[DigestItem]) -> str:
    if all(i.rule == "C6" for i in items):
        return "reglerne for anlægsregnskaber"
    return "forretningscirkulæret for it-anskaffelser"


def render_digest(
    items: Sequence[DigestItem], *, owner: str, kind: str, as_of: dt.date
) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of one digest, in Danish."""
    n = len(items)
    topic = _topic(items)
    if kind == "eskalering":
        noun = "overskreden frist" if n == 1 else "overskredne frister"
        subject = f"Eskalering: {n} {noun} efter {topic} ({owner})"
    else:
        noun = "opgave" if n == 1 else "opgaver"
        subject = f"Påmindelse: {n} {noun} efter {topic} ({owner})"
    context = {
        "subject": subject,
        "items": items,
        "owner": owner,
        "kind": kind,
        "topic": topic,
        "as_of": as_of.strftime("%d.%m.%Y"),
    }
    text = _ENV.get_template("reminder_digest.txt.j2").render(context)
    html = _ENV.get_template("reminder_digest.html.j2").render(context)
    return subject, text, html


# --- building --------------------------------------------------------------------------------


def _address(address: str, name: str = "") -> Address:
    return Address(display_name=name, addr_spec=address)


def mail_domain(mail_from: str) -> str:
    """The domain of the sender address, for Message-IDs."""
    return parseaddr(mail_from)[1].partition("@")[2] or "kitflow.invalid"


def new_message_id(mail_from: str) -> str:
    """A fresh Message-ID in the sender's domain, fixed when a reminder is planned."""
    return make_msgid("kitflow", domain=mail_domain(mail_from))


def build_message(
    *,
    subject: str,
    text: str,
    html: str | None,
    mail_from: str,
    to: Sequence[tuple[str, str]],
    cc: Sequence[tuple[str, str]] = (),
    message_id: str,
    now: dt.datetime,
    timezone: str,
) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) with Message-ID and Date set."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = mail_from
    msg["To"] = [_address(a, n) for a, n in to]
    if cc:
        msg["Cc"] = [_address(a, n) for a, n in cc]
    msg["Date"] = format_datetime(now.astimezone(ZoneInfo(timezone)))
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def build_digest(
    items: Sequence[DigestItem],
    *,
    owner: str,
    kind: str,
    as_of: dt.date,
    to: Sequence[tuple[str, str]],
    cc: Sequence[tuple[str, str]],
    mail_from: str,
    message_id: str,
    now: dt.datetime,
    timezone: str,
) -> EmailMessage:
    """One recipient's digest of this run: every item it is reminded of, To and Cc by role."""
    subject, text, html = render_digest(items, owner=owner, kind=kind, as_of=as_of)
    return build_message(
        subject=subject,
        text=text,
        html=html,
        mail_from=mail_from,
        to=to,
        cc=cc,
        message_id=message_id,
        now=now,
        timezone=timezone,
    )


# --- transports ------------------------------------------------------------------------------


class Transport(Protocol):
    """Somewhere a message goes: an SMTP server, or the outbox folder."""

    def send(self, msg: EmailMessage) -> Refused:
        """Deliver; return the recipients the server refused (the rest were accepted)."""
        ...

    def close(self) -> None: ...


class FolderTransport:
    """No SMTP host: each message becomes `<folder>/<Message-ID>.eml`, written whole or not at all.

    The file is named after the Message-ID, so sending the same message again replaces it.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, msg: EmailMessage) -> Refused:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(msg["Message-ID"]).strip("<>")) + ".eml"
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
            os.replace(tmp, self.folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return {}

    def close(self) -> None:
        return None


class SmtpCertificateError(OSError):
    """The server's certificate could not be verified: nothing is sent over that connection.

    An OSError, so the ledger treats it like a server that cannot be reached: the mail stays
    pending and a later run tries again (e.g. once smtp.ca_file names the right CA).
    """

    def __init__(self, smtp: SmtpSettings, cause: ssl.SSLCertVerificationError) -> None:
        reason = cause.verify_message or str(cause)
        hint = (
            f"smtp.ca_file ({smtp.ca_file}) har ikke den CA, der har udstedt det"
            if smtp.ca_file
            else "sæt smtp.ca_file (KITFLOW_SMTP__CA_FILE) til en PEM-fil med den CA, der har "
            "udstedt det"
        )
        super().__init__(
            f"SMTP-serverens certifikat ({smtp.host}:{smtp.port}) kan ikke verificeres: "
            f"{reason}; intet er sendt – {hint}"
        )


class SmtpDeadlineError(OSError):
    """The pass ran past its deadline, and its connection was cut.

    An OSError, like a server that cannot be reached: the ledger keeps the mail for a later
    run. `started` says whether the message had begun (it may have reached the server, and is
    counted as an attempt) or the deadline had passed before it (nothing of it was sent).
    """

    def __init__(self, smtp: SmtpSettings, deadline: str, *, started: bool) -> None:
        self.started = started
        super().__init__(
            f"SMTP-serveren {smtp.host}:{smtp.port} blev ikke færdig inden for fristen "
            f"({deadline}); forbindelsen er afbrudt"
        )


class _Watchdog:
    """The deadline of one transport: when it passes, the open connection is cut.

    smtplib has only a per-operation socket timeout, which a server sending a byte at a time
    never trips. The watchdog keeps a duplicate of the connection's socket, taken before any
    TLS handshake (so it is the same connection under SMTP_SSL and after STARTTLS), and shuts
    it down at the deadline: a read or write blocked on it returns at once, and smtplib raises.
    """

    def __init__(self, seconds: float) -> None:
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def passed(self) -> bool:
        return self._fired or time.monotonic() >= self._ends

    def left(self) -> float:
        return max(self._ends - time.monotonic(), 0.0)

    def watch(self, sock: socket.socket) -> None:
        """Cut this connection at the deadline (the one before it is over: let it go)."""
        dup = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            self._release()
            self._socket = dup
            if self._fired:
                self._cut()

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            self._cut()

    def _cut(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):  # already closed by the server or by smtplib
                self._socket.shutdown(socket.SHUT_RDWR)

    def _release(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._release()


class _WatchedSMTP(smtplib.SMTP):
    """smtplib.SMTP whose connection a watchdog can cut; connecting waits no longer than it."""

    def __init__(self, watchdog: _Watchdog, host: str, port: int, *, timeout: float) -> None:
        self.watchdog = watchdog
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, min(timeout, max(self.watchdog.left(), 0.01)))
        self.watchdog.watch(sock)
        return sock


class _WatchedSMTPSSL(smtplib.SMTP_SSL, _WatchedSMTP):
    """The same over TLS from the start: the raw socket is watched before the handshake."""

    def __init__(
        self,
        watchdog: _Watchdog,
        host: str,
        port: int,
        *,
        timeout: float,
        context: ssl.SSLContext | None,
    ) -> None:
        self.watchdog = watchdog
        smtplib.SMTP_SSL.__init__(self, host, port, timeout=timeout, context=context)


class SmtpTransport:
    """One SMTP pass, its connection opened on the first message: none, STARTTLS or TLS.

    The pass has a deadline (`smtp.deadline_seconds`, counted from the first message):
    connecting, login, every message and QUIT. When the server ends the connection after a
    message (smtplib closes it on a 421), the next message gets a new connection.
    """

    def __init__(
        self,
        smtp: SmtpSettings,
        password: str | None,
        *,
        deadline_seconds: float | None = None,
        deadline_label: str | None = None,
    ) -> None:
        if not smtp.host:
            raise MailConfigError("SMTP-transporten kræver en host (smtp.host)")
        self._settings = smtp
        self._password = password
        self._deadline = smtp.deadline_seconds if deadline_seconds is None else deadline_seconds
        self._deadline_label = deadline_label or f"smtp.deadline_seconds = {self._deadline:g} s"
        self._watchdog: _Watchdog | None = None
        self._conn: smtplib.SMTP | None = None
        # Built now, so that an unreadable CA file stops the run before any mail is claimed.
        self._ssl = self._context() if smtp.security != "none" else None

    def __repr__(self) -> str:  # never show the password, not even in a traceback's locals
        return f"SmtpTransport({self._settings.host}:{self._settings.port})"

    def _context(self) -> ssl.SSLContext:
        """Certificate and host name verified; trusted: the system's CAs plus `ca_file`."""
        context = ssl.create_default_context()
        if self._settings.ca_file is not None:
            try:
                context.load_verify_locations(cafile=str(self._settings.ca_file))
            except (OSError, ssl.SSLError) as exc:
                raise MailConfigError(
                    f"CA-filen {self._settings.ca_file} (smtp.ca_file) kan ikke læses: {exc}"
                ) from exc
        return context

    def _connect(self, watchdog: _Watchdog) -> smtplib.SMTP:
        s = self._settings
        assert s.host is not None
        context = self._ssl
        conn: smtplib.SMTP
        try:
            if s.security == "tls":
                conn = _WatchedSMTPSSL(
                    watchdog, s.host, s.port, timeout=s.timeout_seconds, context=context
                )
            else:
                conn = _WatchedSMTP(watchdog, s.host, s.port, timeout=s.timeout_seconds)
        except ssl.SSLCertVerificationError as exc:
            raise SmtpCertificateError(s, exc) from exc
        try:
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if s.username:
                if s.security == "none":
                    log.warning(
                        "Logger ind på %s:%s uden kryptering (smtp.security = none): "
                        "kodeordet sendes i klartekst",
                        s.host,
                        s.port,
                    )
                conn.login(s.username, self._password or "")
        except ssl.SSLCertVerificationError as exc:
            conn.close()
            raise SmtpCertificateError(s, exc) from exc
        except BaseException:
            conn.close()
            raise
        log.info("Forbundet til SMTP-serveren %s:%s (%s)", s.host, s.port, s.security)
        return conn

    def _deadline_error(self, *, started: bool) -> SmtpDeadlineError:
        return SmtpDeadlineError(self._settings, self._deadline_label, started=started)

    def send(self, msg: EmailMessage) -> Refused:
        if self._watchdog is None:
            self._watchdog = _Watchdog(self._deadline)
        elif self._watchdog.passed:
            raise self._deadline_error(started=False)
        try:
            if self._conn is not None and self._conn.sock is None:
                self._conn = None  # the server ended it after the last message (a 421)
            if self._conn is None:
                self._conn = self._connect(self._watchdog)
            refused = self._conn.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            if self._watchdog.passed and not isinstance(exc, SmtpDeadlineError):
                raise self._deadline_error(started=True) from exc
            raise
        return {a: (code, resp.decode("utf-8", "replace")) for a, (code, resp) in refused.items()}

    def close(self) -> None:
        try:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                try:
                    conn.quit()  # within the deadline, like the rest of the pass
                except (smtplib.SMTPException, OSError):
                    conn.close()  # the server went away; the socket is all there is to close
        finally:
            if self._watchdog is not None:
                self._watchdog.close()


def resolve_password(smtp: SmtpSettings) -> str | None:
    """The SMTP password: from the settings (environment), else from a Prefect Secret block."""
    if smtp.password is not None:
        return smtp.password.get_secret_value()
    if smtp.password_block:
        from prefect.blocks.system import Secret

        try:
            secret = Secret.load(smtp.password_block)
        except ValueError as exc:
            raise MailConfigError(
                f'Prefect Secret-blokken "{smtp.password_block}" (smtp.password_block) findes ikke'
            ) from exc
        return str(secret.get())
    return None


def outbox_folder(settings: Settings) -> Path:
    """Where mail goes without an SMTP host: `<state_dir>/outbox`."""
    return Path(settings.state_dir) / "outbox"


def open_transport(
    settings: Settings,
    *,
    deadline_seconds: float | None = None,
    deadline_label: str | None = None,
) -> Transport:
    """SMTP when a host is set, else the outbox folder.

    The SMTP pass has `smtp.deadline_seconds`, or `deadline_seconds` (with the words that say
    where it comes from, for the message when it passes).
    """
    if settings.smtp.host:
        return SmtpTransport(
            settings.smtp,
            resolve_password(settings.smtp),
            deadline_seconds=deadline_seconds,
            deadline_label=deadline_label,
        )
    return FolderTransport(outbox_folder(settings))


# --- the report mail -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What the report mail says about the run, read from its finished output folder."""

    as_of: dt.date
    resultat: str  # B4's Resultat sentence, as the workbook states it
    overdue: tuple[tuple[str, str], ...]  # (project, deadline 31.12.2020) past the deadline


# What each attached file is, for the body; other files are listed by name alone.
REPORT_FILE_TEXT = {
    "anlaegsregnskab.xlsx": "oversigt og ét ark pr. projekt (Excel)",
    "anlaegsregnskab.docx": "Bilag 4 til udvalget (Word)",
}


def split_attachments(
    files: Sequence[Path], *, as_of: dt.date, limit_bytes: int, link_base: str | None
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(attached, linked): files attached while the total stays under the limit, else linked.

    A link is `<link_base>/<as-of>/<file name>` when a link base is set (a share or intranet
    address where the output folder is published), else the file's own path as a file: URI.
    """
    attached: list[Path] = []
    linked: list[tuple[Path, str]] = []
    total = 0
    for path in files:
        size = path.stat().st_size
        if total + size <= limit_bytes:
            attached.append(path)
            total += size
        elif link_base:
            linked.append((path, f"{link_base.rstrip('/')}/{as_of.isoformat()}/{path.name}"))
        else:
            linked.append((path, path.resolve().as_uri()))
    return attached, linked


def build_report_mail(
    files: Sequence[Path],
    summary: ReportSummary,
    *,
    to: Sequence[tuple[str, str]],
    cc: Sequence[tuple[str, str]] = (),
    mail_from: str,
    message_id: str,
    limit_bytes: int,
    link_base: str | None,
    now: dt.datetime,
    timezone: str,
) -> EmailMessage:
    """The run's workbook and bilag with a short Danish summary; too large files as links."""
    attached, linked = split_attachments(
        files, as_of=summary.as_of, limit_bytes=limit_bytes, link_base=link_base
    )
    day = summary.as_of.strftime("%d.%m.%Y")
    context = {
        "subject": f"Anlægsregnskaber pr. {day}",
        "as_of": day,
        "resultat": summary.resultat,
        "overdue": summary.overdue,
        "attached": [(p.name, REPORT_FILE_TEXT.get(p.name, "")) for p in attached],
        "linked": [(p.name, url) for p, url in linked],
    }
    msg = build_message(
        subject=context["subject"],
        text=_ENV.get_template("report_mail.txt.j2").render(context),
        html=_ENV.get_template("report_mail.html.j2").render(context),
        mail_from=mail_from,
        to=to,
        cc=cc,
        message_id=message_id,
        now=now,
        timezone=timezone,
    )
    for path in attached:
        ctype, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
        # The stdlib encodes a non-ASCII name per RFC 2231 (filename*=utf-8''...).
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return msg
