"""Signatures in ``ReservedCode1`` (the producer's) and ``ReservedCode2`` (the propagator's).

Two algorithms:

* ``sm2`` — SM2 signature with SM3 (GB/T 32918.2, GB/T 35276), the national choice; the
  signer's distinguishing ID is the GB/T 35276 default ``1234567812345678``. Provided by
  ``tongsuopy`` (Python bindings of the Tongsuo/OpenSSL-fork C library); signatures
  interoperate with OpenSSL 3 (``openssl pkeyutl -rawin -digest sm3``).
* ``ecdsa-p256`` — ECDSA on NIST P-256 with SHA-256, from ``cryptography``.

**What is signed.** The content digest is the hash (SM3 for ``sm2``, SHA-256 for
``ecdsa-p256``) of the bytes the file's carrier streams from ``content()`` — the media
without its metadata — so adding or propagating a label does not change it, while any
change to the pixels, samples or text does. The signed message is ASCII, one
``name:value`` line each, ``\\n`` after every line (label fields are printable ASCII, so
they cannot contain a line break)::

    aisec-aigc-signature/1
    algorithm:SM2-SM3            (or ECDSA-P256-SHA256)
    role:producer                (or propagator)
    content:<lower-case hex content digest>
    Label:<value>
    ContentProducer:<value>
    ProduceID:<value>
    ReservedCode1:<value>        (propagator only: binds the producer's signature)
    ContentPropagator:<value>    (propagator only)
    PropagateID:<value>          (propagator only)

The producer's signature therefore survives propagation (the propagator fields are not
part of it), and the propagator's covers the producer's fields and signature as well.

**The stored value** (printable ASCII, about 210 characters)::

    aisec1.<ALGORITHM>.<public key>.<signature>

with the public key as an uncompressed X9.62 point and the signature as DER, both in
unpadded base64url. Carrying the public key makes every signature checkable for
integrity without a key file; ``--key PUB`` additionally checks *who* signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tongsuopy.crypto import hashes as ts_hashes
from tongsuopy.crypto import serialization as ts_serialization
from tongsuopy.crypto.asymciphers import ec as ts_ec
from tongsuopy.crypto.exceptions import InvalidSignature as TsInvalidSignature

from aisec.errors import AisecError
from aisec.label.model import AigcLabel

PREFIX = "aisec1"
MAGIC = "aisec-aigc-signature/1"


class SignatureError(AisecError):
    """A key file cannot be used (missing, unreadable, wrong type), or signing failed."""


class Algorithm(StrEnum):
    """Signature algorithms aisec writes."""

    sm2 = "sm2"
    ecdsa_p256 = "ecdsa-p256"

    @property
    def tag(self) -> str:
        """The name used in signed messages and stored values."""
        return "SM2-SM3" if self is Algorithm.sm2 else "ECDSA-P256-SHA256"

    def new_hash(self) -> Any:
        """A fresh hash object for the content digest (``update``/``hexdigest``)."""
        return _Sm3() if self is Algorithm.sm2 else hashlib.sha256()


_BY_TAG = {a.tag: a for a in Algorithm}


class Role(StrEnum):
    """Who signs: the producer (ReservedCode1) or the propagator (ReservedCode2)."""

    producer = "producer"
    propagator = "propagator"


class SignatureStatus(StrEnum):
    """Outcome of checking one reserved code."""

    valid = "valid"
    invalid = "invalid"
    unsigned = "unsigned"


class _Sm3:
    """SM3 with hashlib's interface, from ``cryptography`` (OpenSSL)."""

    def __init__(self) -> None:
        self._h = hashes.Hash(hashes.SM3())

    def update(self, data: bytes) -> None:
        self._h.update(data)

    def hexdigest(self) -> str:
        return self._h.finalize().hex()


def content_digest(chunks: Iterable[bytes], algorithm: Algorithm) -> str:
    """Hex digest of the media bytes (a carrier's ``content()``) for ``algorithm``."""
    h = algorithm.new_hash()
    for chunk in chunks:
        h.update(chunk)
    digest: str = h.hexdigest()
    return digest


