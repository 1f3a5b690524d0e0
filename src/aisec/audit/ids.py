"""Random ids: `new_id`, the hex form of a random (version 4) UUID, as
``uuid.uuid4().hex`` makes it, for request and event ids.

Why not ``uuid.uuid4()``: each call reads 16 bytes with ``os.urandom``, a system call
during which the interpreter lets other threads run — on the proxy's event loop (four
ids per request) that was a hand-over of the GIL to the audit writer each time, and
another wait to get it back. Here the bytes come from the same source (``os.urandom``)
read 4 KiB at a time; the ids are the same: 128 random bits less the six that say
"version 4, RFC 4122 variant", in the same 32-character lowercase hex form. Thread-safe;
a forked child starts with a fresh buffer (never the parent's next ids).
"""

from __future__ import annotations

import os
import threading

#: bytes read from ``os.urandom`` at a time (256 ids)
_CHUNK = 4096

_lock = threading.Lock()
_buffer = b""
_pos = 0

# the bits `uuid.UUID(..., version=4)` sets and clears (variant RFC 4122, version 4)
_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_SET = (0x8000 << 48) | (4 << 76)


def _reset() -> None:
    global _buffer, _pos
    _buffer, _pos = b"", 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset)


def uuid4_hex(raw: bytes) -> str:
    """``uuid.UUID(bytes=raw, version=4).hex`` for 16 bytes ``raw``."""
    return "%032x" % ((int.from_bytes(raw, "big") & _CLEAR) | _SET)


def new_id() -> str:
    """A random UUID's hex form, like ``uuid.uuid4().hex``; see the module docstring."""
    global _buffer, _pos
    with _lock:
        pos = _pos
        if pos + 16 > len(_buffer):
            _buffer, pos = os.urandom(_CHUNK), 0
        _pos = pos + 16
        raw = _buffer[pos : pos + 16]
    return uuid4_hex(raw)
