"""Exports as SAP GUI writes them (spool as tab text, | list, HTML and tab-text .xls), made from
bookings, for the format tests, the bad inputs and the samples in docs/formats/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl

CRLF = "\r\n"
SPOOL_TITLE = "Projekter: Faktiske omkostninger/indtægter, linjeposter"
H1 = ["", "Objekt", "Projektdefinition", "PSP-element", "Omk.art", "Bilagsnummer", "BoL"]
H1 += ["Bogføringsdato", "Vrd./CO-områdevaluta", "Betegnelse"]
H2 = ["", "Registr.", "Kl.", "TbF", "Bilagstoptekst"]


@dataclass(frozen=True)
class Posting:
    """One booking as the tests write it into every format."""

    date: dt.date
    loebenummer: str  # XA-4411000006
    amount_ore: int
    art: str  # 4000: the cost element is the art followed by zeros
    bilag: str
    line: str
    text: str

    @property
    def wbs(self) -> str:
        return f"{self.loebenummer}-01"

    @property
    def cost_element(self) -> str:
        return (self.art + "0" * 8)[:8]


def example_postings(data: Path) -> list[Posting]:
    """The bookings of a data folder's exports, each once, as postings."""
    from kitflow.app.inputs import combine_exports, export_paths, parse_export
    from kitflow.core.bookings import BookingsOptions

    results = [parse_export(p, BookingsOptions()) for p in export_paths(data)]
    frame = combine_exports(results).bookings
    return sorted(
        (
            Posting(
                r.posting_date.date(),
                r.loebenummer,
                int(r.amount_ore),
                r.art,
                r.document_number,
                r.line,
                r.text,
            )
            for r in frame.itertuples()
        ),
        key=lambda p: (p.loebenummer, p.date, p.bilag, p.line),
    )


def kr(ore: int, sap: bool = True) -> str:
    """Øre as SAP writes kr.: 1.234,56 and, for a negative amount, 1.234,56- (sap) or -1.234,56."""
    text = f"{abs(ore) // 100:,}".replace(",", ".") + f",{abs(ore) % 100:02d}"
    if ore < 0:
        return text + "-" if sap else "-" + text
    return text


def _date(d: dt.date) -> str:
    return d.strftime("%d.%m.%Y")


