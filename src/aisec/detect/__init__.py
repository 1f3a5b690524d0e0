"""Detection core: what is personal, harmful, hostile or secret in a text."""

from aisec.detect.base import Detector, Finding, map_finding, register, registered
from aisec.detect.scanner import Scanner, ScanResult

__all__ = [
    "Detector",
    "Finding",
    "ScanResult",
    "Scanner",
    "map_finding",
    "register",
    "registered",
]
