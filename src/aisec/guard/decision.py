"""`Decision`: what the guard decided about one input, output or stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from aisec.audit.ids import new_id
from aisec.detect.base import Finding
from aisec.guard.vault import TokenVault

Verdict = Literal["allow", "flag", "redact", "block"]
Stage = Literal["input", "output", "stream"]
_RANK = {"allow": 0, "flag": 1, "redact": 2, "block": 3}


def strongest(verdicts: list[Verdict]) -> Verdict:
    """block > redact > flag > allow."""
    return max(verdicts, key=lambda v: _RANK[v], default="allow")


@dataclass
class RequestContext:
    """What ties an answer to its request: the id, the language, the vault of the user's
    redacted values (kept in memory only), and whether the answer is to be JSON
    (``json_answer``: the request asked for ``response_format`` ``json_object`` or
    ``json_schema``; no notice is then written into the answer, and the user's values go
    back into its strings escaped as JSON)."""

    request_id: str = field(default_factory=new_id)
    language: str = "zh"
    vault: TokenVault = field(default_factory=TokenVault)
    json_answer: bool = False


@dataclass
class Decision:
    """The guard's verdict with its evidence.

    ``messages`` (input) are what to send to the model — the user's personal data replaced
    by placeholders, the canary added to the system prompt; ``text`` (output) is what to
    show the user — their own values restored, the notice added — or the refusal when
    blocked. ``findings`` carry original values and must never be logged.
    """

    verdict: Verdict
    stage: Stage
    context: RequestContext
    findings: list[Finding] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] | None = None
    text: str | None = None
    refusal: str | None = None
    latency_ms: float = 0.0

    @property
    def blocked(self) -> bool:
        """True when the request or answer must not be passed on."""
        return self.verdict == "block"

    @property
    def request_id(self) -> str:
        """The request this decision belongs to."""
        return self.context.request_id

    def summary(self) -> dict[str, Any]:
        """The ``"aisec"`` object a proxy puts beside ``choices``."""
        return {"decision": self.verdict, "kinds": self.kinds}
