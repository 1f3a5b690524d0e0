"""Audio/video carriers: round trip, independent readers (ffprobe, ExifTool, mutagen),
decoded media bit-identical, other metadata kept, content digest stable, bad files.

The media are generated once per test session with ffmpeg. A missing ffmpeg, ffprobe or
exiftool FAILS the tests (run `make sysdeps`): the independent reader is the point."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from aisec.label.carriers import _ebml, avi, flac, matroska, mp3, mp4, ogg, wav
from aisec.label.carriers.base import Carrier, CarrierError
from aisec.label.carriers.registry import carrier_for

PAYLOAD = (
    '{"AIGC":{"Label":"1","ContentProducer":"001191110108MA01KP2T5U00000",'
    '"ProduceID":"abc123","ReservedCode1":"","ContentPropagator":"","PropagateID":"",'
    '"ReservedCode2":""}}'
)
OTHER = PAYLOAD.replace('"Label":"1"', '"Label":"2"').replace("abc123", "def456")
LONG = '{"AIGC":{"Label":"1","ReservedCode1":"' + "S" * 4096 + '"}}'

VIDEO = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"]
AUDIO = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
TITLE = ["-metadata", "title=Hello"]
FRAGMENTED = ["-movflags", "frag_keyframe+empty_moov"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed; run `make sysdeps`", pytrace=False)
    return path


def _run(args: list[str]) -> bytes:
    return subprocess.run(args, capture_output=True, check=True, timeout=60).stdout


def _mp3_mutagen(path: Path) -> list[str]:
    return [str(t) for f in ID3(path).getall("TXXX") if f.desc == "AIGC" for t in f.text]


def _m4a_mutagen(path: Path) -> list[str]:
    tags = MP4(path).tags or {}
    return [bytes(v).decode() for v in tags.get("----:com.apple.iTunes:AIGC", [])]


@dataclass(frozen=True)
class Format:
    """A test medium: how ffmpeg makes it, which carrier and readers apply."""

    name: str
    filename: str
    ffmpeg: list[str]
    carrier: Carrier
    slots: int = 1  # label copies one write makes
    mutagen: Callable[[Path], list[str]] | None = None


FORMATS = [
    Format("mp4", "a.mp4", [*VIDEO, *AUDIO, "-c:v", "libx264", "-c:a", "aac"], mp4.CARRIER),
    Format(
        "mp4-faststart",
        "fs.mp4",
        [*VIDEO, *AUDIO, "-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart"],
        mp4.CARRIER,
    ),
    Format(
        "mp4-fragmented",  # moof/mdat fragments with absolute tfhd base offsets
        "frag.mp4",
        [*VIDEO, *AUDIO, "-c:v", "libx264", "-g", "3", "-c:a", "aac", *FRAGMENTED],
        mp4.CARRIER,
    ),
    Format("mov", "a.mov", [*VIDEO, *AUDIO, "-c:v", "mpeg4", "-c:a", "aac"], mp4.CARRIER),
    Format("m4a", "a.m4a", [*AUDIO, "-c:a", "aac"], mp4.CARRIER, mutagen=_m4a_mutagen),
    Format(
        "mkv", "a.mkv", [*VIDEO, *AUDIO, "-c:v", "libx264", "-c:a", "libvorbis"], matroska.CARRIER
    ),
    Format(
        "webm", "a.webm", [*VIDEO, *AUDIO, "-c:v", "libvpx", "-c:a", "libopus"], matroska.CARRIER
    ),
    Format(
        "webm-live",  # unknown-size segment and clusters, no Cues (made in _make)
        "live.webm",
        [*VIDEO, *AUDIO, "-c:v", "libvpx", "-c:a", "libopus", "-live", "1", "-f", "webm"],
        matroska.CARRIER,
    ),
    Format("avi", "a.avi", [*VIDEO, *AUDIO, "-c:v", "mpeg4", "-c:a", "libmp3lame"], avi.CARRIER, 2),
    Format("wav", "a.wav", [*AUDIO, "-c:a", "pcm_s16le"], wav.CARRIER, 2),
    Format("mp3", "a.mp3", [*AUDIO, "-c:a", "libmp3lame"], mp3.CARRIER, mutagen=_mp3_mutagen),
    Format(
        "mp3-id3v23",
        "v23.mp3",
        [*AUDIO, "-c:a", "libmp3lame", "-id3v2_version", "3"],
        mp3.CARRIER,
        mutagen=_mp3_mutagen,
    ),
    Format(
        "flac", "a.flac", [*AUDIO, "-c:a", "flac"], flac.CARRIER, mutagen=lambda p: FLAC(p)["AIGC"]
    ),
    Format(
        "ogg-vorbis",
        "a.ogg",
        [*AUDIO, "-c:a", "libvorbis"],
        ogg.CARRIER,
        mutagen=lambda p: OggVorbis(p)["AIGC"],
    ),
    Format(
        "ogg-opus",
        "a.opus",
        [*AUDIO, "-c:a", "libopus"],
        ogg.CARRIER,
        mutagen=lambda p: OggOpus(p)["AIGC"],
    ),
]
BY_NAME = {f.name: f for f in FORMATS}
NAMES = [f.name for f in FORMATS]


def _unknown_size_clusters(data: bytes) -> bytes:
    """Rewrite every Cluster header of a live WebM (unknown-size Segment, no Cues) to an
    unknown size, as a live encoder streaming clusters would."""
    magic = b"\x1f\x43\xb6\x75"
    first = data.index(magic)
    out, pos = bytearray(data[:first]), first
    while pos < len(data):
        assert data[pos : pos + 4] == magic
        width = next(w for w in range(1, 9) if data[pos + 4] & (0x80 >> (w - 1)))
        size = int.from_bytes(data[pos + 4 : pos + 4 + width], "big") & ((1 << (7 * width)) - 1)
        body = data[pos + 4 + width : pos + 4 + width + size]
        out += magic + b"\x01\xff\xff\xff\xff\xff\xff\xff" + body
        pos += 4 + width + size
    return bytes(out)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every test medium, made once per session."""
    ffmpeg = _tool("ffmpeg")
    folder = tmp_path_factory.mktemp("av-media")
    made = {}
    for fmt in FORMATS:
        target = folder / fmt.filename
        if fmt.name == "webm-live":
            data = _run([ffmpeg, "-v", "error", *fmt.ffmpeg, *TITLE, "-"])
            target.write_bytes(_unknown_size_clusters(data))
        else:
            _run([ffmpeg, "-v", "error", "-y", *fmt.ffmpeg, *TITLE, str(target)])
        made[fmt.name] = target
    return made


