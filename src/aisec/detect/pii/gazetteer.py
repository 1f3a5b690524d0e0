"""Gazetteer data for PII recognisers (administrative division codes, names)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def load_regions() -> dict[str, str]:
    """GB/T 2260 six-digit administrative division code → name (empty if not shipped)."""
    path = resources.files("aisec.packs").joinpath("pii/regions.tsv")
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            code, _, name = line.partition("\t")
            out[code] = name
    return out
