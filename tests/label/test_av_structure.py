"""Audio/video carriers, format by format: the structures around the label are fixed up
correctly (MP4 chunk offsets, AVI JUNK and movi, Matroska SeekHead), and neighbouring
metadata (ID3 version, ID3v1, duplicate comments) is handled as documented.

Media are made with ffmpeg per module; a missing tool FAILS (run `make sysdeps`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3

from aisec.label.carriers import avi, flac, matroska, mp3, mp4
from aisec.label.carriers.base import CarrierError

PAYLOAD = '{"AIGC":{"Label":"1","ContentProducer":"001191110108MA01KP2T5U00000","ProduceID":"abc123","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}}'
OTHER = PAYLOAD.replace("abc123", "def456")
LONG = '{"AIGC":{"Label":"1","ReservedCode1":"' + "S" * 4096 + '"}}'

VIDEO = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"]
AUDIO = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
MEDIA = {
    "fs.mp4": [*VIDEO, *AUDIO, "-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart"],
    "a.avi": [*VIDEO, *AUDIO, "-c:v", "mpeg4", "-c:a", "libmp3lame", "-metadata", "title=Hi"],
    "a.flac": [*AUDIO, "-c:a", "flac"],
    "mdta.mp4": [
        *VIDEO,
        *AUDIO,
        *("-c:v", "libx264", "-c:a", "aac", "-movflags", "use_metadata_tags+faststart"),
        *("-metadata", f"AIGC={PAYLOAD}", "-metadata", "title=Hi"),
    ],
    "a.mkv": [*VIDEO, "-c:v", "libx264"],
    "v1.mp3": [*AUDIO, "-c:a", "libmp3lame", "-write_id3v1", "1", "-metadata", "title=Hi"],
    "v23.mp3": [*AUDIO, "-c:a", "libmp3lame", "-id3v2_version", "3", "-metadata", "title=Hi"],
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed; run `make sysdeps`", pytrace=False)
    return path


def _run(args: list[str]) -> bytes:
    return subprocess.run(args, capture_output=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("av-structure")
    for name, args in MEDIA.items():
        _run([_tool("ffmpeg"), "-v", "error", "-y", *args, str(folder / name)])
    return {name: folder / name for name in MEDIA}


def _decoded(path: Path) -> bytes:
    return _run(
        [_tool("ffmpeg"), "-v", "error", "-i", str(path), "-map", "0", "-f", "framemd5", "-"]
    )


def _format_tag(path: Path, name: str) -> str | None:
    args = ["-v", "error", "-show_entries", f"format_tags={name}", "-of", "default=nw=1:nk=1"]
    return _run([_tool("ffprobe"), *args, str(path)]).decode().strip() or None


def _label_in_ffprobe(path: Path) -> str | None:
    return _format_tag(path, "AIGC")


def test_faststart_mp4_moves_media_and_fixes_chunk_offsets(
    media: dict[str, Path], tmp_path: Path
) -> None:
    src = media["fs.mp4"]
    data = src.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    dst = tmp_path / "labelled.mp4"
    mp4.CARRIER.write(src, dst, LONG)
    out = dst.read_bytes()
    assert out.index(b"moov") < out.index(b"mdat")
    assert out.index(b"mdat") > data.index(b"mdat")  # the media moved ...
    assert _decoded(dst) == _decoded(src)  # ... and stco/co64 follow it


def test_avi_label_uses_junk_then_moves_movi(media: dict[str, Path], tmp_path: Path) -> None:
    """ffmpeg reserves 1 KiB of JUNK before 'movi': a small label fits in place; a long
    one moves the media list (legacy idx1 offsets are relative, so nothing else moves)."""
    src = media["a.avi"]
    small, large = tmp_path / "small.avi", tmp_path / "large.avi"
    avi.CARRIER.write(src, small, PAYLOAD)
    avi.CARRIER.write(src, large, LONG)
    movi = src.read_bytes().index(b"movi")
    assert small.read_bytes().index(b"movi") == movi
    assert len(small.read_bytes()) == len(src.read_bytes())
    assert large.read_bytes().index(b"movi") > movi
    for path in (small, large):
        assert _decoded(path) == _decoded(src)
    assert _label_in_ffprobe(large) == LONG


def test_avi_with_opendml_index_is_refused_when_movi_would_move(
    media: dict[str, Path], tmp_path: Path
) -> None:
    """An OpenDML 'indx' holds absolute offsets into the file: the label must fit in the
    JUNK reserve, or the file is refused rather than broken."""
    data = bytearray(media["a.avi"].read_bytes())
    at = data.index(b"JUNK", data.index(b"strl"))  # ffmpeg's placeholder for 'indx'
    data[at : at + 4] = b"indx"
    src = tmp_path / "odml.avi"
    src.write_bytes(bytes(data))
    avi.CARRIER.write(src, tmp_path / "small.avi", PAYLOAD)
    assert [h.payload for h in avi.CARRIER.read(tmp_path / "small.avi")] == [PAYLOAD] * 2
    with pytest.raises(CarrierError, match="OpenDML"):
        avi.CARRIER.write(src, tmp_path / "large.avi", LONG)
    assert src.read_bytes() == bytes(data)


def test_mp4_quicktime_keys_are_edited_in_place(media: dict[str, Path], tmp_path: Path) -> None:
    """ffmpeg's ``use_metadata_tags`` stores ``AIGC`` as a QuickTime 'mdta' key: the key
    is read and rewritten as a key (not duplicated as an iTunes item), the other keys
    keep their values, and with moov before mdat the chunk offsets follow the media."""
    src = media["mdta.mp4"]
    data = src.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    assert [(h.carrier, h.payload) for h in mp4.CARRIER.read(src)] == [("mp4:keys", PAYLOAD)]
    original = _decoded(src)
    for payload in (OTHER, LONG, None):
        out = tmp_path / "out.mp4"
        mp4.CARRIER.write(src, out, payload)
        expected = [] if payload is None else [("mp4:keys", payload)]
        assert [(h.carrier, h.payload) for h in mp4.CARRIER.read(out)] == expected
        assert _label_in_ffprobe(out) == payload
        assert _format_tag(out, "title") == "Hi"
        assert _decoded(out) == original
        src = out.rename(tmp_path / f"prev-{len(payload or '')}.mp4")


def _ebml(data: bytes, pos: int) -> tuple[int, int, int]:
    """(id, size, header length) of the element at ``pos`` — a reader written for the
    test, independent of the carrier's."""
    id_len = 1 + next(i for i in range(4) if data[pos] & (0x80 >> i))
    size_len = 1 + next(i for i in range(8) if data[pos + id_len] & (0x80 >> i))
    size = int.from_bytes(data[pos + id_len : pos + id_len + size_len], "big")
    size &= (1 << (7 * size_len)) - 1
    return int.from_bytes(data[pos : pos + id_len], "big"), size, id_len + size_len


