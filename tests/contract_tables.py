"""docs/data-contract.md's tables, made from the code's own definitions.

The input tables come from the data contract (kitflow/core/contract), the output tables from
the column definitions of reports/csv_files.py and reports/reminders_csv.py.
scripts/data_contract_tables.py rewrites the doc with them; tests/test_data_contract.py fails
when the doc is not what they give.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from kitflow.core.contract import EXPORTS, INPUTS, FileSpec, SheetSpec
from reports.csv_files import CSV_FILES
from reports.reminders_csv import CSV_COLUMNS, REMINDERS_CSV

DOC = Path(__file__).resolve().parent.parent / "docs" / "data-contract.md"
BEGIN = "<!-- table: {key} (made by scripts/data_contract_tables.py from the code) -->"
END = "<!-- end of table -->"
_BEGIN = re.compile(r"<!-- table: (.+?) \(made by scripts/data_contract_tables\.py")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _codes(names: Iterable[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def sheet_table(sheet: SheetSpec, alias_keys: bool = False) -> str:
    """One sheet's columns: header, other accepted headers, required, format, meaning.

    With `alias_keys`, also each column's key in the `[aliases]` settings.
    """
    head = ["Column", "Also accepted", "Must be there", "Format", "What it holds"]
    rows = []
    for c in sheet.columns:
        also = [f"`{h}`" + (" (the template's)" if h == c.template else "") for h in c.headers[1:]]
        row = [
            f"`{c.label}`",
            ", ".join(also) or "–",
            "yes" if c.required else "no",
            c.format(),
            c.what,
        ]
        rows.append([*row, f"`{c.field}`"] if alias_keys else row)
    return _table([*head, "`[aliases]` key"] if alias_keys else head, rows)


def file_table(spec: FileSpec) -> str:
    """A workbook's sheets and what one row of each is."""
    return _table(("Sheet", "One row per"), ((f"`{s.name}`", s.one_row_per) for s in spec.sheets))


def outputs_block() -> str:
    """Every CSV output's columns; files with the same columns share one table."""
    files: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for name, columns in [*CSV_FILES.items(), (REMINDERS_CSV, CSV_COLUMNS)]:
        files.setdefault(columns, []).append(name)
    parts = []
    for columns, names in files.items():
        parts.append(f"#### {_codes(names)}")
        parts.append(_table(("Column", "What it holds"), ((f"`{c}`", what) for c, what in columns)))
    return "\n\n".join(parts)


def tables() -> dict[str, str]:
    """Marker key -> the table (or block) the doc holds there."""
    out: dict[str, str] = {}
    for spec in INPUTS:
        if spec is EXPORTS:
            out["bookings"] = sheet_table(spec.sheets[0], alias_keys=True)
            continue
        out[spec.path] = file_table(spec)
        for sheet in spec.sheets:
            out[f"{spec.path}/{sheet.name}"] = sheet_table(sheet)
    out["outputs"] = outputs_block()
    return out


def doc_with_tables(doc_text: str, made: Mapping[str, str]) -> str:
    """The doc with every marked table replaced; a table without its marker is an error."""
    found = _BEGIN.findall(doc_text)
    unknown = sorted(set(found) - set(made))
    missing = sorted(set(made) - set(found))
    if unknown or missing:
        raise ValueError(f"markers for unknown tables {unknown}; tables without a marker {missing}")
    text = doc_text
    for key, table in made.items():
        begin = BEGIN.format(key=key)
        head, rest = text.split(begin, 1)
        _old, tail = rest.split(END, 1)
        text = f"{head}{begin}\n{table}\n{END}{tail}"
    return text
