"""Add, verify, propagate and remove implicit labels on files.

Every write goes to a temporary file beside the target, is read back to check the label
landed, is flushed to disk and then renamed over the target, so the original is never
damaged: on any error it is left exactly as it was.

Small files are dominated by system calls, so a file is opened and memory-mapped once and
that mapping serves sniffing the format, reading and writing (for the carriers that can
work on a mapping, :class:`~aisec.label.carriers.base.BufferCarrier`); the temporary file
is created with ``O_EXCL``, written, read back through a mapping of the same descriptor,
given the original's permission bits and fsynced on that descriptor.

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

import contextlib
import itertools
import mmap
import os
import random
import shutil
import stat
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from aisec.io.walk import walk_files
from aisec.label.carriers.base import BufferCarrier, Carrier, CarrierError, CarrierHit
from aisec.label.carriers.registry import carrier_for, carrier_for_head, carriers
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

    def as_dict(self) -> dict[str, Any]:
        """JSON form: where, which shape, and what is wrong with it (null when fine)."""
        return {"carrier": self.carrier, "shape": self.shape, "error": self.error}


@dataclass(slots=True)
class Verification:
    """What ``verify`` found in one file."""

    file: Path
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
    return FoundCopy(hit.carrier, hit.payload, parsed.label, parsed.shape.value, None)


@dataclass(slots=True)
class _Source:
    """A file opened once: its carrier and, when that carrier can use one, its mapping."""

    carrier: Carrier
    buf: mmap.mmap | None  # None: the carrier works on the path
    mode: int | None  # permission bits (None: not known, copy them from the path)

    def read(self, path: Path) -> list[CarrierHit]:
        if self.buf is not None:
            return cast(BufferCarrier, self.carrier).read_buf(self.buf, path)
        return self.carrier.read(path)


def _can_map(carrier: Carrier) -> bool:
    return hasattr(carrier, "read_buf") and hasattr(carrier, "write_buf")


@contextlib.contextmanager
def _source(path: Path, carrier: Carrier | None = None) -> Iterator[_Source]:
    """Open and map ``path`` once; the carrier is sniffed from the mapping unless given.

    Anything unusual (cannot open, not a regular file, empty, cannot map) falls back to
    the path-based calls, which raise the usual, specific errors.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        fd = -1
    buf: mmap.mmap | None = None
    try:
        mode = None
        if fd >= 0:
            st = os.fstat(fd)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISREG(st.st_mode) and st.st_size > 0:
                with contextlib.suppress(OSError, ValueError):
                    buf = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        if carrier is None:
            carrier = carrier_for(path) if buf is None else carrier_for_head(buf[:64], path)
        yield _Source(carrier, buf if _can_map(carrier) else None, mode)
    finally:
        if buf is not None:
            buf.close()
        if fd >= 0:
            os.close(fd)


def read_copies(path: Path) -> tuple[Carrier, list[FoundCopy]]:
    """The file's carrier and every label copy in it (``CarrierError`` when unreadable)."""
    with _source(path) as source:
        return source.carrier, [_parse_copy(h) for h in source.read(path)]


def single_label(path: Path, copies: Sequence[FoundCopy]) -> AigcLabel | None:
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

    def __init__(self, carrier: Carrier, path: Path) -> None:
        self._carrier, self._path = carrier, path
        self._cache: dict[Algorithm, str] = {}

    def __call__(self, algorithm: Algorithm) -> str:
        if algorithm not in self._cache:
            self._cache[algorithm] = content_digest(self._carrier.content(self._path), algorithm)
        return self._cache[algorithm]


def verify_file(path: Path, keys: Sequence[PublicKey] = ()) -> Verification:
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


def _judge(result: Verification, carrier: Carrier, path: Path, keys: Sequence[PublicKey]) -> None:
    copies = result.copies
    if not copies:
        result.verdict = NOT_FOUND
        if keys:
            result.problems.append("no label, so no signature to check")
        return
    for c in copies:
        if c.label is None:
            result.problems.append(f"{c.carrier}: {c.error}")
        elif c.shape != "bare" or c.payload != c.label.to_json():
            result.notes.append(f"{c.carrier}: label stored in the {c.shape} shape, not canonical")
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
    label = next((c.label for c in copies if c.label is not None), None)
    result.label = label
    if label is not None:
        digests = _Digests(carrier, path)
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
    result.verdict = NONCOMPLIANT if result.problems else COMPLIANT


