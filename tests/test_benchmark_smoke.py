"""The benchmark at a tiny size: the generator's data runs through every stage and adds up."""

from __future__ import annotations

import json

from benchmarks.generate import generate
from benchmarks.run import best_of, measure


def test_benchmark_stages_account_for_every_generated_booking(tmp_path):
    manifest = generate(tmp_path, rows=300, workers=1)
    result = measure("kitflow", tmp_path / "xlsx")
    got = result["conservation"]
    want = manifest["xlsx"]
    # The generator's own count of what it wrote, not the program's output, is the reference.
    assert got["quarantined"] == want["quarantined"] > 0
    assert got["duplicates"] == want["duplicates"] > 0
    assert got["read"] == want["bookings_read"]
    assert got["unmatched"] == want["unmatched"]
    assert got["internal"] == want["internal"]
    assert got["matched"] == want["matched"]
    assert got["read"] == got["duplicates"] + got["matched"] + got["unmatched"] + got["internal"]
    # Every stage was timed: a time, and more than none (a stage left out or skipped is 0).
    for stage in ("read", "parse", "combine", "reconcile+rules", "csv", "workbook", "word"):
        assert isinstance(result.get(stage), float) and result[stage] > 0, (stage, result)
    # Two exports at a time, as the flow reads them: the same bookings, whatever ends first.
    assert measure("kitflow-parallel", tmp_path / "xlsx")["conservation"] == got
    assert json.loads((tmp_path / "manifest.json").read_text())["rows_per_file"] == 300


def test_rounds_keep_each_figures_best_time_and_the_largest_memory():
    rounds = [
        {"read": 9.5, "parse": 4.0, "peak_mib": 200.0, "rows": 1000},
        {"read": 8.0, "parse": 4.5, "peak_mib": 260.0, "rows": 1000},
        {"read": 8.7, "parse": 3.9, "peak_mib": 230.0, "rows": 1000},
    ]
    best = best_of(rounds)
    assert (best["read"], best["parse"], best["peak_mib"]) == (8.0, 3.9, 260.0)
    assert best["spread"]["read"] == (8.0, 9.5)
    assert best["rows"] == 1000 and best["rounds"] == 3
