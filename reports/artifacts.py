"""The controllers' view in the Prefect UI: the report model as table rows and Danish markdown."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from kitflow.core.accounts import Report
from kitflow.core.changes import Changes
from kitflow.core.findings import Severity
from kitflow.core.rules import DueStatus
from reports.format import fmt_date, fmt_kr, fmt_pct, fmt_thousands

# Keys the UI's Artifacts page groups the runs' history under (lowercase, digits and dashes).
KEY_OVERSIGT = "afstemning-oversigt"
KEY_RESUME = "afstemning-resume"
KEY_AENDRINGER = "afstemning-aendringer"
KEY_RAPPORTER = "afstemning-rapporter"
KEY_INDLAESNING = "afstemning-indlaesning"

MAX_FINDINGS = 10
SEVERITY_TEXT = {Severity.ERROR: "Fejl", Severity.WARNING: "Advarsel", Severity.INFO: "Info"}
FILE_TEXT = {
    "anlaegsregnskab.xlsx": "regnearket: oversigten som i Bilag 4, ét ark pr. projekt",
    "anlaegsregnskab.docx": "bilaget i Bilag 4's layout",
    "reconciliation.csv": "afstemningen pr. løbenummer og post (kr. og øre)",
    "unmatched.csv": "posteringer uden projekt i registeret",
    "due.csv": "frister og status pr. projekt",
    "reminders.csv": "påmindelserne fra denne kørsel og deres status",
    "quarantine.csv": "rækker der ikke kunne læses",
}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md(value: object) -> str:
    """Text from the data made inert in markdown: no HTML, no emphasis, no table breaks."""
    text = " ".join(("" if value is None else str(value)).split())
    text = html.escape(text, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", text)


def _code(value: object) -> str:
    """A path or hash shown verbatim; backticks inside cannot end the code span."""
    text = " ".join(str(value).split()).replace("`", "'")
    return f"`{text}`"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[int] = ()) -> str:
    """A markdown table; cells are already escaped by the caller."""
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --- afstemning-oversigt ---------------------------------------------------------------------

OVERVIEW_COLUMNS = (
    "Projekt",
    "Post",
    "Rådighedsbeløb",
    "Forbrug",
    "Afvigelse",
    # B4 says "Afvigelse i procent"; shorter here so the table fits beside the UI's side panel.
    "Afvigelse i %",
)


def overview_rows(report: Report) -> list[dict[str, str]]:
    """Bilag 4's overview table in 1.000 kr.: three posts per project, then I alt (netto)."""
    rows = []
    for account in report.overview:
        for post, f in account.figures.rows():
            rows.append(
                dict(
                    zip(
                        OVERVIEW_COLUMNS,
                        (
                            account.project.kort_navn,
                            post,
                            fmt_thousands(f.raadighedsbeloeb),
                            fmt_thousands(f.forbrug),
                            fmt_thousands(f.afvigelse),
                            fmt_pct(f.afvigelse_pct, 0),
                        ),
                        strict=True,
                    )
                )
            )
    total = report.overview_total.netto
    rows.append(
        dict(
            zip(
                OVERVIEW_COLUMNS,
                (
                    "I alt",
                    "Netto",
                    fmt_thousands(total.raadighedsbeloeb),
                    fmt_thousands(total.forbrug),
                    fmt_thousands(total.afvigelse),
                    fmt_pct(total.afvigelse_pct, 0),
                ),
                strict=True,
            )
        )
    )
    return rows


def overview_description(report: Report) -> str:
    """The table's caption: what it is, its unit, and how many projects it holds."""
    n = len(report.overview)
    # The UI's artifact card shows only the first ~35 characters: the essentials go first.
    return (
        f"Oversigt pr. {fmt_date(report.as_of)} som i Bilag 4, 1.000 kr., løbende priser: "
        f"{_count(n, 'projekt skal', 'projekter skal')} aflægge særskilt anlægsregnskab."
    )


# --- afstemning-resume -----------------------------------------------------------------------


def _names(accounts: Iterable[object]) -> str:
    return ", ".join(md(a.project.kort_navn) for a in accounts)  # type: ignore[attr-defined]


