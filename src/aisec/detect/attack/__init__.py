"""Prompt-attack detection: injection, jailbreak and system-prompt extraction.

- `AttackDetector` (registered as ``attack``): rules + a hashed n-gram linear model;
  kinds ``attack.injection``, ``attack.jailbreak``, ``attack.prompt_leak``.
- `AttackModel`: the numpy-only model (weights ``.npy`` + ``model.json`` card).
- `RuleSet`, `RULES`: the hand-written patterns.

The model is rebuilt by ``scripts/train_attack.py``; figures are in ``bench/RESULTS.md``.
"""

from aisec.detect.attack.detector import KINDS, AttackDetector, segments
from aisec.detect.attack.model import AttackModel
from aisec.detect.attack.rules import RULES, Rule, RuleSet

__all__ = ["KINDS", "RULES", "AttackDetector", "AttackModel", "Rule", "RuleSet", "segments"]
