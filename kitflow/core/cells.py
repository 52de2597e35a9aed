"""Parsers for single cells of untidy exports: amounts to integer øre, dates, project numbers.

Each parser has a scalar form (raising `CellError` with a Danish message a controller
understands) and a vectorised form over a pandas Series that takes the fast path for the
common shapes and falls back to the scalar form for the rest, so both always agree.
It is one module, past the usual size, on purpose: the two forms of each parser are read and
changed together, and the property tests hold them to each other.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class CellError(ValueError):
    """A cell that cannot be read; the message names the value and what is wrong."""


# --- amounts -------------------------------------------------------------------------------

# Danish text: thousands "." (or space), decimal ","; also a plain dot decimal with 1-2 digits.
_DANISH = re.compile(r"^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$")
_DOT_DECIMAL = re.compile(r"^(\d+)\.(\d{1,2})$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_FLOAT_NOISE = 1e-4  # in øre: Excel arithmetic leaves ~1e-9 kr. of noise, never 1/10,000 øre
# Above ~5 mia. kr. one step of a double times 100 is itself more than _FLOAT_NOISE øre
# (8635734436.03 * 100 is 863573443603.0001), so the tolerance is also a few such steps.
_FLOAT_ULPS = 4


def is_blank(value: object) -> bool:
    """An empty cell, however the reader gave it: None, NaN or only white space."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# No single booking comes near 10 mia. kr. (the municipality's whole budget is about 60), and
# the bound keeps a million bookings' sum inside int64 (10^6 x 10^12 øre < 9.2 x 10^18), so a
# sum can never wrap around silently. A cell beyond it is quarantined like any bad cell.
MAX_ABS_ORE = 10**12
_MAX_WHOLE_DIGITS = 10  # kroner digits of text the vectorised path takes; longer goes scalar


def parse_amount(value: object) -> int:
    """An amount cell (number or Danish text) as integer øre; raises CellError otherwise."""
    ore = _parse_amount(value)
    if abs(ore) > MAX_ABS_ORE:
        raise CellError(f'beløb "{_short(value)}" er over 10 mia. kr.; tjek cellen i eksporten')
    return ore


def _parse_amount(value: object) -> int:
    if is_blank(value):
        raise CellError("beløb mangler")
    if isinstance(value, bool):
        raise CellError(f'beløb "{value}" er ikke et tal')
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        return _float_to_ore(value)
    if isinstance(value, Decimal):
        return _decimal_to_ore(value, str(value))
    if not isinstance(value, str):
        raise CellError(f'beløb "{_short(value)}" er ikke et tal')
    return _text_to_ore(value)


def _float_to_ore(value: float) -> int:
    if not math.isfinite(value):
        raise CellError(f'beløb "{value}" er ikke et tal')
    scaled = value * 100
    ore = round(scaled)
    if abs(scaled - ore) > max(_FLOAT_NOISE, _FLOAT_ULPS * math.ulp(scaled)):
        raise CellError(f'beløb "{value!r}" har brøkdele af en øre')
    return int(ore)


def _decimal_to_ore(value: Decimal, original: str) -> int:
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise CellError(f'beløb "{_short(original)}" har brøkdele af en øre')
    return int(scaled)


def _text_to_ore(text: str) -> int:
    original = text
    s = _SPACES.sub("", text).replace("\u2212", "-")
    s = re.sub(r"(?i)^(dkk|kr\.?)|(dkk|kr\.?)$", "", s)
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-"):  # SAP's trailing minus: 1.234,56-
        negative, s = not negative, s[:-1]
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    if (m := _DANISH.match(s)) is not None:
        whole, frac = m.group(1).replace(".", ""), m.group(2) or ""
    elif (m := _DOT_DECIMAL.match(s)) is not None:
        whole, frac = m.group(1), m.group(2)
    else:
        raise CellError(f'beløb "{_short(original)}" er ikke et tal')
    if len(frac) > 2:
        if frac[2:].strip("0"):
            raise CellError(f'beløb "{_short(original)}" har brøkdele af en øre')
        frac = frac[:2]
    ore = int(whole) * 100 + int(frac.ljust(2, "0"))
    return -ore if negative else ore


def is_text_series(values: pd.Series) -> bool:
    """A column read as text (Arrow-backed or pandas str), not as Python objects."""
    return values.dtype != object and pd.api.types.is_string_dtype(values.dtype)


