"""The Word bilag (Bilag 4's layout) from a docxtpl template the controllers edit themselves."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate

from config.settings import Settings
from kitflow.core.reconcile import Figures
from reports.format import fmt_date, fmt_mio, fmt_pct, fmt_thousands
from reports.model import ProjectAccount, Report
from reports.workbook import resultat_text

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = TEMPLATE_DIR / "anlaegsregnskab.docx"
MISSING = "[MANGLER: afvigelsesforklaring]"

# The register's category keys, in the words B4's Kategori table uses.
KATEGORI_TEKST = {
    "Aktivitetsændringer": "Aktivitetsændringer i forhold til oprindelig bevilling",
    "Omkostningsændring": "Omkostningsændring",
    "Tidsforskydninger": "Tidsforskydninger",
}
# A1's threshold is a setting the model does not carry; its default is the rule B4 quotes.
DEFAULT_SEPARATE_THRESHOLD_ORE = int(
    Decimal(str(Settings.model_fields["separate_account_threshold"].default)) * 100
)


def _ja_nej(value: bool | None) -> str:
    return {True: "Ja", False: "Nej"}.get(value, "[MANGLER: Ja/Nej]")


def _paragraphs(text: str) -> list[str]:
    """Text from the register as paragraphs: blank lines separate them."""
    parts = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    return [" ".join(line.strip() for line in p.splitlines()) for p in parts if p.strip()]


def _pct_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def _figure_cells(f: Figures, pct_places: int) -> dict[str, str]:
    return {
        "raadighedsbeloeb": fmt_thousands(f.raadighedsbeloeb),
        "forbrug": fmt_thousands(f.forbrug),
        "afvigelse": fmt_thousands(f.afvigelse),
        "afvigelse_pct": fmt_pct(f.afvigelse_pct, pct_places),
    }


def _henvisning(beslutning: str, dato: str) -> str:
    """B4's "(Overførselssagen 2018-2019, 09.05.2019)"; a name already dated is not dated twice."""
    return beslutning if not dato or dato in beslutning else f"{beslutning}, {dato}"


def _by_post(posts: Sequence[Figures], fmt: Callable[[Figures], str]) -> dict[str, str]:
    return dict(zip(("udgifter", "indtaegter", "netto"), map(fmt, posts), strict=True))


def _project(account: ProjectAccount) -> dict[str, Any]:
    p = account.project
    fig = account.figures
    posts = (fig.udgifter, fig.indtaegter, fig.netto)
    decisions_total = sum(d.netto for d in account.decisions)
    bevilling_ore = (
        p.anlaegsbevilling_ore if p.anlaegsbevilling_ore is not None else decisions_total
    )
    explanation = _paragraphs(p.afvigelsesforklaring)
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
                "beslutning": d.beslutning,
                "dato": fmt_date(d.dato),
                "henvisning": _henvisning(d.beslutning, fmt_date(d.dato)),
                "mio": fmt_mio(d.netto),
                "udgifter": fmt_thousands(d.udgifter),
                "indtaegter": fmt_thousands(d.indtaegter),
                "netto": fmt_thousands(d.netto),
            }
            for d in account.decisions
        ],
        "beskrivelse": _paragraphs(p.beskrivelse),
        "ibrugtagningsdato": fmt_date(p.ibrugtagningsdato) or "[MANGLER: ibrugtagningsdato]",
        "raadighedsbeloeb": _by_post(posts, lambda f: fmt_thousands(f.raadighedsbeloeb)),
        "forbrug": _by_post(posts, lambda f: fmt_thousands(f.forbrug)),
        "afvigelse": _by_post(posts, lambda f: fmt_thousands(f.afvigelse)),
        "afvigelse_pct": _by_post(posts, lambda f: fmt_pct(f.afvigelse_pct, 1)),
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


def bilag_context(
    report: Report,
    accounts: Sequence[ProjectAccount],
    *,
    separate_threshold_ore: int = DEFAULT_SEPARATE_THRESHOLD_ORE,
) -> dict[str, Any]:
    """Everything the template shows, as ready-formatted Danish strings."""
    accounts = tuple(accounts)
    # The Resultat sentence is the workbook's, over exactly these accounts.
    subset = dataclasses.replace(
        report,
        overview=accounts,
        overview_total=sum((a.figures for a in accounts), type(report.overview_total)()),
    )
    oversigt = []
    for account in accounts:
        for post, f in account.figures.rows():
            oversigt.append(
                {"label": f"{account.project.kort_navn} ({post})", **_figure_cells(f, 0)}
            )
    taerskel = f"{_pct_number(report.threshold_pct)} pct."
    if report.threshold_amount is not None:
        taerskel += f" og {fmt_thousands(report.threshold_amount)} t. kr."
    return {
        "as_of": fmt_date(report.as_of),
        "aar": str(report.as_of.year),
        "graense_mio": fmt_mio(separate_threshold_ore),
        "taerskel": taerskel,
        "projektliste": [a.project.projekt for a in accounts],
        "har_projekter": bool(accounts),
        "resultat": resultat_text(subset)
        if accounts
        else "Ingen projekter skal aflægge særskilt anlægsregnskab i år.",
        "oversigt": oversigt,
        "i_alt": _figure_cells(subset.overview_total.netto, 0),
        "vaesentlige": [
            {
                "navn": a.project.projekt,
                "afvigelse": fmt_thousands(a.figures.netto.afvigelse),
                "afvigelse_pct": fmt_pct(a.figures.netto.afvigelse_pct, 1),
                "forklaring": _paragraphs(a.project.afvigelsesforklaring),
                "forklaring_mangler": a.explanation_missing,
            }
            for a in accounts
            if a.explanation_required
        ],
        "projekter": [_project(a) for a in accounts],
        "mangler": MISSING,
    }


def safe_filename(name: str) -> str:
    """A project name as a file name part: letters, digits, '-' and '_' only, never a path."""
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r"[^\w\-]+", "-", text, flags=re.UNICODE).strip("-_.")
    return text[:80].rstrip("-_") or "projekt"


def render_bilag(context: dict[str, Any], path: Path, template: Path = TEMPLATE) -> None:
    """Render one document; autoescape on, and an undeclared variable fails the run."""
    doc = DocxTemplate(str(template))
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    doc.render(context, jinja_env=env, autoescape=True)
    doc.save(str(path))


def write_bilag(report: Report, folder: Path, template: Path = TEMPLATE) -> list[Path]:
    """anlaegsregnskab.docx for the whole bilag, and one anlaegsregnskab-<projekt>.docx each."""
    written = [folder / "anlaegsregnskab.docx"]
    render_bilag(bilag_context(report, report.overview), written[0], template)
    used: set[str] = set()
    for account in report.overview:
        base = safe_filename(account.project.kort_navn or account.project.projekt)
        name, n = base, 2
        while name.lower() in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name.lower())
        path = folder / f"anlaegsregnskab-{name}.docx"
        render_bilag(bilag_context(report, [account]), path, template)
        written.append(path)
    return written
