"""Process-wide tuning, applied by whoever owns the process (the ``aisec`` command, the
benchmarks) — never on import, since a library must not change its host's allocator.

Detection works on large numpy temporaries (code-point arrays and offset maps of a whole
batch, a few MB each). With glibc's defaults each of them is mapped fresh from the kernel
and unmapped or trimmed when freed, so every batch pays page faults for memory it just
gave back: about a fifth of the PII detector's time on ordinary text. Raising the mmap and
trim thresholds lets freed blocks be reused instead. The cost is that up to
``TRIM_THRESHOLD`` bytes of freed memory stay with the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from functools import lru_cache
from importlib.machinery import PathFinder
from pathlib import Path

#: allocations up to this size come from the heap (glibc default: 128 KiB, adaptive)
MMAP_THRESHOLD = 16 * 1024 * 1024
#: freed memory at the top of the heap is kept up to this size (glibc default: 128 KiB)
TRIM_THRESHOLD = 64 * 1024 * 1024
_M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
_M_MMAP_THRESHOLD = -3


def tune_allocator() -> bool:
    """Apply the thresholds above on Linux with glibc; True when they took effect.
    Elsewhere (macOS, musl, Windows) nothing changes and the result is False."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (musl's mallopt is a no-op)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mmap_ok = int(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) == 1
    trim_ok = int(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) == 1
    return mmap_ok and trim_ok


@lru_cache(maxsize=1)
def native_enabled() -> bool:
    """False when ``AISEC_NATIVE=0``: aisec's compiled parts (text normalisation, the PII
    detector's parts) stand aside for their Python versions, which give the same results,
    slower. For comparing the two and for tracking down a suspected difference. Read once
    per process (it is asked on every check); ``native_enabled.cache_clear()`` reads it
    again."""
    return os.environ.get("AISEC_NATIVE", "1") != "0"


#: aisec's compiled parts: what each does, and its module path under the package
COMPILED_PARTS = {
    "text normalisation": "text/_fold",
    "PII candidates": "detect/pii/_core",
    "Chinese names": "detect/pii/_names",
    "Chinese addresses": "detect/pii/_address",
    "English names": "detect/pii/_names_en",
    "English addresses": "detect/pii/_address_en",
    "finding bookkeeping": "detect/_batch",
}


def compiled_parts() -> dict[str, bool]:
    """Which compiled parts are built (found beside the package; nothing is imported, so
    this is cheap enough for ``aisec --version``)."""
    root = Path(__file__).resolve().parent
    out = {}
    for label, rel in COMPILED_PARTS.items():
        folder, _, name = rel.rpartition("/")
        out[label] = PathFinder.find_spec(name, [str(root / folder)]) is not None
    return out