def blank_mask(values: pd.Series) -> np.ndarray:
    """`is_blank` per cell, vectorised for typed columns."""
    if values.dtype == object:
        # Text cells inline (CSV columns are all text): the same test as is_blank, per cell.
        obj = values.to_numpy(dtype=object)
        return np.fromiter(
            (not v.strip() if type(v) is str else is_blank(v) for v in obj),
            dtype=bool,
            count=len(obj),
        )
    if is_text_series(values):
        return (values.isna() | (values.str.strip() == "")).to_numpy(dtype=bool, na_value=True)
    return values.isna().to_numpy(dtype=bool)


def key_texts(values: pd.Series) -> pd.Series:
    """`key_text` per cell as a text column (pandas str, Arrow-backed), vectorised for types.

    Text read as text stays in Arrow: turning it into Python strings and back cost more than
    the parsing itself.
    """
    n = len(values)
    if is_text_series(values):
        return pd.Series(values.str.strip().fillna("").array)
    if pd.api.types.is_float_dtype(values.dtype):
        f = values.to_numpy(dtype=np.float64)
        nan = np.isnan(f)
        whole = ~nan & (np.abs(f) < 2.0**62)
        whole[whole] = f[whole] == np.floor(f[whole])
        # Whole numbers (document and line numbers) as digits, in Arrow; blank is "".
        digits = pc.cast(pa.array(np.where(whole, f, 0).astype(np.int64)), pa.large_string())
        text = pc.if_else(pa.array(whole), digits, pa.scalar("", pa.large_string()))
        rest = np.flatnonzero(~nan & ~whole)
        if rest.size:
            out = text.to_numpy(zero_copy_only=False).astype(object)
            out[rest] = [key_text(float(v)) for v in f[rest]]
            return pd.Series(out, dtype="str")
        return text_column(text)
    # key_text of a text cell is the text stripped (a blank one strips to ""), inlined here.
    obj = values.to_numpy(dtype=object)
    out = np.empty(n, dtype=object)
    out[:] = [v.strip() if type(v) is str else key_text(v) for v in obj]
    return pd.Series(out, dtype="str")


_NUMBER_TEXT = r"^-?\d+(?:\.\d+)?$"


# Text that reads differently as a number cell: amounts with three or more decimals ("1.234"
# is 1.234 kr. as text, 1,234 kr. as a number) and dates of digits only (an Excel serial).
AMOUNT_AMBIGUOUS = r"^-?\d+\.\d{3,}$"
DATE_AMBIGUOUS = _NUMBER_TEXT


def has_ambiguous_text(values: pd.Series, ambiguous: str) -> bool:
    """Whether a text column holds text for which `numbers` will be asked (see below)."""
    if not is_text_series(values):
        return False
    return bool(pc.any(pc.match_substring_regex(arrow_text(values), ambiguous)).as_py())


def _numbers_as_floats(
    texts: pd.Series, numbers: Callable[[], np.ndarray] | None, ambiguous: str
) -> np.ndarray:
    """Positions of a mixed column whose text came from a number cell, where that matters.

    Only text that reads differently as a number is looked up (`ambiguous`), since knowing
    which cells were numbers costs the reader a second pass over the file.
    """
    if numbers is None:
        return np.zeros(len(texts), dtype=bool)
    # Number cells read as text are ASCII, which is all RE2's \d matches.
    matched = pc.match_substring_regex(arrow_text(texts), ambiguous)
    maybe = pc.fill_null(matched, False).to_numpy(zero_copy_only=False)
    if not maybe.any():
        return maybe
    return maybe & numbers()


# The common shapes of Danish amount text, for Arrow's regular expressions (RE2, whose \d and
# \s are ASCII only, so whatever they match the scalar parser reads the same way): an optional
# leading minus, "(", the number, ")", trailing minus; at most one sign marker is allowed here.
_AMOUNT_BLANKS = r"[ \t\n\r\x0b\x0c\x{00a0}\x{202f}']"
_AMOUNT_SHAPES = (
    # 1.234.567,89 or 1234567,89 (Danish thousands point, decimal comma); at most 15 digits
    r"^(?P<lead>-?)(?P<open>\(?)(?P<whole>\d{1,3}(?:\.\d{3}){1,4}|\d{1,15})"
    r"(?:,(?P<frac>\d{1,2}))?(?P<close>\)?)(?P<trail>-?)$",
    # 1234.5 (a dot decimal with one or two digits)
    r"^(?P<lead>-?)(?P<open>\(?)(?P<whole>\d{1,15})\.(?P<frac>\d{1,2})(?P<close>\)?)(?P<trail>-?)$",
)


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default text dtype, "str"