@pytest.fixture
def sample(
    request: pytest.FixtureRequest, media: dict[str, Path], tmp_path: Path
) -> tuple[Format, Path]:
    """(format, a private copy of its medium)."""
    fmt = BY_NAME[request.param]
    copy = tmp_path / fmt.filename
    shutil.copyfile(media[fmt.name], copy)
    return fmt, copy


def _label(fmt: Format, src: Path, payload: str | None, name: str) -> Path:
    dst = src.with_name(f"{name}{src.suffix}")
    fmt.carrier.write(src, dst, payload)
    return dst


def _ffprobe_tags(path: Path) -> dict[str, str]:
    out = _run(
        [
            _tool("ffprobe"),
            "-v",
            "error",
            "-show_entries",
            "format_tags:stream_tags",
            "-of",
            "json",
            str(path),
        ]
    )
    data = json.loads(out)
    tags: dict[str, str] = {}
    for stream in data.get("streams", []):
        tags.update({k.lower(): v for k, v in stream.get("tags", {}).items()})
    tags.update({k.lower(): v for k, v in data.get("format", {}).get("tags", {}).items()})
    return tags


def _exiftool_labels(path: Path) -> list[str]:
    """Values ExifTool reports for an AIGC tag (``-u`` shows RIFF INFO's unknown tag,
    ``-b`` its value; ID3 TXXX shows as ``UserDefinedText: (AIGC) value``)."""
    out = _run([_tool("exiftool"), "-j", "-a", "-G1", "-u", "-b", str(path)])
    found = []
    for key, value in json.loads(out)[0].items():
        text = str(value)
        if key.lower().endswith("aigc"):
            if text.startswith("base64:"):
                text = base64.b64decode(text[7:]).decode().rstrip("\x00")
            found.append(text)
        elif key.endswith(":UserDefinedText") and text.startswith("(AIGC) "):
            found.append(text[len("(AIGC) ") :])
    return found


