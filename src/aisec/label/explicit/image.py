"""Explicit notices on still images: draw one with Pillow, check one by OCR.

Drawing re-encodes the pixels, which drops the file's metadata, so the implicit label (if
any) is written back afterwards through its carrier; ICC profile and EXIF are passed to
Pillow's encoder. Animated images are refused rather than flattened."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from aisec.label.explicit._common import (
    COMPLIANT,
    INCONCLUSIVE,
    NoticeCheck,
    NoticeError,
    NoticeResult,
    carry_implicit_label,
    commit,
    temp_beside,
)
from aisec.label.explicit.ocr import judge_picture
from aisec.label.explicit.render import DEFAULT_HEIGHT, Position, Rendered, render_notice
from aisec.label.sign import SigningKey
from aisec.notice import DEFAULT_NOTICE, is_notice

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".bmp")
_MAX_PIXELS = 100_000_000


def _open(source: Path | BinaryIO, name: object = None) -> Image.Image:
    """The image of a file or of bytes in memory (``name`` names it in errors)."""
    name = source if name is None else name
    try:
        img = Image.open(source)
        if img.width * img.height > _MAX_PIXELS:
            raise NoticeError(f"{name}: {img.width}×{img.height} is too large")
        img.load()
    except NoticeError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NoticeError(f"{name}: not a readable image ({exc}); nothing was changed") from None
    return img


def check_image(path: Path) -> NoticeCheck:
    """OCR the image: ``compliant`` when a notice is read at ≥ 5 % height."""
    result = NoticeCheck(path, "image", INCONCLUSIVE)
    try:
        img = _open(path)
    except NoticeError as exc:
        result.error = True
        result.problems.append(str(exc))
        return result
    reading = judge_picture(img)
    result.verdict = reading.verdict
    if reading.best is not None:
        result.evidence.append(f"OCR: {reading.best.text[:120]}")
        result.measures["text_height"] = reading.best.height
    if reading.problem:
        result.problems.append(reading.problem)
    return result


def _save(
    img: Image.Image, original: Image.Image, dst: Path | BinaryIO, name: object = None
) -> None:
    fmt = original.format or "PNG"
    params: dict[str, object] = {}
    for key in ("icc_profile", "exif", "dpi"):
        if key in original.info:
            params[key] = original.info[key]
    if fmt == "JPEG":
        params.update(quality=95, subsampling=0)
        img = img.convert("RGB") if img.mode not in ("RGB", "L", "CMYK") else img
    elif fmt == "GIF":
        img = img.convert("RGB").quantize(256)
    elif fmt == "WEBP":
        params.update(quality=95)
    elif fmt == "BMP":
        img = img.convert("RGB")
    try:
        img.save(dst, fmt, **params)
    except (OSError, ValueError) as exc:
        raise NoticeError(f"{dst if name is None else name}: cannot write {fmt} ({exc})") from None


def _drawn(
    original: Image.Image, wording: str, position: Position, ratio: float
) -> tuple[Image.Image, Rendered]:
    """``original`` with the notice drawn on it (alpha kept where it had some)."""
    rendered = render_notice(original.width, original.height, wording, position, ratio)
    has_alpha = original.mode in ("RGBA", "LA", "PA") or "transparency" in original.info
    drawn = Image.alpha_composite(original.convert("RGBA"), rendered.overlay)
    return (drawn if has_alpha else drawn.convert("RGB")), rendered


def image_bytes_with_notice(
    data: bytes,
    wording: str,
    *,
    name: str = "image",
    position: Position = Position.bottom_right,
    ratio: float = DEFAULT_HEIGHT,
) -> bytes:
    """An image held in memory with the notice drawn on it, in its own format (its
    metadata, as when drawing on a file, is not carried over: label it afterwards)."""
    if not is_notice(wording):
        raise NoticeError(f"notice {wording!r} must contain AI/人工智能 and 生成/合成")
    original = _open(io.BytesIO(data), name)
    if getattr(original, "n_frames", 1) > 1:
        raise NoticeError(f"{name}: animated images are not supported (would lose frames)")
    drawn, _ = _drawn(original, wording, position, ratio)
    out = io.BytesIO()
    _save(drawn, original, out, name)
    return out.getvalue()


def insert_image_notice(
    path: Path,
    *,
    notice: str | None = None,
    lang: str = "zh",
    position: Position = Position.bottom_right,
    ratio: float = DEFAULT_HEIGHT,
    out: Path | None = None,
    key: SigningKey | None = None,
    force: bool = False,
) -> NoticeResult:
    """Draw the notice on the image (in place or into ``out``), atomically. Unless
    ``force``, an image whose notice OCR already reads is left alone (idempotent)."""
    wording = (notice if notice is not None else DEFAULT_NOTICE.get(lang, "")).strip()
    if not is_notice(wording):
        raise NoticeError(f"notice {wording!r} must contain AI/人工智能 and 生成/合成")
    original = _open(path)
    if getattr(original, "n_frames", 1) > 1:
        raise NoticeError(f"{path}: animated images are not supported (would lose frames)")
    if not force and check_image(path).verdict == COMPLIANT:
        return NoticeResult(out or path, "image", False, ["a readable notice is already there"])
    drawn, rendered = _drawn(original, wording, position, ratio)
    dst = out or path
    with temp_beside(dst, path.suffix) as tmp:
        _save(drawn, original, tmp)
        notes = carry_implicit_label(path, tmp, key)
        commit(tmp, path, dst)
    notes.insert(
        0,
        f"text height {rendered.ink_height} px = "
        f"{rendered.ink_height / min(original.size):.1%} of the shorter side",
    )
    return NoticeResult(dst, "image", True, notes)
