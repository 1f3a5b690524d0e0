"""The guard's shortcuts on the hot path give what the plain forms gave: audit events
made by the writer thread (`PendingEvent`), JSON with encoders and decoders made once,
the policy's pattern look-up and placeholders (the
server's side is in ``tests/server/test_server_hot_path.py``)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from aisec.audit import Event, PendingEvent
from aisec.detect.base import Finding
from aisec.guard.config import parse_guard_policy
from aisec.guard.decision import Decision, RequestContext
from aisec.guard.guard import DEFER_CHARS, Guard, masked_excerpt
from aisec.guard.proxy import compact_json, parse_json
from aisec.guard.vault import TokenVault
from aisec.policy import Policy
from aisec.server.openai_routes import dump

POLICY = """
version: 1
detectors: {pii: {}, secrets: {}, lexicon: {}}
actions: {default: flag, pii.*: redact:mask, secret.*: redact:replace}
"""
PHONE = "13800138000"


class Plain:
    """A sink that takes events only."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def record(self, event: Event) -> None:
        self.events.append(event)


class Deferring:
    """A sink that takes pending events too (as `AuditLog` and `BatchedAudit` do)."""

    takes_pending = True

    def __init__(self) -> None:
        self.items: list[Event | PendingEvent] = []

    def record(self, event: Event | PendingEvent) -> None:
        self.items.append(event)


def reference_event(
    guard: Guard, d: Decision, text: str | None, findings: Any, **details: Any
) -> Event:
    """What `Guard.record` made before events could be made later (its code as it was)."""
    excerpt = None if text is None else masked_excerpt(text, findings)
    return Event(
        type="decision",
        application=guard.application,
        route=guard.route,
        request_id=d.request_id,
        stage=d.stage,
        decision=d.verdict,
        kinds=tuple(d.kinds),
        detectors=dict(guard.scanner.versions),
        latency_ms=d.latency_ms,
        excerpt=excerpt,
        details={"reasons": d.reasons, **details},
    )


def same(a: Event, b: Event, *, latency: bool = True) -> bool:
    """Equal in every field but the random id and the moment of making (and the
    latency, for two runs of a check)."""
    keep = {} if latency else {"latency_ms": 0.0}
    return replace(a, event_id="", time=a.time, **keep) == replace(
        b, event_id="", time=a.time, **keep
    )


def guards() -> tuple[Guard, Guard, Plain, Deferring]:
    policy, config = parse_guard_policy(POLICY)
    plain, deferring = Plain(), Deferring()
    g1 = Guard(policy, config=config, audit=plain, application="shop", route="/chat", canary="c1")
    g2 = Guard(
        policy, config=config, audit=deferring, application="shop", route="/chat", canary="c1"
    )
    return g1, g2, plain, deferring


def test_pending_and_plain_sinks_get_the_same_events() -> None:
    g1, g2, plain, deferring = guards()
    long_text = f"我的手机号是{PHONE}，" + "很长的文字。" * (DEFER_CHARS // 5)
    assert len(long_text) > DEFER_CHARS
    for g in (g1, g2):
        d = g.check_input(
            [{"role": "user", "content": f"我的手机号是{PHONE}，邮箱 a.b@example.com"}],
            request_id="r1",
        )
        g.check_output("已记录<手机号_1>。", d.context)
        g.check_input([{"role": "user", "content": long_text}], request_id="r2")
        g.check_input(
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": f"电话{PHONE}"},
                        {"type": "text", "text": "好"},
                    ],
                }
            ],
            request_id="r4",
        )
        g.record(
            Decision("block", "input", RequestContext(request_id="r3"), kinds=["guard.halted"]),
            None,
            details={"halt_reason": "x"},
        )
        list(g.guard_stream(iter(["正常", "回答。" * 30]), d.context))
    assert len(plain.events) == len(deferring.items) == 6
    assert all(isinstance(i, PendingEvent) for i in deferring.items)
    built = [i.build() if isinstance(i, PendingEvent) else i for i in deferring.items]
    for a, b in zip(plain.events, built, strict=True):
        assert same(a, b, latency=False), (a, b)
        assert b.time.tzinfo is not None
    assert built[0].excerpt == "我的手机号是<pii.cn_mobile>，邮箱 <pii.email>"
    assert PHONE not in (built[2].excerpt or "") and len(built[2].excerpt or "") == 120
    # a long text's excerpt is made at once: nothing but the excerpt waits in the queue
    long_item = deferring.items[2]
    assert isinstance(long_item, PendingEvent)
    assert long_text not in long_item.args and not any(
        isinstance(a, tuple) and a and isinstance(a[0], Finding) for a in long_item.args
    )


