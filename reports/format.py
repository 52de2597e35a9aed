"""Danish rendering of the model's exact figures: rounding half away from zero, then Babel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.numbers import format_decimal

from kitflow.core.money import ORE_PER_MILLION, ORE_PER_THOUSAND, in_units, round_half_away

LOCALE = "da_DK"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def thousands(ore: int) -> Decimal:
    """Exact amount in 1.000 kr. (unrounded), for cells that Excel formats itself."""
    return Decimal(ore) / ORE_PER_THOUSAND


def fmt_thousands(ore: int) -> str:
    """1.000 kr. as B4 prints them: 4.483, -10."""
    return _number(in_units(ore, ORE_PER_THOUSAND), 0)


def fmt_mio(ore: int) -> str:
    """Mio. kr. with one decimal as B4's Resultat: 36,6."""
    return _number(in_units(ore, ORE_PER_MILLION, 1), 1)


def fmt_kr(ore: int) -> str:
    """Kroner with øre: 1.234.567,89."""
    return _number(Decimal(ore) / 100, 2)


def rounded_pct(pct: Decimal | None, places: int) -> Decimal | None:
    """A percentage rounded half away from zero; -0 becomes 0."""
    if pct is None:
        return None
    value = round_half_away(pct, places)
    return value if value != 0 else Decimal(0).quantize(value)


def fmt_pct(pct: Decimal | None, places: int = 1) -> str:
    """Percent the Danish way: 3,4 % (B4's tables); empty where undefined."""
    value = rounded_pct(pct, places)
    if value is None:
        return "–"
    return f"{_number(value, places)}\u00a0%"


def fmt_date(value: dt.date | None) -> str:
    """31.12.2020, as B4 writes dates."""
    return "" if value is None else value.strftime("%d.%m.%Y")


def _number(value: Decimal, places: int) -> str:
    pattern = "#,##0" + ("." + "0" * places if places else "")
    # Already rounded half away from zero; Babel only groups and places the comma.
    return format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=False)


def safe_text(value: object) -> str:
    """Text from the data, made inert for spreadsheets: a leading =, +, -, @ becomes literal."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
