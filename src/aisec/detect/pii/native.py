"""The compiled candidate pass of `PiiDetector` (the C extension ``aisec.detect.pii._core``),
and what the other compiled parts of the PII detector share: `extension` (load one) and
`cached_build` (its Hyperscan database through the on-disk cache). `names`, `address`,
`names_en` and `address_en` set up their own (``_names``, ``_address``, ``_names_en``,
``_address_en``) with these.

Per text, the pure-Python pass calls Hyperscan with a Python callback per candidate and
then `PatternRecognizer.confirm` per candidate: on text dense with personal data that is
thousands of Python calls per 100 KB, most of them for candidates that a checksum
rejects. The compiled pass scans with Hyperscan's C library and, for the patterns listed
in `NATIVE_CHECKS`, runs the exact match and the recogniser's validation in C as well;
the other candidates come back to Python and are confirmed by their recogniser as before,
except those that `confirm_yielding` would skip (an international phone shape inside an
accepted bank card number, say), which the C pass drops itself. Phone numbers are
validated by libphonenumber, so `PhoneRecognizer` keeps its candidates ("phone" is a filter,
not a check), but the C pass drops those that `PhoneRecognizer.accept` would reject before
getting that far (dates, digit counts, Chinese number shapes, national numbers without a
context word): on the generated benchmark lines, every one that reaches it.
Findings are the same either way (tests/detect/test_pii_native.py holds the two passes
to it).

The checks are tied to the built-in recogniser classes, not to subclasses: a subclass
may change `accept`, so its candidates always go to Python. The C code reproduces the
Python code rather than sharing it (patterns, checksums, scores): a change to a
recogniser listed here, to `names.ChineseNameScorer` or to `address.find_chinese_addresses`
needs the same change in its C file, which the equivalence tests will insist on.
``AISEC_NATIVE=0`` switches the compiled parts off; without the extensions (a machine
where they could not be built) the Python code runs.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import re
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import hyperscan
import numpy as np

from aisec.detect.base import Finding
from aisec.detect.pii.base import Held, PatternRecognizer, ScanContext, confirm_yielding
from aisec.detect.pii.international import PhoneRecognizer
from aisec.detect.pii.structured import (
    BankCardRecognizer,
    CarPlateRecognizer,
    EmailRecognizer,
    IdCardRecognizer,
    ImAccountRecognizer,
    IpRecognizer,
    LandlineRecognizer,
    MobileRecognizer,
    TravelDocumentRecognizer,
    UsccRecognizer,
)
from aisec.runtime import native_enabled
from aisec.text.hsdb import CACHE_VERSION, cache_file, read_cached, store_cached


def extension(name: str) -> ModuleType | None:
    """The compiled module ``aisec.detect.pii.<name>``, or None when it is not built (no
    compiler or no libhyperscan-dev where aisec was installed)."""
    try:
        return importlib.import_module(f"aisec.detect.pii.{name}")
    except ImportError:
        return None


_core = extension("_core")

#: per built-in recogniser class, the C check of each of its patterns ("defer": Python)
NATIVE_CHECKS: dict[type[PatternRecognizer], tuple[str, ...]] = {
    IdCardRecognizer: ("id18", "id15"),
    MobileRecognizer: ("mobile",),
    LandlineRecognizer: ("landline",),
    BankCardRecognizer: ("bank", "bank_short"),
    UsccRecognizer: ("uscc",),
    TravelDocumentRecognizer: ("passport", "permit"),
    CarPlateRecognizer: ("plate",),
    EmailRecognizer: ("email",),
    IpRecognizer: ("ipv4", "ipv6"),
    ImAccountRecognizer: ("qq", "wechat", "wxid"),
    PhoneRecognizer: ("phone",),
}

#: checks whose candidates Python confirms: "phone" is a filter that drops the phone
#: candidates `PhoneRecognizer.accept` would reject before libphonenumber, and defers the rest
_DEFERRING = ("defer", "phone")

#: the ASCII characters of `PhoneRecognizer`'s context words (``_CONTEXT``)
_PHONE_WORD_CHARS = " abcdefhilmnoprstuwx"


@functools.cache
def phone_folds() -> dict[str, str]:
    """Per character of the phone context words, every character `re` matches it with
    under IGNORECASE (itself included: ``"s"`` gives ``"Ssſ"``), for the C filter."""
    # every code point once (surrogates too), then those a class of them all matches
    everything = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    found = sorted(set(re.findall(f"[{re.escape(_PHONE_WORD_CHARS)}]", everything, re.IGNORECASE)))
    return {
        ch: "".join(c for c in found if re.fullmatch(re.escape(ch), c, re.IGNORECASE))
        for ch in _PHONE_WORD_CHARS
    }


#: the context words each check uses, by the C module's word-set names
_WORDS: dict[str, Sequence[str]] = {
    "id_card": IdCardRecognizer.context,
    "mobile": MobileRecognizer.context,
    "bank_card": BankCardRecognizer.context,
    "passport": TravelDocumentRecognizer.passport_context,
    "permit": TravelDocumentRecognizer.permit_context,
    "car_plate": CarPlateRecognizer.context,
    "ip_version": IpRecognizer.version_words,
    "ip": IpRecognizer.ip_words,
    "landline": LandlineRecognizer.context,
}

#: the recogniser class that reports each kind the C checks emit
_REPORTER: dict[str, type[PatternRecognizer]] = {
    "pii.cn_id_card": IdCardRecognizer,
    "pii.cn_mobile": MobileRecognizer,
    "pii.bank_card": BankCardRecognizer,
    "pii.uscc": UsccRecognizer,
    "pii.passport": TravelDocumentRecognizer,
    "pii.hk_macau_permit": TravelDocumentRecognizer,
    "pii.car_plate": CarPlateRecognizer,
    "pii.ipv4": IpRecognizer,
    "pii.ipv6": IpRecognizer,
    "pii.qq": ImAccountRecognizer,
    "pii.cn_landline": LandlineRecognizer,
    "pii.email": EmailRecognizer,
    "pii.wechat": ImAccountRecognizer,
}


def cached_build(
    tag: str,
    version: str,
    expressions: Sequence[tuple[bytes, int]],
    make: Callable[[bytes | None], Any],
    serialized: Callable[[Any], bytes],
) -> Any:
    """``make(blob)`` with the serialised Hyperscan database(s) of ``expressions``
    (pattern, flags) from the on-disk cache of `aisec.text.hsdb`, or ``make(None)``
    (compiling: a tenth of a second or more) when there is none or it is stale, after
    which the cache gets ``serialized(made)``."""
    digest = hashlib.sha256(f"{CACHE_VERSION}|{tag}|{version}|".encode())
    for expression, flags in expressions:
        digest.update(b"%d\x00" % flags + expression + b"\x00\x01")
    path = cache_file(digest.hexdigest(), f".pii-{tag}.hsdb")
    blob = read_cached(path)
    if blob is not None:
        try:
            return make(blob)
        except ValueError:
            pass  # stale or foreign file: compile and overwrite it
    made = make(None)
    store_cached(path, serialized(made))
    return made


def _check(rec: PatternRecognizer, local: int) -> str:
    """The core's check for pattern ``local`` of ``rec`` ("defer": Python confirms it)."""
    checks = NATIVE_CHECKS.get(type(rec))
    return checks[local] if checks is not None else "defer"


