"""Combining the parsed sheets of every export: each booking counted once, copies set aside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kitflow.core.bookings import (
    BOOKING_COLUMNS,
    CONTENT_COLUMNS,
    IDENTITY_COLUMNS,
    ParsedSheet,
    SheetControl,
    identity_hashes,
)
from kitflow.core.findings import Finding, Location, Severity


@dataclass(frozen=True)
class CombinedBookings:
    """Every booking read once, however many overlapping exports held it."""

    bookings: pd.DataFrame
    quarantined: pd.DataFrame
    duplicates: pd.DataFrame
    controls: tuple[SheetControl, ...]
    findings: tuple[Finding, ...]

    @property
    def read_count(self) -> int:
        return len(self.bookings) + len(self.duplicates)

    @property
    def read_sum_ore(self) -> int:
        return int(self.bookings["amount_ore"].sum()) + int(self.duplicates["amount_ore"].sum())


def _identities(everything: pd.DataFrame) -> np.ndarray:
    """A number per booking that is equal exactly where the identity (without occurrence) is:
    document number and line where there is a line, else document number and content."""
    n = len(everything)
    has_line = (everything["line"] != "").to_numpy()
    identity = np.zeros(n, dtype=np.int64)
    offset = 0
    for rows, columns in ((has_line, ["document_number", "line"]), (~has_line, IDENTITY_COLUMNS)):
        if rows.any():
            part = everything.loc[rows, columns]
            ids = part.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
            identity[rows] = offset + ids
            offset += int(ids.max()) + 1
    return identity


def combine(parsed: Sequence[ParsedSheet]) -> CombinedBookings:
    """Merge sheets in the order given, counting a booking in overlapping exports once.

    A booking's identity is its document number and line where the export has a line column,
    else its document number and content; the n-th identical line of one export is a
    distinct booking, so identity also carries that occurrence number. The first export
    that holds a booking keeps it; later copies go to `duplicates`, and a later copy whose
    content differs is a finding, since one of the exports is then wrong.
    """
    findings: list[Finding] = [f for p in parsed for f in p.findings]
    frames = [p.bookings.assign(_order=order) for order, p in enumerate(parsed)]
    frames = [f for f in frames if not f.empty]
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in BOOKING_COLUMNS})
        empty["amount_ore"] = empty["amount_ore"].astype(np.int64)
        return CombinedBookings(
            empty,
            _concat([p.quarantined for p in parsed]),
            empty.copy(),
            tuple(p.control for p in parsed),
            tuple(findings),
        )
    everything = pd.concat(frames, ignore_index=True)
    hashes = np.concatenate(
        [
            p.identity_hash if p.identity_hash is not None else identity_hashes(p.bookings)
            for p in parsed
            if not p.bookings.empty
        ]
    )
    position = np.arange(len(everything))
    first = position.copy()
    # Only bookings whose hash occurs more than once can have a copy; those few are grouped
    # on their typed columns, so equality is decided exactly, never by the hash.
    maybe = np.flatnonzero(pd.Series(hashes).duplicated(keep=False).to_numpy())
    if maybe.size:
        some = everything.iloc[maybe]
        keys = pd.DataFrame({"order": some["_order"].to_numpy(), "id": _identities(some)})
        keys["occurrence"] = keys.groupby(["order", "id"], sort=False).cumcount()
        keys["position"] = maybe
        by = keys.groupby(["id", "occurrence"], sort=False)["position"]
        first[maybe] = by.transform("min").to_numpy()
    dup_mask = first != position
    everything = everything.drop(columns=["_order"])
    kept = everything[~dup_mask]
    dups = everything[dup_mask]
    if len(dups):
        of = first[dup_mask]
        origin = everything.iloc[of]
        file_first = origin["file"].to_numpy()
        for (file, sheet), group in pd.DataFrame(
            {"file": dups["file"].to_numpy(), "sheet": dups["sheet"].to_numpy(), "f": file_first}
        ).groupby(["file", "sheet"], sort=False):
            other = ", ".join(sorted(set(group["f"])))
            findings.append(
                Finding(
                    Severity.INFO,
                    Location(file, sheet or None),
                    f"{len(group)} posteringer findes også i {other} og er talt én gang",
                    code="booking.duplicate",
                )
            )
        differs = np.zeros(len(dups), dtype=bool)
        for c in CONTENT_COLUMNS:
            differs |= dups[c].to_numpy() != origin[c].to_numpy()
        for k in np.flatnonzero(differs):
            r, o = dups.iloc[k], origin.iloc[k]
            findings.append(
                Finding(
                    Severity.WARNING,
                    Location(r["file"], r["sheet"] or None, int(r["row"])),
                    f"bilag {r['document_number']} linje {r['line']} står også i "
                    f"{o['file']}:{o['sheet']}!{o['row']} med andet indhold; "
                    "den første er talt med – kontrollér hvilken eksport der er rigtig",
                    code="booking.duplicate_differs",
                )
            )
    return CombinedBookings(
        bookings=kept.reset_index(drop=True),
        quarantined=_concat([p.quarantined for p in parsed]),
        duplicates=dups.reset_index(drop=True),
        controls=tuple(p.control for p in parsed),
        findings=tuple(findings),
    )


QUARANTINE_COLUMNS = (
    "file",
    "sheet",
    "row",
    "posting_date",
    "project_raw",
    "amount",
    "document_number",
    "line",
    "text",
    "reason",
)


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in QUARANTINE_COLUMNS})
    return pd.concat(frames, ignore_index=True)
