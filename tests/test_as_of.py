"""An account as of a date counts the bookings posted (Bogføringsdato) up to and including it.

The steps as the run takes them (kitflow.app, no Prefect), on copies of the example data.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from bad_input_cases import CASES, CSV_NO_TOTAL, example_copy

from config.settings import Settings
from kitflow.app.inputs import (
    combine_exports,
    export_paths,
    load_register,
    parse_export,
    register_path,
)
from kitflow.app.publishing import write_reports
from kitflow.app.settings import bookings_options, thresholds
from kitflow.core.accounts import Report, make_report
from kitflow.core.bookings import INTERN
from kitflow.core.combine import CombinedBookings
from kitflow.core.findings import Severity
from kitflow.core.register import Register

AS_OF = dt.date(2020, 12, 31)


def _read(data: Path) -> tuple[Register, CombinedBookings, list]:
    settings = Settings(data_dir=data)
    register, register_file = load_register(register_path(data))
    results = [parse_export(p, bookings_options(settings)) for p in export_paths(data)]
    files = [register_file, *(info for _parsed, info in results)]
    return register, combine_exports(results), files


def _report(read: tuple[Register, CombinedBookings, list], as_of: dt.date) -> Report:
    register, combined, files = read
    return make_report(as_of, register, combined, files, thresholds(Settings()))


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Register, CombinedBookings, list]:
    return _read(example_copy(tmp_path_factory.mktemp("example") / "data"))


@pytest.fixture(scope="module")
def with_2099(tmp_path_factory) -> tuple[Register, CombinedBookings, list]:
    """The example with a booking of 1 mio. kr. posted 01.06.2099 (the bad-input case)."""
    data = example_copy(tmp_path_factory.mktemp("later") / "data")
    next(c for c in CASES if c.name == "posted_after_as_of").make(data)
    return _read(data)


def _figures(report: Report) -> dict:
    return {a.project.projekt: a.figures for a in report.projects}


def test_the_example_has_no_booking_after_its_as_of_date(example):
    # Bilag 4's figures are the example's as of 31.12.2020; none of its bookings is later.
    report = _report(example, AS_OF)
    assert report.later.empty
    assert report.reconciliation.conservation.later_count == 0


def test_a_booking_posted_after_the_as_of_date_is_listed_not_counted(example, with_2099, tmp_path):
    report = _report(with_2099, AS_OF)
    assert _figures(report) == _figures(_report(example, AS_OF))
    assert report.overview_total == _report(example, AS_OF).overview_total
    c = report.reconciliation.conservation
    assert (c.later_count, c.later_sum) == (1, 100_000_000)
    c.check()  # every booking read is in one place, the later one included
    [note] = [f for f in report.findings if f.code == "booking.after_as_of"]
    assert note.severity is Severity.INFO
    assert str(note) == (
        f"{CSV_NO_TOTAL}: 1 postering (1.000.000,00 kr.) er bogført efter opgørelsesdatoen "
        "31.12.2020 og er ikke talt med; den står i later.csv"
    )

    folder = write_reports(report, tmp_path / "out")
    before = write_reports(_report(example, AS_OF), tmp_path / "example")
    assert (folder / "reconciliation.csv").read_bytes() == (
        before / "reconciliation.csv"
    ).read_bytes()
    with (folder / "later.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["fil"], r["bogfoeringsdato"], r["loebenummer"], r["beloeb"]) for r in rows] == [
        (CSV_NO_TOTAL, "2099-06-01", "XA-4411000006", "1000000.00")
    ]
    # The example's own later.csv is there, and empty but for its header.
    assert (before / "later.csv").read_text(encoding="utf-8").count("\n") == 1


@pytest.mark.parametrize("as_of", [dt.date(2010, 1, 1), dt.date(2018, 12, 31), AS_OF])
def test_an_old_as_of_date_gives_that_dates_figures(example, as_of):
    """Forbrug per project is the sum of its bookings posted up to and including `as_of`,
    summed here from the bookings read, apart from the reconciliation."""
    register, combined, _files = example
    report = _report(example, as_of)
    bookings = combined.bookings
    project_of = register.project_of()
    dates = np.asarray(bookings["posting_date"]).astype("datetime64[D]")
    counted = bookings[
        (dates <= np.datetime64(as_of))
        & (bookings["kind"] != INTERN).to_numpy()
        & bookings["loebenummer"].isin(project_of.keys()).to_numpy()
    ]
    expected = {p.projekt: 0 for p in register.projects}
    for number, amount in zip(counted["loebenummer"], counted["amount_ore"], strict=True):
        expected[project_of[number]] += int(amount)
    got = {name: f.udgifter.forbrug + f.indtaegter.forbrug for name, f in _figures(report).items()}
    assert got == expected
    later = int((dates > np.datetime64(as_of)).sum())
    assert report.reconciliation.conservation.later_count == later
    if as_of == dt.date(2010, 1, 1):  # before the first booking: nothing counted
        assert set(got.values()) == {0} and later == len(bookings)