def signed_message(label: AigcLabel, role: Role, algorithm: Algorithm, digest: str) -> bytes:
    """The exact bytes that are signed (layout in the module docstring)."""
    fields = label.as_dict()
    names = ["Label", "ContentProducer", "ProduceID"]
    if role is Role.propagator:
        names += ["ReservedCode1", "ContentPropagator", "PropagateID"]
    lines = [MAGIC, f"algorithm:{algorithm.tag}", f"role:{role.value}", f"content:{digest}"]
    lines += [f"{name}:{fields[name]}" for name in names]
    return "".join(line + "\n" for line in lines).encode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- keys --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A verification key: its algorithm and uncompressed X9.62 point."""

    algorithm: Algorithm
    point: bytes

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when ``signature`` (DER) is valid for ``message``."""
        try:
            if self.algorithm is Algorithm.sm2:
                ts_key = ts_ec.EllipticCurvePublicKey.from_encoded_point(ts_ec.SM2(), self.point)
                ts_key.verify(signature, message, ts_ec.ECDSA(ts_hashes.SM3()))
            else:
                key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.point)
                key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, TsInvalidSignature, ValueError):
            return False
        except Exception:  # tongsuopy raises its own errors for malformed DER
            return False
        return True


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key loaded from a PEM file."""

    algorithm: Algorithm
    key: Any  # cryptography or tongsuopy EllipticCurvePrivateKey
    public: PublicKey

    def sign(self, message: bytes) -> bytes:
        """DER signature of ``message``."""
        hash_alg = (
            ts_ec.ECDSA(ts_hashes.SM3())
            if self.algorithm is Algorithm.sm2
            else ec.ECDSA(hashes.SHA256())
        )
        signature: bytes = self.key.sign(message, hash_alg)
        return signature


def _point(public_key: Any, algorithm: Algorithm) -> bytes:
    mod = ts_serialization if algorithm is Algorithm.sm2 else serialization
    point: bytes = public_key.public_bytes(mod.Encoding.X962, mod.PublicFormat.UncompressedPoint)
    return point


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SignatureError(f"{path}: cannot read key file ({exc.strerror or exc})") from None


def _is_sm2(key: Any) -> bool:
    return getattr(getattr(key, "curve", None), "name", "") == "SM2"


def _unsupported(path: Path) -> SignatureError:
    return SignatureError(f"{path}: unsupported key type (use SM2 or EC P-256)")


def _load(path: Path, private: bool) -> tuple[Algorithm, Any]:
    """(algorithm, key object): ``cryptography`` for P-256, ``tongsuopy`` for SM2 (whose
    curve ``cryptography`` does not support)."""
    data = _read(path)
    kind = "private" if private else "public"
    try:
        if private:
            key: Any = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_pem_public_key(data)
        sm2 = False
    except UnsupportedAlgorithm:
        sm2 = True
    except (ValueError, TypeError) as exc:
        raise SignatureError(
            f"{path}: not an unencrypted PEM {kind} key ({exc}); create one with "
            "`aisec label keygen`"
        ) from None
    if sm2:
        try:
            if private:
                key = ts_serialization.load_pem_private_key(data, password=None)
            else:
                key = ts_serialization.load_pem_public_key(data)
        except Exception as exc:  # tongsuopy raises its own exception types
            raise SignatureError(f"{path}: not a usable {kind} key ({exc})") from None
        if not _is_sm2(key):
            raise _unsupported(path)
        return Algorithm.sm2, key
    cls = ec.EllipticCurvePrivateKey if private else ec.EllipticCurvePublicKey
    if not isinstance(key, cls) or key.curve.name != "secp256r1":
        raise _unsupported(path)
    return Algorithm.ecdsa_p256, key


def load_signing_key(path: Path) -> SigningKey:
    """A PEM private key (PKCS#8 or SEC1): SM2 or EC P-256, unencrypted."""
    algorithm, key = _load(path, private=True)
    return SigningKey(algorithm, key, PublicKey(algorithm, _point(key.public_key(), algorithm)))


def load_public_key(path: Path) -> PublicKey:
    """A PEM public key (SubjectPublicKeyInfo), or the public half of a private key file."""
    if b"PRIVATE KEY" in _read(path):
        return load_signing_key(path).public
    algorithm, key = _load(path, private=False)
    return PublicKey(algorithm, _point(key, algorithm))


def generate_keypair(algorithm: Algorithm) -> tuple[bytes, bytes]:
    """(private PEM in PKCS#8, public PEM in SubjectPublicKeyInfo)."""
    key: Any
    if algorithm is Algorithm.sm2:
        key = ts_ec.generate_private_key(ts_ec.SM2())
        mod: Any = ts_serialization
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        mod = serialization
    private = key.private_bytes(mod.Encoding.PEM, mod.PrivateFormat.PKCS8, mod.NoEncryption())
    public = key.public_key().public_bytes(mod.Encoding.PEM, mod.PublicFormat.SubjectPublicKeyInfo)
    return bytes(private), bytes(public)


def write_keypair(algorithm: Algorithm, prefix: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write ``PREFIX.key`` (mode 0600) and ``PREFIX.pub``; refuse to overwrite unless
    ``force``."""
    key_path = prefix.with_name(prefix.name + ".key")
    pub_path = prefix.with_name(prefix.name + ".pub")
    for p in (key_path, pub_path):
        if p.exists() and not force:
            raise SignatureError(f"{p} exists; pass --force to replace it")
    private, public = generate_keypair(algorithm)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    with os.fdopen(os.open(key_path, flags, 0o600), "wb") as fh:
        fh.write(private)
    os.chmod(key_path, 0o600)
    pub_path.write_bytes(public)
    return key_path, pub_path


# --- signing and checking reserved codes ------------------------------------------------


def sign_label(label: AigcLabel, role: Role, key: SigningKey, digest: str) -> str:
    """The value for ReservedCode1 (producer) or ReservedCode2 (propagator)."""
    message = signed_message(label, role, key.algorithm, digest)
    signature = key.sign(message)
    return f"{PREFIX}.{key.algorithm.tag}.{_b64(key.public.point)}.{_b64(signature)}"


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The outcome of checking one reserved code."""

    status: SignatureStatus
    algorithm: Algorithm | None = None
    detail: str = ""


def parse_code(code: str) -> tuple[Algorithm, PublicKey, bytes] | None:
    """(algorithm, public key, signature) of an aisec signature; None when ``code`` is
    not one (empty or someone else's data); ValueError when it is one but malformed."""
    if not code.startswith(PREFIX + "."):
        return None
    parts = code.split(".")
    if len(parts) != 4:
        raise ValueError("expected aisec1.<algorithm>.<public key>.<signature>")
    algorithm = _BY_TAG.get(parts[1])
    if algorithm is None:
        raise ValueError(f"unknown signature algorithm {parts[1]!r}")
    try:
        point, signature = _unb64(parts[2]), _unb64(parts[3])
    except (binascii.Error, ValueError):
        raise ValueError("public key or signature is not base64url") from None
    return algorithm, PublicKey(algorithm, point), signature


def check_code(
    label: AigcLabel,
    role: Role,
    digest_for: Any,
    expected: Sequence[PublicKey] = (),
) -> SignatureCheck:
    """Check the reserved code of ``role`` in ``label``.

    ``digest_for(algorithm) -> str`` gives the file's content digest (computed lazily, as
    hashing a large file is the expensive part). ``expected`` makes a signature by any
    other key invalid (when given, the signer must be one of them).
    """
    code = label.reserved_code1 if role is Role.producer else label.reserved_code2
    try:
        parsed = parse_code(code)
    except ValueError as exc:
        return SignatureCheck(SignatureStatus.invalid, None, f"malformed signature: {exc}")
    if parsed is None:
        detail = "" if not code else "holds data that is not an aisec signature"
        return SignatureCheck(SignatureStatus.unsigned, None, detail)
    algorithm, public, signature = parsed
    if expected and public not in expected:
        return SignatureCheck(SignatureStatus.invalid, algorithm, "signed by a different key")
    message = signed_message(label, role, algorithm, digest_for(algorithm))
    if public.verify(signature, message):
        return SignatureCheck(SignatureStatus.valid, algorithm)
    return SignatureCheck(
        SignatureStatus.invalid, algorithm, "the content or the label fields changed after signing"
    )
