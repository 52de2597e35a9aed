"""Findings as data: what is wrong with the input, where it is, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How much a finding matters: errors quarantine a row, warnings only inform."""

    ERROR = "fejl"
    WARNING = "advarsel"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding comes from: file, sheet and 1-based row as Excel shows them."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.sheet is not None:
            text += f":{self.sheet}"
        if self.row is not None:
            text += f"!{self.row}" if self.sheet is not None else f":{self.row}"
        return text


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a controller should know about the input, rendered `file:Sheet!row: message`."""

    severity: Severity
    location: Location
    message: str
    code: str = ""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class KitflowError(Exception):
    """The base of every error kitflow raises on purpose; the CLI maps it to an exit code."""

    exit_code = 1


class FatalInputError(KitflowError):
    """The input cannot be used at all: one clear sentence naming the file and the problem."""

    exit_code = 2

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


class ConservationError(KitflowError):
    """The sums do not add up to what was read: a defect, never to be papered over."""

    exit_code = 3
