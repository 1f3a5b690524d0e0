"""Signatures: SM2/SM3 and ECDSA P-256 over the content digest and the label fields."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from aisec.label.model import AigcLabel
from aisec.label.sign import (
    Algorithm,
    PublicKey,
    Role,
    SignatureError,
    SignatureStatus,
    check_code,
    content_digest,
    load_public_key,
    load_signing_key,
    sign_label,
    signed_message,
    write_keypair,
)

USCC = "91350100M000100Y43"  # valid GB 32100 check character

# An SM2 signature made by OpenSSL 3.0 (`openssl pkeyutl -sign -rawin -digest sm3
# -pkeyopt distid:1234567812345678`) — an implementation aisec does not use.
OPENSSL_SM2_PUB = b"""-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAELIAZPynLF4p1O6IiDjGYjeIAaeJv
zgyDg0FgjuGf9Gv3s7tEjBBWmb1x8W92wxigw6ON3jAO89qhRN71F0oN9A==
-----END PUBLIC KEY-----
"""
OPENSSL_SM2_SIG = base64.b64decode(
    "MEUCIHEi+bOonraj9pySd0XN6WIBbZf6Z6D+YHtRSzt9yw06AiEA7raCNlyfkbYkC+azNTgykQ4yLjGZK+VZM6+S4Wfte/s="
)


def test_sm3_known_vector() -> None:
    # GB/T 32905-2016 Appendix A example 1
    assert content_digest([b"a", b"bc"], Algorithm.sm2) == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_sm2_verifies_an_openssl_signature(tmp_path: Path) -> None:
    pub = tmp_path / "openssl.pub"
    pub.write_bytes(OPENSSL_SM2_PUB)
    key = load_public_key(pub)
    assert key.algorithm is Algorithm.sm2
    assert key.verify(OPENSSL_SM2_SIG, b"hello aigc")
    assert not key.verify(OPENSSL_SM2_SIG, b"hello aigc!")


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_keygen_sign_and_check(tmp_path: Path, algorithm: Algorithm) -> None:
    key_path, pub_path = write_keypair(algorithm, tmp_path / "k")
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    with pytest.raises(SignatureError, match="exists"):
        write_keypair(algorithm, tmp_path / "k")
    key = load_signing_key(key_path)
    assert key.algorithm is algorithm
    assert load_public_key(pub_path) == key.public == load_public_key(key_path)

    label = AigcLabel("1", USCC, "id-1")
    digest = content_digest([b"pixels"], algorithm)
    signed = label.with_fields(reserved_code1=sign_label(label, Role.producer, key, digest))
    assert signed.reserved_code1.startswith(f"aisec1.{algorithm.tag}.")
    assert len(signed.to_json()) < 600

    def digests(alg: Algorithm) -> str:
        return content_digest([b"pixels"], alg)

    assert check_code(signed, Role.producer, digests).status is SignatureStatus.valid
    assert check_code(signed, Role.producer, digests, [key.public]).status is SignatureStatus.valid
    # a changed payload
    changed = check_code(signed, Role.producer, lambda a: content_digest([b"pixelz"], a))
    assert changed.status is SignatureStatus.invalid
    # a changed field
    tampered = signed.with_fields(produce_id="id-2")
    assert check_code(tampered, Role.producer, digests).status is SignatureStatus.invalid
    # another key
    other = load_signing_key(write_keypair(algorithm, tmp_path / "other")[0])
    result = check_code(signed, Role.producer, digests, [other.public])
    assert result.status is SignatureStatus.invalid and "different key" in result.detail
    # unsigned, and somebody else's data
    assert check_code(label, Role.producer, digests).status is SignatureStatus.unsigned
    foreign = label.with_fields(reserved_code1="vendor-hash-123")
    assert check_code(foreign, Role.producer, digests).status is SignatureStatus.unsigned
    broken = label.with_fields(reserved_code1="aisec1.SM2-SM3.x")
    assert check_code(broken, Role.producer, digests).status is SignatureStatus.invalid


def test_propagator_signature_binds_producer_fields(tmp_path: Path) -> None:
    producer = load_signing_key(write_keypair(Algorithm.sm2, tmp_path / "p")[0])
    platform = load_signing_key(write_keypair(Algorithm.ecdsa_p256, tmp_path / "q")[0])

    def digests(alg: Algorithm) -> str:
        return content_digest([b"media"], alg)

    base = AigcLabel("1", USCC, "id-1")
    base = base.with_fields(
        reserved_code1=sign_label(base, Role.producer, producer, digests(Algorithm.sm2))
    )
    prop = base.with_fields(content_propagator="PLATFORM", propagate_id="up-7")
    prop = prop.with_fields(
        reserved_code2=sign_label(prop, Role.propagator, platform, digests(Algorithm.ecdsa_p256))
    )
    assert check_code(prop, Role.producer, digests).status is SignatureStatus.valid
    assert check_code(prop, Role.propagator, digests).status is SignatureStatus.valid
    moved = prop.with_fields(label="2")
    assert check_code(moved, Role.propagator, digests).status is SignatureStatus.invalid


def test_message_layout() -> None:
    label = AigcLabel("1", "A", "B", reserved_code1="S", content_propagator="C", propagate_id="D")
    msg = signed_message(label, Role.propagator, Algorithm.ecdsa_p256, "ab")
    assert msg == (
        b"aisec-aigc-signature/1\nalgorithm:ECDSA-P256-SHA256\nrole:propagator\ncontent:ab\n"
        b"Label:1\nContentProducer:A\nProduceID:B\nReservedCode1:S\nContentPropagator:C\n"
        b"PropagateID:D\n"
    )


def test_bad_key_files(tmp_path: Path) -> None:
    with pytest.raises(SignatureError, match="cannot read"):
        load_signing_key(tmp_path / "missing.key")
    junk = tmp_path / "junk.key"
    junk.write_text("hello")
    with pytest.raises(SignatureError, match="not an unencrypted PEM private key"):
        load_signing_key(junk)
    assert PublicKey(Algorithm.sm2, b"\x04" + b"\x00" * 64).verify(b"x", b"y") is False
