"""Redaction operators and the `Redactor` that applies a policy's actions to findings.

Operators (the action ``redact:<operator>`` in a policy):

- ``mask`` keeps the shape and the characters the taxonomy says to keep
  (``110105********1234``, ``138****8000``, ``j*******@example.com``);
- ``replace`` writes the kind's label (``<身份证号>``);
- ``pseudonym`` writes a keyed HMAC token: the same value gives the same token across a
  whole corpus, and nobody without the key can go back (``<手机号_5c2e91a07b>``);
- ``encrypt`` writes an AES-GCM token that `unredact` restores with the key
  (``[[aisec:enc:pii.cn_mobile:…]]``).

Record-level actions: ``drop`` (the record is left out and counted) and ``block`` (the
record must not be passed on: in a scan it is left out of the redacted output and counted).

Keys: one 32-byte master key (``aisec keygen``), from the environment variable named by the
policy (``AISEC_KEY`` by default) or a key file; the pseudonym and encryption keys are
derived from it with HKDF, so the HMAC key never doubles as the cipher key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from aisec.detect.base import Finding, keep_disjoint
from aisec.errors import RedactionError
from aisec.policy import Policy
from aisec.taxonomy import Taxonomy, load_taxonomy
from aisec.text import normalize

ENC_TOKEN = re.compile(r"\[\[aisec:enc:([a-z0-9_.]+):([A-Za-z0-9_\-]+)\]\]")
_MASK_CHAR = "*"


def generate_key() -> str:
    """A new random master key, base64 encoded."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def parse_key(text: str, *, source: str) -> bytes:
    """Decode a base64 master key (32 bytes)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RedactionError(f"{source}: the key is not valid base64 ({exc})") from exc
    if len(key) != 32:
        raise RedactionError(
            f"{source}: the key must be 32 bytes (got {len(key)}); use aisec keygen"
        )
    return key


def load_key(key_file: Path | None, env: str) -> bytes | None:
    """The master key from a file, else from the environment variable ``env``, else None."""
    if key_file is not None:
        try:
            return parse_key(key_file.read_text(encoding="ascii"), source=str(key_file))
        except (OSError, UnicodeDecodeError) as exc:
            raise RedactionError(f"cannot read key file {key_file}: {exc}") from exc
    value = os.environ.get(env)
    return parse_key(value, source=f"${env}") if value else None


def derive_key(master: bytes, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` derived from the master key (HKDF-SHA256): each use
    of the master key has its own."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        master
    )


@dataclass
class Keys:
    """Derived keys for the keyed operators."""

    pseudonym: bytes
    encrypt: bytes

    @classmethod
    def from_master(cls, master: bytes) -> Keys:
        """Derive both keys from one master key."""
        return cls(derive_key(master, "aisec pseudonym v1"), derive_key(master, "aisec encrypt v1"))


def canonical_value(kind: str, value: str) -> str:
    """The form pseudonyms are computed on: normalised, and for numbers without separators,
    so ``138-0013-8000`` and ``13800138000`` get the same token."""
    folded = normalize(value).text.strip()
    if any(ch.isdigit() for ch in folded) and kind.startswith("pii."):
        folded = re.sub(r"[\s\-()·]", "", folded).removeprefix("+86").removeprefix("0086")
    return folded.lower() if kind in ("pii.email", "pii.wechat") else folded


def mask_value(value: str, keep: tuple[int, int]) -> str:
    """Replace letters, digits and Chinese characters by ``*``, keeping separators and the
    first/last characters the kind allows."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    head, tail = keep
    if head + tail >= len(positions):  # too short to keep anything and still hide it
        head, tail = (min(head, 1), 0) if len(positions) > 2 else (0, 0)
    hidden = set(positions[head : len(positions) - tail if tail else None])
    return "".join(_MASK_CHAR if i in hidden else ch for i, ch in enumerate(value))


@dataclass
class Outcome:
    """What redaction did to one text."""

    text: str
    applied: list[tuple[Finding, str]] = field(default_factory=list)
    dropped: bool = False
    blocked: bool = False


