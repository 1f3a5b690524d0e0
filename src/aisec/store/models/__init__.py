"""Every table of aisec's database, one module per face that owns the data.

The tables are here, in the foundation, rather than in the faces: Alembic's environment
must see the whole schema (to compare it with the migrations) and the store may not
import a face. A face imports its models from here and keeps its logic to itself.
"""

from __future__ import annotations

from aisec.store.models.audit import GENESIS_HASH, AuditEvent, AuditHead
from aisec.store.models.guard import (
    GuardIncident,
    GuardIncidentEvent,
    GuardKey,
    GuardState,
    GuardVault,
)
from aisec.store.models.label_intake import (
    DECLARATIONS,
    REVIEW_DECISIONS,
    STATUSES,
    VERDICTS,
    IntakeDecision,
    ReviewAction,
)

__all__ = [
    "DECLARATIONS",
    "GENESIS_HASH",
    "REVIEW_DECISIONS",
    "STATUSES",
    "VERDICTS",
    "AuditEvent",
    "AuditHead",
    "GuardIncident",
    "GuardIncidentEvent",
    "GuardKey",
    "GuardState",
    "GuardVault",
    "IntakeDecision",
    "ReviewAction",
]