def summary_markdown(
    report: Report, reminders: Mapping[str, object] | None, *, send: bool, output: str
) -> str:
    """The run in Danish: files, bookings, projects due, explanations, reminders, findings."""
    c = report.reconciliation.conservation
    due = [a for a in report.overview if a.due.status is DueStatus.FORFALDEN]
    overdue = [a for a in report.overview if a.due.status is DueStatus.OVERSKREDET]
    missing = report.missing_explanations
    errors = report.errors()
    lines = [f"# Afstemning pr. {fmt_date(report.as_of)}", ""]
    headline = (
        f"**{_count(len(report.overview), 'projekt skal', 'projekter skal')} aflægge særskilt "
        f"anlægsregnskab: {len(due)} forfaldne i år, {len(overdue)} over fristen. "
        f"{_count(len(missing), 'afvigelsesforklaring mangler', 'afvigelsesforklaringer mangler')}"
        f". {c.unmatched_count} posteringer ({fmt_kr(c.unmatched_sum)} kr.) matcher intet "
        "projekt.**"
    )
    lines += [headline, ""]
    if errors:
        lines += [
            f"⚠️ {_count(len(errors), 'fejl skal', 'fejl skal')} rettes, se Fund nederst.",
            "",
        ]

    lines += ["## Projekter", ""]
    # A list, not a table: long project names wrap instead of pushing the page sideways.
    for label, accounts in (
        ("Forfaldne i år", due),
        ("Over fristen", overdue),
        ("Mangler afvigelsesforklaring", missing),
    ):
        lines.append(f"- **{label} ({len(accounts)}):** {_names(accounts) or 'ingen'}")
    lines.append("")

    lines += ["## Posteringer", ""]
    rows = [
        ("Læst i alt", str(c.read_count), fmt_kr(c.read_sum)),
        ("Dubletter (talt én gang)", str(c.duplicate_count), fmt_kr(c.duplicate_sum)),
        ("Matchet til et projekt", str(c.matched_count), fmt_kr(c.matched_sum)),
        ("**Ikke matchet**", f"**{c.unmatched_count}**", f"**{fmt_kr(c.unmatched_sum)}**"),
        ("Interne", str(c.internal_count), fmt_kr(c.internal_sum)),
    ]
    if c.later_count:
        rows.append(("Bogført efter opgørelsesdatoen", str(c.later_count), fmt_kr(c.later_sum)))
    rows.append(("I karantæne (kunne ikke læses)", str(len(report.quarantined)), "–"))
    lines += [_table(("", "Antal", "Beløb (kr.)"), rows, right=(1, 2)), ""]

    lines += ["## Påmindelser", ""]
    lines += [_reminders_text(reminders, send), ""]

    lines += ["## Indlæste filer", ""]
    rows = [
        (
            md(f.file),
            str(f.rows) if f.sheets else "–",
            str(f.bookings) if f.sheets else "–",
            _code(f.sha256[:12]),
        )
        for f in report.files
    ]
    lines += [_table(("Fil", "Rækker", "Posteringer", "SHA-256 (start)"), rows, right=(1, 2))]
    lines += ["", f"Rapporterne ligger i {_code(output)}.", ""]

    lines += [f"## Fund ({len(report.findings)})", ""]
    if not report.findings:
        lines += ["Ingen fund: alle filer kunne læses uden bemærkninger."]
    else:
        ordered = sorted(
            report.findings,
            key=lambda f: (
                [Severity.ERROR, Severity.WARNING, Severity.INFO].index(f.severity),
                str(f.location),
            ),
        )
        for f in ordered[:MAX_FINDINGS]:
            lines.append(f"- **{SEVERITY_TEXT[f.severity]}** {md(f)}")
        if len(ordered) > MAX_FINDINGS:
            lines += [
                "",
                f"… og {len(ordered) - MAX_FINDINGS} flere; alle står i kørslens log.",
            ]
    return "\n".join(lines) + "\n"


def _reminders_text(reminders: Mapping[str, object] | None, send: bool) -> str:
    if reminders is None:
        return "Ingen påmindelser i denne kørsel: registeret acquisitions.xlsx findes ikke."
    if not reminders.get("open_day"):
        return "I dag er ikke en arbejdsdag: ingen påmindelser sendes."
    outbox = reminders.get("outbox")
    table = _table(
        ("Planlagt", "Lagt i udbakken" if outbox else "Sendt", "Fejlet", "Venter"),
        [tuple(str(reminders.get(k, 0)) for k in ("planned", "sent", "failed", "pending"))],
        right=(0, 1, 2, 3),
    )
    notes = []
    if reminders.get("ledger_warning"):
        notes.append(f"⚠️ {md(reminders['ledger_warning'])}.")
    if outbox and send:
        notes.append(
            "Ingen mailserver er sat op (smtp.host): mailene er ikke sendt til nogen, men lagt "
            f"som .eml-filer i udbakken {_code(str(outbox))}."
        )
    if not send:
        notes.append(
            "Planlagt uden afsendelse (send slået fra): de sendes af næste kørsel, der sender "
            "– efter planen påmindelseskørslen kl. 7 på hverdage."
        )
    if reminders.get("delivery_error"):
        notes.append(
            f"Afsendelsen stoppede: {md(reminders['delivery_error'])}. "
            "Det, der venter, sendes ved næste kørsel."
        )
    return table + ("\n\n" + "\n".join(notes) if notes else "")


# --- afstemning-aendringer -------------------------------------------------------------------


def _pct_text(pct: str | None) -> str:
    return fmt_pct(None if pct is None else Decimal(pct), 1)


