"""Rewrite docs/data-contract.md's tables from the code's column definitions.

The tables are made by tests/contract_tables.py from the data contract (kitflow/core/contract)
and the CSV writers (reports/); tests/test_data_contract.py fails while the doc is stale. Run:
.venv/bin/python scripts/data_contract_tables.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from contract_tables import DOC, doc_with_tables, tables  # noqa: E402


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(doc_with_tables(text, tables()), encoding="utf-8")
    print(f"wrote {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