def text_column(array: pa.Array) -> pd.Series:
    """An Arrow string array as pandas' default text column (str), without copying it."""
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(array, dtype=_STR))


# The shapes nearly all amount text has, with how many øre one unit of its digits is. Each is
# a subset of `_AMOUNT_SHAPES` with at most `_MAX_WHOLE_DIGITS` kroner digits, so it reads as
# there and as in `parse_amount`.
_AMOUNT_PLAIN = (
    (r"^-?\d{1,10}$", 100),  # whole kroner
    (r"^-?\d{1,10}\.\d\d$", 1),  # a point and øre
    (r"^-?\d{1,10}\.\d$", 10),  # a point and tenths
)


def arrow_text(texts: pd.Series) -> pa.Array:
    """A text column as an Arrow string array (zero-copy for Arrow-backed pandas text)."""
    if texts.dtype == object:
        return pa.array(texts.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    array = pa.array(texts)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _matches(
    texts: pa.Array, pattern: str, where: np.ndarray | None = None
) -> tuple[np.ndarray, pa.StructArray]:
    """Positions where `pattern` matches (among `where`), and its named groups there.

    RE2 answers "does it match" far faster than it extracts groups, so the groups are
    extracted only from the texts that match.
    """
    if where is not None and not where.any():
        sel = np.zeros(0, dtype=np.int64)
    else:
        hit = _flag_match(texts, pattern)
        sel = np.flatnonzero(hit if where is None else hit & where)
    return sel, pc.extract_regex(texts.take(pa.array(sel, type=pa.int64())), pattern)


def _flag_match(texts: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(texts, pattern), False).to_numpy(
        zero_copy_only=False
    )


def _flag(array: pa.Array, value: str) -> np.ndarray:
    return pc.equal(array, value).to_numpy(zero_copy_only=False)


def _texts_to_ore(texts: pd.Series, out: np.ndarray, done: np.ndarray, idx: np.ndarray) -> None:
    """The common shapes of Danish amount text, vectorised in Arrow; the rest is left for the
    scalar parser (so both always agree): 1.234,56 with a leading minus, a trailing minus or
    (...)."""
    if len(texts) == 0:
        return
    s = pc.replace_substring_regex(arrow_text(texts), _AMOUNT_BLANKS, "")
    s = pc.replace_substring(s, "\u2212", "-")
    # Plain shapes first (a number cell in a text column reads "-1234.5"): matched, not
    # extracted; the digits without the point are the amount in øre, or in tenths of a krone.
    left = np.ones(len(s), dtype=bool)
    for pattern, scale in _AMOUNT_PLAIN:
        hit = _flag_match(s, pattern) & left
        sel = np.flatnonzero(hit)
        if sel.size:
            digits = pc.replace_substring(s.take(pa.array(sel, type=pa.int64())), ".", "")
            out[idx[sel]] = pc.cast(digits, pa.int64()).to_numpy() * scale
            done[idx[sel]] = True
            left &= ~hit
    for pattern in _AMOUNT_SHAPES:
        sel, parts = _matches(s, pattern, left)
        if sel.size == 0:
            continue
        lead, opened, whole, frac, closed, trail = (parts.field(k) for k in range(6))
        lead, trail = _flag(lead, "-"), _flag(trail, "-")
        opened, closed = _flag(opened, "("), _flag(closed, ")")
        paren = opened & closed
        ok = (opened == closed) & (lead.astype(int) + trail + paren <= 1)
        whole = pc.replace_substring(whole, ".", "")
        # Too many digits for int64 arithmetic: the scalar parser says what is wrong.
        short = pc.less_equal(pc.utf8_length(whole), _MAX_WHOLE_DIGITS)
        ok &= short.to_numpy(zero_copy_only=False)
        whole = pc.cast(pc.if_else(short, whole, "0"), pa.int64()).to_numpy()
        frac = pc.cast(pc.utf8_rpad(frac, 2, "0"), pa.int64()).to_numpy()
        ore = whole * 100 + frac
        ore = np.where(lead | trail | paren, -ore, ore)
        out[idx[sel[ok]]] = ore[ok]
        done[idx[sel[ok]]] = True


def _scalar_rest(
    parse: Callable[[object], object], obj: np.ndarray, out: np.ndarray, todo: np.ndarray
) -> dict[int, str]:
    """The cells a vectorised path left, through the scalar parser: its value, or its message."""
    errors: dict[int, str] = {}
    for i in todo:
        try:
            out[i] = parse(obj[i])
        except CellError as exc:
            errors[int(i)] = str(exc)
    return errors


def amounts_to_ore(
    values: pd.Series, numbers: Callable[[], np.ndarray] | None = None
) -> tuple[np.ndarray, dict[int, str]]:
    """Vectorised `parse_amount`: øre per position, and {position: message} for bad cells.

    `numbers`, for a column read as text that mixed numbers and text, tells which cells were
    numbers: "1.234" is 1.234 kr. as text (Danish thousands) but 1,234 kr. as a number.
    """
    n = len(values)
    if pd.api.types.is_float_dtype(values.dtype):
        values = values.astype(object).where(values.notna(), None)
    elif is_text_series(values):
        out = np.zeros(n, dtype=np.int64)
        done = np.zeros(n, dtype=bool)
        as_number = _numbers_as_floats(values, numbers, AMOUNT_AMBIGUOUS)
        obj = values.to_numpy(dtype=object, na_value=None)
        if as_number.any():
            obj[as_number] = [float(v) for v in obj[as_number]]
        text = ~as_number & values.notna().to_numpy()
        _texts_to_ore(values[text].reset_index(drop=True), out, done, np.flatnonzero(text))
        return out, _scalar_rest(parse_amount, obj, out, np.flatnonzero(~done))
    out = np.zeros(n, dtype=np.int64)
    obj = values.to_numpy(dtype=object)
    done = np.zeros(n, dtype=bool)
    is_float = np.fromiter((type(v) is float for v in obj), dtype=bool, count=n)
    if is_float.any():
        floats = obj[is_float].astype(np.float64)
        scaled = floats * 100
        rounded = np.round(scaled)
        noise = np.maximum(_FLOAT_NOISE, _FLOAT_ULPS * np.abs(np.spacing(scaled)))
        ok = np.isfinite(scaled) & (np.abs(scaled - rounded) <= noise)
        ok &= np.abs(rounded) <= MAX_ABS_ORE  # beyond it the scalar parser words the error
        idx = np.flatnonzero(is_float)
        out[idx[ok]] = rounded[ok].astype(np.int64)
        done[idx[ok]] = True  # the rest go to the scalar parser, which words the error
    is_str = np.fromiter((type(v) is str for v in obj), dtype=bool, count=n)
    if is_str.any():
        texts = pd.Series(obj[is_str], dtype="str")
        _texts_to_ore(texts, out, done, np.flatnonzero(is_str))
    return out, _scalar_rest(parse_amount, obj, out, np.flatnonzero(~done))


# --- dates ---------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = (
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), "%d.%m.%Y"),
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"), None),
    (re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$"), "%d-%m-%Y"),
    (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%d/%m/%Y"),
    (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2}$"), "%d.%m.%y"),
)


def parse_date(value: object) -> dt.date:
    """A date cell (Excel date, dd.mm.yyyy or yyyy-mm-dd text, Excel serial) as a date."""
    if is_blank(value):
        raise CellError("dato mangler")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellError(f'dato "{value}" er ikke en dato')
    if isinstance(value, int | float):
        # A date typed into a cell formatted as a number arrives as Excel's serial number.
        if isinstance(value, float) and not value.is_integer():
            raise CellError(f'dato "{value}" er ikke en dato')
        if not 1 <= value <= 2958465:
            raise CellError(f'dato "{value}" er ikke en dato')
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    if not isinstance(value, str):
        raise CellError(f'dato "{_short(value)}" er ikke en dato')
    text = value.strip()
    for pattern, fmt in _DATE_FORMATS:
        if pattern.match(text):
            try:
                if fmt is None:
                    return dt.datetime.fromisoformat(text.replace(" ", "T")).date()
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                raise CellError(f'dato "{_short(text)}" findes ikke') from None
    raise CellError(f'dato "{_short(text)}" er ikke en dato (brug dd.mm.åååå eller åååå-mm-dd)')


def parse_optional_date(value: object) -> dt.date | None:
    """Like `parse_date`, but an empty cell is None."""
    return None if is_blank(value) else parse_date(value)


# The common shapes of date text for Arrow's RE2 (ASCII \d and \s, so whatever matches reads
# the same in `parse_date`): dd.mm.yyyy, and yyyy-mm-dd with or without the time of day that
# a date cell gets in a column that also holds text ("yyyy-mm-dd hh:mm:ss").
_DATE_SHAPES = (
    r"^\s*(?P<d>\d{2})\.(?P<m>\d{2})\.(?P<y>\d{4})\s*$",
    r"^\s*(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?: (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?)?\s*$",
)
# The two shapes nearly all date text has, without surrounding blanks: subsets of
# `_DATE_SHAPES` whose parts are at fixed places (start of year, month, day), so they are
# sliced out rather than extracted.
_DATE_FIXED = (
    (r"^\d{2}\.\d{2}\.\d{4}$", (6, 3, 0)),
    (r"^\d{4}-\d{2}-\d{2}(?: (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?)?$", (0, 5, 8)),
)
_EXCEL_EPOCH_D = np.datetime64("1899-12-30", "D")


def _store_days(parts: Sequence[pa.Array], sel: np.ndarray, out: np.ndarray, done: np.ndarray):
    y, m, d = (pc.cast(part, pa.int64()).to_numpy() for part in parts)
    months = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + (d - 1)
    # A day that does not exist (31.02) goes to the scalar parser, which says so.
    ok = (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (days.astype("datetime64[M]") == months)
    out[sel[ok]] = days[ok]
    done[sel[ok]] = True


def _text_dates(texts: pa.Array, out: np.ndarray, todo: np.ndarray) -> np.ndarray:
    """Parse the common date shapes among `texts` where `todo`; returns where it did."""
    done = np.zeros(len(texts), dtype=bool)
    for pattern, starts in _DATE_FIXED:
        sel = np.flatnonzero(_flag_match(texts, pattern) & todo & ~done)
        if sel.size:
            found = texts.take(pa.array(sel, type=pa.int64()))
            parts = [
                pc.utf8_slice_codeunits(found, at, at + width)
                for at, width in zip(starts, (4, 2, 2), strict=True)
            ]
            _store_days(parts, sel, out, done)
    for pattern in _DATE_SHAPES:
        sel, parts = _matches(texts, pattern, todo & ~done)
        if sel.size:
            _store_days([parts.field(k) for k in ("y", "m", "d")], sel, out, done)
    return done


def dates_to_days(
    values: pd.Series, numbers: Callable[[], np.ndarray] | None = None
) -> tuple[np.ndarray, dict[int, str]]:
    """Vectorised `parse_date`: datetime64[D] per position, and {position: message}.

    `numbers` as for `amounts_to_ore`: "45000" is an Excel serial as a number, not as text.
    """
    n = len(values)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    errors: dict[int, str] = {}
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values.to_numpy().astype("datetime64[D]")
        for i in np.flatnonzero(values.isna().to_numpy()):
            errors[int(i)] = "dato mangler"
        return out, errors
    done = np.zeros(n, dtype=bool)
    if is_text_series(values):
        texts = arrow_text(values)
        as_number = _numbers_as_floats(values, numbers, DATE_AMBIGUOUS)
        if as_number.any():
            # Number cells: Excel serials, whole and within Excel's calendar.
            idx = np.flatnonzero(as_number)
            serial = pc.cast(texts.take(pa.array(idx)), pa.float64()).to_numpy()
            ok = (serial == np.floor(serial)) & (serial >= 1) & (serial <= 2958465)
            out[idx[ok]] = _EXCEL_EPOCH_D + serial[ok].astype(np.int64)
            done[idx[ok]] = True
        done |= _text_dates(texts, out, ~as_number)
        rest = np.flatnonzero(~done)
        obj = values.iloc[rest].to_numpy(dtype=object, na_value=None)
        obj = [float(v) if as_number[i] else v for i, v in zip(rest, obj, strict=True)]
    else:
        all_obj = values.to_numpy(dtype=object)
        is_date = np.fromiter((isinstance(v, dt.date) for v in all_obj), dtype=bool, count=n)
        if is_date.any():
            out[is_date] = np.array(
                [v.date() if isinstance(v, dt.datetime) else v for v in all_obj[is_date]],
                dtype="datetime64[D]",
            )
            done |= is_date
        is_str = np.fromiter((type(v) is str for v in all_obj), dtype=bool, count=n)
        if is_str.any():
            texts = pa.array([v if s else None for v, s in zip(all_obj, is_str, strict=True)])
            done |= _text_dates(texts, out, is_str)
        rest = np.flatnonzero(~done)
        obj = all_obj[rest]
    for i, value in zip(rest, obj, strict=True):
        try:
            out[i] = np.datetime64(parse_date(value), "D")
        except CellError as exc:
            errors[int(i)] = str(exc)
    return out, errors


# --- project numbers -----------------------------------------------------------------------

# SAP's Objekt column writes the object type before the number: "PSP XA-4411000006-01".
_OBJECT_PREFIX = r"(?:[Pp][Ss][Pp]\s+|[Pp][Rr][Jj]\s+)?"
_PROJECT = re.compile(
    rf"^{_OBJECT_PREFIX}([A-Za-z]{{2}})\s*-?\s*(\d{{10}})((?:\s*[-./]\s*[0-9A-Za-z]+)*)$"
)


def parse_loebenummer(value: object) -> str:
    """A project number with or without dash, WBS suffixes rolled up: 'XA-4411000006'."""
    if is_blank(value):
        raise CellError("løbenummer mangler")
    text = str(value).strip()
    m = _PROJECT.match(text)
    if m is None:
        raise CellError(
            f'løbenummer "{_short(text)}" har ikke formen to bogstaver og ti cifre (XA-4411000006)'
        )
    return f"{m.group(1).upper()}-{m.group(2)}"


# `_PROJECT` for Arrow's RE2 around unstripped text; RE2's \s and \d are ASCII, a subset of
# Python's, so what this matches `parse_loebenummer` reads the same (the rest goes to it).
_PROJECT_RE2 = (
    r"^\s*(?:[Pp][Ss][Pp]\s+|[Pp][Rr][Jj]\s+)?"
    r"(?P<letters>[A-Za-z]{2})\s*-?\s*(?P<digits>\d{10})(?:\s*[-./]\s*[0-9A-Za-z]+)*\s*$"
)


# Løbenumre as exports write them, "XA-4411000006" or "XA4411000006" with any WBS suffix and
# no blanks: subsets of `_PROJECT_RE2` with the letters and digits at fixed places.
_PROJECT_FIXED = (
    (r"^[A-Za-z]{2}-\d{10}(?:[-./][0-9A-Za-z]+)*$", (0, 3)),
    (r"^[A-Za-z]{2}\d{10}(?:[-./][0-9A-Za-z]+)*$", (0, 2)),
)


def loebenumre(values: pd.Series) -> tuple[np.ndarray, dict[int, str]]:
    """Vectorised `parse_loebenummer`: normalised numbers (object array) and bad positions."""
    if is_text_series(values):
        obj = values.to_numpy(dtype=object, na_value=None)
        texts = arrow_text(values)
    else:
        obj = values.to_numpy(dtype=object)
        # Only text cells can be project numbers; the rest go to the scalar parser for words.
        only_text = [v if type(v) is str else None for v in obj]
        texts = pa.array(only_text, type=pa.large_string())
    out = np.empty(len(obj), dtype=object)
    ok = np.zeros(len(obj), dtype=bool)
    for pattern, starts in _PROJECT_FIXED:
        sel = np.flatnonzero(_flag_match(texts, pattern) & ~ok)
        if sel.size:
            found = texts.take(pa.array(sel, type=pa.int64()))
            letters = pc.utf8_slice_codeunits(found, starts[0], starts[0] + 2)
            digits = pc.utf8_slice_codeunits(found, starts[1], starts[1] + 10)
            _store_loebenumre(letters, digits, sel, out, ok)
    sel, parts = _matches(texts, _PROJECT_RE2, ~ok)
    if sel.size:
        _store_loebenumre(parts.field(0), parts.field(1), sel, out, ok)
    return out, _scalar_rest(parse_loebenummer, obj, out, np.flatnonzero(~ok))


def _store_loebenumre(
    letters: pa.Array, digits: pa.Array, sel: np.ndarray, out: np.ndarray, ok: np.ndarray
) -> None:
    joined = pc.binary_join_element_wise(
        pc.ascii_upper(letters), digits, pa.scalar("-", digits.type)
    )
    out[sel] = joined.to_numpy(zero_copy_only=False)
    ok[sel] = True


# --- plain text keys -----------------------------------------------------------------------


def key_text(value: object) -> str:
    """A cell as identifying text: 123.0 from a number cell and '123' from text are the same."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_decimal_kr(value: object) -> Decimal:
    """An amount in a register cell as Decimal kr. (via øre, so the same rules apply)."""
    return Decimal(parse_amount(value)) / 100


def try_parse(parser: Callable[[object], object], value: object) -> tuple[object, str | None]:
    """Run a scalar parser; return (value, None) or (None, message)."""
    try:
        return parser(value), None
    except (CellError, InvalidOperation) as exc:
        return None, str(exc)
