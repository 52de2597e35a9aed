"""acquisitions.xlsx built by hand: the data contract's sheets and headers, for tests and examples.

The headers are written out here by hand, not taken from kitflow/core/contract (which the
reader uses), so a change there that stops accepting one of them fails the tests.
scripts/make_example_data.py builds the shipped example register with the same headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

HEADERS: dict[str, list[str]] = {
    "Enheder": ["Enhed", "Forvaltning", "Email", "Direktion email", "Digitaliseringskontor email"],
    "Systemer": [
        "System-id",
        "Navn",
        "Enhed",
        "Klassifikation",
        "Type",
        "Slutdato",
        "Anmeldt systemregister",
        "Tilladelse",
        "I drift",
    ],
    "Kontrakter": [
        "Kontrakt-id",
        "System-id",
        "Leverandør",
        "Type",
        "Enhed",
        "Underskrevet",
        "Sendt til Koncern IT",
    ],
    "Betingelser": ["Betingelse-id", "System-id", "Beskrivelse", "Frist", "Udbedret"],
    "Koncern IT": ["Email"],
}

Rows = Iterable[Sequence[object]]


def acquisitions_sheets(
    *,
    units: Rows = (),
    systems: Rows = (),
    contracts: Rows = (),
    conditions: Rows = (),
    kit: Rows = (("kit@kk.dk",),),
) -> dict[str, list[list[object]]]:
    """Every sheet as raw rows, header first, as `read_acquisitions` takes them."""
    data = {
        "Enheder": units,
        "Systemer": systems,
        "Kontrakter": contracts,
        "Betingelser": conditions,
        "Koncern IT": kit,
    }
    return {name: [HEADERS[name], *(list(r) for r in rows)] for name, rows in data.items()}


def write_acquisitions(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """The sheets as an .xlsx workbook (openpyxl), in the order given."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path
