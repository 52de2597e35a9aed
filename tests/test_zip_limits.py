"""Zip bombs: an .xlsx is held to the input limits before any reader unpacks it.

The bombs are real packages (tests/zip_bomb.py); the bad-input cases run them through
`kitflow check` and the run. Here: the limits are the settings', and a bomb under a memory
limit is refused in one line where the reader used to abort the process.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from bad_input_cases import CASES, SHEET1, XLSX_2020, example_copy, make_case
from zip_bomb import pad_sheets

REPO = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2020, 12, 31)


def _stops(data: Path, **limits: int) -> list[str]:
    """What would stop a run, by `kitflow check`'s step, under these input limits."""
    from config.settings import InputLimits, Settings
    from kitflow.app.check import check_data

    settings = Settings(data_dir=data, input_limits=InputLimits(**limits))
    return [str(line) for line in check_data(data, settings, AS_OF).fatal]


@pytest.fixture(scope="module")
def padded(tmp_path_factory) -> Path:
    """The example with 30 MiB of blank space in one export's sheet: 31 MB packed 1.000 times."""
    data = example_copy(tmp_path_factory.mktemp("padded") / "data")
    path = data / "bookings" / XLSX_2020
    pad_sheets(path, path, {SHEET1: 30})
    return data


def test_the_limits_applied_are_the_settings(padded):
    [stop] = _stops(padded)
    assert stop.startswith(f"{XLSX_2020}: stopper kørslen: delen {SHEET1} er pakket ")
    assert "grænsen på 100 gange (input_limits.max_compression_ratio)" in stop
    # Allowed that ratio, the file is read as any other ...
    assert _stops(padded, max_compression_ratio=5000) == []
    # ... unless it is larger than a part may be.
    [stop] = _stops(padded, max_compression_ratio=5000, max_unpacked_mb_per_part=20)
    assert "pakker ud til 31,5 MB, mere end grænsen på 20 MB pr. del" in stop


def test_a_part_under_10_mb_is_not_asked_its_ratio(tmp_path):
    # 5 MiB packed 1.000 times is no threat, and small XML parts can be packed that far.
    data = example_copy(tmp_path / "data")
    path = data / "bookings" / XLSX_2020
    pad_sheets(path, path, {SHEET1: 5})
    assert _stops(data) == []


def _check_under_memory_limit(data: Path, limit_bytes: int) -> subprocess.CompletedProcess:
    """`kitflow check` in its own process, its address space capped as a container caps it."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    env = {k: v for k, v in os.environ.items() if not k.startswith("KITFLOW_")}
    env["PYTHONPATH"] = str(REPO)
    command = ["check", "--data", str(data), "--as-of", AS_OF.isoformat()]
    return subprocess.run(
        [sys.executable, "-c", "from kitflow.cli import main; main()", *command],
        preexec_fn=cap,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_a_zip_bomb_under_a_memory_limit_is_refused_not_aborted(tmp_path):
    """Issue 17: under a memory limit the reader aborted the process (signal 6, no message)."""
    limit = 3 * 1024**3
    # The same limit lets the check of the untouched example through: it is no limit that
    # any check would fail under.
    plain = _check_under_memory_limit(example_copy(tmp_path / "plain" / "data"), limit)
    assert plain.returncode == 0, plain.stderr[-2000:]

    case = next(c for c in CASES if c.name == "zip_bomb")
    data, _config = make_case(case, tmp_path / "bomb")
    bomb = _check_under_memory_limit(data, limit)
    assert bomb.returncode == 2, (bomb.returncode, bomb.stderr[-2000:])
    assert f"{XLSX_2020}: stopper kørslen: delen {SHEET1} pakker ud til 2,1 GB" in bomb.stdout
    assert "Traceback" not in bomb.stderr
