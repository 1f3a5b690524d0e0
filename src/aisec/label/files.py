"""The files behind a label operation: the source, opened once, and the temporary file a
write goes to before it replaces the target — or, for a plan that allows it, the source
itself, edited in place.

A source is opened once and its bytes (read when small, memory-mapped when large, see
:func:`~aisec.label.carriers._io.load`) serve sniffing the format, reading and planning
the write, for the carriers that work on bytes (``BufferCarrier``); small files are
dominated by system calls.

A write is planned before anything is created — a malformed or truncated file fails
there — as a few pieces, new bytes and ranges of the source. They go into a temporary
file beside the target (a private ``O_EXCL`` file) with one ``writev`` straight from the
source's bytes; large ranges are copied by the kernel (``copy_file_range``, which
filesystems with reflinks, such as XFS and Btrfs, can share instead of copying). The
read-back then checks the file's size and reads its labels through the carrier's reader:
only what leads to the labels (a JPEG's segments before the first scan, a TIFF's IFD0)
when the plan says where that is — the rest are ranges of the source, validated when
planning and copied as they were — else the whole file. The file is then given the
source's permission bits and fsynced, and only then renamed over the target.

Labelling a file in place with an ``in_place`` plan (see
:class:`~aisec.label.carriers.base.Plan`: the source untouched, new bytes after it, one
small aligned *commit* write that makes them the file's structures) skips the copy, which
for a large file costs more than everything else: the new bytes are appended to the file
itself, read back from it as the commit will make it (the commit applied to a private
copy-on-write view), and flushed; only then is the commit written and flushed, and then
what it left unreferenced (the replaced label) cleared and flushed. Whatever byte state a
crash leaves, the file reads as the old one (with unreferenced bytes after it) or as the
new one. A failure before the commit cuts the file back to its size: its bytes are then
exactly what they were. It is done only when the target is the source by name and the
file is still the one planned from — a regular file reached without a symlink, the same
inode and size — with a single link that we may open for writing; anything else (another
name for the file would see the edit, a symlink would be followed rather than replaced)
takes the temporary file and the rename.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import mmap
import os
import random
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from aisec.label.carriers._io import SMALL, Buf, append, emit, load, patch, release
from aisec.label.carriers.base import (
    BufferCarrier,
    Carrier,
    CarrierError,
    CarrierHit,
    FileName,
    Plan,
)
from aisec.label.carriers.registry import carrier_for, carrier_for_head


def _can_map(carrier: Carrier) -> bool:
    return hasattr(carrier, "read_buf") and hasattr(carrier, "plan")


def _open_quietly(path: FileName) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1


def _load_quietly(fd: int, size: int) -> Buf | None:
    try:
        return load(fd, size) or None
    except (OSError, ValueError):
        return None


class Source:
    """A file opened once: its descriptor, its carrier and, when that carrier can use them,
    its bytes (read when small, mapped when large: :func:`~aisec.label.carriers._io.load`).

    The carrier is sniffed from those bytes unless given. Anything unusual (cannot open,
    not a regular file, empty, cannot read) leaves ``buf`` None, and the path-based calls
    then raise the usual, specific errors. Use as a context manager (closes the file).
    """

    __slots__ = ("buf", "carrier", "fd", "ident", "mode")

    def __init__(self, path: FileName, carrier: Carrier | None = None) -> None:
        self.fd = _open_quietly(path)
        self.buf: Buf | None = None
        self.mode: int | None = None  # permission bits (None: copy them from the path)
        self.ident: tuple[int, int] | None = None  # (device, inode)
        try:
            if self.fd >= 0:
                st = os.fstat(self.fd)
                self.mode = stat.S_IMODE(st.st_mode)
                self.ident = (st.st_dev, st.st_ino)
                if stat.S_ISREG(st.st_mode) and st.st_size > 0:
                    self.buf = _load_quietly(self.fd, st.st_size)
            if carrier is None:
                head = None if self.buf is None else self.buf[:64]
                carrier = carrier_for(Path(path)) if head is None else carrier_for_head(head, path)
            self.carrier: Carrier = carrier
            if self.buf is not None and not _can_map(carrier):
                release(self.buf)
                self.buf = None
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Unmap and close (idempotent)."""
        if self.buf is not None:
            release(self.buf)
            self.buf = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def read(self, path: FileName) -> list[CarrierHit]:
        """Every label copy (``path`` names the file in errors)."""
        if self.buf is not None:
            return cast(BufferCarrier, self.carrier).read_buf(self.buf, path)
        return self.carrier.read(Path(path))


