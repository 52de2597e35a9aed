"""Who a reminder goes to: the circular's RACI roles, resolved to To and Cc addresses.

The Udførende are reminded (To), the Informeret copied (Cc), and the Ansvarlig (the direktion)
receives the escalation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from kitflow.core.acquisitions import AcquisitionsRegister, Unit

Named = tuple[tuple[str, str], ...]  # (address, display name)


class Role(StrEnum):
    """The RACI roles of the circular's tables that receive mail."""

    UDFOERENDE = "Udførende"
    ANSVARLIG = "Ansvarlig"
    INFORMERET = "Informeret"


_ROLE_RANK = {Role.ANSVARLIG: 0, Role.UDFOERENDE: 1, Role.INFORMERET: 2}


@dataclass(frozen=True, slots=True)
class Recipient:
    """One address of one reminder, with its RACI role and the header it goes in."""

    address: str
    role: Role
    header: Literal["to", "cc"]
    name: str = ""


@dataclass(frozen=True, slots=True)
class Raci:
    """The addresses of one item's RACI roles."""

    udfoerende: Named
    ansvarlig: Named
    informeret: Named = ()

    def recipients(self, escalated: bool) -> tuple[Recipient, ...]:
        """Each address once, in its strongest role; escalation puts the Ansvarlig in To."""
        roles = [(a, n, Role.UDFOERENDE) for a, n in self.udfoerende]
        roles += [(a, n, Role.INFORMERET) for a, n in self.informeret]
        if escalated:
            roles += [(a, n, Role.ANSVARLIG) for a, n in self.ansvarlig]
        best: dict[str, tuple[str, Role]] = {}
        for address, name, role in roles:
            key = address.lower()
            if key not in best or _ROLE_RANK[role] < _ROLE_RANK[best[key][1]]:
                best[key] = (name, role)
        out = []
        has_ansvarlig = any(role is Role.ANSVARLIG for _n, role in best.values())
        for key, (name, role) in best.items():
            if role is Role.ANSVARLIG:
                header: Literal["to", "cc"] = "to"
            elif role is Role.UDFOERENDE:
                # In an escalation the direktion is addressed and the unit copied; without a
                # direktion address the unit stays the addressee.
                header = "cc" if escalated and has_ansvarlig else "to"
            else:
                header = "cc"
            out.append(Recipient(key, role, header, name))
        return tuple(sorted(out, key=lambda r: (r.header != "to", _ROLE_RANK[r.role], r.address)))


def named(addresses: Sequence[str], name: str) -> Named:
    """The addresses, each under the same display name."""
    return tuple((a, name) for a in addresses)


@dataclass(frozen=True, slots=True)
class UnitRoles:
    """A unit's own addresses, its direktion's and its forvaltning's digitaliseringskontor's."""

    own: Named
    direktion: Named
    digi: Named


def unit_roles(unit: Unit) -> UnitRoles:
    """The unit's addresses, named after the unit and its forvaltning."""
    forvaltning = unit.forvaltning
    return UnitRoles(
        own=named(unit.email, unit.enhed),
        direktion=named(unit.direktion_email, f"Direktionen, {forvaltning}" if forvaltning else ""),
        digi=named(
            unit.digitaliseringskontor_email,
            f"Digitaliseringskontoret, {forvaltning}" if forvaltning else "",
        ),
    )


def koncern_it(register: AcquisitionsRegister) -> Named:
    """Koncern IT's addresses, Informeret of every acquisition rule."""
    return named(register.koncern_it_email, "Koncern IT")
