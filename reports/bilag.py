"""The Word bilag (Bilag 4's layout) from a docxtpl template the controllers edit themselves."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate

from kitflow.core.accounts import ProjectAccount, Report
from kitflow.core.reconcile import PostFigures
from reports.format import fmt_date, fmt_mio
from reports.tables import (
    KATEGORI_TEKST,
    Row,
    fmt_cell,
    overview_table,
    project_table,
    resultat_text,
    threshold_reached,
    threshold_under,
)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = TEMPLATE_DIR / "anlaegsregnskab.docx"
MISSING = "[MANGLER: afvigelsesforklaring]"


def _ja_nej(value: bool | None) -> str:
    return {True: "Ja", False: "Nej"}.get(value, "[MANGLER: Ja/Nej]")


def _paragraphs(text: str) -> list[str]:
    """Text from the register as paragraphs: blank lines separate them."""
    parts = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    return [" ".join(line.strip() for line in p.splitlines()) for p in parts if p.strip()]


def _cells(row: Row, keys: Sequence[str]) -> dict[str, str]:
    return dict(zip(keys, map(fmt_cell, row.cells), strict=True))


POSTS = ("udgifter", "indtaegter", "netto")
FIGURES = ("raadighedsbeloeb", "forbrug", "afvigelse", "afvigelse_pct")


def _henvisning(beslutning: str, dato: str) -> str:
    """B4's "(Overførselssagen 2018-2019, 09.05.2019)"; a name already dated is not dated twice."""
    return beslutning if not dato or dato in beslutning else f"{beslutning}, {dato}"


def _project(account: ProjectAccount) -> dict[str, Any]:
    p = account.project
    table = project_table(account)
    decisions_total = sum(d.netto for d in account.decisions)
    bevilling_ore = (
        p.anlaegsbevilling_ore if p.anlaegsbevilling_ore is not None else decisions_total
    )
    explanation = _paragraphs(p.afvigelsesforklaring)
    decision_rows = [r for r in table.rows if r.key == "beslutning"]
    return {
        "navn": p.projekt,
        "bevilling": p.bevilling,
        "loebenumre": [
            {"nummer": n.loebenummer.loebenummer, "tekst": n.loebenummer.tekst}
            for n in account.loebenumre
        ],
        "anlaegsbevilling_mio": fmt_mio(bevilling_ore),
        "beslutninger": [
            {
                "beslutning": row.label,
                "dato": fmt_date(d.dato),
                "henvisning": _henvisning(d.beslutning, fmt_date(d.dato)),
                "mio": fmt_mio(d.netto),
                **_cells(row, POSTS),
            }
            for d, row in zip(account.decisions, decision_rows, strict=True)
        ],
        "beskrivelse": _paragraphs(p.beskrivelse),
        "ibrugtagningsdato": fmt_date(p.ibrugtagningsdato) or "[MANGLER: ibrugtagningsdato]",
        # The project table's figure rows, by the key tables.project_table gives them.
        **{key: _cells(table.row(key), POSTS) for key in FIGURES},
        "under_taerskel": not account.explanation_required,
        "forklaring_mangler": account.explanation_missing,
        "forklaring": explanation,
        "kategorier": [
            {
                "kategori": KATEGORI_TEKST.get(k.kategori, k.kategori),
                "svar": _ja_nej(k.svar),
                "bemaerkning": k.bemaerkning,
            }
            for k in account.kategorier
        ],
        "anlaegskartotek": _ja_nej(p.anlaegskartotek),
    }


def bilag_context(report: Report, accounts: Sequence[ProjectAccount]) -> dict[str, Any]:
    """Everything the template shows, as ready-formatted Danish strings."""
    accounts = tuple(accounts)
    oversigt = overview_table(accounts)
    total = sum((a.figures for a in accounts), PostFigures()).netto
    return {
        "as_of": fmt_date(report.as_of),
        "aar": str(report.as_of.year),
        "graense_mio": fmt_mio(report.separate_threshold_ore),
        # "under 5 pct." / "på eller over 5 pct.", with the run's settings (A4).
        "taerskel": threshold_under(report),
        "taerskel_naaet": threshold_reached(report),
        "projektliste": [a.project.projekt for a in accounts],
        "har_projekter": bool(accounts),
        "resultat": resultat_text(total)
        if accounts
        else "Ingen projekter skal aflægge særskilt anlægsregnskab i år.",
        "oversigt": [
            {"label": r.label, **_cells(r, FIGURES)} for r in oversigt.rows if r.key != "i_alt"
        ],
        "i_alt": _cells(oversigt.row("i_alt"), FIGURES),
        "vaesentlige": [
            {
                "navn": a.project.projekt,
                # The netto figures of the project table, as its section shows them.
                "afvigelse": fmt_cell(project_table(a).row("afvigelse").cells[2]),
                "afvigelse_pct": fmt_cell(project_table(a).row("afvigelse_pct").cells[2]),
                "forklaring": _paragraphs(a.project.afvigelsesforklaring),
                "forklaring_mangler": a.explanation_missing,
            }
            for a in accounts
            if a.explanation_required
        ],
        "projekter": [_project(a) for a in accounts],
        "mangler": MISSING,
    }


