"""What the steps take from the settings: typed values for the core, and today's date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from config.settings import DEFAULT_TIMEZONE, Settings, load_settings
from kitflow.core.accounts import Thresholds
from kitflow.core.bookings import BookingsOptions
from kitflow.core.findings import FatalInputError


def today(timezone: str = DEFAULT_TIMEZONE) -> dt.date:
    """Today where the municipality is: the as-of date when none is given.

    Not the machine's date: a UTC host at 00:30 in a Danish summer is still on yesterday.
    """
    return dt.datetime.now(ZoneInfo(timezone)).date()


def thresholds(settings: Settings) -> Thresholds:
    """The run's limits in øre, from the settings' kroner."""
    amount = settings.explanation_threshold_amount
    unmatched = settings.max_unmatched_amount
    return Thresholds(
        separate_account_ore=int(settings.separate_account_threshold * 100),
        explanation_pct=settings.explanation_threshold_pct,
        explanation_amount_ore=None if amount is None else int(amount * 100),
        max_quarantined_rows=settings.max_quarantined_rows,
        max_unmatched_ore=None if unmatched is None else int(unmatched * 100),
    )


def bookings_options(settings: Settings) -> BookingsOptions:
    """How exports are read: the built-in header aliases plus the configured ones."""
    return BookingsOptions(
        extra_aliases={k: tuple(v) for k, v in settings.aliases.model_dump().items()},
        cost_element_digits=settings.cost_element_art_digits,
    )


def settings_for_run(
    config_file: str | Path | None = None,
    *,
    data_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
) -> Settings:
    """The settings a run works with, loaded once; invalid ones are one line, never a dump.

    Pydantic's message would repeat the offending input, which may be a password; only the
    setting's name and the reason are shown.
    """
    try:
        return load_settings(
            Path(config_file) if config_file else None,
            data_dir=None if data_dir is None else str(data_dir),
            output_dir=None if output_dir is None else str(output_dir),
        )
    except FileNotFoundError as exc:
        raise FatalInputError(str(config_file), "the settings file does not exist") from exc
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise FatalInputError(
            str(config_file or "indstillingerne"), f"indstillingerne er ugyldige ({reasons})"
        ) from None