def spool_lines(
    postings: Sequence[Posting], sections: int = 2, total: int | None = None
) -> list[str]:
    """A CJI3 spool saved as "Tekst med tabulatorer": the lines, without line endings.

    Records sorted by object, two lines each, a `*` subtotal after each object's records, the
    `**` grand total (`total` øre, else the sum) at the end, the headers repeated per section.
    """
    per = -(-len(postings) // sections) if postings else 1
    out: list[str] = []
    shown = sum(p.amount_ore for p in postings) if total is None else total
    block = 0
    for s in range(sections):
        part = postings[s * per : (s + 1) * per]
        out += [
            SPOOL_TITLE,
            "Projektdefinition XA-*   Periode 01.2017 - 12.2020   Version 0",
            "29.11.2026   14:03:11",
            f"Side {s + 1:>6}",
            "",
            "-" * 120,
            "\t".join(f"{h:<12}" if h else "" for h in H1),
            "\t".join(f"{h:<12}" if h else "" for h in H2),
            "-" * 120,
        ]
        for k, p in enumerate(part):
            out.append(
                "\t".join(
                    [
                        "",
                        f"PSP {p.wbs}",
                        p.loebenummer,
                        p.wbs,
                        p.cost_element,
                        p.bilag,
                        f"{p.line:>3}",
                        _date(p.date),
                        f"{kr(p.amount_ore):>18}",
                        f"{p.text:<40}",
                    ]
                )
            )
            out.append("\t".join(["", _date(p.date), "10:15:00", "KR", f"Faktura {p.bilag}"]))
            block += p.amount_ore
            following = part[k + 1] if k + 1 < len(part) else None
            if following is None and s + 1 < sections:
                following = postings[(s + 1) * per] if (s + 1) * per < len(postings) else None
            if following is None or following.loebenummer != p.loebenummer:
                out.append(_total_line("*", p.wbs, block))
                block = 0
        out.append("")
    out.append(_total_line("**", "", shown))
    return out


def _total_line(mark: str, wbs: str, ore: int) -> str:
    cells = [mark, f"PSP {wbs}" if wbs else "", "", "", "", "", "", "", f"{kr(ore):>18}", ""]
    return "\t".join(cells)


def spool_bytes(lines: Sequence[str], encoding: str = "cp1252") -> bytes:
    bom = "\ufeff" if encoding.startswith("utf-16") else ""
    return (bom + CRLF.join(lines) + CRLF).encode("utf-16-le" if bom else encoding)


LIST_HEADER = ["Objekt", "Omk.art", "Bilagsnr.", "BoL", "Bogf.dato", "Vrd./CO-områdevaluta"]
LIST_HEADER += ["Betegnelse"]
_WIDTHS = [24, 10, 12, 5, 10, 20, 40]


def list_lines(postings: Sequence[Posting], page_rows: int = 40, total: bool = True) -> list[str]:
    """A SAP list exported unconverted: `|` columns, dashed frames, the header on every page,
    amounts right-aligned, the `**` total at the end."""

    def row(values: Sequence[str], right: int = 5) -> str:
        cells = [
            f"{v:>{w}}" if k == right else f"{v:<{w}}"
            for k, (v, w) in enumerate(zip(values, _WIDTHS, strict=True))
        ]
        return "|" + "|".join(cells) + "|"

    rule = "-" * (sum(_WIDTHS) + len(_WIDTHS) + 1)
    out: list[str] = []
    for start in range(0, max(len(postings), 1), page_rows):
        out += [
            f"29.11.2026      {SPOOL_TITLE}      {start // page_rows + 1}",
            "",
            rule,
            row(LIST_HEADER, right=-1),
            rule,
        ]
        for p in postings[start : start + page_rows]:
            out.append(
                row(
                    [
                        f"PSP {p.wbs}",
                        p.cost_element,
                        p.bilag,
                        p.line,
                        _date(p.date),
                        kr(p.amount_ore),
                        p.text,
                    ]
                )
            )
        out.append(rule)
    if total:
        ore = sum(p.amount_ore for p in postings)
        out += [row(["**", "", "", "", "", kr(ore), ""]), rule]
    return out


def html_xls(postings: Sequence[Posting]) -> str:
    """What Excel and SAP GUI save as an .xls "regneark" in HTML: a title table and the table."""
    head = ["Bogføringsdato", "PSP-element", "Omk.art", "Bilagsnummer", "BoL"]
    head += ["Vrd./CO-områdevaluta", "Betegnelse"]
    rows = [
        "<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>",
        *(
            "<tr>"
            + "".join(
                f"<td>{v}</td>"
                for v in (
                    _date(p.date),
                    p.wbs,
                    p.cost_element,
                    p.bilag,
                    p.line,
                    kr(p.amount_ore, sap=False),
                    p.text.replace("&", "&amp;").replace("<", "&lt;"),
                )
            )
            + "</tr>"
            for p in postings
        ),
    ]
    return (
        '<html xmlns:x="urn:schemas-microsoft-com:office:excel">\n<head><meta '
        'http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\n<body>\n'
        f'<table><tr><td colspan="3">{SPOOL_TITLE}</td></tr></table>\n'
        '<table border="1">\n' + "\n".join(rows) + "\n</table>\n</body></html>\n"
    )


def tab_xls_lines(postings: Sequence[Posting]) -> list[str]:
    """SAP GUI's "Regneark" export: tab-separated text with an .xls name, a title line first."""
    head = ["", "PSP-element", "Omk.art", "Bilagsnummer", "BoL", "Bogføringsdato"]
    head += ["Vrd./CO-områdevaluta", "Betegnelse"]
    out = [SPOOL_TITLE, "", "\t".join(head)]
    for p in postings:
        out.append(
            "\t".join(
                [
                    "",
                    p.wbs,
                    p.cost_element,
                    p.bilag,
                    p.line,
                    _date(p.date),
                    kr(p.amount_ore),
                    p.text,
                ]
            )
        )
    return out


def write_xlsx(postings: Sequence[Posting], path: Path) -> None:
    """The same bookings as an ordinary .xlsx export (numbers and dates as Excel holds them)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Bogføringsdato", "Løbenummer", "Beløb", "Art", "Bilagsnummer", "Linje", "Tekst"])
    for p in postings:
        ws.append([p.date, p.loebenummer, p.amount_ore / 100, p.art, p.bilag, p.line, p.text])
    wb.save(path)


# The three bookings of the samples in docs/formats/ (scripts/format_samples.py writes them).
SAMPLE = [
    Posting(dt.date(2020, 12, 1), "XA-4411000006", 12_500_00, "4000", "5000000001", "1", "Licens"),
    Posting(dt.date(2020, 12, 2), "XA-4411000006", 3_750_25, "2200", "5000000002", "1", "Skærme"),
    Posting(
        dt.date(2020, 12, 3), "XA-4411000006", -1_000_00, "7100", "5000000003", "1", "Refusion"
    ),
]


def write_samples(folder: Path) -> list[Path]:
    """One short file per format, as docs/formats/ holds them."""
    files = {
        "cji3-spool-tabulator.txt": spool_bytes(spool_lines(SAMPLE, sections=2), "cp1252"),
        "cji3-liste-ukonverteret.txt": spool_bytes(list_lines(SAMPLE), "cp1252"),
        "cji3-regneark-html.xls": html_xls(SAMPLE).encode("utf-8"),
        "ksb1-regneark-tabulator.xls": spool_bytes(tab_xls_lines(SAMPLE), "cp1252"),
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return [folder / name for name in files]
