"""Write a run's reports into its output folder, swapped in whole, with the mail's summary."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from kitflow.core.accounts import Report
from kitflow.core.ledger import LedgerRow
from kitflow.mail import ReportSummary
from kitflow.publish import publish
from reports.bilag import write_bilag
from reports.csv_files import write_csv_files
from reports.reminders_csv import write_reminders_csv
from reports.tables import resultat_text
from reports.workbook import write_workbook

# The report mail's summary of the run, written with the reports so the two always agree.
# Hidden: it is for kitflow, not for the readers of the folder.
SUMMARY_FILE = ".kitflow-resume.json"
SUMMARY_VERSION = 1


def render_all(report: Report, folder: Path) -> None:
    """Every output file of the capital-accounts run."""
    write_csv_files(report, folder)
    write_workbook(report, folder / "anlaegsregnskab.xlsx")
    write_bilag(report, folder)


def report_summary(report: Report) -> ReportSummary:
    """What the report mail says: B4's Resultat sentence and the projects past their deadline."""
    return ReportSummary(
        report.as_of,
        resultat_text(report.overview_total.netto),
        tuple((a.project.projekt, a.due.frist.strftime("%d.%m.%Y")) for a in report.overdue),
    )


def summary_to_json(summary: ReportSummary) -> str:
    data = {
        "version": SUMMARY_VERSION,
        "as_of": summary.as_of.isoformat(),
        "resultat": summary.resultat,
        "overdue": [list(pair) for pair in summary.overdue],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def summary_from_json(text: str) -> ReportSummary:
    """Parse what `summary_to_json` wrote; ValueError for anything else."""
    try:
        data = json.loads(text)
        if data.get("version") != SUMMARY_VERSION:
            raise ValueError(f"ukendt version {data.get('version')!r}")
        return ReportSummary(
            dt.date.fromisoformat(data["as_of"]),
            str(data["resultat"]),
            tuple((str(p), str(d)) for p, d in data["overdue"]),
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc


def write_reports(
    report: Report, out_root: Path, reminder_rows: Sequence[LedgerRow] | None = None
) -> Path:
    """Render everything into `<out_root>/<as-of>`, swapped in whole; reminders.csv when given."""

    def write(folder: Path) -> None:
        render_all(report, folder)
        if reminder_rows is not None:
            write_reminders_csv(folder, reminder_rows)
        (folder / SUMMARY_FILE).write_text(
            summary_to_json(report_summary(report)), encoding="utf-8"
        )

    return publish(out_root, report.as_of, write)
