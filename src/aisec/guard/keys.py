"""API keys of the guard proxy: client keys for ``/v1/*``, administrator keys for
``/admin/*``.

A key is ``sk-aisec-`` (or ``sk-aisec-admin-``) followed by 43 characters of 256 random
bits. Only its SHA-256 digest is stored: with that much entropy a fast hash cannot be
brute-forced, and the proxy can look a key up in memory in a microsecond. The key itself
is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from aisec.errors import AisecError
from aisec.store import Store
from aisec.store.models import GuardKey
from aisec.store.models.guard import utcnow

CLIENT_PREFIX = "sk-aisec-"
ADMIN_PREFIX = "sk-aisec-admin-"


_APP_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def valid_app_name(name: str) -> bool:
    """An application name: 1-64 letters, digits, ``-`` or ``_`` (it is a URL segment)."""
    return _APP_NAME.fullmatch(name) is not None


class GuardError(AisecError):
    """The guard proxy cannot do what was asked (unknown key, bad setting, …)."""


def hash_key(key: str) -> str:
    """The stored digest of ``key``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    """What the proxy knows about a key (never the key)."""

    id: int
    name: str
    prefix: str
    admin: bool
    rate_per_minute: int | None
    created_at: datetime
    revoked_at: datetime | None
    #: the application whose policy the key's requests get (None: any, chosen by route)
    application: str | None = None

    @classmethod
    def of(cls, row: GuardKey) -> KeyInfo:
        """From a stored row."""
        return cls(
            row.id,
            row.name,
            row.prefix,
            row.admin,
            row.rate_per_minute,
            row.created_at,
            row.revoked_at,
            row.application,
        )


def create_key(
    store: Store,
    name: str,
    *,
    admin: bool = False,
    rate_per_minute: int | None = None,
    application: str | None = None,
) -> tuple[KeyInfo, str]:
    """Store a new key; returns its record and the key (the only time it is known).
    ``application`` binds a client key to one application of the proxy (its policy)."""
    if application is not None and not valid_app_name(application):
        raise GuardError(f"bad application name {application!r}: letters, digits, '-', '_' (1-64)")
    if admin and application is not None:
        raise GuardError("an administrator key belongs to no application (drop --app)")
    if not name.strip():
        raise GuardError("a key needs a --name (who or what uses it)")
    if rate_per_minute is not None and rate_per_minute < 1:
        raise GuardError("--rate must be at least 1 request per minute")
    key = (ADMIN_PREFIX if admin else CLIENT_PREFIX) + secrets.token_urlsafe(32)
    with store.transaction() as session:
        row = GuardKey(
            name=name.strip(),
            key_hash=hash_key(key),
            prefix=key[: len(ADMIN_PREFIX if admin else CLIENT_PREFIX) + 4],
            admin=admin,
            rate_per_minute=rate_per_minute,
            created_at=utcnow(),
            application=application,
        )
        session.add(row)
        session.flush()
        info = KeyInfo.of(row)
    return info, key


def list_keys(store: Store) -> list[KeyInfo]:
    """Every key, oldest first (revoked ones included)."""
    with store.transaction() as session:
        return [KeyInfo.of(r) for r in session.scalars(select(GuardKey).order_by(GuardKey.id))]


def revoke_key(store: Store, ident: str) -> list[KeyInfo]:
    """Revoke the key with id ``ident``, or every active key named ``ident``."""
    with store.transaction() as session:
        stmt = select(GuardKey).where(GuardKey.revoked_at.is_(None))
        if ident.isdigit():
            stmt = stmt.where(GuardKey.id == int(ident))
        else:
            stmt = stmt.where(GuardKey.name == ident)
        rows = list(session.scalars(stmt))
        if not rows:
            raise GuardError(
                f"no active key with id or name {ident!r}; see `aisec guard keys list`"
            )
        now = utcnow()
        for row in rows:
            row.revoked_at = now
        return [KeyInfo.of(r) for r in rows]


def active_keys(store: Store) -> dict[str, KeyInfo]:
    """Digest → record of every key not revoked (what the proxy caches)."""
    with store.transaction() as session:
        rows = session.scalars(select(GuardKey).where(GuardKey.revoked_at.is_(None)))
        return {r.key_hash: KeyInfo.of(r) for r in rows}
