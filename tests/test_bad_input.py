"""Every bad input of docs/bad-input.md gets its answer: one line naming the file, no traceback."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from bad_input_cases import (
    AS_OF,
    CASES,
    CSV_NO_TOTAL,
    DOC,
    Case,
    answers,
    doc_with_table,
    example_copy,
    make_case,
    render_table,
    run_check,
    tree_digest,
)

from kitflow.core.findings import KitflowError

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    code: int
    lines: list[str]
    data: Path
    unchanged: bool
    root_after: list[str]
    root_expected: list[str]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    """Every case checked once (the table test and the per-case tests share the runs)."""
    cwd = os.getcwd()
    done = {}
    try:
        for case in CASES:
            root = tmp_path_factory.mktemp(case.name)
            os.chdir(root)  # anything written to a relative folder would show here
            data, config = make_case(case, root)
            before = tree_digest(data)
            code, lines = run_check(data, config)
            done[case.name] = Outcome(
                code,
                lines,
                data,
                tree_digest(data) == before,
                sorted(p.name for p in root.iterdir()),
                sorted(["data", *(["kitflow.toml"] if config else [])]),
            )
        base = tmp_path_factory.mktemp("baseline")
        os.chdir(base)
        done["baseline"] = Outcome(*run_check(example_copy(base / "data")), base, True, [], [])
    finally:
        os.chdir(cwd)
    return done


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_check_gives_the_answer(case: Case, outcomes):
    got = outcomes[case.name]
    lines = got.lines
    assert got.code == (2 if case.fatal else 0), "\n".join(lines)
    assert not any("Traceback" in line for line in lines)
    answers = [
        line for line in lines if line.startswith(f"{case.where}: ") or f"/{case.where}: " in line
    ]
    assert answers, f"nothing names {case.where}:\n" + "\n".join(lines)
    assert any(case.expect in line for line in answers), "\n".join(answers)
    if case.fatal:
        assert any("stopper kørslen" in line for line in answers)
    assert lines[-1].startswith("kitflow check: ")
    assert ("en kørsel vil stoppe" in lines[-1]) is case.fatal
    # The check writes nothing: not in the data folder, and no output or state folder.
    assert got.unchanged
    assert got.root_after == got.root_expected


def test_docs_table_is_current(outcomes):
    baseline = outcomes["baseline"].lines
    results = [
        (c, outcomes[c.name].code, answers(outcomes[c.name].lines, baseline, outcomes[c.name].data))
        for c in CASES
    ]
    text = DOC.read_text(encoding="utf-8")
    assert text == doc_with_table(text, render_table(results)), (
        "docs/bad-input.md is stale: run .venv/bin/python scripts/bad_input_table.py"
    )


def test_check_reports_every_fatal_file_not_just_the_first(tmp_path):
    by_name = {c.name: c for c in CASES}
    data, _ = make_case(by_name["encrypted"], tmp_path)
    for name in ("html_as_xls", "empty_csv", "acquisitions_missing_sheet"):
        by_name[name].make(data)
    code, lines = run_check(data, None)
    assert code == 2
    stops = [line for line in lines if "stopper kørslen" in line and "kitflow check" not in line]
    assert {line.split(":", 1)[0] for line in stops} == {
        "register.xlsx",
        "posteringer_dec_2020.xls",
        "posteringer_dec_2020.csv",
        "acquisitions.xlsx",
    }
    assert "4 stopper kørslen" in lines[-1]


def test_check_of_the_example_passes(tmp_path):
    code, lines = run_check(REPO / "config" / "example", None)
    assert code == 0
    assert "0 stopper kørslen" in lines[-1]


@pytest.mark.parametrize("name", ["header_only", "cut_in_last_line", "mistyped_loebenummer"])
def test_a_parse_warning_reaches_the_summarys_findings(name, tmp_path):
    """The summary artifact's Fund lists what the check prints (the artifact is this text)."""
    from kitflow.app.inputs import combine_exports, export_paths, load_register, parse_export
    from kitflow.app.settings import bookings_options, settings_for_run, thresholds
    from kitflow.core.accounts import make_report
    from reports.artifacts import summary_markdown

    case = next(c for c in CASES if c.name == name)
    data, _config = make_case(case, tmp_path)
    settings = settings_for_run(None, data_dir=data)
    register, register_file = load_register(data / "register.xlsx")
    results = [parse_export(p, bookings_options(settings)) for p in export_paths(data)]
    report = make_report(
        dt.date.fromisoformat(AS_OF),
        register,
        combine_exports(results),
        [register_file, *(info for _parsed, info in results)],
        thresholds(settings),
    )
    text = summary_markdown(report, None, send=False, output="/o")
    fund = text[text.index("## Fund") :].splitlines()
    said = [line.replace("\\", "") for line in fund if line.startswith("- **Advarsel** ")]
    assert any(line.startswith(f"- **Advarsel** {case.where}: ") for line in said), fund
    assert any(case.expect in line for line in said), fund


