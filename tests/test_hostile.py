"""Hostile content through the real flow: no formula, no markup, no path from the data survives."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from reports.format import safe_text

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "example"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

PROJECT_NAMES = [
    '=HYPERLINK("http://evil.invalid","klik")',
    "<script>alert(1)</script> & co",
    "@SUM(A1:A9)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=2+2",
    "Normal & <b>fed</b>",
]
SHORT_NAMES = ["../../etc/x", "CON", "a/b\\c", "..", "/abs/path", "NUL.txt", "x" * 300, "æøå"]
UNIT = "../../<img src=x onerror=alert(1)>"
SYSTEM = '=cmd|"/c calc"!A1 <b>system</b>'


# The namespaces of the elements of a Word document's body (ECMA-376 and Word's extensions).
WORD_NAMESPACES = {
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "http://schemas.openxmlformats.org/drawingml/2006/main",
    "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "http://schemas.microsoft.com/office/word/2010/wordml",
    "http://schemas.microsoft.com/office/word/2012/wordml",
    "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
    "urn:schemas-microsoft-com:vml",
    "urn:schemas-microsoft-com:office:office",
    "urn:schemas-microsoft-com:office:word",
}


def _text(cell, value: str) -> None:
    """Write text as text: openpyxl would store "=..." as a formula, not what a user typed."""
    cell.value = value
    cell.data_type = "s"


def _replace_everywhere(wb: openpyxl.Workbook, old: str, new: str) -> None:
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == old:
                    _text(cell, new)


def hostile_data(root: Path) -> Path:
    data = root / "data"
    shutil.copytree(EXAMPLE, data)
    wb = openpyxl.load_workbook(data / "register.xlsx")
    ws = wb["Projekter"]
    header = [c.value for c in ws[1]]
    col_short = header.index("Kort navn") + 1
    col_explain = header.index("Afvigelsesforklaring") + 1
    col_udvalg = header.index("Udvalg") + 1
    olds = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    for i, old in enumerate(olds):
        new = PROJECT_NAMES[i % len(PROJECT_NAMES)]
        _replace_everywhere(wb, old, new)
        _text(ws.cell(row=i + 2, column=col_short), SHORT_NAMES[i % len(SHORT_NAMES)])
        _text(ws.cell(row=i + 2, column=col_explain), "=1+1 <i>forklaring</i> &amp;")
        _text(ws.cell(row=i + 2, column=col_udvalg), "@udvalg")
    wb.save(data / "register.xlsx")

    wb = openpyxl.load_workbook(data / "acquisitions.xlsx")
    _replace_everywhere(wb, "Borgerservice", UNIT)
    _replace_everywhere(wb, "Tidsbestilling i Borgerservice", SYSTEM)
    wb.save(data / "acquisitions.xlsx")

    export = data / "bookings" / "eksport_interne_og_ukendte.csv"
    text = export.read_bytes().decode("utf-8-sig")
    text = text.replace("4000000017;1;Konsulentbistand", '@evil;1;=HYPERLINK("x")')
    text = text.replace("4000000021;1;Licenser", "4000000021;1;\t=2+2")
    text = text.replace(";Intern viderefakturering", ";-5")
    export.write_bytes(("\ufeff" + text).encode("utf-8"))
    return data


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _check_text_cell(value: str, where: str) -> None:
    if value.startswith(FORMULA_START) and not NUMBER.match(value):
        pytest.fail(f"{where}: {value!r} would be a formula in Excel")


@pytest.mark.flow
def test_hostile_register_and_export_through_the_real_flow(prefect_harness, tmp_path, monkeypatch):
    from flows.nightly import afstemning

    data = hostile_data(tmp_path)
    out, state = tmp_path / "out", tmp_path / "state"
    monkeypatch.setenv("KITFLOW_STATE_DIR", str(state))
    summary = afstemning(as_of=dt.date(2020, 12, 31), data_dir=str(data), out_dir=str(out))
    folder = Path(summary["output"])
    assert _inside(folder, out)

    # Nothing was written outside the output and state folders, whatever the names said.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out", "state"]
    files = [p for p in (*out.rglob("*"), *state.rglob("*")) if p.is_file()]
    for path in files:
        assert _inside(path, out) or _inside(path, state), path
        assert path.name not in ("x", "CON", "NUL.txt") and "\\" not in path.name
    bilag = sorted(p.name for p in folder.glob("anlaegsregnskab-*.docx"))
    assert bilag and all(re.fullmatch(r"anlaegsregnskab-[\w-]+\.docx", n) for n in bilag), bilag

    seen_hostile = {"csv": 0, "xlsx": 0, "docx": 0, "eml": 0}
    negative_numbers = 0
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            for r, row in enumerate(csv.reader(fh), start=1):
                for value in row:
                    _check_text_cell(value, f"{path.name}:{r}")
                    seen_hostile["csv"] += value.startswith("'")
                    negative_numbers += bool(re.fullmatch(r"-\d+\.\d\d", value))
    assert negative_numbers, "negative amounts must stay plain numbers in the CSV files"

    wb = openpyxl.load_workbook(folder / "anlaegsregnskab.xlsx")
    numeric_negatives = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    _check_text_cell(cell.value, f"{ws.title}!{cell.coordinate}")
                    seen_hostile["xlsx"] += cell.value.startswith("'")
                elif isinstance(cell.value, int | float) and cell.value < 0:
                    numeric_negatives += 1
    assert numeric_negatives, "negative amounts must stay numbers in the workbook"

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for path in folder.glob("*.docx"):
        with zipfile.ZipFile(path) as z:
            root = ElementTree.fromstring(z.read("word/document.xml"))  # well-formed
        text = "".join(t.text or "" for t in root.iter(f"{w}t"))
        # Markup from the data would be an element of no namespace (<b>, <i>, <script>) or of
        # another one; every element Word's own.
        for element in root.iter():
            namespace = element.tag[1:].split("}")[0] if element.tag.startswith("{") else None
            assert namespace in WORD_NAMESPACES, f"{path.name}: element <{element.tag}>"
        seen_hostile["docx"] += "<script>alert(1)</script>" in text or "<b>fed</b>" in text
        seen_hostile["docx"] += "=1+1 <i>forklaring</i> &amp;" in text

    mails = sorted((state / "outbox").glob("*.eml"))
    assert mails, "the reminders (no SMTP host) should be in the outbox folder"
    for path in mails:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        html = msg.get_body(("html",))
        if html is None:
            continue
        content = html.get_content()
        assert "<img src=x" not in content and "<b>system</b>" not in content, path.name
        seen_hostile["eml"] += "&lt;img src=x" in content or "&lt;b&gt;system" in content
        for part in msg.walk():
            name = part.get_filename()
            assert name is None or ("/" not in name and "\\" not in name), name
    # The hostile values really reached every kind of output (else this test proves nothing).
    assert all(seen_hostile.values()), seen_hostile


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+45 33 66 33 66", "'+45 33 66 33 66"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Normal tekst", "Normal tekst"),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_text(value, expected):
    assert safe_text(value) == expected
