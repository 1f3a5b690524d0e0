"""Response judging: is an answer unsafe, and is it a refusal (Chinese and English)?

- `ResponseJudge` (registered as ``response``): kinds ``response.unsafe`` and
  ``response.refusal`` on single texts, and `ResponseJudge.judge` for a question + answer.
- `refusal_rule_score`: the hand-written refusal phrasings.

The model is rebuilt by ``scripts/train_response.py``; figures are in ``bench/RESULTS.md``.
"""

from aisec.detect.response.judge import Judgement, ResponseJudge
from aisec.detect.response.refusal import refusal_rule_score

__all__ = ["Judgement", "ResponseJudge", "refusal_rule_score"]
