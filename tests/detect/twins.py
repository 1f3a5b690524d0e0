"""What the tests of the compiled PII parts share: comparing a C twin with its Python
reference, text for text."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aisec.detect.pii.base import ScanContext
from aisec.text import normalize
from aisec.text.normalize import NormalizedText


def compare_twins(
    texts: Iterable[str],
    compiled: Callable[[str, bytes], list[Any]],
    reference: Callable[[ScanContext], Iterable[Any]],
    *,
    raw: bool = False,
) -> int:
    """``compiled(ctx.text, ctx.data)`` equals ``list(reference(ctx))`` on each text,
    normalised (and, with ``raw``, as it is: accents and odd characters survive); the number
    of findings compared."""
    found = 0
    for text in texts:
        versions = [normalize(text)]
        if raw:
            versions.append(NormalizedText(text, text, None))
        for nt in versions:
            ctx = ScanContext(nt)
            expected = list(reference(ctx))
            assert compiled(ctx.text, ctx.data) == expected, ctx.text
            found += len(expected)
    return found
