"""Compiled Hyperscan databases, cached on disk.

Compiling a database of thousands of patterns takes from a tenth of a second to over a
second; every process that scans text needs several. `compile_database` keys each database
by the SHA-256 of its patterns, flags, mode and the Hyperscan version, keeps the compiled
form under the user's cache folder (``AISEC_CACHE_DIR``, or ``$XDG_CACHE_HOME/aisec``;
``AISEC_CACHE_DIR=off`` disables it) and reloads it with ``hyperscan.loadb`` — Hyperscan's
own serialisation, which validates what it reads, not pickle. A corrupt or foreign file is
ignored and overwritten.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import hyperscan
import numpy as np
import numpy.typing as npt

from aisec.io.atomic import atomic_binary

#: bump when the way databases are built changes (invalidates every cached file)
CACHE_VERSION = "1"


def cache_dir() -> Path | None:
    """Where compiled databases are kept, or None when caching is switched off."""
    env = os.environ.get("AISEC_CACHE_DIR")
    if env is not None:
        return None if env.lower() in ("", "off", "0", "none") else Path(env) / "hyperscan"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aisec" / "hyperscan"


def byte_to_char(data: bytes) -> npt.NDArray[np.int64]:
    """For each byte offset of UTF-8 ``data`` (and ``len(data)``), the index of the character
    that starts there or contains it: Hyperscan reports byte offsets, aisec character ones."""
    # a lead byte starts a character; one more "lead" at ``len(data)`` makes the entry
    # there the number of characters (one past the last index)
    lead = np.empty(len(data) + 1, dtype=np.bool_)
    np.not_equal(np.frombuffer(data, dtype=np.uint8) & 0xC0, 0x80, out=lead[:-1])
    lead[-1] = True
    index = np.cumsum(lead, dtype=np.int64)
    index -= 1  # the character each byte belongs to
    return index


#: ``(pattern id, start, end, flags, context)``; start is 0 unless SOM was asked for
MatchHandler = Callable[[int, int, int, int, object], bool | None]


class Matcher:
    """A compiled database plus one scratch space per thread.

    Hyperscan needs a scratch space per concurrent scan; a database's built-in one would
    make two threads scanning at once fail (``ScratchInUseError``). Every scan in aisec
    goes through `Matcher.scan`.
    """

    def __init__(self, db: hyperscan.Database) -> None:
        self.db = db
        self._local = threading.local()

    def scan(self, data: bytes, on_match: MatchHandler) -> None:
        """Report every match in ``data`` to ``on_match``."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = hyperscan.Scratch(self.db)
            self._local.scratch = scratch
        self.db.scan(data, match_event_handler=on_match, scratch=scratch)


def compile_database(
    expressions: Sequence[bytes],
    flags: Sequence[int],
    *,
    literal: bool = False,
    ids: Sequence[int] | None = None,
) -> Matcher:
    """A block-mode database of ``expressions`` (literals with ``literal=True``), from the
    on-disk cache when it is there."""
    ids = list(ids) if ids is not None else list(range(len(expressions)))
    digest = hashlib.sha256()
    digest.update(f"{CACHE_VERSION}|{getattr(hyperscan, '__version__', '?')}|{literal}|".encode())
    for e, f, i in zip(expressions, flags, ids, strict=True):
        digest.update(b"%d\x00%d\x00" % (i, f))
        digest.update(e)
        digest.update(b"\x00\x01")
    path = cache_file(digest.hexdigest(), ".hsdb")
    blob = read_cached(path)
    if blob is not None:
        try:
            return Matcher(hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK))
        except hyperscan.error:
            pass  # stale or foreign file: recompile and overwrite it below
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=list(expressions),
        ids=ids,
        elements=len(expressions),
        flags=list(flags),
        literal=literal,
    )
    store_cached(path, hyperscan.dumpb(db))
    return Matcher(db)


def cache_file(digest: str, suffix: str) -> Path | None:
    """The cache file for a database keyed by ``digest`` (None: caching is off)."""
    folder = cache_dir()
    return folder / f"{digest}{suffix}" if folder is not None else None


def read_cached(path: Path | None) -> bytes | None:
    """A cache file's bytes, or None when there is none (or it cannot be read)."""
    if path is None or not path.is_file():
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def store_cached(path: Path | None, blob: bytes) -> None:
    """Best-effort atomic write of a cache file (a read-only home is not an error)."""
    if path is None:
        return
    try:
        with atomic_binary(path) as fh:
            fh.write(blob)
    except OSError:
        return
