"""`Event`: one audit event before it is chained, and the canonical form that is hashed.

The hash of a stored event is SHA-256 over the UTF-8 bytes of a canonical JSON object:
every field of the event plus ``seq`` and ``prev_hash``, keys sorted, no whitespace
(``separators=(",", ":")``), non-ASCII characters written as themselves, the time as
``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, ``kinds`` sorted, and ``latency_ms`` rounded to
three decimals. The same function hashes an event when it is written and when
``verify`` reads it back, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aisec.audit.ids import new_id

#: bumped if the canonical form ever changes (it is part of what is hashed)
HASH_FORMAT = 1

#: (``audit_error``: an event the writer could not make, recorded in its place)
EVENT_TYPES = ("decision", "admin", "audit_error")


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A timezone-aware UTC time (SQLite hands back naive UTC times)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """The canonical time text: UTC, microseconds, ``Z``."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Read a time written by `format_time` (or any ISO 8601 time; naive means UTC)."""
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


@dataclass(frozen=True)
class Event:
    """What happened, as the caller records it; the log adds ``seq`` and the hashes.

    ``excerpt`` must already have personal data masked: the audit log stores what it is
    given, and the guard masks before it records.
    """

    type: str = "decision"
    application: str = "default"
    route: str = "default"
    request_id: str | None = None
    stage: str | None = None
    decision: str | None = None
    kinds: tuple[str, ...] = ()
    detectors: dict[str, str] = field(default_factory=dict)
    latency_ms: float | None = None
    excerpt: str | None = None
    actor: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    time: datetime = field(default_factory=utcnow)
    event_id: str = field(default_factory=new_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (also the line format of the spill file)."""
        return {
            "event_id": self.event_id,
            "time": format_time(self.time),
            "type": self.type,
            "application": self.application,
            "route": self.route,
            "request_id": self.request_id,
            "stage": self.stage,
            "decision": self.decision,
            "kinds": sorted(self.kinds),
            "detectors": dict(sorted(self.detectors.items())),
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 3),
            "excerpt": self.excerpt,
            "actor": self.actor,
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        """The inverse of `to_dict`."""
        latency = data.get("latency_ms")
        return cls(
            type=str(data["type"]),
            application=str(data["application"]),
            route=str(data["route"]),
            request_id=data.get("request_id"),
            stage=data.get("stage"),
            decision=data.get("decision"),
            kinds=tuple(data.get("kinds") or ()),
            detectors=dict(data.get("detectors") or {}),
            latency_ms=None if latency is None else float(latency),
            excerpt=data.get("excerpt"),
            actor=data.get("actor"),
            details=dict(data.get("details") or {}),
            time=parse_time(str(data["time"])),
            event_id=str(data["event_id"]),
        )


class PendingEvent:
    """An event the audit writer makes when it takes it (`build`), not the caller:
    ``make(*args)``. For what costs more to make than to hand over — the guard's
    decisions, whose excerpt is masked and whose `Event` is built on the writer's thread
    instead of the proxy's event loop. ``args`` must be what the event is made of as it
    is when recorded (``make`` copies nothing), and ``make`` must not fail; the event's
    ``time`` is one of them (when it happened, not when it was made)."""

    __slots__ = ("args", "make")

    def __init__(self, make: Callable[..., Event], *args: Any) -> None:
        self.make = make
        self.args = args

    def build(self) -> Event:
        """The event."""
        return self.make(*self.args)


def built(event: Event | PendingEvent) -> Event:
    """``event``, made if it is pending."""
    return event.build() if isinstance(event, PendingEvent) else event


def canonical_bytes(fields: dict[str, Any], seq: int, prev_hash: str) -> bytes:
    """The bytes that are hashed: see the module docstring."""
    body = dict(fields)
    body["seq"] = seq
    body["prev_hash"] = prev_hash
    body["v"] = HASH_FORMAT
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def chain_hash(fields: dict[str, Any], seq: int, prev_hash: str) -> str:
    """SHA-256 (hex) of the canonical form of an event at position ``seq``."""
    return hashlib.sha256(canonical_bytes(fields, seq, prev_hash)).hexdigest()
