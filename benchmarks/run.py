"""Time each stage of the nightly run on the generated data, with peak memory, against the floor.

Usage: python -m benchmarks.run [--rows 200000] [--data /tmp/kitflow-bench] [--generate]
                                [--markdown FILE] [--skip-handwritten] [--repeat 3]

Every measurement runs in its own subprocess, so its peak memory (ru_maxrss) is its own:
  floor        fastexcel reading the five xlsx into Arrow and nothing else, one after another;
  floor-parallel  the same, two files at a time (the flow reads two exports at a time);
  handwritten  pandas.read_excel (openpyxl) of the five xlsx plus a groupby per løbenummer;
  kitflow      read, parse, combine+reconcile, rules/report model, CSV, workbook, Word;
  kitflow-parallel  read+parse two exports at a time (as the flow does), combine, reconcile;
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
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-23"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _floor_rows(path: Path) -> int:
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    return sum(
        reader.load_sheet(name, header_row=None, skip_rows=0).to_arrow().num_rows
        for name in reader.sheet_names
    )


def stage_floor(data: Path) -> dict:
    """fastexcel reading the files one after another, into Arrow, and nothing else."""
    import fastexcel  # noqa: F401  (imported before the clock starts)

    t = time.perf_counter()
    rows = sum(_floor_rows(path) for path in sorted((data / "bookings").glob("*.xlsx")))
    return {"read": time.perf_counter() - t, "rows": rows}


def stage_floor_parallel(data: Path) -> dict:
    """The same, READ_WORKERS files at a time, as the nightly flow reads them."""
    from concurrent.futures import ThreadPoolExecutor

    import fastexcel  # noqa: F401  (imported before the clock starts)

    from kitflow.readers import READ_WORKERS

    paths = sorted((data / "bookings").glob("*.xlsx"))
    t = time.perf_counter()
    with ThreadPoolExecutor(READ_WORKERS) as pool:
        rows = sum(pool.map(_floor_rows, paths))
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
    """Each stage of the run in order, one export after another, timed, without Prefect."""
    return _kitflow(data, parallel=False)


def stage_kitflow_parallel(data: Path) -> dict:
    """The same with the exports read and parsed READ_WORKERS at a time, as the flow does."""
    return _kitflow(data, parallel=True)


def _kitflow(data: Path, parallel: bool) -> dict:
    import dataclasses
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor

    from kitflow.app.inputs import export_paths, load_register, parse_export, register_path
    from kitflow.app.settings import bookings_options, settings_for_run, thresholds
    from kitflow.core.accounts import make_report
    from kitflow.core.bookings import header_finder, parse_bookings
    from kitflow.core.combine import combine
    from kitflow.readers import READ_WORKERS, read_export, reading_order
    from reports.bilag import write_bilag
    from reports.csv_files import write_csv_files
    from reports.workbook import write_workbook

    settings = settings_for_run(data_dir=data)
    times: dict[str, float] = {}

    def clock(name: str, start: float) -> float:
        now = time.perf_counter()
        times[name] = times.get(name, 0.0) + now - start
        return now

    t = time.perf_counter()
    options = bookings_options(settings)
    limits = settings.input_limits
    register, _ = load_register(register_path(data), limits)
    t = clock("register", t)
    parsed = []
    if parallel:
        # As the nightly flow reads: READ_WORKERS at a time, largest first, results in name order.
        paths = export_paths(data)
        with ThreadPoolExecutor(READ_WORKERS) as pool:
            started = {
                p: pool.submit(parse_export, p, options, limits) for p in reading_order(paths)
            }
            results = [started[p].result() for p in paths]
        parsed = [sheet for sheets, _info in results for sheet in sheets]
        t = clock("read+parse", t)
    else:
        for path in export_paths(data):
            sheets = read_export(path, header_finder(options), limits)
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
        # As the run judges, with room for the generator's bad cells.
        dataclasses.replace(thresholds(settings), max_quarantined_rows=10_000),
    )
    t = clock("reconcile+rules", t)
    # The figure the 1.5x target is about, per measurement (a sum of best stages would mix runs).
    times["read+parse+reconcile"] = (
        sum(v for k, v in times.items() if k in ("read", "parse", "read+parse", "combine"))
        + times["reconcile+rules"]
    )
    # The reports are the same work either way; the serial measurement times them.
    with tempfile.TemporaryDirectory() as out:
        folder = Path(out)
        if parallel:
            return {**times, "conservation": _conservation(report)}
        write_csv_files(report, folder)
        t = clock("csv", t)
        write_workbook(report, folder / "anlaegsregnskab.xlsx")
        t = clock("workbook", t)
        write_bilag(report, folder)
        t = clock("word", t)
    return {**times, "conservation": _conservation(report)}


def _conservation(report) -> dict:
    c = report.reconciliation.conservation
    return {
        "read": c.read_count,
        "duplicates": c.duplicate_count,
        "matched": c.matched_count,
        "unmatched": c.unmatched_count,
        "internal": c.internal_count,
        "quarantined": len(report.quarantined),
        "bilag": len(report.overview),
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
    "floor-parallel": stage_floor_parallel,
    "handwritten": stage_handwritten,
    "kitflow": stage_kitflow,
    "kitflow-parallel": stage_kitflow_parallel,
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
        with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
            t = time.perf_counter()
            child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out_file, stderr=err_file)
            # wait4 gives this run's own peak memory (RUSAGE_CHILDREN would give the largest
            # of every measurement so far).
            _pid, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - t
            child.returncode = os.waitstatus_to_exitcode(status)
            out_file.seek(0)
            err_file.seek(0)
            stdout, stderr = out_file.read().decode(), err_file.read().decode()
    if child.returncode != 0:
        raise RuntimeError(f"kitflow run failed:\n{stderr[-3000:]}")
    return {
        "wall": wall,
        "peak_mib": usage.ru_maxrss / 1024,
        "stdout": stdout.strip().splitlines()[-2:],
    }


def best_of(rounds: Sequence[dict]) -> dict:
    """One measurement's figures over several rounds: each time its minimum, memory its maximum.

    The minimum is the cost with the least interference from the rest of the machine (on this
    virtual machine the same measurement varies by 20-30 % from run to run); the spread of the
    main figure is kept beside it so the table shows how much the rounds varied.
    """
    best: dict = {}
    for key, first in rounds[0].items():
        values = [r[key] for r in rounds]
        if key == "peak_mib":
            best[key] = max(values)
        elif isinstance(first, float):
            best[key] = min(values)
            best.setdefault("spread", {})[key] = (min(values), max(values))
        else:
            best[key] = first
    best["rounds"] = len(rounds)
    return best


def _range(m: dict, key: str) -> str:
    low, high = m.get("spread", {}).get(key, (m[key], m[key]))
    return f"{low:.2f}" if m.get("rounds", 1) == 1 else f"{low:.2f}–{high:.2f}"


def table(r: dict, rows: int) -> str:
    floor = r["floor"]["read"]
    floor2 = r["floor-parallel"]["read"] if "floor-parallel" in r else None
    k = r["kitflow"]
    serial = k["read+parse+reconcile"]
    kp = r.get("kitflow-parallel")
    parallel = kp["read+parse+reconcile"] if kp else None
    flow_like = parallel if parallel is not None else serial
    hand = r["handwritten"]["read"] + r["handwritten"]["reconcile"]
    startup = r["startup"]["startup"]
    run = r["run"]["wall"]
    peaks = [r[s]["peak_mib"] for s in ("kitflow", "kitflow-parallel", "csv") if s in r]
    peak = max([*peaks, r["run"]["peak_mib"]])

    def met(ok: bool) -> str:
        return "yes" if ok else "NO"

    def line(what: str, m: dict | None, key: str, ratio: str = "", target: str = "", ok=""):
        seconds = f"{m[key]:.2f}" if m else ""
        spread = _range(m, key) if m else ""
        peak_mib = f"{m['peak_mib']:.0f}" if m and key in _MAIN else ""
        return f"| {what} | {seconds} | {spread} | {peak_mib} | {ratio} | {target} | {ok} |"

    lines = [
        f"Input: 5 xlsx x {rows:,} rows ({5 * rows:,} booking lines), CSV {5 * rows:,} rows. "
        f"Best of {r['floor'].get('rounds', 1)} rounds (seconds); the rounds' range beside it.",
        "",
        "| measurement | seconds | rounds | peak MiB | ratio | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
        line("floor: fastexcel → Arrow, 5 xlsx one after another", r["floor"], "read", "1.00"),
    ]
    if floor2 is not None:
        lines.append(
            line(
                "floor, 2 threads: fastexcel → Arrow, 2 xlsx at a time",
                r["floor-parallel"],
                "read",
                f"{floor2 / floor:.2f}",
            )
        )
    for name in ("register", "read", "parse", "combine", "reconcile+rules"):
        lines.append(line(f"kitflow stage (serial): {name}", k, name))
    for name in ("csv", "workbook", "word"):
        lines.append(line(f"kitflow stage (serial): {name}", k, name))
    ratio = serial / floor
    lines.append(
        line(
            "kitflow read+parse+reconcile, 5 xlsx one after another",
            k,
            "read+parse+reconcile",
            f"{ratio:.2f}× floor",
            "≤ 1.5×",
            met(ratio <= 1.5),
        )
    )
    if kp is not None:
        lines.append(line("kitflow stage (2 threads): read+parse", kp, "read+parse"))
        ratio = parallel / floor
        lines.append(
            line(
                "kitflow read+parse+reconcile, 2 exports at a time (as the flow runs)",
                kp,
                "read+parse+reconcile",
                f"{ratio:.2f}× floor",
                "≤ 1.5×",
                met(ratio <= 1.5),
            )
        )
        if floor2 is not None:
            ratio2 = parallel / floor2
            lines.append(
                f"| the same against the 2-thread floor | {parallel:.2f} | | | "
                f"{ratio2:.2f}× floor, 2 threads | (≤ 1.5×) | {met(ratio2 <= 1.5)} |"
            )
    speedup = hand / flow_like
    lines.append(
        f"| hand-written: pandas.read_excel (openpyxl) + groupby | {hand:.2f} | | "
        f"{r['handwritten']['peak_mib']:.0f} | kitflow {speedup:.1f}× faster | ≥ 10× | "
        f"{met(speedup >= 10)} |"
    )
    if "csv" in r:
        c = r["csv"]
        lines.append(
            line(
                f"kitflow read+parse+reconcile, 1 CSV (read {c['read']:.2f}, parse "
                f"{c['parse']:.2f}, workbook {c['workbook']:.2f})",
                c,
                "read+parse+reconcile",
            )
        )
    lines.append(line("Prefect start-up (trivial flow run)", r["startup"], "startup"))
    budget = 3 * floor + startup
    lines.append(
        line(
            "whole `kitflow run` (Excel + Word written)",
            r["run"],
            "wall",
            f"{(run - startup) / floor:.2f}× floor + start-up",
            f"≤ 3× floor + start-up ({budget:.1f} s)",
            met(run <= budget),
        )
    )
    lines.append(
        f"| peak memory (largest measurement) | | | {peak:.0f} | | < 2048 MiB | "
        f"{met(peak < 2048)} |"
    )
    return "\n".join(lines)


# The figure of each measurement whose row also shows the measurement's peak memory.
_MAIN = {"read", "read+parse+reconcile", "startup", "wall"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=sorted(STAGES))
    parser.add_argument("--data", type=Path, default=Path("/tmp/kitflow-bench"))
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--generate", action="store_true", help="generate the data first")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--skip-handwritten", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of every measurement; the best is shown"
    )
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
    # Rounds take every measurement in turn, so a noisy minute affects all of them alike.
    rounds: dict[str, list[dict]] = {}
    for n in range(args.repeat):
        print(f"round {n + 1} of {args.repeat}", file=sys.stderr)
        for name, data in (
            ("floor", xlsx),
            ("floor-parallel", xlsx),
            ("kitflow", xlsx),
            ("kitflow-parallel", xlsx),
            ("csv", csvdir),
            ("startup", xlsx),
        ):
            rounds.setdefault(name, []).append(measure(name, data))
        rounds.setdefault("run", []).append(measure_run(xlsx))
    r: dict = {name: best_of(results) for name, results in rounds.items()}
    # The hand-written version takes minutes per round; once is enough at 50x.
    if args.skip_handwritten:
        r["handwritten"] = {"read": float("nan"), "reconcile": float("nan"), "peak_mib": 0.0}
    else:
        r["handwritten"] = measure("handwritten", xlsx)
    r["manifest"] = manifest
    text = table(r, manifest["rows_per_file"])
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
