"""Read notices in pictures with Tesseract (Debian ``tesseract-ocr`` with
``tesseract-ocr-chi-sim``), run as a subprocess on a PNG piped through stdin.

Tesseract reads dark text on a light ground best, and notices are often white on a dark
box, so a picture is read up to three times (see :func:`read_lines`). Small pictures are scaled up first (Tesseract wants glyphs ≳ 20 px tall)."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageOps

from aisec.label.explicit._common import (
    COMPLIANT,
    INCONCLUSIVE,
    NONCOMPLIANT,
    NOT_FOUND,
    NoticeError,
    ToolMissing,
    run,
    tool,
)
from aisec.label.explicit.render import MIN_HEIGHT
from aisec.notice import is_notice, notice_terms

# OCR slips that would otherwise hide a notice: "AI" read as "Al"/"A1"/"A|", and one of
# the characters of 人工智能 misread (人焉智能, 大工智能, 人工科能). Only applied to OCR text.
_REPAIRS = (
    (re.compile(r"(?<![A-Za-z])A[l1|](?![a-z])"), "AI"),
    (re.compile(r"人[^\s]{1,2}智能|[^\s]工智能|人工[^\s]能|人工智[^\s生合]"), "人工智能"),
)
_MIN_SIDE = 1000  # scale pictures up until the shorter side reaches this


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line Tesseract read, its height as a share of the shorter side."""

    text: str
    height: float
    confidence: float
    band: tuple[int, int] = (0, 0)  # top and bottom row in the picture Tesseract read


@dataclass(frozen=True, slots=True)
class FrameReading:
    """The verdict on one picture and why."""

    verdict: str
    lines: tuple[OcrLine, ...]
    best: OcrLine | None
    problem: str | None


@cache
def tesseract() -> str:
    """The Tesseract binary, checked to have the Simplified Chinese data."""
    exe = tool("tesseract", "tesseract-ocr")
    try:
        done = subprocess.run(  # noqa: S603 - list arguments, no shell
            [exe, "--list-langs"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise NoticeError(f"cannot run {exe} ({exc})") from None
    langs = set(done.stdout.decode("utf-8", "replace").split())
    if "chi_sim" not in langs:
        raise ToolMissing(
            "Tesseract has no Simplified Chinese data (Debian package tesseract-ocr-chi-sim); "
            "run `make sysdeps`"
        )
    return exe


def _normalise(text: str) -> str:
    # chi_sim puts spaces between Han characters; drop spaces next to them.
    text = re.sub(r"\s+", " ", text).strip()
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == " ":
            prev = text[i - 1] if i else ""
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if (prev and ord(prev) > 0x2E7F) or (nxt and ord(nxt) > 0x2E7F):
                continue
        out.append(ch)
    return "".join(out)


def _repair(text: str) -> str:
    for pattern, good in _REPAIRS:
        text = pattern.sub(good, text)
    return text


def _tsv_lines(tsv: str, scale: float, short_side: int) -> list[OcrLine]:
    words: dict[tuple[str, str, str, str], list[tuple[str, int, int, float]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        key = (cols[1], cols[2], cols[3], cols[4])
        top, height = int(cols[7]), int(cols[9])
        words.setdefault(key, []).append((cols[11], top, top + height, float(cols[10])))
    lines: list[OcrLine] = []
    for items in words.values():
        text = _repair(_normalise(" ".join(w for w, *_ in items)))
        # The median word height: one word box often swallows a stray mark above or
        # below the line, and the line's extent would then overstate the text height.
        heights = sorted(b - t for _, t, b, _ in items)
        median = heights[len(heights) // 2]
        conf = sum(c for *_, c in items) / len(items)
        top = min(t for _, t, _, _ in items)
        bottom = max(b for _, _, b, _ in items)
        lines.append(OcrLine(text, median / scale / short_side, conf, (top, bottom)))
    return lines


def read_lines(image: Image.Image) -> list[OcrLine]:
    """Every text line Tesseract finds in ``image`` (grey, then inverted if no notice)."""
    exe = tesseract()
    grey = ImageOps.grayscale(image.convert("RGB"))
    short = min(grey.size)
    scale = max(1.0, _MIN_SIDE / short)
    if scale > 1.0:
        grey = grey.resize(
            (round(grey.width * scale), round(grey.height * scale)), Image.Resampling.LANCZOS
        )
    # Passes until one reads a notice: Simplified Chinese alone reads Chinese notices
    # best (with English mixed in, Han glyphs are often read as Latin letters); then
    # Chinese + English for English notices; then white text on a dark box, binarised
    # and inverted (video frames blur glyph edges through chroma subsampling).
    binary = grey.point(lambda v: 0 if v >= 150 else 255)

    def tess(picture: Image.Image, langs: str, psm: str) -> list[OcrLine]:
        buf = io.BytesIO()
        picture.save(buf, "PNG")
        out = run(
            [exe, "stdin", "stdout", "-l", langs, "--psm", psm, "tsv"],
            what="tesseract",
            stdin=buf.getvalue(),
            # Tesseract's OpenMP threads fight each other (and parallel checks): one
            # thread is several times faster here.
            env={"OMP_THREAD_LIMIT": "1"},
        )
        return _tsv_lines(out.decode("utf-8", "replace"), scale, short)

    found: list[OcrLine] = []
    for picture, langs in ((grey, "chi_sim"), (grey, "chi_sim+eng"), (binary, "chi_sim")):
        found.extend(tess(picture, langs, "11"))
        if any(is_notice(x.text) for x in found):
            return found
        # Sparse-text mode often breaks a notice into pieces; read the band around a
        # piece again as one line (page segmentation mode 7).
        for piece in [x for x in found if any(notice_terms(x.text)) or "人工" in x.text][:2]:
            top, bottom = piece.band
            pad = (bottom - top) // 2 + 4
            band = picture.crop(
                (0, max(0, top - pad), picture.width, min(picture.height, bottom + pad))
            )
            for line in tess(band, langs, "7"):
                found.append(OcrLine(line.text, piece.height, line.confidence, piece.band))
            if any(is_notice(x.text) for x in found):
                return found
    return found


def judge_picture(image: Image.Image) -> FrameReading:
    """``compliant`` (a notice line at ≥ 5 % height), ``noncompliant`` (a notice too
    small), ``inconclusive`` (only part of a notice read), ``not_found``."""
    lines = tuple(read_lines(image))
    notices = [x for x in lines if is_notice(x.text)]
    if notices:
        best = max(notices, key=lambda x: x.height)
        if best.height >= MIN_HEIGHT:
            return FrameReading(COMPLIANT, lines, best, None)
        return FrameReading(
            NONCOMPLIANT,
            lines,
            best,
            f"notice text is {best.height:.1%} of the shorter side (GB 45438: ≥ 5 %)",
        )
    # Noise often reads as "AI"/"Al"; only a generation term or 人工智能 counts as part of a
    # notice.
    partial = [x for x in lines if notice_terms(x.text)[1] or "人工智能" in x.text]
    if partial:
        return FrameReading(
            INCONCLUSIVE,
            lines,
            partial[0],
            f"only part of a notice was read: {partial[0].text[:60]!r}",
        )
    return FrameReading(NOT_FOUND, lines, None, None)
