"""What a rule is: the facts it looks at, the items it finds, and its entry in the rule list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Literal

from kitflow.core.acquisitions import AcquisitionsRegister
from kitflow.core.findings import Finding, Location
from kitflow.core.obligations.policy import S
from kitflow.core.obligations.recipients import Raci
from kitflow.core.rules import DueStatus


@dataclass(frozen=True, slots=True)
class AccountDue:
    """A capital account due under A2, as the capital-accounts pipeline hands it over (C6)."""

    projekt: str
    frist: dt.date
    status: DueStatus
    controller_email: str | None
    forelagt: dt.date | None
    sendt_til_revision: dt.date | None
    # The project's row in register.xlsx's Projekter, which findings about it name.
    source: Location | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What every rule looks at; None is what this run does not know (no register, no accounts)."""

    as_of: dt.date
    register: AcquisitionsRegister | None = None
    accounts: Sequence[AccountDue] | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One open item a rule found: what its reminder says, and to whom."""

    item: str
    owner: str  # whose digest it is in: the unit, or the controller for C6
    title: str
    date_label: str
    date: dt.date  # the date shown to the reader
    action: str
    raci: Raci
    due: dt.date | None = None  # the date the milestones count from, if not `date`
    deadline: bool = True  # a deadline ("om 3 dage") or an event that happened ("for 3 dage siden")
    escalation_note: str = ""
    source: Location | None = None


# A rule's open items, and findings about what it cannot remind of.
Found = Iterator[Item | Finding]


@dataclass(frozen=True, slots=True)
class Rule(Generic[S]):
    """A rule of the circular: its id, section and title, default schedule and function."""

    id: str
    section: str
    title: str
    default: S  # planned with this when the policy has no schedule for the rule
    find: Callable[[Facts, S], Found]
    # The facts it runs over: unless they are known, the plan neither runs nor speaks for it.
    over: Literal["register", "accounts"] = "register"

    def covered(self, facts: Facts) -> bool:
        """Whether a plan on these facts speaks for the rule: not when its input is unknown."""
        return getattr(facts, self.over) is not None
