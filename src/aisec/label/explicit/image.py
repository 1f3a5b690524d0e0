"""Explicit notices on still images: draw one with Pillow, check one by OCR.

Drawing re-encodes the pixels, which drops the file's metadata, so the implicit label (if
any) is written back afterwards through its carrier; ICC profile and EXIF are passed to
Pillow's encoder. Animated images are refused rather than flattened."""

from __future__ import annotations

from pathlib import Path

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
from aisec.label.explicit.render import DEFAULT_HEIGHT, Position, render_notice
from aisec.label.sign import SigningKey
from aisec.notice import DEFAULT_NOTICE, is_notice

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".bmp")
_MAX_PIXELS = 100_000_000


def _open(path: Path) -> Image.Image:
    try:
        img = Image.open(path)
        if img.width * img.height > _MAX_PIXELS:
            raise NoticeError(f"{path}: {img.width}×{img.height} is too large")
        img.load()
    except NoticeError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NoticeError(f"{path}: not a readable image ({exc}); nothing was changed") from None
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


def _save(img: Image.Image, original: Image.Image, dst: Path) -> None:
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
        raise NoticeError(f"{dst}: cannot write {fmt} ({exc})") from None


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
    rendered = render_notice(original.width, original.height, wording, position, ratio)
    has_alpha = original.mode in ("RGBA", "LA", "PA") or "transparency" in original.info
    base = original.convert("RGBA")
    drawn = Image.alpha_composite(base, rendered.overlay)
    if not has_alpha:
        drawn = drawn.convert("RGB")
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
