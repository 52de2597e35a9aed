"""The accounts of a run: rules A1–A4 applied per project, into the one report model.

Every figure every output shows is computed here and nowhere else; `reports/` only renders
the `Report`. `make_report` is the whole step from a register and the combined bookings to
the report: the quarantine limit, the reconciliation, the rules and their findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from kitflow.core.bookings import SheetControl
from kitflow.core.combine import CombinedBookings
from kitflow.core.findings import FatalInputError, Finding, Location, Severity
from kitflow.core.money import kr_text
from kitflow.core.nearest import Vocabulary
from kitflow.core.obligations import AccountDue
from kitflow.core.reconcile import PostFigures, Reconciliation, reconcile
from kitflow.core.register import (
    KATEGORIER,
    Bevillingslinje,
    Kategorisvar,
    Loebenummer,
    Project,
    Register,
)
from kitflow.core.rules import Aflaeggelse, DueDecision, DueStatus, decide, explanation_required


@dataclass(frozen=True)
class Thresholds:
    """The limits a run judges by, in øre: A1's separate account, A4's explanation, quarantine."""

    # A1: a separate account at or above this gross expenditure or income.
    separate_account_ore: int = 2_000_000_00
    # A4: an explanation at or above this deviation in percent ...
    explanation_pct: Decimal = Decimal("5")
    # ... or, when set, at or above this absolute deviation.
    explanation_amount_ore: int | None = None
    # More quarantined booking rows than this stop the run.
    max_quarantined_rows: int = 100
    # Bookings on løbenumre no register knows, added up without their sign, above this stop
    # the run; None: never (each is a warning).
    max_unmatched_ore: int | None = None


def quarantine_limit_error(quarantined: pd.DataFrame, max_rows: int) -> FatalInputError | None:
    """The error that stops a run with more quarantined rows than allowed, or None."""
    if len(quarantined) <= max_rows:
        return None
    first = quarantined.iloc[0]
    return FatalInputError(
        f"{first['file']}",
        f"{len(quarantined)} posteringsrækker kunne ikke læses (grænsen er "
        f"{max_rows}); den første er række {first['row']}: {first['reason']}. Ret "
        "cellerne i eksporten (kitflow check viser dem alle), eller hæv max_quarantined_rows",
    )


@dataclass(frozen=True)
class Decision:
    """One political decision's rådighedsbeløb on a project, by post (øre)."""

    beslutning: str
    dato: dt.date | None
    udgifter: int
    indtaegter: int

    @property
    def netto(self) -> int:
        return self.udgifter + self.indtaegter


@dataclass(frozen=True)
class LoebenummerAccount:
    """A løbenummer's own figures within its project."""

    loebenummer: Loebenummer
    figures: PostFigures


@dataclass(frozen=True)
class ProjectAccount:
    """Everything one project's section shows, in øre and dates."""

    project: Project
    figures: PostFigures
    loebenumre: tuple[LoebenummerAccount, ...]
    decisions: tuple[Decision, ...]
    due: DueDecision
    kategorier: tuple[Kategorisvar, ...]
    explanation_required: bool

    @property
    def explanation_missing(self) -> bool:
        return self.explanation_required and not self.project.afvigelsesforklaring


@dataclass(frozen=True)
class FileRead:
    """One input file as read: for the run summary and the audit trail."""

    file: str
    sha256: str
    size_bytes: int
    sheets: tuple[SheetControl, ...]
    # The format the export was recognised as, and what it held ("SAP-spool (tabulator), 2
    # sektioner"), for `kitflow check`; no report prints it.
    recognised: str = field(default="", compare=False)

    @property
    def rows(self) -> int:
        return sum(s.data_rows for s in self.sheets)

    @property
    def bookings(self) -> int:
        return sum(s.bookings for s in self.sheets)