def _decoded_hash(path: Path) -> tuple[bytes, bytes]:
    """Hashes of every decoded frame, and of the streams copied without decoding."""
    ffmpeg = _tool("ffmpeg")
    decoded = _run([ffmpeg, "-v", "error", "-i", str(path), "-map", "0", "-f", "framemd5", "-"])
    copied = _run(
        [
            ffmpeg,
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0",
            "-c",
            "copy",
            "-f",
            "streamhash",
            "-hash",
            "sha256",
            "-",
        ]
    )
    return decoded, copied


def _content(carrier: Carrier, path: Path) -> str:
    digest = hashlib.sha256()
    for piece in carrier.content(path):
        digest.update(piece)
    return digest.hexdigest()


@pytest.mark.parametrize("sample", NAMES, indirect=True)
def test_round_trip_replace_remove(sample: tuple[Format, Path]) -> None:
    fmt, src = sample
    assert fmt.carrier.read(src) == []
    one = _label(fmt, src, PAYLOAD, "one")
    assert [h.payload for h in fmt.carrier.read(one)] == [PAYLOAD] * fmt.slots
    two = _label(fmt, one, OTHER, "two")
    assert [h.payload for h in fmt.carrier.read(two)] == [OTHER] * fmt.slots
    gone = _label(fmt, two, None, "gone")
    assert fmt.carrier.read(gone) == []
    again = _label(fmt, one, PAYLOAD, "again")
    assert again.read_bytes() == _label(fmt, one, PAYLOAD, "again2").read_bytes()  # deterministic
    assert {h.carrier.split(":")[0] for h in fmt.carrier.read(one)} == {fmt.carrier.name}


@pytest.mark.parametrize("sample", NAMES, indirect=True)
def test_independent_readers_see_the_label(sample: tuple[Format, Path]) -> None:
    fmt, src = sample
    for payload in (PAYLOAD, LONG):
        labelled = _label(fmt, src, payload, "labelled")
        tags = _ffprobe_tags(labelled)
        assert tags.get("aigc") == payload, f"ffprobe sees {sorted(tags)}"
        assert payload in _exiftool_labels(labelled)
        if fmt.mutagen is not None:
            assert fmt.mutagen(labelled) == [payload]
    gone = _label(fmt, labelled, None, "gone")
    assert "aigc" not in _ffprobe_tags(gone)
    assert _exiftool_labels(gone) == []


@pytest.mark.parametrize("sample", NAMES, indirect=True)
def test_media_bit_identical_and_metadata_kept(sample: tuple[Format, Path]) -> None:
    fmt, src = sample
    before = _decoded_hash(src)
    labelled = _label(fmt, src, LONG, "labelled")
    assert _decoded_hash(labelled) == before
    assert _ffprobe_tags(labelled).get("title") == "Hello"
    gone = _label(fmt, labelled, None, "gone")
    assert _decoded_hash(gone) == before
    assert _ffprobe_tags(gone).get("title") == "Hello"


