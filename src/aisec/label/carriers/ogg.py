"""Ogg Vorbis and Ogg Opus: the label is a Vorbis comment ``AIGC=<payload>`` in the
stream's comment header packet.

Independent readers: ffprobe shows it as the stream tag ``AIGC`` (Ogg keeps comments per
logical stream), mutagen as ``OggVorbis(path)["AIGC"]`` / ``OggOpus(path)["AIGC"]``,
ExifTool as ``Vorbis:Aigc`` (for Opus too).

Writing goes through mutagen, which rebuilds the header pages of the first Vorbis or Opus
stream and renumbers (and re-checksums) the pages after them; the audio packets are not
touched. Before that the pages are walked here, so a truncated or damaged file is
refused with a clear message.

``content`` is every packet of every logical stream except the comment headers (each
followed by its stream serial, packet index and length), plus the granule positions of
the audio pages. It hashes packets, not pages, because page sequence numbers and CRCs
change whenever the comment packet grows or shrinks.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from aisec.label.carriers.base import KEY, CarrierError, CarrierHit
from aisec.label.carriers.flac import label_hits, parse_vorbis_comment

_CAPTURE = b"OggS"
_PAGE_HEADER = struct.Struct("<4sBBqIIIB")
#: codec name -> (first-packet signature, comment-packet prefix, number of header packets)
_CODECS = {
    "vorbis": (b"\x01vorbis", b"\x03vorbis", 3),
    "opus": (b"OpusHead", b"OpusTags", 2),
    "theora": (b"\x80theora", b"\x81theora", 3),
    "speex": (b"Speex   ", b"", 2),
    "flac": (b"\x7fFLAC", b"", 2),
}
_WRITABLE = frozenset({"vorbis", "opus"})  # codecs whose comment mutagen rewrites
_COMMENT_INDEX = 1  # the comment header is the second packet in every codec above
_END_OF_PAGE = -1


@dataclass(frozen=True, slots=True)
class _Page:
    offset: int
    flags: int
    granule: int
    serial: int
    lacing: bytes
    data_start: int

    @property
    def data_length(self) -> int:
        return sum(self.lacing)


@dataclass(slots=True)
class _Stream:
    codec: str | None = None
    index: int = 0  # of the packet being assembled
    parts: list[bytes] = field(default_factory=list)


def _fail(path: Path, problem: str) -> CarrierError:
    return CarrierError(f"{path}: Ogg: {problem}")


def _pages(fh: BinaryIO, path: Path) -> Iterator[_Page]:
    """Every page header, checked against the file size; the caller reads the data."""
    fh.seek(0, 2)
    size = fh.tell()
    pos = 0
    if size == 0:
        raise _fail(path, "the file is empty")
    while pos < size:
        fh.seek(pos)
        head = fh.read(_PAGE_HEADER.size)
        if len(head) < _PAGE_HEADER.size:
            raise _fail(path, f"the page header at offset {pos} is cut short (file truncated?)")
        capture, version, flags, granule, serial, _seq, _crc, nseg = _PAGE_HEADER.unpack(head)
        if capture != _CAPTURE:
            where = "at the start; not an Ogg file" if pos == 0 else f"at offset {pos}"
            raise _fail(path, f"no Ogg page {where}")
        if version != 0:
            raise _fail(path, f"unsupported Ogg page version {version} at offset {pos}")
        lacing = fh.read(nseg)
        page = _Page(pos, flags, granule, serial, lacing, pos + _PAGE_HEADER.size + nseg)
        if len(lacing) < nseg or page.data_start + page.data_length > size:
            raise _fail(path, f"the page at offset {pos} is cut short (file truncated?)")
        yield page
        pos = page.data_start + page.data_length


def _codec(first_packet: bytes) -> str | None:
    for name, (signature, _, _) in _CODECS.items():
        if first_packet.startswith(signature):
            return name
    return None


def _packets(fh: BinaryIO, path: Path) -> Iterator[tuple[_Page, int, str | None, int, bytes]]:
    """(page, serial, codec, packet index, packet) for each complete packet, plus one
    ``(page, serial, codec, _END_OF_PAGE, b"")`` after each page (to see its granule)."""
    streams: dict[int, _Stream] = {}
    for page in _pages(fh, path):
        stream = streams.setdefault(page.serial, _Stream())
        if stream.parts and not page.flags & 1:
            # The previous page promised a continuation that never came: drop the part.
            stream.parts.clear()
            stream.index += 1
        fh.seek(page.data_start)
        data = fh.read(page.data_length)
        start = 0
        for offset, value in enumerate(page.lacing):
            if value == 255 and offset != len(page.lacing) - 1:
                continue
            end = sum(page.lacing[: offset + 1])
            stream.parts.append(data[start:end])
            start = end
            if value < 255:
                packet = b"".join(stream.parts)
                stream.parts.clear()
                if stream.index == 0:
                    stream.codec = _codec(packet)
                yield page, page.serial, stream.codec, stream.index, packet
                stream.index += 1
        yield page, page.serial, stream.codec, _END_OF_PAGE, b""


def _headers(fh: BinaryIO, path: Path) -> list[tuple[str | None, int, bytes]]:
    """(codec, index, packet) of the first two packets of every logical stream. The
    whole page structure is checked first (headers only), then packets are read only
    until every stream is past its comment header."""
    for _ in _pages(fh, path):
        pass
    found: list[tuple[str | None, int, bytes]] = []
    # streams whose last packet so far is at most the comment header: a set, not a check
    # of every stream after every page (quadratic: 14 s on 3 MB of one-packet pages)
    waiting: set[int] = set()
    for page, serial, codec, index, packet in _packets(fh, path):
        if index == _END_OF_PAGE:
            if not page.flags & 2 and not waiting:
                break  # past the first pages of every stream that has begun
            continue
        if index <= _COMMENT_INDEX:
            waiting.add(serial)
            found.append((codec, index, packet))
        else:
            waiting.discard(serial)
    return found


def _comment_hits(path: Path) -> list[CarrierHit]:
    hits: list[CarrierHit] = []
    with path.open("rb") as fh:
        headers = _headers(fh, path)
    for codec, index, packet in headers:
        if index != _COMMENT_INDEX or codec not in _WRITABLE:
            continue
        prefix = _CODECS[codec][1]
        if not packet.startswith(prefix):
            raise _fail(path, f"the {codec} comment header is missing")
        comment, _ = parse_vorbis_comment(packet[len(prefix) :], f"{path}: Ogg {codec}")
        hits += label_hits(comment, "ogg:vorbis_comment", f"{path}: Ogg")
    return hits


def _mutagen_class(codec: str) -> Any:
    """mutagen's file class for a writable codec (imported here, not at start-up)."""
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis

    return OggVorbis if codec == "vorbis" else OggOpus


