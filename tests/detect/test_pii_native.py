"""The compiled candidate pass (`aisec.detect.pii.native`, C) against the pure-Python one.

The Python recognisers are the reference: on generated PII-dense text and on random text
built from the pieces these patterns care about, both passes must give the same findings
in the same order, before overlap resolution as well as after it.
"""

from __future__ import annotations

import gc
import os
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import aisec.detect.pii.detector as detector_module
from aisec.detect.base import Finding, join_batch
from aisec.detect.pii import PiiDetector, address, names, native
from aisec.detect.pii.base import Pattern, PatternRecognizer, ScanContext
from aisec.detect.pii.detector import default_recognizers
from aisec.detect.pii.international import PhoneRecognizer
from aisec.detect.pii.structured import (
    IdCardRecognizer,
    MobileRecognizer,
    structured_recognizers,
)
from aisec.text import normalize

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from twins import compare_twins

from pii_gen import generate

pytestmark = pytest.mark.skipif(
    not native.available() and os.environ.get("AISEC_REQUIRE_NATIVE") != "1",
    reason="the compiled PII pass is not built (needs gcc and libhyperscan-dev)",
)


def test_the_compiled_pass_is_built_where_required() -> None:
    # `make test` sets AISEC_REQUIRE_NATIVE=1: there, a missing extension fails the suite
    assert native.available()
    assert PiiDetector().compiled
    assert not PiiDetector(native=False).compiled


def _raw(det: PiiDetector, text: str) -> list[Finding]:
    """The detector's findings before overlap resolution, in the order they were made."""
    saved = detector_module.resolve_overlaps
    detector_module.resolve_overlaps = lambda found: found
    try:
        return det.find(normalize(text))
    finally:
        detector_module.resolve_overlaps = saved


@pytest.fixture(scope="module")
def both() -> tuple[PiiDetector, PiiDetector]:
    return PiiDetector(native=False), PiiDetector(native=True)


def test_same_findings_on_generated_text(both: tuple[PiiDetector, PiiDetector]) -> None:
    python, compiled = both
    texts = [item.text for item in generate(1500, seed=11)]
    kinds: Counter[str] = Counter()
    for i in range(0, len(texts), 100):
        batch = join_batch(texts[i : i + 100])
        assert batch is not None
        expected = _raw(python, batch.text)
        assert _raw(compiled, batch.text) == expected
        kinds.update(f.kind for f in expected)
    # every kind the C checks emit was exercised
    assert set(native._REPORTER) <= set(kinds)
    singles = texts[:300]
    assert compiled.detect_batch(singles) == python.detect_batch(singles)
    assert [compiled.detect(t) for t in singles] == [python.detect(t) for t in singles]


# the pieces of the random texts: digits and separators most, then the letters, words and
# characters that the patterns, their boundaries and their context words turn on
_PIECES = [
    *"0123456789" * 6, *" -+.()/:=@_%X" * 2, *"EGCWHMDFQqxwvVAZabezio",
    "\uffff", "京A", "粤B·", "沪", "号", "号码", "转", "ext", "ext.", "是", "为", "扣扣", "QQ",
    "qq", "微信", "wx", "vx", "V信", "WeChat", "weixin", "id", "ID", "wxid_", "+86", "0086",
    "+86 (0", "(010)", "110105", "19491231", "20240229", "1380013", "62220212", "9111",
    "91110108MA", "@example.com", ".com", "a@b", "user.name", "身份证", "电话", "手机",
    "卡号", "护照", "通行证", "车牌", "版本", "version", "ip", "IP", "地址", "İ", "é", "中",
    "·", "挂", "学", ":", "::", "fe80", "2001:db8", "abcd", "ffff:", "1.2", ".3.4",
]  # fmt: skip


def test_same_findings_on_random_text(both: tuple[PiiDetector, PiiDetector]) -> None:
    python = PiiDetector(recognizers=structured_recognizers(), native=False)
    compiled = PiiDetector(recognizers=structured_recognizers(), native=True)
    rng = random.Random(20261126)
    kinds: Counter[str] = Counter()
    for _ in range(4000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 60)))
        expected = _raw(python, text)
        assert _raw(compiled, text) == expected, text
        kinds.update(f.kind for f in expected)
    assert len(kinds) >= 10, kinds


