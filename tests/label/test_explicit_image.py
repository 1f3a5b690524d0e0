"""Explicit notices on images: drawn at ≥ 5 % of the shorter side (measured on the output
pixels), read back by OCR (Tesseract, Simplified Chinese), positions, idempotence, the
implicit label kept, unlabelled images not_found, malformed files refused untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aisec.label.explicit import Position, check_notice
from aisec.label.explicit._common import NoticeError
from aisec.label.explicit.image import check_image, insert_image_notice
from aisec.label.model import AigcLabel
from aisec.label.service import add_label, verify_file


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    for name, package in (("tesseract", "tesseract-ocr"), ("fc-match", "fontconfig")):
        if shutil.which(name) is None:
            pytest.fail(
                f"`{name}` is missing (Debian {package}); run `make sysdeps`", pytrace=False
            )


def _picture(path: Path, w: int = 400, h: int = 300) -> np.ndarray:
    """A smooth colour gradient with no near-white pixels (so the notice's white glyphs
    can be measured on the output)."""
    a = np.zeros((h, w, 3), np.uint8)
    a[..., 0] = np.linspace(20, 180, w)[None, :]
    a[..., 1] = np.linspace(180, 20, h)[:, None]
    a[..., 2] = 110
    Image.fromarray(a).save(path)
    return a


def _glyph_rows(before: np.ndarray, after: np.ndarray) -> tuple[int, int]:
    """Top and bottom row of the notice's white glyph pixels."""
    changed = np.any(before.astype(int) != after.astype(int), axis=2)
    white = np.all(after >= 200, axis=2) & changed
    rows = np.flatnonzero(white.any(axis=1))
    return int(rows[0]), int(rows[-1])


@pytest.mark.parametrize(
    ("lang", "position", "size"),
    [
        ("zh", Position.bottom_right, (400, 300)),
        ("zh", Position.top_left, (300, 400)),
        ("en", Position.bottom, (480, 320)),
    ],
)
def test_drawn_measured_and_read_back(
    tmp_path: Path, lang: str, position: Position, size: tuple[int, int]
) -> None:
    path = tmp_path / "a.png"
    before = _picture(path, *size)
    assert check_image(path).verdict == "not_found"
    done = insert_image_notice(path, lang=lang, position=position)
    assert done.inserted
    after = np.asarray(Image.open(path).convert("RGB"))
    top, bottom = _glyph_rows(before, after)
    short = min(size)
    assert (bottom - top + 1) / short >= 0.05
    if position.value.startswith("top"):
        assert bottom < size[1] / 2
    else:
        assert top > size[1] / 2
    result = check_notice(path)
    assert result.verdict == "compliant", result
    assert result.measures["text_height"] >= 0.05
    # Idempotent: OCR reads the notice, so the file is left alone.
    data = path.read_bytes()
    assert not insert_image_notice(path, lang=lang, position=position).inserted
    assert path.read_bytes() == data


def test_jpeg_keeps_implicit_label_and_drops_stale_signature(tmp_path: Path) -> None:
    from aisec.label.sign import Algorithm, load_signing_key, write_keypair

    src = tmp_path / "a.jpg"
    a = _picture(tmp_path / "a.png")
    Image.fromarray(a).save(src, quality=90)
    key_path, _ = write_keypair(Algorithm.ecdsa_p256, tmp_path / "k")
    key = load_signing_key(key_path)
    add_label(src, AigcLabel("1", "producer-x", "id-1"), key=key)
    assert verify_file(src).signature == "valid"

    unsigned = insert_image_notice(src, out=tmp_path / "unsigned.jpg")
    assert any("must be redone" in n for n in unsigned.notes)
    check = verify_file(tmp_path / "unsigned.jpg")
    assert check.verdict == "compliant"
    assert check.label is not None and check.label.produce_id == "id-1"
    assert check.signature == "unsigned"

    resigned = insert_image_notice(src, out=tmp_path / "signed.jpg", key=key)
    assert any("re-signed" in n for n in resigned.notes)
    assert verify_file(tmp_path / "signed.jpg").signature == "valid"


def test_small_notice_is_noncompliant(tmp_path: Path) -> None:
    """A notice drawn at 3 % is read but judged too small (drawn directly: the inserter
    refuses heights under 5 %)."""
    from PIL import ImageDraw, ImageFont

    from aisec.label.explicit._common import cjk_font

    path = tmp_path / "small.png"
    img = Image.new("RGB", (900, 900), (235, 235, 235))
    font = ImageFont.truetype(str(cjk_font()), 30, index=2)  # ink ≈ 27 px = 3 %
    ImageDraw.Draw(img).text((40, 40), "本内容由人工智能生成", font=font, fill=(0, 0, 0))
    img.save(path)
    result = check_image(path)
    assert result.verdict == "noncompliant", result
    assert "≥ 5 %" in result.problems[0]
    with pytest.raises(NoticeError, match="5 %"):
        insert_image_notice(path, ratio=0.03)


def test_malformed_image_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bad.png"
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    path.write_bytes(data)
    with pytest.raises(NoticeError, match="not a readable image"):
        insert_image_notice(path)
    assert path.read_bytes() == data
    result = check_notice(path)
    assert result.verdict == "inconclusive"
    assert result.error
