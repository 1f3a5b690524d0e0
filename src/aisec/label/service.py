"""Add, verify, propagate and remove implicit labels on files.

Every write goes to a temporary file beside the target, is read back to check the label
landed, is flushed to disk and then renamed over the target, so the original is never
damaged: on any error it is left exactly as it was. The one exception keeps that promise
another way: a TIFF labelled in place gets its new directory appended, read back and
flushed before one aligned 4-byte write of the header commits it, so a crash leaves the old
or the new file and an error cuts it back to its original bytes.

How the files are read and written (opened once, a write planned, then written to a
temporary file — or appended and committed in place — read back, fsynced and renamed):
:mod:`aisec.label.files`.

Verdicts (``Verification.verdict``):

* ``compliant`` — one label (the same in every carrier slot), valid, and no invalid
  signature;
* ``noncompliant`` — a label is present but something is wrong: invalid fields, two
  different labels (conflict), the same slot repeated (duplicate), an invalid signature,
  or no signature although verification keys were given;
* ``not_found`` — the file carries no implicit label;
* ``inconclusive`` — the file could not be checked (unsupported, malformed, truncated).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aisec.io.walk import walk_files
from aisec.label.carriers.base import Carrier, CarrierError, CarrierHit, FileName
from aisec.label.carriers.registry import carrier_for, carriers
from aisec.label.files import Source, install, write_temp
from aisec.label.model import AigcLabel, LabelError, parse_label
from aisec.label.sign import (
    Algorithm,
    PublicKey,
    Role,
    SignatureStatus,
    SigningKey,
    check_code,
    content_digest,
    sign_label,
)

COMPLIANT, NONCOMPLIANT, NOT_FOUND, INCONCLUSIVE = (
    "compliant",
    "noncompliant",
    "not_found",
    "inconclusive",
)


@dataclass(frozen=True, slots=True)
class FoundCopy:
    """One label copy as read from a file."""

    carrier: str
    payload: str
    label: AigcLabel | None
    shape: str | None
    error: str | None
    canonical: bool = False  # the payload is exactly the label's canonical JSON

    def as_dict(self) -> dict[str, Any]:
        """JSON form: where, which shape, and what is wrong with it (null when fine)."""
        return {"carrier": self.carrier, "shape": self.shape, "error": self.error}


@dataclass(slots=True)
class Verification:
    """What ``verify`` found in one file."""

    file: Path | str  # as given
    verdict: str
    label: AigcLabel | None = None
    copies: list[FoundCopy] = field(default_factory=list)
    signature: str = SignatureStatus.unsigned.value
    signatures: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    format: str | None = None
    error: bool = False  # the file could not be read at all

    def as_dict(self) -> dict[str, Any]:
        """The JSON record scripts rely on (plus ``format``, ``signatures``, ``notes``)."""
        return {
            "file": str(self.file),
            "verdict": self.verdict,
            "label": None if self.label is None else self.label.as_dict(),
            "carriers": [c.as_dict() for c in self.copies],
            "signature": self.signature,
            "problems": list(self.problems),
            "format": self.format,
            "signatures": dict(self.signatures),
            "notes": list(self.notes),
        }


def supported_extensions() -> frozenset[str]:
    """Every file extension some carrier handles."""
    return frozenset(ext for c in carriers() for ext in c.extensions)


def expand_paths(paths: Iterable[Path], extra: Iterable[str] = ()) -> list[Path]:
    """Files as given, and folders walked recursively for files of a supported type (or
    one of the ``extra`` extensions), hidden files and aisec's own temporary files
    skipped, in sorted order. A path that does not exist is an :class:`InputError`."""
    return walk_files(paths, supported_extensions() | frozenset(extra))


# --- reading -----------------------------------------------------------------------------


def _parse_copy(hit: CarrierHit) -> FoundCopy:
    try:
        parsed = parse_label(hit.payload)
    except LabelError as exc:
        return FoundCopy(hit.carrier, hit.payload, None, None, str(exc))
    return FoundCopy(
        hit.carrier, hit.payload, parsed.label, parsed.shape.value, None, parsed.canonical
    )


def read_copies(path: FileName) -> tuple[Carrier, list[FoundCopy]]:
    """The file's carrier and every label copy in it (``CarrierError`` when unreadable)."""
    with Source(path) as source:
        return source.carrier, [_parse_copy(h) for h in source.read(path)]


def single_label(path: FileName, copies: Sequence[FoundCopy]) -> AigcLabel | None:
    """The file's one label; ``LabelError`` when copies disagree or one is invalid."""
    bad = [c for c in copies if c.label is None]
    if bad:
        raise LabelError(f"{path}: {bad[0].carrier} holds an invalid label: {bad[0].error}")
    distinct = {c.label.to_json(): c.label for c in copies if c.label is not None}
    if len(distinct) > 1:
        where = ", ".join(c.carrier for c in copies)
        raise LabelError(
            f"{path}: conflicting labels in {where}; relabel with `aisec label add` first"
        )
    return next(iter(distinct.values()), None)


class _Digests:
    """Content digests of one file, computed once per algorithm on first use."""

    def __init__(self, carrier: Carrier, path: FileName) -> None:
        self._carrier, self._path = carrier, path
        self._cache: dict[Algorithm, str] = {}

    def __call__(self, algorithm: Algorithm) -> str:
        if algorithm not in self._cache:
            content = self._carrier.content(Path(self._path))
            self._cache[algorithm] = content_digest(content, algorithm)
        return self._cache[algorithm]


