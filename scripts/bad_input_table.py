"""Rewrite the table in docs/bad-input.md by running `kitflow check` on every bad-input case.

The cases are tests/bad_input_cases.py, the same ones tests/test_bad_input.py runs; that test
fails when the table here is not what the cases give. Run: .venv/bin/python
scripts/bad_input_table.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
for name in [n for n in os.environ if n.startswith("KITFLOW_")]:
    del os.environ[name]  # the table shows the defaults, as the tests do

from bad_input_cases import DOC, doc_with_table, render_table, run_all  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        cwd = os.getcwd()
        os.chdir(root)
        try:
            table = render_table(run_all(Path(root)))
        finally:
            os.chdir(cwd)
    DOC.write_text(doc_with_table(DOC.read_text(encoding="utf-8"), table), encoding="utf-8")
    print(f"wrote {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
