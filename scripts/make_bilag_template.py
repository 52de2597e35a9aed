"""Build reports/templates/anlaegsregnskab.docx, the bilag's starting template, with python-docx."""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

OUT = Path(__file__).resolve().parent.parent / "reports" / "templates" / "anlaegsregnskab.docx"
RED = RGBColor(0xC0, 0x00, 0x00)
BLACK = RGBColor(0, 0, 0)
TABLE_FONT = Pt(9.5)
TABLE_HEAD = "Projekt\n1.000 kr., løbende priser"

INTRO = (
    "I Københavns Kommune aflægges særskilte anlægsregnskaber for anlægsprojekter med "
    "bruttoudgifter eller bruttoindtægter på eller over {{ graense_mio }} mio. kr. "
    "Anlægsregnskaber for projekter under {{ graense_mio }} mio. kr. vedlægges årsregnskabet.",
    "Aflæggelsen af anlægsregnskaber skal ske senest ved udgangen af det regnskabsår, projektet "
    "er færdiggjort, jf. budget- og regnskabssystem for kommuner. Det gælder for byggeri, at "
    "projektet er færdiggjort senest ved etårsgennemgangen.",
    "Anlægsregnskaberne forelægges fagudvalget til efterretning og sendes efterfølgende til "
    "Intern Revision samt Økonomiforvaltningens Center for Økonomi.",
    "I anlægsprojekter med opdeling i ”bestiller” og ”udfører” forelægges anlægsregnskabet "
    "udførers udvalg.",
)
NOTE = (
    "Note: Evt. afvigelser mellem beløb i tabellen og ovenfor nævnte politiske beslutninger "
    "skyldes pris- og lønfremskrivning i forbindelse med reperiodisering af budgettet."
)


def tag(doc: Document, text: str) -> None:
    """A paragraph holding only a docxtpl {%p ... %} tag; docxtpl removes it when rendering."""
    doc.add_paragraph(text)


def para(doc: Document, text: str = "", label: str = "", style: str | None = None) -> Paragraph:
    p = doc.add_paragraph(style=style)
    if label:
        p.add_run(label).bold = True
        if not text:  # a label above its lines stays on their page
            p.paragraph_format.keep_with_next = True
            p.paragraph_format.space_before = Pt(6)
            p.paragraph_format.space_after = Pt(2)
    if text:
        p.add_run(text)
    return p


def line(doc: Document, text: str) -> Paragraph:
    """One line of a list under a label (løbenumre, decisions): no space between the lines."""
    p = para(doc, text)
    p.paragraph_format.space_after = Pt(0)
    return p


def missing(doc: Document, text: str) -> None:
    run = doc.add_paragraph().add_run(text)
    run.bold = True
    run.font.color.rgb = RED


def set_cell(table: Table, row: int, col: int, text: str, bold: bool, right: bool) -> None:
    cell = table.cell(row, col)
    p = cell.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    for i, line in enumerate(text.split("\n")):
        run = p.add_run(line)
        run.bold = bold
        run.font.size = TABLE_FONT
        if i < len(text.split("\n")) - 1:
            run.add_break()
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def table(
    doc: Document,
    rows: list[list[str]],
    widths: list[float],
    bold_rows: tuple[int, ...] = (),
    numeric: bool = True,
) -> Table:
    """A grid table; a row whose first cell starts with {%tr is a docxtpl row tag."""
    t = doc.add_table(rows=len(rows), cols=len(rows[0]))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    # Fixed layout with the grid's widths: Word and LibreOffice otherwise share the width
    # equally and break long project names into one word per line.
    t.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    t._tbl.tblPr.append(layout)
    for width, column in zip(widths, t.columns, strict=True):
        column.width = Cm(width)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            set_cell(t, r, c, value, r == 0 or r in bold_rows, numeric and c > 0)
    for r, row in enumerate(t.rows):
        for width, cell in zip(widths, row.cells, strict=True):
            cell.width = Cm(width)
        # A row never splits over two pages; the header row repeats on the next page.
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            header = OxmlElement("w:tblHeader")
            tr_pr.append(header)
    return t


