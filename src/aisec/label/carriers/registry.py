"""Find the carrier for a file: by its leading bytes, the extension only breaking ties."""

from __future__ import annotations

import importlib
from functools import cache, lru_cache
from pathlib import Path

from aisec.label.carriers.base import Carrier, CarrierError, FileName

# Modules under aisec.label.carriers, each exposing ``CARRIER``. Order matters only when
# two carriers sniff the same bytes (e.g. RIFF: AVI vs WAV vs WebP look at the form type).
_IMAGE_DOC_MODULES: tuple[str, ...] = (
    "png",
    "jpeg",
    "webp",
    "gif",
    "tiff",
    "pdf",
    "office",
    "markdown",
)
_AV_MODULES: tuple[str, ...] = ("mp3", "flac", "ogg", "wav", "avi", "mp4", "matroska")


@cache
def carriers() -> tuple[Carrier, ...]:
    """All known carriers, imported once."""
    found: list[Carrier] = []
    for name in (*_IMAGE_DOC_MODULES, *_AV_MODULES):
        module = importlib.import_module(f"aisec.label.carriers.{name}")
        found.append(module.CARRIER)
    return tuple(found)


@lru_cache(maxsize=256)
def _sniffed(head: bytes) -> tuple[Carrier, ...]:
    """The carriers whose ``sniff`` accepts ``head``, in registry order. Remembered: files
    from one source (a generator's output, a camera) mostly start with the same bytes."""
    return tuple(c for c in carriers() if c.sniff(head))


def carrier_for(path: Path) -> Carrier:
    """The carrier for ``path``; a :class:`CarrierError` names the file when none fits."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise CarrierError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return carrier_for_head(head, path)


def carrier_for_head(head: bytes, path: FileName) -> Carrier:
    """The carrier for a file whose first 64 bytes (fewer if it is shorter) are ``head``."""
    matches = _sniffed(head)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        # Text formats (Markdown) have no magic bytes, and a damaged file deserves its
        # format's own specific error: fall back to the extension.
        suffix = Path(path).suffix.lower()
        matches = tuple(c for c in carriers() if suffix in c.extensions)
    if not matches:
        names = ", ".join(sorted({c.name for c in carriers()})) or "none yet"
        raise CarrierError(f"{path}: not a supported format for labels (supported: {names})")
    if len(matches) > 1:
        suffix = Path(path).suffix.lower()
        by_ext = [c for c in matches if suffix in c.extensions]
        if by_ext:
            return by_ext[0]
    return matches[0]
