"""Explicit notices in video: overlay one on the opening seconds with ffmpeg, check the
opening frames by OCR.

The notice is drawn by Pillow into a transparent PNG the size of the frame and laid over
the video with ffmpeg's ``overlay`` filter for the first :data:`DEFAULT_SECONDS` seconds,
rather than with ``drawtext``: one renderer for images and video means one tested sizing
rule (ink height ≥ 5 % of the shorter side, measured on the font), CJK line wrapping and a
contrast box, and no user text inside a filter graph (``drawtext`` escaping is fragile).
Only the video stream is re-encoded, with the same codec family and pixel format; audio,
subtitles and tags are copied (``-c:a copy``), and the implicit label is written back.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from aisec.label.explicit._common import (
    COMPLIANT,
    INCONCLUSIVE,
    NONCOMPLIANT,
    NOT_FOUND,
    NoticeCheck,
    NoticeError,
    NoticeResult,
    carry_implicit_label,
    commit,
    ffprobe,
    run,
    temp_beside,
    tool,
)
from aisec.label.explicit.ocr import judge_picture
from aisec.label.explicit.render import DEFAULT_HEIGHT, Position, render_notice
from aisec.label.sign import SigningKey
from aisec.notice import DEFAULT_NOTICE, is_notice

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi")
#: How long the notice stays (GB 45438 asks for at least 2 s at the start).
DEFAULT_SECONDS = 3.0
MIN_SECONDS = 2.0
#: Where the checker looks: seconds after the first frame (within the first 2 s).
SAMPLE_TIMES = (0.2, 1.0, 1.9)
_ENCODERS: dict[str, list[str]] = {
    "h264": ["libx264", "-preset", "veryfast", "-crf", "18"],
    "hevc": ["libx265", "-preset", "veryfast", "-crf", "20"],
    "vp8": ["libvpx", "-crf", "8", "-b:v", "0", "-deadline", "realtime", "-cpu-used", "8"],
    "vp9": ["libvpx-vp9", "-crf", "28", "-b:v", "0", "-deadline", "realtime", "-row-mt", "1"],
    "av1": ["libaom-av1", "-crf", "28", "-b:v", "0", "-cpu-used", "8"],
    "mpeg4": ["mpeg4", "-q:v", "2"],
    "mjpeg": ["mjpeg", "-q:v", "2"],
}


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What ffprobe says about a file's first video stream."""

    codec: str
    width: int
    height: int
    pix_fmt: str
    start: float
    duration: float


def probe_video(path: Path) -> VideoInfo:
    """ffprobe the file; :class:`NoticeError` when it has no decodable video."""
    out = ffprobe(
        path,
        "stream=codec_name,width,height,pix_fmt,start_time,duration:format=duration",
        "-select_streams",
        "v:0",
    )
    try:
        data = json.loads(out)
        s = data["streams"][0]
        duration = s.get("duration") or data.get("format", {}).get("duration") or 0
        return VideoInfo(
            str(s["codec_name"]),
            int(s["width"]),
            int(s["height"]),
            str(s.get("pix_fmt") or "yuv420p"),
            float(s.get("start_time") or 0.0),
            float(duration),
        )
    except (ValueError, KeyError, IndexError, TypeError):
        raise NoticeError(f"{path}: no decodable video stream; nothing was changed") from None


def frame_at(path: Path, seconds: float) -> Image.Image:
    """The decoded frame shown ``seconds`` after the start, as a Pillow image."""
    raw = run(
        [
            tool("ffmpeg", "ffmpeg"), "-v", "error", "-nostdin",
            "-ss", f"{seconds:.3f}", "-i", str(path),
            "-map", "0:v:0", "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-",
        ],
        what=f"{path}: cannot decode a frame at {seconds:.1f} s",
    )  # fmt: skip
    try:
        import io

        img = Image.open(io.BytesIO(raw))
        img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise NoticeError(f"{path}: no frame at {seconds:.1f} s ({exc})") from None
    return img


