"""The attack model's features: moved to `aisec.detect.ngram` (shared with the risk and
response models); re-exported here so existing imports keep working."""

from aisec.detect.ngram import BITS, I64, NGRAMS, U32, buckets, codepoints, ngram_hashes

__all__ = ["BITS", "I64", "NGRAMS", "U32", "buckets", "codepoints", "ngram_hashes"]
