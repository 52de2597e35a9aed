"""How a run fails: with the one-line reason as its state, and a mail to Koncern IT about it."""

from __future__ import annotations

import datetime as dt
import functools
import socket
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from config.settings import Settings
from kitflow.app.inputs import acquisitions_path, load_acquisitions
from kitflow.app.settings import settings_for_run
from kitflow.core.findings import KitflowError
from kitflow.mail import (
    FolderTransport,
    build_message,
    new_message_id,
    open_transport,
    outbox_folder,
)

T = TypeVar("T")


def fail_with_reason(fn: Callable[..., T]) -> Callable[..., T]:
    """Wrap a flow's function: a KitflowError ends the run Failed with just its one line.

    The UI shows the state message of a failed run; Prefect's own is "Flow run encountered an
    exception: FatalInputError: ..." above a traceback in the log and on the console. Bad input
    is not a defect: the controller needs the sentence naming the file and what to do. The
    exception still reaches the caller (`kitflow run` exits with its code), and the failure
    hooks run as for any failure. Any other exception keeps Prefect's message and traceback.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KitflowError as exc:
            return failed_with_reason(exc)

    return wrapper


def failed_with_reason(exc: KitflowError) -> Any:
    """The Failed state a flow returns to end with `exc`'s one line (see fail_with_reason)."""
    from prefect import get_run_logger
    from prefect.states import Failed

    get_run_logger().error("%s", exc)
    return Failed(message=str(exc), data=exc)


def koncern_it_address(settings: Settings) -> tuple[str, ...]:
    """`koncern_it_email`, else the address in acquisitions.xlsx's sheet "Koncern IT".

    Raises KitflowError when neither is there (the register may be the very thing that failed).
    """
    if settings.koncern_it_email:
        return (settings.koncern_it_email,)
    path = acquisitions_path(Path(settings.data_dir))
    register, _findings = load_acquisitions(path, settings.input_limits)
    if not register.koncern_it_email:
        raise KitflowError(f"{path.name}: ingen adresse i arket Koncern IT")
    return register.koncern_it_email


def failure_message(
    settings: Settings,
    *,
    to: Sequence[str],
    run_name: str,
    state_name: str,
    reason: str,
    run_url: str | None,
    now: dt.datetime,
) -> EmailMessage:
    """The mail to Koncern IT, in Danish, plain text.

    The subject carries the reason's first line (a header cannot hold a line break); the body
    the whole reason.
    """
    local = now.astimezone(ZoneInfo(settings.timezone))
    reason_lines = [line.rstrip() for line in reason.strip().splitlines()] or [state_name]
    lines = [
        f"Kørslen »{run_name}« endte som {state_name} kl. {local:%H:%M} den {local:%d.%m.%Y}.",
        "",
        "Årsag:",
        *(f"    {line}" if line else "" for line in reason_lines),
        "",
        f"Se kørslen og dens log i Prefect: {run_url}"
        if run_url
        else "Kørslens log ligger i Prefect på den maskine, der kørte den.",
        f"Datamappe: {Path(settings.data_dir).resolve()}",
        f"Kørt på: {socket.gethostname()}",
        "",
        "Rettes årsagen, kan kørslen startes igen fra Prefect (Run) eller med `kitflow run`.",
        "",
        "Sendt automatisk af kitflow",
        "",
    ]
    return build_message(
        subject=" ".join(f"kitflow: {run_name} fejlede – {reason_lines[0]}".split())[:200],
        text="\n".join(lines),
        html=None,
        mail_from=settings.mail_from,
        to=[(a, "") for a in to],
        message_id=new_message_id(settings.mail_from),
        now=now,
        timezone=settings.timezone,
    )


