"""A publish killed by SIGKILL at any point leaves out/<as-of> whole: old or new, never half."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kitflow import publish as pub

AS_OF = dt.date(2020, 12, 31)
FILES = 40

# Publishes version 1, 2, 3, ... of a 40-file output until killed. Every file of version n
# says n, and MANIFEST is written last, so a folder is complete exactly when all files and
# MANIFEST agree.
CHILD = textwrap.dedent(
    """
    import datetime as dt, sys
    from pathlib import Path
    from kitflow import publish as pub
    out, start, exchange = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    pub.exchange_supported = pub.exchange_supported and exchange
    def version(n):
        def write(folder):
            for i in range({files}):
                (folder / f"f{{i:03}}.csv").write_text(f"{{n}}\\n" * 200)
            (folder / "MANIFEST").write_text(str(n))
        return write
    n = start
    while True:
        pub.publish(out, dt.date(2020, 12, 31), version(n))
        print(n, flush=True)
        n += 1
    """
).format(files=FILES)


def complete_version(folder: Path) -> int:
    """The version a folder holds; fails the test if it is missing or mixed."""
    assert folder.is_dir(), f"{folder} is missing"
    manifest = folder / "MANIFEST"
    assert manifest.is_file(), f"{folder} has no MANIFEST: half written"
    n = int(manifest.read_text())
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([*(f"f{i:03}.csv" for i in range(FILES)), "MANIFEST"])
    for i in range(FILES):
        assert (folder / f"f{i:03}.csv").read_text() == f"{n}\n" * 200
    return n


def _kill_loop(tmp_path: Path, exchange: bool, kills: int, seed: int) -> set[int]:
    out = tmp_path / "out"
    pub.publish(out, AS_OF, lambda f: _write_version(f, 0))
    rng = random.Random(seed)
    seen = {0}
    start = 1
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    for _ in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(out), str(start), "1" if exchange else "0"],
            stdout=subprocess.PIPE,
            env=env,
        )
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        printed = child.communicate()[0].split()
        start += len(printed) + 1
        if not exchange:
            # Between its two renames a killed publish leaves the old folder aside; the next
            # publish (here: recover, as the next run would) puts it back first.
            pub.recover(out)
        n = complete_version(out / AS_OF.isoformat())
        seen.add(n)
        leftovers = [p.name for p in out.iterdir() if p.name.startswith(".") and ".old-" in p.name]
        assert not leftovers or exchange, leftovers
    # The next publish after all the kills still works and cleans up what the kills left.
    pub.publish(out, AS_OF, lambda f: _write_version(f, 10_000))
    assert complete_version(out / AS_OF.isoformat()) == 10_000
    assert sorted(p.name for p in out.iterdir()) == [AS_OF.isoformat()]
    return seen


def _write_version(folder: Path, n: int) -> None:
    for i in range(FILES):
        (folder / f"f{i:03}.csv").write_text(f"{n}\n" * 200)
    (folder / "MANIFEST").write_text(str(n))


@pytest.mark.skipif(not pub.exchange_supported, reason="renameat2 exchange is Linux only")
def test_sigkill_during_atomic_exchange_publish(tmp_path):
    seen = _kill_loop(tmp_path, exchange=True, kills=14, seed=7)
    assert len(seen) > 2, f"the kills never let a publish finish: {seen}"


def test_sigkill_during_two_rename_publish_is_recovered(tmp_path):
    seen = _kill_loop(tmp_path, exchange=False, kills=10, seed=11)
    assert len(seen) > 2, f"the kills never let a publish finish: {seen}"


def test_kill_between_the_two_renames_is_undone_by_the_next_publish(tmp_path):
    """The exact state a kill between the renames leaves: no out/<as-of>, the old one aside."""
    out = tmp_path / "out"
    pub.publish(out, AS_OF, lambda f: _write_version(f, 1))
    target = out / AS_OF.isoformat()
    target.rename(out / f".{AS_OF.isoformat()}.old-x1y2")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    staging = out / f".{AS_OF.isoformat()}.new-{pub.socket.gethostname()}-{dead}-abc"
    staging.mkdir()
    (staging / "f000.csv").write_text("2\n")  # the new output the killed run was writing

    assert pub.recover(out) == [target]
    assert complete_version(target) == 1
    assert not staging.exists()

    # And with the aside folder still there, a publish restores first, then swaps.
    target.rename(out / f".{AS_OF.isoformat()}.old-x1y2")
    pub.publish(out, AS_OF, lambda f: _write_version(f, 2))
    assert complete_version(target) == 2
    assert sorted(p.name for p in out.iterdir()) == [AS_OF.isoformat()]


def test_a_live_runs_staging_folder_is_left_alone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    mine = out / f".{AS_OF.isoformat()}.new-{pub.socket.gethostname()}-{os.getpid()}-abc"
    other_host = out / f".{AS_OF.isoformat()}.new-some-other-host-1-abc"
    mine.mkdir()
    other_host.mkdir()
    pub.recover(out)
    assert mine.exists() and other_host.exists()


def test_a_failing_write_leaves_the_old_output_and_no_staging(tmp_path):
    out = tmp_path / "out"
    pub.publish(out, AS_OF, lambda f: _write_version(f, 1))

    def broken(folder: Path) -> None:
        _write_version(folder, 2)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        pub.publish(out, AS_OF, broken)
    assert complete_version(out / AS_OF.isoformat()) == 1
    assert sorted(p.name for p in out.iterdir()) == [AS_OF.isoformat()]