def _seek_targets(path: Path) -> list[tuple[int, int | None]]:
    """For each SeekHead entry: (SeekID, id of the element found at SeekPosition)."""
    data = path.read_bytes()
    _, size, header = _ebml(data, 0)
    seg_id, _, seg_header = _ebml(data, header + size)
    assert seg_id == 0x18538067
    start = header + size + seg_header
    head_id, head_size, head_header = _ebml(data, start)
    assert head_id == 0x114D9B74
    found = []
    pos = start + head_header
    while pos < start + head_header + head_size:
        eid, esize, eheader = _ebml(data, pos)
        if eid == 0x4DBB:
            fields = {}
            inner = pos + eheader
            while inner < pos + eheader + esize:
                fid, fsize, fheader = _ebml(data, inner)
                fields[fid] = data[inner + fheader : inner + fheader + fsize]
                inner += fheader + fsize
            target = start + int.from_bytes(fields[0x53AC], "big")
            found.append((int.from_bytes(fields[0x53AB], "big"), _ebml(data, target)[0]))
        pos += eheader + esize
    return found


def _without_tags(src: Path, dst: Path) -> None:
    """A copy whose Tags element is overwritten by a Void of the same size."""
    data = bytearray(src.read_bytes())
    at = data.rindex(b"\x12\x54\xc3\x67")
    _, size, header = _ebml(bytes(data), at)
    total = header + size
    data[at : at + total] = b"\xec\x01" + (total - 9).to_bytes(7, "big") + bytes(total - 9)
    dst.write_bytes(bytes(data))