class Redactor:
    """Applies a policy's actions to the findings of a text."""

    def __init__(self, policy: Policy, *, master_key: bytes | None = None) -> None:
        self.policy = policy
        self.taxonomy: Taxonomy = load_taxonomy(policy.pack)
        self.keys = Keys.from_master(master_key) if master_key else None
        self._aes = AESGCM(self.keys.encrypt) if self.keys else None

    def needs_key(self) -> bool:
        """True when the policy uses an operator that needs the master key."""
        return any(
            a in ("redact:pseudonym", "redact:encrypt") for a in self.policy.actions.values()
        )

    def label(self, kind: str) -> str:
        """The replacement label of a kind (policy override, then taxonomy)."""
        return self.policy.redaction.labels.get(kind) or self.taxonomy.label(kind)

    def _key_error(self, op: str) -> RedactionError:
        return RedactionError(
            f"redact:{op} needs a key: run `aisec keygen --out KEYFILE` and pass --key-file "
            f"KEYFILE, or set ${self.policy.redaction.key_env}"
        )

    def operate(self, op: str, kind: str, value: str) -> str:
        """The replacement text for one value."""
        if op == "mask":
            if kind == "pii.email" and "@" in value:
                local, _, domain = value.partition("@")
                return mask_value(local, (1, 0)) + "@" + domain
            info = self.taxonomy.kinds.get(kind)
            return mask_value(value, info.mask if info else (0, 0))
        if op == "replace":
            return f"<{self.label(kind)}>"
        if op == "pseudonym":
            if self.keys is None:
                raise self._key_error(op)
            digest = hmac.new(
                self.keys.pseudonym,
                f"{kind}\0{canonical_value(kind, value)}".encode(),
                hashlib.sha256,
            ).hexdigest()[:10]
            return f"<{self.label(kind)}_{digest}>"
        if op == "encrypt":
            if self._aes is None:
                raise self._key_error(op)
            nonce = os.urandom(12)
            ct = self._aes.encrypt(nonce, value.encode("utf-8"), kind.encode())
            token = base64.urlsafe_b64encode(nonce + ct).decode().rstrip("=")
            return f"[[aisec:enc:{kind}:{token}]]"
        raise RedactionError(f"unknown redaction operator {op!r}")

    def apply(self, text: str, findings: Iterable[Finding]) -> Outcome:
        """Redact ``text`` according to the policy (findings in original offsets)."""
        counted = [f for f in findings if self.policy.reaches(f)]
        actions = {f: self.policy.action_for(f.kind) for f in counted}
        if any(a == "block" for a in actions.values()):
            return Outcome(text, [(f, a) for f, a in actions.items()], blocked=True)
        if any(a == "drop" for a in actions.values()):
            return Outcome(text, [(f, a) for f, a in actions.items()], dropped=True)
        edits = [f for f in counted if actions[f].startswith("redact:")]
        # one edit per place: the strongest of overlapping findings wins
        edits.sort(key=lambda f: (-f.score, -(f.end - f.start), f.start))
        chosen = keep_disjoint(edits, lambda f: (f.start, f.end))
        parts: list[str] = []
        pos = 0
        applied: list[tuple[Finding, str]] = []
        for f in chosen:
            op = actions[f].split(":", 1)[1]
            parts.append(text[pos : f.start])
            parts.append(self.operate(op, f.kind, text[f.start : f.end]))
            applied.append((f, actions[f]))
            pos = f.end
        parts.append(text[pos:])
        applied.extend((f, a) for f, a in actions.items() if not a.startswith("redact:"))
        return Outcome("".join(parts), applied)


def unredact(text: str, master_key: bytes) -> tuple[str, int]:
    """Restore every ``redact:encrypt`` token in ``text``; returns the text and the count.

    A token that does not decrypt with this key (wrong key, altered token) is an error: a
    partial restoration would silently leave ciphertext behind.
    """
    aes = AESGCM(Keys.from_master(master_key).encrypt)
    count = 0

    def restore(m: re.Match[str]) -> str:
        nonlocal count
        kind, token = m.group(1), m.group(2)
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            value = aes.decrypt(raw[:12], raw[12:], kind.encode()).decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise RedactionError(
                f"an encrypted value ({kind}) does not decrypt with this key: wrong key or the "
                "token was altered"
            ) from exc
        count += 1
        return value

    return ENC_TOKEN.sub(restore, text), count