class OggCarrier:
    """Label carrier for Ogg Vorbis and Ogg Opus files (Vorbis comment ``AIGC``)."""

    name = "ogg"
    extensions = (".ogg", ".oga", ".opus")

    def sniff(self, head: bytes) -> bool:
        """An Ogg page whose first packet starts a Vorbis or Opus stream."""
        if not head.startswith(_CAPTURE) or len(head) < 28:
            return False
        packet = head[_PAGE_HEADER.size + head[26] :]
        return _codec(packet) in _WRITABLE

    def read(self, path: Path) -> list[CarrierHit]:
        """Every ``AIGC`` comment of every Vorbis or Opus stream."""
        return _comment_hits(path)

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy ``src`` to ``dst`` with the ``AIGC`` comment replaced or removed."""
        with src.open("rb") as fh:
            codecs = [codec for codec, index, _ in _headers(fh, src) if index == 0]
        codec = next((c for c in codecs if c in _WRITABLE), None)
        if codec is None:
            raise _fail(src, "no Vorbis or Opus stream; only those carry labels")
        shutil.copyfile(src, dst)
        from mutagen import MutagenError

        try:
            audio: Any = _mutagen_class(codec)(dst)
            tags = audio.tags
            if tags is None:
                raise _fail(src, f"the {codec} stream has no comment header")
            if KEY in tags:
                del tags[KEY]
            if payload is not None:
                tags[KEY] = [payload]
            audio.save()
        except (MutagenError, ValueError, struct.error, IndexError, EOFError) as exc:
            raise _fail(src, f"cannot rewrite the {codec} comment header ({exc})") from None

    def content(self, path: Path) -> Iterator[bytes]:
        """The packets except comment headers, each with serial, index and length, and
        the granule positions of pages holding only audio packets."""
        with path.open("rb") as fh:
            # Index of the first packet completed on the current page of each stream:
            # pages holding header packets are re-paginated by any comment edit, so
            # their granule positions (0 or -1 anyway) are left out, and so are those of
            # pages completing no packet (always -1).
            first_on_page: dict[int, int] = {}
            for page, serial, codec, index, packet in _packets(fh, path):
                headers = _CODECS[codec][2] if codec else 0
                if index == _END_OF_PAGE:
                    if first_on_page.get(serial, 0) >= headers:
                        yield struct.pack("<cIq", b"G", serial, page.granule)
                    first_on_page.pop(serial, None)
                    continue
                first_on_page.setdefault(serial, index)
                if codec and index == _COMMENT_INDEX:
                    continue
                yield packet
                yield struct.pack("<cIQQ", b"P", serial, index, len(packet))


CARRIER = OggCarrier()