def test_matroska_seekhead_points_at_every_element(media: dict[str, Path], tmp_path: Path) -> None:
    """A file without Tags gets one and a Seek entry for it; removing the label drops
    both; the clusters move only when the head outgrows its Void space."""
    bare = tmp_path / "bare.mkv"
    _without_tags(media["a.mkv"], bare)
    assert matroska.CARRIER.read(bare) == []
    for payload, name in ((PAYLOAD, "small.mkv"), (LONG, "large.mkv")):
        labelled = tmp_path / name
        matroska.CARRIER.write(bare, labelled, payload)
        targets = _seek_targets(labelled)
        assert all(seek_id == found for seek_id, found in targets), targets
        assert 0x1254C367 in {seek_id for seek_id, _ in targets}
        assert _label_in_ffprobe(labelled) == payload
        assert _decoded(labelled) == _decoded(bare)
        gone = tmp_path / f"gone-{name}"
        matroska.CARRIER.write(labelled, gone, None)
        targets = _seek_targets(gone)
        assert all(seek_id == found for seek_id, found in targets), targets
        assert 0x1254C367 not in {seek_id for seek_id, _ in targets}
        assert _decoded(gone) == _decoded(bare)
    cluster = b"\x1f\x43\xb6\x75"
    small, large = (tmp_path / n for n in ("small.mkv", "large.mkv"))
    assert small.read_bytes().index(cluster) == bare.read_bytes().index(cluster)
    assert large.read_bytes().index(cluster) > bare.read_bytes().index(cluster)


def test_mp3_keeps_id3v1_and_the_id3v2_version(media: dict[str, Path], tmp_path: Path) -> None:
    v1 = media["v1.mp3"]
    assert v1.read_bytes()[-128:-125] == b"TAG"
    out = tmp_path / "v1.mp3"
    mp3.CARRIER.write(v1, out, PAYLOAD)
    assert out.read_bytes()[-128:] == v1.read_bytes()[-128:]
    v23 = media["v23.mp3"]
    assert ID3(v23).version[:2] == (2, 3)
    out = tmp_path / "v23.mp3"
    mp3.CARRIER.write(v23, out, PAYLOAD)
    tag = ID3(out)
    assert tag.version[:2] == (2, 3)
    assert str(tag["TIT2"]) == "Hi"
    assert [h.payload for h in mp3.CARRIER.read(out)] == [PAYLOAD]


def test_duplicate_labels_are_all_reported(media: dict[str, Path], tmp_path: Path) -> None:
    """A Vorbis comment may hold the key twice (in any case); both copies are reported,
    and a write leaves exactly one."""
    src = tmp_path / "dup.flac"
    shutil.copyfile(media["a.flac"], src)
    tags = FLAC(src)
    tags["aigc"] = [PAYLOAD, OTHER]
    tags.save()
    assert [h.payload for h in flac.CARRIER.read(src)] == [PAYLOAD, OTHER]
    dst = tmp_path / "one.flac"
    flac.CARRIER.write(src, dst, PAYLOAD)
    assert [h.payload for h in flac.CARRIER.read(dst)] == [PAYLOAD]


def test_matroska_cues_remap_positions_and_stop_at_the_format_nesting() -> None:
    from aisec.label.carriers import _ebml

    def el(eid: int, *parts: bytes) -> bytes:
        return _ebml.element(eid, b"".join(parts))

    pos = (1000).to_bytes(8, "big")
    point = el(0xBB, el(0xB3, b"\x01"), el(0xB7, el(0xF7, b"\x01"), el(0xF1, pos)))
    rebuilt = matroska._rebuild_cues(point, lambda old: old + 5)
    assert (1005).to_bytes(8, "big") in rebuilt and pos not in rebuilt
    # cue points in cue points, 5,000 deep: copied as they are, not followed
    deep = el(0xF1, pos)
    for _ in range(5000):
        deep = el(0xBB, deep)
    assert pos in matroska._rebuild_cues(deep, lambda old: old + 5)
