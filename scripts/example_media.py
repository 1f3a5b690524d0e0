"""Write small example media for `make run` to label and verify: one file per format that
aisec labels without extra tools (images, PDF, Markdown, WAV). Everything is generated
here, deterministically; nothing is downloaded."""

from __future__ import annotations

import math
import struct
import sys
import wave
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw


def picture() -> Image.Image:
    """A 320×200 gradient with a few shapes: stands in for an AI-generated image."""
    img = Image.new("RGB", (320, 200))
    px = img.load()
    assert px is not None
    for y in range(200):
        for x in range(320):
            px[x, y] = (x * 255 // 319, y * 255 // 199, 160)
    draw = ImageDraw.Draw(img)
    draw.ellipse((40, 40, 140, 140), fill=(250, 220, 60))
    draw.rectangle((180, 60, 280, 160), outline=(255, 255, 255), width=4)
    return img


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    img = picture()
    img.save(out / "poster.png")
    img.save(out / "poster.jpg", quality=90)
    img.save(out / "poster.webp", quality=90)
    img.save(out / "poster.tiff")
    frames = [
        img.rotate(angle).convert("P", palette=Image.Palette.ADAPTIVE) for angle in (0, 8, 16)
    ]
    frames[0].save(out / "spinner.gif", save_all=True, append_images=frames[1:], duration=120)

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = "AI-generated report (example)"
    pdf.save(out / "report.pdf", deterministic_id=True)

    (out / "answer.md").write_text(
        "# 旅行建议\n\n本文由人工智能生成，仅供参考。\n\nA three-day plan for Hangzhou.\n",
        encoding="utf-8",
    )

    with wave.open(str(out / "voice.wav"), "wb") as w:  # one second of a 440 Hz tone
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 16000)))
                for i in range(16000)
            )
        )
    print(f"example media written to {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/media")))