def check_video(path: Path) -> NoticeCheck:
    """OCR frames at :data:`SAMPLE_TIMES`: ``compliant`` when each carries the notice."""
    result = NoticeCheck(path, "video", NOT_FOUND)
    try:
        info = probe_video(path)
        span = min(MIN_SECONDS, info.duration) if info.duration else MIN_SECONDS
        times = [t for t in SAMPLE_TIMES if t < span] or [0.0]
        readings = [(t, judge_picture(frame_at(path, t))) for t in times]
    except NoticeError as exc:
        result.verdict, result.error = INCONCLUSIVE, True
        result.problems.append(str(exc))
        return result
    verdicts = [r.verdict for _, r in readings]
    for t, r in readings:
        if r.best is not None:
            result.evidence.append(f"{t:.1f} s: {r.best.text[:80]} ({r.verdict})")
            result.measures[f"text_height@{t:.1f}s"] = r.best.height
        if r.problem:
            result.problems.append(f"{t:.1f} s: {r.problem}")
    if all(v == COMPLIANT for v in verdicts):
        result.verdict = COMPLIANT
        if info.duration and info.duration < MIN_SECONDS:
            result.notes.append(f"the video lasts {info.duration:.1f} s; the notice covers it")
    elif all(v == NOT_FOUND for v in verdicts):
        result.verdict = NOT_FOUND
    elif NONCOMPLIANT in verdicts or (COMPLIANT in verdicts and NOT_FOUND in verdicts):
        result.verdict = NONCOMPLIANT
        missing = [f"{t:.1f} s" for t, r in readings if r.verdict == NOT_FOUND]
        if missing:
            result.problems.append(
                f"no notice at {', '.join(missing)}: GB 45438 wants it for the first 2 s"
            )
    else:
        result.verdict = INCONCLUSIVE
    return result


def insert_video_notice(
    path: Path,
    *,
    notice: str | None = None,
    lang: str = "zh",
    position: Position = Position.bottom_right,
    ratio: float = DEFAULT_HEIGHT,
    seconds: float = DEFAULT_SECONDS,
    out: Path | None = None,
    key: SigningKey | None = None,
    force: bool = False,
) -> NoticeResult:
    """Overlay the notice on the first ``seconds`` of the video (in place or into
    ``out``), atomically. Unless ``force``, a video whose opening frames already carry a
    readable notice is left alone."""
    if seconds < MIN_SECONDS:
        raise NoticeError(f"--seconds {seconds}: GB 45438 wants at least {MIN_SECONDS:.0f} s")
    wording = (notice if notice is not None else DEFAULT_NOTICE.get(lang, "")).strip()
    if not is_notice(wording):
        raise NoticeError(f"notice {wording!r} must contain AI/人工智能 and 生成/合成")
    info = probe_video(path)
    encoder = _ENCODERS.get(info.codec)
    if encoder is None:
        raise NoticeError(f"{path}: cannot re-encode {info.codec} video (no encoder known)")
    if not force and check_video(path).verdict == COMPLIANT:
        return NoticeResult(out or path, "video", False, ["a readable notice is already there"])
    rendered = render_notice(info.width, info.height, wording, position, ratio)
    dst = out or path
    until = info.start + seconds
    with tempfile.TemporaryDirectory(prefix="aisec-notice-") as work:
        layer = Path(work) / "notice.png"
        rendered.overlay.save(layer, "PNG")
        graph = f"[0:v:0][1:v]overlay=0:0:enable='lt(t,{until:.3f})':format=auto,format={info.pix_fmt}[v]"
        with temp_beside(dst, path.suffix) as tmp:
            run(
                [
                    tool("ffmpeg", "ffmpeg"), "-v", "error", "-nostdin", "-y",
                    "-i", str(path), "-i", str(layer),
                    "-filter_complex", graph,
                    "-map", "[v]", "-map", "0:a?", "-map", "0:s?",
                    "-c:v", *encoder, "-c:a", "copy", "-c:s", "copy",
                    "-map_metadata", "0",
                    str(tmp),
                ],
                what=f"{path}: ffmpeg could not add the notice",
            )  # fmt: skip
            notes = carry_implicit_label(path, tmp, key)
            commit(tmp, path, dst)
    notes.insert(
        0,
        f"notice on the first {seconds:g} s, text height "
        f"{rendered.ink_height / min(info.width, info.height):.1%} of the shorter side",
    )
    return NoticeResult(dst, "video", True, notes)