def changes_markdown(
    changes: Changes,
    report: Report,
    *,
    data_dir: str,
    problem: str | None = None,
) -> str:
    """What changed since the previous run on this data folder, in Danish."""
    lines = [f"# Ændringer siden forrige kørsel – pr. {fmt_date(report.as_of)}", ""]
    if problem:
        lines += [f"⚠️ {md(problem)}", ""]
    if changes.first_run:
        lines += [
            f"Der er ingen tidligere kørsel at sammenligne med for datamappen {_code(data_dir)}. "
            "Næste kørsel viser, hvad der er ændret siden denne.",
        ]
        return "\n".join(lines) + "\n"
    before = fmt_date(dt.date.fromisoformat(changes.previous_as_of or ""))
    lines += [f"Sammenlignet med forrige kørsel (opgjort pr. {before}).", ""]
    if changes.nothing:
        lines += ["**Intet er ændret siden forrige kørsel.**"]
        if not changes.items_known:
            lines += ["", _ITEMS_UNKNOWN]
        return "\n".join(lines) + "\n"

    short = {a.project.projekt: a.project.kort_navn for a in report.projects}
    lines += ["## Nye posteringer", ""]
    if changes.bookings:
        rows = []
        for b in changes.bookings:
            name = md(short.get(b.projekt, b.projekt)) if b.projekt else "*Ikke matchet*"
            note = ""
            if b.altered:
                note = "fjernet eller rettet" if b.count < 0 else "rettet (samme antal)"
            rows.append((name, f"{b.count:+d}", fmt_kr(b.amount_ore), note))
        header = ("Projekt", "Posteringer", "Beløb (kr.)", "Bemærkning")
        if not any(r[3] for r in rows):
            header, rows = header[:3], [r[:3] for r in rows]
        lines += [_table(header, rows, right=(1, 2))]
    else:
        lines += ["Ingen nye posteringer."]
    lines.append("")

    lines += [f"## Afvigelser over eller under tærsklen ({fmt_pct(report.threshold_pct, 0)})", ""]
    if changes.crossings:
        for x in changes.crossings:
            name = md(short.get(x.projekt, x.projekt))
            if x.now_over:
                lines.append(
                    f"- **{name}**: afvigelsen er nu {_pct_text(x.afvigelse_pct_now)} "
                    f"(før {_pct_text(x.afvigelse_pct_before)}) – over tærsklen, "
                    "en afvigelsesforklaring kræves"
                )
            else:
                lines.append(
                    f"- **{name}**: afvigelsen er nu {_pct_text(x.afvigelse_pct_now)} "
                    f"(før {_pct_text(x.afvigelse_pct_before)}) – under tærsklen igen"
                )
    else:
        lines += ["Ingen afvigelse har krydset tærsklen."]
    lines.append("")

    lines += ["## Nu over fristen", ""]
    overdue = [f"- Anlægsregnskab: **{md(short.get(p, p))}**" for p in changes.overdue_projects] + [
        f"- It-anskaffelse: **{md(i)}**" for i in changes.overdue_items
    ]
    lines += overdue or ["Intet er kommet over fristen siden forrige kørsel."]
    if not changes.items_known:
        lines += ["", _ITEMS_UNKNOWN]
    if changes.new_projects or changes.removed_projects:
        lines += ["", "## Registeret", ""]
        lines += [f"- Nyt projekt: {md(p)}" for p in changes.new_projects]
        lines += [f"- Ikke længere i registeret: {md(p)}" for p in changes.removed_projects]
    return "\n".join(lines) + "\n"


_ITEMS_UNKNOWN = (
    "It-anskaffelser er ikke sammenlignet i denne kørsel (ingen påmindelser i dag); "
    "næste kørsel med påmindelser sammenligner med den sidste, der havde dem."
)


# --- afstemning-rapporter --------------------------------------------------------------------


@dataclass(frozen=True)
class OutputFile:
    """One file in the run's output folder."""

    name: str
    size_bytes: int


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{(n + 512) // 1024} kB"
    return f"{fmt_kr(round(n * 100 / (1024 * 1024)))} MB"


def reports_markdown(
    files: Sequence[OutputFile], folder: str, as_of_iso: str, base_url: str | None
) -> str:
    """Where the run's report files are: links under `base_url`, else the folder's path."""
    lines = ["# Rapporter", ""]
    described = [(f, FILE_TEXT.get(f.name)) for f in files]
    if base_url:
        base = base_url.rstrip("/") + "/" + quote(as_of_iso) + "/"
        lines += [f"Rapporterne fra denne kørsel ({_code(folder)} på serveren):", ""]
        for f, what in described:
            link = f"[{md(f.name)}](<{base}{quote(f.name)}>)"
            lines.append(f"- {link} ({_size(f.size_bytes)})" + (f" – {what}" if what else ""))
    else:
        lines += [f"Rapporterne fra denne kørsel ligger i mappen {_code(folder)}:", ""]
        for f, what in described:
            item = f"- {_code(f.name)} ({_size(f.size_bytes)})"
            lines.append(item + (f" – {what}" if what else ""))
        lines += [
            "",
            "Sæt `report_base_url` i indstillingerne for at få links til en fildeling eller "
            "intranettet her.",
        ]
    return "\n".join(lines) + "\n"


def progress_description(done: int, total: int, name: str | None) -> str:
    """The progress artifact's caption while the exports are read."""
    if name is None:
        return f"0 af {total} posteringsfiler læst"
    return f"{done} af {total} posteringsfiler læst (senest {name})"