def test_record_matches_the_former_record() -> None:
    _, g2, _, deferring = guards()
    d = Decision(
        "redact",
        "input",
        RequestContext(request_id="r9"),
        kinds=["pii.email", "pii.cn_mobile"],
        reasons=["policy"],
        latency_ms=1.23456,
    )
    text = f"call {PHONE} now"
    findings = [Finding("pii.cn_mobile", 5, 16, 0.98, "pii.mobile", "1.0", PHONE)]
    t0 = datetime.now(UTC)
    g2.record(d, text, iter(findings), details={"chars": 3})
    item = deferring.items[-1]
    assert isinstance(item, PendingEvent)
    d.kinds.append("later")  # changes after the record are not in the event
    event = item.build()
    assert same(
        event,
        reference_event(
            g2, replace(d, kinds=["pii.email", "pii.cn_mobile"]), text, findings, chars=3
        ),
    )
    assert t0 <= event.time <= datetime.now(UTC)
    assert event.excerpt == "call <pii.cn_mobile> now"


def test_json_shortcuts_match_the_json_module() -> None:
    # orjson writes some floats differently (1e-7, not 1e-07): the same values, the same
    # form otherwise (compact, non-ASCII as itself)
    samples: list[Any] = [
        {"model": "m", "messages": [{"role": "user", "content": '你好 \u2028 😀 "x"\n\x00'}]},
        [1, 2.5, -0.0, 1e300, 1e-7, None, True, "é"],
        {"a": {"b": [{}]}, "n": 12345678901234567890, "big": 123456789012345678901234},
        {"i": -(2**63), "j": 2**64, "k": -(10**30)},
    ]
    for value in samples:
        wrapped = value if isinstance(value, dict) else {"v": value}
        for encode in (compact_json, dump):
            made = encode(wrapped)
            assert json.loads(made) == wrapped
            assert all(type(x) is type(y) for x, y in zip(flat(json.loads(made)), flat(wrapped)))
            plain = json.dumps(wrapped, ensure_ascii=False, separators=(",", ":"))
            if not any(isinstance(x, float) for x in flat(wrapped)):
                assert made == plain.encode("utf-8")
        raw = json.dumps(value, ensure_ascii=False)
        for data in (
            raw.encode("utf-8"),
            bytearray(raw.encode("utf-8")),
            raw.encode("utf-16"),
            raw.encode("utf-8-sig"),
            raw.encode("utf-32-le"),
        ):
            parsed = parse_json(data)
            assert parsed == json.loads(data)  # integers past 64 bits stay exact integers
            assert [type(x) for x in flat(parsed)] == [type(x) for x in flat(json.loads(data))]
    # a NaN or an infinity (an upstream may send them) goes out as null, never as NaN
    assert dump({"v": math.nan, "w": -math.inf}) == b'{"v":null,"w":null}'
    for encode in (compact_json, dump):  # a lone surrogate goes out as the escape it came as
        assert encode({"v": "中\ud83d"}) == '{"v":"中\\ud83d"}'.encode()
    assert parse_json(b'{"v": "\\ud83d"}') == {"v": "\ud83d"}
    for bad in (
        b"NaN",
        b"[Infinity]",
        b"{} x",
        b"",
        b"\xff\xfe\xfd",
        b'{"a": -Infinity}',
        "\ufeff{}",
        b'{"a": 1,}',
        b"[01]",
    ):
        with pytest.raises(ValueError):
            parse_json(bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            json.loads(bad, parse_constant=lambda n: (_ for _ in ()).throw(ValueError(n)))
    assert parse_json("{}") == {}  # type: ignore[arg-type]


def flat(value: Any) -> list[Any]:
    """The scalars of parsed JSON, in order."""
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in (k, *flat(v))]
    if isinstance(value, list):
        return [x for v in value for x in flat(v)]
    return [value]


