"""Sending from the ledger: claim a message's rows, build and send it, mark them sent or failed."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import smtplib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update

from kitflow.core.ledger import FAILED, PLANNED, SENDING, SENT, Key
from kitflow.mail import DigestItem, SmtpDeadlineError, Transport, build_digest
from kitflow.outbox.schema import REPORT_RULE, LedgerBase, outbox, utc_now

# The package's logger, as before the split: the records keep their name.
log = logging.getLogger("kitflow.outbox")

# Makes the message of one claimed group of rows (same Message-ID); the second argument is
# the time to stamp as its Date (naive UTC).
MessageBuilder = Callable[[Sequence[Any], dt.datetime], EmailMessage]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one delivery pass did, counted in reminder rows (one per recipient)."""

    messages_sent: int
    sent: int
    failed_temporarily: int
    failed_permanently: int
    stopped_early: str | None  # the connection error that ended the pass, if one did


class Delivery(LedgerBase):
    """The Outbox's sending side: every due message claimed, sent once, and its outcome kept."""

    def _backoff(self, attempts: int) -> dt.timedelta:
        minutes = self.settings.retry_base_minutes * 2 ** max(attempts - 1, 0)
        return min(dt.timedelta(minutes=minutes), dt.timedelta(hours=self.settings.retry_max_hours))

    def deliver(
        self,
        transport: Transport,
        *,
        timezone: str,
        keys: Iterable[Key] | None = None,
        now: dt.datetime | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        build: MessageBuilder | None = None,
    ) -> DeliveryResult:
        """Send every digest that has a row due for sending, each claimed before it is sent.

        `build` makes a message from its rows; without one, the reminder digest is built and
        the report mail's rows are left to the report flow, which passes its own builder.

        `keys` limits the pass to today's plan (rows of rules the run did not plan stay as
        they are); `now` decides eligibility (backoff, lease) and `clock` stamps the Date.
        A connection-level failure (server down, login refused, the transport's deadline)
        ends the pass: the digests not yet tried stay planned, and the run reports them as
        pending. A digest claimed after the deadline had already passed was not tried at all:
        it is given back as planned, its attempt not counted.
        """
        now = now or utc_now()
        wanted = set(keys) if keys is not None else None
        with self.engine.connect() as conn:
            candidates = conn.execute(
                select(
                    outbox.c.message_id,
                    outbox.c.rule,
                    outbox.c.item,
                    outbox.c.milestone,
                    outbox.c.recipient,
                )
                .where(self._unheld(now, retry_due=True))
                .order_by(outbox.c.id)
            ).all()
        message_ids: list[str] = []
        if build is None:
            build = functools.partial(self._build, timezone=timezone)
            candidates = [c for c in candidates if c.rule != REPORT_RULE]
        for c in candidates:
            if wanted is not None and (c.rule, c.item, c.milestone, c.recipient) not in wanted:
                continue
            if c.message_id not in message_ids:
                message_ids.append(c.message_id)

        messages = sent = temporary = permanent = 0
        stopped: str | None = None
        for message_id in message_ids:
            rows = self._claim(message_id, now)
            if not rows:
                continue  # another run has it
            try:
                msg = build(rows, clock())
            except Exception as exc:
                # Not left "sending" until the lease runs out: failed, retried after the backoff.
                self._fail(rows, _Outcome(f"{type(exc).__name__}: {exc}", True, False), now)
                raise
            try:
                refused = transport.send(msg)
            except SmtpDeadlineError as exc:
                if exc.started:
                    t, p = self._fail(rows, _Outcome(str(exc), True, True), now)
                    temporary, permanent = temporary + t, permanent + p
                else:
                    self._release(rows, now)
                log.warning("Mail %s blev ikke sendt: %s", message_id, exc)
                stopped = str(exc)
                break
            except (smtplib.SMTPException, OSError) as exc:
                outcome = _classify(exc)
                t, p = self._fail(rows, outcome, now)
                temporary, permanent = temporary + t, permanent + p
                log.warning("Mail %s blev ikke sendt: %s", message_id, outcome.text)
                if outcome.connection:
                    stopped = outcome.text
                    break
                continue
            ok = [r for r in rows if r.recipient not in refused]
            self._mark_sent(ok, now)
            sent += len(ok)
            messages += 1 if ok else 0
            for address, (code, text) in refused.items():
                outcome = _Outcome(f"{code} {text}", temporary=400 <= code < 500, connection=False)
                t, p = self._fail([r for r in rows if r.recipient == address], outcome, now)
                temporary, permanent = temporary + t, permanent + p
        return DeliveryResult(messages, sent, temporary, permanent, stopped)

    def _claim(self, message_id: str, now: dt.datetime) -> list[Any]:
        token = uuid.uuid4().hex
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.message_id == message_id, self._unheld(now, retry_due=True))
                .values(
                    state=SENDING,
                    claim_token=token,
                    claimed_at=now,
                    attempts=outbox.c.attempts + 1,
                )
            )
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(outbox).where(outbox.c.claim_token == token).order_by(outbox.c.id)
                ).all()
            )

    def _build(self, rows: Sequence[Any], now: dt.datetime, *, timezone: str) -> EmailMessage:
        items: dict[tuple[str, str, str], DigestItem] = {}
        payloads = []
        for r in rows:
            payload = json.loads(r.payload)
            payloads.append(payload)
            items.setdefault((r.rule, r.item, r.milestone), DigestItem.from_payload(payload))
        first = payloads[0]
        to, cc = addressees(rows)
        return build_digest(
            list(items.values()),
            owner=first["owner"],
            kind=first["kind"],
            as_of=max(r.as_of for r in rows),
            to=to,
            cc=cc,
            mail_from=self.mail_from,
            message_id=rows[0].message_id,
            now=now.replace(tzinfo=dt.UTC),
            timezone=timezone,
        )

    def _mark_sent(self, rows: Sequence[Any], now: dt.datetime) -> None:
        if not rows:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(
                    outbox.c.id.in_([r.id for r in rows]),
                    outbox.c.claim_token == rows[0].claim_token,
                )
                .values(state=SENT, sent_at=now, last_error=None, next_attempt_at=None)
            )

    def _release(self, rows: Sequence[Any], now: dt.datetime) -> None:
        """Give claimed rows back untried, the claim's attempt not counted.

        A row never tried before is planned again; one tried before is failed as it was, its
        retry due at once (so its digest keeps the content it was first sent with).
        """
        with self.engine.begin() as conn:
            for r in rows:
                before = r.attempts - 1
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == r.id, outbox.c.claim_token == r.claim_token)
                    .values(
                        state=PLANNED if before == 0 else FAILED,
                        attempts=before,
                        claim_token=None,
                        claimed_at=None,
                        next_attempt_at=None if before == 0 else now,
                    )
                )

    def _fail(self, rows: Sequence[Any], outcome: _Outcome, now: dt.datetime) -> tuple[int, int]:
        """Mark rows failed; returns (temporarily, permanently) failed counts."""
        temporary = permanent = 0
        with self.engine.begin() as conn:
            for r in rows:
                retry = outcome.temporary and r.attempts < self.settings.max_attempts
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == r.id, outbox.c.claim_token == r.claim_token)
                    .values(
                        state=FAILED,
                        last_error=outcome.text[:2000],
                        next_attempt_at=now + self._backoff(r.attempts) if retry else None,
                    )
                )
                if retry:
                    temporary += 1
                else:
                    permanent += 1
        return temporary, permanent


