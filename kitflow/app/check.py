"""`kitflow check`: read a data folder as the run would, write nothing, and say all that is wrong.

The same steps as the nightly run (kitflow.app, no Prefect), so a folder that passes the check
is one the run accepts. Unlike the run, the check does not stop at the first file that cannot
be used: every file is read and every problem is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from config.settings import Settings
from kitflow.app.inputs import (
    acquisitions_missing,
    acquisitions_path,
    combine_exports,
    export_paths,
    load_acquisitions,
    load_register,
    parse_export,
    register_path,
)
from kitflow.app.reminders import plan
from kitflow.app.settings import bookings_options, thresholds
from kitflow.core.accounts import accounts_due, make_report, quarantine_limit_error
from kitflow.core.findings import (
    ConservationError,
    FatalInputError,
    Finding,
    KitflowError,
    Severity,
)

T = TypeVar("T")

STOP = "stopper kørslen"
FORMAT_CODE = "format.recognised"
_LABEL = {Severity.ERROR: "fejl", Severity.WARNING: "advarsel", Severity.INFO: "info"}


@dataclass(frozen=True)
class Line:
    """One reported problem: where (`file:Sheet!row`), what, and whether it stops a run."""

    where: str
    message: str
    severity: Severity
    fatal: bool = False
    code: str = ""

    def __str__(self) -> str:
        label = STOP if self.fatal else _LABEL[self.severity]
        return f"{self.where}: {label}: {self.message}"


@dataclass
class CheckResult:
    """Everything the check found, in the order it was found."""

    lines: list[Line] = field(default_factory=list)
    files_read: int = 0

    @property
    def fatal(self) -> list[Line]:
        return [line for line in self.lines if line.fatal]

    @property
    def ok(self) -> bool:
        """True when a run would go through (warnings and quarantined rows allowed)."""
        return not self.fatal

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 2

    def count(self, severity: Severity) -> int:
        """Findings of that severity; the lines naming each file's format are no finding."""
        return sum(
            1
            for line in self.lines
            if not line.fatal and line.severity is severity and line.code != FORMAT_CODE
        )

    def summary(self) -> str:
        verdict = (
            "en kørsel vil gå igennem"
            if self.ok
            else "en kørsel vil stoppe – ret det der står 'stopper kørslen' ved, og tjek igen"
        )
        return (
            f"kitflow check: {self.files_read} filer læst; {len(self.fatal)} stopper kørslen, "
            f"{self.count(Severity.ERROR)} fejl, {self.count(Severity.WARNING)} advarsler, "
            f"{self.count(Severity.INFO)} til orientering – {verdict}"
        )

    def add_finding(self, finding: Finding) -> None:
        self.lines.append(
            Line(str(finding.location), finding.message, finding.severity, code=finding.code)
        )

    def add_fatal(self, where: str, message: str, code: str) -> None:
        self.lines.append(Line(where, message, Severity.ERROR, fatal=True, code=code))

    def attempt(self, where: str, step: Callable[[], T]) -> T | None:
        """Run one step; a KitflowError (or a defect) becomes a fatal line, never a traceback."""
        try:
            return step()
        except FatalInputError as exc:
            self.add_fatal(exc.where, exc.problem, "fatal.input")
        except ConservationError as exc:
            self.add_fatal(
                where, f"{exc} – en fejl i kitflow; kontakt vedligeholderne", "fatal.sum"
            )
        except KitflowError as exc:
            self.add_fatal(where, str(exc), "fatal.other")
        except Exception as exc:  # a defect: reported with its type, and the check exits 2
            self.add_fatal(
                where,
                f"uventet fejl ({type(exc).__name__}: {str(exc)[:200]}) – filen kan ikke "
                "bruges som den er; gem den igen i Excel, og kontakt vedligeholderne hvis "
                "fejlen bliver ved",
                "fatal.defect",
            )
        return None


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def check_data(data: Path, settings: Settings, as_of: dt.date) -> CheckResult:
    """Read register.xlsx, acquisitions.xlsx and every export in `data`; write nothing."""
    result = CheckResult()
    if not data.is_dir():
        result.add_fatal(
            str(data), "datamappen findes ikke; angiv den rigtige med --data", "fatal.input"
        )
        return result

    path = register_path(data)
    input_limits = settings.input_limits
    loaded = result.attempt(path.name, lambda: load_register(path, input_limits))
    register, register_file = loaded if loaded is not None else (None, None)
    result.files_read += loaded is not None

    options = bookings_options(settings)
    exports = result.attempt("bookings", lambda: export_paths(data)) or []
    parsed = []
    for export in exports:
        one = result.attempt(
            export.name, lambda export=export: parse_export(export, options, input_limits)
        )
        if one is not None:
            parsed.append(one)
            result.files_read += 1
            info = one[1]
            # Which format the file was taken for: said by the check only (no report holds it).
            result.lines.append(
                Line(
                    export.name,
                    f"{info.recognised}, {_thousands(info.bookings)} postering"
                    + ("" if info.bookings == 1 else "er"),
                    Severity.INFO,
                    code=FORMAT_CODE,
                )
            )
    combined = result.attempt("bookings", lambda: combine_exports(parsed)) if parsed else None

    report = None
    limits = thresholds(settings)
    if combined is not None and register is not None and len(parsed) == len(exports):
        # Exactly the run's step: stops above the quarantine limit, checks conservation,
        # applies rules A1-A4 and collects every finding of the bookings and the register.
        files = [register_file, *(info for _p, info in parsed)]
        report = result.attempt(
            "afstemning", lambda: make_report(as_of, register, combined, files, limits)
        )
    elif combined is not None:
        # The run would have stopped before this step; the quarantine limit still counts.
        error = quarantine_limit_error(combined.quarantined, limits.max_quarantined_rows)
        if error is not None:
            result.add_fatal(error.where, error.problem, "fatal.input")
    # Every finding once, from where the run takes them: the report's, or what was read.
    if report is not None:
        findings = report.findings
    else:
        findings = (
            *(combined.findings if combined else ()),
            *(register.findings if register else ()),
        )
    for finding in findings:
        result.add_finding(finding)

    acquisitions = acquisitions_path(data)
    if acquisitions.exists():
        read = result.attempt(
            acquisitions.name, lambda: load_acquisitions(acquisitions, input_limits)
        )
        if read is not None:
            result.files_read += 1
            acq_register, acq_findings = read
            for finding in acq_findings:
                result.add_finding(finding)
            accounts = accounts_due(report) if report is not None else None
            planned = result.attempt(
                acquisitions.name, lambda: plan(settings, acq_register, as_of, accounts)
            )
            for finding in planned.findings if planned is not None else ():
                result.add_finding(finding)
    else:
        result.add_finding(acquisitions_missing(acquisitions))
    return result
