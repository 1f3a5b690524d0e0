"""Hostile image and document files, found by fuzzing the carriers: each gets a clear
`CarrierError` (or is read as it should be), in bounded time and memory, instead of
another exception, a hang or a blow-up. The audio and video ones are in
``test_av_carriers``."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pikepdf
import pytest
from label_samples import noise
from test_documents import make_office, make_pdf

from aisec.label.carriers.base import CarrierError
from aisec.label.carriers.jpeg import _segment
from aisec.label.carriers.png import _chunk_bytes
from aisec.label.carriers.registry import carrier_for

PAYLOAD = '{"AIGC":{"Label":"1","ContentProducer":"001191110108MA01KP2T5U00000"}}'
CUSTOM = (
    '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/'
    '2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
    'docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" '
    'name="Other"><vt:lpwstr>x</vt:lpwstr></property></Properties>'
)
XMP_HEAD = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _office(tmp_path: Path) -> bytes:
    src = tmp_path / "doc.docx"
    make_office(src, custom=CUSTOM)
    return src.read_bytes()


def _image(tmp_path: Path, name: str, **save: object) -> bytes:
    path = tmp_path / name
    noise((40, 30)).save(path, **save)  # type: ignore[arg-type]
    return path.read_bytes()


def _with_app1(jpeg: bytes, body: bytes) -> bytes:
    """``jpeg`` with an APP1 segment holding ``body`` right after its SOI."""
    return jpeg[:2] + _segment(0xE1, body) + jpeg[2:]


def test_zip_errors_of_an_office_package_are_carrier_errors(tmp_path: Path) -> None:
    data = bytearray(_office(tmp_path))
    at = next(
        m.start()
        for m in re.finditer(rb"PK\x01\x02", data)
        if data[m.start() + 46 :].startswith(b"docProps/custom.xml")
    )
    data[at + 10 : at + 12] = b"\x63\x00"  # compression method 99: NotImplementedError
    bad = _write(tmp_path / "bad.docx", bytes(data))
    with pytest.raises(CarrierError, match=r"bad\.docx.*custom\.xml"):
        carrier_for(bad).read(bad)


def test_unclosed_property_tags_are_read_in_linear_time(tmp_path: Path) -> None:
    """20,000 ``<property `` with no ``>`` in custom.xml (30 s before, on 200 KB)."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(_office(tmp_path)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/custom.xml":
                data = data.replace(b"</Properties>", b"<property " * 20000 + b"</Properties>")
            z.writestr(info, data)
    bad = _write(tmp_path / "bad.docx", out.getvalue())
    assert carrier_for(bad).read(bad) == []


def test_pdf_names_that_are_not_utf8_and_deep_object_chains_are_digested(
    tmp_path: Path,
) -> None:
    make_pdf(tmp_path / "doc.pdf")
    pdf = pikepdf.open(tmp_path / "doc.pdf")
    link = pdf.make_indirect(pikepdf.Dictionary(Leaf=1))
    for _ in range(3000):  # a chain deeper than Python's stack
        link = pdf.make_indirect(pikepdf.Dictionary(Next=link))
    pdf.pages[0].obj["/Chain"] = link
    pdf.save(tmp_path / "deep.pdf")
    deep = tmp_path / "deep.pdf"
    assert sum(map(len, carrier_for(deep).content(deep))) > 3000
    data = (tmp_path / "doc.pdf").read_bytes().replace(b"/Contents", b"/Con\xffents", 1)
    odd = _write(tmp_path / "odd.pdf", data)  # a key that is not UTF-8
    assert sum(map(len, carrier_for(odd).content(odd))) > 0


def test_pdf_metadata_that_cannot_be_decoded_is_a_carrier_error(tmp_path: Path) -> None:
    make_pdf(tmp_path / "doc.pdf")
    pdf = pikepdf.open(tmp_path / "doc.pdf")
    pdf.Root.Metadata.write(b"not zlib", filter=pikepdf.Name.FlateDecode)
    pdf.save(tmp_path / "bad.pdf", fix_metadata_version=False)
    bad = tmp_path / "bad.pdf"
    with pytest.raises(CarrierError, match="XMP metadata stream cannot be decoded"):
        carrier_for(bad).read(bad)