def send_with_retries(
    settings: Settings,
    msg: EmailMessage,
    delays: Sequence[float],
    deadline_seconds: float | None = None,
) -> None:
    """Send by SMTP (or to the outbox folder), again after each delay while the server is away.

    Everything, attempts and waits, within `deadline_seconds` (default the setting
    smtp.failure_mail_deadline_seconds): each attempt has what is left of it, at most
    smtp.deadline_seconds, and a wait that would end past it is not started. A refused address
    is final and raised at once; so is the last connection error.
    """
    total = settings.smtp.failure_mail_deadline_seconds
    if deadline_seconds is not None:
        total = deadline_seconds
    ends = time.monotonic() + total
    for delay in [*delays, None]:
        left = ends - time.monotonic()
        if left < settings.smtp.deadline_seconds:  # the failure mail's deadline comes first
            attempt = max(left, 0.01)
            label: str | None = f"smtp.failure_mail_deadline_seconds = {total:g} s"
        else:
            attempt, label = settings.smtp.deadline_seconds, None
        transport = open_transport(settings, deadline_seconds=attempt, deadline_label=label)
        try:
            refused = transport.send(msg)
        except OSError:  # smtplib's errors are OSErrors: the server is down or said 4xx
            if delay is None or time.monotonic() + delay >= ends:
                raise
            time.sleep(delay)
            continue
        finally:
            transport.close()
        if refused:
            raise KitflowError(f"mailserveren afviste {', '.join(sorted(refused))}")
        return


def run_url(flow_run_id: Any) -> str | None:
    """The run's page in the Prefect UI, when the UI's address is known."""
    from prefect.settings import get_current_settings

    ui = get_current_settings().ui_url
    return f"{ui.rstrip('/')}/runs/flow-run/{flow_run_id}" if ui else None


RETRY_DELAYS: tuple[float, ...] = (5.0, 30.0)


def mail_koncern_it(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect hook (on_failure, on_crashed): tell Koncern IT the run failed, and why.

    A run with `send` off (`kitflow run --no-send`) sends no mail at all: the failure mail is
    written to the outbox folder instead, and the log says where.
    """
    from prefect.logging.loggers import flow_run_logger

    logger = flow_run_logger(flow_run, flow)
    params = flow_run.parameters or {}
    config_file = params.get("config_file")
    settings = settings_for_run(config_file, data_dir=params.get("data_dir"))
    ok, said = tell_koncern_it(
        settings,
        run_name=flow_run.name,
        state_name=state.name,
        reason=state.message or state.name,
        run_url=run_url(flow_run.id),
        send=params.get("send") is not False,
    )
    (logger.info if ok else logger.error)("%s", said)


def tell_koncern_it(
    settings: Settings,
    *,
    run_name: str,
    state_name: str,
    reason: str,
    run_url: str | None,
    send: bool = True,
) -> tuple[bool, str]:
    """Mail Koncern IT that a run failed, without Prefect: (done, a line saying what happened).

    Used by the hook, and by `kitflow run` itself when the Prefect server is away (the hook
    then never runs). With `send` off (`--no-send`) nothing is sent: the mail is written to
    the outbox folder, and the line says where.
    """
    try:
        to = koncern_it_address(settings)
    except KitflowError as exc:
        return False, (
            "Ingen mail om fejlen til Koncern IT: koncern_it_email er ikke sat, og adressen "
            f"kunne ikke læses ({exc})"
        )
    msg = failure_message(
        settings,
        to=to,
        run_name=run_name,
        state_name=state_name,
        reason=reason,
        run_url=run_url,
        now=dt.datetime.now(dt.UTC),
    )
    if not send:
        folder = outbox_folder(settings)
        try:
            FolderTransport(folder).send(msg)
        except OSError as exc:
            return False, f"Mailen om fejlen kunne ikke lægges i udbakken {folder}: {exc}"
        return True, (
            f"Intet er sendt (--no-send): mailen om fejlen til Koncern IT ({', '.join(to)}) er "
            f"lagt i udbakken {folder}"
        )
    try:
        send_with_retries(settings, msg, RETRY_DELAYS)
    except (OSError, KitflowError) as exc:  # one line: the run has failed already
        return False, f"Fejlen kunne ikke meldes til Koncern IT ({', '.join(to)}): {exc}"
    return True, f"Fejlen er meldt til Koncern IT ({', '.join(to)})"
