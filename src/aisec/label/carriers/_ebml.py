"""EBML, the binary format of Matroska and WebM: element headers (an ID and a data size,
both variable-length integers) read from bytes and written, and whole elements built.

An element is ``<id> <size> <data>``; a master element's data is more elements. The
Matroska carrier walks the file with these; it holds the Matroska-specific IDs.
"""

from __future__ import annotations

import struct
import zlib

from aisec.label.carriers._io import max_items

#: The size of an element whose size is unknown (all 1 bits: live streams).
UNKNOWN = -1
#: EBML global elements: padding, and a checksum over the rest of the parent's data.
VOID, CRC32 = 0xEC, 0xBF


def vint_length(first: int) -> int:
    """Length in bytes of the variable-length integer starting with byte ``first`` (0 if
    invalid)."""
    for length in range(1, 9):
        if first & (0x80 >> (length - 1)):
            return length
    return 0


def parse_header(buf: bytes, pos: int, end: int | None = None) -> tuple[int, int, int] | None:
    """(id, data size or UNKNOWN, header length) at ``buf[pos]``, reading no further than
    ``end`` (default: the end of ``buf``); None if invalid."""
    end = len(buf) if end is None else end
    if pos >= end:
        return None
    id_len = vint_length(buf[pos])
    if not 1 <= id_len <= 4 or pos + id_len >= end:
        return None
    eid = int.from_bytes(buf[pos : pos + id_len], "big")
    size_pos = pos + id_len
    size_len = vint_length(buf[size_pos])
    if size_len == 0 or size_pos + size_len > end:
        return None
    raw = int.from_bytes(buf[size_pos : size_pos + size_len], "big")
    value = raw & ((1 << (7 * size_len)) - 1)
    if value == (1 << (7 * size_len)) - 1:
        value = UNKNOWN
    return eid, value, id_len + size_len


def encode_id(eid: int) -> bytes:
    """An element ID as written (its marker bits are part of the value)."""
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big")


def encode_size(size: int, width: int = 0) -> bytes:
    """A data size on ``width`` bytes (0: the fewest that hold it)."""
    if not width:
        width = next(w for w in range(1, 9) if size < (1 << (7 * w)) - 1)
    return ((1 << (7 * width)) | size).to_bytes(width, "big")


def element(eid: int, data: bytes) -> bytes:
    """An element with its header."""
    return encode_id(eid) + encode_size(len(data)) + data


def void(total: int) -> bytes:
    """A Void element of exactly ``total`` bytes (``total`` >= 2)."""
    width = 1 if total - 2 < 127 else 8
    return b"\xec" + encode_size(total - 1 - width, width) + bytes(total - 1 - width)


def children(
    data: bytes, start: int = 0, end: int | None = None
) -> list[tuple[int, int, int, int]]:
    """(id, offset, header length, size) of the children in ``data[start:end]``; raises
    ValueError on a malformed child."""
    end = len(data) if end is None else end
    found = []
    pos, left = start, max_items(end - start)
    while pos < end:
        left -= 1
        if left < 0:
            raise ValueError(f"too many elements in the {end - start} bytes at offset {start}")
        parsed = parse_header(data, pos, end)  # not data[:end]: a copy per child
        if parsed is None or parsed[1] == UNKNOWN or pos + parsed[2] + parsed[1] > end:
            raise ValueError(f"malformed element at offset {pos}")
        eid, size, header = parsed
        found.append((eid, pos, header, size))
        pos += header + size
    return found


def master(eid: int, parts: list[bytes], had_crc: bool) -> bytes:
    """A master element from serialised children, with a fresh CRC-32 if it had one."""
    body = b"".join(parts)
    if had_crc:
        body = element(CRC32, struct.pack("<I", zlib.crc32(body))) + body
    return element(eid, body)