PREFIX, SUFFIX = "anlaegsregnskab-", ".docx"
# A project's file name, anlaegsregnskab-<name>[-<n>].docx, in UTF-8 bytes. File systems allow
# 255 bytes (ext4, XFS, tmpfs; NTFS and SMB shares 255 UTF-16 units, which a name within 255
# UTF-8 bytes never exceeds); 200 leaves room for a copy's " (2)" or " - Kopi" and for tools
# that add a suffix of their own, and keeps a CJK name of up to 59 characters whole.
MAX_FILENAME_BYTES = 200
MAX_NAME_CHARS = 80  # a long Danish name is cut here, as before; bytes cut CJK and emoji


def _cut_to_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, at a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_filename(
    name: str, max_bytes: int = MAX_FILENAME_BYTES - len(PREFIX) - len(SUFFIX)
) -> str:
    """A project name as a file name part: letters, digits, '-' and '_' only, never a path;
    at most MAX_NAME_CHARS characters and `max_bytes` bytes of UTF-8."""
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r"[^\w\-]+", "-", text, flags=re.UNICODE).strip("-_.")
    return _cut_to_bytes(text[:MAX_NAME_CHARS], max_bytes).rstrip("-_") or "projekt"


def bilag_filename(name: str, used: set[str]) -> str:
    """anlaegsregnskab-<name>.docx within MAX_FILENAME_BYTES, unlike every name in `used`
    (compared without case, as a Windows share does); the name is added to `used`."""
    room = MAX_FILENAME_BYTES - len(PREFIX) - len(SUFFIX)
    base = safe_filename(name, room)
    stem, n = base, 2
    while stem.lower() in used:
        tag = f"-{n}"
        stem = safe_filename(base, room - len(tag)) + tag
        n += 1
    used.add(stem.lower())
    return f"{PREFIX}{stem}{SUFFIX}"


class _CompiledOnce(jinja2.Environment):
    """A Jinja environment that compiles each template source once.

    docxtpl compiles the document's whole XML for every render; a run renders the bilag and
    one document per project from the same template, and compiling took most of the time.
    """

    def __init__(self) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, autoescape=True)
        self.compiled: dict[str, jinja2.Template] = {}
        self.patched: dict[str, str] = {}  # docxtpl's XML clean-up, per source, for _Template

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        if source not in self.compiled:
            self.compiled[source] = super().from_string(source)
        return self.compiled[source]


class _Template(DocxTemplate):
    """docxtpl's template, whose clean-up of the XML (regexes only) is done once per source."""

    def __init__(self, path: Path, env: _CompiledOnce) -> None:
        super().__init__(str(path))
        self._env = env

    def patch_xml(self, src_xml: str) -> str:
        if src_xml not in self._env.patched:
            self._env.patched[src_xml] = super().patch_xml(src_xml)
        return self._env.patched[src_xml]


def render_bilag(
    context: dict[str, Any],
    path: Path,
    template: Path = TEMPLATE,
    env: _CompiledOnce | None = None,
) -> None:
    """Render one document; autoescape on, and an undeclared variable fails the run."""
    env = env or _CompiledOnce()
    doc = _Template(template, env)
    doc.render(context, jinja_env=env, autoescape=True)
    doc.save(str(path))


def write_bilag(report: Report, folder: Path, template: Path = TEMPLATE) -> list[Path]:
    """anlaegsregnskab.docx for the whole bilag, and one anlaegsregnskab-<projekt>.docx each."""
    written = [folder / "anlaegsregnskab.docx"]
    env = _CompiledOnce()
    render_bilag(bilag_context(report, report.overview), written[0], template, env)
    used: set[str] = set()
    for account in report.overview:
        path = folder / bilag_filename(account.project.kort_navn or account.project.projekt, used)
        render_bilag(bilag_context(report, [account]), path, template, env)
        written.append(path)
    return written
