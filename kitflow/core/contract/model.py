"""The shape of the data contract: a column, a sheet, a file; what a cell's format means."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's cells are written; says the format in the docs and in the template."""

    TEXT = "text"
    DATE = "date"
    AMOUNT = "amount"
    YES_NO = "yes_no"
    CHOICE = "choice"
    EMAIL = "email"
    EMAILS = "emails"
    LOEBENUMMER = "loebenummer"


# For the docs (English) and the template's help sheet (Danish).
FORMAT = {
    Kind.TEXT: "text",
    Kind.DATE: "date: an Excel date, `dd.mm.yyyy`, `yyyy-mm-dd` or an Excel serial number",
    Kind.AMOUNT: "kr.: a number, or Danish text (`1.234,56`, `-1.234,56`, `1.234,56-`, "
    "`(1.234,56)`)",
    Kind.YES_NO: "Ja or Nej (also J/N, X, Yes/No, Sand/Falsk, 1/0)",
    Kind.CHOICE: "one of {choices}, in any letter case",
    Kind.EMAIL: "an e-mail address",
    Kind.EMAILS: "e-mail addresses; several separated by `;`, `,` or spaces",
    Kind.LOEBENUMMER: "two letters and ten digits, dash optional (`XA-4411000006`); a WBS "
    "suffix (`XA-4411000006-01`) rolls up",
}
FORMAT_DA = {
    Kind.TEXT: "tekst",
    Kind.DATE: "dato (fx 31.12.2020)",
    Kind.AMOUNT: "beløb i kr. (fx 1.234,56)",
    Kind.YES_NO: "Ja eller Nej",
    Kind.CHOICE: "en af {choices}",
    Kind.EMAIL: "e-mail-adresse",
    Kind.EMAILS: "e-mail-adresse(r), flere adskilt af ;",
    Kind.LOEBENUMMER: "løbenummer (fx XA-4411000006)",
}


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the field the code calls it and the headers a user may write.

    `headers[0]` is the name kitflow shows in messages; the rest are accepted too. The template
    writes `headers[0]`, or `template` where that is set (one of the headers). `required`: the
    header must be in the sheet, or the sheet cannot be read. `what` (English) is for
    docs/data-contract.md, `hjaelp` (Danish) for the template's help sheet; both say what an
    empty cell means. `example` fills the template's example row (None: left empty). For a
    CHOICE, `choices` are the values accepted and `default` what an empty cell means.
    """

    field: str
    headers: tuple[str, ...]
    required: bool
    what: str
    hjaelp: str
    example: object = None
    kind: Kind = Kind.TEXT
    choices: tuple[str, ...] = ()
    default: str | None = None
    template: str | None = None

    @property
    def label(self) -> str:
        """The name shown to a user."""
        return self.headers[0]

    @property
    def written(self) -> str:
        """The header `kitflow template` writes."""
        return self.template or self.label

    def format(self) -> str:
        """The cells' format in English, for the docs."""
        return _format(FORMAT[self.kind], self.choices, self.default, "empty:")

    def format_da(self) -> str:
        """The cells' format in Danish, for the template's help sheet."""
        return _format(FORMAT_DA[self.kind], self.choices, self.default, "tom:")


def _format(text: str, choices: tuple[str, ...], default: str | None, empty: str) -> str:
    text = text.format(choices=" / ".join(choices))
    return f"{text}; {empty} {default}" if default else text


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of an input file: its name, what one row is, and its columns in order."""

    name: str
    one_row_per: str
    en_raekke_pr: str
    columns: tuple[Column, ...]

    def column(self, field: str) -> Column:
        """The column of that field."""
        return next(c for c in self.columns if c.field == field)

    def headers(self) -> dict[str, tuple[str, ...]]:
        """Field -> accepted headers, in the sheet's order: what header matching reads."""
        return {c.field: c.headers for c in self.columns}

    def required(self) -> tuple[str, ...]:
        """The fields whose header must be there, in the sheet's order."""
        return tuple(c.field for c in self.columns if c.required)

    def labels(self) -> Mapping[str, str]:
        """Field -> the name shown to a user."""
        return {c.field: c.label for c in self.columns}


@dataclass(frozen=True)
class FileSpec:
    """An input file (or folder of files) of the data folder and the sheets it holds."""

    path: str
    what: str
    sheets: tuple[SheetSpec, ...]

    def sheet(self, name: str) -> SheetSpec:
        """The sheet of that name."""
        return next(s for s in self.sheets if s.name == name)