@dataclass(frozen=True)
class Report:
    """The run's result. Renderers (CSV, Excel, Word, mail, artifacts) read it and nothing else."""

    as_of: dt.date
    projects: tuple[ProjectAccount, ...]
    overview: tuple[ProjectAccount, ...]
    overview_total: PostFigures
    all_total: PostFigures
    reconciliation: Reconciliation
    quarantined: pd.DataFrame
    duplicates: pd.DataFrame
    files: tuple[FileRead, ...]
    findings: tuple[Finding, ...]
    threshold_pct: Decimal
    threshold_amount: int | None
    # A1's gross threshold as the run applied it; the bilag's introduction quotes it.
    separate_threshold_ore: int
    # register.xlsx as the run read it, which findings about a project name.
    register_file: str = "register.xlsx"

    @property
    def unmatched(self) -> pd.DataFrame:
        return self.reconciliation.unmatched

    @property
    def internal(self) -> pd.DataFrame:
        return self.reconciliation.internal

    @property
    def later(self) -> pd.DataFrame:
        """Bookings posted after the as-of date: read, listed, counted in no figure."""
        return self.reconciliation.later

    @property
    def overdue(self) -> tuple[ProjectAccount, ...]:
        """Every project past its deadline and not presented (A2's `overskredet`)."""
        return tuple(a for a in self.projects if a.due.status is DueStatus.OVERSKREDET)

    @property
    def missing_explanations(self) -> tuple[ProjectAccount, ...]:
        return tuple(a for a in self.overview if a.explanation_missing)

    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == Severity.ERROR)

    def with_findings(self, more: Sequence[Finding]) -> Report:
        """The same report with `more` findings after its own (the reminders' planning's, so
        that findings.csv and the summary hold every finding `kitflow check` prints)."""
        return dataclasses.replace(self, findings=(*self.findings, *more))


def _decisions(lines: Iterable[Bevillingslinje]) -> tuple[Decision, ...]:
    grouped: dict[str, list] = {}
    for line in lines:
        entry = grouped.setdefault(line.beslutning, [line.dato, 0, 0])
        if entry[0] is None:
            entry[0] = line.dato
        entry[1 if line.post == "Udgift" else 2] += line.beloeb_ore
    return tuple(Decision(name, d, u, i) for name, (d, u, i) in grouped.items())


def make_report(
    as_of: dt.date,
    register: Register,
    bookings: CombinedBookings,
    files: Sequence[FileRead],
    thresholds: Thresholds,
) -> Report:
    """Reconcile, apply the rules, and stop (FatalInputError) above the quarantine limit."""
    error = quarantine_limit_error(bookings.quarantined, thresholds.max_quarantined_rows)
    if error is not None:
        raise error
    reconciliation = reconcile(bookings.bookings, bookings.duplicates, register, as_of)
    error = unmatched_limit_error(reconciliation.unmatched, register, thresholds.max_unmatched_ore)
    if error is not None:
        raise error
    return build_report(as_of, register, bookings, reconciliation, files, thresholds)


@dataclass(frozen=True)
class UnknownNumber:
    """The bookings of one file on one løbenummer no register knows."""

    loebenummer: str
    location: Location  # the first of them
    count: int
    total_ore: int
    absolute_ore: int  # added up without their sign
    nearest: tuple[str, ...]  # the known løbenumre it may have been meant for


def unknown_numbers(unmatched: pd.DataFrame, register: Register) -> list[UnknownNumber]:
    """Each løbenummer of `unmatched` once per file, in the order the bookings were read."""
    if unmatched.empty:
        return []
    known = Vocabulary(n.loebenummer for n in register.loebenumre)
    nearest: dict[str, tuple[str, ...]] = {}
    out = []
    for (file, number), group in unmatched.groupby(["file", "loebenummer"], sort=False):
        amounts = np.asarray(group["amount_ore"], dtype=np.int64)
        first = group.iloc[0]
        if number not in nearest:
            nearest[number] = known.nearest(str(number))
        out.append(
            UnknownNumber(
                loebenummer=str(number),
                location=Location(str(file), first["sheet"] or None, int(first["row"])),
                count=len(group),
                total_ore=int(amounts.sum()),
                absolute_ore=int(np.abs(amounts).sum()),
                nearest=nearest[number],
            )
        )
    return out