@pytest.mark.parametrize("sample", NAMES, indirect=True)
def test_content_digest_ignores_labels_and_sees_media(sample: tuple[Format, Path]) -> None:
    fmt, src = sample
    original = _content(fmt.carrier, src)
    one = _label(fmt, src, PAYLOAD, "one")
    two = _label(fmt, one, LONG, "two")
    gone = _label(fmt, two, None, "gone")
    assert {_content(fmt.carrier, p) for p in (one, two, gone)} == {original}
    # Flip one byte in the middle of the largest media piece: the digest must change.
    piece = max(fmt.carrier.content(src), key=len)
    probe = piece[len(piece) // 2 : len(piece) // 2 + 32]
    data = bytearray(src.read_bytes())
    at = data.find(probe)
    assert at > 0
    data[at] ^= 0x01
    src.write_bytes(bytes(data))
    assert _content(fmt.carrier, src) != original


def _corruptions(fmt: Format, data: bytes) -> dict[str, bytes]:
    """Damaged versions of a medium: cut in the middle, a foreign file under the same
    extension, and an impossible size field in the container structure."""
    cases = {"truncated": data[: len(data) // 2], "wrong magic": b"\x00garbage\x00" * 40}
    bad = bytearray(data)
    if fmt.carrier is mp4.CARRIER:
        at = data.index(b"trak") - 4  # a track box claiming more than its parent holds
        bad[at : at + 4] = b"\x7f\xff\xff\xff"
    elif fmt.carrier is matroska.CARRIER:
        at = (
            data.rindex(b"\x16\x54\xae\x6b") + 4
        )  # Tracks (not its SeekHead entry): a size past the end
        bad[at] = 0x01
        bad[at + 1 : at + 8] = b"\x00\xff\xff\xff\xff\xff\x00"
    elif fmt.carrier in (wav.CARRIER, avi.CARRIER):
        at = data.index(b"LIST") + 4  # the first list claims 2 GiB
        bad[at : at + 4] = b"\x00\x00\x00\x80"
    elif fmt.carrier is mp3.CARRIER:
        bad[6:10] = b"\x7f\x7f\x7f\x7f"  # ID3v2 size far past the end of the file
    elif fmt.carrier is flac.CARRIER:
        at = 4 + 4 + 34  # the block after STREAMINFO: length 16 MiB - 1
        bad[at + 1 : at + 4] = b"\xff\xff\xff"
    elif fmt.carrier is ogg.CARRIER:
        second = data.index(b"OggS", 4)  # the second page loses its capture pattern
        bad[second : second + 4] = b"Oggx"
    cases["bad size"] = bytes(bad)
    return cases


@pytest.mark.parametrize("sample", NAMES, indirect=True)
def test_damaged_files_raise_carrier_error_and_stay_untouched(sample: tuple[Format, Path]) -> None:
    fmt, src = sample
    for case, data in _corruptions(fmt, src.read_bytes()).items():
        bad = src.with_name(f"bad{src.suffix}")
        bad.write_bytes(data)
        carrier = carrier_for(bad) if case == "wrong magic" else fmt.carrier
        assert carrier.name == fmt.carrier.name, case
        for action in (
            lambda: carrier.read(bad),
            lambda: carrier.write(bad, bad.with_name(f"out{src.suffix}"), PAYLOAD),
            lambda: carrier.write(bad, bad.with_name(f"out{src.suffix}"), None),
            lambda: list(carrier.content(bad)),
        ):
            with pytest.raises(CarrierError) as info:
                action()
            assert str(bad) in str(info.value), case
        assert bad.read_bytes() == data, case


@pytest.mark.parametrize("name", NAMES)
def test_registry_picks_the_carrier_by_content(name: str, media: dict[str, Path]) -> None:
    assert carrier_for(media[name]).name == BY_NAME[name].carrier.name


# -- hostile files (found by fuzzing): a clear CarrierError, in bounded time and memory ----


def _avi_nested_lists(data: bytes) -> bytes:
    """``hdrl`` holding ``LIST strl`` nested 3,000 deep (Python's stack overflowed)."""
    at = data.index(b"LIST")
    (size,) = struct.unpack_from("<I", data, at + 4)
    blob = b"LIST\x04\0\0\0strl"
    for _ in range(3000):
        blob = b"LIST" + struct.pack("<I", 4 + len(blob)) + b"strl" + blob
    body = b"hdrl" + blob + data[at + 12 : at + 8 + size]
    out = data[:at] + b"LIST" + struct.pack("<I", len(body)) + body
    out += data[at + 8 + size + (size & 1) :]
    return out[:4] + struct.pack("<I", len(out) - 8) + out[8:]


def _mp3_empty_ape_tag(data: bytes) -> bytes:
    """An APEv2 footer whose tag size is 0 (the tag search looped for ever)."""
    return data + b"APETAGEX" + struct.pack("<IIII", 2000, 0, 0, 0) + bytes(8)


def _mkv_wide_seek_position(data: bytes) -> bytes:
    """The first SeekHead entry's SeekPosition is 9 bytes of 0xFF (no 8-byte position)."""
    seek_head = data.index(b"\x11\x4d\x9b\x74")
    _, size, header = _ebml.parse_header(data, seek_head) or (0, 0, 0)
    body = data[seek_head + header : seek_head + header + size]
    parts, done = [], False
    for eid, offset, h, s in _ebml.children(body):
        if eid != 0x4DBB or done:
            parts.append(body[offset : offset + h + s])
            continue
        fields = [
            (c, b"\xff" * 9 if c == 0x53AC else body[co + ch : co + ch + cs])
            for c, co, ch, cs in _ebml.children(body, offset + h, offset + h + s)
        ]
        parts.append(_ebml.element(0x4DBB, b"".join(_ebml.element(c, v) for c, v in fields)))
        done = True
    joined = b"".join(parts)
    new = _ebml.encode_id(0x114D9B74) + _ebml.encode_size(len(joined), header - 4) + joined
    void = seek_head + header + size  # the Void after the SeekHead takes up the growth
    _, void_size, void_header = _ebml.parse_header(data, void) or (0, 0, 0)
    grown = len(new) - header - size
    rest = data[void + void_header + void_size :]
    return data[:seek_head] + new + _ebml.void(void_header + void_size - grown) + rest


def _mkv_tag_of_voids(data: bytes) -> bytes:
    """A 2 MB Tag made of a million empty Voids (each child copied the rest: 25 s)."""
    tags = data.rindex(b"\x12\x54\xc3\x67")
    _, size, header = _ebml.parse_header(data, tags) or (0, 0, 0)
    body = (
        _ebml.element(0x7373, b"\xec\x80" * 1_000_000) + data[tags + header : tags + header + size]
    )
    new = _ebml.encode_id(0x1254C367) + _ebml.encode_size(len(body), 8) + body
    out = bytearray(data[:tags] + new + data[tags + header + size :])
    segment = out.index(b"\x18\x53\x80\x67")
    _, seg_size, seg_header = _ebml.parse_header(bytes(out), segment) or (0, 0, 0)
    grown = len(new) - header - size
    out[segment + 4 : segment + seg_header] = _ebml.encode_size(seg_size + grown, seg_header - 4)
    return bytes(out)


def _many_empty_boxes(data: bytes) -> bytes:
    """Half a million 8-byte ``free`` boxes (seconds and hundreds of MB to walk)."""
    return data + b"\0\0\0\x08free" * (4 << 20 >> 3)


def _many_empty_chunks(data: bytes) -> bytes:
    """Half a million empty ``JUNK`` chunks in the RIFF form."""
    body = data[12:] + b"JUNK\0\0\0\0" * (4 << 20 >> 3)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body


HOSTILE = {
    "avi nested lists": ("avi", _avi_nested_lists, "content"),
    "mp3 empty APE tag": ("mp3", _mp3_empty_ape_tag, "read"),
    "mkv wide seek position": ("mkv", _mkv_wide_seek_position, "write"),
    "mkv tag of voids": ("mkv", _mkv_tag_of_voids, "read"),
    "mp4 many boxes": ("mp4", _many_empty_boxes, "write"),
    "wav many chunks": ("wav", _many_empty_chunks, "write"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_raise_carrier_error(
    case: str, media: dict[str, Path], tmp_path: Path
) -> None:
    name, build, action = HOSTILE[case]
    fmt = BY_NAME[name]
    bad = tmp_path / f"bad{media[name].suffix}"
    bad.write_bytes(build(media[name].read_bytes()))
    assert carrier_for(bad).name == fmt.carrier.name
    with pytest.raises(CarrierError, match="bad"):
        if action == "read":
            fmt.carrier.read(bad)
        elif action == "write":
            fmt.carrier.write(bad, tmp_path / f"out{bad.suffix}", PAYLOAD)
        else:
            list(fmt.carrier.content(bad))


def test_a_fragment_header_without_base_offset_is_written(
    media: dict[str, Path], tmp_path: Path
) -> None:
    """A ``tfhd`` of 8 bytes ending its ``moof`` carries no base offset (it was an
    IndexError): the label is written and read back."""
    data = bytearray(media["mp4-fragmented"].read_bytes())
    tfhd = data.index(b"tfhd") - 4
    traf = data.rindex(b"traf", 0, tfhd) - 4
    moof = data.rindex(b"moof", 0, traf) - 4
    (old,) = struct.unpack_from(">I", data, moof)
    new = traf + 16 - moof  # moof ends after an 8-byte traf holding an 8-byte tfhd
    struct.pack_into(">I", data, moof, new)
    struct.pack_into(">I4s", data, traf, 16, b"traf")
    struct.pack_into(">I4s", data, tfhd, 8, b"tfhd")
    struct.pack_into(">I4s", data, moof + new, old - new, b"free")
    src, dst = tmp_path / "frag.mp4", tmp_path / "out.mp4"
    src.write_bytes(bytes(data))
    mp4.CARRIER.write(src, dst, PAYLOAD)
    assert [h.payload for h in mp4.CARRIER.read(dst)] == [PAYLOAD]
