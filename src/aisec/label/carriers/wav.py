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

from aisec.label.carriers.riff import (
    LABEL_ID,
    Chunk,
    RiffCarrier,
    RiffReader,
    is_info,
    label_chunk,
    new_info,
    pieces_size,
    relabel_info,
    riff_header,
)

_FORM = b"WAVE"
_MEDIA = (b"fmt ", b"fact", b"data")


class WavCarrier(RiffCarrier):
    """Label carrier for WAV files (RIFF chunk and INFO entry ``AIGC``)."""

    name = "wav"
    extensions = (".wav", ".wave")
    form = _FORM
    fmt = "WAV"

    def write(self, src: Path, dst: Path, payload: str | None) -> None:
        """Copy ``src`` to ``dst`` with the label chunk and INFO entry replaced or removed."""
        with src.open("rb") as fin:
            reader = RiffReader(fin, src, self.fmt)
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
            with dst.open("wb") as fout:
                fout.write(riff_header(_FORM, pieces_size(pieces), reader))
                reader.write_pieces(fout, pieces)
                reader.copy_rest(fout, riff)

    def content(self, path: Path) -> Iterator[bytes]:
        """The ``fmt ``, ``fact`` and ``data`` chunks, in file order."""
        with path.open("rb") as fh:
            reader = RiffReader(fh, path, self.fmt)
            for chunk in reader.top(_FORM).chunks:
                if chunk.id in _MEDIA:
                    yield from reader.stream(chunk.offset, chunk.data_start + chunk.size)


CARRIER = WavCarrier()
