"""Explicit notices in audio and video: the 短长短短 rhythm inserted and detected (and
plain tones or noise not_found), format and sample rate kept; the video notice read by
OCR on frames at 0.5 s and 1.8 s, the audio stream bit-identical, later frames nearly
unchanged; malformed files refused with the original untouched."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from aisec.label.explicit import AudioMode, check_notice
from aisec.label.explicit._common import NoticeError
from aisec.label.explicit.audio import (
    check_audio,
    decode_mono,
    find_rhythm,
    insert_audio_notice,
    probe,
    rhythm_samples,
)
from aisec.label.explicit.ocr import judge_picture
from aisec.label.explicit.video import frame_at, insert_video_notice
from aisec.label.model import AigcLabel
from aisec.label.service import add_label, verify_file


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    for name, package in (
        ("ffmpeg", "ffmpeg"),
        ("espeak-ng", "espeak-ng"),
        ("tesseract", "tesseract-ocr"),
        ("fc-match", "fontconfig"),
    ):
        if shutil.which(name) is None:
            pytest.fail(
                f"`{name}` is missing (Debian {package}); run `make sysdeps`", pytrace=False
            )


def _ffmpeg(*args: str) -> bytes:
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y", *args], capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def _stream(path: Path, kind: str) -> dict[str, object]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            kind,
            "-show_streams",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        timeout=60,
    ).stdout
    streams: list[dict[str, object]] = json.loads(out)["streams"]
    return streams[0]


# --- audio -----------------------------------------------------------------------------


def test_rhythm_shape() -> None:
    found = find_rhythm(rhythm_samples(16000))
    assert found is not None
    assert 2.5 <= found["long_ratio"] <= 3.5
    assert abs(found["freq"] - 1000) < 60


@pytest.mark.parametrize(
    ("name", "source", "where", "mode"),
    [
        ("tone.wav", "sine=frequency=440:duration=3:sample_rate=44100", "start", AudioMode.rhythm),
        ("noise.mp3", "anoisesrc=d=3:c=pink:a=0.3:r=22050", "end", AudioMode.both),
        ("tone.flac", "sine=frequency=1000:duration=3:sample_rate=48000", "start", AudioMode.both),
    ],
)
def test_audio_rhythm_inserted_and_detected(
    tmp_path: Path, name: str, source: str, where: str, mode: AudioMode
) -> None:
    path = tmp_path / name
    _ffmpeg("-f", "lavfi", "-i", source, str(path))
    before = probe(path)
    assert check_audio(path).verdict == "not_found"  # a plain tone or noise is no notice
    done = insert_audio_notice(path, where=where, mode=mode)
    assert done.inserted
    after = probe(path)
    assert (after.codec, after.sample_rate, after.channels) == (
        before.codec,
        before.sample_rate,
        before.channels,
    )
    added = 1.92 + (2.0 if mode is AudioMode.both else 0.0)
    assert after.duration >= before.duration + added - 0.3
    result = check_notice(path)
    assert result.verdict == "compliant", result
    start = result.measures["start_start"]
    if where == "start":
        assert start < 0.5
    else:
        assert start > before.duration - 0.2
    assert not insert_audio_notice(path, where=where, mode=mode).inserted  # idempotent


def test_audio_implicit_label_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=2", str(path))
    add_label(path, AigcLabel("1", "producer-x", "id-1"))
    done = insert_audio_notice(path, mode=AudioMode.rhythm)
    assert "implicit label kept" in done.notes
    assert verify_file(path).verdict == "compliant"


def test_speech_is_inserted_but_not_claimed(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "1", str(path))
    insert_audio_notice(path, mode=AudioMode.speech)
    samples = decode_mono(path)
    assert np.sqrt(np.mean(samples[: 16000 * 2] ** 2)) > 0.01  # something is spoken
    result = check_audio(path)
    assert result.verdict == "not_found"
    assert "speech recognition" in result.notes[0]


def test_malformed_audio_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bad.mp3"
    data = b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\x00" * 64
    path.write_bytes(data)
    with pytest.raises(NoticeError, match=r"nothing was changed|not a readable"):
        insert_audio_notice(path)
    assert path.read_bytes() == data
    result = check_notice(path)
    assert result.verdict == "inconclusive"
    assert result.error


# --- video -----------------------------------------------------------------------------


def _audio_md5(path: Path) -> bytes:
    return _ffmpeg("-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-")


def test_video_opening_seconds_and_audio_untouched(tmp_path: Path) -> None:
    src = tmp_path / "v.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=480x360:rate=25:duration=4",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
        "-c:v", "libx264", "-preset", "veryfast", "-qp", "0", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", str(src),
    )  # fmt: skip
    add_label(src, AigcLabel("1", "producer-x", "id-1"))
    dst = tmp_path / "out.mp4"
    done = insert_video_notice(src, out=dst, seconds=2.5)
    assert done.inserted
    assert "implicit label kept" in done.notes
    assert verify_file(dst).verdict == "compliant"
    # Both labels: the audio stream is copied bit for bit, codec and size are kept.
    assert _audio_md5(src) == _audio_md5(dst)
    assert _stream(dst, "v:0")["codec_name"] == "h264"
    assert (_stream(dst, "v:0")["width"], _stream(dst, "v:0")["height"]) == (480, 360)
    for t in (0.5, 1.8):
        reading = judge_picture(frame_at(dst, t))
        assert reading.verdict == "compliant", (t, reading)
    # After the notice, frames match the original decode closely (re-encoded at CRF 18).
    a = np.asarray(frame_at(src, 3.2).convert("RGB"), dtype=float)
    b = np.asarray(frame_at(dst, 3.2).convert("RGB"), dtype=float)
    psnr = 10 * np.log10(255**2 / max(np.mean((a - b) ** 2), 1e-9))
    assert psnr > 35
    assert judge_picture(frame_at(dst, 3.2)).verdict == "not_found"
    assert check_notice(dst).verdict == "compliant"


def test_video_without_notice_and_malformed(tmp_path: Path) -> None:
    src = tmp_path / "v.webm"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=2.5",
        "-c:v", "libvpx-vp9", "-deadline", "realtime", str(src),
    )  # fmt: skip
    assert check_notice(src).verdict == "not_found"
    bad = tmp_path / "bad.mp4"
    data = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100
    bad.write_bytes(data)
    with pytest.raises(NoticeError):
        insert_video_notice(bad)
    assert bad.read_bytes() == data
    assert check_notice(bad).verdict == "inconclusive"
