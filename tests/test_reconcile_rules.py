"""Reconciliation and rules A1–A4 on small inline registers and bookings."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from kitflow.core.bookings import parse_bookings
from kitflow.core.combine import combine
from kitflow.core.findings import ConservationError
from kitflow.core.reconcile import Figures, PostFigures, reconcile
from kitflow.core.register import parse_register
from kitflow.core.rules import completion_date, decide, explanation_required
from kitflow.core.sheets import RawSheet
from reports.format import fmt_mio, fmt_pct, fmt_thousands

PROJECT_HEADER = [
    "Projekt",
    "Færdiggjort",
    "Byggeri",
    "Etårsgennemgang",
    "Udvalg",
    "Udførende udvalg",
    "Forelagt udvalg",
]


def register(projects=None, numbers=None, lines=None):
    projects = projects or [["Alfa", "2020-06-30", "Nej", None, "ØU", None, None]]
    numbers = numbers or [["XA-4411000006", "Alfa", "Alfa"], ["XA-4411000007", "Alfa", "Alfa 2"]]
    lines = lines or [
        ["XA-4411000006", "Budget 2020", "2020-01-01", "Udgift", 2_000_000],
        ["XA-4411000007", "Budget 2020", "2020-01-01", "Udgift", "500.000,00"],
        ["XA-4411000006", "Tilskud", "2020-01-01", "Indtægt", -100_000],
    ]
    sheets = {
        "Projekter": RawSheet("register.xlsx", "Projekter", [PROJECT_HEADER, *projects]),
        "Løbenumre": RawSheet(
            "register.xlsx", "Løbenumre", [["Løbenummer", "Projekt", "Tekst"], *numbers]
        ),
        "Bevillinger": RawSheet(
            "register.xlsx",
            "Bevillinger",
            [["Løbenummer", "Beslutning", "Dato", "Post", "Beløb"], *lines],
        ),
        "Kategorier": RawSheet(
            "register.xlsx", "Kategorier", [["Projekt", "Kategori", "Svar", "Bemærkning"]]
        ),
    }
    return parse_register("register.xlsx", sheets)


def bookings(*rows):
    header = ["Bogføringsdato", "Løbenummer", "Beløb", "Art", "Bilagsnummer", "Linje"]
    return combine([parse_bookings(RawSheet("e.xlsx", "P", [header, *rows]))])


def test_reconcile_per_loebenummer_and_project_with_unmatched_and_internal():
    reg = register()
    b = bookings(
        ["2020-01-01", "XA4411000006-01", "1.500.000,00", "4000", 1, 1],
        ["2020-01-02", "XA-4411000007", 400_000, "4000", 2, 1],
        ["2020-01-03", "XA-4411000006", "80.000,00-", "7100", 3, 1],
        ["2020-01-04", "XA-4411000006", 999, "9100", 4, 1],
        ["2020-01-05", "XA-9999000001", 123.45, "4000", 5, 1],
    )
    r = reconcile(b.bookings, b.duplicates, reg, dt.date(2020, 12, 31))
    alfa = r.per_project["Alfa"]
    assert alfa.udgifter == Figures(250_000_000, 190_000_000)
    assert alfa.indtaegter == Figures(-10_000_000, -8_000_000)
    assert alfa.netto == Figures(240_000_000, 182_000_000)
    assert r.per_loebenummer["XA-4411000007"].udgifter == Figures(50_000_000, 40_000_000)
    assert r.unmatched["loebenummer"].tolist() == ["XA-9999000001"]
    assert r.unmatched[["file", "row"]].values.tolist() == [["e.xlsx", 6]]
    assert r.internal["amount_ore"].tolist() == [99_900]
    c = r.conservation
    assert c.matched_count + c.unmatched_count + c.internal_count == c.read_count == 5
    assert c.matched_sum + c.unmatched_sum + c.internal_sum == c.read_sum


def test_conservation_check_fails_loudly():
    reg = register()
    b = bookings(["2020-01-01", "XA-4411000006", 1, "4000", 1, 1])
    r = reconcile(b.bookings, b.duplicates, reg, dt.date(2020, 12, 31))
    broken = replace(r.conservation, read_sum=r.conservation.read_sum + 1)
    with pytest.raises(ConservationError):
        broken.check()


def test_afvigelse_pct_definitions():
    assert Figures(0, 0).afvigelse_pct == 0
    assert Figures(0, 5).afvigelse_pct is None
    assert Figures(-200, -100).afvigelse_pct == Decimal(-50)
    assert Figures(7_907_000_00, 7_635_212_30).afvigelse_pct.quantize(Decimal("0.01")) == Decimal(
        "3.44"
    )


def test_rounding_is_half_away_from_zero_and_totals_from_unrounded():
    assert fmt_thousands(1_050_000) == "11"  # 10.500 kr. -> 11, not banker's 10
    assert fmt_thousands(-1_050_000) == "-11"
    assert fmt_thousands(250_000) == "3"
    assert fmt_mio(3_625_000_000) == "36,3"
    assert fmt_pct(Decimal("-0.04")) == "0,0\u00a0%"
    parts = [Figures(40_000, 0)] * 3  # 0,4 thousand each: rounds to 0, the total to 1
    total = sum(parts, Figures())
    assert [fmt_thousands(p.raadighedsbeloeb) for p in parts] == ["0"] * 3
    assert fmt_thousands(total.raadighedsbeloeb) == "1"


def project(**changes):
    base = register().projects[0]
    return replace(base, **changes)


def figures(udgifter_ore, indtaegter_ore=0):
    return PostFigures(Figures(0, udgifter_ore), Figures(0, indtaegter_ore))


@pytest.mark.parametrize(
    ("udgifter", "indtaegter", "expected"),
    [
        (200_000_000, 0, "saerskilt"),  # exactly 2,0 mio. kr. is at the threshold
        (199_999_999, 0, "aarsregnskab"),
        (0, -200_000_000, "saerskilt"),  # gross income counts by its absolute value
        (150_000_000, -150_000_000, "aarsregnskab"),
    ],
)
def test_a1_separate_account_threshold(udgifter, indtaegter, expected):
    d = decide(project(), figures(udgifter, indtaegter), dt.date(2020, 12, 31), 200_000_000)
    assert d.aflaeggelse == expected


@pytest.mark.parametrize(
    ("changes", "as_of", "status", "frist"),
    [
        ({"faerdiggjort": None}, dt.date(2020, 12, 31), "igangvaerende", None),
        (
            {"faerdiggjort": dt.date(2021, 3, 1)},
            dt.date(2020, 12, 31),
            "ikke_forfalden",
            dt.date(2021, 12, 31),
        ),
        (
            {"faerdiggjort": dt.date(2020, 6, 30)},
            dt.date(2020, 12, 31),
            "forfalden",
            dt.date(2020, 12, 31),
        ),
        (
            {"faerdiggjort": dt.date(2019, 6, 30)},
            dt.date(2020, 12, 31),
            "overskredet",
            dt.date(2019, 12, 31),
        ),
        (
            {"faerdiggjort": dt.date(2019, 6, 30), "forelagt_udvalg": dt.date(2019, 11, 1)},
            dt.date(2020, 12, 31),
            "aflagt",
            dt.date(2019, 12, 31),
        ),
        # Construction: completed at the latest at the one-year review.
        (
            {"faerdiggjort": None, "byggeri": True, "etaarsgennemgang": dt.date(2020, 5, 1)},
            dt.date(2020, 12, 31),
            "forfalden",
            dt.date(2020, 12, 31),
        ),
        (
            {
                "faerdiggjort": dt.date(2021, 5, 1),
                "byggeri": True,
                "etaarsgennemgang": dt.date(2020, 5, 1),
            },
            dt.date(2021, 1, 10),
            "overskredet",
            dt.date(2020, 12, 31),
        ),
    ],
)
def test_a2_deadline_and_status(changes, as_of, status, frist):
    d = decide(project(**changes), figures(300_000_000), as_of, 200_000_000)
    assert (d.status, d.frist) == (status, frist)


def test_a2_review_does_not_cap_non_construction():
    p = project(faerdiggjort=None, byggeri=False, etaarsgennemgang=dt.date(2020, 5, 1))
    assert completion_date(p) is None


def test_a3_executor_committee_with_a_bestiller_udfoerer_split():
    d = decide(
        project(udfoerende_udvalg="Teknik- og Miljøudvalget"),
        figures(1),
        dt.date(2020, 12, 31),
        200_000_000,
    )
    assert d.udvalg == "Teknik- og Miljøudvalget"
    assert decide(project(), figures(1), dt.date(2020, 12, 31), 1).udvalg == "ØU"


def test_a4_explanation_threshold_percent_and_amount():
    under = PostFigures(Figures(100_000_000, 95_000_001))  # 4,999999 %
    at = PostFigures(Figures(100_000_000, 95_000_000))  # exactly 5 %
    assert not explanation_required(under, Decimal(5), None)
    assert explanation_required(at, Decimal(5), None)
    assert explanation_required(under, Decimal(5), 4_000_000)
    assert explanation_required(PostFigures(Figures(0, 1)), Decimal(5), None)


def test_register_findings_point_at_sheet_and_row():
    reg = register(
        numbers=[["XA-4411000006", "Alfa", ""], ["XA-4411000008", "Beta", ""]],
        lines=[
            ["XA-4411000006", "B", "2020-01-01", "Udgift", "mange penge"],
            ["XA-4411000006", "B", "2020-01-01", "Udgift", 10],
        ],
    )
    messages = [str(f) for f in reg.findings]
    expected = "register.xlsx:Løbenumre!3: løbenummer XA-4411000008"
    assert any(m.startswith(expected) for m in messages)
    assert any(
        m.startswith('register.xlsx:Bevillinger!2: Beløb: beløb "mange penge"') for m in messages
    )
    assert [b.beloeb_ore for b in reg.bevillinger] == [1000]
