"""Platform intake: what a platform must do with a file on upload, and the review queue.

标识办法 (Measures for Labelling AI-Generated Content) Art. 6 and GB 45438 ask a platform
to read the implicit label on upload, else take the uploader's declaration, else look for
explicit labels or other traces, and to show "is / may be / suspected AI" accordingly.
The classification follows those three steps, in this order (first match wins):

* **Label "1" (is AI)** — the file carries an implicit label that verifies (``compliant``);
  the class is the Label value the producer wrote (normally "1").
* **Label "2" (may be AI)** — no verified implicit label, but the uploader declares AI.
* **Label "3" (suspected AI)** — neither of the above, but there are traces: an implicit
  label that does not verify (invalid, conflicting copies, bad signature), or an explicit
  notice (text notice with "AI"/"人工智能" and "生成"/"合成", or what
  ``aisec.label.explicit`` finds by OCR or in audio).
* **None** — nothing marks the file as AI-generated: no notice is shown.

A declaration of "not-ai" never overrides a label or a trace; the contradiction is kept
in the evidence for the reviewer. The propagator fields are added only to a label that
verified: a platform does not extend a label it could not verify, nor invent a producer.
Every file gets one stored decision row (``status`` pending) for people to review.
"""

from __future__ import annotations

import hashlib
import importlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from aisec.errors import AisecError, InputError
from aisec.label.carriers.base import CarrierError
from aisec.label.model import LabelError
from aisec.label.service import (
    COMPLIANT,
    NONCOMPLIANT,
    Verification,
    expand_paths,
    propagate_label,
    verify_file,
)
from aisec.label.sign import SigningKey
from aisec.notice import is_chinese_notice
from aisec.store import Store, open_store
from aisec.store.models import DECLARATIONS, STATUSES, IntakeDecision, ReviewAction

#: Files read as text for a notice (besides whatever the explicit checker handles).
TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md", ".markdown", ".mdown", ".mkd", ".srt", ".vtt"})
_TEXT_LIMIT = 4 * 1024 * 1024

#: The notice a platform shows beside the content, per class.
NOTICES = {
    "1": "该内容为人工智能生成合成内容 (AI-generated content)",
    "2": "该内容可能为人工智能生成合成内容 (this content may be AI-generated)",
    "3": "该内容疑似为人工智能生成合成内容 (this content is suspected to be AI-generated)",
}


class ReviewError(AisecError):
    """A review-queue item does not exist or cannot be decided as asked."""


@dataclass(slots=True)
class IntakeOutcome:
    """What intake did with one file."""

    file: Path
    id: int
    label: str | None
    verdict: str
    status: str
    skipped: bool  # True: the file already had a decision (resume)
    propagated: bool
    notice: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON form for ``aisec label intake --format json``."""
        return {
            "file": str(self.file),
            "id": self.id,
            "label": self.label,
            "verdict": self.verdict,
            "status": self.status,
            "skipped": self.skipped,
            "propagated": self.propagated,
            "notice": self.notice,
        }


def intake_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and folders walked recursively for media a carrier handles or text
    (hidden files and aisec's temporary files skipped), in sorted order."""
    return expand_paths(paths, TEXT_EXTENSIONS)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- explicit-label traces ----------------------------------------------------------------


def text_notice(path: Path) -> str | None:
    """The first line of a text file that reads like an AI notice, or None."""
    if path.suffix.lower() not in TEXT_EXTENSIONS:
        return None
    with path.open("rb") as fh:
        text = fh.read(_TEXT_LIMIT).decode("utf-8", errors="replace")
    for line in text.splitlines():
        if is_chinese_notice(line):
            return line.strip()[:200]
    return None


def _explicit_checker(path: Path) -> Callable[[Path], Any] | None:
    """The explicit-label checker for this file, if ``aisec.label.explicit`` provides one
    (it may be absent in a slim install; intake then records that it could not look)."""
    try:
        module = importlib.import_module("aisec.label.explicit")
    except ImportError:
        return None
    for name in ("check_notice", "check_file", "check"):
        found = getattr(module, name, None)
        if callable(found):
            return found  # type: ignore[no-any-return]
    per_kind = (
        ("text", "check_text", TEXT_EXTENSIONS),
        ("image", "check_image", {".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff"}),
    )
    for sub, name, exts in per_kind:
        if path.suffix.lower() in exts:
            try:
                found = getattr(importlib.import_module(f"aisec.label.explicit.{sub}"), name, None)
            except ImportError:
                return None
            return found if callable(found) else None
    return None


def explicit_traces(path: Path) -> list[dict[str, Any]]:
    """Evidence of explicit labels: one item per check, each with ``found``."""
    items: list[dict[str, Any]] = []
    line = text_notice(path)
    if path.suffix.lower() in TEXT_EXTENSIONS:
        items.append({"check": "text notice", "found": line is not None, "line": line})
    checker = _explicit_checker(path)
    if checker is None:
        items.append({"check": "aisec.label.explicit", "found": False, "available": False})
        return items
    try:
        result = checker(path)
    except AisecError as exc:
        items.append({"check": "aisec.label.explicit", "found": False, "error": str(exc)})
        return items
    verdict = getattr(result, "verdict", None)
    as_dict = getattr(result, "as_dict", None)
    detail = as_dict() if callable(as_dict) else {"verdict": verdict}
    # A notice in the wrong place (noncompliant) is still a trace of generation.
    found = verdict in (COMPLIANT, NONCOMPLIANT) or result is True
    items.append({"check": "aisec.label.explicit", "found": found, "result": detail})
    return items


# --- classification ------------------------------------------------------------------------


