"""`kitflow check`: read a data folder as the run would, write nothing, and say all that is wrong.

The same readers and parsers as the nightly run are used (no Prefect flow is started), so a
folder that passes the check is one the run accepts. Unlike the run, the check does not stop
at the first file that cannot be used: every file is read and every problem is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from config.settings import Settings
from kitflow.core.findings import (
    ConservationError,
    FatalInputError,
    Finding,
    KitflowError,
    Location,
    Severity,
)

T = TypeVar("T")

STOP = "stopper kørslen"
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
        return sum(1 for line in self.lines if not line.fatal and line.severity is severity)

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


def check_data(data: Path, settings: Settings, as_of: dt.date) -> CheckResult:
    """Read register.xlsx, acquisitions.xlsx and every export in `data`; write nothing."""
    # Imported here so that `kitflow --help` stays fast; these are the run's own steps.
    from flows.nightly import accounts_due
    from kitflow.app.reminder_policy import reminder_policy
    from kitflow.core.bookings import BookingsOptions, combine
    from kitflow.core.obligations import plan_reminders
    from kitflow.readers import booking_files
    from tasks.ingest import load_register, parse_export
    from tasks.reconcile import make_report, report_options
    from tasks.reminders import read_register as read_acquisitions

    result = CheckResult()
    if not data.is_dir():
        result.add_fatal(
            str(data), "datamappen findes ikke; angiv den rigtige med --data", "fatal.input"
        )
        return result

    register_path = data / "register.xlsx"
    loaded = result.attempt(register_path.name, lambda: load_register(register_path))
    register = files_register = None
    if loaded is not None:
        register, files_register = loaded
        result.files_read += 1
        for finding in register.findings:
            result.add_finding(finding)

    options = BookingsOptions(
        extra_aliases={k: tuple(v) for k, v in settings.aliases.model_dump().items()}
    )
    exports = result.attempt("bookings", lambda: booking_files(data / "bookings")) or []
    parsed = []
    for path in exports:
        one = result.attempt(path.name, lambda path=path: parse_export(path, options))
        if one is not None:
            parsed.append(one)
            result.files_read += 1
    combined = None
    if parsed:
        combined = result.attempt("bookings", lambda: combine([s for p, _ in parsed for s in p]))
    exports_ok = combined is not None and len(parsed) == len(exports)

    report = None
    if combined is not None:
        reconciled = register is not None and exports_ok
        if reconciled:
            # Exactly the run's step: stops above the quarantine limit, checks conservation,
            # applies rules A1-A4 and collects every finding of the bookings and the register.
            report = result.attempt(
                "afstemning",
                lambda: make_report(
                    as_of,
                    register,
                    combined,
                    [files_register, *(info for _p, info in parsed)],
                    **report_options(settings),
                ),
            )
        already = {(line.where, line.message) for line in result.lines}
        findings = (
            report.findings
            if report is not None
            else (*combined.findings, *(register.findings if register else ()))
        )
        for finding in findings:
            if (str(finding.location), finding.message) not in already:
                result.add_finding(finding)
        if not reconciled and len(combined.quarantined) > settings.max_quarantined_rows:
            # make_report did not run (another file stopped the run); the limit still counts.
            result.add_fatal(
                "bookings",
                f"{len(combined.quarantined)} posteringsrækker kunne ikke læses (grænsen er "
                f"{settings.max_quarantined_rows}); ret rækkerne eller hæv "
                "max_quarantined_rows",
                "fatal.input",
            )

    acquisitions = data / "acquisitions.xlsx"
    if acquisitions.exists():
        read = result.attempt(acquisitions.name, lambda: read_acquisitions(acquisitions))
        if read is not None:
            result.files_read += 1
            acq_register, acq_findings = read
            for finding in acq_findings:
                result.add_finding(finding)
            accounts = accounts_due(report) if report is not None else None
            plan = result.attempt(
                acquisitions.name,
                lambda: plan_reminders(
                    acq_register, as_of, reminder_policy(settings.reminders), accounts
                ),
            )
            for finding in plan.findings if plan is not None else ():
                result.add_finding(finding)
    else:
        result.add_finding(
            Finding(
                Severity.WARNING,
                Location(acquisitions.name),
                "filen findes ikke: kørslen sender ingen påmindelser",
                code="acquisitions.missing",
            )
        )
    return result


def load_check_settings(config: Path | None, data: Path | None) -> Settings:
    """Settings as the run loads them; invalid settings are one FatalInputError, never a dump.

    Pydantic's message would repeat the offending input, which may be a password; only the
    setting's name and the reason are shown.
    """
    from pydantic import ValidationError

    from config.settings import load_settings

    try:
        return load_settings(config, data_dir=None if data is None else str(data))
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise FatalInputError(
            str(config or "indstillingerne"), f"indstillingerne er ugyldige ({reasons})"
        ) from None
