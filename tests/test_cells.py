"""Cell parsers: every amount, date and project-number form of the data contract."""

import datetime as dt

import pandas as pd
import pytest

from kitflow.core.cells import (
    CellError,
    amounts_to_ore,
    dates_to_days,
    loebenumre,
    parse_amount,
    parse_date,
    parse_loebenummer,
)


@pytest.mark.parametrize(
    ("cell", "ore"),
    [
        (1234.56, 123456),
        (0.1 + 0.2, 30),  # Excel arithmetic noise is not a fraction of an øre
        (5, 500),
        ("1.234,56", 123456),
        ("-1.234,56", -123456),
        ("1.234,56-", -123456),  # SAP's trailing minus
        ("12.345.678,9", 1234567890),
        ("1234,5", 123450),
        ("1.234", 123400),  # a Danish thousands separator, not a decimal point
        ("1234.56", 123456),
        (" 1 234,50 ", 123450),
        ("(100,00)", -10000),
        ("kr. 10,00", 1000),
    ],
)
def test_amounts_parse_exactly_to_ore(cell, ore):
    assert parse_amount(cell) == ore
    assert amounts_to_ore(pd.Series([cell], dtype=object))[0][0] == ore


@pytest.mark.parametrize("cell", ["12,3,4", "abc", "1,005", 1.005, 8635734436.035, "", None, True])
def test_bad_amounts_say_why(cell):
    with pytest.raises(CellError):
        parse_amount(cell)
    _values, errors = amounts_to_ore(pd.Series([cell], dtype=object))
    assert 0 in errors


def test_vectorised_amounts_agree_with_scalar_parser():
    cells = ["1.234,56", 1.5, "-7", "7-", "1.234", "x", 3, "0,01"]
    values, errors = amounts_to_ore(pd.Series(cells, dtype=object))
    for i, cell in enumerate(cells):
        try:
            assert values[i] == parse_amount(cell)
        except CellError:
            assert i in errors


@pytest.mark.parametrize(
    "cell",
    [
        dt.date(2020, 1, 5),
        dt.datetime(2020, 1, 5, 13, 30),
        "05.01.2020",
        "5.1.2020",
        "2020-01-05",
        "2020-01-05 00:00:00",
        43835,  # Excel's serial number for 2020-01-05
    ],
)
def test_date_forms(cell):
    assert parse_date(cell) == dt.date(2020, 1, 5)
    days, errors = dates_to_days(pd.Series([cell], dtype=object))
    assert not errors
    assert days[0] == pd.Timestamp("2020-01-05").to_datetime64().astype("datetime64[D]")


@pytest.mark.parametrize("cell", ["31.02.2020", "i går", "", 43835.5])
def test_bad_dates(cell):
    with pytest.raises(CellError):
        parse_date(cell)


@pytest.mark.parametrize(
    "cell",
    [
        "XA-4411000006",
        "XA4411000006",
        "xa-4411000006",
        "XA-4411000006-01",
        "XA4411000006-01-02",
        " XA 4411000006 ",
    ],
)
def test_project_numbers_roll_up(cell):
    assert parse_loebenummer(cell) == "XA-4411000006"
    numbers, errors = loebenumre(pd.Series([cell], dtype=object))
    assert numbers[0] == "XA-4411000006" and not errors


@pytest.mark.parametrize("cell", ["XA-441100006", "4411000006", "XAB-4411000006", None])
def test_malformed_project_numbers(cell):
    with pytest.raises(CellError):
        parse_loebenummer(cell)


@pytest.mark.parametrize(
    "cell", ["100.000.000.000.000.000,00", "99.999.999.999.999.999,00", 1e18, 10**15]
)
def test_an_absurd_amount_is_a_bad_cell_never_a_wrapped_sum(cell):
    # int64 arithmetic would wrap 10^17 kr. around silently; the bound makes it a finding.
    with pytest.raises(CellError, match=r"over 10 mia\. kr\."):
        parse_amount(cell)
    ore, errors = amounts_to_ore(pd.Series([cell, "1,00"], dtype=object))
    assert ore[1] == 100 and "over 10 mia. kr." in errors[0]
