"""Explicit notices in audio: a 短长短短 tone rhythm and/or a spoken notice, prepended or
appended with ffmpeg; the rhythm is detected by signal processing.

The rhythm is Morse code for "AI" (``·-  ··``, which is exactly short-long-short-short),
at Morse proportions with a 120 ms unit:

* tone: 1000 Hz sine, peak −12 dBFS, 8 ms raised-cosine ramps (no clicks);
* short 120 ms, long 360 ms; gap 120 ms inside a letter, 360 ms between ``A`` and ``I``;
* 300 ms of silence before and after; 1.92 s in all.

The detector decodes the first and last :data:`WINDOW` seconds to 16 kHz mono, takes
20 ms frames every 10 ms, and calls a frame *tonal* when it is louder than −40 dBFS and
≥ 80 % of its power lies within ±100 Hz of its spectral peak, the peak being at
300–4000 Hz. Runs of tonal frames at one frequency are tones; four consecutive tones
within 60 Hz of each other whose lengths read short-long-short-short (long/short between
2 and 4.5, shorts within ±50 % of each other, unit 60–400 ms) separated by gaps of 0.3–5
units that are at least 20 dB quieter than the tones are the rhythm, whatever its exact
frequency or tempo. A plain tone is one long run and noise is not tonal, so neither matches; music
built from short clean tones could, which the report's measures let a reviewer judge.

A spoken notice (espeak-ng, Mandarin voice ``cmn``) is inserted on request, but is not
verified: that would need speech recognition, which aisec does not ship.
"""

from __future__ import annotations

import json
import tempfile
import wave
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from aisec.label.explicit._common import (
    COMPLIANT,
    INCONCLUSIVE,
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
from aisec.label.sign import SigningKey
from aisec.notice import DEFAULT_NOTICE, is_notice

AUDIO_EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac")
TONE_HZ = 1000.0
UNIT = 0.12
PATTERN = (1, 3, 1, 1)  # short long short short, in units
GAPS = (1, 3, 1)  # Morse: inside A, between A and I, inside I
PAD = 0.3
LEVEL = 10 ** (-12 / 20)
WINDOW = 15.0  # seconds read at each end by the detector
_SR = 16000
_FRAME, _HOP = 320, 160
_PURITY = 0.8
_ENCODERS = {
    "mp3": "libmp3lame",
    "vorbis": "libvorbis",
    "opus": "libopus",
    "aac": "aac",
    "flac": "flac",
    "alac": "alac",
}


class AudioMode(StrEnum):
    """What an audio notice consists of."""

    rhythm = "rhythm"
    speech = "speech"
    both = "both"


def rhythm_samples(sample_rate: int) -> NDArray[np.float32]:
    """The 短长短短 rhythm (with its silent padding) as mono float samples."""
    ramp_n = int(0.008 * sample_rate)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, ramp_n))
    parts = [np.zeros(int(PAD * sample_rate))]
    for i, units in enumerate(PATTERN):
        n = int(units * UNIT * sample_rate)
        tone = LEVEL * np.sin(2 * np.pi * TONE_HZ * np.arange(n) / sample_rate)
        tone[:ramp_n] *= ramp
        tone[-ramp_n:] *= ramp[::-1]
        parts.append(tone)
        if i < len(GAPS):
            parts.append(np.zeros(int(GAPS[i] * UNIT * sample_rate)))
    parts.append(np.zeros(int(PAD * sample_rate)))
    return np.concatenate(parts).astype(np.float32)


def _write_wav(path: Path, samples: NDArray[np.float32], sample_rate: int) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What ffprobe says about a file's first audio stream."""

    codec: str
    sample_rate: int
    channels: int
    layout: str
    sample_fmt: str
    bit_rate: int | None
    duration: float
    has_video: bool


def probe(path: Path) -> AudioInfo:
    """ffprobe the file; :class:`NoticeError` when it has no decodable audio."""
    out = ffprobe(
        path,
        "stream=codec_type,codec_name,sample_rate,channels,channel_layout,sample_fmt,"
        "bit_rate:format=duration,bit_rate",
    )
    try:
        data = json.loads(out)
        streams = data.get("streams", [])
        audio = next(s for s in streams if s.get("codec_type") == "audio")
        rate = audio.get("bit_rate") or data.get("format", {}).get("bit_rate")
        return AudioInfo(
            codec=str(audio["codec_name"]),
            sample_rate=int(audio["sample_rate"]),
            channels=int(audio["channels"]),
            layout=str(
                audio.get("channel_layout") or ("mono" if audio["channels"] == 1 else "stereo")
            ),
            sample_fmt=str(audio.get("sample_fmt", "s16")),
            bit_rate=int(rate) if rate else None,
            duration=float(data.get("format", {}).get("duration", 0.0)),
            has_video=any(
                s.get("codec_type") == "video" and s.get("codec_name") not in ("mjpeg", "png")
                for s in streams
            ),
        )
    except (ValueError, KeyError, StopIteration, TypeError):
        raise NoticeError(f"{path}: no decodable audio stream; nothing was changed") from None


