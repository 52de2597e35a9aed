"""The pipeline's steps end to end as plain functions, no Prefect: what check and the run share."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from config.settings import Settings
from kitflow.app.inputs import (
    acquisitions_path,
    combine_exports,
    export_paths,
    load_acquisitions,
    load_register,
    parse_export,
    register_path,
)
from kitflow.app.publishing import SUMMARY_FILE, write_reports
from kitflow.app.reminders import plan
from kitflow.app.report_mail import find_report_folder, read_summary
from kitflow.app.settings import bookings_options, settings_for_run, thresholds
from kitflow.core.accounts import accounts_due, make_report
from kitflow.core.findings import FatalInputError
from kitflow.core.rules import DueStatus
from tests.conftest import EXAMPLE_DATA

AS_OF = dt.date(2020, 12, 31)
# Bilag 4 (2020): the three projects past their deadline, and its Resultat sentence.
OVERDUE = [
    ("Automatisering af processer på it-sikkerhedsområdet", "31.12.2019"),
    ("Styrkelse af IT-sikkerhed – AD", "31.12.2017"),
    ("Standardisering af PC-image", "31.12.2018"),
]
RESULTAT = (
    "Anlægsregnskaberne i denne oversigt har en samlet rådighedsbevilling på 36,6 mio. kr. og "
    "et samlet forbrug på 32,3 mio. kr. Det giver et samlet mindreforbrug på 4,3 mio. kr."
)


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> tuple[Path, list, object]:
    """The example taken through every step as the run takes it, into an output folder."""
    settings = Settings(data_dir=EXAMPLE_DATA)
    data = Path(settings.data_dir)
    register, register_file = load_register(register_path(data))
    results = [parse_export(p, bookings_options(settings)) for p in export_paths(data)]
    files = [register_file, *(info for _parsed, info in results)]
    report = make_report(AS_OF, register, combine_exports(results), files, thresholds(settings))
    accounts = accounts_due(report)
    acquisitions, _findings = load_acquisitions(acquisitions_path(data))
    planned = plan(settings, acquisitions, AS_OF, accounts)
    folder = write_reports(report, tmp_path_factory.mktemp("out"))
    return folder, accounts, planned


def test_the_report_mail_reads_what_the_report_model_says(output):
    folder, _accounts, _planned = output
    summary = read_summary(folder)
    assert summary.as_of == AS_OF
    assert summary.resultat == RESULTAT
    assert list(summary.overdue) == OVERDUE


def test_accounts_due_are_the_separate_accounts_with_a_deadline(output):
    _folder, accounts, planned = output
    # B4's six projects (three due this year, three overdue) and nothing under the threshold
    # or still in progress.
    assert len(accounts) == 6
    assert sorted(a.status for a in accounts) == sorted(
        [DueStatus.FORFALDEN] * 3 + [DueStatus.OVERSKREDET] * 3
    )
    assert {"C1", "C2", "C3", "C4", "C5", "C6"} == planned.rules
    # Without a reminders.csv passed in, the reports do not invent one.
    assert not (_folder / "reminders.csv").exists()


def test_a_folder_without_the_summary_is_refused_with_what_to_do(output, tmp_path):
    folder, *_ = output
    copy = tmp_path / folder.name
    copy.mkdir()
    for name in ("anlaegsregnskab.xlsx", "anlaegsregnskab.docx"):
        (copy / name).write_bytes((folder / name).read_bytes())
    with pytest.raises(FatalInputError, match=rf"{SUMMARY_FILE} mangler i mappen; kør"):
        find_report_folder(tmp_path, AS_OF, AS_OF)
    (copy / SUMMARY_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(FatalInputError, match="resuméet kan ikke læses") as info:
        read_summary(copy)
    assert info.value.where == str(copy / SUMMARY_FILE)


def test_a_settings_file_is_read_without_touching_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("KITFLOW_CONFIG", raising=False)
    config = tmp_path / "kitflow.toml"
    config.write_text("max_quarantined_rows = 7\n", encoding="utf-8")
    before = dict(os.environ)
    assert settings_for_run(config).max_quarantined_rows == 7
    assert dict(os.environ) == before
    # The next load without a file gets the defaults, not the file read before.
    assert settings_for_run().max_quarantined_rows == 100
    with pytest.raises(FatalInputError, match="does not exist"):
        settings_for_run(tmp_path / "missing.toml")
