"""A booking on a løbenummer no register knows is a warning naming the nearest known ones."""

from __future__ import annotations

import datetime as dt

import pytest
from test_reconcile_rules import bookings, register

from kitflow.core.accounts import Thresholds, make_report
from kitflow.core.findings import FatalInputError, Severity
from kitflow.core.nearest import Vocabulary, edit_distance

AS_OF = dt.date(2020, 12, 31)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("XA-4411000201", "XA-4411000201", 0),
        ("XA-4411000210", "XA-4411000201", 1),  # two neighbours swapped
        ("XA-4411000211", "XA-4411000201", 1),  # one digit wrong
        ("XA-4411000120", "XA-4411000201", 2),
        ("Belob", "beløb", 2),
        ("", "abc", 3),
        ("Beløb (DKK)", "Beløb", 6),
    ],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_the_nearest_are_those_at_the_smallest_distance_within_two():
    known = Vocabulary(["XA-4411000201", "XA-4411000202", "XA-4411000012", "XB-12"])
    assert known.nearest("XA-4411000210") == ("XA-4411000201",)
    assert known.nearest("XA-4411000203") == ("XA-4411000201", "XA-4411000202")
    assert known.nearest("XA-9999000001") == ()
    assert Vocabulary([]).nearest("XA-4411000201") == ()


def test_one_warning_per_unknown_loebenummer_per_file_with_count_sum_and_first_row():
    reg = register()
    combined = bookings(
        ["2020-03-01", "XA-4411000006", 1000, "4000", "B1", 1],
        ["2020-03-02", "XA-4411000060", 250, "4000", "B2", 1],
        ["2020-03-03", "XA-4411000060", "1.000,50", "4000", "B3", 1],
        ["2020-03-04", "XA-9999000001", -75, "7100", "B4", 1],
    )
    report = make_report(AS_OF, reg, combined, [], Thresholds())
    found = [f for f in report.findings if f.code == "booking.unmatched"]
    assert [(f.severity, str(f.location)) for f in found] == [
        (Severity.WARNING, "e.xlsx:P!3"),
        (Severity.WARNING, "e.xlsx:P!5"),
    ]
    assert found[0].message == (
        "løbenummer XA-4411000060 findes ikke i register.xlsx (arket Løbenumre): 2 "
        "posteringer, i alt 1.250,50 kr., den første i denne række, er ikke talt med i noget "
        "projekt (de står i unmatched.csv) – mente du XA-4411000006?"
    )
    assert found[1].message == (
        "løbenummer XA-9999000001 findes ikke i register.xlsx (arket Løbenumre): 1 postering, "
        "-75,00 kr., er ikke talt med i noget projekt (den står i unmatched.csv); skriv "
        "løbenummeret i arket Løbenumre, hvis det hører til et projekt"
    )


def test_unmatched_bookings_above_the_limit_stop_the_run():
    reg = register()
    combined = bookings(
        ["2020-03-02", "XA-4411000060", 250, "4000", "B2", 1],
        ["2020-03-03", "XA-4411000060", -1000, "7100", "B3", 1],
    )
    # Added up without their sign: 1.250 kr., so a credit note cannot hide a booking.
    make_report(AS_OF, reg, combined, [], Thresholds(max_unmatched_ore=1250_00))
    with pytest.raises(FatalInputError) as info:
        make_report(AS_OF, reg, combined, [], Thresholds(max_unmatched_ore=1249_99))
    assert info.value.exit_code == 2
    assert info.value.where == "e.xlsx:P!2"
    assert info.value.problem.startswith(
        "posteringer på løbenumre, som registret ikke kender, for i alt 1.250,00 kr. (uden "
        "fortegn), mere end grænsen på 1.249,99 kr. (max_unmatched_amount)"
    )
    assert "mente du XA-4411000006?" in info.value.problem