# --- writing -----------------------------------------------------------------------------


_TEMP_SEQ = itertools.count()
_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


def _create_temp(target: Path) -> tuple[int, Path]:
    """A new, empty, private (0600) file beside ``target``, open for reading and writing.

    Like ``tempfile.mkstemp`` (``O_EXCL``, so an existing file or symlink is never
    followed) with a cheaper name: process id, a counter and random bits.
    """
    for _ in range(100):
        tmp = target.parent / (
            f".{target.name}.{os.getpid()}-{next(_TEMP_SEQ)}-{random.getrandbits(32):08x}.aisec-tmp"
        )
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            if target.parent.is_dir():
                raise
            target.parent.mkdir(parents=True, exist_ok=True)
    raise FileExistsError(f"{target.parent}: could not create a temporary file")


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _not_read_back(carrier: Carrier, src: Path, dst: Path) -> CarrierError:
    return CarrierError(
        f"{src}: {carrier.name}: the label did not read back as written; "
        f"{dst} was not changed (please report this)"
    )


def _read_back_ok(back: list[str], payload: str | None) -> bool:
    return not back if payload is None else set(back) == {payload}


def _write_temp(source: _Source, src: Path, dst: Path, payload: str | None) -> Path:
    """Write ``src`` with its label set to ``payload`` into a new temporary file beside
    ``dst``, read it back, give it ``src``'s permission bits and fsync it. Returns the
    temporary file (closed); on any error it is removed and the error raised."""
    carrier = source.carrier
    fd, tmp = _create_temp(dst)
    try:
        try:
            if source.buf is not None:
                mapper = cast(BufferCarrier, carrier)
                with open(fd, "w+b", closefd=False) as out:
                    mapper.write_buf(source.buf, src, out, payload)
                # read back what was written, through the descriptor already open
                if os.fstat(fd).st_size == 0:
                    raise _not_read_back(carrier, src, dst)
                with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as written:
                    back = [h.payload for h in mapper.read_buf(written, tmp)]
            else:
                carrier.write(src, tmp, payload)
                back = [h.payload for h in carrier.read(tmp)]
        except CarrierError as exc:
            raise CarrierError(f"{exc}; {dst} was not changed") from None
        if not _read_back_ok(back, payload):
            raise _not_read_back(carrier, src, dst)
        if source.mode is not None:
            os.fchmod(fd, source.mode)
        else:
            shutil.copymode(src, tmp)
        os.fsync(fd)  # the data and the mode, before the rename makes them the file
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    os.close(fd)
    return tmp


def _install(tmp: Path, dst: Path) -> None:
    try:
        os.replace(tmp, dst)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def rewrite(carrier: Carrier, src: Path, dst: Path, payload: str | None) -> None:
    """Atomically write ``src`` with its label set to ``payload`` (removed when None) to
    ``dst`` (which may be ``src``); on any error ``dst`` is untouched."""
    with _source(src, carrier) as source:
        tmp = _write_temp(source, src, dst, payload)
    _install(tmp, dst)


def add_label(
    path: Path, label: AigcLabel, *, key: SigningKey | None = None, out: Path | None = None
) -> AigcLabel:
    """Label ``path`` (in place, or into ``out``), signing as producer when ``key`` is
    given; replaces any label already there. Returns the label written."""
    dst = out or path
    with _source(path) as source:
        if key is not None:
            digest = content_digest(source.carrier.content(path), key.algorithm)
            unsigned = label.with_fields(reserved_code1="")
            label = unsigned.with_fields(
                reserved_code1=sign_label(unsigned, Role.producer, key, digest)
            )
        tmp = _write_temp(source, path, dst, label.to_json())
    _install(tmp, dst)
    return label


def propagate_label(
    path: Path,
    propagator: str,
    propagate_id: str,
    *,
    key: SigningKey | None = None,
    out: Path | None = None,
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
        digest = content_digest(carrier.content(path), key.algorithm)
        label = label.with_fields(reserved_code2=sign_label(label, Role.propagator, key, digest))
    rewrite(carrier, path, out or path, label.to_json())
    return label


def remove_label(path: Path, *, out: Path | None = None) -> None:
    """Remove every label copy from ``path`` (in place, or into ``out``)."""
    carrier = carrier_for(path)
    rewrite(carrier, path, out or path, None)
