"""Person names (placeholder until the names recogniser lands)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from aisec.detect.base import Finding
from aisec.detect.pii.base import Recognizer, ScanContext


class PersonNameRecognizer(Recognizer):
    """Chinese and English person names."""

    name: ClassVar[str] = "pii.name"
    version: ClassVar[str] = "0.0"
    kinds: ClassVar[tuple[str, ...]] = ("pii.person_name",)

    def find(self, ctx: ScanContext) -> Iterable[Finding]:
        return ()