def decode_mono(
    path: Path, start: float | None = None, duration: float | None = None
) -> NDArray[np.float32]:
    """Samples of the first audio stream, 16 kHz mono float."""
    args = [tool("ffmpeg", "ffmpeg"), "-v", "error", "-nostdin"]
    if start is not None:
        args += ["-ss", f"{start:.3f}"]
    args += ["-i", str(path)]
    if duration is not None:
        args += ["-t", f"{duration:.3f}"]
    args += ["-map", "0:a:0", "-ac", "1", "-ar", str(_SR), "-f", "f32le", "-"]
    raw = run(args, what=f"{path}: cannot decode the audio")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


@dataclass(frozen=True, slots=True)
class Tone:
    """A run of tonal frames."""

    start: float
    length: float
    freq: float
    level: float  # median RMS


def _frames(
    samples: NDArray[np.float32],
) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.float64]]:
    """Per 10 ms frame: tonal?, spectral peak bin, RMS."""
    n = 1 + (samples.size - _FRAME) // _HOP
    idx = np.arange(_FRAME)[None, :] + _HOP * np.arange(n)[:, None]
    raw = samples[idx]
    power = np.abs(np.fft.rfft(raw * np.hanning(_FRAME)[None, :], axis=1)) ** 2
    bin_hz = _SR / _FRAME
    low = int(60 / bin_hz)  # the peak is searched over the whole voice range and up
    peak = low + np.argmax(power[:, low:], axis=1)
    total = power.sum(axis=1) + 1e-20
    near = np.zeros(n)
    for d in (-2, -1, 0, 1, 2):
        near += power[np.arange(n), np.clip(peak + d, 0, power.shape[1] - 1)]
    rms = np.sqrt(np.mean(raw.astype(np.float64) ** 2, axis=1))
    in_band = (peak * bin_hz >= 300) & (peak * bin_hz <= 4000)
    tonal = (near / total >= _PURITY) & (rms >= 0.01) & in_band
    return tonal, peak.astype(np.int64), rms


