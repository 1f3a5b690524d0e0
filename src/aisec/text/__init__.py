"""Text normalisation for matching, with an offset map back to the original text."""

from aisec.text.normalize import FOLD_VERSION, NormalizedText, normalize

__all__ = ["FOLD_VERSION", "NormalizedText", "normalize"]