def test_valid_values_in_every_shape(both: tuple[PiiDetector, PiiDetector]) -> None:
    """Hand-made edge cases: separators, prefixes, window cuts, boundaries, look-alikes."""
    python, compiled = both
    texts = [
        "身份证 11010519491231002X,旧号 110105491231002",
        "电话 +86 138-0013-8000 / 0086 13800138000 / 138 0013-8000 / 13800138000x",
        "座机 (010)6234 5678转123, +86-(0)755-8888 6666 ext. 12, 0755-88886666-123456",
        "卡号 6222 0212 3456 7890 123 4567; 4111-1111-1111-1111; 3782 822463 10005",
        "代码 91110108MA01KP2T5U, 911101080000000000, ID 110105194912310021",
        "护照 E12345678, EA1234567, G123456789; 通行证 C12345678 H1234567890 M12345678",
        "车牌 京A·12345 粤BD12345 沪A1234挂 京A12",
        "server ip 192.168.1.1, version 1.2.3.4, 256.1.1.1, 1.2.3.4.5",
        "QQ号码: 12345678, 扣扣 是 987654321, qq id 1234567890123",
        "微信号: zhang_san88, wx:lisi_2024, WeChat ID wxid_abcdef123456, vx是 public",
        "mail a.b-c@sub.example.co.uk, x@y.com.1, bad..dot@ex.com, a@b-.com",
    ]
    for text in texts:
        assert _raw(compiled, text) == _raw(python, text), text
        assert compiled.detect(text) == python.detect(text), text


def test_a_subclass_keeps_its_own_accept() -> None:
    class Strict(IdCardRecognizer):
        def accept(self, ctx: ScanContext, match: object, pattern: int) -> Finding | None:
            return None  # this deployment reports no ID numbers

    det = PiiDetector(recognizers=[Strict()], native=True)
    assert det.compiled
    assert det.detect("身份证 11010519491231002X") == []
    assert PiiDetector(recognizers=[IdCardRecognizer()], native=True).detect(
        "身份证 11010519491231002X"
    )


def test_candidates_that_yield_are_dropped_in_c(both: tuple[PiiDetector, PiiDetector]) -> None:
    python, compiled = both
    # phone shapes inside an IPv4 address, a bank card and a mobile number: each yields
    text = "reach 192.168.100.200, card 6229-1417-7763-1700 or 138-8995-7903 by phone"
    data = normalize(text)
    found, deferred = compiled._native.core.find(data.text.encode("utf-8"), len(data.text))
    assert deferred == [] and all(type(f) is Finding for f in found)
    assert _raw(compiled, text) == _raw(python, text)
    # beside them, a phone number that claims nothing is still left to Python
    text += " or +44 20 7946 0958"
    data = normalize(text)
    assert compiled._native.core.find(data.text.encode("utf-8"), len(data.text))[1]
    assert _raw(compiled, text) == _raw(python, text)


def test_python_findings_keep_their_place(both: tuple[PiiDetector, PiiDetector]) -> None:
    # an IBAN is confirmed in Python, between findings made in C: the order is the
    # candidates' either way
    python, compiled = both
    text = "mail a@b.com, IBAN DE89 3704 0044 0532 0130 00, card 6229-1417-7763-1700, c@d.org"
    data = normalize(text)
    found, deferred = compiled._native.core.find(data.text.encode("utf-8"), len(data.text))
    assert {position for position, *_ in deferred} == {1}
    assert len(found) == 3
    assert _raw(compiled, text) == _raw(python, text)
    kinds = [f.kind for f in _raw(compiled, text)]  # (each IBAN candidate gives one)
    runs = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    assert runs == ["pii.email", "pii.iban", "pii.bank_card", "pii.email"]


def test_no_dropping_when_python_may_find_a_claiming_kind() -> None:
    # a subclass's candidates go to Python, and this one can make pii.cn_mobile findings
    # that the core never sees: then Python alone decides which phone candidates yield
    class Mobile(MobileRecognizer):
        pass

    recognizers = [Mobile(), PhoneRecognizer()]
    compiled = PiiDetector(recognizers=recognizers, native=True)
    python = PiiDetector(recognizers=recognizers, native=False)
    assert compiled._native is not None and compiled._native._yields() is None
    assert PiiDetector(native=True)._native._yields() is not None  # type: ignore[union-attr]
    for text in ("电话:请在工作日的上午九点到下午五点之间拨打138-8995-7903", "call 138 8995 7903"):
        assert _raw(compiled, text) == _raw(python, text)
        assert compiled.detect(text) == python.detect(text)


def test_switched_off_by_environment(
    native_off: Callable[[], None],
) -> None:
    native_off()
    assert not native.available()
    assert not PiiDetector().compiled


def test_core_rejects_bad_patterns() -> None:
    assert native._core is not None
    with pytest.raises(ValueError, match="unknown check"):
        native._core.Core([(b"[0-9]+", 0, "nonsense", 0, 1, 9)], {}, [])
    with pytest.raises(ValueError, match="could not compile"):
        native._core.Core([(b"(unclosed", 0, "defer", 0, 1, 9)], {}, [])
    with pytest.raises(ValueError, match="must not be negative"):
        native._core.Core([(b"[0-9]+", 0, "defer", 0, 1, -1)], {}, [])
    with pytest.raises(ValueError, match="no patterns"):
        native._core.Core([], {}, [])


