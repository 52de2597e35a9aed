"""Money as integer øre: exact sums, rounding half away from zero only when rendering."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ORE_PER_KR = 100
ORE_PER_THOUSAND = 100_000
ORE_PER_MILLION = 100_000_000


def to_kr(ore: int) -> Decimal:
    """Øre as exact Decimal kroner."""
    return Decimal(ore) / ORE_PER_KR


def round_half_away(value: Decimal, places: int = 0) -> Decimal:
    """Round half away from zero (Decimal's ROUND_HALF_UP is exactly that), never banker's."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def in_units(ore: int, unit_ore: int, places: int = 0) -> Decimal:
    """Øre in a display unit (1.000 kr., mio. kr.), rounded half away from zero."""
    return round_half_away(Decimal(ore) / unit_ore, places)


def kr_text(ore: int) -> str:
    """Øre as Danish kroner for messages: -1.234,56 kr."""
    sign = "-" if ore < 0 else ""
    whole, frac = divmod(abs(ore), ORE_PER_KR)
    return f"{sign}{whole:,}".replace(",", ".") + f",{frac:02d} kr."


def kr_csv(ore: int) -> str:
    """Øre as kroner for CSV files other programs read: 1234.56 (dot, no separators)."""
    sign = "-" if ore < 0 else ""
    whole, frac = divmod(abs(ore), ORE_PER_KR)
    return f"{sign}{whole}.{frac:02d}"
