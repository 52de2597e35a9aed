"""Zip bombs made from a real workbook: one sheet part padded with gigabytes of blank space.

Writing 2 GB through zlib would take the test many seconds, so the padding is deflated once
(1 MiB of spaces, flushed so that the block stands on its own) and the same bytes repeated;
the CRC of the padded part is combined from the CRCs of its pieces as zlib's crc32_combine
does. The result is a valid package: zipfile, calamine and fastexcel read the padded sheet
(blank space between elements is no content), and it is what an .xlsx of that size would be.

`declare` writes a part's true content (and CRC) but declares the size it would have with
that many MiB of padding, as a package made to slip past a check of declared sizes does.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

CHUNK = b" " * (1 << 20)


def _deflated(data: bytes, final: bool) -> bytes:
    """Raw deflate of `data`, standing on its own (a fresh compressor, byte-aligned end)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, matrix[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of A + B from crc32(A), crc32(B) and len(B) (zlib's crc32_combine)."""
    if length2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)
        if length2 & 1:
            crc1 = _gf2_times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _gf2_square(even)
        if length2 & 1:
            crc1 = _gf2_times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


def _repeated_crc(piece: bytes, times: int) -> int:
    """crc32(piece * times), in log(times) combines."""
    crc, result, length, have = zlib.crc32(piece), 0, len(piece), False
    while times:
        if times & 1:
            result = crc32_combine(result, crc, length) if have else crc
            have = True
        crc = crc32_combine(crc, crc, length)
        length *= 2
        times >>= 1
    return result


def _write_zip(path: Path, parts: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of already deflated parts: (name, deflated bytes, crc32, declared unpacked size)."""
    body, directory = bytearray(), bytearray()
    for name, packed, crc, size in parts:
        encoded = name.encode("utf-8")
        offset = len(body)
        common = (8, 0, 0x21, crc, len(packed), size, len(encoded))  # deflate, 1980-01-01
        body += struct.pack("<IHH" + "HHHIIIH" + "H", 0x04034B50, 20, 0, *common, 0)
        body += encoded + packed
        directory += struct.pack(
            "<IHHH" + "HHHIIIH" + "HHHHII", 0x02014B50, 20, 20, 0, *common, 0, 0, 0, 0, 0, offset
        )
        directory += encoded
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(directory), len(body), 0
    )
    path.write_bytes(bytes(body + directory + end))


def pad_sheets(
    source: Path, target: Path, mib: dict[str, int], *, declare: int | None = None
) -> None:
    """`source` with `mib[part]` MiB of blank space before each such part's </sheetData>."""
    parts = []
    with zipfile.ZipFile(source) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            n = mib.get(info.filename)
            if n is None:
                parts.append((info.filename, _deflated(data, True), zlib.crc32(data), len(data)))
                continue
            cut = data.index(b"</sheetData>")
            head, tail = data[:cut], data[cut:]
            packed = _deflated(head, False) + _deflated(CHUNK, False) * n + _deflated(tail, True)
            crc = crc32_combine(zlib.crc32(head), _repeated_crc(CHUNK, n), n * len(CHUNK))
            crc = crc32_combine(crc, zlib.crc32(tail), len(tail))
            size = len(head) + (n if declare is None else declare) * len(CHUNK) + len(tail)
            parts.append((info.filename, packed, crc, size))
    _write_zip(target, parts)
