"""The server's hot path (`aisec.server`) gives what it gave before its shortcuts:
application choice, the JSON rendering of answers, and one chat request through the
whole ASGI app in process — body, headers, forwarded payload, audit events and the
request log line."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aisec.guard.keys import KeyInfo
from aisec.guard.proxy import ProxyError, ProxySettings
from aisec.guard.upstream import UpstreamClient
from aisec.server.access import choose_application
from aisec.server.openai_routes import dump

POLICY = """
version: 1
detectors: {pii: {}, secrets: {}, lexicon: {}}
actions: {default: flag, pii.*: redact:mask, secret.*: redact:replace}
"""
PHONE = "13800138000"


def test_answers_render_as_json_dumps() -> None:
    for value in ({"a": "你好 \u2028 😀"}, {"v": [1, 2.5, -0.0, 1e300, None, True]}, {}):
        expected = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        assert dump(value) == expected.encode("utf-8")
    assert dump({"v": math.nan}) == b'{"v":null}'  # (an upstream's NaN: not a 500)
    assert json.loads(dump({"v": "a\ud83d"})) == {"v": "a\ud83d"}  # an escape, valid UTF-8


def test_application_choice() -> None:
    settings = ProxySettings(upstream="http://u", applications={"shop": None})
    free = KeyInfo(1, "k", "ak-", False, None, datetime.now(UTC), None)
    bound = replace(free, application="shop")
    stray = replace(free, application="gone")
    assert choose_application(settings, free, None) == "default"
    assert choose_application(settings, free, "shop") == "shop"
    assert choose_application(settings, bound, None) == "shop"
    assert choose_application(settings, free, "default") == "default"
    for key, route, status, code in (
        (free, "nope", 404, "unknown_application"),
        (bound, "default", 403, "wrong_application"),
        (stray, None, 403, "application_not_served"),
    ):
        with pytest.raises(ProxyError) as err:
            choose_application(settings, key, route)
        assert err.value.status == status and err.value.body["error"]["code"] == code


ANSWER = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "好的，<手机号_1> 已记录。"},
            "finish_reason": "stop",
        }
    ],
}


def test_one_request_through_the_asgi_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Body, headers, audit events and the request log line of a chat request (the
    upstream client replaced by a canned answer)."""
    from sqlalchemy import select

    from aisec.audit import verify
    from aisec.guard.keys import create_key
    from aisec.server.app import create_app
    from aisec.store import open_store
    from aisec.store.models import AuditEvent

    db = f"sqlite:///{tmp_path / 'a.db'}"
    with open_store(db) as store:
        _, key = create_key(store, "t")
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    sent: list[bytes] = []

    class Canned:
        status = 200

        async def read(self) -> bytes:
            return json.dumps(ANSWER, ensure_ascii=False).encode()

        async def aclose(self) -> None:
            pass

    async def send(
        _self: Any, method: str, url: str, body: bytes | None, headers: dict[str, str], **_kw: Any
    ) -> Canned:
        assert method == "POST" and url == "http://upstream.invalid/v1/chat/completions"
        sent.append(body or b"")
        return Canned()

    monkeypatch.setattr(UpstreamClient, "send", send)
    app = create_app(
        ProxySettings(upstream="http://upstream.invalid/v1", policy=policy, database_url=db)
    )
    body = json.dumps(
        {"model": "m", "messages": [{"role": "user", "content": f"我的电话{PHONE}"}]}
    ).encode()

    async def main() -> list[list[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await queue.put({"type": "lifespan.startup"})
        out: list[dict[str, Any]] = []

        async def lsend(m: dict[str, Any]) -> None:
            out.append(m)

        task = asyncio.ensure_future(app({"type": "lifespan"}, queue.get, lsend))  # type: ignore[arg-type]
        while not out:
            await asyncio.sleep(0.01)
        answers = []
        for level in (logging.INFO, logging.WARNING):
            logging.getLogger("aisec.guard.requests").setLevel(level)
            messages: list[dict[str, Any]] = []

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            async def asend(m: dict[str, Any]) -> None:
                messages.append(m)

            scope = {
                "type": "http", "method": "POST", "path": "/v1/chat/completions", "query_string": b"",
                "headers": [(b"authorization", f"Bearer {key}".encode()), (b"content-length", b"%d" % len(body))],
            }  # fmt: skip
            await app(scope, receive, asend)  # type: ignore[arg-type]
            answers.append(messages)
        await queue.put({"type": "lifespan.shutdown"})
        await task
        return answers

    with caplog.at_level(logging.INFO, logger="aisec.guard.requests"):
        answers = asyncio.run(main())
    logging.getLogger("aisec.guard.requests").setLevel(logging.NOTSET)
    for messages in answers:
        start, content = messages
        assert start["status"] == 200
        names = [h[0] for h in start["headers"]]
        assert names == [b"content-length", b"content-type", b"x-request-id"]
        reply = json.loads(content["body"])
        assert reply["choices"][0]["message"]["content"] == f"好的，{PHONE} 已记录。"
        assert reply["aisec"] == {"decision": "redact", "kinds": ["pii.cn_mobile"]}
        assert (
            content["body"] == json.dumps(reply, ensure_ascii=False, separators=(",", ":")).encode()
        )
    forwarded = json.loads(sent[0])
    assert forwarded["messages"][0]["content"] == "我的电话<手机号_1>"
    assert sent[0] == json.dumps(forwarded, ensure_ascii=False, separators=(",", ":")).encode()
    logged = [
        r
        for r in caplog.records
        if r.name == "aisec.guard.requests" and r.getMessage() == "request"
    ]
    assert len(logged) == 1  # at INFO only
    fields = logged[0].fields  # type: ignore[attr-defined]
    assert (
        fields["status"] == 200
        and fields["decision"] == "redact"
        and isinstance(fields["ms"], float)
    )
    assert fields["request_id"] == dict(answers[0][0]["headers"])[b"x-request-id"].decode()
    with open_store(db) as store:
        assert verify(store).ok
        with store.transaction() as session:
            rows = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert [(r.stage, r.decision) for r in rows] == [("input", "redact"), ("output", "allow")] * 2
    assert rows[0].excerpt == "我的电话<pii.cn_mobile>" and PHONE not in str(
        [r.excerpt for r in rows]
    )
    assert rows[0].request_id == rows[1].request_id == fields["request_id"]
    assert len({r.event_id for r in rows}) == 4
