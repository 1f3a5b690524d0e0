"""Training-data cleaning (TC260 guide 4): the deduplication engine.

`ExactDedup` finds documents with identical normalised text; `NearDedup` finds
near-duplicates (reposts with traditional/simplified swaps, width changes, zero-width
characters, inserted ads, reordered or truncated paragraphs) with MinHash + LSH over
character n-grams, memory-bounded by spilling signatures to disk. Both report, for each
document to drop, the document kept in its place and the evidence.
"""

from aisec.clean.dedup import (
    DEDUP_VERSION,
    Cluster,
    DedupError,
    ExactDedup,
    ExactDuplicate,
    NearDedup,
    NearDedupConfig,
    NearDedupStats,
    NearDuplicate,
    Progress,
    SignatureBatch,
    Skipped,
    iter_batches,
)
from aisec.clean.minhash import band_layout, candidate_probability
from aisec.clean.shingle import shingle_text

__all__ = [
    "DEDUP_VERSION",
    "Cluster",
    "DedupError",
    "ExactDedup",
    "ExactDuplicate",
    "NearDedup",
    "NearDedupConfig",
    "NearDedupStats",
    "NearDuplicate",
    "Progress",
    "SignatureBatch",
    "Skipped",
    "band_layout",
    "candidate_probability",
    "iter_batches",
    "shingle_text",
]
