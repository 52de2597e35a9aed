"""The scripts that made committed files still make them: the example data, the bilag template.

Compared on what the files hold (cell values, CSV text, document text, styles), not on zip
bytes, which carry timestamps. When a test here fails after a deliberate change to the
committed file (the template edited in Word, say), carry the change into the script too, or
the next run of the script silently undoes it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from docx import Document
from openpyxl import load_workbook

REPO = Path(__file__).resolve().parent.parent


def script(name: str) -> ModuleType:
    """A script loaded as a module of its own (its dataclasses need it in sys.modules)."""
    spec = importlib.util.spec_from_file_location(
        f"_script_{name}", REPO / "scripts" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def workbook_content(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_make_example_data_writes_the_committed_example(tmp_path):
    make = script("make_example_data")
    committed = REPO / "config" / "example"
    make.ROOT, make.OUT, make.BOOKINGS = (
        tmp_path,
        tmp_path / "example",
        tmp_path / "example/bookings",
    )
    make.main()
    made_files = sorted(p.relative_to(make.OUT) for p in make.OUT.rglob("*") if p.is_file())
    assert made_files == sorted(
        p.relative_to(committed) for p in committed.rglob("*") if p.is_file()
    )
    for name in made_files:
        made, kept = make.OUT / name, committed / name
        if name.suffix == ".xlsx":
            assert workbook_content(made) == workbook_content(kept), name
        else:
            assert made.read_bytes() == kept.read_bytes(), name


def document_content(path: Path) -> tuple:
    doc = Document(str(path))
    return (
        [(p.style.name, p.text) for p in doc.paragraphs],
        [[c.text for c in row.cells] for table in doc.tables for row in table.rows],
        sorted(s.name for s in doc.styles),
        [[p.text for p in s.footer.paragraphs] for s in doc.sections],
    )


def test_make_bilag_template_builds_the_committed_template(tmp_path):
    made = script("make_bilag_template").build(tmp_path / "anlaegsregnskab.docx")
    committed = REPO / "reports" / "templates" / "anlaegsregnskab.docx"
    assert document_content(made) == document_content(committed)
