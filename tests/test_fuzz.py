"""Bounded, seeded fuzz of the readers and parsers: every mangled file ends in a KitflowError with
a one-line message, or is read with findings, or is read as the unmangled file was (the same
bookings, the same register); never another exception, and never a silent difference."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from kitflow.app.inputs import load_register, parse_export
from kitflow.core.bookings import BookingsOptions
from kitflow.core.findings import KitflowError

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "example"
EXPORTS = sorted((EXAMPLE / "bookings").iterdir())
CASES = 200
SEED = 20201231


def _random_bytes(rng: random.Random, _src: bytes) -> bytes:
    head = rng.choice(
        [b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"<html>", b"\xef\xbb\xbf"]
    )
    return head + rng.randbytes(rng.randint(0, 3000))


def _truncated(rng: random.Random, src: bytes) -> bytes:
    return src[: rng.randint(1, len(src) - 1)]


def _bit_flipped(rng: random.Random, src: bytes) -> bytes:
    data = bytearray(src)
    for _ in range(rng.randint(1, 20)):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return bytes(data)


def _broken_xml(rng: random.Random, src: bytes) -> bytes:
    """A valid zip whose XML parts are cut, spliced with junk or emptied."""
    if not src.startswith(b"PK"):
        return _bit_flipped(rng, src)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w") as zout:
        names = zin.namelist()
        victim = rng.choice([n for n in names if n.endswith((".xml", ".rels"))])
        for name in names:
            data = zin.read(name)
            if name == victim:
                how = rng.randrange(4)
                if how == 0:
                    data = data[: rng.randint(0, len(data))]
                elif how == 1:
                    i = rng.randint(0, len(data))
                    data = (
                        data[:i]
                        + rng.choice([b"<", b"&", b"</x>", b"\x00", b"<c r='A1'>"])
                        + data[i:]
                    )
                elif how == 2:
                    data = b""
                else:
                    data = data.replace(b'r="', b'r="ZZ', rng.randint(1, 5))
            zout.writestr(name, data)
    return out.getvalue()


MANGLERS = (_random_bytes, _truncated, _bit_flipped, _broken_xml)


def _cases():
    rng = random.Random(SEED)
    sources = [*EXPORTS, EXAMPLE / "register.xlsx"]
    for n in range(CASES):
        source = rng.choice(sources)
        mangle = MANGLERS[n % len(MANGLERS)]
        yield n, source, mangle, mangle(rng, source.read_bytes())


def _bookings(path: Path, options: BookingsOptions) -> tuple[int, int, list[str]]:
    """An export's booking count, their sum in øre, and its findings."""
    parsed, _info = parse_export(path, options)
    count = sum(len(p.bookings) for p in parsed)
    total = sum(int(p.bookings["amount_ore"].sum()) for p in parsed)
    return count, total, [str(f) for p in parsed for f in p.findings]


def test_fuzzed_files_end_in_findings_or_a_clean_stop(tmp_path):
    options = BookingsOptions()
    originals = {p.name: _bookings(p, options) for p in EXPORTS}
    register = load_register(EXAMPLE / "register.xlsx")[0]
    # The unmangled files read clean, so a finding below is the mangling's.
    assert all(not findings for *_figures, findings in originals.values())
    assert not register.findings
    outcomes = {"parsed": 0, "stopped": 0, "same": 0, "said": 0}
    failures = []
    for n, source, mangle, data in _cases():
        folder = tmp_path / f"{n:03}"
        folder.mkdir()
        path = folder / source.name
        path.write_bytes(data)
        case = f"{n} {mangle.__name__} {source.name}"
        try:
            if source.name == "register.xlsx":
                got = load_register(path)[0]
                said, same, read = bool(got.findings), got == register, "another register"
            else:
                count, total, findings = _bookings(path, options)
                said, same = bool(findings), (count, total) == originals[source.name][:2]
                read = f"{count} bookings, {total} øre, not {originals[source.name][:2]}"
            if not said and not same:
                failures.append(f"{case}: read {read}, and said nothing")
            outcomes["parsed"] += 1
            outcomes["said"] += said
            outcomes["same"] += same and not said
        except KitflowError as exc:
            message = str(exc)
            if not message.strip() or "\n" in message or path.name not in message:
                failures.append(f"{n} {mangle.__name__} {source.name}: unclear: {message!r}")
            outcomes["stopped"] += 1
        except Exception as exc:  # the defect this test is here to find
            failures.append(f"{n} {mangle.__name__} {source.name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures[:20])
    # Every ending occurs, so the fuzz reached the parsers and not only the file checks.
    assert outcomes["parsed"] > 10 and outcomes["stopped"] > 10, outcomes
    assert outcomes["said"] > 10 and outcomes["same"] > 10, outcomes


@pytest.mark.parametrize("text", ["Beløb\n=1+1", "a;b\n\x00\x00", '"unclosed;quote\n1;2'])
def test_odd_csv_files(tmp_path, text):
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KitflowError) as info:
        parse_export(path, BookingsOptions())
    assert "x.csv" in str(info.value) and "\n" not in str(info.value)


# --- what the fuzz found, kept as regular tests ------------------------------------------------


def test_bom_file_with_bad_utf8_stops_with_one_line(tmp_path):
    path = tmp_path / "eksport.csv"
    path.write_bytes(b"\xef\xbb\xbfDato;L\xf8benummer\n")  # says UTF-8, then Windows-1252
    with pytest.raises(KitflowError) as info:
        parse_export(path, BookingsOptions())
    assert str(info.value).startswith("eksport.csv: filen siger den er UTF-8")


def test_broken_xml_in_an_xlsx_is_one_line_without_temp_paths(tmp_path):
    src = (EXAMPLE / "bookings" / "Projektposteringer 2020.xlsx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, data[: len(data) // 2] if name == "xl/styles.xml" else data)
    path = tmp_path / "eksport.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(KitflowError) as info:
        parse_export(path, BookingsOptions())
    message = str(info.value)
    assert message.startswith("eksport.xlsx: regnearket kan ikke læses")
    assert "\n" not in message and str(tmp_path) not in message