# --- the run gives the same answers ----------------------------------------------------------


def _where(row: dict[str, str]) -> str:
    """findings.csv's location columns as `Location` prints them (file:Sheet!row)."""
    text = row["fil"]
    if row["ark"]:
        text += f":{row['ark']}"
    if row["raekke"]:
        text += f"!{row['raekke']}" if row["ark"] else f":{row['raekke']}"
    return text


@pytest.mark.flow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_run_finds_what_the_check_finds(case, prefect_harness, tmp_path, monkeypatch):
    """One code path: the run stops on the check's first stop, else writes the check's findings.

    All of them, in the same order: the accounts' and the reminders' (acquisitions.xlsx, C6).
    The format each export was recognised as is a line of the check's own.
    """
    import csv

    from flows.nightly import afstemning
    from kitflow.app.check import check_data
    from kitflow.app.settings import settings_for_run

    monkeypatch.setenv("KITFLOW_STATE_DIR", str(tmp_path / "state"))
    data, config = make_case(case, tmp_path)
    as_of = dt.date.fromisoformat(AS_OF)
    settings = settings_for_run(config, data_dir=data)
    checked = check_data(Path(settings.data_dir), settings, as_of)
    assert bool(checked.fatal) is case.fatal

    def run() -> None:
        afstemning(
            as_of=as_of,
            data_dir=str(data),
            out_dir=str(tmp_path / "out"),
            send=False,
            config_file=None if config is None else str(config),
        )

    if case.fatal:
        with pytest.raises(KitflowError) as info:
            run()
        first = checked.fatal[0]
        assert str(info.value) == f"{first.where}: {first.message}"
        assert info.value.exit_code == 2
        assert not (tmp_path / "out" / AS_OF).exists()
        return
    run()
    with (tmp_path / "out" / AS_OF / "findings.csv").open(encoding="utf-8") as fh:
        from_run = [(r["alvor"], _where(r), r["kode"], r["besked"]) for r in csv.DictReader(fh)]
    from_check = [
        (line.severity.value, line.where, line.code, line.message)
        for line in checked.lines
        # The recognised format is a line of the check's own, not a finding.
        if not line.code.startswith("format.")
    ]
    assert from_run == from_check
    assert any(case.expect in message for *_rest, message in from_run)
    if case.writes:
        assert list((tmp_path / "out" / AS_OF).glob(case.writes))


@pytest.mark.flow
def test_a_quarantined_row_reaches_findings_csv(prefect_harness, tmp_path, monkeypatch):
    import csv

    from flows.nightly import afstemning

    case = next(c for c in CASES if c.name == "bad_amount")
    monkeypatch.setenv("KITFLOW_STATE_DIR", str(tmp_path / "state"))
    data, _ = make_case(case, tmp_path)
    afstemning(
        as_of=dt.date.fromisoformat(AS_OF),
        data_dir=str(data),
        out_dir=str(tmp_path / "out"),
        send=False,
    )
    out = tmp_path / "out" / AS_OF
    with (out / "findings.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    hit = [r for r in rows if r["fil"] == CSV_NO_TOTAL and r["raekke"] == "3"]
    assert hit and case.expect in hit[0]["besked"] and hit[0]["alvor"] == "fejl"
    with (out / "quarantined.csv").open(encoding="utf-8") as fh:
        quarantined = list(csv.DictReader(fh))
    assert [(r["fil"], r["raekke"], r["beloeb"]) for r in quarantined] == [
        (CSV_NO_TOTAL, "3", "59.383,7x")
    ]
