"""WAV: the label is a top-level RIFF chunk ``AIGC`` plus an ``AIGC`` entry in
``LIST/INFO`` (see :mod:`aisec.label.carriers.riff` for who reads which).

Both go before the ``data`` chunk (the INFO entry joins an existing ``LIST/INFO`` chunk
wherever that is), so streaming readers meet the label before the samples. WAV has no
byte offsets to fix, so the chunks after the label simply move; they are copied in
pieces, unchanged.

``content`` is the ``fmt ``, ``fact`` and ``data`` chunks: the format and the samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from aisec.label.carriers.base import CarrierHit
from aisec.label.carriers.riff import (
    LABEL_ID,
    Chunk,
    RiffReader,
    is_info,
    label_chunk,
    label_hits,
    new_info,
    relabel_info,
    riff_header,
)

_FORM = b"WAVE"
_MEDIA = (b"fmt ", b"fact", b"data")


class WavCarrier:
    """Label carrier for WAV files (RIFF chunk and INFO entry ``AIGC``)."""

    name = "wav"
    extensions = (".wav", ".wave")

    def sniff(self, head: bytes) -> bool:
        """``RIFF`` with form type ``WAVE``."""
        return head[:4] == b"RIFF" and head[8:12] == _FORM

    def read(self, path: Path) -> list[CarrierHit]:
        """The ``AIGC`` chunk(s) and INFO entries, in file order."""
        with path.open("rb") as fh:
            reader = RiffReader(fh, path, "WAV")
            return label_hits(reader, reader.top(_FORM).chunks, "wav")

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy ``src`` to ``dst`` with the label chunk and INFO entry replaced or removed."""
        with src.open("rb") as fin:
            reader = RiffReader(fin, src, "WAV")
            riff = reader.top(_FORM)
            data_index = next((i for i, c in enumerate(riff.chunks) if c.id == b"data"), None)
            if data_index is None:
                raise reader.fail("no 'data' chunk")
            pieces: list[bytes | Chunk] = []
            info_done = False
            for index, chunk in enumerate(riff.chunks):
                if index == data_index and payload is not None:
                    if not info_done:
                        pieces.append(new_info(payload))
                        info_done = True
                    pieces.append(label_chunk(payload))
                if chunk.id == LABEL_ID:
                    continue
                if is_info(chunk):
                    info = relabel_info(reader, chunk, None if info_done else payload)
                    info_done = info_done or payload is not None
                    if info is not None:
                        pieces.append(info)
                    continue
                pieces.append(chunk)
            body = sum(len(p) if isinstance(p, bytes) else p.end - p.offset for p in pieces)
            with dst.open("wb") as fout:
                fout.write(riff_header(_FORM, body, reader))
                for piece in pieces:
                    if isinstance(piece, bytes):
                        fout.write(piece)
                    else:
                        for part in reader.chunk_bytes(piece):
                            fout.write(part)
                reader.copy(fout, min(riff.riff_end, riff.size), riff.size)

    def content(self, path: Path) -> Iterator[bytes]:
        """The ``fmt ``, ``fact`` and ``data`` chunks, in file order."""
        with path.open("rb") as fh:
            reader = RiffReader(fh, path, "WAV")
            for chunk in reader.top(_FORM).chunks:
                if chunk.id in _MEDIA:
                    yield from reader.stream(chunk.offset, chunk.data_start + chunk.size)


CARRIER = WavCarrier()
