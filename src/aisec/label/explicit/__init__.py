"""GB 45438 explicit labels: notices people can see or hear, inserted into and checked in
text (:mod:`.text`), images (:mod:`.image`), video (:mod:`.video`) and audio
(:mod:`.audio`). Verdicts use the label package's words: ``compliant``,
``noncompliant``, ``not_found``, ``inconclusive``.

System tools (Debian, installed by ``make sysdeps``): ffmpeg, tesseract-ocr with
tesseract-ocr-chi-sim, espeak-ng, fontconfig and fonts-noto-cjk.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aisec.io.walk import walk_files
from aisec.label.explicit._common import (
    COMPLIANT,
    INCONCLUSIVE,
    NONCOMPLIANT,
    NOT_FOUND,
    NoticeCheck,
    NoticeError,
    NoticeResult,
)
from aisec.label.explicit.audio import AUDIO_EXTENSIONS, AudioMode
from aisec.label.explicit.image import IMAGE_EXTENSIONS
from aisec.label.explicit.render import DEFAULT_HEIGHT, Position
from aisec.label.explicit.text import MARKDOWN_EXTENSIONS, TEXT_EXTENSIONS
from aisec.label.explicit.video import DEFAULT_SECONDS, VIDEO_EXTENSIONS
from aisec.label.sign import SigningKey

__all__ = [
    "COMPLIANT",
    "INCONCLUSIVE",
    "NONCOMPLIANT",
    "NOT_FOUND",
    "AudioMode",
    "NoticeCheck",
    "NoticeError",
    "NoticeResult",
    "Position",
    "add_notice",
    "check_notice",
    "expand_media",
    "modality",
]

_MODALITIES = {
    **dict.fromkeys(TEXT_EXTENSIONS + MARKDOWN_EXTENSIONS, "text"),
    **dict.fromkeys(IMAGE_EXTENSIONS, "image"),
    **dict.fromkeys(VIDEO_EXTENSIONS, "video"),
    **dict.fromkeys(AUDIO_EXTENSIONS, "audio"),
}


def modality(path: Path) -> str:
    """text, image, video or audio, by extension; :class:`NoticeError` otherwise."""
    kind = _MODALITIES.get(path.suffix.lower())
    if kind is None:
        known = " ".join(sorted(_MODALITIES))
        raise NoticeError(f"{path}: no explicit notice for this file type (known: {known})")
    return kind


def expand_media(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders walked recursively for known types (hidden files and
    aisec's temporary files skipped), sorted."""
    return walk_files(paths, _MODALITIES)


def add_notice(
    path: Path,
    *,
    notice: str | None = None,
    lang: str = "zh",
    position: Position = Position.bottom_right,
    where: str = "start",
    audio_mode: AudioMode = AudioMode.both,
    ratio: float = DEFAULT_HEIGHT,
    seconds: float = DEFAULT_SECONDS,
    out: Path | None = None,
    key: SigningKey | None = None,
    force: bool = False,
) -> NoticeResult:
    """Insert the explicit notice suited to the file's type (see each module)."""
    from aisec.label.explicit import audio, image, text, video

    kind = modality(path)
    if kind == "text":
        return text.insert_text_notice(
            path, notice=notice, lang=lang, where=where, out=out, key=key
        )
    if kind == "image":
        return image.insert_image_notice(
            path,
            notice=notice,
            lang=lang,
            position=position,
            ratio=ratio,
            out=out,
            key=key,
            force=force,
        )
    if kind == "video":
        return video.insert_video_notice(
            path,
            notice=notice,
            lang=lang,
            position=position,
            ratio=ratio,
            seconds=seconds,
            out=out,
            key=key,
            force=force,
        )
    return audio.insert_audio_notice(
        path,
        notice=notice,
        lang=lang,
        mode=audio_mode,
        where="end" if where == "end" else "start",
        out=out,
        key=key,
    )


def check_notice(path: Path) -> NoticeCheck:
    """Check the file for an explicit notice; never raises for a file problem."""
    from aisec.label.explicit import audio, image, text, video

    try:
        kind = modality(path)
    except NoticeError as exc:
        return NoticeCheck(path, "unknown", INCONCLUSIVE, problems=[str(exc)], error=True)
    checker = {
        "text": text.check_text,
        "image": image.check_image,
        "video": video.check_video,
        "audio": audio.check_audio,
    }[kind]
    return checker(path)
