"""Postal addresses (placeholder until the address recogniser lands)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from aisec.detect.base import Finding
from aisec.detect.pii.base import Recognizer, ScanContext


class AddressRecognizer(Recognizer):
    """Chinese and English postal addresses."""

    name: ClassVar[str] = "pii.address"
    version: ClassVar[str] = "0.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.address",)

    def find(self, ctx: ScanContext) -> Iterable[Finding]:
        return ()
