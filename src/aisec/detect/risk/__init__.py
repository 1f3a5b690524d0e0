"""Harmful-content detection over the GB/T 45654 Annex A risks, prompts and responses.

- `RiskDetector` (registered as ``risk``): a hashed n-gram linear model with the keyword
  library's evidence as features; kinds ``risk.A1`` … ``risk.A5`` and risk codes such as
  ``risk.A2.5``.
- `RiskModel`: the numpy-only model (``aisec/packs/risk``: ``weights.npy`` + ``model.json``).

The model is rebuilt by ``scripts/train_risk.py``; figures are in ``bench/RESULTS.md``.
"""

from aisec.detect.risk.detector import RiskDetector
from aisec.detect.risk.model import RiskModel, RiskScores

__all__ = ["RiskDetector", "RiskModel", "RiskScores"]