def page_setup(doc: Document) -> None:
    """A4 portrait with municipal margins, and a page number in the footer."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Side ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)


def styles(doc: Document) -> None:
    """Calibri, Danish proofing, black headings that keep with their text."""
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    r_pr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "da-DK")
    r_pr.append(lang)
    for name, size in (("Title", 16), ("Heading 1", 14), ("Heading 2", 12)):
        style = doc.styles[name]
        style.font.name = "Calibri"
        style.font.size = Pt(size)
        style.font.color.rgb = BLACK
        style.font.bold = True
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.space_after = Pt(4)


def build(path: Path = OUT) -> Path:
    doc = Document()
    styles(doc)
    page_setup(doc)

    doc.add_heading("Bilag 4. Koncern IT - aflæggelse af anlægsregnskaber", level=1)
    for text in INTRO:
        para(doc, text)

    doc.add_heading("Projekter", level=2)
    tag(doc, "{%p for navn in projektliste %}")
    para(doc, "{{ navn }}", style="List Number")
    tag(doc, "{%p endfor %}")

    doc.add_heading("Resultat", level=2)
    para(doc, "{{ resultat }}")

    doc.add_heading("Regnskab", level=2)
    table(
        doc,
        [
            [TABLE_HEAD, "Rådighedsbeløb", "Forbrug", "Afvigelse", "Afvigelse i procent"],
            ["{%tr for r in oversigt %}", "", "", "", ""],
            [
                "{{ r.label }}",
                "{{ r.raadighedsbeloeb }}",
                "{{ r.forbrug }}",
                "{{ r.afvigelse }}",
                "{{ r.afvigelse_pct }}",
            ],
            ["{%tr endfor %}", "", "", "", ""],
            [
                "I alt",
                "{{ i_alt.raadighedsbeloeb }}",
                "{{ i_alt.forbrug }}",
                "{{ i_alt.afvigelse }}",
                "{{ i_alt.afvigelse_pct }}",
            ],
        ],
        [6.0, 3.0, 2.5, 2.5, 3.0],
        bold_rows=(4,),
    )

    doc.add_heading("Væsentlige afvigelser", level=2)
    tag(doc, "{%p if vaesentlige %}")
    tag(doc, "{%p for v in vaesentlige %}")
    para(
        doc,
        ": afvigelse på {{ v.afvigelse }} t. kr. ({{ v.afvigelse_pct }}).",
        label="{{ v.navn }}",
    )
    tag(doc, "{%p if v.forklaring_mangler %}")
    missing(doc, "{{ mangler }}")
    tag(doc, "{%p else %}")
    tag(doc, "{%p for afsnit in v.forklaring %}")
    para(doc, "{{ afsnit }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "Ingen projekter har en afvigelse på eller over {{ taerskel_naaet }}")
    tag(doc, "{%p endif %}")

    tag(doc, "{%p for pr in projekter %}")
    heading = doc.add_heading("{{ pr.navn }}", level=1)
    heading.paragraph_format.page_break_before = True
    para(doc, "{{ pr.bevilling }}", label="Bevilling: ")
    para(doc, label="Projektdefinition og løbenummer:")
    tag(doc, "{%p for l in pr.loebenumre %}")
    line(doc, "{{ l.nummer }} {{ l.tekst }}")
    tag(doc, "{%p endfor %}")
    para(doc, label="Politiske beslutninger:")
    line(doc, "Anlægsbevilling i alt (løbende priser): {{ pr.anlaegsbevilling_mio }} mio. kr.")
    tag(doc, "{%p for d in pr.beslutninger %}")
    line(doc, "Heraf {{ d.mio }} mio. kr. ({{ d.henvisning }})")
    tag(doc, "{%p endfor %}")
    para(doc, label="Projektbeskrivelse:")
    tag(doc, "{%p for afsnit in pr.beskrivelse %}")
    para(doc, "{{ afsnit }}")
    tag(doc, "{%p endfor %}")
    para(doc, "{{ pr.ibrugtagningsdato }}", label="Faktisk ibrugtagningsdato: ")

    doc.add_heading("Regnskab", level=2)
    posts = ("udgifter", "indtaegter", "netto")
    table(
        doc,
        [
            [TABLE_HEAD, "Udgiftsregnskab", "Indtægtsregnskab", "Nettoregnskab"],
            ["{%tr for d in pr.beslutninger %}", "", "", ""],
            ["{{ d.beslutning }}", "{{ d.udgifter }}", "{{ d.indtaegter }}", "{{ d.netto }}"],
            ["{%tr endfor %}", "", "", ""],
            ["Rådighedsbeløb i alt", *(f"{{{{ pr.raadighedsbeloeb.{p} }}}}" for p in posts)],
            ["Forbrug", *(f"{{{{ pr.forbrug.{p} }}}}" for p in posts)],
            ["Afvigelse", *(f"{{{{ pr.afvigelse.{p} }}}}" for p in posts)],
            ["Afvigelse i procent", *(f"{{{{ pr.afvigelse_pct.{p} }}}}" for p in posts)],
        ],
        [5.6, 3.8, 3.8, 3.8],
        bold_rows=(4,),
    )
    note = para(doc, NOTE)
    note.runs[0].italic = True
    note.paragraph_format.space_before = Pt(6)

    doc.add_heading("Afvigelsesforklaringer", level=2)
    tag(doc, "{%p if pr.under_taerskel %}")
    para(doc, "Ingen bemærkninger, da afvigelsen er under {{ taerskel }}")
    tag(doc, "{%p elif pr.forklaring_mangler %}")
    missing(doc, "{{ mangler }}")
    tag(doc, "{%p else %}")
    tag(doc, "{%p for afsnit in pr.forklaring %}")
    para(doc, "{{ afsnit }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")

    para(doc)
    table(
        doc,
        [
            ["Kategori", "Ja/Nej", "Uddybende bemærkninger"],
            ["{%tr for k in pr.kategorier %}", "", ""],
            ["{{ k.kategori }}", "{{ k.svar }}", "{{ k.bemaerkning }}"],
            ["{%tr endfor %}", "", ""],
        ],
        [6.0, 1.8, 9.2],
        numeric=False,
    )

    doc.add_heading("Registrering i anlægskartoteket", level=2)
    para(doc, "Er anlægsprojektet registreret i anlægskartoteket: {{ pr.anlaegskartotek }}")
    tag(doc, "{%p endfor %}")

    slim(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


STYLE_REFS = ("w:pStyle", "w:rStyle", "w:tblStyle", "w:basedOn", "w:next", "w:link")


def slim(doc: Document) -> None:
    """Keep only the styles the template uses; drop Word 2010's stylesWithEffects copy.

    python-docx's default template carries every built-in style (350 KB) and a second copy of
    them (440 KB); each of the 51 documents a run writes parsed and wrote both, which was most
    of the Word time. Word adds a built-in style back when a controller applies it.
    """
    parts = [doc.element, doc.styles.element]
    parts += [r.target_part.element for r in doc.part.rels.values() if "footer" in r.reltype]
    parts += [doc.part.numbering_part.element]
    styles = {s.get(qn("w:styleId")): s for s in doc.styles.element.findall(qn("w:style"))}
    keep = {i for i, s in styles.items() if s.get(qn("w:default")) == "1"}
    for part in parts[:1] + parts[2:]:
        for tag in STYLE_REFS[:3]:
            keep |= {e.get(qn("w:val")) for e in part.iter(qn(tag))}
    todo = list(keep)
    while todo:  # the styles they are based on, continue with or are linked to
        style = styles.get(todo.pop())
        for tag in STYLE_REFS[3:]:
            ref = None if style is None else style.find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) not in keep:
                keep.add(ref.get(qn("w:val")))
                todo.append(ref.get(qn("w:val")))
    for style_id, style in styles.items():
        if style_id not in keep:
            style.getparent().remove(style)
    latent = doc.styles.element.find(qn("w:latentStyles"))
    if latent is not None:
        latent.getparent().remove(latent)
    for r_id, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(r_id)


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