def tones(samples: NDArray[np.float32]) -> list[Tone]:
    """Runs of tonal frames (see the module rule)."""
    if samples.size < _FRAME:
        return []
    tonal, peak, rms = _frames(samples)
    n = tonal.size
    runs: list[Tone] = []
    i = 0
    while i < n:
        if not tonal[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and tonal[j + 1] and abs(int(peak[j + 1]) - int(peak[i])) <= 1:
            j += 1
        freq = float(np.median(peak[i : j + 1])) * _SR / _FRAME
        level = float(np.median(rms[i : j + 1]))
        runs.append(Tone(i * _HOP / _SR, (j - i + 1) * _HOP / _SR, freq, level))
        i = j + 1
    return runs


def find_rhythm(samples: NDArray[np.float32]) -> dict[str, float] | None:
    """Measures of the first 短长短短 rhythm in ``samples``, or None."""
    if samples.size < _FRAME:
        return None
    _, _, rms = _frames(samples)
    runs = [t for t in tones(samples) if t.length >= 0.03]
    for k in range(len(runs) - 3):
        seq = runs[k : k + 4]
        if max(t.freq for t in seq) - min(t.freq for t in seq) > 60:
            continue
        shorts = [seq[0].length, seq[2].length, seq[3].length]
        unit = float(np.median(shorts))
        if not 0.06 <= unit <= 0.4 or max(shorts) > 1.5 * unit or min(shorts) < 0.5 * unit:
            continue
        ratio = seq[1].length / unit
        if not 2.0 <= ratio <= 4.5:
            continue
        gaps = [seq[i + 1].start - (seq[i].start + seq[i].length) for i in range(3)]
        if max(gaps) > 5 * unit or min(gaps) < 0.3 * unit:
            continue
        # The gaps must be quiet: speech has tonal vowels, but no silence between them
        # at a steady pitch.
        level = float(np.median([t.level for t in seq]))
        quiet = float("inf")
        for i in range(3):
            a = int((seq[i].start + seq[i].length) * _SR / _HOP) + 2
            b = int(seq[i + 1].start * _SR / _HOP) - 1  # exclusive: frames before the tone
            if b > a:
                quiet = min(quiet, level / (float(rms[a:b].max()) + 1e-9))
        if quiet < 10:  # gaps at least 20 dB below the tones
            continue
        return {
            "start": seq[0].start,
            "unit": unit,
            "long_ratio": ratio,
            "freq": float(np.mean([t.freq for t in seq])),
            "gap_db": min(120.0, 20 * float(np.log10(quiet))),
        }
    return None


def check_audio(path: Path) -> NoticeCheck:
    """``compliant`` when the rhythm is found at the start or the end."""
    result = NoticeCheck(path, "audio", NOT_FOUND)
    try:
        info = probe(path)
        head = decode_mono(path, None, WINDOW)
        tail = (
            decode_mono(path, max(0.0, info.duration - WINDOW)) if info.duration > WINDOW else None
        )
    except NoticeError as exc:
        result.verdict, result.error = INCONCLUSIVE, True
        result.problems.append(str(exc))
        return result
    for where, samples, offset in (
        ("start", head, 0.0),
        ("end", tail, max(0.0, info.duration - WINDOW)),
    ):
        if samples is None:
            continue
        found = find_rhythm(samples)
        if found is not None:
            result.verdict = COMPLIANT
            at = offset + found["start"]
            result.evidence.append(
                f"短长短短 rhythm at {at:.2f} s ({where}): {found['freq']:.0f} Hz, unit "
                f"{found['unit'] * 1000:.0f} ms, long/short {found['long_ratio']:.2f}"
            )
            result.measures.update({f"{where}_{k}": v for k, v in found.items()})
            return result
    result.notes.append(
        "no 短长短短 rhythm in the first or last 15 s; a spoken notice cannot be verified "
        "without speech recognition"
    )
    return result


def _speech(text: str, lang: str, dst: Path) -> None:
    voice = "cmn" if lang == "zh" or any(ord(c) > 0x2E7F for c in text) else "en"
    run(
        [tool("espeak-ng", "espeak-ng"), "-v", voice, "-s", "150", "-w", str(dst), text],
        what="espeak-ng",
    )


def insert_audio_notice(
    path: Path,
    *,
    notice: str | None = None,
    lang: str = "zh",
    mode: AudioMode = AudioMode.both,
    where: str = "start",
    out: Path | None = None,
    key: SigningKey | None = None,
) -> NoticeResult:
    """Prepend (``where="start"``) or append (``"end"``) the rhythm and/or the spoken
    notice, re-encoding with the file's codec, sample rate and channel layout; other
    streams (cover art) and tags are kept. Idempotent for the rhythm: a file where it is
    already detected is left alone."""
    if where not in ("start", "end"):
        raise NoticeError(f"--where {where!r}: audio takes start or end")
    wording = (notice if notice is not None else DEFAULT_NOTICE.get(lang, "")).strip()
    if mode is not AudioMode.rhythm and not is_notice(wording):
        raise NoticeError(f"notice {wording!r} must contain AI/人工智能 and 生成/合成")
    info = probe(path)
    if info.has_video:
        raise NoticeError(f"{path}: has a video stream; use the video notice")
    if mode is not AudioMode.speech and check_audio(path).verdict == COMPLIANT:
        return NoticeResult(out or path, "audio", False, ["the rhythm is already there"])
    encoder = _ENCODERS.get(info.codec, info.codec if info.codec.startswith("pcm_") else "")
    if not encoder:
        raise NoticeError(f"{path}: cannot re-encode {info.codec} audio")
    ffmpeg = tool("ffmpeg", "ffmpeg")
    dst = out or path
    with tempfile.TemporaryDirectory(prefix="aisec-notice-") as work:
        parts: list[Path] = []
        if mode is not AudioMode.speech:
            parts.append(Path(work) / "rhythm.wav")
            _write_wav(parts[-1], rhythm_samples(info.sample_rate), info.sample_rate)
        if mode is not AudioMode.rhythm:
            parts.append(Path(work) / "speech.wav")
            _speech(wording, lang, parts[-1])
        inputs = [path, *parts] if where == "end" else [*parts, path]
        fmt = f"aresample={info.sample_rate},aformat=sample_fmts={info.sample_fmt}:channel_layouts={info.layout}"
        graph = ";".join(f"[{i}:a:0]{fmt}[a{i}]" for i in range(len(inputs)))
        graph += ";" + "".join(f"[a{i}]" for i in range(len(inputs)))
        graph += f"concat=n={len(inputs)}:v=0:a=1[out]"
        src_index = inputs.index(path)
        args = [ffmpeg, "-v", "error", "-nostdin", "-y"]
        for p in inputs:
            args += ["-i", str(p)]
        args += [
            "-filter_complex",
            graph,
            "-map",
            "[out]",
            "-map",
            f"{src_index}:v?",
            "-c:v",
            "copy",
        ]
        args += ["-map_metadata", str(src_index), "-c:a", encoder, "-ar", str(info.sample_rate)]
        if info.bit_rate and not encoder.startswith(("pcm_", "flac", "alac")):
            args += ["-b:a", str(info.bit_rate)]
        with temp_beside(dst, path.suffix) as tmp:
            run([*args, str(tmp)], what=f"{path}: ffmpeg could not add the notice")
            notes = carry_implicit_label(path, tmp, key)
            commit(tmp, path, dst)
    return NoticeResult(dst, "audio", True, notes)