def _meant(nearest: Sequence[str]) -> str:
    return " eller ".join(nearest)


def unmatched_findings(unknown: Sequence[UnknownNumber], register_file: str) -> list[Finding]:
    """A WARNING per løbenummer no register knows, per file: its bookings count in no project.

    One per løbenummer and file rather than one per booking: a mistyped number is usually on
    every booking of its project in that export, and the rows are listed in unmatched.csv;
    a line each would bury the other findings. The file is what gets corrected (or exported
    again), so each file is named. The location is its first booking.
    """
    out = []
    for u in unknown:
        what = "postering" if u.count == 1 else "posteringer"
        amount = kr_text(u.total_ore) if u.count == 1 else f"i alt {kr_text(u.total_ore)}"
        first = "" if u.count == 1 else ", den første i denne række"
        they = "den" if u.count == 1 else "de"
        text = (
            f"løbenummer {u.loebenummer} findes ikke i {register_file} (arket Løbenumre): "
            f"{u.count} {what}, {amount}{first}, er ikke talt med i noget projekt "
        )
        if u.nearest:
            text += f"({they} står i unmatched.csv) – mente du {_meant(u.nearest)}?"
        else:
            text += (
                f"({they} står i unmatched.csv); skriv løbenummeret i arket Løbenumre, hvis det "
                "hører til et projekt"
            )
        out.append(Finding(Severity.WARNING, u.location, text, code="booking.unmatched"))
    return out


def unmatched_limit_error(
    unmatched: pd.DataFrame, register: Register, max_ore: int | None
) -> FatalInputError | None:
    """The error that stops a run whose unmatched bookings add up (without their sign) to more
    than `max_ore`, naming the largest of them; None below it, or without a limit."""
    if max_ore is None or unmatched.empty:
        return None
    total = int(np.abs(np.asarray(unmatched["amount_ore"], dtype=np.int64)).sum())
    if total <= max_ore:
        return None
    largest = max(unknown_numbers(unmatched, register), key=lambda u: u.absolute_ore)
    what = "postering" if largest.count == 1 else "posteringer"
    meant = f" – mente du {_meant(largest.nearest)}?" if largest.nearest else "."
    return FatalInputError(
        str(largest.location),
        f"posteringer på løbenumre, som registret ikke kender, for i alt {kr_text(total)} (uden "
        f"fortegn), mere end grænsen på {kr_text(max_ore)} (max_unmatched_amount); flest står "
        f"på {largest.loebenummer} ({largest.count} {what}, {kr_text(largest.total_ore)}, fra "
        f"denne række){meant} Ret løbenumrene (kitflow check viser dem alle), skriv dem i "
        "registrets ark Løbenumre, eller hæv max_unmatched_amount",
    )


def later_findings(later: pd.DataFrame, as_of: dt.date) -> list[Finding]:
    """One INFO finding per file: how many of its bookings were posted after `as_of`, and their
    sum. They are left out of the account as of that date, and listed in later.csv."""
    out = []
    for file, group in later.groupby("file", sort=False):
        n = len(group)
        what, they = ("postering", "den") if n == 1 else ("posteringer", "de")
        total = int(np.asarray(group["amount_ore"], dtype=np.int64).sum())
        out.append(
            Finding(
                Severity.INFO,
                Location(str(file)),
                f"{n} {what} ({kr_text(total)}) er bogført efter opgørelsesdatoen "
                f"{as_of:%d.%m.%Y} og er ikke talt med; {they} står i later.csv",
                code="booking.after_as_of",
            )
        )
    return out


