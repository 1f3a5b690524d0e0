"""MP3: the label is an ID3v2 ``TXXX`` frame with description ``AIGC``.

Independent readers: ffprobe shows it as the format tag ``AIGC``, mutagen as
``ID3(path)["TXXX:AIGC"]``, ExifTool as ``ID3v2_4:UserDefinedText`` (``(AIGC) ...``) or
``ID3v2_3:...`` for a v2.3 tag.

Only the leading ID3v2 tag is rewritten, by mutagen, in memory: the tag keeps its version
(2.3 stays 2.3, 2.4 stays 2.4; mutagen cannot write 2.2, so a 2.2 tag becomes 2.3) and
all its other frames. The audio frames and any trailing APEv2 or ID3v1 tag are copied
untouched, in chunks. A file without an ID3v2 tag gets a new 2.4 tag.

``content`` is the MPEG audio frames: everything between the leading ID3v2 tag(s) and
the trailing APEv2 / Lyrics3 / ID3v1 tags.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from aisec.label.carriers._io import read_range
from aisec.label.carriers.base import KEY, CarrierError, CarrierHit

# mutagen is imported where it is used: importing it costs every run that sniffs a file
if TYPE_CHECKING:
    from mutagen import PaddingInfo

_CHUNK = 1 << 20
#: Zero bytes some encoders leave between the ID3v2 tag and the first frame.
_MAX_GAP = 1 << 16

_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _frame_length(header: bytes) -> int:
    """Length of the MPEG audio frame with this 4-byte header; 0 if not a valid header,
    -1 for a free-format frame (length unknown without decoding)."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return 0
    version = (header[1] >> 3) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    layer = 4 - ((header[1] >> 1) & 3)  # 1, 2, 3 (4 is reserved)
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if version == 1 or layer == 4 or bitrate_index == 15 or rate_index == 3:
        return 0
    if bitrate_index == 0:
        return -1
    bitrate = _BITRATES[(1 if version == 3 else 2, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    if layer == 3 and version != 3:
        return 72 * bitrate // rate + padding
    return 144 * bitrate // rate + padding


@dataclass(frozen=True, slots=True)
class _Layout:
    tag_end: int  # end of the first ID3v2 tag (0 if none)
    audio_start: int
    audio_end: int
    size: int


def _fail(path: Path, problem: str) -> CarrierError:
    return CarrierError(f"{path}: MP3: {problem}")


def _id3v2_size(head: bytes) -> int:
    """Total size of the ID3v2 tag starting with this 10-byte header, or 0."""
    if len(head) < 10 or head[:3] != b"ID3" or head[3] == 0xFF or head[4] == 0xFF:
        return 0
    if any(b & 0x80 for b in head[6:10]):
        return -1
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | byte
    return 10 + size + (10 if head[5] & 0x10 else 0)


def _trailing_tags_start(fh: BinaryIO, start: int, end: int) -> int:
    """Where ID3v1, Lyrics3v2 and APEv2 tags at the end of the file begin."""
    while True:
        if end - start >= 128:
            fh.seek(end - 128)
            if fh.read(3) == b"TAG":
                end -= 128
                continue
        if end - start >= 15:
            fh.seek(end - 15)
            tail = fh.read(15)
            if tail[6:] == b"LYRICS200" and tail[:6].isdigit():
                size = int(tail[:6]) + 15
                if size <= end - start:
                    end -= size
                    continue
        if end - start >= 32:
            fh.seek(end - 32)
            footer = fh.read(32)
            if footer[:8] == b"APETAGEX":
                size, _, flags = struct.unpack_from("<III", footer, 12)
                if size < 32:  # the size counts the footer itself
                    raise CarrierError(f"{fh.name}: MP3: the APEv2 tag size {size} is invalid")
                size += 32 if flags & 0x80000000 else 0
                if size > end - start:
                    raise CarrierError(f"{fh.name}: MP3: the APEv2 tag size is invalid")
                end -= size
                continue
        return end


def _layout(fh: BinaryIO, path: Path) -> _Layout:
    fh.seek(0, 2)
    size = fh.tell()
    pos = tag_end = 0
    while True:
        fh.seek(pos)
        tag = _id3v2_size(fh.read(10))
        if tag < 0:
            raise _fail(path, f"the ID3v2 tag at offset {pos} has an invalid size")
        if tag == 0:
            break
        if pos + tag > size:
            raise _fail(path, "the ID3v2 tag runs past the end of the file (truncated?)")
        pos += tag
        tag_end = tag_end or pos
    audio_end = _trailing_tags_start(fh, pos, size)
    fh.seek(pos)
    gap = fh.read(min(_MAX_GAP, audio_end - pos))
    skip = len(gap) - len(gap.lstrip(b"\x00"))
    audio_start = pos + skip
    fh.seek(audio_start)
    if _frame_length(fh.read(4)) == 0:
        if audio_start == audio_end and tag_end:
            raise _fail(path, "there are no audio frames after the ID3v2 tag")
        raise _fail(path, f"no MPEG audio frame at offset {audio_start}; not an MP3 file")
    layout = _Layout(tag_end, audio_start, audio_end, size)
    _check_frames(fh, path, layout)
    return layout


def _check_frames(fh: BinaryIO, path: Path, layout: _Layout) -> None:
    """Walk the frame headers: a file cut inside its audio ends with a partial frame."""
    pos, end = layout.audio_start, layout.audio_end
    buf, buf_start = b"", pos
    while pos < end:
        if pos + 4 > buf_start + len(buf):
            fh.seek(pos)
            buf, buf_start = fh.read(min(_CHUNK, end - pos)), pos
        length = _frame_length(buf[pos - buf_start : pos - buf_start + 4])
        if length <= 0:
            return  # free format or non-audio trailing bytes: nothing more to check
        if pos + length > end:
            raise _fail(path, f"the audio frame at offset {pos} is cut short (file truncated?)")
        pos += length


def _load_tag(fh: BinaryIO, path: Path, layout: _Layout) -> Any:
    """The first ID3v2 tag (a mutagen ``ID3``, untyped), or None."""
    if not layout.tag_end:
        return None
    fh.seek(0)
    data = fh.read(layout.tag_end)
    from mutagen import MutagenError
    from mutagen.id3 import ID3

    try:
        return ID3(io.BytesIO(data), load_v1=False)  # type: ignore[no-untyped-call]
    except (MutagenError, ValueError, struct.error, IndexError) as exc:
        raise _fail(path, f"the ID3v2 tag is malformed ({exc})") from None


def _is_label(frame: object) -> bool:
    from mutagen.id3 import TXXX

    return isinstance(frame, TXXX) and str(getattr(frame, "desc", "")).upper() == KEY


def _padding(info: PaddingInfo) -> int:
    # The tag is rendered into an empty buffer, so mutagen offers no padding to keep:
    # always leave 1 KiB. Those zero bytes also end the tag, so mutagen's ID3v1 probe of
    # the buffer's last 128 bytes can never match text inside a frame.
    return 1024


class Mp3Carrier:
    """Label carrier for MP3 files (ID3v2 ``TXXX:AIGC``)."""

    name = "mp3"
    extensions = (".mp3",)

    def sniff(self, head: bytes) -> bool:
        """An ID3v2 tag or an MPEG audio frame header at the start."""
        return head.startswith(b"ID3") or _frame_length(head[:4]) != 0

    def read(self, path: Path) -> list[CarrierHit]:
        """Every ``TXXX:AIGC`` value, in tag order."""
        with path.open("rb") as fh:
            tag = _load_tag(fh, path, _layout(fh, path))
        if tag is None:
            return []
        return [
            CarrierHit("mp3:TXXX", str(text))
            for frame in tag.values()
            if _is_label(frame)
            for text in frame.text
        ]

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy ``src`` to ``dst`` with the ``TXXX:AIGC`` frame replaced or removed."""
        with src.open("rb") as fin:
            layout = _layout(fin, src)
            tag = _load_tag(fin, src, layout)
            if tag is None and payload is None:
                new_tag = b""
            elif tag is None:
                from mutagen.id3 import ID3

                new_tag = self._render(src, ID3(), 4, payload)  # type: ignore[no-untyped-call]
            else:
                version = 4 if tag.version >= (2, 4, 0) else 3
                new_tag = self._render(src, tag, version, payload)
            with dst.open("wb") as fout:
                fout.write(new_tag)
                for chunk in read_range(fin, src, "MP3", layout.tag_end, layout.size):
                    fout.write(chunk)

    def _render(self, path: Path, tag: Any, version: int, payload: str | None) -> bytes:
        from mutagen import MutagenError
        from mutagen.id3 import TXXX, Encoding

        for key in [k for k, frame in tag.items() if _is_label(frame)]:
            del tag[key]
        if payload is not None:
            if payload.isascii():
                encoding = Encoding.LATIN1
            else:
                encoding = Encoding.UTF8 if version == 4 else Encoding.UTF16
            tag.add(TXXX(encoding=encoding, desc=KEY, text=[payload]))  # type: ignore[no-untyped-call]
        if version == 3:
            tag.update_to_v23()
        out = io.BytesIO()
        try:
            tag.save(out, v1=0, v2_version=version, padding=_padding)
        except (MutagenError, ValueError, struct.error) as exc:
            raise _fail(path, f"cannot write the ID3v2 tag ({exc})") from None
        return out.getvalue()

    def content(self, path: Path) -> Iterator[bytes]:
        """The MPEG audio frames, without ID3v2, APEv2, Lyrics3 or ID3v1 tags."""
        with path.open("rb") as fh:
            layout = _layout(fh, path)
            yield from read_range(fh, path, "MP3", layout.audio_start, layout.audio_end)


CARRIER = Mp3Carrier()
