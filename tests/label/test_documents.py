"""Document carriers: PDF (Info + XMP), DOCX/XLSX/PPTX (custom property), Markdown
(front matter) — round trip, independent readers, content unchanged, damaged input."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest

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

TC260 = "{http://www.tc260.org.cn/ns/AIGC/1.0/}AIGC"

# --- fixtures made by code -----------------------------------------------------------------


def make_pdf(path: Path, text: bytes = b"Hello", xmp: bool = True) -> None:
    pdf = pikepdf.new()
    for n in range(2):
        pdf.add_blank_page(page_size=(200, 200))
        pdf.pages[n].Contents = pdf.make_stream(b"BT /F1 12 Tf 10 10 Td (" + text + b") Tj ET")
    if xmp:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["xmp:CreatorTool"] = "KeepMe 1.0"
    pdf.docinfo["/Title"] = "keep me"
    pdf.save(path)


def _page_streams(path: Path) -> list[bytes]:
    with pikepdf.open(path) as pdf:
        return [page.Contents.read_raw_bytes() for page in pdf.pages]


_OOXML = {
    ".docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
    ),
    ".xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheets><sheet name="{text}" sheetId="1"/></sheets></workbook>',
    ),
    ".pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
        "<!-- {text} --></p:presentation>",
    ),
}
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def make_office(path: Path, text: str = "Hello", custom: str | None = None) -> None:
    """A minimal Office Open XML package (main part, core properties, a media file)."""
    main, ctype, body = _OOXML[path.suffix]
    overrides = (
        f'<Override PartName="/{main}" ContentType="{ctype}"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    )
    rels = (
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/officeDocument" Target="{main}"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    )
    if custom is not None:
        overrides += (
            '<Override PartName="/docProps/custom.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.custom-properties+xml"/>'
        )
        rels += (
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/custom-properties" Target="docProps/custom.xml"/>'
        )
    parts = {
        "[Content_Types].xml": _XML
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="png" ContentType="image/png"/>' + overrides + "</Types>",
        "_rels/.rels": _XML
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + rels
        + "</Relationships>",
        main: _XML + body.format(text=text),
        "docProps/core.xml": _XML
        + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>keep me</dc:title></cp:coreProperties>",
    }
    if custom is not None:
        parts["docProps/custom.xml"] = custom
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
        zf.writestr(zipfile.ZipInfo("media/image1.png"), b"\x89PNG not really" * 10)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_round_trip(
    tmp_path: Path, sample_label: AigcLabel, exif_tags: Callable[[Path], dict[str, Any]]
) -> None:
    path = tmp_path / "doc.pdf"
    make_pdf(path)
    streams = _page_streams(path)
    carrier = carrier_for(path)
    digest = b"".join(carrier.content(path))
    add_label(path, sample_label)

    result = verify_file(path)
    assert result.verdict == COMPLIANT, result.problems
    assert [c.carrier for c in result.copies] == ["pdf:info", "pdf:xmp"]
    tags = exif_tags(path)
    assert json.loads(tags["PDF:AIGC"]) == sample_label.as_dict()
    assert json.loads(tags["XMP-TC260:Aigc"]) == sample_label.as_dict()
    assert tags["PDF:Title"] == "keep me" and tags["XMP-xmp:CreatorTool"] == "KeepMe 1.0"
    with pikepdf.open(path) as pdf:  # pikepdf reads both independently of aisec
        assert str(pdf.docinfo["/AIGC"]) == sample_label.to_json()
        meta = pdf.open_metadata()
        assert meta[TC260] == sample_label.to_json()
    assert _page_streams(path) == streams
    assert b"".join(carrier.content(path)) == digest

    add_label(path, AigcLabel("2", "ACME", "second"))
    assert verify_file(path).label == AigcLabel("2", "ACME", "second")
    assert len(verify_file(path).copies) == 2
    remove_label(path)
    assert verify_file(path).verdict == NOT_FOUND
    tags = exif_tags(path)
    assert "PDF:AIGC" not in tags and "XMP-TC260:Aigc" not in tags
    assert tags["XMP-xmp:CreatorTool"] == "KeepMe 1.0"


def test_pdf_without_xmp_gets_one(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "plain.pdf"
    make_pdf(path, xmp=False)
    add_label(path, sample_label)
    with pikepdf.open(path) as pdf:
        assert pdf.open_metadata()[TC260] == sample_label.to_json()


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_pdf_signatures(tmp_path: Path, sample_label: AigcLabel, algorithm: Algorithm) -> None:
    key = load_signing_key(write_keypair(algorithm, tmp_path / "k")[0])
    path = tmp_path / "doc.pdf"
    make_pdf(path)
    signed = add_label(path, sample_label, key=key)
    assert verify_file(path, [key.public]).signature == "valid"
    propagate_label(path, "PLATFORM", "p-1", key=key)
    assert verify_file(path).signatures == {"ReservedCode1": "valid", "ReservedCode2": "valid"}
    other = tmp_path / "other.pdf"
    make_pdf(other, text=b"Hellp")
    forged = tmp_path / "forged.pdf"
    carrier_for(other).write(other, forged, signed.to_json())
    assert verify_file(forged).signature == "invalid"


def test_pdf_signature_survives_the_save_of_an_empty_compressed_page(
    tmp_path: Path, sample_label: AigcLabel
) -> None:
    # pikepdf's blank page has an empty /FlateDecode content stream, whose filter the save
    # drops: the digest must not depend on how a stream is encoded
    key = load_signing_key(write_keypair(Algorithm.sm2, tmp_path / "k")[0])
    path = tmp_path / "blank.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.save(path)
    add_label(path, sample_label, key=key)
    assert verify_file(path, [key.public]).signature == "valid"


def test_pdf_damaged(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "cut.pdf"
    make_pdf(path)
    path.write_bytes(path.read_bytes()[:300])
    before = path.read_bytes()
    with pytest.raises(CarrierError, match=r"damaged file|cannot open") as err:
        add_label(path, sample_label)
    assert "was not changed" in str(err.value)
    assert path.read_bytes() == before
    assert verify_file(path).verdict == INCONCLUSIVE


# --- Office ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".pptx"])
def test_office_round_trip(
    tmp_path: Path,
    suffix: str,
    sample_label: AigcLabel,
    exiftool_ooxml: str,
    exif_tags: Callable[[Path], dict[str, Any]],
) -> None:
    path = tmp_path / f"doc{suffix}"
    make_office(path)
    before = _parts(path)
    add_label(path, sample_label)

    result = verify_file(path)
    assert result.verdict == COMPLIANT, result.problems
    tags = exif_tags(path)
    assert json.loads(tags["XML:AIGC"]) == sample_label.as_dict()
    assert tags["XMP-dc:Title"] == "keep me"
    after = _parts(path)
    for name, data in before.items():
        if name not in ("[Content_Types].xml", "_rels/.rels"):
            assert after[name] == data, name  # every other part identical
    assert "docProps/custom.xml" in after
    assert b"custom-properties" in after["[Content_Types].xml"]
    assert b"docProps/custom.xml" in after["_rels/.rels"]

    add_label(path, AigcLabel("3", "ACME", "again"))  # relabel: one property, not two
    assert after["[Content_Types].xml"] == _parts(path)["[Content_Types].xml"]
    assert _parts(path)["docProps/custom.xml"].count(b'name="AIGC"') == 1
    remove_label(path)
    assert verify_file(path).verdict == NOT_FOUND
    assert "XML:AIGC" not in exif_tags(path)


def test_office_keeps_other_custom_properties(tmp_path: Path, sample_label: AigcLabel) -> None:
    custom = (
        _XML + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        'docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" '
        'name="Project"><vt:lpwstr>Keep</vt:lpwstr></property></Properties>'
    )
    path = tmp_path / "doc.docx"
    make_office(path, custom=custom)
    add_label(path, sample_label)
    text = _parts(path)["docProps/custom.xml"].decode()
    assert 'name="Project"><vt:lpwstr>Keep' in text and 'pid="3" name="AIGC"' in text
    remove_label(path)
    assert _parts(path)["docProps/custom.xml"].decode() == custom


def test_office_signature_detects_changed_text(tmp_path: Path, sample_label: AigcLabel) -> None:
    key = load_signing_key(write_keypair(Algorithm.sm2, tmp_path / "k")[0])
    path = tmp_path / "doc.docx"
    make_office(path)
    signed = add_label(path, sample_label, key=key)
    assert verify_file(path).signature == "valid"
    other = tmp_path / "other.docx"
    make_office(other, text="Hellp")
    forged = tmp_path / "forged.docx"
    carrier_for(other).write(other, forged, signed.to_json())
    result = verify_file(forged)
    assert (result.verdict, result.signature) == (NONCOMPLIANT, "invalid")


def test_office_rejects_plain_zip_and_truncated(tmp_path: Path, sample_label: AigcLabel) -> None:
    plain = tmp_path / "archive.docx"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("readme.txt", "hello")
    before = plain.read_bytes()
    with pytest.raises(CarrierError, match="not an Office Open XML package"):
        add_label(plain, sample_label)
    assert plain.read_bytes() == before
    cut = tmp_path / "cut.xlsx"
    make_office(cut)
    cut.write_bytes(cut.read_bytes()[:-40])
    damaged = cut.read_bytes()
    with pytest.raises(CarrierError, match=r"not a readable zip|damaged package"):
        add_label(cut, sample_label)
    assert cut.read_bytes() == damaged


# --- Markdown ----------------------------------------------------------------------------


def test_markdown_front_matter(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "post.md"
    original = "---\ntitle: keep me\ntags:\n  - a\n---\n# Hello\n\nbody with 'quotes'\n"
    path.write_text(original)
    add_label(path, sample_label)
    text = path.read_text()
    assert text.startswith("---\ntitle: keep me\ntags:\n  - a\nAIGC: '{")
    assert text.endswith("---\n# Hello\n\nbody with 'quotes'\n")  # body identical
    assert verify_file(path).verdict == COMPLIANT
    add_label(path, AigcLabel("2", "O'Brien AI", "x"))
    assert path.read_text().count("AIGC:") == 1
    assert verify_file(path).label == AigcLabel("2", "O'Brien AI", "x")
    remove_label(path)
    assert path.read_text() == original


def test_markdown_without_front_matter_and_crlf(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "note.md"
    original = b"# Title\r\n\r\nText\r\n"
    path.write_bytes(original)
    add_label(path, sample_label)
    data = path.read_bytes()
    assert data.startswith(b"---\r\nAIGC: '") and data.endswith(b"---\r\n" + original)
    assert verify_file(path).label == sample_label
    remove_label(path)
    assert path.read_bytes() == original


def test_markdown_mapping_shape_and_bad_yaml(tmp_path: Path, sample_label: AigcLabel) -> None:
    path = tmp_path / "wild.md"
    path.write_text(
        "---\nAIGC:\n  Label: 1\n  ContentProducer: ACME\n  ProduceID: x-1\n---\nbody\n"
    )
    result = verify_file(path)
    assert result.verdict == COMPLIANT and result.label == AigcLabel("1", "ACME", "x-1")
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: [unclosed\n---\nbody\n")
    before = bad.read_bytes()
    with pytest.raises(CarrierError, match="not valid YAML"):
        add_label(bad, sample_label)
    assert bad.read_bytes() == before
    unclosed = tmp_path / "unclosed.md"
    unclosed.write_text("---\ntitle: x\nbody\n")
    with pytest.raises(CarrierError, match="never closed"):
        add_label(unclosed, sample_label)


def test_markdown_signature(tmp_path: Path, sample_label: AigcLabel) -> None:
    key = load_signing_key(write_keypair(Algorithm.ecdsa_p256, tmp_path / "k")[0])
    path = tmp_path / "post.md"
    path.write_text("---\ntitle: t\n---\nAI 生成的文字\n")
    add_label(path, sample_label, key=key)
    assert verify_file(path).signature == "valid"
    path.write_text(path.read_text().replace("文字", "文章"))
    assert verify_file(path).signature == "invalid"