def build_report(
    as_of: dt.date,
    register: Register,
    bookings: CombinedBookings,
    reconciliation: Reconciliation,
    files: Sequence[FileRead],
    thresholds: Thresholds,
) -> Report:
    """Apply rules A1–A4 per project and gather everything the renderers show."""
    threshold_ore = thresholds.separate_account_ore
    explanation_pct = thresholds.explanation_pct
    explanation_amount_ore = thresholds.explanation_amount_ore
    accounts = []
    findings: list[Finding] = [
        *bookings.findings,
        *later_findings(reconciliation.later, as_of),
        *unmatched_findings(unknown_numbers(reconciliation.unmatched, register), register.file),
        *register.findings,
    ]
    # The register's sheets indexed by project once: per project they are looked up, not
    # scanned (a scan per project grew with the square of the register).
    numbers_of: dict[str, list[Loebenummer]] = defaultdict(list)
    for n in register.loebenumre:
        numbers_of[n.projekt].append(n)
    # With their place in the register, so a project's decisions keep the register's order.
    lines_of: dict[str, list[tuple[int, Bevillingslinje]]] = defaultdict(list)
    for i, line in enumerate(register.bevillinger):
        lines_of[line.loebenummer].append((i, line))
    answers_of: dict[str, dict[str, Kategorisvar]] = defaultdict(dict)
    for k in register.kategorier:
        answers_of[k.projekt][k.kategori] = k
    for project in register.projects:
        numbers = numbers_of.get(project.projekt, [])
        figures = reconciliation.per_project[project.projekt]
        answers = answers_of.get(project.projekt, {})
        account = ProjectAccount(
            project=project,
            figures=figures,
            loebenumre=tuple(
                LoebenummerAccount(n, reconciliation.per_loebenummer[n.loebenummer])
                for n in numbers
            ),
            decisions=_decisions(
                line for _, line in sorted(x for n in numbers for x in lines_of[n.loebenummer])
            ),
            due=decide(project, figures, as_of, threshold_ore),
            kategorier=tuple(
                answers.get(k, Kategorisvar(project.projekt, k, None, "", 0)) for k in KATEGORIER
            ),
            explanation_required=explanation_required(
                figures, explanation_pct, explanation_amount_ore
            ),
        )
        accounts.append(account)
        where = Location(register.file, "Projekter", project.row)
        if not numbers:
            findings.append(
                Finding(
                    Severity.WARNING,
                    where,
                    f'projektet "{project.projekt}" har intet løbenummer i arket Løbenumre',
                    code="register.no_loebenummer",
                )
            )
        if account.due.in_bilag and account.explanation_missing:
            findings.append(
                Finding(
                    Severity.ERROR,
                    where,
                    f'"{project.projekt}" har en afvigelse på eller over tærsklen, men ingen '
                    "afvigelsesforklaring; skriv den i kolonnen Afvigelsesforklaring",
                    code="rules.explanation_missing",
                )
            )
        if account.due.in_bilag and any(k.svar is None for k in account.kategorier):
            findings.append(
                Finding(
                    Severity.WARNING,
                    where,
                    f'"{project.projekt}" mangler svar (Ja/Nej) i arket Kategorier',
                    code="register.kategori_missing",
                )
            )
    overview = tuple(a for a in accounts if a.due.in_bilag)
    return Report(
        as_of=as_of,
        projects=tuple(accounts),
        overview=overview,
        overview_total=sum((a.figures for a in overview), PostFigures()),
        all_total=sum((a.figures for a in accounts), PostFigures()),
        reconciliation=reconciliation,
        quarantined=bookings.quarantined,
        duplicates=bookings.duplicates,
        files=tuple(files),
        findings=tuple(findings),
        threshold_pct=explanation_pct,
        threshold_amount=explanation_amount_ore,
        separate_threshold_ore=threshold_ore,
        register_file=register.file,
    )


def accounts_due(report: Report) -> list[AccountDue]:
    """C6's input: every project with a separate account and a deadline."""
    return [
        AccountDue(
            projekt=a.project.projekt,
            frist=a.due.frist,
            status=a.due.status,
            controller_email=a.project.controller_email or None,
            forelagt=a.project.forelagt_udvalg,
            sendt_til_revision=a.project.sendt_til_revision,
            source=Location(report.register_file, "Projekter", a.project.row),
        )
        for a in report.projects
        if a.due.frist is not None and a.due.aflaeggelse is Aflaeggelse.SAERSKILT
    ]
