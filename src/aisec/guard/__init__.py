"""Runtime protection for AI applications (guide 1, deployment and operation): the
library form. `Guard` checks chat requests and answers — decisions allow / flag / redact /
block, reversible redaction of the user's personal data, canary and system-prompt leak
detection, streaming cut-off, the GB 45438 text notice — and records every decision in
the audit log. The HTTP proxy is built on it."""

from __future__ import annotations

from aisec.guard.config import GuardConfig, load_guard_policy, parse_guard_policy
from aisec.guard.decision import Decision, RequestContext
from aisec.guard.guard import Guard, language_of, masked_excerpt
from aisec.guard.vault import TokenVault

__all__ = [
    "Decision",
    "Guard",
    "GuardConfig",
    "RequestContext",
    "TokenVault",
    "language_of",
    "load_guard_policy",
    "masked_excerpt",
    "parse_guard_policy",
]
