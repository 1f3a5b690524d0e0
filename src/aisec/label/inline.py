"""Implicit labels on images and speech held in memory (not files): for a service that
hands out generated media, such as the guard proxy's ``POST /v1/images/generations`` and
``POST /v1/audio/speech``. `label_generated_image` can draw the visible notice first (the
explicit label).

`label_image` writes the GB 45438 ``AIGC`` label into a PNG, JPEG, WebP, GIF or TIFF given
as bytes, through the same carriers as ``aisec label add`` (`aisec.label.carriers`: the
write is planned, the pieces joined in memory) and reads it back from the new bytes
before returning them, as the file path does. Anything else (another format, a damaged
image, a label the carrier cannot write) raises `CarrierError` / `LabelError`: an image
is never handed out as labelled when it is not.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from aisec.label.carriers.base import BufferCarrier, CarrierError
from aisec.label.carriers.registry import carrier_for_head
from aisec.label.model import AigcLabel

#: the formats `label_image` takes (carrier names)
IMAGE_FORMATS = ("png", "jpeg", "webp", "gif", "tiff")
#: the formats `label_audio` takes (carrier names; ``ogg`` holds Opus)
AUDIO_FORMATS = ("mp3", "wav", "flac", "ogg")


def image_label(producer: str, produce_id: str) -> AigcLabel:
    """The label of a generated image: ``Label`` "1" (AI-generated), the producer and the
    image's own id; validated (`LabelError`)."""
    return AigcLabel("1", producer, produce_id)


def label_image(data: bytes, label: AigcLabel, name: str = "image") -> tuple[bytes, str]:
    """``data`` (an image) with ``label`` as its implicit label, read back, and the
    image's format. ``name`` names the image in errors."""
    if not data:
        raise CarrierError(f"{name}: empty image")
    carrier = carrier_for_head(data[:64], name)
    if carrier.name not in IMAGE_FORMATS or not hasattr(carrier, "plan"):
        raise CarrierError(f"{name}: {carrier.name} is not an image format aisec labels in memory")
    buffered: BufferCarrier = carrier  # type: ignore[assignment]
    payload = label.to_json()
    plan = buffered.plan(data, name, payload)
    out = bytearray()
    for piece in plan.pieces:
        out += piece if isinstance(piece, bytes) else data[piece[0] : piece[1]]
    for offset, patch in plan.patches:
        if offset + len(patch) > len(out):
            raise CarrierError(f"{name}: {carrier.name}: a patch past the end of the image")
        out[offset : offset + len(patch)] = patch
    labelled = bytes(out)
    back = [hit.payload for hit in buffered.read_buf(labelled, name)]
    if set(back) != {payload}:
        raise CarrierError(f"{name}: {carrier.name}: the label did not read back as written")
    return labelled, carrier.name


def label_generated_image(
    data: bytes, producer: str, produce_id: str, notice: str | None = None
) -> tuple[bytes, str]:
    """A generated image with its labels (the guard proxy's `ImageLabeller`): the
    ``notice`` drawn on it when given (the explicit label,
    `aisec.label.explicit.image.image_bytes_with_notice`), then `label_image` with
    `image_label`."""
    label = image_label(producer, produce_id)  # (a bad producer fails before any drawing)
    if notice is not None:
        # (here, not at import: the explicit labels' modules are for files, and heavy)
        from aisec.label.explicit.image import image_bytes_with_notice

        data = image_bytes_with_notice(data, notice)
    return label_image(data, label)


def label_audio(data: bytes, label: AigcLabel, name: str = "speech") -> tuple[bytes, str]:
    """``data`` (MP3, WAV, FLAC or Ogg) with ``label`` as its implicit label, read back,
    and its format: written through a private temporary folder by the same carriers and
    path as ``aisec label add`` (these formats are labelled by rewriting the file).
    Anything else raises `CarrierError` / `LabelError`."""
    if not data:
        raise CarrierError(f"{name}: empty audio")
    carrier = carrier_for_head(data[:64], name)
    if carrier.name not in AUDIO_FORMATS:
        raise CarrierError(f"{name}: {carrier.name} is not an audio format aisec labels")
    # (here, not at import: the file path's modules are not needed for images)
    from aisec.label.service import add_label, read_copies

    with tempfile.TemporaryDirectory(prefix="aisec-speech-") as folder:
        src, dst = Path(folder, f"in.{carrier.name}"), Path(folder, f"out.{carrier.name}")
        fd = os.open(src, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        add_label(src, label, out=dst)
        _, copies = read_copies(dst)
        if not copies or {c.payload for c in copies} != {label.to_json()}:
            raise CarrierError(f"{name}: {carrier.name}: the label did not read back as written")
        return dst.read_bytes(), carrier.name


def label_generated_speech(data: bytes, producer: str, produce_id: str) -> tuple[bytes, str]:
    """Generated speech with its implicit label (the guard proxy's `SpeechLabeller`):
    `label_audio` with ``Label`` "1", the producer and the answer's own id."""
    return label_audio(data, image_label(producer, produce_id), "speech")