def test_database_cache_is_used_and_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AISEC_CACHE_DIR", str(tmp_path))

    def fresh() -> list[Finding]:
        # the name scorer and address finder are made once per process: make them again
        names._compiled_scorer.cache_clear()
        address._compiled_finder.cache_clear()
        return PiiDetector(native=True).detect(
            "联系人张伟,住在北京市朝阳区建国路88号,电话13800138000"
        )

    expected = fresh()
    assert {f.kind for f in expected} == {"pii.person_name", "pii.address", "pii.cn_mobile"}
    files = sorted((tmp_path / "hyperscan").glob("*.pii-*.hsdb"))
    assert sorted(f.name.split(".")[1] for f in files) == ["pii-address", "pii-core", "pii-names"]
    blobs = [f.read_bytes() for f in files]
    assert fresh() == expected  # loaded from the files
    for f in files:
        f.write_bytes(b"not a database")
    assert fresh() == expected  # recompiled ...
    assert [f.read_bytes() for f in files] == blobs  # ... and the files rewritten


def test_core_find_needs_the_finding_type() -> None:
    assert native._core is not None
    pattern = [(b"[0-9]{3}", native.hyperscan_flags(caseless=False), "defer", 0, 1, 3)]
    with pytest.raises(RuntimeError, match="finding_type"):
        native._core.Core(pattern, {}, []).find(b"x 123", 5)
    reporters = tuple((kind, "d", "1") for kind in native._core.KINDS)
    core = native._core.Core(pattern, {}, [], finding_type=Finding, reporters=reporters)
    # deferred to Python: (findings before it, pattern id, start, end) in characters ("中"
    # is three bytes); the start is the pattern's reach (3) before the end
    assert core.find("x 中123".encode(), 6) == ([], [(0, 0, 3, 6)])


def _texts_for(seed: int, extra_pieces: list[str]) -> list[str]:
    """Generated lines (batched and single) and random texts built from their characters
    and ``extra_pieces``: what a compiled part is compared on."""
    texts = [item.text for item in generate(1500, seed=seed)]
    joined = [join_batch(texts[i : i + 100]) for i in range(0, len(texts), 100)]
    rng = random.Random(seed)
    pieces = [*sorted(set("".join(texts[:300]))), *extra_pieces]
    randoms = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(5000)]
    return [b.text for b in joined if b is not None] + texts[:500] + randoms


def _compare(texts: list[str], compiled: Any, reference: Any) -> None:
    """``compiled(text, data)`` equals ``reference(ctx)`` on each text; enough found."""
    assert compare_twins(texts, compiled, reference) > 500


def test_chinese_names_same_as_python() -> None:
    from aisec.detect.pii.names import ChineseNameScorer

    scorer = names.name_scorer()
    assert scorer is not None
    context = [
        "我叫",
        "联系人",
        "先生",
        "老师",
        "欧阳",
        "司马",
        ",",
        "|",
        "\n",
        " ",
        ":",
        "给",
        "说",
    ]
    _compare(
        _texts_for(13, context), scorer.names, lambda ctx: list(ChineseNameScorer(ctx).names())
    )
    # and as findings made in C, scored as `chinese_confidence` scores them
    made = (Finding, ("pii.person_name", "pii.name", "1.0"))

    def as_findings(ctx: ScanContext) -> list[Finding]:
        return [
            Finding("pii.person_name", s, e, names.chinese_confidence(score), "pii.name", "1.0")
            for s, e, score in ChineseNameScorer(ctx).names()
        ]

    _compare(
        _texts_for(14, context),
        lambda text, data: scorer.names(text, data, made, names.CONFIDENCE),
        as_findings,
    )
    with pytest.raises(TypeError, match="finding must be"):
        scorer.names("王芳", "王芳".encode(), (Finding, ("pii.person_name",)), names.CONFIDENCE)


def test_rounding_in_c_is_python_s() -> None:
    # the C parts round a finding's score as round(x, 3) does: the decimal of x's exact
    # value, ties to even (0.0625 -> 0.062, 0.1875 -> 0.188), then the nearest double
    round3 = names._C.round3
    rng = random.Random(3)
    values = [0.0625, 0.1875, 0.0005, 0.0015, 0.8125, 0.9995, -0.0625, 0.0, -0.0, 1e-9, 123.4565]
    values += [rng.random() for _ in range(20000)]
    values += [k / 2000 for k in range(4001)]  # every tie and its neighbours below 2
    values += [rng.uniform(0.5, 0.95) for _ in range(20000)]
    for x in values:
        assert round3(x) == round(x, 3) and str(round3(x)) == str(round(x, 3)), x


