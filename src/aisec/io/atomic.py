"""Atomic file writes: write a temporary file beside the target, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def _atomic(path: Path, mode: str, **kwargs: str | None) -> Iterator[IO[str] | IO[bytes]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:  # type: ignore[call-overload]
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_writer(path: Path, *, newline: str | None = "") -> Iterator[IO[str]]:
    """Open ``path`` for writing text; it appears whole on success and not at all on error."""
    with _atomic(path, "w", encoding="utf-8", newline=newline) as fh:
        yield fh  # type: ignore[misc]


@contextlib.contextmanager
def atomic_binary(path: Path) -> Iterator[IO[bytes]]:
    """Open ``path`` for writing bytes; it appears whole on success and not at all on error."""
    with _atomic(path, "wb") as fh:
        yield fh  # type: ignore[misc]
