"""What the explicit-label modules share: results, errors, external tools, atomic output,
and carrying the implicit label over to a re-encoded file."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from aisec.errors import AisecError, InputError
from aisec.label.carriers.base import CarrierError
from aisec.label.model import LabelError
from aisec.label.sign import Role, SigningKey, content_digest, sign_label

COMPLIANT, NONCOMPLIANT, NOT_FOUND, INCONCLUSIVE = (
    "compliant",
    "noncompliant",
    "not_found",
    "inconclusive",
)

#: Where a CJK font is looked for when fontconfig cannot name one (Debian fonts-noto-cjk).
FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
_TIMEOUT = 600.0  # seconds for one external tool run (a long video re-encode)


class NoticeError(InputError):
    """An explicit notice cannot be inserted or checked (missing tool or font, malformed
    media, unsupported type). The message says what to do."""


class ToolMissing(NoticeError):
    """A system tool or data file the explicit labels need is not installed."""


@dataclass(slots=True)
class NoticeCheck:
    """What ``check-notice`` found in one file."""

    file: Path
    modality: str  # text, image, video, audio
    verdict: str
    evidence: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    measures: dict[str, float] = field(default_factory=dict)
    error: bool = False  # the file could not be read at all

    def as_dict(self) -> dict[str, Any]:
        """The JSON record ``check-notice --format json`` prints."""
        return {
            "file": str(self.file),
            "modality": self.modality,
            "verdict": self.verdict,
            "evidence": list(self.evidence),
            "problems": list(self.problems),
            "notes": list(self.notes),
            "measures": {k: round(v, 4) for k, v in self.measures.items()},
        }


@dataclass(slots=True)
class NoticeResult:
    """What inserting a notice did to one file."""

    file: Path
    modality: str
    inserted: bool  # False: the notice was already there (idempotent)
    notes: list[str] = field(default_factory=list)


def tool(name: str, package: str) -> str:
    """Path of a system command, or :class:`ToolMissing` naming the Debian package."""
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(
            f"`{name}` is not installed (Debian package {package}); run `make sysdeps`"
        )
    return path


@cache
def cjk_font() -> Path:
    """A font file with Simplified Chinese glyphs: fontconfig's choice for ``Noto Sans
    CJK SC``, else the Debian path; never a Latin-only fallback."""
    fc = shutil.which("fc-match")
    if fc is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(  # noqa: S603 - list arguments, fixed tool, no shell
                [fc, "-f", "%{file}", "Noto Sans CJK SC:lang=zh-cn"],
                capture_output=True,
                timeout=30,
                check=False,
            )
            found = Path(done.stdout.decode("utf-8", "replace").strip())
            if done.returncode == 0 and "CJK" in found.name and found.is_file():
                return found
    for candidate in FONT_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise ToolMissing(
        "no CJK font found (fontconfig has no `Noto Sans CJK SC`); install Debian package "
        "fonts-noto-cjk with `make sysdeps`"
    )


def run(
    args: Sequence[str],
    *,
    what: str,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> bytes:
    """Run a tool (list arguments, no shell, a timeout); its stdout, or a
    :class:`NoticeError` with the tail of its stderr."""
    try:
        done = subprocess.run(  # noqa: S603 - list arguments, no shell, a timeout
            list(args),
            input=stdin,
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
            env=None if env is None else {**os.environ, **env},
        )
    except subprocess.TimeoutExpired:
        raise NoticeError(f"{what}: {Path(args[0]).name} took over {_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise NoticeError(f"{what}: cannot run {args[0]} ({exc.strerror or exc})") from None
    if done.returncode != 0:
        lines = [x for x in done.stderr.decode("utf-8", "replace").splitlines() if x.strip()]
        tail = "; ".join(lines[-2:]) or f"exit code {done.returncode}"
        raise NoticeError(f"{what}: {tail}")
    return done.stdout


def ffprobe(path: Path, entries: str, *options: str) -> bytes:
    """ffprobe's JSON report of ``entries`` (its ``-show_entries``) for ``path``, with
    ``options`` such as ``-select_streams v:0``; :class:`NoticeError` when ffprobe cannot
    read the file."""
    return run(
        [
            tool("ffprobe", "ffmpeg"),
            "-v", "error",
            *options,
            "-show_entries", entries,
            "-of", "json",
            str(path),
        ],
        what=f"{path}: not a readable media file",
    )  # fmt: skip


@contextlib.contextmanager
def temp_beside(target: Path, suffix: str) -> Iterator[Path]:
    """A fresh temporary path next to ``target`` (same file system, so the final rename
    is atomic), with the target's extension so tools pick the right format."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".aisec-tmp{suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def commit(tmp: Path, src: Path, dst: Path) -> None:
    """fsync ``tmp``, give it ``src``'s mode and rename it over ``dst``."""
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    with contextlib.suppress(OSError):
        shutil.copymode(src, tmp)
    os.replace(tmp, dst)


def carry_implicit_label(src: Path, new: Path, key: SigningKey | None) -> list[str]:
    """Copy ``src``'s implicit label into ``new`` (a re-encoded copy, whose own metadata
    may have been lost). Signatures cover the media, which changed, so they cannot stay:
    with ``key`` the producer signature is redone, otherwise both are dropped and the
    notes say so. Returns notes for the user; an unreadable label is a note, not an error.
    """
    from aisec.label.service import read_copies, rewrite, single_label

    try:
        _, copies = read_copies(src)
        label = single_label(src, copies)
    except (CarrierError, LabelError) as exc:
        if isinstance(exc, CarrierError) and "not a supported format" in str(exc):
            return []
        return [f"implicit label not carried over: {exc}"]
    if label is None:
        return []
    notes: list[str] = []
    signed = [
        n
        for n, v in (
            ("ReservedCode1", label.reserved_code1),
            ("ReservedCode2", label.reserved_code2),
        )
        if v
    ]
    label = label.without_signatures()
    try:
        from aisec.label.carriers.registry import carrier_for

        carrier = carrier_for(new)
        if key is not None:
            digest = content_digest(carrier.content(new), key.algorithm)
            label = label.with_fields(reserved_code1=sign_label(label, Role.producer, key, digest))
            notes.append("implicit label kept; ReservedCode1 re-signed over the new content")
            if "ReservedCode2" in signed:
                notes.append("ReservedCode2 dropped: the propagator must sign again")
        elif signed:
            notes.append(
                f"implicit label kept, but {' and '.join(signed)} dropped: the content "
                "changed, so the signature must be redone (`aisec label add --sign` or "
                "`notice --sign`)"
            )
        else:
            notes.append("implicit label kept")
        rewrite(carrier, new, new, label.to_json())
    except AisecError as exc:
        raise NoticeError(f"{src}: the implicit label could not be re-written ({exc})") from None
    return notes
