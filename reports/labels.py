"""The words a person reads for the codes the CSV files hold for programs (due.csv's status and
aflæggelse): the workbook, the Prefect artifacts and the mail show these."""

from __future__ import annotations

from kitflow.core.rules import Aflaeggelse, DueStatus

STATUS_TEXT = {
    DueStatus.IGANGVAERENDE: "igangværende",
    DueStatus.IKKE_FORFALDEN: "ikke forfalden",
    DueStatus.FORFALDEN: "forfalden",
    DueStatus.OVERSKREDET: "over fristen",
    DueStatus.AFLAGT: "aflagt",
}
AFLAEGGELSE_TEXT = {
    Aflaeggelse.SAERSKILT: "særskilt regnskab",
    Aflaeggelse.AARSREGNSKAB: "med årsregnskabet",
}


def label(code: DueStatus | Aflaeggelse) -> str:
    """The code in words, as a cell or a line begins: "Over fristen", "Særskilt regnskab"."""
    text = STATUS_TEXT[code] if isinstance(code, DueStatus) else AFLAEGGELSE_TEXT[code]
    return text[:1].upper() + text[1:]