def reference_lookup(table: dict[str, Any], kind: str) -> Any:
    """`Policy._lookup` as it was."""
    if kind in table:
        return table[kind]
    parts = kind.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        for key in (prefix + ".*", prefix):
            if key in table:
                return table[key]
    return table.get("default", table.get("*"))


def test_policy_lookup_matches_the_former_lookup() -> None:
    kinds = [
        "pii.cn_mobile",
        "pii.email",
        "risk.A1.4",
        "risk.A1",
        "x",
        "a..b",
        ".a",
        "a.",
        "",
        ".",
        "..",
        "secret.aws.key",
    ]
    tables: list[dict[str, Any]] = [
        {"default": "flag", "pii.*": "redact:mask", "secret.*": "redact:replace"},
        {"pii": "block", "a.": "x", "": "e", ".*": "s", "*": "star", "a": "A"},
        {"risk.A1": "block", "risk.*": "flag", "risk.A1.*": "drop"},
        {"secret.aws": "allow", "secret": "flag"},
        {},
    ]
    for table in tables:
        for kind in kinds:
            assert Policy._lookup(table, kind) == reference_lookup(table, kind), (table, kind)
    policy = Policy(
        actions={"default": "flag", "pii.*": "redact:mask"},
        thresholds={"default": 0.5, "pii.cn_mobile": 0.9},
    )
    assert (
        policy.action_for("pii.cn_mobile") == "redact:mask"
        and policy.threshold_for("pii.cn_mobile") == 0.9
    )
    policy.actions["pii.cn_mobile"] = "block"  # a policy is mutable: nothing is kept
    assert policy.action_for("pii.cn_mobile") == "block"


def test_placeholder_labels_are_cleaned_as_before() -> None:
    for label in ("手机号", "a_b<c>d e\tf", "<>_ ", "x" * 30, ""):
        vault = TokenVault()
        safe = re.sub(r"[<>\s_]", "", label)[:20] or "PII"
        assert vault.token_for("pii.x", label, "v") == f"<{safe}_1>"


def test_metrics_count_as_labels_calls_do() -> None:
    from aisec.guard.metrics import ProxyMetrics

    fast, plain = ProxyMetrics(), ProxyMetrics()
    calls: list[tuple[str, str, list[str], float]] = [
        ("input", "redact", ["pii.cn_mobile", "pii.email"], 0.0001),
        ("output", "allow", [], 0.3),
        ("input", "redact", ["pii.email"], 7.0),
        ("stream", "block", ["guard.canary"], 100.0),
    ]
    for stage, verdict, kinds, seconds in calls:
        fast.decision(stage, verdict, kinds, seconds)
        plain.decisions.labels(stage, verdict).inc()
        for kind in kinds:
            plain.kinds.labels(kind).inc()
        plain.check_seconds.labels(stage).observe(seconds)
    for endpoint, status, seconds in (
        ("chat", 200, 0.2),
        ("chat", 200, 0.01),
        ("chat", 502, 1.0),
        ("models", 200, 0.0),
    ):
        fast.request(endpoint, status, seconds)
        plain.requests.labels(endpoint, str(status)).inc()
        plain.request_seconds.labels(endpoint).observe(seconds)

    def text(m: ProxyMetrics) -> list[str]:  # without the creation times
        return [line for line in m.exposition().decode().splitlines() if "_created" not in line]

    assert text(fast) == text(plain)
    assert 'aisec_guard_requests_total{endpoint="chat",status="200"} 2.0' in text(fast)


def test_language_of_matches_the_former_count() -> None:
    from aisec.guard.guard import _CJK, _LETTERS, language_of

    def reference(text: str) -> str:
        letters = sum(map(len, _LETTERS.findall(text)))
        if not letters:
            return "zh"
        return "zh" if sum(map(len, _CJK.findall(text))) * 10 >= letters else "en"

    texts = ["", "123 456", "hello world", "你好", "hello 你", "a" * 9 + "你", "a" * 10 + "你",
             "a" * 11 + "你", "ab" * 30 + "中文" * 6, "!!! ??? 。。", "Ünïcödé wörds 1"]  # fmt: skip
    texts += [
        "x" * n + "字" * m + "1" * k for n in range(0, 25, 3) for m in range(4) for k in (0, 7)
    ]
    for text in texts:
        assert language_of(text) == reference(text), text