def _compiled(
    patterns: list[tuple[bytes, int, str, int, int, int]],
    regions: Sequence[str],
    yields: list[list[int]] | None,
) -> Any:
    """The C core for ``patterns``, its Hyperscan database from the on-disk cache of
    `aisec.text.hsdb` when it is there (compiling takes about a tenth of a second)."""
    core = _core
    assert core is not None
    reporters = tuple((kind, _REPORTER[kind].name, _REPORTER[kind].version) for kind in core.KINDS)
    return cached_build(
        "core",
        core.HYPERSCAN_VERSION,
        [(expression, flags) for expression, flags, *_ in patterns],
        lambda blob: core.Core(
            patterns,
            dict(_WORDS),
            regions,
            database=blob,
            finding_type=Finding,
            reporters=reporters,
            yields=yields,
            folds=phone_folds() if any(p[2] == "phone" for p in patterns) else None,
        ),
        lambda made: made.serialize(),
    )


def available() -> bool:
    """True when the compiled pass is built and not switched off (``AISEC_NATIVE=0``)."""
    return _core is not None and native_enabled()


def hyperscan_flags(caseless: bool) -> int:
    """The Hyperscan flags of a candidate pattern (both passes use the same; no start of
    match: see `Pattern.reach`)."""
    flags = hyperscan.HS_FLAG_UTF8
    return flags | hyperscan.HS_FLAG_CASELESS if caseless else flags


