"""Time each stage of the nightly run on the generated data, with peak memory, against the floor.

Usage: python -m benchmarks.run [--rows 200000] [--data /tmp/kitflow-bench] [--generate]
                                [--markdown FILE] [--skip-handwritten]

Every measurement runs in its own subprocess, so its peak memory (ru_maxrss) is its own:
  floor        fastexcel reading the five xlsx into Arrow and nothing else;
  handwritten  pandas.read_excel (openpyxl) of the five xlsx plus a groupby per løbenummer;
  kitflow      read, parse, combine+reconcile, rules/report model, CSV, workbook, Word;
  csv          the same read+parse+reconcile on the 1,000,000-row CSV;
  startup      Prefect's fixed cost: a trivial flow run under a temporary API server;
  run          the whole `kitflow run` (a real Prefect flow run) on the xlsx folder.
The table goes to stdout as markdown (and to --markdown FILE).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-23"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_floor(data: Path) -> dict:
    import fastexcel

    t = time.perf_counter()
    rows = 0
    for path in sorted((data / "bookings").glob("*.xlsx")):
        reader = fastexcel.read_excel(str(path))
        for name in reader.sheet_names:
            rows += reader.load_sheet(name, header_row=None, skip_rows=0).to_arrow().num_rows
    return {"read": time.perf_counter() - t, "rows": rows}


def stage_handwritten(data: Path) -> dict:
    import pandas as pd

    t = time.perf_counter()
    frames = []
    for path in sorted((data / "bookings").glob("*.xlsx")):
        raw = pd.read_excel(path, engine="openpyxl", header=None)
        # What a user would do: find the row holding "Beløb", take the amount column as is.
        hdr = raw.index[raw.apply(lambda r: r.astype(str).str.contains("eløb").any(), axis=1)][0]
        df = raw.iloc[hdr + 1 :, [1, 2]]
        df.columns = ["loebenummer", "amount"]
        frames.append(df)
    read = time.perf_counter() - t
    everything = pd.concat(frames)
    everything["amount"] = pd.to_numeric(everything["amount"], errors="coerce")
    everything.groupby("loebenummer")["amount"].sum()
    return {"read": read, "reconcile": time.perf_counter() - t - read}


def stage_kitflow(data: Path) -> dict:
    """Each stage of the run in order, timed, without Prefect."""
    import datetime as dt

    from config.settings import load_settings
    from kitflow.core.bookings import BookingsOptions, combine, header_finder, parse_bookings
    from kitflow.readers import booking_files, read_export
    from reports.bilag import write_bilag
    from reports.csv_files import write_csv_files
    from reports.workbook import write_workbook
    from tasks.ingest import load_register
    from tasks.reconcile import make_report

    settings = load_settings(None, data_dir=str(data))
    times: dict[str, float] = {}

    def clock(name: str, start: float) -> float:
        now = time.perf_counter()
        times[name] = times.get(name, 0.0) + now - start
        return now

    t = time.perf_counter()
    options = BookingsOptions()
    register, _ = load_register(data / "register.xlsx")
    t = clock("register", t)
    parsed = []
    for path in booking_files(data / "bookings"):
        sheets = read_export(path, header_finder(options))
        t = clock("read", t)
        parsed.extend(parse_bookings(s, options) for s in sheets)
        t = clock("parse", t)
    bookings = combine(parsed)
    t = clock("combine", t)
    report = make_report(
        dt.date.fromisoformat(AS_OF),
        register,
        bookings,
        [],
        threshold_kr=settings.separate_account_threshold,
        explanation_pct=settings.explanation_threshold_pct,
        explanation_amount_kr=settings.explanation_threshold_amount,
        max_quarantined=10_000,
    )
    t = clock("reconcile+rules", t)
    with tempfile.TemporaryDirectory() as out:
        folder = Path(out)
        write_csv_files(report, folder)
        t = clock("csv", t)
        write_workbook(report, folder / "anlaegsregnskab.xlsx")
        t = clock("workbook", t)
        write_bilag(report, folder)
        t = clock("word", t)
    c = report.reconciliation.conservation
    return {
        **times,
        "conservation": {
            "read": c.read_count,
            "duplicates": c.duplicate_count,
            "matched": c.matched_count,
            "unmatched": c.unmatched_count,
            "internal": c.internal_count,
            "quarantined": len(report.quarantined),
            "bilag": len(report.overview),
        },
    }


def stage_startup(_data: Path) -> dict:
    from prefect import flow

    @flow(name="tom")
    def tom() -> int:
        return 1

    t = time.perf_counter()
    tom()
    return {"startup": time.perf_counter() - t}


STAGES = {
    "floor": stage_floor,
    "handwritten": stage_handwritten,
    "kitflow": stage_kitflow,
    "csv": stage_kitflow,
    "startup": stage_startup,
}


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A loaded machine can take longer than Prefect's default 20 s to start its server.
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    env["PREFECT_HOME"] = tempfile.mkdtemp(prefix="kitflow-bench-prefect-")
    env.pop("PREFECT_API_URL", None)
    return env


def measure(stage: str, data: Path) -> dict:
    """One stage in a fresh interpreter: its figures and its own peak memory."""
    cmd = [sys.executable, "-m", "benchmarks.run", "--stage", stage, "--data", str(data)]
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"stage {stage} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def measure_run(data: Path) -> dict:
    """The whole `kitflow run`, as an operator starts it (temporary Prefect API included)."""
    kitflow = Path(sys.executable).parent / "kitflow"
    with tempfile.TemporaryDirectory() as out:
        env = _env()
        env["KITFLOW_MAX_QUARANTINED_ROWS"] = "10000"
        env["KITFLOW_STATE_DIR"] = str(Path(out) / "state")
        cmd = [str(kitflow), "run", "--data", str(data), "--out", str(Path(out) / "out")]
        cmd += ["--as-of", AS_OF, "--no-send"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise RuntimeError(f"kitflow run failed:\n{done.stderr[-3000:]}")
    # ru_maxrss of children is the largest child so far; earlier stages may have been larger.
    return {
        "wall": wall,
        "peak_mib": peak / 1024,
        "peak_is_max_so_far": peak == before,
        "stdout": done.stdout.strip().splitlines()[-2:],
    }


def table(r: dict, rows: int) -> str:
    floor = r["floor"]["read"]
    k = r["kitflow"]
    read_reconcile = k["read"] + k["parse"] + k["combine"] + k["reconcile+rules"]
    hand = r["handwritten"]["read"] + r["handwritten"]["reconcile"]
    startup = r["startup"]["startup"]
    run = r["run"]["wall"]
    peak = max(r[s]["peak_mib"] for s in ("kitflow", "csv")) if "csv" in r else k["peak_mib"]
    peak = max(peak, r["run"]["peak_mib"])
    lines = [
        f"Input: 5 xlsx x {rows:,} rows ({5 * rows:,} booking lines), CSV {5 * rows:,} rows.",
        "",
        "| measurement | seconds | peak MiB | ratio | target | met |",
        "|---|---:|---:|---:|---|---|",
        f"| floor: fastexcel → Arrow, 5 xlsx | {floor:.2f} | {r['floor']['peak_mib']:.0f} "
        "| 1.00 | | |",
    ]
    for name in (
        "register",
        "read",
        "parse",
        "combine",
        "reconcile+rules",
        "csv",
        "workbook",
        "word",
    ):
        lines.append(f"| kitflow stage: {name} | {k[name]:.2f} | | | | |")
    ratio = read_reconcile / floor
    lines.append(
        f"| kitflow read+parse+reconcile, 5 xlsx | {read_reconcile:.2f} | {k['peak_mib']:.0f} | "
        f"{ratio:.2f}× floor | ≤ 1.5× | {'yes' if ratio <= 1.5 else 'NO'} |"
    )
    speedup = hand / read_reconcile
    lines.append(
        f"| hand-written: pandas.read_excel (openpyxl) + groupby | {hand:.2f} | "
        f"{r['handwritten']['peak_mib']:.0f} | kitflow {speedup:.1f}× faster | ≥ 10× | "
        f"{'yes' if speedup >= 10 else 'NO'} |"
    )
    if "csv" in r:
        c = r["csv"]
        t_csv = c["read"] + c["parse"] + c["combine"] + c["reconcile+rules"]
        lines.append(
            f"| kitflow read+parse+reconcile, 1 CSV | {t_csv:.2f} | {c['peak_mib']:.0f} | | | |"
        )
    lines.append(
        f"| Prefect start-up (trivial flow run) | {startup:.2f} | "
        f"{r['startup']['peak_mib']:.0f} | | | |"
    )
    budget = 3 * floor + startup
    lines.append(
        f"| whole `kitflow run` (Excel + Word written) | {run:.2f} | {r['run']['peak_mib']:.0f} | "
        f"{(run - startup) / floor:.2f}× floor + start-up | ≤ 3× floor + start-up "
        f"({budget:.1f} s) | {'yes' if run <= budget else 'NO'} |"
    )
    lines.append(
        f"| peak memory (largest measurement) | | {peak:.0f} | | < 2048 MiB | "
        f"{'yes' if peak < 2048 else 'NO'} |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=sorted(STAGES))
    parser.add_argument("--data", type=Path, default=Path("/tmp/kitflow-bench"))
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--generate", action="store_true", help="generate the data first")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--skip-handwritten", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    if args.stage:  # the child side: one measurement, one JSON line
        result = STAGES[args.stage](args.data)
        result["peak_mib"] = _peak_mib()
        print(json.dumps(result))
        return
    if args.generate:
        from benchmarks.generate import generate

        generate(args.data, args.rows)
    manifest = json.loads((args.data / "manifest.json").read_text(encoding="utf-8"))
    xlsx, csvdir = args.data / "xlsx", args.data / "csv"
    r: dict = {}
    r["floor"] = measure("floor", xlsx)
    r["kitflow"] = measure("kitflow", xlsx)
    r["csv"] = measure("csv", csvdir)
    if args.skip_handwritten:
        r["handwritten"] = {"read": float("nan"), "reconcile": float("nan"), "peak_mib": 0.0}
    else:
        r["handwritten"] = measure("handwritten", xlsx)
    r["startup"] = measure("startup", xlsx)
    r["run"] = measure_run(xlsx)
    r["manifest"] = manifest
    text = table(r, manifest["rows_per_file"])
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
