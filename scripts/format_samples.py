"""Rewrite the samples in docs/formats/: one short export per format kitflow reads from SAP.

The files are made by tests/sap_exports.py, as the tests make theirs; tests/test_sap_formats.py
reads each. Run: .venv/bin/python scripts/format_samples.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from sap_exports import write_samples  # noqa: E402


def main() -> None:
    for path in write_samples(REPO / "docs" / "formats"):
        print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
