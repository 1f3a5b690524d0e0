"""Small helpers the binary carriers share: memory-mapped input, ranged copies, errors."""

from __future__ import annotations

import contextlib
import mmap
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from aisec.label.carriers.base import CarrierError

PIECE = 1 << 20  # copy and hash in 1 MiB pieces
#: What a carrier walks: a memory map of the file (or bytes in tests).
Buf = mmap.mmap | bytes


@contextlib.contextmanager
def mapped(path: Path, fmt: str) -> Iterator[Buf]:
    """The file's bytes without reading them into memory (an empty file gives ``b""``)."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise CarrierError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise CarrierError(f"{path}: cannot read ({exc.strerror or exc})") from None
        if size == 0:
            raise CarrierError(f"{path}: empty file, not a {fmt}")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            yield mm


def copy_range(data: Buf, start: int, end: int, out: BinaryIO) -> None:
    """Write ``data[start:end]`` to ``out`` in bounded pieces."""
    for pos in range(start, end, PIECE):
        out.write(data[pos : min(pos + PIECE, end)])


def pieces(data: Buf, start: int, end: int) -> Iterator[bytes]:
    """``data[start:end]`` as bounded pieces (for hashing)."""
    for pos in range(start, end, PIECE):
        yield data[pos : min(pos + PIECE, end)]


def read_range(fh: BinaryIO, path: Path, fmt: str, start: int, end: int) -> Iterator[bytes]:
    """Bytes ``start:end`` of an open file in bounded pieces; a file that ends early (it was
    truncated, or changed while read) is a :class:`CarrierError`."""
    fh.seek(start)
    left = end - start
    while left > 0:
        piece = fh.read(min(PIECE, left))
        if not piece:
            raise fail(path, fmt, f"the file ended early (offset {end - left})")
        left -= len(piece)
        yield piece


def fail(path: Path, fmt: str, problem: str) -> CarrierError:
    """A :class:`CarrierError` naming the file, the format and the problem."""
    return CarrierError(f"{path}: {fmt}: {problem}")
