"""Image carriers: round trip, ExifTool sees the label, pixels bit-identical, other metadata
kept, relabel/remove, conflicts, signatures, damaged files."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageSequence, PngImagePlugin

from aisec.label.carriers.base import CarrierError
from aisec.label.carriers.registry import carrier_for
from aisec.label.model import AigcLabel
from aisec.label.service import (
    COMPLIANT,
    INCONCLUSIVE,
    NONCOMPLIANT,
    NOT_FOUND,
    add_label,
    propagate_label,
    remove_label,
    verify_file,
)
from aisec.label.sign import Algorithm, load_signing_key, write_keypair

USCC = "91350100M000100Y43"  # valid GB 32100 check character
XMP_OTHER = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    b'xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:CreatorTool>KeepMe 1.0</xmp:CreatorTool>'
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _pattern(size: tuple[int, int] = (64, 48), mode: str = "RGB", seed: int = 0) -> Image.Image:
    n = size[0] * size[1] * len(mode)
    return Image.frombytes(mode, size, bytes((i * 7 + seed * 13 + i // 64) % 256 for i in range(n)))


def _frames(path: Path) -> list[Any]:
    with Image.open(path) as im:
        return [
            (f.mode, f.size, hashlib.sha256(f.tobytes()).hexdigest())
            for f in ImageSequence.Iterator(im)
        ]


def _frames_of_bytes(tmp_path: Path, fmt: Fmt, data: bytes) -> list[Any]:
    copy = tmp_path / f"orig-copy{fmt.suffix}"
    copy.write_bytes(data)
    return _frames(copy)


def make_png(path: Path, seed: int = 0) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "keep me")
    _pattern(seed=seed).save(path, pnginfo=info)


def make_png_rgba(path: Path, seed: int = 0) -> None:
    _pattern(mode="RGBA", seed=seed).save(path)


def make_jpeg(path: Path, seed: int = 0) -> None:
    exif = Image.Exif()
    exif[0x010E] = "keep me"
    _pattern(seed=seed).save(path, exif=exif, quality=90)


def make_jpeg_xmp(path: Path, seed: int = 0) -> None:
    _pattern(seed=seed).save(path, xmp=XMP_OTHER, progressive=True)


def make_webp_lossy(path: Path, seed: int = 0) -> None:
    _pattern(seed=seed).save(path, quality=80)  # simple format: VP8 only


def make_webp_lossless_alpha(path: Path, seed: int = 0) -> None:
    _pattern(mode="RGBA", seed=seed).save(path, lossless=True)  # simple format: VP8L only


def make_webp_exif(path: Path, seed: int = 0) -> None:
    exif = Image.Exif()
    exif[0x010E] = "keep me"
    _pattern(seed=seed).save(path, exif=exif, xmp=XMP_OTHER, lossless=True)


def make_webp_animated(path: Path, seed: int = 0) -> None:
    frames = [_pattern(seed=seed + k) for k in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


def make_gif(path: Path, seed: int = 0) -> None:
    frames = [_pattern(seed=seed + k).convert("P") for k in range(3)]
    frames[0].save(
        path, save_all=True, append_images=frames[1:], duration=80, loop=0, comment=b"keep me"
    )


def make_gif87(path: Path, seed: int = 0) -> None:
    _pattern(seed=seed).convert("P").save(path)
    assert path.read_bytes()[:6] == b"GIF87a"


def make_tiff(path: Path, seed: int = 0) -> None:
    _pattern(seed=seed).save(path, tiffinfo={270: "keep me"})


def make_tiff_be_multipage(path: Path, seed: int = 0) -> None:
    frames = [_pattern(seed=seed + k) for k in range(2)]
    frames[0].save(
        path,
        save_all=True,
        append_images=frames[1:],
        compression="tiff_lzw",
        tiffinfo={305: "KeepSoft"},
    )


@dataclass(frozen=True)
class Fmt:
    name: str
    suffix: str
    make: Callable[[Path, int], None]
    tags: tuple[str, ...]  # ExifTool tags that must show the label
    kept: tuple[str, str]  # (ExifTool tag, value) of other metadata that must survive
    restores: bool = True  # add + remove gives back the original bytes


FORMATS = [
    Fmt("png", ".png", make_png, ("PNG:AIGC", "XMP-TC260:Aigc"), ("PNG:Comment", "keep me")),
    Fmt("png-rgba", ".png", make_png_rgba, ("PNG:AIGC", "XMP-TC260:Aigc"), ("PNG:ColorType", "RGB with Alpha")),
    Fmt("jpeg", ".jpg", make_jpeg, ("XMP-TC260:Aigc",), ("IFD0:ImageDescription", "keep me")),
    Fmt("jpeg-xmp", ".jpg", make_jpeg_xmp, ("XMP-TC260:Aigc",), ("XMP-xmp:CreatorTool", "KeepMe 1.0")),
    Fmt("webp-vp8", ".webp", make_webp_lossy, ("XMP-TC260:Aigc",), ("RIFF:ImageWidth", 64)),
    Fmt("webp-vp8l-alpha", ".webp", make_webp_lossless_alpha, ("XMP-TC260:Aigc",), ("RIFF:ImageHeight", 48)),
    Fmt("webp-exif-xmp", ".webp", make_webp_exif, ("XMP-TC260:Aigc",), ("XMP-xmp:CreatorTool", "KeepMe 1.0")),
    Fmt("webp-animated", ".webp", make_webp_animated, ("XMP-TC260:Aigc",), ("RIFF:AnimationLoopCount", "inf")),
    Fmt("gif", ".gif", make_gif, ("XMP-TC260:Aigc",), ("File:Comment", "keep me")),
    Fmt("gif87a", ".gif", make_gif87, ("XMP-TC260:Aigc",), ("GIF:ImageWidth", 64), restores=False),
    Fmt("tiff", ".tif", make_tiff, ("XMP-TC260:Aigc",), ("IFD0:ImageDescription", "keep me"), restores=False),
    Fmt("tiff-lzw-2pages", ".tif", make_tiff_be_multipage, ("XMP-TC260:Aigc",), ("IFD0:Software", "KeepSoft"), restores=False),
]  # fmt: skip
IDS = [f.name for f in FORMATS]


@pytest.fixture(params=FORMATS, ids=IDS)
def fmt(request: pytest.FixtureRequest) -> Fmt:
    return request.param  # type: ignore[no-any-return]


def _file(tmp_path: Path, fmt: Fmt, name: str = "img", seed: int = 0) -> Path:
    path = tmp_path / f"{name}{fmt.suffix}"
    fmt.make(path, seed)
    return path


def test_round_trip_independent_reader_pixels_and_metadata(
    tmp_path: Path, fmt: Fmt, sample_label: AigcLabel, exif_tags: Callable[[Path], dict[str, Any]]
) -> None:
    path = _file(tmp_path, fmt)
    before = _frames(path)
    carrier = carrier_for(path)
    digest = hashlib.sha256(b"".join(carrier.content(path))).hexdigest()
    assert exif_tags(path)[fmt.kept[0]] == fmt.kept[1]

    add_label(path, sample_label)

    result = verify_file(path)
    assert result.verdict == COMPLIANT, result.problems
    assert result.label == sample_label
    assert result.format == carrier.name
    tags = exif_tags(path)
    for tag in fmt.tags:
        assert json.loads(tags[tag]) == sample_label.as_dict(), tag
    assert tags[fmt.kept[0]] == fmt.kept[1]  # other metadata kept
    assert not any("Warning" in k for k in tags), tags
    assert _frames(path) == before  # decoded pixels bit-identical
    assert hashlib.sha256(b"".join(carrier.content(path))).hexdigest() == digest


def test_relabel_replaces_and_remove_restores(
    tmp_path: Path, fmt: Fmt, sample_label: AigcLabel, exif_tags: Callable[[Path], dict[str, Any]]
) -> None:
    path = _file(tmp_path, fmt)
    original = path.read_bytes()
    add_label(path, sample_label)
    first = verify_file(path)
    second_label = AigcLabel("3", "ACME", "other-id")
    add_label(path, second_label)
    second = verify_file(path)
    assert second.verdict == COMPLIANT
    assert second.label == second_label
    assert len(second.copies) == len(first.copies)  # replaced, not duplicated
    remove_label(path)
    assert verify_file(path).verdict == NOT_FOUND
    assert not any(k.endswith(":Aigc") or k.endswith(":AIGC") for k in exif_tags(path))
    if fmt.restores:
        assert path.read_bytes() == original  # add + remove leaves the file as it was
    else:
        assert _frames(path) == _frames_of_bytes(tmp_path, fmt, original)


def test_out_leaves_source_alone(tmp_path: Path, fmt: Fmt, sample_label: AigcLabel) -> None:
    path = _file(tmp_path, fmt)
    original = path.read_bytes()
    out = tmp_path / "out" / f"copy{fmt.suffix}"
    add_label(path, sample_label, out=out)
    assert path.read_bytes() == original
    assert verify_file(out).label == sample_label
    assert not list(tmp_path.rglob("*.aisec-tmp"))


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_signatures(
    tmp_path: Path, fmt: Fmt, algorithm: Algorithm, sample_label: AigcLabel
) -> None:
    producer = load_signing_key(write_keypair(algorithm, tmp_path / "producer")[0])
    platform = load_signing_key(write_keypair(Algorithm.sm2, tmp_path / "platform")[0])
    path = _file(tmp_path, fmt)
    assert verify_file(path).verdict == NOT_FOUND
    add_label(path, sample_label)
    unsigned = verify_file(path)
    assert unsigned.signature == "unsigned" and unsigned.verdict == COMPLIANT
    assert verify_file(path, [producer.public]).verdict == NONCOMPLIANT  # key given, no signature

    signed = add_label(path, sample_label, key=producer)
    ok = verify_file(path, [producer.public])
    assert (ok.verdict, ok.signature) == (COMPLIANT, "valid")

    # propagate: producer's fields and signature untouched, the platform's signature valid
    propagated = propagate_label(path, "PLATFORM-" + USCC, "upload-1", key=platform)
    for name in ("Label", "ContentProducer", "ProduceID", "ReservedCode1"):
        assert propagated.as_dict()[name] == signed.as_dict()[name]
    after = verify_file(path)
    assert after.verdict == COMPLIANT
    assert after.signatures == {"ReservedCode1": "valid", "ReservedCode2": "valid"}

    carrier = carrier_for(path)
    # tampered payload: the same label on an image with different pixels
    other = _file(tmp_path, fmt, "other", seed=1)
    forged = tmp_path / f"forged{fmt.suffix}"
    carrier.write(other, forged, signed.to_json())
    bad = verify_file(forged)
    assert (bad.verdict, bad.signature) == (NONCOMPLIANT, "invalid")
    assert "content or the label fields changed" in " ".join(bad.problems)
    # tampered field
    edited = tmp_path / f"edited{fmt.suffix}"
    carrier.write(path, edited, signed.with_fields(produce_id="job-9999").to_json())
    assert verify_file(edited).signature == "invalid"


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_truncated_file_is_refused_and_untouched(
    tmp_path: Path, fmt: Fmt, sample_label: AigcLabel
) -> None:
    path = _file(tmp_path, fmt)
    _truncate(path)
    damaged = path.read_bytes()
    with pytest.raises(CarrierError, match=r"truncated|no EOI|no IEND") as err:
        add_label(path, sample_label)
    assert str(path) in str(err.value) and "was not changed" in str(err.value)
    assert path.read_bytes() == damaged
    assert not list(tmp_path.glob(".*aisec-tmp"))
    result = verify_file(path)
    assert result.verdict == INCONCLUSIVE and result.error


def test_jpeg_without_eoi(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "a.jpg"
    make_jpeg(path)
    path.write_bytes(path.read_bytes()[:-2])
    with pytest.raises(CarrierError, match="without an EOI marker"):
        add_label(path, sample_label)


def test_jpeg_keeps_bytes_after_eoi(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "motion.jpg"
    make_jpeg(path)
    trailer = b"ftypmp42-appended-video-bytes"
    path.write_bytes(path.read_bytes() + trailer)
    add_label(path, sample_label)
    assert path.read_bytes().endswith(trailer)
    assert verify_file(path).verdict == COMPLIANT


# --- PNG specifics: shapes in the wild, duplicates, conflicts -----------------------------


def _png_add_text(path: Path, key: str, value: str) -> None:
    """Insert a tEXt chunk before IEND (as another tool would)."""
    data = path.read_bytes()
    body = b"tEXt" + key.encode() + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    path.write_bytes(data[:-12] + chunk + data[-12:])


def test_png_wild_shapes_duplicates_and_conflicts(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "wild.png"
    make_png(path)
    _png_add_text(path, "AIGC", json.dumps({"AIGC": sample_label.as_dict()}))
    wild = verify_file(path)
    assert wild.verdict == COMPLIANT and wild.label == sample_label
    assert wild.copies[0].shape == "wrapped" and wild.notes

    dup = tmp_path / "dup.png"
    shutil.copy(path, dup)
    _png_add_text(dup, "AIGC", sample_label.to_json())
    _png_add_text(dup, "AIGC", sample_label.to_json())
    result = verify_file(dup)
    assert result.verdict == NONCOMPLIANT
    assert any("duplicate" in p for p in result.problems)

    conflict = tmp_path / "conflict.png"
    make_png(conflict)
    add_label(conflict, sample_label)
    _png_add_text(conflict, "AIGC", AigcLabel("2", "SOMEONE-ELSE", "x").to_json())
    result = verify_file(conflict)
    assert result.verdict == NONCOMPLIANT
    assert any("conflicting labels" in p for p in result.problems)
    assert [c.carrier for c in result.copies] == ["png:iTXt", "png:xmp", "png:tEXt"]
    # relabelling cleans both up
    add_label(conflict, sample_label)
    assert verify_file(conflict).verdict == COMPLIANT
    assert len(verify_file(conflict).copies) == 2

    bad = tmp_path / "bad.png"
    make_png(bad)
    _png_add_text(bad, "AIGC", '{"Label":"7"}')
    result = verify_file(bad)
    assert result.verdict == NONCOMPLIANT and result.copies[0].error


def test_png_crc_error_is_reported(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "crc.png"
    make_png(path)
    add_label(path, sample_label)
    data = bytearray(path.read_bytes())
    at = data.index(b"iTXtAIGC") + 10
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    result = verify_file(path)
    assert result.verdict == INCONCLUSIVE and "CRC mismatch" in result.problems[0]
    add_label(path, sample_label)  # relabelling replaces the damaged chunk
    assert verify_file(path).verdict == COMPLIANT


def test_not_an_image(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "fake.png"
    path.write_bytes(b"this is not a png at all")
    with pytest.raises(CarrierError, match="not a PNG file"):
        add_label(path, sample_label)
    other = tmp_path / "data.bin"
    other.write_bytes(b"\x00\x01\x02")
    with pytest.raises(CarrierError, match="not a supported format"):
        add_label(other, sample_label)
