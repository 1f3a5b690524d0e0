"""Small helpers the binary carriers share: memory-mapped input, ranged copies, errors."""

from __future__ import annotations

import contextlib
import importlib.util
import mmap
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

from aisec.label.carriers.base import CarrierError

PIECE = 1 << 20  # copy and hash in 1 MiB pieces
#: What a carrier walks: a memory map of the file (or bytes in tests).
Buf = mmap.mmap | bytes


def lazy_module(name: str) -> ModuleType:
    """``name`` imported on first attribute access (``importlib.util.LazyLoader``).

    The carrier registry imports every carrier to sniff a file; the heavy libraries some
    of them use (pikepdf, mutagen, PyYAML) would otherwise be loaded by every run, even one
    that only labels PNGs. Callers keep a normal ``import`` under ``TYPE_CHECKING``.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


@contextlib.contextmanager
def mapped(path: Path, fmt: str) -> Iterator[Buf]:
    """The file's bytes without reading them into memory (an empty file gives ``b""``)."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise CarrierError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        try:
            size = os.fstat(fh.fileno()).st_size
        except OSError as exc:
            raise CarrierError(f"{path}: cannot read ({exc.strerror or exc})") from None
        if size == 0:
            raise CarrierError(f"{path}: empty file, not a {fmt}")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            yield mm


def write_mapped(
    write_buf: Callable[[Buf, Path, BinaryIO, str | None], None],
    src: Path,
    dst: Path,
    payload: str | None,
    fmt: str,
) -> None:
    """A path-based ``write`` on top of a carrier's ``write_buf``: map ``src``, stream
    into ``dst`` (removed again when the write fails)."""
    with mapped(src, fmt) as buf:
        try:
            with dst.open("wb") as out:
                write_buf(buf, src, out, payload)
        except BaseException:
            with contextlib.suppress(OSError):
                dst.unlink()
            raise


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
