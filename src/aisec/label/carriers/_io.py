"""Small helpers the binary carriers share: file input, write plans, ranged copies, errors."""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import mmap
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

from aisec.label.carriers.base import CarrierError, FileName, Piece, Plan

PIECE = 1 << 20  # copy and hash in 1 MiB pieces
#: Files up to this size are read into memory, larger ones mapped; source ranges this
#: long are copied by the kernel. Below glibc's default mmap threshold (128 KiB), so the
#: read buffer comes from the heap, not from fresh pages of its own.
SMALL = 64 * 1024
_IOV_MAX = 512  # pieces per writev (Linux allows 1024)
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


def load(fd: int, size: int) -> Buf:
    """The first ``size`` bytes of an open regular file: read into memory when small (a
    read costs less than mapping and unmapping a few pages), mapped when larger (only the
    pages a carrier looks at are then read). ``b""`` when the file is empty."""
    if size > SMALL:
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    data = os.pread(fd, size, 0)
    while 0 < len(data) < size:  # a short read (some network filesystems)
        more = os.pread(fd, size - len(data), len(data))
        if not more:
            break
        data += more
    return data


def release(buf: Buf) -> None:
    """Unmap what :func:`load` mapped."""
    if isinstance(buf, mmap.mmap):
        buf.close()


class Pieces:
    """The pieces of a :class:`~aisec.label.carriers.base.Plan`, adjacent source ranges
    merged into one."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[Piece] = []

    def add(self, data: bytes) -> None:
        """New bytes."""
        if data:
            self.items.append(data)

    def copy(self, start: int, end: int) -> None:
        """Bytes ``start:end`` of the source."""
        if end <= start:
            return
        items = self.items
        if items:
            last = items[-1]
            if isinstance(last, tuple) and last[1] == start:
                items[-1] = (last[0], end)
                return
        items.append((start, end))


def write_mapped(
    plan: Callable[[Buf, Path, str | None], Plan],
    src: Path,
    dst: Path,
    payload: str | None,
    fmt: str,
) -> None:
    """A path-based ``write`` on top of a carrier's ``plan``: map ``src``, plan, write the
    plan into ``dst`` (nothing is created when planning fails; ``dst`` is removed again
    when writing fails)."""
    with mapped(src, fmt) as buf:
        todo = plan(buf, src, payload)
        try:
            with dst.open("wb") as out:
                write_plan(todo, buf, out)
        except BaseException:
            with contextlib.suppress(OSError):
                dst.unlink()
            raise


def write_plan(plan: Plan, buf: Buf, out: BinaryIO) -> None:
    """Write ``plan`` into ``out`` (a new, empty, seekable file) from the source ``buf``."""
    for piece in plan.pieces:
        if isinstance(piece, bytes):
            out.write(piece)
        else:
            copy_range(buf, piece[0], piece[1], out)
    for offset, data in plan.patches:
        out.seek(offset)
        out.write(data)


def emit(fd: int, plan: Plan, buf: Buf, src_fd: int, src: FileName) -> None:
    """Write ``plan`` into the new, empty file open as ``fd``, from the source ``buf``
    (open as ``src_fd``): runs of pieces with one ``writev`` straight from ``buf`` (no
    copy in between), ranges of at least :data:`SMALL` bytes by the kernel
    (``copy_file_range``, which a filesystem with reflinks may share instead of copy),
    then the patches. ``src`` names the file in errors."""
    parts: list[bytes | memoryview] = []
    view = memoryview(buf)
    try:
        for piece in plan.pieces:
            if isinstance(piece, bytes):
                parts.append(piece)
            elif piece[1] - piece[0] >= SMALL:
                _write_all(fd, parts)
                _copy(src_fd, fd, view, piece[0], piece[1], src)
            else:
                parts.append(view[piece[0] : piece[1]])
        _write_all(fd, parts)
    finally:
        for part in parts:  # drop every export before the caller may close the mapping
            if isinstance(part, memoryview):
                part.release()
        parts.clear()
        view.release()
    for offset, data in plan.patches:
        patch(fd, offset, data)


def append(fd: int, data: list[bytes], at: int) -> None:
    """Write ``data`` at offset ``at`` of the file open as ``fd`` — its end, so the bytes
    are appended — with ``writev``, as :func:`emit` writes new bytes."""
    os.lseek(fd, at, os.SEEK_SET)
    parts: list[bytes | memoryview] = [*data]
    _write_all(fd, parts)


def patch(fd: int, offset: int, data: bytes) -> None:
    """Write ``data`` over the file open as ``fd`` at ``offset`` (``pwrite`` until all of
    it is written)."""
    while data:
        n = os.pwrite(fd, data, offset)
        if n <= 0:
            raise OSError(errno.EIO, "write made no progress")
        data, offset = data[n:], offset + n


def _write_all(fd: int, parts: list[bytes | memoryview]) -> None:
    """``writev`` until every part is written; empties ``parts``."""
    while parts:
        batch = parts[:_IOV_MAX]
        n = os.writev(fd, batch)
        if n <= 0:
            raise OSError(errno.EIO, "write made no progress")
        done = 0
        while done < len(batch) and n >= len(batch[done]):
            n -= len(batch[done])
            done += 1
        if n:  # a short write inside a part: the rest of it goes next
            parts[done] = parts[done][n:]
        for part in parts[:done]:
            if isinstance(part, memoryview):
                part.release()
        del parts[:done]


# copy_file_range cannot copy between these descriptors: write the bytes instead
_NO_KERNEL_COPY = frozenset(
    {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM}
)


def _copy(src_fd: int, fd: int, view: memoryview, start: int, end: int, src: FileName) -> None:
    """Bytes ``start:end`` of the source, appended to ``fd``."""
    pos = start
    kernel_copy = getattr(os, "copy_file_range", None)
    if kernel_copy is not None:
        try:
            while pos < end:
                n = kernel_copy(src_fd, fd, end - pos, pos)
                if n == 0:
                    raise CarrierError(f"{src}: the file got shorter while it was being copied")
                pos += n
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
    while pos < end:
        with view[pos : min(pos + PIECE, end)] as part:
            n = os.write(fd, part)
        if n <= 0:
            raise OSError(errno.EIO, "write made no progress")
        pos += n


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


def max_items(span: int) -> int:
    """Most elements (boxes, chunks) a container walk accepts in ``span`` bytes: far more
    than real files hold (their elements are large), far fewer than a file made of
    8-byte empty boxes, whose walk would take seconds and hundreds of MB per few MB."""
    return 100_000 + span // 1024


def fail(path: FileName, fmt: str, problem: str) -> CarrierError:
    """A :class:`CarrierError` naming the file, the format and the problem."""
    return CarrierError(f"{path}: {fmt}: {problem}")
