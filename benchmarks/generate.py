"""Generate large, untidy benchmark inputs (five xlsx exports, one CSV, a 500-project register).

Usage: python -m benchmarks.generate [--rows 200000] [--out /tmp/kitflow-bench]

Writes two data folders that share one register.xlsx:
  <out>/xlsx/  register.xlsx and bookings/ with five xlsx exports of --rows bookings each;
  <out>/csv/   register.xlsx and bookings/ with one semicolon CSV of 5 x --rows bookings;
and <out>/manifest.json with what the generator put in (bookings, duplicates, bad rows,
internal, unmatched), so a run's conservation figures can be checked against the input rather
than against the program's own output. Deterministic: a fixed seed, fixed timestamps.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261123
AS_OF = dt.date(2026, 11, 23)
PROJECTS = 500
DUE = 50  # projects completed in the as-of year: due for a separate account
LOEBENUMRE_PER_PROJECT = 2
UNREGISTERED = 20  # løbenumre that are in no register: their bookings are unmatched
OVERLAP = 2_000  # each export repeats this many bookings of the previous one
BAD_PER_FILE = 6  # cells that do not parse, per file (quarantined)
FIRST_DAY = dt.date(2024, 1, 1)


def _example_builders():
    """scripts/make_example_data.py's register layout and writers, reused rather than copied."""
    path = ROOT / "scripts" / "make_example_data.py"
    spec = importlib.util.spec_from_file_location("make_example_data", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules.setdefault("make_example_data", module)
    spec.loader.exec_module(module)
    return module


# --- the register ----------------------------------------------------------------------------


def loebenummer(k: int) -> str:
    return f"XA-{4400000000 + k:010d}"


def write_register(path: Path) -> dict:
    """500 projects with two løbenumre each; the first DUE completed in the as-of year."""
    ex = _example_builders()
    wb = Workbook()
    wb.remove(wb.active)
    rows, lnr_rows, bev_rows, kat_rows = [], [], [], []
    for p in range(PROJECTS):
        name = f"Projekt {p + 1:03d}"
        done = dt.date(AS_OF.year, 1 + p % 10, 15) if p < DUE else None
        values = {
            "Projekt": name,
            "Kort navn": name,
            "Bevilling": ex.BEVILLING,
            "Beskrivelse": f"Anlægsprojekt nr. {p + 1} i benchmarkdata.",
            "Anlægsbevilling": 10_000_000,
            "Ibrugtagningsdato": done,
            "Færdiggjort": done,
            "Byggeri": "Nej",
            "Udvalg": ex.UDVALG,
            "Anlægskartotek": "Nej",
            "Afvigelsesforklaring": "Forklaret i benchmarkdata." if p % 3 == 0 else None,
        }
        rows.append([values.get(c) for c in ex.PROJECT_COLUMNS])
        for j in range(LOEBENUMRE_PER_PROJECT):
            lnr = loebenummer(p * LOEBENUMRE_PER_PROJECT + j)
            lnr_rows.append([lnr, name, f"{name} del {j + 1}"])
            bev_rows.append([lnr, "Budget 2024", dt.date(2023, 10, 3), "Udgift", 5_000_000])
        bev_rows.append([loebenummer(p * 2), "Tilskud", dt.date(2023, 10, 3), "Indtægt", -400_000])
        for c in ex.CATEGORIES:
            kat_rows.append([name, c, "Nej", None])
    ex.add_sheet(wb, "Projekter", ex.PROJECT_COLUMNS, rows)
    ex.add_sheet(wb, "Løbenumre", ["Løbenummer", "Projekt", "Tekst"], lnr_rows)
    ex.add_sheet(wb, "Bevillinger", ["Løbenummer", "Beslutning", "Dato", "Post", "Beløb"], bev_rows)
    ex.add_sheet(wb, "Kategorier", ["Projekt", "Kategori", "Svar", "Bemærkning"], kat_rows)
    ex.save_workbook(wb, path)
    return {"projects": PROJECTS, "due_separate": DUE}


# --- the bookings ----------------------------------------------------------------------------


@dataclass
class Bookings:
    """Column arrays of generated bookings (one entry per booking)."""

    lnr: np.ndarray  # index into løbenumre; >= registered count means unregistered
    day: np.ndarray  # days since FIRST_DAY
    ore: np.ndarray  # signed amount in øre
    art: np.ndarray  # art code as text
    doc: np.ndarray
    line: np.ndarray
    text: np.ndarray

    def take(self, idx) -> Bookings:
        return Bookings(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


TEXTS = np.array(
    [
        "Konsulentydelser",
        "Licenser",
        "Hardware",
        "Intern timeafregning",
        "Tilskud fra forvaltningerne",
        "Projektledelse",
        "Rådgivning – ekstern",
    ],
    dtype=object,
)
REGISTERED = PROJECTS * LOEBENUMRE_PER_PROJECT


def make_bookings(seed: int, n: int) -> Bookings:
    """n distinct bookings: 85 % expenditure, 12 % income, 3 % internal, 0.2 % unregistered."""
    rng = np.random.default_rng(seed)
    lnr = rng.integers(0, REGISTERED, n)
    unmatched = rng.random(n) < 0.002
    lnr[unmatched] = REGISTERED + rng.integers(0, UNREGISTERED, int(unmatched.sum()))
    kind = rng.random(n)
    art = np.where(kind < 0.85, "4590", np.where(kind < 0.97, "7100", "9100")).astype(object)
    ore = rng.integers(100, 2_500_000, n).astype(np.int64)
    ore[art == "7100"] *= -1
    ore[rng.random(n) < 0.01] *= -1  # corrections
    ids = np.arange(n)
    return Bookings(
        lnr=lnr,
        day=rng.integers(0, (AS_OF - FIRST_DAY).days, n),
        ore=ore,
        art=art,
        doc=5_000_000_000 + ids // 2,
        line=ids % 2 + 1,
        text=TEXTS[rng.integers(0, len(TEXTS), n)],
    )


def stream_plan(rows: int, files: int) -> tuple[int, int, list[range], np.ndarray]:
    """The global booking stream: file k holds a window of it that overlaps file k-1's.

    Returns (overlap, stream length, each file's window, the bad booking indices): bad cells
    sit only outside the overlaps, so a quarantined row never has a good copy elsewhere.
    """
    overlap = min(OVERLAP, rows // 4)
    step = rows - overlap
    windows = [range(k * step, k * step + rows) for k in range(files)]
    bad = np.concatenate(
        [
            np.linspace(w.start + overlap + 10, w.stop - overlap - 10, BAD_PER_FILE).astype(int)
            for w in windows
        ]
    )
    return overlap, windows[-1].stop, windows, bad


def lnr_text(k: int, style: int) -> str:
    """A løbenummer as an export writes it: with or without dash, WBS suffix."""
    base = loebenummer(k) if k < PROJECTS * LOEBENUMRE_PER_PROJECT else f"XB-{7700000000 + k:010d}"
    digits = base.replace("-", "")
    return (base, digits, f"{base}-01", base, f"{digits}.02")[style % 5]


def danish(ore: int, style: str = "minus") -> str:
    """An amount as Danish text: 1.234,56 with leading minus, SAP's trailing minus or (...)."""
    text = f"{abs(ore) // 100:,}".replace(",", ".") + f",{abs(ore) % 100:02d}"
    if ore >= 0:
        return text
    return {"minus": "-" + text, "trailing": text + "-", "paren": f"({text})"}[style]


@dataclass(frozen=True)
class Layout:
    name: str
    sheet: str
    titles: tuple[tuple, ...]
    header: tuple[str, ...]
    totals: str  # "none", "grand" or "sub" (subtotal per løbenummer and a grand total)


LAYOUTS = (
    Layout(
        "Projektposteringer 2024.xlsx",
        "Posteringer",
        (("Projektposteringer",), ("Udskrevet 23.11.2026 02:00",), ()),
        ("  bogføringsdato:", "LØBENUMMER ", "Beløb", "art:", "BILAGSNUMMER", " Linje", "Tekst"),
        "sub",
    ),
    Layout(
        "Projektposteringer 2025.xlsx",
        "Data",
        (),
        (
            "Posteringsdato",
            "PSP-element",
            "Beløb (DKK)",
            "Artskonto",
            "Bilagsnr.",
            "Linjenr.",
            "Posteringstekst",
        ),
        "grand",
    ),
    Layout(
        "SAP eksport blandet.xlsx",
        "Ark1",
        ((), (), ("Eksport fra SAP",), ("Alle beløb i DKK",), ()),
        ("Bogf.dato", "WBS-element", "Beløb DKK", "Art", "Dokumentnummer", "Linje", "Tekst"),
        "none",
    ),
    Layout(
        "posteringer_2026_h1.xlsx",
        "Posteringer",
        (("Posteringer 1. halvår 2026",),),
        ("Dato", "Projektdefinition", "Beløb i DKK", "Kontoart", "Bilag", "Position", "Tekst"),
        "none",
    ),
    Layout(
        "posteringer_2026_h2.xlsx",
        "Posteringer",
        (),
        ("DATO", "Løbenummer", "beløb", "Art", "Bilagsnummer", "Linje", "Tekst"),
        "grand",
    ),
)


def _date_cell(day: int, style: int, rowno: int):
    date = FIRST_DAY + dt.timedelta(days=int(day))
    if style == 0:
        return date
    if style == 1:
        return date.strftime("%d.%m.%Y")
    if style == 2:  # mixed: Excel dates, serial numbers and text
        k = rowno % 10
        if k < 6:
            return date
        if k < 8:
            return (date - dt.date(1899, 12, 30)).days
        return date.strftime("%d.%m.%Y")
    return date.isoformat()


def _amount_cell(ore: int, style: int, rowno: int):
    if style == 0:
        return ore / 100
    if style == 1:
        return danish(ore, "trailing")
    # Mixed: numbers, Danish text in all three negative forms, whole kroner with thousands
    # separator ("12.345" is 12.345 kr.), and float noise as Excel arithmetic leaves it.
    k = rowno % 20
    if k < 12:
        return ore / 100
    if k < 15:
        return danish(ore, "minus")
    if k < 17:
        return danish(ore, "paren")
    if k < 18:
        return danish(ore, "trailing")
    if k < 19 and ore % 100 == 0 and abs(ore) >= 100_000:
        return danish(ore)[:-3]
    if k < 19:
        return ore / 100 + 1e-9
    return danish(ore)


BAD_CELLS = (
    ("date", "31.02.2026"),
    ("date", "i går"),
    ("project", "XB-12"),
    ("project", None),
    ("amount", "abc"),
    ("amount", "12,345"),
    ("document", None),
    ("art", "X100"),
)


def write_export(layout_index: int, rows: int, folder: str) -> dict:
    """One xlsx export with the layout's untidy traits; returns what it holds."""
    layout = LAYOUTS[layout_index]
    _overlap, length, windows, bad = stream_plan(rows, len(LAYOUTS))
    window = windows[layout_index]
    ids = np.arange(window.start, window.stop)
    b = make_bookings(SEED, length).take(ids)
    if layout.totals == "sub":  # sorted by løbenummer, a subtotal after each
        order = np.lexsort((b.doc, b.lnr))
        b, ids = b.take(order), ids[order]
    bad_in_file = sorted(set(bad.tolist()) & set(window))
    kinds = [k for k in BAD_CELLS if layout.totals == "none" or k[0] != "amount"]
    # A bad amount would break the control total, so files with totals get other bad cells.
    bad_kind = {g: kinds[(j + layout_index) % len(kinds)] for j, g in enumerate(bad_in_file)}
    date_style = (0, 1, 2, 3, 0)[layout_index]
    amount_style = (0, 1, 2, 0, 2)[layout_index]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(layout.sheet)
    for t in layout.titles:
        ws.append(list(t))
    ws.append(list(layout.header))
    total = block = 0
    n = len(ids)
    for i in range(n):
        lnr, ore, g = int(b.lnr[i]), int(b.ore[i]), int(ids[i])
        row = [
            _date_cell(int(b.day[i]), date_style, i),
            lnr_text(lnr, i),
            _amount_cell(ore, amount_style, i),
            b.art[i] if layout_index % 2 else int(b.art[i]),
            str(b.doc[i]) if layout_index == 1 else int(b.doc[i]),
            int(b.line[i]),
            b.text[i],
        ]
        counted = ore
        if g in bad_kind:
            what, value = bad_kind[g]
            row[{"date": 0, "project": 1, "amount": 2, "art": 3, "document": 4}[what]] = value
            if what == "amount":
                counted = 0
        total += counted
        block += counted
        ws.append(row)
        if layout.totals == "sub" and (i == n - 1 or int(b.lnr[i + 1]) != lnr):
            ws.append([None, None, block / 100, None, None, None, "I alt"])
            block = 0
    if layout.totals == "sub":
        ws.append(["Total", None, total / 100])
    elif layout.totals == "grand":
        ws.append(["I alt", None, danish(total, "trailing") if amount_style == 1 else total / 100])
    wb.save(Path(folder) / layout.name)
    return {"file": layout.name, "rows": n, "bad": len(bad_in_file)}


def write_csv_export(rows: int, folder: str) -> dict:
    """One semicolon CSV (Windows-1252, Danish decimal commas) with a 'Sum' control line."""
    b = make_bookings(SEED + 99, rows)
    path = Path(folder) / "posteringer_alle.csv"
    days = [(FIRST_DAY + dt.timedelta(days=d)).isoformat() for d in range(1100)]
    with path.open("w", encoding="cp1252", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerow(
            ["Dato", "Projektdefinition", "Beløb i DKK", "Kontoart", "Bilag", "Position", "Tekst"]
        )
        for i in range(rows):
            w.writerow(
                [
                    days[b.day[i]],
                    lnr_text(int(b.lnr[i]), i),
                    danish(int(b.ore[i])),
                    b.art[i],
                    int(b.doc[i]),
                    int(b.line[i]),
                    b.text[i],
                ]
            )
        w.writerow(["Sum", "", danish(int(b.ore.sum())), "", "", "", ""])
    return {"file": path.name, "rows": rows, "bad": 0}


def expected(b: Bookings, bad: np.ndarray, lines: int) -> dict:
    """What a correct run must report for these bookings, computed from the generator's side."""
    good = np.ones(len(b.ore), dtype=bool)
    good[bad] = False
    internal = good & (b.art == "9100")
    unmatched = good & ~internal & (b.lnr >= REGISTERED)
    matched = good & ~internal & ~unmatched
    return {
        "booking_lines": lines,
        "quarantined": int((~good).sum()),
        "duplicates": lines - len(b.ore),
        "bookings_read": lines - int((~good).sum()),
        "matched": int(matched.sum()),
        "unmatched": int(unmatched.sum()),
        "internal": int(internal.sum()),
        "matched_sum_ore": int(b.ore[matched].sum()),
    }


def generate(out: Path, rows: int, workers: int = 2) -> dict:
    """Write both data folders and the manifest; returns the manifest."""
    xlsx, csvdir = out / "xlsx", out / "csv"
    for d in (xlsx / "bookings", csvdir / "bookings"):
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            old.unlink()
    register = write_register(xlsx / "register.xlsx")
    (csvdir / "register.xlsx").write_bytes((xlsx / "register.xlsx").read_bytes())
    csv_rows = rows * len(LAYOUTS)
    with ProcessPoolExecutor(workers) as pool:
        futures = [
            pool.submit(write_export, i, rows, str(xlsx / "bookings")) for i in range(len(LAYOUTS))
        ]
        csv_future = pool.submit(write_csv_export, csv_rows, str(csvdir / "bookings"))
        files = [f.result() for f in futures]
        csv_file = csv_future.result()
    _overlap, length, _windows, bad = stream_plan(rows, len(LAYOUTS))
    manifest = {
        "seed": SEED,
        "as_of": AS_OF.isoformat(),
        "rows_per_file": rows,
        "register": register,
        "xlsx": {
            "files": files,
            **expected(make_bookings(SEED, length), bad, sum(f["rows"] for f in files)),
        },
        "csv": {
            "files": [csv_file],
            **expected(make_bookings(SEED + 99, csv_rows), np.array([], dtype=int), csv_rows),
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="bookings per xlsx export")
    parser.add_argument("--out", type=Path, default=Path("/tmp/kitflow-bench"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.rows < 200:
        parser.error("--rows must be at least 200")
    manifest = generate(args.out, args.rows, args.workers)
    print(json.dumps(manifest["xlsx"], indent=2))


if __name__ == "__main__":
    main()