def test_a_webp_of_zero_width_is_a_carrier_error(tmp_path: Path) -> None:
    data = _image(tmp_path, "a.webp", quality=80)
    at = data.index(b"VP8 ") + 8  # the key frame's width: 0
    bad = _write(tmp_path / "bad.webp", data[: at + 6] + b"\0\0" + data[at + 8 :])
    with pytest.raises(CarrierError, match="0x"):
        carrier_for(bad).write(bad, tmp_path / "out.webp", PAYLOAD)


def _alias_bomb() -> bytes:
    """Nine levels of nine aliases: 387 million strings once written out."""
    lines = [b'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        lines.append(b"a%d: &a%d [" % (i, i) + b",".join([b"*a%d" % (i - 1)] * 9) + b"]")
    return b"\n".join([*lines, b"AIGC: *a8"])


@pytest.mark.parametrize(
    "front",
    [
        b"date: 2020-02-30",  # well-formed YAML, impossible date: ValueError
        b"x: " + b"[" * 1000 + b"]" * 1000,  # nested deeper than the stack
        _alias_bomb(),
    ],
    ids=["impossible date", "deep nesting", "alias bomb"],
)
def test_hostile_markdown_front_matter_is_a_carrier_error(tmp_path: Path, front: bytes) -> None:
    bad = _write(tmp_path / "bad.md", b"---\n" + front + b"\n---\nbody\n")
    with pytest.raises(CarrierError, match="front matter"):
        carrier_for(bad).read(bad)


def test_a_png_text_chunk_that_inflates_too_far_is_a_carrier_error(tmp_path: Path) -> None:
    data = _image(tmp_path, "a.png")
    bomb = _chunk_bytes(b"zTXt", b"AIGC\0\0" + zlib.compress(b"A" * (32 << 20), 9))
    bad = _write(tmp_path / "bad.png", data[:33] + bomb + data[33:])
    with pytest.raises(CarrierError, match="inflates to more than"):
        carrier_for(bad).read(bad)


def test_overlapping_tiff_directories_are_a_carrier_error(tmp_path: Path) -> None:
    """3,000 IFDs 12 bytes apart, each claiming 20,000 entries (276 KB; 18 s before)."""
    n, count = 3000, 20000
    data = bytearray(8 + 12 * n + 2 + 12 * count + 20)
    data[:8] = b"II*\0" + struct.pack("<I", 8)
    for i in range(n):
        struct.pack_into("<H", data, 8 + 12 * i, count)
        following = 8 + 12 * (i + 1) if i + 1 < n else 0
        struct.pack_into("<I", data, 8 + 12 * i + 2 + 12 * count, following)
    bad = _write(tmp_path / "bad.tiff", bytes(data))
    with pytest.raises(CarrierError, match="overlap"):
        carrier_for(bad).read(bad)


def test_jpeg_xmp_over_one_segment_and_comments_full_of_tags(tmp_path: Path) -> None:
    data = _image(tmp_path, "a.jpg", quality=90)
    xmp = XMP_HEAD + b'<rdf:Description rdf:about=""/></rdf:RDF></x:xmpmeta>'
    body = b"http://ns.adobe.com/xap/1.0/\0" + xmp + b" " * (63000 - len(xmp))
    big = _write(tmp_path / "big.jpg", _with_app1(data, body))
    long = PAYLOAD.replace('"Label":"1"', '"Label":"1","ReservedCode1":"' + "S" * 4096 + '"')
    with pytest.raises(CarrierError, match="64 KiB"):
        carrier_for(big).write(big, tmp_path / "out.jpg", long)
    # a comment holding thousands of label openings is no label, and is read in linear time
    described = b'<rdf:Description rdf:about="" xmlns:T="http://www.tc260.org.cn/ns/AIGC/1.0/">'
    xmp = XMP_HEAD + described + b"<T:AIGC>x</T:AIGC></rdf:Description><!--"
    xmp += b"<T:AIGC " * 7000 + b"--></rdf:RDF></x:xmpmeta>"
    odd = _write(tmp_path / "odd.jpg", _with_app1(data, b"http://ns.adobe.com/xap/1.0/\0" + xmp))
    carrier = carrier_for(odd)
    carrier.write(odd, tmp_path / "out.jpg", PAYLOAD)
    assert PAYLOAD in [h.payload for h in carrier.read(tmp_path / "out.jpg")]
