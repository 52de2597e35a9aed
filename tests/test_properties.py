"""Properties of the parsers and of conservation, over generated values (hypothesis)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kitflow.core import cells
from kitflow.core.bookings import parse_bookings
from kitflow.core.combine import combine
from kitflow.core.reconcile import reconcile
from kitflow.core.register import Bevillingslinje, Loebenummer, Project, Register
from kitflow.core.sheets import RawSheet

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Whole sheets through parse, combine and reconcile cost ~0.1 s each on a busy machine.
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Up to cells.MAX_ABS_ORE (10 mia. kr.); beyond it an amount is a bad cell (test_cells).
amounts = st.decimals(
    min_value=Decimal("-9999999999.99"),
    max_value=Decimal("9999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


def danish(value: Decimal, thousands: str = ".", minus: str = "lead") -> str:
    """Written by hand here, not by the code under test: 1.234.567,89 and its sign forms."""
    whole, frac = f"{abs(value):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = f"{thousands.join(groups)},{frac}"
    if value >= 0:
        return text
    return {"lead": f"-{text}", "trail": f"{text}-", "paren": f"({text})"}[minus]


@FAST
@given(
    amounts, st.sampled_from([".", "", " ", "\u00a0"]), st.sampled_from(["lead", "trail", "paren"])
)
def test_every_danish_text_form_parses_to_the_same_ore(value, thousands, minus):
    ore = int(value * 100)
    text = danish(value, thousands, minus)
    assert cells.parse_amount(text) == ore
    got, errors = cells.amounts_to_ore(pd.Series([text], dtype=object))
    assert errors == {} and int(got[0]) == ore


@FAST
@given(amounts.filter(lambda d: abs(d) < Decimal("10000000000")))
@example(Decimal("8635734436.03"))  # times 100 as a double: 863573443603.0001
def test_a_float_cell_parses_to_the_same_ore(value):
    # Excel stores a typed amount as the nearest double; |x| < 1e10 kr. keeps øre exact.
    ore = int(value * 100)
    cell = float(value)
    assert cells.parse_amount(cell) == ore
    got, errors = cells.amounts_to_ore(pd.Series([cell], dtype=object))
    assert errors == {} and int(got[0]) == ore


@FAST
@given(amounts)
def test_plain_and_dot_decimal_text_parse(value):
    ore = int(value * 100)
    assert cells.parse_amount(f"{value:.2f}") == ore  # 1234.56, as a CSV from another system
    assert cells.parse_amount(f"{value:.2f}".replace(".", ",")) == ore


def _ore_from_the_digits(text: str) -> int:
    """The øre a text's digits say, read by hand: its digits in order, scaled by the count of
    digits after its decimal mark (a comma, or a dot before only one or two digits)."""
    digits = "".join(ch for ch in text if ch.isdecimal())
    # Spaces and apostrophes group thousands; a sign, a bracket or "kr."/"DKK" may close it.
    body = re.sub(r"[\s\u00a0\u202f']", "", text).rstrip(")-−.kKrRdD")
    if "," in body:
        decimals = sum(ch.isdecimal() for ch in body[body.rindex(",") + 1 :])
    elif re.search(r"\.\d{1,2}$", body):
        decimals = len(body) - body.rindex(".") - 1
    else:
        decimals = 0
    value = int(digits)
    return value * 10 ** (2 - decimals) if decimals <= 2 else value // 10 ** (decimals - 2)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=20))
@example("1.234,56")
@example("(1.234,5)")
@example("12.34-")
@example("−7,50 kr.")
@example("DKK 1 000")
@example("12. 34")
@example("1,2300")
@example("\u0661\u0662")  # Arabic-Indic digits: Python's \d takes them
def test_text_that_is_no_amount_never_becomes_one_silently(text):
    """Whatever the text, it parses to the øre its own digits say, or it is an error; never
    noise. The øre are compared with the text's digits, not with the parser's own output."""
    try:
        ore = cells.parse_amount(text)
    except cells.CellError as exc:
        assert str(exc)
        got, errors = cells.amounts_to_ore(pd.Series([text], dtype=object))
        assert 0 in errors
        return
    assert abs(ore) == _ore_from_the_digits(text), (text, ore)
    minus = text.count("-") + text.count("−") + ("(" in text)
    assert (ore < 0) == (ore != 0 and minus % 2 == 1), (text, ore)
    got, errors = cells.amounts_to_ore(pd.Series([text], dtype=object))
    assert errors == {} and int(got[0]) == ore


@FAST
@given(
    st.text(alphabet=st.sampled_from("abcxyzæøå!?#%&/ "), min_size=1, max_size=12)
    | st.sampled_from(["1,2,3", "1.2.3,4", "12,345", "--5", "5--", "(5", "1e5", "NaN"])
)
def test_garbage_is_an_error(text):
    got, errors = cells.amounts_to_ore(pd.Series([text], dtype=object))
    assert 0 in errors, f"{text!r} parsed as {got[0]}"


dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2099, 12, 31))


@FAST
@given(dates)
def test_every_date_form_parses_back(day):
    forms = [
        day,
        dt.datetime.combine(day, dt.time(13, 45)),
        day.strftime("%d.%m.%Y"),
        day.isoformat(),
        f"{day.isoformat()} 00:00:00",
        day.strftime("%d-%m-%Y"),
        day.strftime("%d/%m/%Y"),
        f"{day.day}.{day.month}.{day.year}",
        float((day - dt.date(1899, 12, 30)).days),  # an Excel serial in a number cell
    ]
    for form in forms:
        assert cells.parse_date(form) == day, form
    got, errors = cells.dates_to_days(pd.Series(forms, dtype=object))
    assert errors == {}
    assert all(g == np.datetime64(day, "D") for g in got)


@FAST
@given(st.integers(1, 31), st.integers(1, 12), st.integers(1900, 2099))
def test_a_day_that_does_not_exist_is_an_error_not_another_day(d, m, y):
    text = f"{d:02}.{m:02}.{y}"
    try:
        real = dt.date(y, m, d)
    except ValueError:
        real = None
    got, errors = cells.dates_to_days(pd.Series([text], dtype=object))
    if real is None:
        assert 0 in errors
    else:
        assert errors == {} and got[0] == np.datetime64(real, "D")


# --- conservation ----------------------------------------------------------------------------

KNOWN = ("XA-4411000006", "XA-0285000114")
booking_rows = st.lists(
    st.tuples(
        st.sampled_from([*KNOWN, "XA-9999000001", "XA-44110", ""]),  # known, unknown, bad
        st.one_of(amounts.map(lambda d: danish(d)), st.just("tolv"), amounts.map(float)),
        st.sampled_from(["4000", "7100", "9100", "", "x1"]),  # expenditure, income, internal
        st.integers(1, 6),  # document number: few, so that exports overlap
        st.integers(1, 3),  # line
        st.sampled_from(["01.02.2020", "2020-02-30", "2020-03-01"]),
    ),
    max_size=25,
)


def _sheet(name: str, rows) -> RawSheet:
    header = ["Bogføringsdato", "Løbenummer", "Beløb", "Art", "Bilagsnummer", "Linje"]
    body = [
        [date, project, amount, art, str(doc), str(line)]
        for project, amount, art, doc, line, date in rows
    ]
    return RawSheet(name, "Data", [header, *body])


@SLOW
@given(booking_rows, booking_rows)
def test_every_booking_read_ends_up_in_exactly_one_place(first, second):
    parsed = [parse_bookings(_sheet("a.xlsx", first)), parse_bookings(_sheet("b.csv", second))]
    read_rows = sum(p.control.bookings + p.control.quarantined for p in parsed)
    combined = combine(parsed)
    # As of the last day of February: the bookings of 01.03.2020 are posted after it.
    result = reconcile(combined.bookings, combined.duplicates, _register(), dt.date(2020, 2, 29))
    c = result.conservation
    places = c.duplicate_count + c.matched_count + c.unmatched_count + c.internal_count
    places += c.later_count
    assert places + len(combined.quarantined) == read_rows == len(first) + len(second)
    sums = c.duplicate_sum + c.matched_sum + c.unmatched_sum + c.internal_sum + c.later_sum
    assert sums == c.read_sum
    assert c.read_sum == sum(p.control.parsed_sum_ore for p in parsed)
    # Each (file, row) is in exactly one of the frames.
    where = [
        (r.file, int(r.row))
        for frame in (
            result.matched,
            result.unmatched,
            result.internal,
            result.later,
            combined.duplicates,
            combined.quarantined,
        )
        for r in frame.itertuples()
    ]
    assert len(where) == len(set(where)) == read_rows


def _register() -> Register:
    project = Project(
        projekt="P",
        kort_navn="P",
        bevilling="",
        beskrivelse="",
        anlaegsbevilling_ore=None,
        ibrugtagningsdato=None,
        faerdiggjort=None,
        byggeri=False,
        etaarsgennemgang=None,
        udvalg="",
        udfoerende_udvalg="",
        anlaegskartotek=None,
        afvigelsesforklaring="",
        forelagt_udvalg=None,
        sendt_til_revision=None,
        controller_email="",
        row=2,
    )
    return Register(
        file="register.xlsx",
        projects=(project,),
        loebenumre=tuple(Loebenummer(n, "P", "", i + 2) for i, n in enumerate(KNOWN)),
        bevillinger=(Bevillingslinje(KNOWN[0], "B", None, "Udgift", 100_000, 2),),
        kategorier=(),
    )


# --- the vectorised parsers against the scalar ones, on text columns ---------------------------

# Text of the shapes exports have and of near misses, built from pieces so the vectorised
# fast paths (fixed-position shapes, Arrow's RE2) meet both their own shapes and the edges.
_piece = st.sampled_from(
    ["", "-", "−", "(", ")", " ", "\u00a0", ".", ",", ":", "'", "+", "e", "kr", "XA", "xb", "T"]
)
_digits = st.integers(min_value=0, max_value=10**13).map(str)
_messy = st.lists(st.one_of(_piece, _digits), min_size=1, max_size=6).map("".join)
_amount_text = st.one_of(
    _messy,
    amounts.map(lambda v: f"{v}"),  # -1234.50
    amounts.map(lambda v: repr(float(v))),  # a number cell as a text column holds it: -1234.5
    amounts.map(lambda v: danish(v)),
    st.decimals(min_value=-(10**12), max_value=10**12, places=3).map(str),
)
_date_text = st.one_of(
    _messy,
    st.tuples(st.integers(0, 39), st.integers(0, 14), st.integers(0, 9999)).map(
        lambda t: f"{t[0]:02d}.{t[1]:02d}.{t[2]:04d}"
    ),
    st.tuples(st.integers(0, 9999), st.integers(0, 14), st.integers(0, 39), st.booleans()).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}" + (" 00:00:00" if t[3] else "")
    ),
)
_project_text = st.one_of(
    _messy,
    st.tuples(
        st.sampled_from(["XA", "xa", "X1", "ÆA", "XAB"]),
        st.sampled_from(["", "-", " ", " - "]),
        st.one_of(st.integers(0, 10**10 - 1).map("{:010d}".format), _digits),
        st.sampled_from(["", "-01", ".2", "/3-4", "-", " -01"]),
    ).map("".join),
)


def _agree(parse, vectorised, texts: list[str]) -> None:
    column = pd.Series(texts, dtype="str")  # as the reader gives a text column
    got, errors = vectorised(column)
    for i, text in enumerate(texts):
        try:
            want = parse(text)
        except cells.CellError as exc:
            assert errors.get(i) == str(exc), text
        else:
            assert i not in errors, (text, errors.get(i))
            assert got[i] == (np.datetime64(want, "D") if isinstance(want, dt.date) else want)


@FAST
@given(st.lists(_amount_text, min_size=1, max_size=12))
def test_vectorised_amounts_read_text_columns_as_the_scalar_parser(texts):
    _agree(cells.parse_amount, cells.amounts_to_ore, texts)


@FAST
@given(st.lists(_date_text, min_size=1, max_size=12))
def test_vectorised_dates_read_text_columns_as_the_scalar_parser(texts):
    _agree(cells.parse_date, cells.dates_to_days, texts)


@FAST
@given(st.lists(_project_text, min_size=1, max_size=12))
def test_vectorised_loebenumre_read_text_columns_as_the_scalar_parser(texts):
    _agree(cells.parse_loebenummer, cells.loebenumre, texts)