_TEMP_SEQ = itertools.count()
_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


def _create_temp(target: FileName) -> tuple[int, str]:
    """A new, empty, private (0600) file beside ``target``, open for reading and writing.

    Like ``tempfile.mkstemp`` (``O_EXCL``, so an existing file or symlink is never
    followed) with a cheaper name: process id, a counter and random bits.
    """
    folder, name = os.path.split(os.fspath(target))
    for _ in range(100):
        tmp = os.path.join(
            folder,
            f".{name}.{os.getpid()}-{next(_TEMP_SEQ)}-{random.getrandbits(32):08x}.aisec-tmp",
        )
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            parent = Path(target).parent
            if parent.is_dir():
                raise
            parent.mkdir(parents=True, exist_ok=True)
    raise FileExistsError(f"{Path(target).parent}: could not create a temporary file")


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _not_read_back(carrier: Carrier, src: FileName, dst: FileName, why: str = "") -> CarrierError:
    return CarrierError(
        f"{src}: {carrier.name}: the label did not read back as written"
        f"{f' ({why})' if why else ''}; {dst} was not changed (please report this)"
    )


def _read_back_ok(back: list[str], payload: str | None) -> bool:
    return not back if payload is None else set(back) == {payload}


def _read_back(
    fd: int,
    carrier: BufferCarrier,
    plan: Plan,
    src: FileName,
    commit: tuple[int, bytes] | None = None,
) -> list[str]:
    """The labels in the file just written to ``fd``, read from the file (not from what
    was meant to be written) through the carrier's reader: ``read_back`` on the first
    ``plan.head`` bytes when the plan names them, else ``read_buf`` on the whole file. A
    file of the wrong size is refused first (a short or lost write). With a ``commit``
    not yet written, the labels the file will have once it is."""
    size = os.fstat(fd).st_size
    if size != plan.size:
        raise CarrierError(f"{size} bytes written, {plan.size} planned")
    reader = carrier.read_buf if plan.head is None else carrier.read_back
    length = size if plan.head is None else plan.head
    written = load(fd, length) if commit is None else _load_committed(fd, length, commit)
    try:
        return [h.payload for h in reader(written, src)]
    finally:
        release(written)


def _load_committed(fd: int, size: int, commit: tuple[int, bytes]) -> Buf:
    """:func:`~aisec.label.carriers._io.load` with ``commit`` (offset, bytes) applied in
    memory only — to a private copy-on-write mapping when large, whose changes never reach
    the file: the file as the commit will make it, read before the commit is written."""
    offset, data = commit
    end = offset + len(data)
    if size > SMALL:
        view = mmap.mmap(fd, size, access=mmap.ACCESS_COPY)
        if end <= size:
            view[offset:end] = data
        return view
    raw = load(fd, size)
    return raw[:offset] + data + raw[end:] if end <= size else raw


def write_temp(source: Source, src: FileName, dst: FileName, payload: str | None) -> str | None:
    """Write ``src`` with its label set to ``payload`` into a new temporary file beside
    ``dst``, read it back, give it ``src``'s permission bits and fsync it. Returns the
    temporary file (closed); on any error it is removed and the error raised.

    When ``dst`` is ``src`` and the plan allows it, the label is instead committed to the
    file in place (see the module docstring) and None is returned: there is nothing to
    :func:`install`. On an error before the commit the file is cut back to its bytes as
    they were and the error raised, as the temporary file's would be."""
    if source.buf is None:
        return _write_temp_by_path(source, src, dst, payload)
    carrier = cast(BufferCarrier, source.carrier)
    try:
        plan = carrier.plan(source.buf, src, payload)  # a bad file fails before any write
    except CarrierError as exc:
        raise CarrierError(f"{exc}; {dst} was not changed") from None
    size = len(source.buf)
    new = plan.appended(size) if os.fspath(src) == os.fspath(dst) else None
    if new is not None and (fd := _open_in_place(source, dst)) >= 0:
        try:
            _commit_in_place(fd, size, new, carrier, plan, src, payload)
        finally:
            os.close(fd)
        return None
    with _temp_beside(dst) as (fd, tmp):
        try:
            emit(fd, plan, source.buf, source.fd, src)
        except CarrierError as exc:
            raise CarrierError(f"{exc}; {dst} was not changed") from None
        try:
            back = _read_back(fd, carrier, plan, src)
        except CarrierError as exc:
            raise _not_read_back(carrier, src, dst, str(exc)) from None
        if not _read_back_ok(back, payload):
            raise _not_read_back(carrier, src, dst)
        _finish_temp(fd, source, src, tmp)
    return tmp


