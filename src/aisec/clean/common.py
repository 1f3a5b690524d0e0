"""What the deduplicators share: the error, the progress callback, the version, batching."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aisec.clean.shingle import SEPARATOR
from aisec.errors import AisecError
from aisec.text import FOLD_VERSION, normalize

#: part of every ledger line: bumped when shingling, hashing or clustering changes
DEDUP_VERSION = f"1+fold{FOLD_VERSION}"

#: ``progress(stage, done, total)``; ``total`` is None while documents are still coming
Progress = Callable[[str, int, int | None], None]

#: texts normalised in one call
BATCH = 2048


class DedupError(AisecError):
    """Deduplication was asked something it cannot do (bad parameters, mismatched
    signatures, adding after the result was computed)."""


def normalized_texts(texts: Sequence[str]) -> list[str]:
    """``normalize(t).text`` for each text, in one normalisation call."""
    if not texts:
        return []
    joined = SEPARATOR.join(t.replace(SEPARATOR, "") if SEPARATOR in t else t for t in texts)
    out = normalize(joined).text.split(SEPARATOR)
    if len(out) != len(texts):  # normalisation must keep the separator
        raise RuntimeError("text normalisation dropped the batch separator U+FFFF")
    return out
