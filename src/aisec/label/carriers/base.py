"""The contract every metadata carrier fulfils.

A carrier knows one container format (PNG, MP4, FLAC, ...). It works on the label as an
opaque payload string — the canonical JSON of the seven GB 45438 fields, produced and
parsed by :mod:`aisec.label.model` — so carriers never need to understand the fields.

Rules every carrier keeps:

* ``write`` never re-encodes the media: pixels, audio samples and video streams stay
  bit-identical; only metadata structures are added, replaced or removed. All other
  metadata is kept.
* ``write(src, dst, payload)`` replaces every existing AIGC copy the carrier knows with
  ``payload`` (one copy per carrier slot, e.g. PNG writes an ``iTXt AIGC`` chunk *and* an
  XMP ``TC260:AIGC`` element); ``payload=None`` removes them all. ``dst`` is a fresh path
  in the same directory; the caller renames it over the original (atomicity is the
  caller's job, so carriers just stream into ``dst``).
* ``write`` is deterministic: the same input and payload give the same bytes.
* ``content`` streams the bytes that carry the media itself (image data, audio frames,
  video streams, the document body) and none of the metadata. Signatures cover a hash of
  these bytes, so adding, changing or propagating a label — or another tool editing other
  metadata — never changes the digest, while any change to the media does.
* ``read`` returns every copy it finds, in file order, each tagged with where it was
  found, so duplicates and conflicts can be reported.
* A malformed or truncated file raises :class:`CarrierError` with a specific message;
  the source file is never modified.
* Files are streamed: a multi-gigabyte video is never read whole into memory.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from aisec.errors import InputError

#: XMP namespace and element name GB 45438 / TC260 use for the implicit label.
XMP_NAMESPACE = "http://www.tc260.org.cn/ns/AIGC/1.0/"
XMP_PREFIX = "TC260"
XMP_ELEMENT = "AIGC"
#: Key used by every key/value style carrier (PNG text chunk, ID3 TXXX, Vorbis comment,
#: MP4 ilst/keys, Matroska SimpleTag, RIFF chunk id is ``AIGC`` too, PDF Info ``/AIGC``,
#: Office custom property, Markdown front matter).
KEY = "AIGC"


class CarrierError(InputError):
    """A file cannot be read or labelled as its format requires (malformed, truncated,
    unsupported variant). The message names the file, the format and the problem."""


@dataclass(frozen=True, slots=True)
class CarrierHit:
    """One copy of a label found in a file."""

    carrier: str  # where it was found, e.g. "png:iTXt", "png:xmp", "mp4:ilst", "mp3:TXXX"
    payload: str  # the text as stored, after undoing the carrier's own escaping (XML, ...)


class Carrier(Protocol):
    """A format's reader and writer of label payloads."""

    #: Short format name used in reports: "png", "jpeg", "mp4", "flac", ...
    name: str
    #: Lower-case file extensions with the dot: (".mp4", ".m4a", ".mov")
    extensions: tuple[str, ...]

    def sniff(self, head: bytes) -> bool:
        """True when ``head`` (the first 64 bytes of a file, fewer if the file is short)
        starts like this format."""
        ...

    def read(self, path: Path) -> list[CarrierHit]:
        """Every label copy in the file, in file order; empty when there is none."""
        ...

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Write ``src`` to ``dst`` with every label copy replaced by ``payload`` (or
        removed when ``payload`` is None), keeping the media and other metadata intact."""
        ...

    def content(self, path: Path) -> Iterator[bytes]:
        """The bytes carrying the media content, in file order, excluding all metadata;
        streamed in pieces (the caller hashes them)."""
        ...


#: How a carrier working on a file's bytes names the file in its messages: the path as
#: the caller gave it (the batch passes strings, which saves building a ``Path`` per file).
FileName = Path | str

#: One piece of a file being written: bytes to write as they are, or the range
#: ``(start, end)`` of the source file to copy.
Piece = bytes | tuple[int, int]


@dataclass(frozen=True, slots=True)
class Plan:
    """How to write a file with its label replaced, worked out before anything is written.

    ``pieces`` make up the new file in order; ``patches`` are ``(offset, bytes)`` written
    over it afterwards (so a large range can be copied whole, which lets a filesystem that
    supports it share the blocks instead of copying them). ``head``, when not None, says
    every label copy and everything that leads to it lies in the new file's first ``head``
    bytes, and the carrier's ``read_back`` reads the labels from them; None means the
    whole file is read back with ``read_buf``.

    ``in_place`` says the plan may also be applied to the source file itself, without a
    copy, crash-safely (the way libtiff's ``TIFFRewriteDirectory`` rewrites a directory):
    the pieces are the whole source, untouched, then new bytes only; ``patches[0]`` is
    the *commit*, one small aligned write (the pointer to the new structures) before which
    the file reads exactly as the source did, the appended bytes being unreferenced, and
    after which it reads as the new file; the other patches only clear bytes the commit
    left unreferenced (a replaced label). A reader therefore sees the old file or the new
    one whatever byte state a crash leaves. :meth:`appended` checks the shape; how the
    writer applies it: :mod:`aisec.label.files`.
    """

    pieces: list[Piece]
    patches: list[tuple[int, bytes]] = field(default_factory=list)
    head: int | None = None
    in_place: bool = False

    @property
    def size(self) -> int:
        """The size of the new file."""
        return sum(len(p) if isinstance(p, bytes) else p[1] - p[0] for p in self.pieces)

    def appended(self, size: int) -> list[bytes] | None:
        """The new bytes an ``in_place`` plan appends to its source of ``size`` bytes; None
        when the plan is not one, or is not shaped like one (the first piece the whole
        source, the rest new bytes, a commit of 1, 2, 4 or 8 bytes at an offset aligned to
        its length inside the source: a single write no crash can tear)."""
        if not self.in_place or not self.patches or self.pieces[:1] != [(0, size)]:
            return None
        offset, data = self.patches[0]
        if len(data) not in (1, 2, 4, 8) or offset % len(data) or offset + len(data) > size:
            return None
        new = [p for p in self.pieces[1:] if isinstance(p, bytes)]
        return new if new and len(new) == len(self.pieces) - 1 else None


class BufferCarrier(Carrier, Protocol):
    """A carrier that can also work on a file already in memory.

    The service opens a file once and hands its bytes (read, or memory-mapped when large)
    to sniffing, reading and planning the write, instead of every step opening the file
    again (small files are dominated by those system calls). ``path`` only names the file
    in error messages.
    """

    def read_buf(self, buf: mmap.mmap | bytes, path: FileName) -> list[CarrierHit]:
        """``read`` on the file's bytes (never empty)."""
        ...

    def plan(self, buf: mmap.mmap | bytes, path: FileName, payload: str | None) -> Plan:
        """How to ``write`` the file whose bytes are ``buf`` (never empty), validating it
        as ``write`` does: a malformed file raises :class:`CarrierError` here, before
        anything is written."""
        ...

    def read_back(self, head: mmap.mmap | bytes, path: FileName) -> list[CarrierHit]:
        """The labels in a file this carrier has just written by a plan with a ``head``,
        given (at least) its first ``plan.head`` bytes: reads only what leads to the
        labels (the rest was validated when planning and copied as it was)."""
        ...
