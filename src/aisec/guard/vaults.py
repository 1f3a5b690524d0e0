"""The placeholders of a conversation the upstream keeps, kept between its turns (opt-in).

With the Responses API's ``previous_response_id`` or ``conversation`` a client sends only
the new turn; the earlier ones, with the placeholders the model saw (``<手机号_1>``), are
kept by the upstream, and the proxy's vault of each request (`TokenVault`) is gone when
the request ends. When a policy says ``guard.proxy.keep_placeholders_days: N`` and a
master key is set (``redaction.key_env``, ``AISEC_KEY`` by default), the proxy keeps each
Responses answer's vault — the placeholders and the user's values they stand for — for N
days in the database (`GuardVault`), under the answer's id (and the conversation's):

- sealed with AES-256-GCM under a key derived from the master key for this use alone,
  the row's digest bound in as associated data (a row moved to another id does not open);
- found by a SHA-256 digest of the application and the id, never by the id itself; an
  application cannot open another's;
- a vault that does not open (another key, altered, expired), or a database that fails,
  counts as none: the request then numbers its placeholders apart (`TokenVault.apart`).

The next turn starts from the kept vault: a placeholder the model repeats from an earlier
turn gets its value back, and new values continue the numbering. Off by default: the
values are the user's personal information, kept only when and as long as a policy asks.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from aisec.audit.event import as_utc
from aisec.guard.vault import TokenVault
from aisec.redact import derive_key
from aisec.store import Store
from aisec.store.models import GuardVault

if TYPE_CHECKING:
    from aisec.guard.guard import Guard

logger = logging.getLogger("aisec.guard.vaults")

NONCE = 12


class VaultKeeper:
    """Keeps and gives back the vaults of one database (see the module docstring)."""

    def __init__(self, store: Store, master_key: bytes, days: float) -> None:
        self.store = store
        self.days = days
        self._aes = AESGCM(derive_key(master_key, "aisec guard vault v1"))

    @staticmethod
    def digest(application: str, key: str) -> str:
        """The row of ``key`` (a response or conversation id) for ``application``."""
        return hashlib.sha256(f"{application}\0{key}".encode()).hexdigest()

    def save(self, application: str, keys: Iterable[str], vault: TokenVault) -> None:
        """Keep ``vault`` under each of ``keys`` for `days`; drop the expired rows. A
        database that fails is logged, not raised: the answer has gone out, and the next
        turn numbers its placeholders apart."""
        try:
            self._save(application, keys, vault)
        except SQLAlchemyError as exc:
            logger.warning("placeholders not kept for the next turn: %s", type(exc).__name__)

    def _save(self, application: str, keys: Iterable[str], vault: TokenVault) -> None:
        now = datetime.now(UTC)
        plain = vault.to_json()
        with self.store.transaction() as session:
            session.execute(delete(GuardVault).where(GuardVault.expires_at < now))
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            for key in dict.fromkeys(keys):
                digest = self.digest(application, key)
                nonce = os.urandom(NONCE)
                row = {
                    "digest": digest,
                    "created_at": now,
                    "expires_at": now + timedelta(days=self.days),
                    "sealed": nonce + self._aes.encrypt(nonce, plain, digest.encode()),
                }
                # one statement, so that two turns of one conversation kept at once do not
                # both insert (the later one's vault is kept)
                upsert = insert(GuardVault).values(**row)
                session.execute(
                    upsert.on_conflict_do_update(
                        index_elements=[GuardVault.digest],
                        set_={k: upsert.excluded[k] for k in row if k != "digest"},
                    )
                )

    def forget(self, application: str, key: str) -> None:
        """Drop what is kept under ``key`` (its response was deleted)."""
        try:
            with self.store.transaction() as session:
                digest = self.digest(application, key)
                session.execute(delete(GuardVault).where(GuardVault.digest == digest))
        except SQLAlchemyError as exc:
            logger.warning("kept placeholders not dropped: %s", type(exc).__name__)

    def load(self, application: str, key: str) -> TokenVault | None:
        """The vault kept under ``key`` for ``application``, or None (none kept, expired,
        or one that does not open)."""
        digest = self.digest(application, key)
        try:
            with self.store.transaction() as session:
                row = session.scalars(select(GuardVault).where(GuardVault.digest == digest)).first()
                if row is None:
                    return None
                expires, sealed = row.expires_at, bytes(row.sealed)
        except SQLAlchemyError as exc:
            logger.warning("kept placeholders not read: %s", type(exc).__name__)
            return None
        if as_utc(expires) < datetime.now(UTC):  # (SQLite gives it back without its zone)
            return None
        try:
            plain = self._aes.decrypt(sealed[:NONCE], sealed[NONCE:], digest.encode())
            return TokenVault.from_json(plain)
        except (InvalidTag, ValueError, KeyError, TypeError):
            logger.warning("a kept vault did not open (another key, or altered): not used")
            return None


def keepers(store: Store, guards: dict[str, Guard]) -> dict[str, VaultKeeper]:
    """A keeper of placeholders between turns for each application whose policy asks
    for one (``guard.proxy.keep_placeholders_days``) and has a master key to seal them."""
    out = {}
    for name, guard in guards.items():
        days = guard.config.proxy.keep_placeholders_days
        if not days:
            continue
        if guard.master_key is None:
            logger.warning(
                "application %s: guard.proxy.keep_placeholders_days is set but no master "
                "key (%s): placeholders are not kept between turns",
                name,
                guard.policy.redaction.key_env,
            )
            continue
        out[name] = VaultKeeper(store, guard.master_key, days)
    return out
