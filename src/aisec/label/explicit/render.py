"""Draw a notice for images and video frames: white CJK text with a dark outline on a
translucent dark box, sized so the glyphs' ink height is a given share of the picture's
shorter side (GB 45438 asks for ≥ 5 %; the default 6 % leaves a margin for rounding and
for readers that measure differently)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, ImageDraw, ImageFont

from aisec.label.explicit._common import NoticeError, cjk_font

DEFAULT_HEIGHT = 0.06
MIN_HEIGHT = 0.05
_TOKENS = re.compile(r"[A-Za-z0-9'’\-\[\]().,!?]+|\s+|.")


class Position(StrEnum):
    """Where the notice goes."""

    top_left = "top-left"
    top_right = "top-right"
    bottom_left = "bottom-left"
    bottom_right = "bottom-right"
    top = "top"
    bottom = "bottom"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A transparent overlay the size of the picture, and what was drawn."""

    overlay: Image.Image
    ink_height: int  # pixels from the top of the highest glyph to the bottom of the lowest
    lines: tuple[str, ...]
    box: tuple[int, int, int, int]


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = cjk_font()
    index = 0
    if path.suffix.lower() == ".ttc":
        index = 2  # Noto Sans CJK: 0 JP, 1 KR, 2 SC, 3 TC — the simplified Chinese forms
    try:
        return ImageFont.truetype(str(path), size, index=index)
    except OSError as exc:
        raise NoticeError(
            f"cannot load the CJK font {path} ({exc}); reinstall fonts-noto-cjk"
        ) from None


def _ink_height(font: ImageFont.FreeTypeFont, text: str) -> int:
    _, top, _, bottom = font.getbbox(text)
    return int(bottom - top)


def _wrap(font: ImageFont.FreeTypeFont, text: str, width: float) -> list[str]:
    """Greedy wrap: Chinese breaks between any characters, Latin only between words."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        trial = line + token
        if line.strip() and font.getlength(trial.rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = trial
    if line.strip():
        lines.append(line.rstrip())
    return lines


def render_notice(
    width: int,
    height: int,
    text: str,
    position: Position = Position.bottom_right,
    ratio: float = DEFAULT_HEIGHT,
) -> Rendered:
    """The notice drawn on a transparent ``width``×``height`` RGBA layer."""
    if ratio < MIN_HEIGHT or ratio > 0.5:
        raise NoticeError(f"text height {ratio:.0%} of the shorter side: use 5 % to 50 %")
    if width < 16 or height < 16:
        raise NoticeError(f"{width}×{height} is too small to carry a readable notice")
    target = max(8, round(ratio * min(width, height)))
    # Find the font size whose ink height for this text reaches the target.
    size = target
    font = _font(size)
    for _ in range(8):
        ink = _ink_height(font, text) or 1
        if ink >= target:
            break
        size = max(size + 1, round(size * target / ink))
        font = _font(size)
    stroke = max(1, size // 24)
    pad = max(2, size // 4)
    lines = _wrap(font, text, width - 2 * pad - 2 * stroke - 8)
    spacing = max(2, size // 5)
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    block = "\n".join(lines)
    left, top, right, bottom = draw.multiline_textbbox(
        (0, 0), block, font=font, spacing=spacing, stroke_width=stroke
    )
    box_w, box_h = int(right - left + 2 * pad), int(bottom - top + 2 * pad)
    if box_h > height:
        raise NoticeError(
            f"the notice does not fit a {width}×{height} picture at {ratio:.0%} height; "
            "use a shorter --text"
        )
    margin = max(2, min(width, height) // 50)
    x = {
        Position.top_left: margin,
        Position.bottom_left: margin,
        Position.top_right: width - box_w - margin,
        Position.bottom_right: width - box_w - margin,
        Position.top: (width - box_w) // 2,
        Position.bottom: (width - box_w) // 2,
    }[position]
    y = margin if position.value.startswith("top") else height - box_h - margin
    x, y = int(max(0, x)), int(max(0, y))
    draw.rectangle((x, y, x + box_w, y + box_h), fill=(0, 0, 0, 230))
    draw.multiline_text(
        (x + pad - left, y + pad - top),
        block,
        font=font,
        fill=(255, 255, 255, 255),
        spacing=spacing,
        stroke_width=stroke,
        stroke_fill=(0, 0, 0, 255),
    )
    ink = min(_ink_height(font, line) for line in lines)
    return Rendered(layer, ink, tuple(lines), (x, y, x + box_w, y + box_h))
