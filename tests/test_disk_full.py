"""A full disk while writing: one line naming the folder, exit code 5, no retry, nothing lost.

The disk is a real small file system: a tmpfs mounted inside a private mount namespace of the
test's own subprocess (`unshare --mount`), so the mount is seen by that process alone and goes
with it however the test ends; the host's mounts are never touched. It needs root (or
CAP_SYS_ADMIN) and util-linux's `unshare`, as CI has; elsewhere the tests are skipped, saying
why. `RLIMIT_FSIZE` was not used: it gives EFBIG ("file too large"), not a full disk.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bad_input_cases import tree_digest

from tests.conftest import EXAMPLE_DATA

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2020-12-31"
PAGE = 4096  # tmpfs counts whole pages


def _probe_private_mount(tmp: Path) -> str | None:
    """Why a tmpfs cannot be mounted in a private namespace here, or None when it can."""
    if shutil.which("unshare") is None:
        return "util-linux's unshare is not installed"
    point = tmp / "probe"
    point.mkdir()
    mount = f'mount -t tmpfs -o size=16k tmpfs "{point}"'
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"cannot mount a tmpfs in a private mount namespace: {probe.stderr.strip()}"
    return None


@pytest.fixture
def small_disk(tmp_path):
    """Runs `sh -c SCRIPT` with a tmpfs of `size` bytes mounted on $DISK, privately."""
    reason = _probe_private_mount(tmp_path)
    if reason:
        pytest.skip(reason)
    disk = tmp_path / "disk"
    disk.mkdir()

    def run(size: int, script: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        mount = f'mount -t tmpfs -o size={size} tmpfs "$DISK" && {script}'
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount],
            env={**env, "DISK": str(disk), "PY": sys.executable, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=600,
        )

    return run


def _pages(folder: Path) -> int:
    return sum(-(-p.stat().st_size // PAGE) for p in folder.rglob("*") if p.is_file())


def _previous_output(root: Path) -> Path:
    """The example's reports for 31.12.2020 as an earlier run left them, by the app's steps."""
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
    from kitflow.core.accounts import make_report

    settings = Settings(data_dir=EXAMPLE_DATA)
    register, register_file = load_register(register_path(EXAMPLE_DATA))
    results = [parse_export(p, bookings_options(settings)) for p in export_paths(EXAMPLE_DATA)]
    files = [register_file, *(info for _parsed, info in results)]
    report = make_report(
        dt.date.fromisoformat(AS_OF),
        register,
        combine_exports(results),
        files,
        thresholds(settings),
    )
    return write_reports(report, root)


def _write_task_run_count(out: Path) -> int:
    """How many times the run's "skriv rapporter" task ran, as the Prefect API recorded it."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = [r for r in client.read_flow_runs() if r.parameters.get("out_dir") == str(out)]
        assert len(runs) == 1, runs
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[runs[0].id]))
        )
    [write] = [t for t in tasks if t.name == f"skriv rapporter {AS_OF}"]
    return write.run_count


@pytest.mark.flow
def test_a_full_disk_while_publishing_is_one_line_and_exit_5(prefect_harness, small_disk, tmp_path):
    from prefect.settings import get_current_settings

    old = _previous_output(tmp_path / "old")
    # Room for the previous output and a fifth of a new one: the run fills the disk midway.
    size = (_pages(old) + _pages(old) // 5) * PAGE
    after = tmp_path / "after"
    script = (
        'cp -a "$OLD/." "$DISK/" && '
        '{ "$PY" -c "from kitflow.cli import main; main()" run --data "$DATA" --out "$DISK" '
        f'--as-of {AS_OF} --no-send; rc=$?; cp -a "$DISK/." "$AFTER/"; exit $rc; }}'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KITFLOW_")}
    env.update(
        PREFECT_API_URL=str(get_current_settings().api.url),
        KITFLOW_STATE_DIR=str(tmp_path / "state"),
        OLD=str(old.parent),
        AFTER=str(after),
        DATA=str(EXAMPLE_DATA),
    )
    done = small_disk(size, script, env)

    disk = tmp_path / "disk"
    said = [line for line in done.stderr.splitlines() if line.startswith("kitflow: ")]
    assert done.returncode == 5, (done.returncode, done.stderr[-3000:])
    assert len(said) == 1, done.stderr[-3000:]
    assert re.fullmatch(
        rf"kitflow: {re.escape(str(disk))}: disken er fuld \([\d.,]+ (byte|MB) ledigt\): "
        r"rapporterne pr\. 31\.12\.2020 kunne ikke skrives \([\d.,]+ (byte|MB) var skrevet, da "
        rf"pladsen slap op\)\. Frigør plads, og kør igen; {AS_OF} er som før",
        said[0],
    ), said[0]
    written = re.search(r"\(([\d.]+) byte var skrevet", said[0])
    assert written is None or int(written.group(1).replace(".", "")) > 0
    assert "Traceback" not in done.stderr
    # The previous output is as it was, and no half-written folder is left beside it.
    assert sorted(p.name for p in after.iterdir()) == [AS_OF]
    assert tree_digest(after / AS_OF) == tree_digest(old)
    # Written once: a retry would only fill the same disk again.
    assert _write_task_run_count(disk) == 1


def test_a_full_disk_keeps_a_state_file_and_says_so(small_disk, tmp_path):
    """The run's small state files (C6's hand-over, the change snapshot) say it the same way."""
    program = (
        "from pathlib import Path\n"
        "from kitflow.core.findings import KitflowError\n"
        "from kitflow.publish import write_text_atomic\n"
        "path = Path('$DISK/afstemning/c6.json')\n"
        "write_text_atomic(path, 'før')\n"
        "try:\n"
        "    write_text_atomic(path, 'x' * 100_000)\n"
        "except KitflowError as exc:\n"
        "    print(f'{exc.exit_code} {exc}')\n"
    ).replace("$DISK", str(tmp_path / "disk"))
    script = (
        '"$PY" -c "$PROGRAM" && cat "$DISK/afstemning/c6.json" && echo && ls -A "$DISK/afstemning"'
    )
    done = small_disk(4 * PAGE, script, {**os.environ, "PROGRAM": program})
    assert done.returncode == 0, done.stderr[-3000:]
    said, kept, listing = done.stdout.splitlines()
    folder = tmp_path / "disk" / "afstemning"
    assert said.startswith(f"5 {folder}: disken er fuld (")
    assert said.endswith("Frigør plads, og kør igen; c6.json er som før")
    assert "c6.json kunne ikke skrives" in said
    assert kept == "før"
    assert listing == "c6.json"  # no temporary file left
