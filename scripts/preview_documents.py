"""Turn an output folder's .docx and .xlsx into PDF and PNG pages, to look at them as a reader does.

Not part of CI. Needs the Debian packages libreoffice-writer-nogui, libreoffice-calc-nogui
and poppler-utils (soffice and pdftoppm on PATH).

    .venv/bin/python scripts/preview_documents.py OUT/2020-12-31 --to /tmp/preview --dpi 60
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SUFFIXES = (".docx", ".xlsx")
# A fresh LibreOffice profile set to Danish, so the workbook's number formats show as a
# controller's Excel shows them (4.483 and 3,4%), not as en-US (4,483 and 3.4%).
DANISH_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">
<value>da-DK</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" oor:op="fuse">
<value>da-DK</value></prop></item>
</oor:items>
"""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(
            f"{name} findes ikke på PATH. Installér: apt-get install -y "
            "libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils"
        )
    return path


def to_pdf(documents: list[Path], dest: Path, timeout: float = 300) -> list[Path]:
    """Convert with LibreOffice headless, as <name>-docx.pdf / <name>-xlsx.pdf.

    A private Danish profile, so a LibreOffice already running is no bother; one call per kind,
    since anlaegsregnskab.docx and anlaegsregnskab.xlsx would both become anlaegsregnskab.pdf.
    """
    soffice = _tool("soffice")
    pdfs = []
    with tempfile.TemporaryDirectory(prefix="kitflow-lo-") as work:
        profile, converted = Path(work) / "profile", Path(work) / "pdf"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(DANISH_PROFILE, "utf-8")
        for suffix in SUFFIXES:
            batch = [d for d in documents if d.suffix == suffix]
            if not batch:
                continue
            subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation={profile.as_uri()}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(converted / suffix[1:]),
                    *map(str, batch),
                ],
                check=True,
                timeout=timeout,
                stdout=subprocess.DEVNULL,
            )
            for d in batch:
                made = converted / suffix[1:] / f"{d.stem}.pdf"
                if not made.exists():
                    sys.exit(f"LibreOffice skrev ingen PDF for {d}")
                pdfs.append(Path(shutil.move(made, dest / f"{d.stem}-{suffix[1:]}.pdf")))
    return pdfs


def to_png(pdf: Path, dest: Path, dpi: int, first: int | None, last: int | None) -> list[Path]:
    """One PNG per page: <name>-1.png, <name>-2.png, … (pdftoppm pads the number)."""
    command = [_tool("pdftoppm"), "-r", str(dpi), "-png"]
    if first:
        command += ["-f", str(first)]
    if last:
        command += ["-l", str(last)]
    subprocess.run([*command, str(pdf), str(dest / pdf.stem)], check=True, timeout=300)
    return sorted(dest.glob(f"{pdf.stem}-*.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="an output folder, e.g. out/2020-12-31")
    parser.add_argument("--to", type=Path, default=None, help="where PDFs and PNGs go")
    parser.add_argument("--dpi", type=int, default=80)
    parser.add_argument("--first", type=int, default=None, help="first page to render")
    parser.add_argument("--last", type=int, default=None, help="last page to render")
    parser.add_argument("--only", default=None, help="only files whose name contains this")
    args = parser.parse_args(argv)

    if not args.folder.is_dir():
        sys.exit(f"Mappen {args.folder} findes ikke; kør først kitflow run --out …")
    documents = sorted(
        p
        for p in args.folder.iterdir()
        if p.suffix in SUFFIXES and (args.only is None or args.only in p.name)
    )
    if not documents:
        sys.exit(f"Ingen .docx eller .xlsx i {args.folder}")
    dest = args.to or args.folder.parent / f"{args.folder.name}-preview"
    dest.mkdir(parents=True, exist_ok=True)
    for pdf in to_pdf(documents, dest):
        pages = to_png(pdf, dest, args.dpi, args.first, args.last)
        print(f"{pdf}: {len(pages)} side(r) som PNG")
    print(f"Se siderne i {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
