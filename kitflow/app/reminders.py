"""The reminders' steps: plan C1–C6, record the plan in the ledger, send, read the states back."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from config.settings import Settings, user_state_dir
from kitflow.app.reminder_policy import reminder_policy
from kitflow.core.acquisitions import AcquisitionsRegister
from kitflow.core.handover import accounts_from_json, accounts_to_json
from kitflow.core.ledger import LedgerRow
from kitflow.core.obligations import AccountDue, Plan, plan_reminders
from kitflow.lock import folder_key
from kitflow.mail import open_transport
from kitflow.outbox import DeliveryResult, RecordResult, open_ledger, reminder_keys, shown_url
from kitflow.outbox.served import note_ledger
from kitflow.publish import write_text_atomic


def plan(
    settings: Settings,
    register: AcquisitionsRegister | None,
    as_of: dt.date,
    accounts: Sequence[AccountDue] | None,
) -> Plan:
    """Every reminder due on `as_of` (C1–C5 from the register, C6 from the accounts)."""
    return plan_reminders(register, as_of, reminder_policy(settings.reminders), accounts)


def record(settings: Settings, plan: Plan, now: dt.datetime | None = None) -> RecordResult:
    """Write the plan into the ledger (idempotent: a rerun of the same day changes nothing)."""
    with open_ledger(settings) as ledger:
        return ledger.record(plan, now)


def deliver(settings: Settings, plan: Plan, now: dt.datetime | None = None) -> DeliveryResult:
    """Send what the ledger holds due for today's plan: by SMTP, or to the outbox folder."""
    with open_ledger(settings) as ledger, closing(open_transport(settings)) as transport:
        return ledger.deliver(
            transport, timezone=settings.timezone, keys=reminder_keys(plan), now=now
        )


def ledger_rows(settings: Settings, plan: Plan) -> list[LedgerRow]:
    """The ledger's rows for today's plan, with their delivery state."""
    with open_ledger(settings) as ledger:
        return ledger.rows(reminder_keys(plan))


def ledger_warning(
    settings: Settings, data_dir: Path, now: dt.datetime | None = None
) -> str | None:
    """A warning when this run's reminder ledger has never served `data_dir` while another
    ledger has (its reminders would go out again); None when all is well. Notes the ledger
    against the data folder for the runs after it (kitflow.outbox.served)."""
    ledger = shown_url(settings.effective_database_url)
    data = Path(data_dir).resolve()
    served = note_ledger(user_state_dir(), data, ledger, now or dt.datetime.now().astimezone())
    if served.seen_before:
        return None
    same = (
        "Brug det samme register ved hver kørsel på datamappen: indstillingen state_dir "
        "(KITFLOW_STATE_DIR) eller database_url (KITFLOW_DATABASE_URL)"
    )
    if served.others:
        other, last = max(served.others.items(), key=lambda kv: kv[1])
        with contextlib.suppress(ValueError):
            last = f"{dt.datetime.fromisoformat(last):%d.%m.%Y kl. %H:%M}"
        return (
            f"påmindelsesregistret {ledger} har aldrig kørt for datamappen {data}, men det har "
            f"{other} (senest {last}): påmindelser, som det har sendt, kan blive sendt igen "
            f"herfra. {same}"
        )
    # kitflow kept its state in ./state once, wherever it was started: a ledger left there.
    legacy = Path("state") / "kitflow.db"
    if settings.database_url is None and legacy.is_file():
        old = f"sqlite:///{legacy.resolve()}"
        if old != ledger:
            return (
                f"påmindelsesregistret {ledger} har aldrig kørt for datamappen {data}, men i "
                f"{legacy.resolve().parent} ligger et fra en ældre kitflow, der gemte sin tilstand "
                "i mappen state, hvor den blev startet: påmindelser, som det har sendt, kan blive "
                f"sendt igen herfra. Flyt den mappes indhold til {settings.state_dir}, eller peg "
                "på den med KITFLOW_STATE_DIR"
            )
    return None


def handover_path(state_dir: Path, data_dir: Path) -> Path:
    """Where the nightly run leaves C6's accounts for the morning reminders, per data folder."""
    return Path(state_dir) / "afstemning" / f"c6-{folder_key(data_dir)[:12]}.json"


def save_accounts(
    state_dir: Path, data_dir: Path, as_of: dt.date, accounts: Sequence[AccountDue]
) -> Path:
    """Leave the nightly run's accounts due for the reminders run that has no report of its own."""
    path = handover_path(state_dir, data_dir)
    write_text_atomic(path, accounts_to_json(as_of, accounts))
    return path


def load_accounts(state_dir: Path, data_dir: Path) -> tuple[dt.date | None, list[AccountDue], str]:
    """The latest nightly run's accounts due (its as-of, the accounts) and a line saying so.

    No file, or one that cannot be read, gives no accounts and a line saying why: C6 is then
    left out of this run and its pending reminders wait for a run that has them.
    """
    path = handover_path(state_dir, data_dir)
    if not path.is_file():
        said = f"C6 er ikke med: ingen afstemning har kørt på {data_dir} endnu ({path} findes ikke)"
        return None, [], said
    try:
        as_of, accounts = accounts_from_json(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        said = f"C6 er ikke med: {path} kan ikke læses ({exc}); den skrives ved næste afstemning"
        return None, [], said
    return (
        as_of,
        accounts,
        f"C6: {len(accounts)} anlægsregnskaber fra afstemningen {as_of:%d.%m.%Y}",
    )
