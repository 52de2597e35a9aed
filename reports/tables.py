"""Bilag 4's tables and sentences, built once from the report model for Word and Excel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal

from kitflow.core.accounts import ProjectAccount, Report
from kitflow.core.reconcile import Figures, PostFigures
from reports.format import LOCALE, fmt_mio, fmt_thousands, rounded_pct

TABLE_HEAD = "Projekt\n1.000 kr., løbende priser"
OVERVIEW_HEADER = (TABLE_HEAD, "Rådighedsbeløb", "Forbrug", "Afvigelse", "Afvigelse i procent")
PROJECT_HEADER = (TABLE_HEAD, "Udgiftsregnskab", "Indtægtsregnskab", "Nettoregnskab")
# The register's category keys, in the words B4's Kategori table uses.
KATEGORI_TEKST = {
    "Aktivitetsændringer": "Aktivitetsændringer i forhold til oprindelig bevilling",
    "Omkostningsændring": "Omkostningsændring",
    "Tidsforskydninger": "Tidsforskydninger",
}
# B4's overview prints whole percents (3%), its project tables one decimal (3,4%).
OVERVIEW_PCT_PLACES = 0
PROJECT_PCT_PLACES = 1


@dataclass(frozen=True)
class Amount:
    """An exact amount in øre, shown in 1.000 kr."""

    ore: int


@dataclass(frozen=True)
class Percent:
    """An unrounded percentage and the places the table shows it with."""

    value: Decimal | None
    places: int

    @property
    def rounded(self) -> Decimal | None:
        return rounded_pct(self.value, self.places)


Cell = Amount | Percent | None  # None: left blank, as B4 leaves a project's unused post


@dataclass(frozen=True)
class Row:
    """One table row: key says what it is (a renderer styles by it), label is what it says."""

    key: str
    label: str
    cells: tuple[Cell, ...]

    @property
    def total(self) -> bool:
        return self.key in ("raadighedsbeloeb", "i_alt")


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[Row, ...]

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)


def _figure_cells(f: Figures, places: int) -> tuple[Cell, ...]:
    return (
        Amount(f.raadighedsbeloeb),
        Amount(f.forbrug),
        Amount(f.afvigelse),
        Percent(f.afvigelse_pct, places),
    )


def overview_table(accounts: Sequence[ProjectAccount]) -> Table:
    """B4's Regnskab: Udgifter, Indtægter, Netto per project, then I alt (netto of them all)."""
    rows = [
        Row(post.lower(), f"{a.project.kort_navn} ({post})", _figure_cells(f, OVERVIEW_PCT_PLACES))
        for a in accounts
        for post, f in a.figures.rows()
    ]
    total = sum((a.figures for a in accounts), PostFigures()).netto
    rows.append(Row("i_alt", "I alt", _figure_cells(total, OVERVIEW_PCT_PLACES)))
    return Table(OVERVIEW_HEADER, tuple(rows))


def project_table(account: ProjectAccount) -> Table:
    """A project section's Regnskab: a row per decision, then rådighedsbeløb, forbrug, afvigelse.

    B4 leaves the Indtægtsregnskab column blank for a project with no income at all (no
    rådighedsbeløb, no forbrug, no decision); any income, even a net zero, shows every figure.
    """
    fig = account.figures
    blank = (
        fig.indtaegter.raadighedsbeloeb == 0
        and fig.indtaegter.forbrug == 0
        and all(d.indtaegter == 0 for d in account.decisions)
    )
    posts = (fig.udgifter, None if blank else fig.indtaegter, fig.netto)

    def amounts(value) -> tuple[Cell, ...]:
        return tuple(None if f is None else Amount(value(f)) for f in posts)

    rows = [
        Row(
            "beslutning",
            d.beslutning,
            (Amount(d.udgifter), None if blank else Amount(d.indtaegter), Amount(d.netto)),
        )
        for d in account.decisions
    ]
    rows += [
        Row("raadighedsbeloeb", "Rådighedsbeløb i alt", amounts(lambda f: f.raadighedsbeloeb)),
        Row("forbrug", "Forbrug", amounts(lambda f: f.forbrug)),
        Row("afvigelse", "Afvigelse", amounts(lambda f: f.afvigelse)),
        Row(
            "afvigelse_pct",
            "Afvigelse i procent",
            tuple(
                None if f is None else Percent(f.afvigelse_pct, PROJECT_PCT_PLACES) for f in posts
            ),
        ),
    ]
    return Table(PROJECT_HEADER, tuple(rows))


def fmt_cell(cell: Cell) -> str:
    """A cell as B4 prints it: 4.483, -10, 3,4% and 61% (no space before %, as B4)."""
    if cell is None:
        return ""
    if isinstance(cell, Amount):
        return fmt_thousands(cell.ore)
    value = cell.rounded
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * cell.places if cell.places else "")
    return format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=False) + "%"


def resultat_text(total: Figures) -> str:
    """B4's Resultat sentence, from the same totals as the table."""
    word = "mindreforbrug" if total.afvigelse >= 0 else "merforbrug"
    return (
        "Anlægsregnskaberne i denne oversigt har en samlet rådighedsbevilling på "
        f"{fmt_mio(total.raadighedsbeloeb)} mio. kr. og et samlet forbrug på "
        f"{fmt_mio(total.forbrug)} mio. kr. Det giver et samlet {word} på "
        f"{fmt_mio(abs(total.afvigelse))} mio. kr."
    )


def _kr(ore: int) -> str:
    places = 0 if ore % 100 == 0 else 2
    pattern = "#,##0" + (".00" if places else "")
    return format_decimal(Decimal(ore) / 100, format=pattern, locale=LOCALE) + " kr."


def _pct_number(value: Decimal) -> str:
    return format_decimal(value, format="#,##0.###", locale=LOCALE)


def threshold_under(report: Report) -> str:
    """A4 as the run applied it, after "under": "5 pct." or "5 pct. og 500.000 kr."."""
    text = f"{_pct_number(report.threshold_pct)} pct."
    if report.threshold_amount is not None:
        text += f" og {_kr(report.threshold_amount)}"
    return text


def threshold_reached(report: Report) -> str:
    """A4 after "på eller over": either limit alone requires an explanation."""
    text = f"{_pct_number(report.threshold_pct)} pct."
    if report.threshold_amount is not None:
        text += f" eller {_kr(report.threshold_amount)}"
    return text


def no_remarks(report: Report) -> str:
    """B4's "Ingen bemærkninger, da afvigelsen er under 5 pct.", with the run's threshold."""
    return f"Ingen bemærkninger, da afvigelsen er under {threshold_under(report)}"