_IN_PLACE_FLAGS = os.O_RDWR | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
#: Flushes the data (and the size), not the times: the barriers before and after the commit.
_datasync = getattr(os, "fdatasync", os.fsync)


def _open_in_place(source: Source, dst: FileName) -> int:
    """``dst`` open for reading and writing when a plan may be committed to it in place,
    else -1: it is still the file the plan was made from (a regular file, not reached
    through a symlink, with the source's inode and size) and its only name (an edit in
    place would show through every hard link, where the rename leaves the others as they
    were), and we may write it.

    The descriptor holds an exclusive ``flock`` until it is closed, and the size is checked
    under it: two aisec processes labelling one file would otherwise append at the same
    offset, and one cutting its failed append back could cut off what the other had
    committed. A file locked by another process (never waited for), or grown since it was
    read (another one labelled it meanwhile), is rewritten instead."""
    buf = source.buf
    if buf is None or source.ident is None:
        return -1
    try:
        fd = os.open(dst, _IN_PLACE_FLAGS)
    except OSError:  # not writable, a symlink (ELOOP), gone: the rename path says why
        return -1
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        st = os.fstat(fd)
        if (
            stat.S_ISREG(st.st_mode)
            and st.st_nlink == 1
            and (st.st_dev, st.st_ino) == source.ident
            and st.st_size == len(buf)
        ):
            return fd
    except OSError:
        pass
    os.close(fd)
    return -1


def _commit_in_place(
    fd: int,
    size: int,
    new: list[bytes],
    carrier: BufferCarrier,
    plan: Plan,
    src: FileName,
    payload: str | None,
) -> None:
    """Apply the in-place ``plan`` to the source (``size`` bytes) open as ``fd``: append
    ``new`` at its end, read the labels back as the commit will make them and flush; then
    write the commit, flush, clear what it left unreferenced, flush. Any failure before the
    commit cuts the file back to ``size``, leaving its bytes as they were, and raises what
    the temporary file's write would; one at or after the commit is raised as it is (the
    file is then the old one or the new one, as after a crash)."""
    commit, *cleanup = plan.patches
    try:
        append(fd, new, size)
        try:
            back = _read_back(fd, carrier, plan, src, commit)
        except CarrierError as exc:
            raise _not_read_back(carrier, src, src, str(exc)) from None
        if not _read_back_ok(back, payload):
            raise _not_read_back(carrier, src, src)
        _datasync(fd)  # the new bytes are on disk before the commit points at them
    except BaseException:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)  # the file as it was
        raise
    patch(fd, *commit)
    if cleanup:
        _datasync(fd)  # the commit is on disk before what the old one referenced is cleared
        for offset, data in cleanup:
            patch(fd, offset, data)
    os.fsync(fd)


def _write_temp_by_path(source: Source, src: FileName, dst: FileName, payload: str | None) -> str:
    """:func:`write_temp` for carriers that work on paths (they write and read by name)."""
    carrier = source.carrier
    with _temp_beside(dst) as (fd, tmp):
        try:
            carrier.write(Path(src), Path(tmp), payload)
            back = [h.payload for h in carrier.read(Path(tmp))]
        except CarrierError as exc:
            raise CarrierError(f"{exc}; {dst} was not changed") from None
        if not _read_back_ok(back, payload):
            raise _not_read_back(carrier, src, dst)
        _finish_temp(fd, source, src, tmp)
    return tmp


@contextlib.contextmanager
def _temp_beside(dst: FileName) -> Iterator[tuple[int, str]]:
    """A new private temporary file beside ``dst`` (descriptor, name), closed on the way
    out and removed again when the block fails."""
    fd, tmp = _create_temp(dst)
    try:
        yield fd, tmp
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    os.close(fd)


def _finish_temp(fd: int, source: Source, src: FileName, tmp: str) -> None:
    """Give the temporary file ``src``'s permission bits and flush it to disk."""
    if source.mode is not None:
        os.fchmod(fd, source.mode)
    else:
        shutil.copymode(src, tmp)
    os.fsync(fd)  # the data and the mode, before the rename makes them the file


def install(tmp: str | None, dst: FileName) -> None:
    """Rename the finished temporary file over ``dst`` (atomic); removed if that fails.
    None: :func:`write_temp` committed the label in place, there is nothing to rename."""
    if tmp is None:
        return
    try:
        os.replace(tmp, dst)
    except BaseException:
        _unlink_quietly(tmp)
        raise