def classify(
    verification: Verification, declaration: str | None, traces: list[dict[str, Any]]
) -> tuple[str | None, str, list[str]]:
    """(class, rule that decided it, conflicts) — see the module docstring for the rule."""
    conflicts: list[str] = []
    says_not_ai = declaration == "not-ai"
    label = verification.label
    if verification.verdict == COMPLIANT and label is not None:
        if says_not_ai:
            conflicts.append("uploader declared not-ai, but the file carries a valid AI label")
        return label.label, "implicit label verified", conflicts
    if declaration == "ai":
        return "2", "no verified implicit label; the uploader declared AI", conflicts
    reasons = []
    if verification.verdict == NONCOMPLIANT:
        reasons.append("an implicit label that does not verify")
    if any(t.get("found") for t in traces):
        reasons.append("an explicit AI notice")
    if reasons:
        if says_not_ai:
            conflicts.append(f"uploader declared not-ai, but found {' and '.join(reasons)}")
        return "3", "suspected: " + " and ".join(reasons), conflicts
    return None, "no implicit label, no AI declaration, no explicit notice", conflicts


def _existing(store: Store, platform: str, digest: str) -> IntakeDecision | None:
    with store.transaction() as session:
        query = (
            select(IntakeDecision)
            .where(IntakeDecision.platform == platform)
            .where(or_(IntakeDecision.sha256 == digest, IntakeDecision.sha256_out == digest))
            .order_by(IntakeDecision.id.desc())
            .limit(1)
        )
        return session.scalars(query).first()


def _propagate(
    path: Path, verification: Verification, platform: str, key: SigningKey | None
) -> dict[str, Any]:
    if verification.verdict != COMPLIANT or verification.label is None:
        return {"written": False, "reason": "no verified implicit label to extend"}
    propagate_id = uuid.uuid4().hex
    try:
        written = propagate_label(path, platform, propagate_id, key=key)
    except (CarrierError, LabelError) as exc:
        return {"written": False, "reason": str(exc)}
    return {
        "written": True,
        "propagator": written.content_propagator,
        "propagate_id": written.propagate_id,
        "signed": bool(written.reserved_code2),
    }


def intake(
    path: Path,
    platform_code: str,
    declaration: str | None = None,
    *,
    store: Store | None = None,
    key: SigningKey | None = None,
    again: bool = False,
) -> IntakeOutcome:
    """Receive one file as platform ``platform_code``: classify it, add the propagator
    fields to a verified label (signed with ``key``), store a pending decision row.

    A file whose SHA-256 (as received, or as left by an earlier intake) already has a
    decision for this platform is skipped unless ``again``.
    """
    if declaration is not None and declaration not in DECLARATIONS:
        raise InputError(f"declaration {declaration!r}: use one of {', '.join(DECLARATIONS)}")
    if declaration == "unknown":
        declaration = None
    if store is None:
        with open_store() as own:
            return intake(path, platform_code, declaration, store=own, key=key, again=again)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    digest = sha256_file(path)
    if not again and (row := _existing(store, platform_code, digest)) is not None:
        return IntakeOutcome(
            path, row.id, row.label, row.verdict, row.status, True, False, row.notice
        )
    verification = verify_file(path)
    traces: list[dict[str, Any]] = []
    if verification.verdict != COMPLIANT and declaration != "ai":
        traces = explicit_traces(path)
    label, rule, conflicts = classify(verification, declaration, traces)
    propagation = _propagate(path, verification, platform_code, key)
    implicit = verification.as_dict()
    implicit.pop("file")
    evidence = {
        "rule": rule,
        "implicit": implicit,
        "declaration": declaration,
        "explicit": traces,
        "conflicts": conflicts,
        "propagation": propagation,
    }
    row = IntakeDecision(
        path=str(path.resolve()),
        platform=platform_code,
        sha256=digest,
        sha256_out=sha256_file(path) if propagation["written"] else None,
        label=label,
        verdict=verification.verdict,
        declaration=declaration,
        propagate_id=propagation.get("propagate_id"),
        notice=NOTICES.get(label or ""),
        evidence=evidence,
        status="pending",
    )
    with store.transaction() as session:
        session.add(row)
        session.flush()
        row_id = row.id
    return IntakeOutcome(
        path, row_id, label, verification.verdict, "pending", False, propagation["written"],
        row.notice,
    )  # fmt: skip


# --- the review queue ------------------------------------------------------------------------


def review_queue(store: Store, status: str | None = "pending") -> list[IntakeDecision]:
    """Intake rows with ``status`` (every row when None), oldest first, reviews loaded."""
    if status is not None and status not in STATUSES:
        raise ReviewError(f"status {status!r}: use one of {', '.join(STATUSES)} or all")
    with store.transaction() as session:
        query = select(IntakeDecision).order_by(IntakeDecision.id)
        if status is not None:
            query = query.where(IntakeDecision.status == status)
        return list(session.scalars(query))


def decide(
    store: Store, item_id: int, *, approve: bool, reviewer: str, note: str | None = None
) -> IntakeDecision:
    """Record a reviewer's decision on item ``item_id`` (who, when, note); the item's
    status becomes approved or rejected. A later decision supersedes an earlier one,
    which stays in the history."""
    if not reviewer.strip():
        raise ReviewError("--reviewer must name the person deciding")
    decision = "approved" if approve else "rejected"
    with store.transaction() as session:
        row = session.get(IntakeDecision, item_id, with_for_update=True)
        if row is None:
            raise ReviewError(
                f"no review item with id {item_id}; list them with `aisec label review`"
            )
        row.reviews.append(ReviewAction(decision=decision, reviewer=reviewer.strip(), note=note))
        row.status = decision
        session.flush()
        session.refresh(row)
        return row