def test_chinese_addresses_same_as_python() -> None:
    from aisec.detect.pii.address import division_names, find_chinese_addresses

    finder = address.address_finder()
    assert finder is not None
    pieces = [name for name, _ in division_names()[:200]]
    pieces += list("路街道巷弄号楼栋幢单元层室房户村镇乡区组段院一二三十百零〇0123456789AB-") * 3
    pieces += ["大道", "胡同", "小区", "花园", "社区", "开发区", "住在", "地址", "位于", "号楼"]
    _compare(_texts_for(17, pieces), finder.find, find_chinese_addresses)


def test_address_merge_same_as_python() -> None:
    # overlapping Chinese and English spans, ties in start and end, repeated spans
    from aisec.detect.pii.address import first_spans_python

    rng = random.Random(19)
    made = (Finding, ("pii.address", "pii.address", "1.0"))
    for _ in range(3000):
        spans = []
        for _ in range(rng.randint(0, 12)):
            s = rng.randint(0, 40)
            spans.append(
                (s, s + rng.randint(1, 15), rng.choice([0.6, 0.75, 0.85, 0.88, 0.9, 0.97]))
            )
        expected = [
            Finding("pii.address", s, e, x, "pii.address", "1.0")
            for s, e, x in first_spans_python(spans)
        ]
        assert address._C.first_spans(spans, made) == expected, spans
    with pytest.raises(TypeError):
        address._C.first_spans([(1, 2)], made)


PRESIDIO_SET = (
    Path(__file__).resolve().parents[3] / "shared/data/en-pii-presidio/synth_dataset_v2.json"
)


@pytest.mark.skipif(not PRESIDIO_SET.exists(), reason="../shared/data is not beside the project")
def test_same_findings_on_english_text(both: tuple[PiiDetector, PiiDetector]) -> None:
    """The en-pii-presidio texts (English, read by path, never copied into the project)."""
    import json

    python, compiled = both
    texts = [row["full_text"] for row in json.loads(PRESIDIO_SET.read_text(encoding="utf-8"))]
    assert len(texts) > 1000
    assert compiled.detect_batch(texts) == python.detect_batch(texts)
    assert [compiled.detect(t) for t in texts[:300]] == [python.detect(t) for t in texts[:300]]


def test_threads_share_the_compiled_parts(both: tuple[PiiDetector, PiiDetector]) -> None:
    """One detector (one Hyperscan scratch space per C object) used from several threads at
    once gives each thread the findings it gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    _, compiled = both
    texts = [item.text for item in generate(400, seed=19)]
    expected = [compiled.detect(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(compiled.detect, texts))
        batches = list(
            pool.map(compiled.detect_batch, [texts[i : i + 50] for i in range(0, 400, 50)])
        )
    assert got == expected
    assert [f for batch in batches for f in batch] == expected


def test_long_colon_runs_are_safe(both: tuple[PiiDetector, PiiDetector]) -> None:
    python, compiled = both
    for text in ["1:2:3:4:5:6:7:8:9:10:11:12:13:14", ":" * 40, "a:" * 30 + "1.2.3.4", "::" * 20]:
        assert compiled.detect(text) == python.detect(text)


def test_a_candidate_reaches_its_longest_match() -> None:
    # Hyperscan reports where a candidate ends; both passes search from `reach` before it
    assert Pattern(r"(?:^|[^0-9])[0-9]{3}(?:[ \-][0-9]{4})?", "x").reach == 9
    with pytest.raises(ValueError, match="longest match"):
        _ = Pattern(r"wxid_[A-Za-z0-9]{6,}", "x").reach
    built_in = [
        p
        for rec in default_recognizers()
        if isinstance(rec, PatternRecognizer)
        for p in rec.patterns
    ]
    assert built_in and all(p.reach > 0 for p in built_in)


def test_compiled_findings_are_left_out_of_garbage_collection() -> None:
    # a finding holds strings and numbers only, so it cannot be part of a reference cycle:
    # the C parts untrack it, as CPython untracks such plain tuples
    texts = ["身份证110101199003077777,手机13800138000,联系人张伟", "card 6222 0212 3456 7890 123"]
    det = PiiDetector(native=True)
    batch = det.detect_batch(texts)
    single = det.detect(texts[0])
    found = [f for fs in batch for f in fs] + single
    assert len(found) >= 4
    assert not any(gc.is_tracked(f) for f in found)
    # the Python pass makes ordinary, tracked findings; both are equal
    assert PiiDetector(native=False).detect(texts[0]) == single
