"""The GB/T 45654 risk taxonomy and aisec's finding kinds, loaded from the rule pack."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from aisec.errors import PackError

DEFAULT_PACK = "tc260-2026-01"


@dataclass(frozen=True)
class Risk:
    """One GB/T 45654 risk (``A1.4``) or class (``A1``)."""

    code: str
    name: str
    en: str
    parent: str | None


@dataclass(frozen=True)
class KindInfo:
    """A finding kind outside the risk tree (PII, secrets) with its redaction label."""

    kind: str
    label: str
    en: str
    mask: tuple[int, int] = (0, 0)
    sensitive: bool = False


@dataclass(frozen=True)
class Taxonomy:
    """Everything the pack says about kinds: risks, PII and secret kinds, figures."""

    pack: str
    risks: dict[str, Risk]
    kinds: dict[str, KindInfo]
    figures: dict[str, Any]

    def risk_codes(self, cls: str | None = None) -> list[str]:
        """Leaf risk codes (``A1.1`` …), optionally only those of one class (``A1``)."""
        return [
            r.code
            for r in self.risks.values()
            if r.parent is not None and (cls is None or r.parent == cls)
        ]

    def label(self, kind: str) -> str:
        """The human label for a kind (used by ``redact:replace``)."""
        info = self.kinds.get(kind)
        if info is not None:
            return info.label
        code = kind.removeprefix("risk.")
        risk = self.risks.get(code)
        if risk is not None:
            return risk.name
        return kind.rsplit(".", 1)[-1].upper()

    def is_known(self, kind: str) -> bool:
        """True for any kind the pack defines, or a prefix of one (``pii``, ``risk.A1``)."""
        if kind in self.kinds or kind.removeprefix("risk.") in self.risks:
            return True
        prefix = kind.rstrip("*").rstrip(".")
        return any(k == prefix or k.startswith(prefix + ".") for k in self.all_kinds())

    def all_kinds(self) -> list[str]:
        """Every concrete kind: PII, secrets and ``risk.<code>`` for each class and risk."""
        return [*self.kinds, *(f"risk.{c}" for c in self.risks)]


@lru_cache(maxsize=4)
def load_taxonomy(pack: str = DEFAULT_PACK) -> Taxonomy:
    """Load the taxonomy of a rule pack shipped in ``aisec/packs``."""
    try:
        raw = resources.files("aisec.packs").joinpath(f"{pack}/taxonomy.yaml").read_text("utf-8")
        data = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise PackError(f"rule pack {pack!r} has no readable taxonomy.yaml: {exc}") from exc
    risks: dict[str, Risk] = {}
    for cls_code, cls in data["risks"].items():
        risks[cls_code] = Risk(cls_code, cls["name"], cls["en"], None)
        for code, r in cls["risks"].items():
            risks[code] = Risk(code, r["name"], r["en"], cls_code)
    kinds: dict[str, KindInfo] = {}
    for section in ("pii", "secrets", "attack", "response"):
        for kind, info in data.get(section, {}).items():
            mask = tuple(info.get("mask", (0, 0)))
            kinds[kind] = KindInfo(
                kind,
                info["label"],
                info["en"],
                (int(mask[0]), int(mask[1])),
                bool(info.get("sensitive", False)),
            )
    return Taxonomy(data["pack"], risks, kinds, data.get("lexicon_figures", {}))