@dataclass(frozen=True, slots=True)
class _Outcome:
    text: str
    temporary: bool
    connection: bool  # the server or the login failed: the next digest would fail the same way


def _classify(exc: BaseException) -> _Outcome:
    """What an SMTP failure means for the rows: retry later or never, and whether to stop."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(
            f"{a}: {code} {resp.decode('utf-8', 'replace') if isinstance(resp, bytes) else resp}"
            for a, (code, resp) in exc.recipients.items()
        )
        return _Outcome(text, temporary=any(400 <= c < 500 for c in codes), connection=False)
    if isinstance(exc, smtplib.SMTPDataError):
        text = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
        return _Outcome(text, temporary=not 500 <= exc.smtp_code < 600, connection=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        # Sender refused, HELO, AUTH: settings or the server, not this message; retry later.
        text = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
        return _Outcome(text, temporary=True, connection=True)
    return _Outcome(f"{type(exc).__name__}: {exc}", temporary=True, connection=True)


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def addressees(rows: Sequence[Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(To, Cc) of a claimed message as (address, name) pairs, each address once."""
    to = _unique((r.recipient, r.recipient_name) for r in rows if r.header == "to")
    cc = _unique((r.recipient, r.recipient_name) for r in rows if r.header == "cc")
    if not to:  # only copies left to (re)send: they go as To, still the same message
        to, cc = cc, []
    return to, cc


def _unique(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for address, name in pairs:
        seen.setdefault(address.lower(), (address, name))
    return list(seen.values())