class NativePass:
    """The candidates of ``index`` (pattern id → recogniser and its pattern number), found
    and, where a C check exists, confirmed in C."""

    def __init__(self, index: Sequence[tuple[PatternRecognizer, int]]) -> None:
        if _core is None:
            raise RuntimeError("the compiled PII pass (aisec.detect.pii._core) is not built")
        self.index = list(index)
        patterns: list[tuple[bytes, int, str, int, int, int]] = []
        regions: Sequence[str] = ()
        for rec, local in self.index:
            pat = rec.patterns[local]
            check = _check(rec, local)
            if type(rec) is IdCardRecognizer:
                regions = list(rec.known_regions)
            patterns.append(
                (
                    pat.candidate.encode("utf-8"),
                    hyperscan_flags(pat.caseless),
                    check,
                    *pat.widen,
                    pat.reach,
                )
            )
        yields = self._yields()
        #: whether the core drops the candidates that yield (see `_yields`)
        self.drops_yielding = yields is not None
        self.core: Any = _compiled(patterns, regions, yields)

    def _yields(self) -> list[list[int]] | None:
        """Per pattern, the kinds (indices into the core's KINDS) whose accepted findings
        its candidates yield to (`PatternRecognizer.yields_to`), for the core to drop the
        candidates that `confirm_yielding` would skip; None when a candidate the core
        defers could itself become a finding of a claiming kind (the core would not see
        that finding, so Python must decide)."""
        assert _core is not None
        kinds = list(_core.KINDS)
        deferred = [rec for rec, local in self.index if _check(rec, local) in _DEFERRING]
        claiming = {kind for rec in deferred for kind in rec.yields_to}
        if any(not rec.yields_to and claiming & set(rec.kinds) for rec in deferred):
            return None
        return [
            [kinds.index(k) for k in sorted(rec.yields_to) if k in kinds]
            if _check(rec, local) in _DEFERRING
            else []
            for rec, local in self.index
        ]

    def find(self, ctx: ScanContext) -> list[Finding]:
        """The findings of every pattern recogniser in ``ctx``, in candidate order."""
        found, deferred = self.core.find(ctx.data, len(ctx.text))
        if not deferred:
            return found  # type: ignore[no-any-return]
        held: list[Held] = []
        inserts: list[tuple[int, list[Finding]]] = []
        index = self.index
        for position, pid, start, end in deferred:
            rec, local = index[pid]
            if rec.yields_to:
                held.append((rec, local, start, end))
            else:  # confirmed in its place among the others
                inserts.append((position, list(rec.confirm(ctx, local, start, end))))
        if any(made for _, made in inserts):
            for position, made in reversed(inserts):
                found[position:position] = made
        if self.drops_yielding:
            # the core dropped the held candidates that `confirm_yielding` would skip, and
            # no finding it did not see can claim one: confirm the rest without asking again
            for rec, local, start, end in held:
                found.extend(rec.confirm(ctx, local, start, end))
            return found  # type: ignore[no-any-return]
        found.extend(confirm_yielding(ctx, held, found))
        return found  # type: ignore[no-any-return]
