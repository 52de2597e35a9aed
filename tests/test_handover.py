"""The 02:00 run plans the reminders and hands C6's accounts over; the 07:00 run sends them."""

from __future__ import annotations

import datetime as dt
import email
import shutil
from email.policy import default as default_policy
from pathlib import Path

import pytest

from kitflow.core.findings import Location
from kitflow.core.handover import accounts_from_json, accounts_to_json
from kitflow.core.obligations import AccountDue
from tests.conftest import EXAMPLE_DATA

D = dt.date


def test_accounts_round_trip_and_a_bad_file_says_what_is_wrong():
    accounts = [
        AccountDue("Ny skole", D(2020, 12, 31), "forfalden", "ctrl@kk.dk", None, None),
        AccountDue(
            "Æblehaven",
            D(2019, 12, 31),
            "overskredet",
            None,
            D(2020, 2, 1),
            None,
            Location("register.xlsx", "Projekter", 7),  # C6's warnings name the row
        ),
    ]
    as_of, back = accounts_from_json(accounts_to_json(D(2020, 12, 1), accounts))
    assert as_of == D(2020, 12, 1)
    assert sorted(back, key=lambda a: a.projekt) == sorted(accounts, key=lambda a: a.projekt)
    with pytest.raises(ValueError, match="version"):
        accounts_from_json('{"version": 99}')
    with pytest.raises(ValueError, match="ventede form"):
        accounts_from_json('{"version": 1, "as_of": "2020-12-01"}')


def _recipients(outbox: Path) -> list[str]:
    found = []
    for path in sorted(outbox.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        found.append(str(msg["To"]))
    return found


@pytest.mark.flow
def test_nightly_plans_without_sending_and_the_morning_run_sends_c6_too(tmp_path, prefect_harness):
    from flows.nightly import afstemning
    from flows.reminders import paamindelser

    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    config = tmp_path / "kitflow.toml"
    config.write_text(
        f'data_dir = "{data}"\noutput_dir = "{tmp_path / "out"}"\n'
        f'state_dir = "{tmp_path / "state"}"\n'
        "[reminders]\nreport_recipients = []\n"
        '[reminders.c6]\ndefault_controller_email = "controller@kk.dk"\n',
        encoding="utf-8",
    )
    outbox = tmp_path / "state" / "outbox"
    # Tuesday 1 December 2020: C6's "30 days before 31 December" for the accounts due this year.
    night = afstemning(as_of=D(2020, 12, 1), send=False, config_file=str(config))
    nightly_csv = (tmp_path / "out" / "2020-12-01" / "reminders.csv").read_text("utf-8")
    c6_rows = [line for line in nightly_csv.splitlines() if line.startswith("C6,")]
    assert c6_rows and all(",planned," in line for line in c6_rows)
    assert night["reminders"]["sent"] == 0 and not list(outbox.glob("*.eml"))

    morning = paamindelser(as_of=D(2020, 12, 1), send=True, config_file=str(config))
    assert morning.planned == night["reminders"]["planned"]
    assert morning.sent == morning.planned and morning.pending == 0
    assert "controller@kk.dk" in _recipients(outbox)

    # Without a nightly run on a folder, the morning run leaves C6 out and says so.
    other = tmp_path / "other"
    shutil.copytree(EXAMPLE_DATA, other)
    alone = paamindelser(
        as_of=D(2020, 12, 1), send=False, data_dir=str(other), config_file=str(config)
    )
    assert alone.planned == morning.planned - len(c6_rows)
