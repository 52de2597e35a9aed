"""Rules A1–A4: separate account or annual accounts, the deadline, the route, explanations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kitflow.core.reconcile import PostFigures
from kitflow.core.register import Project


class Aflaeggelse(StrEnum):
    """A1: how a project's accounts are presented; the values are due.csv's words."""

    SAERSKILT = "saerskilt"  # a separate anlægsregnskab, in this year's bilag when due
    AARSREGNSKAB = "aarsregnskab"  # with the annual accounts


class DueStatus(StrEnum):
    """A2: where a project stands against its deadline; the values are due.csv's words."""

    IGANGVAERENDE = "igangvaerende"  # no completion date yet
    IKKE_FORFALDEN = "ikke_forfalden"  # completion planned after as-of
    FORFALDEN = "forfalden"  # the deadline is this year and not passed
    OVERSKREDET = "overskredet"  # the deadline has passed unpresented
    AFLAGT = "aflagt"  # presented to the committee

    @property
    def in_bilag(self) -> bool:
        """Due now: a separate account with this status belongs in this year's bilag."""
        return self in (DueStatus.FORFALDEN, DueStatus.OVERSKREDET)


@dataclass(frozen=True)
class DueDecision:
    """Whether a project gets its own account, when it is due, and before which committee."""

    projekt: str
    brutto_udgifter: int
    # Income negative, as the exports, the register and every figure of the report have it.
    brutto_indtaegter: int
    faerdiggjort: dt.date | None
    frist: dt.date | None
    aflaeggelse: Aflaeggelse
    status: DueStatus
    udvalg: str

    @property
    def in_bilag(self) -> bool:
        """Due for a separate account and not yet presented: it belongs in this year's bilag."""
        return self.aflaeggelse is Aflaeggelse.SAERSKILT and self.status.in_bilag


def completion_date(project: Project) -> dt.date | None:
    """A2: the completion date; for construction the one-year review caps it."""
    dates = [project.faerdiggjort]
    if project.byggeri:
        dates.append(project.etaarsgennemgang)
    known = [d for d in dates if d is not None]
    return min(known) if known else None


def decide(
    project: Project, figures: PostFigures, as_of: dt.date, threshold_ore: int
) -> DueDecision:
    """A1 (gross ≥ threshold → separate account), A2 (end of completion year), A3 (committee).

    Statuses: `aflagt` once presented to the committee (on or before as-of); `igangvaerende`
    without a completion date; `ikke_forfalden` when the completion date lies after as-of
    (completion planned, deadline known); `forfalden` when the deadline is this year and not
    passed; `overskredet` when it has passed unpresented.
    """
    brutto_udgifter = figures.udgifter.forbrug
    brutto_indtaegter = figures.indtaegter.forbrug
    separate = brutto_udgifter >= threshold_ore or abs(brutto_indtaegter) >= threshold_ore
    done = completion_date(project)
    frist = dt.date(done.year, 12, 31) if done is not None else None
    if project.forelagt_udvalg is not None and project.forelagt_udvalg <= as_of:
        status = DueStatus.AFLAGT
    elif done is None:
        status = DueStatus.IGANGVAERENDE
    elif done > as_of:
        status = DueStatus.IKKE_FORFALDEN
    elif as_of > frist:
        status = DueStatus.OVERSKREDET
    else:
        status = DueStatus.FORFALDEN
    return DueDecision(
        projekt=project.projekt,
        brutto_udgifter=brutto_udgifter,
        brutto_indtaegter=brutto_indtaegter,
        faerdiggjort=done,
        frist=frist,
        aflaeggelse=Aflaeggelse.SAERSKILT if separate else Aflaeggelse.AARSREGNSKAB,
        status=status,
        udvalg=project.udfoerende_udvalg or project.udvalg,
    )


def explanation_required(
    figures: PostFigures, threshold_pct: Decimal, threshold_amount_ore: int | None
) -> bool:
    """A4: any post whose deviation reaches the percent (or the optional absolute) threshold."""
    for _post, f in figures.rows():
        pct = f.afvigelse_pct
        if pct is None or abs(pct) >= threshold_pct:
            return True
        if threshold_amount_ore is not None and abs(f.afvigelse) >= threshold_amount_ore:
            return True
    return False
