"""What changed between two runs on one data folder: a small snapshot per run and a pure diff."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kitflow.core.accounts import Report
from kitflow.core.rules import DueStatus

# 2: bookings hashed as typed columns (1 hashed their text); a version-1 file is not compared.
SNAPSHOT_VERSION = 2
UNMATCHED = ""  # the snapshot's key for bookings that matched no project


@dataclass(frozen=True)
class BookingsState:
    """A group of bookings, summed: how many, their amount, and a fingerprint of which ones.

    The fingerprint is an order-independent sum of the bookings' hashes, so a booking replaced
    by another of the same amount is still seen as a change without storing every booking.
    """

    count: int
    amount_ore: int
    fingerprint: int


@dataclass(frozen=True)
class ProjectState:
    """One project as a run saw it: its bookings, its deviation and its deadline status."""

    bookings: BookingsState
    afvigelse_ore: int
    afvigelse_pct: str | None  # Decimal as text, unrounded; None where undefined
    over_threshold: bool  # A4: an explanation is required
    status: str  # due.csv's status


@dataclass(frozen=True)
class RunSnapshot:
    """What the next run compares with. Small: one entry per project, no bookings."""

    as_of: str
    projects: Mapping[str, ProjectState]
    unmatched: BookingsState
    # Acquisition items past their date ("C2: Lønsystem"); None when this run could not tell
    # (no acquisitions register, or a closed day), so the previous run's list carries over.
    overdue_items: tuple[str, ...] | None
    version: int = SNAPSHOT_VERSION

    def to_json(self) -> str:
        """The snapshot as JSON text, stable in order so two equal runs write equal files."""
        data = {
            "version": self.version,
            "as_of": self.as_of,
            "projects": {
                name: {
                    "bookings": _bookings_dict(p.bookings),
                    "afvigelse_ore": p.afvigelse_ore,
                    "afvigelse_pct": p.afvigelse_pct,
                    "over_threshold": p.over_threshold,
                    "status": p.status,
                }
                for name, p in sorted(self.projects.items())
            },
            "unmatched": _bookings_dict(self.unmatched),
            "overdue_items": None if self.overdue_items is None else sorted(self.overdue_items),
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RunSnapshot:
        """Parse what `to_json` wrote; ValueError (with what is wrong) for anything else."""
        try:
            data = json.loads(text)
            if data.get("version") != SNAPSHOT_VERSION:
                raise ValueError(
                    f"ukendt version {data.get('version')!r}, gemt af en anden udgave af kitflow"
                )
            items = data["overdue_items"]
            return cls(
                as_of=str(data["as_of"]),
                projects={
                    name: ProjectState(
                        bookings=_bookings_state(p["bookings"]),
                        afvigelse_ore=int(p["afvigelse_ore"]),
                        afvigelse_pct=p["afvigelse_pct"],
                        over_threshold=bool(p["over_threshold"]),
                        status=str(p["status"]),
                    )
                    for name, p in data["projects"].items()
                },
                unmatched=_bookings_state(data["unmatched"]),
                overdue_items=None if items is None else tuple(str(i) for i in items),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"ikke en kitflow-tilstandsfil ({type(exc).__name__}: {exc})") from exc


def _bookings_dict(b: BookingsState) -> dict[str, int]:
    return {"count": b.count, "amount_ore": b.amount_ore, "fingerprint": b.fingerprint}


def _bookings_state(d: Mapping[str, object]) -> BookingsState:
    return BookingsState(int(d["count"]), int(d["amount_ore"]), int(d["fingerprint"]))


@dataclass(frozen=True)
class BookingChange:
    """A project's bookings since the previous run; projekt "" is the unmatched bookings.

    `count` and `amount_ore` are the net change. `altered` says this is no plain addition:
    there are fewer bookings than before, or as many with other content (a corrected or
    replaced booking), so an export was changed rather than extended.
    """

    projekt: str
    count: int
    amount_ore: int
    altered: bool


@dataclass(frozen=True)
class Crossing:
    """A project whose deviation crossed the A4 threshold since the previous run."""

    projekt: str
    now_over: bool  # True: now at or over the threshold; False: back under it
    afvigelse_pct_before: str | None
    afvigelse_pct_now: str | None


@dataclass(frozen=True)
class Changes:
    """The difference the `afstemning-aendringer` artifact shows."""

    previous_as_of: str | None  # None: there was no earlier run to compare with
    bookings: tuple[BookingChange, ...] = ()
    crossings: tuple[Crossing, ...] = ()
    overdue_projects: tuple[str, ...] = ()
    overdue_items: tuple[str, ...] = ()
    new_projects: tuple[str, ...] = ()
    removed_projects: tuple[str, ...] = ()
    items_known: bool = True  # False: this run could not tell which items are overdue

    @property
    def first_run(self) -> bool:
        return self.previous_as_of is None

    @property
    def nothing(self) -> bool:
        return not (
            self.bookings
            or self.crossings
            or self.overdue_projects
            or self.overdue_items
            or self.new_projects
            or self.removed_projects
        )


OVERDUE = DueStatus.OVERSKREDET
_EMPTY = BookingsState(0, 0, 0)


def _booking_change(name: str, before: BookingsState, now: BookingsState) -> BookingChange | None:
    if before == now:
        return None
    count = now.count - before.count
    return BookingChange(name, count, now.amount_ore - before.amount_ore, altered=count <= 0)


def diff(previous: RunSnapshot | None, current: RunSnapshot) -> Changes:
    """What changed from `previous` to `current`; `previous` None is the first run."""
    if previous is None:
        return Changes(previous_as_of=None, items_known=current.overdue_items is not None)
    bookings: list[BookingChange] = []
    crossings: list[Crossing] = []
    overdue: list[str] = []
    for name, now in sorted(current.projects.items()):
        before = previous.projects.get(name)
        change = _booking_change(name, before.bookings if before else _EMPTY, now.bookings)
        if change is not None:
            bookings.append(change)
        if before is None:
            continue
        if before.over_threshold != now.over_threshold:
            crossings.append(
                Crossing(name, now.over_threshold, before.afvigelse_pct, now.afvigelse_pct)
            )
        if now.status == OVERDUE and before.status != OVERDUE:
            overdue.append(name)
    change = _booking_change(UNMATCHED, previous.unmatched, current.unmatched)
    if change is not None:
        bookings.append(change)
    items_before = set(previous.overdue_items or ())
    items_now = current.overdue_items
    new_items: Sequence[str] = (
        sorted(set(items_now) - items_before) if items_now is not None else ()
    )
    return Changes(
        previous_as_of=previous.as_of,
        bookings=tuple(bookings),
        crossings=tuple(crossings),
        overdue_projects=tuple(overdue),
        overdue_items=tuple(new_items),
        new_projects=tuple(sorted(set(current.projects) - set(previous.projects))),
        removed_projects=tuple(sorted(set(previous.projects) - set(current.projects))),
        items_known=items_now is not None,
    )


def carry_items(previous: RunSnapshot | None, current: RunSnapshot) -> RunSnapshot:
    """The snapshot to save: where this run could not tell the overdue items, keep the last."""
    if current.overdue_items is not None or previous is None:
        return current
    return RunSnapshot(
        as_of=current.as_of,
        projects=current.projects,
        unmatched=current.unmatched,
        overdue_items=previous.overdue_items,
    )


# --- the snapshot of a run ---------------------------------------------------------------

# What identifies a booking across runs: its content, not the file or row it was read from.
_IDENTITY = ("posting_date", "loebenummer", "amount_ore", "document_number", "line", "art", "text")


def _per_loebenummer(frame: pd.DataFrame) -> dict[str, BookingsState]:
    """Count, sum and fingerprint of the bookings per løbenummer."""
    if frame.empty:
        return {}
    # The identity columns hashed as typed (text, int64, datetime64): the bookings frame's
    # dtypes are fixed by the parser, so equal bookings hash equal from run to run.
    hashes = pd.util.hash_pandas_object(frame[list(_IDENTITY)], index=False).to_numpy(np.uint64)
    codes, names = pd.factorize(frame["loebenummer"], use_na_sentinel=False)
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    counts = np.diff(np.r_[starts, len(codes)])
    amounts = np.add.reduceat(frame["amount_ore"].to_numpy(np.int64)[order], starts)
    # uint64 sums wrap around: an order-independent fingerprint of the group's bookings.
    prints = np.add.reduceat(hashes[order], starts)
    return {
        str(names[codes[start]]): BookingsState(int(count), int(amount), int(fingerprint))
        for start, count, amount, fingerprint in zip(starts, counts, amounts, prints, strict=True)
    }


def _summed(states: Iterable[BookingsState]) -> BookingsState:
    total = BookingsState(0, 0, 0)
    for b in states:
        total = BookingsState(
            total.count + b.count,
            total.amount_ore + b.amount_ore,
            (total.fingerprint + b.fingerprint) % 2**64,  # as the uint64 sum per group
        )
    return total


def snapshot_of(report: Report, overdue_items: Sequence[str] | None) -> RunSnapshot:
    """What the next run compares with, taken from the report model."""
    # Summed per løbenummer in numpy, then per project over its few løbenumre in Python.
    matched = _per_loebenummer(report.reconciliation.matched)
    unmatched = _summed(_per_loebenummer(report.unmatched).values())
    projects = {}
    for a in report.projects:
        netto = a.figures.netto
        pct = netto.afvigelse_pct
        projects[a.project.projekt] = ProjectState(
            bookings=_summed(
                matched[n.loebenummer.loebenummer]
                for n in a.loebenumre
                if n.loebenummer.loebenummer in matched
            ),
            afvigelse_ore=netto.afvigelse,
            afvigelse_pct=None if pct is None else str(pct),
            over_threshold=a.explanation_required,
            status=a.due.status,
        )
    return RunSnapshot(
        as_of=report.as_of.isoformat(),
        projects=projects,
        unmatched=unmatched,
        overdue_items=None if overdue_items is None else tuple(overdue_items),
    )
