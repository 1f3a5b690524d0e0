"""Personal-information recognisers (``pii.*`` kinds) and the `PiiDetector` that runs them."""

from aisec.detect.pii.detector import PiiDetector, default_recognizers

__all__ = ["PiiDetector", "default_recognizers"]