def verify_file(path: FileName, keys: Sequence[PublicKey] = ()) -> Verification:
    """Check one file; never raises for a file problem (that is ``inconclusive``)."""
    result = Verification(path, NOT_FOUND)
    try:
        carrier, copies = read_copies(path)
        result.format = carrier.name
        result.copies = copies
        _judge(result, carrier, path, keys)
    except CarrierError as exc:
        result.verdict, result.error = INCONCLUSIVE, True
        result.problems.append(str(exc))
    return result


def _judge(
    result: Verification, carrier: Carrier, path: FileName, keys: Sequence[PublicKey]
) -> None:
    copies = result.copies
    if not copies:
        result.verdict = NOT_FOUND
        if keys:
            result.problems.append("no label, so no signature to check")
        return
    for c in copies:
        if c.label is None:
            result.problems.append(f"{c.carrier}: {c.error}")
        elif c.shape != "bare" or (not c.canonical and c.payload != c.label.to_json()):
            result.notes.append(f"{c.carrier}: label stored in the {c.shape} shape, not canonical")
    if len(copies) > 1:
        _judge_copies(result, copies)
    label = next((c.label for c in copies if c.label is not None), None)
    result.label = label
    if label is not None:
        _judge_signatures(result, label, _Digests(carrier, path), keys)
    result.verdict = NONCOMPLIANT if result.problems else COMPLIANT


def _judge_copies(result: Verification, copies: list[FoundCopy]) -> None:
    """Duplicates (one slot twice) and conflicts (different labels)."""
    for slot, n in Counter(c.carrier for c in copies).items():
        if n > 1:
            result.problems.append(f"duplicate: {n} label copies in {slot} (GB 45438 wants one)")
    distinct: dict[str, list[FoundCopy]] = {}
    for c in copies:
        if c.label is not None:
            distinct.setdefault(c.label.to_json(), []).append(c)
    if len(distinct) > 1:
        parts = [f"{'+'.join(x.carrier for x in cs)} {js}" for js, cs in distinct.items()]
        result.problems.append("conflicting labels: " + " vs ".join(parts))


def _judge_signatures(
    result: Verification, label: AigcLabel, digests: _Digests, keys: Sequence[PublicKey]
) -> None:
    statuses: list[SignatureStatus] = []
    roles = [Role.producer]
    if label.content_propagator or label.reserved_code2:
        roles.append(Role.propagator)
    for role in roles:
        check = check_code(label, role, digests, keys)
        field_name = "ReservedCode1" if role is Role.producer else "ReservedCode2"
        result.signatures[field_name] = check.status.value
        statuses.append(check.status)
        if check.status is SignatureStatus.invalid:
            result.problems.append(f"{field_name}: invalid signature ({check.detail})")
        elif check.detail:
            result.notes.append(f"{field_name}: {check.detail}")
    if SignatureStatus.invalid in statuses:
        result.signature = SignatureStatus.invalid.value
    elif SignatureStatus.valid in statuses:
        result.signature = SignatureStatus.valid.value
    if keys and result.signature == SignatureStatus.unsigned.value:
        result.problems.append("unsigned, but a verification key was given")


# --- writing -----------------------------------------------------------------------------


def rewrite(carrier: Carrier, src: FileName, dst: FileName, payload: str | None) -> None:
    """Atomically write ``src`` with its label set to ``payload`` (removed when None) to
    ``dst`` (which may be ``src``); on any error ``dst`` is untouched."""
    with Source(src, carrier) as source:
        tmp = write_temp(source, src, dst, payload)
    install(tmp, dst)


def add_label(
    path: FileName,
    label: AigcLabel,
    *,
    key: SigningKey | None = None,
    out: FileName | None = None,
) -> AigcLabel:
    """Label ``path`` (in place, or into ``out``), signing as producer when ``key`` is
    given; replaces any label already there. Returns the label written."""
    dst = out or path
    with Source(path) as source:
        if key is not None:
            digest = content_digest(source.carrier.content(Path(path)), key.algorithm)
            unsigned = label.with_fields(reserved_code1="")
            label = unsigned.with_fields(
                reserved_code1=sign_label(unsigned, Role.producer, key, digest)
            )
        tmp = write_temp(source, path, dst, label.to_json())
    install(tmp, dst)
    return label


def propagate_label(
    path: FileName,
    propagator: str,
    propagate_id: str,
    *,
    key: SigningKey | None = None,
    out: FileName | None = None,
) -> AigcLabel:
    """Add the propagator's fields (and signature) to the file's label, leaving the
    producer's fields and signature exactly as they are."""
    carrier, copies = read_copies(path)
    current = single_label(path, copies)
    if current is None:
        raise LabelError(
            f"{path}: no implicit label to propagate; label it first (`aisec label add`)"
        )
    label = current.with_fields(
        content_propagator=propagator, propagate_id=propagate_id, reserved_code2=""
    )
    if key is not None:
        digest = content_digest(carrier.content(Path(path)), key.algorithm)
        label = label.with_fields(reserved_code2=sign_label(label, Role.propagator, key, digest))
    rewrite(carrier, path, out or path, label.to_json())
    return label


def remove_label(path: FileName, *, out: FileName | None = None) -> None:
    """Remove every label copy from ``path`` (in place, or into ``out``)."""
    carrier = carrier_for(Path(path))
    rewrite(carrier, path, out or path, None)
