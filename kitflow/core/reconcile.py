"""Reconcile bookings against the appropriation lines per løbenummer and per project.

An account is made as of a date, and counts the bookings whose posting date (Bogføringsdato)
is on or before it. The posting date is the date the finance system books by, and the only
date the data contract requires an export to carry; bookings posted later are set aside as
`later`, so an account as of an old date gives that date's figures again, whatever the
exports hold by now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from kitflow.core.bookings import INDTAEGT, INTERN, UDGIFT
from kitflow.core.findings import ConservationError
from kitflow.core.register import INDTAEGT as POST_INDTAEGT
from kitflow.core.register import Register

POSTS = ("Udgifter", "Indtægter", "Netto")


@dataclass(frozen=True)
class Figures:
    """Rådighedsbeløb and forbrug in øre; afvigelse and its percent derive from them."""

    raadighedsbeloeb: int = 0
    forbrug: int = 0

    @property
    def afvigelse(self) -> int:
        """Rådighedsbeløb − forbrug: positive is mindreforbrug, negative merforbrug."""
        return self.raadighedsbeloeb - self.forbrug

    @property
    def afvigelse_pct(self) -> Decimal | None:
        """Afvigelse ÷ |rådighedsbeløb| × 100, unrounded; 0 where both are 0, else undefined."""
        if self.raadighedsbeloeb == 0:
            return Decimal(0) if self.forbrug == 0 else None
        return Decimal(self.afvigelse) * 100 / abs(self.raadighedsbeloeb)

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.raadighedsbeloeb + other.raadighedsbeloeb, self.forbrug + other.forbrug)


@dataclass(frozen=True)
class PostFigures:
    """The three rows of every B4 table: Udgifter, Indtægter and Netto (their sum)."""

    udgifter: Figures = Figures()
    indtaegter: Figures = Figures()

    @property
    def netto(self) -> Figures:
        return self.udgifter + self.indtaegter

    def rows(self) -> Iterator[tuple[str, Figures]]:
        yield from zip(POSTS, (self.udgifter, self.indtaegter, self.netto), strict=True)

    def __add__(self, other: PostFigures) -> PostFigures:
        return PostFigures(self.udgifter + other.udgifter, self.indtaegter + other.indtaegter)


@dataclass(frozen=True)
class Conservation:
    """Every booking read lands in exactly one place, and the sums say so."""

    read_count: int
    read_sum: int
    duplicate_count: int
    duplicate_sum: int
    matched_count: int
    matched_sum: int
    unmatched_count: int
    unmatched_sum: int
    internal_count: int
    internal_sum: int
    # Posted after the as-of date: read, and counted in no figure of this account.
    later_count: int
    later_sum: int

    def check(self) -> None:
        counts = self.duplicate_count + self.matched_count + self.unmatched_count
        sums = self.duplicate_sum + self.matched_sum + self.unmatched_sum
        counts += self.internal_count + self.later_count
        sums += self.internal_sum + self.later_sum
        if counts != self.read_count or sums != self.read_sum:
            raise ConservationError(
                f"posteringerne går ikke op: læst {self.read_count} ({self.read_sum} øre), "
                f"fordelt {counts} ({sums} øre)"
            )


@dataclass(frozen=True)
class Reconciliation:
    """Figures per løbenummer and per project, and the bookings that matched no register."""

    per_loebenummer: dict[str, PostFigures]
    per_project: dict[str, PostFigures]
    matched: pd.DataFrame
    unmatched: pd.DataFrame
    internal: pd.DataFrame
    # Posted after the as-of date (by Bogføringsdato), so in no figure of this account.
    later: pd.DataFrame
    conservation: Conservation


def posted_after(bookings: pd.DataFrame, as_of: dt.date) -> np.ndarray:
    """Which bookings have a posting date (Bogføringsdato) after `as_of`: not yet in its account."""
    days = np.asarray(bookings["posting_date"]).astype("datetime64[D]")
    return days > np.datetime64(as_of, "D")


def reconcile(
    bookings: pd.DataFrame, duplicates: pd.DataFrame, register: Register, as_of: dt.date
) -> Reconciliation:
    """Set aside what was posted after `as_of`; split the rest into matched, unmatched and
    internal, and sum each løbenummer."""
    project_of = register.project_of()
    after = posted_after(bookings, as_of)
    later = bookings[after]
    counted = bookings[~after]
    internal_mask = (counted["kind"] == INTERN).to_numpy()
    known = counted["loebenummer"].isin(project_of.keys()).to_numpy()
    matched = counted[~internal_mask & known]
    unmatched = counted[~internal_mask & ~known]
    internal = counted[internal_mask]

    forbrug = (
        matched.groupby(["loebenummer", "kind"], sort=False)["amount_ore"].sum().to_dict()
        if len(matched)
        else {}
    )
    raadighed: dict[tuple[str, str], int] = {}
    for line in register.bevillinger:
        kind = INDTAEGT if line.post == POST_INDTAEGT else UDGIFT
        raadighed[(line.loebenummer, kind)] = raadighed.get((line.loebenummer, kind), 0) + (
            line.beloeb_ore
        )

    per_loebenummer: dict[str, PostFigures] = {}
    per_project: dict[str, PostFigures] = {p.projekt: PostFigures() for p in register.projects}
    for number in register.loebenumre:
        n = number.loebenummer
        figures = PostFigures(
            Figures(raadighed.get((n, UDGIFT), 0), int(forbrug.get((n, UDGIFT), 0))),
            Figures(raadighed.get((n, INDTAEGT), 0), int(forbrug.get((n, INDTAEGT), 0))),
        )
        per_loebenummer[n] = figures
        per_project[number.projekt] = per_project[number.projekt] + figures

    def total(frame: pd.DataFrame) -> int:
        return int(np.asarray(frame["amount_ore"], dtype=np.int64).sum())

    conservation = Conservation(
        read_count=len(bookings) + len(duplicates),
        read_sum=total(bookings) + total(duplicates),
        duplicate_count=len(duplicates),
        duplicate_sum=total(duplicates),
        matched_count=len(matched),
        matched_sum=total(matched),
        unmatched_count=len(unmatched),
        unmatched_sum=total(unmatched),
        internal_count=len(internal),
        internal_sum=total(internal),
        later_count=len(later),
        later_sum=total(later),
    )
    conservation.check()
    # The figures themselves must account for every matched øre, too.
    summed = sum(f.udgifter.forbrug + f.indtaegter.forbrug for f in per_loebenummer.values())
    if summed != conservation.matched_sum:
        raise ConservationError(
            f"forbruget pr. løbenummer ({summed} øre) er ikke de matchede posteringer "
            f"({conservation.matched_sum} øre)"
        )
    return Reconciliation(
        per_loebenummer=per_loebenummer,
        per_project=per_project,
        matched=matched.reset_index(drop=True),
        unmatched=unmatched.reset_index(drop=True),
        internal=internal.reset_index(drop=True),
        later=later.reset_index(drop=True),
        conservation=conservation,
    )
