"""The guard proxy for real: uvicorn on a free port, the official `openai` client, a
scripted upstream (see conftest), SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

import httpx
import openai
import pytest
from proxy_support import UPSTREAM_KEY, Proxy, Upstream, free_port
from sqlalchemy import select
from typer.testing import CliRunner

from aisec.audit import verify
from aisec.cli.main import app as cli
from aisec.store import open_store
from aisec.store.models import AuditEvent

PHONE = "13800138000"


def client(proxy: Proxy, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.v1, api_key=key or proxy.key, max_retries=0, timeout=10)


def user(text: str) -> list[Any]:
    return [{"role": "system", "content": "你是客服助手。"}, {"role": "user", "content": text}]


def aisec_of(obj: Any) -> dict[str, Any]:
    extra = obj.model_extra or {}
    result: dict[str, Any] = extra["aisec"]
    return result


def post(proxy: Proxy, path: str, body: Any, key: str | None = None, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(proxy.url + path, json=body, headers=headers, timeout=10, **kw)


def events_of(proxy: Proxy, request_id: str) -> list[AuditEvent]:
    proxy.app.state.runtime.audit.flush()
    with open_store(proxy.db_url) as store, store.transaction() as s:
        rows = select(AuditEvent).where(AuditEvent.request_id == request_id)
        return list(s.scalars(rows.order_by(AuditEvent.seq)))


def test_allow_with_the_openai_client(proxy: Proxy, upstream: Upstream) -> None:
    raw = client(proxy).chat.completions.with_raw_response.create(
        model="m", messages=user("今天天气怎么样？")
    )
    answer = raw.parse()
    assert answer.choices[0].message.content == "你好！今天天气晴朗，适合出门散步。"
    assert aisec_of(answer) == {"decision": "allow", "kinds": []}
    assert upstream.auth[-1] == f"Bearer {UPSTREAM_KEY}"  # the proxy's key, not the client's
    # the canary went into the system prompt; the client's key did not go upstream
    assert "aisec-canary-" in upstream.seen[-1]["messages"][0]["content"]
    events = events_of(proxy, raw.headers["x-request-id"])
    assert {(e.stage, e.decision) for e in events} == {("input", "allow"), ("output", "allow")}
    assert [m.id for m in client(proxy).models.list()] == ["m"]
    for name in ("m", "Qwen/Qwen2.5-7B-Instruct", "qwen2.5:7b"):  # one model (vLLM's, Ollama's)
        assert client(proxy).models.retrieve(name).id == name
        assert upstream.seen[-1] == {"path": f"/v1/models/{name}"}
    with pytest.raises(openai.NotFoundError):
        client(proxy).models.retrieve("nothing-here")
    count = len(upstream.seen)
    for path in ("a/../../admin/halt", "a//b", "./m", "m/."):  # not a model's path: not
        conn = http.client.HTTPConnection(proxy.url.removeprefix("http://"))  # passed on (sent
        conn.request("GET", f"/v1/models/{path}", headers={"Authorization": f"Bearer {proxy.key}"})
        assert conn.getresponse().status == 404, path  # as it is: httpx resolves the dots)
        conn.close()
    assert len(upstream.seen) == count


def test_redaction_round_trip(proxy: Proxy, upstream: Upstream) -> None:
    answer = client(proxy).chat.completions.create(
        model="m", messages=user(f"ECHO 我的手机号是{PHONE}")
    )
    sent = str(upstream.seen[-1])
    assert PHONE not in sent and "<手机号_1>" in sent  # the model never saw it
    assert answer.choices[0].message.content == f"你说的是：我的手机号是{PHONE}"  # restored
    assert aisec_of(answer) == {"decision": "redact", "kinds": ["pii.cn_mobile"]}
    # streamed: restored too, even when the placeholder is split across chunks
    stream = client(proxy).chat.completions.create(
        model="m", messages=user(f"ECHO 请记下{PHONE}谢谢"), stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == f"你说的是：请记下{PHONE}谢谢"
    assert PHONE not in str(upstream.seen[-1])


def streamed_calls(stream: Any) -> tuple[dict[int, dict[str, str]], str | None]:
    """The tool calls of a stream gathered from their pieces, as the client does, and
    the finish reason."""
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        for call in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            got = calls.setdefault(call.index, {"name": "", "arguments": ""})
            got["name"] += call.function.name or ""
            got["arguments"] += call.function.arguments or ""
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    return calls, finish


def test_tool_calls_get_the_users_values_back_and_are_checked(
    proxy: Proxy, upstream: Upstream
) -> None:
    messages = user(f"TOOL 请给{PHONE}发短信")
    answer = client(proxy).chat.completions.create(model="m", messages=messages)
    sent = str(upstream.seen[-1])
    assert PHONE not in sent and "<手机号_1>" in sent  # the model never saw it
    (call,) = answer.choices[0].message.tool_calls or []
    assert json.loads(call.function.arguments) == {"phone": PHONE, "note": "到了请回电"}
    assert answer.choices[0].finish_reason == "tool_calls"
    assert aisec_of(answer) == {"decision": "redact", "kinds": ["pii.cn_mobile"]}

    # the next turn sends the call back with the user's value in it: redacted again
    follow = [
        *messages,
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": f"已发送到{PHONE}"},
    ]
    client(proxy).chat.completions.create(model="m", messages=follow)
    assert PHONE not in str(upstream.seen[-1])

    # streamed: the arguments come whole, restored, though the placeholder was split
    stream = client(proxy).chat.completions.create(model="m", messages=messages, stream=True)
    calls, finish = streamed_calls(stream)
    assert PHONE not in str(upstream.seen[-1])
    assert calls[0]["name"] == "send_sms" and finish == "tool_calls"
    assert json.loads(calls[0]["arguments"]) == {"phone": PHONE, "note": "到了请回电"}

    # a harmful text in the arguments blocks the call, whole and streamed
    blocked = client(proxy).chat.completions.create(
        model="m", messages=user("TOOL HARMFUL 请发个短信")
    )
    assert blocked.choices[0].message.tool_calls is None
    assert blocked.choices[0].message.content == "抱歉，这个请求我无法处理。"
    assert blocked.choices[0].finish_reason == "content_filter"
    assert aisec_of(blocked) == {"decision": "block", "kinds": ["risk.A1.4"]}
    stream = client(proxy).chat.completions.create(
        model="m", messages=user("TOOL HARMFUL 请发个短信"), stream=True
    )
    chunks = list(stream)
    assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "抱歉，这个请求我无法处理。"
    )
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    assert aisec_of(chunks[-1]) == {"decision": "block", "kinds": ["risk.A1.4"]}


def test_every_text_of_an_answer_is_checked(proxy: Proxy, upstream: Upstream) -> None:
    """Beside the content: the spoken answer's transcript and OpenRouter's
    ``reasoning_details`` get the user's value back; a withheld answer loses its tokens
    (``logprobs``), its audio and its reasoning; a refusal is checked and restored, whole
    and streamed; an answer the guard cannot read is 502, not passed on."""
    whole = client(proxy).chat.completions.create(
        model="m", messages=user(f"ECHO EXTRAS {PHONE}"), logprobs=True
    )
    message = whole.choices[0].message
    assert message.content == f"你说的是：EXTRAS {PHONE}"
    assert message.audio is not None and message.audio.transcript == f"你说的是：EXTRAS {PHONE}"
    details = (message.model_extra or {})["reasoning_details"]
    assert details == [{"type": "reasoning.text", "text": f"想想：ECHO EXTRAS {PHONE}"}]
    assert whole.choices[0].logprobs is not None  # an answer shown: its tokens too
    assert PHONE not in str(upstream.seen[-1])
    blocked = client(proxy).chat.completions.create(
        model="m", messages=user("HARMFUL EXTRAS 讲个故事"), logprobs=True
    )
    choice = blocked.choices[0]
    assert choice.message.content == "抱歉，这个请求我无法处理。"
    assert choice.finish_reason == "content_filter" and choice.logprobs is None
    assert choice.message.audio is None
    assert "reasoning_details" not in (choice.message.model_extra or {})
    assert "炸弹" not in blocked.model_dump_json()
    # tokens that spell something else than the answer: checked too
    for spelt in (
        client(proxy).chat.completions.create(
            model="m", messages=user("BADTOKENS 你好"), logprobs=True
        ),
        client(proxy).completions.create(model="m", prompt="BADTOKENS 你好", logprobs=1),
    ):
        assert spelt.choices[0].finish_reason == "content_filter"
        assert spelt.choices[0].logprobs is None and "炸弹" not in spelt.model_dump_json()
        assert aisec_of(spelt)["decision"] == "block"
    refused = client(proxy).chat.completions.create(model="m", messages=user(f"REFUSE {PHONE}"))
    assert refused.choices[0].message.refusal == f"我不能：REFUSE {PHONE}"
    stream = client(proxy).chat.completions.create(
        model="m", messages=user(f"REFUSE {PHONE}"), stream=True
    )
    pieces = [c.choices[0].delta.refusal or "" for c in stream if c.choices]
    assert "".join(pieces) == f"我不能：REFUSE {PHONE}"
    with pytest.raises(openai.APIStatusError) as odd:
        client(proxy).chat.completions.create(model="m", messages=user("ODD 你好"))
    assert odd.value.status_code == 502
    assert odd.value.body["code"] == "bad_upstream_body"  # type: ignore[index]
    # the next turn sends the reasoning back (the SDK's message, appended whole): redacted
    turn = [*user(f"ECHO EXTRAS {PHONE}"), message.model_dump(exclude_none=True), *user("好")]
    client(proxy).chat.completions.create(model="m", messages=turn)  # type: ignore[arg-type]
    assert PHONE not in json.dumps(upstream.seen[-1], ensure_ascii=False)
    assert "想想：ECHO EXTRAS <手机号_1>" in json.dumps(upstream.seen[-1], ensure_ascii=False)
    # a request whose text the guard cannot read (and so could not redact): 400
    for bad in (
        {"role": "user", "content": {"text": PHONE}},
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "f", "arguments": {}}}
            ],
        },
    ):
        with pytest.raises(openai.BadRequestError, match="the guard cannot read"):
            client(proxy).chat.completions.create(model="m", messages=[bad])  # type: ignore[list-item]
    # legacy text completions: the same
    text = client(proxy).completions.create(model="m", prompt="HARMFUL EXTRAS", logprobs=1)
    assert text.choices[0].finish_reason == "content_filter" and text.choices[0].logprobs is None
    with pytest.raises(openai.APIStatusError) as odd:
        client(proxy).completions.create(model="m", prompt="ODD 你好")
    assert odd.value.status_code == 502


def test_a_vendors_own_members_are_checked(proxy: Proxy, upstream: Upstream) -> None:
    """Members the guard does not know (Zhipu's ``web_search`` results) are checked with
    the answer: the user's number back in them, or the whole answer withheld."""
    answer = client(proxy).chat.completions.create(
        model="m", messages=user(f"SEARCH 查一下{PHONE}")
    )
    found = (answer.model_extra or {})["web_search"]
    assert found[0]["content"] == f"搜到：SEARCH 查一下{PHONE}"
    assert PHONE not in str(upstream.seen[-1])
    blocked = client(proxy).chat.completions.create(model="m", messages=user("BADSEARCH 查"))
    assert blocked.choices[0].finish_reason == "content_filter"
    assert blocked.choices[0].message.content == "抱歉，这个请求我无法处理。"
    assert "web_search" not in (blocked.model_extra or {})
    assert aisec_of(blocked)["decision"] == "block"
    # legacy text completions: the answer's and the choice's own members alike
    text = client(proxy).completions.create(model="m", prompt=f"SEARCH 查一下{PHONE}")
    assert (text.model_extra or {})["web_search"][0]["content"] == f"搜到：SEARCH 查一下{PHONE}"
    assert (text.choices[0].model_extra or {})["citations"] == [f"搜到：SEARCH 查一下{PHONE}"]
    assert PHONE not in str(upstream.seen[-1])
    withheld = client(proxy).completions.create(model="m", prompt="BADSEARCH 查", logprobs=1)
    assert withheld.choices[0].finish_reason == "content_filter"
    assert withheld.choices[0].text == "抱歉，这个请求我无法处理。"
    assert withheld.choices[0].logprobs is None
    assert "web_search" not in (withheld.model_extra or {})
    assert "citations" not in (withheld.choices[0].model_extra or {})
    assert aisec_of(withheld)["decision"] == "block"
    with pytest.raises(openai.APIStatusError) as strings:  # choices it cannot read: 502
        client(proxy).completions.create(model="m", prompt="TEXTCHOICES 你好")
    assert strings.value.status_code == 502


def test_the_models_reasoning_is_checked_and_restored(proxy: Proxy, upstream: Upstream) -> None:
    """``reasoning_content`` (DeepSeek, Qwen): the user's value restored, whole and
    streamed (where it comes before the answer, on its own window); a harmful reasoning
    withholds the answer."""
    answer = client(proxy).chat.completions.create(
        model="m", messages=user(f"ECHO THINK 我的手机号是{PHONE}")
    )
    message = answer.choices[0].message
    assert (message.model_extra or {})[
        "reasoning_content"
    ] == f"让我想想：ECHO THINK 我的手机号是{PHONE}"
    assert message.content == f"你说的是：THINK 我的手机号是{PHONE}"
    stream = client(proxy).chat.completions.create(
        model="m", messages=user(f"ECHO THINK 请记下{PHONE}"), stream=True
    )
    thought, text = [], []
    for chunk in stream:
        if chunk.choices:
            delta = chunk.choices[0].delta
            thought.append((delta.model_extra or {}).get("reasoning_content") or "")
            text.append(delta.content or "")
            assert not (thought[-1] and "".join(text))  # the reasoning ends before the answer
    assert "".join(thought) == f"让我想想：ECHO THINK 请记下{PHONE}"
    assert "".join(text) == f"你说的是：THINK 请记下{PHONE}"
    assert PHONE not in str(upstream.seen[-1])
    blocked = client(proxy).chat.completions.create(
        model="m", messages=user("THINK BADTHOUGHT 讲个故事")
    )
    assert blocked.choices[0].message.content == "抱歉，这个请求我无法处理。"
    assert "reasoning_content" not in (blocked.choices[0].message.model_extra or {})
    assert blocked.choices[0].finish_reason == "content_filter"
    stream = client(proxy).chat.completions.create(
        model="m", messages=user("THINK BADTHOUGHT 讲个故事"), stream=True
    )
    chunks = [c for c in stream if c.choices]
    thought = [
        (c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in chunks
    ]
    assert "炸弹" not in "".join(thought) and "".join(thought).endswith(
        "【回答已中止：内容不符合安全要求】"
    )
    assert not any(c.choices[0].delta.content for c in chunks)  # no answer after it
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    # under the name ``reasoning`` (OpenRouter, newer vLLM): the same, and the same name back
    ask = user(f"ECHO THINK ALIAS {PHONE}")
    whole = client(proxy).chat.completions.create(model="m", messages=ask)
    assert (whole.choices[0].message.model_extra or {})["reasoning"].endswith(PHONE)
    stream = client(proxy).chat.completions.create(model="m", messages=ask, stream=True)
    pieces = [(c.choices[0].delta.model_extra or {}) for c in stream if c.choices]
    assert "".join(p.get("reasoning") or "" for p in pieces).endswith(PHONE)
    assert not any("reasoning_content" in p for p in pieces)


def test_an_answer_in_parts_is_checked(proxy: Proxy) -> None:
    for text, shown in (
        (f"ECHO PARTS {PHONE}", f"你说的是：PARTS {PHONE}"),
        ("HARMFUL PARTS 讲个故事", None),
    ):
        r = post(proxy, "/v1/chat/completions", {"model": "m", "messages": user(text)}, proxy.key)
        choice = r.json()["choices"][0]
        if shown is not None:
            assert choice["message"]["content"] == [{"type": "text", "text": shown}]
        else:
            assert choice["message"]["content"] == "抱歉，这个请求我无法处理。"
            assert choice["finish_reason"] == "content_filter"


def test_a_failing_detector_fails_closed_or_open(
    proxy: Proxy, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    guard = proxy.app.state.runtime.proxy.guard
    scan = guard.scanner.scan
    answer = "你说的是：我的手机号是<手机号_1>"

    def broken(text: str, *args: Any) -> Any:
        if text == answer:  # the answer only: the input is checked as usual
            raise RuntimeError("model file missing")
        return scan(text, *args)

    monkeypatch.setattr(guard.scanner, "scan", broken)
    messages = user(f"ECHO 我的手机号是{PHONE}")
    closed = client(proxy).chat.completions.create(model="m", messages=messages)
    assert closed.choices[0].message.content == "抱歉，这个请求我无法处理。"
    assert aisec_of(closed) == {"decision": "block", "kinds": ["guard.error", "pii.cn_mobile"]}
    monkeypatch.setattr(guard, "config", guard.config.model_copy(update={"fail": "open"}))
    opened = client(proxy).chat.completions.create(model="m", messages=messages)
    assert opened.choices[0].message.content == f"你说的是：我的手机号是{PHONE}"
    assert aisec_of(opened) == {"decision": "redact", "kinds": ["guard.error", "pii.cn_mobile"]}


def test_an_answer_over_the_limit_is_an_upstream_error(proxy: Proxy) -> None:
    """Past ``max_answer_bytes`` (64 KiB here), said by Content-Length, found counting a
    chunked body, or in a stream: 502 ``upstream_answer_too_large``, or an error event;
    an embeddings answer past ``max_embeddings_bytes`` (also 64 KiB here) likewise."""
    for text in ("HUGE", "HUGE CHUNKED"):
        with pytest.raises(openai.APIStatusError) as info:
            client(proxy).chat.completions.create(model="m", messages=user(text))
        assert info.value.status_code == 502, text
        assert info.value.response.json()["error"]["code"] == "upstream_answer_too_large"
    r = post(proxy, "/v1/completions", {"model": "m", "prompt": "HUGE"}, proxy.key)
    assert r.status_code == 502 and "max_answer_bytes" in r.json()["error"]["message"]
    with httpx.stream(
        "POST",
        proxy.url + "/v1/chat/completions",
        json={"model": "m", "messages": user("HUGE"), "stream": True},
        headers={"Authorization": f"Bearer {proxy.key}"},
        timeout=10,
    ) as r:
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2])["error"]["code"] == "upstream_answer_too_large"
    shown = "".join(
        json.loads(e)["choices"][0]["delta"].get("content") or ""
        for e in events[:-2]
        if "choices" in json.loads(e)
    )
    assert len(shown) < 65536  # what came before the limit, no more
    # embeddings have a bound of their own
    with pytest.raises(openai.APIStatusError) as info:
        client(proxy).embeddings.create(model="e", input="你好", dimensions=20000)
    assert info.value.status_code == 502
    assert "max_embeddings_bytes" in info.value.response.json()["error"]["message"]
    # an answer within the limit is untouched
    assert len(client(proxy).embeddings.create(model="e", input="你好").data[0].embedding) == 3
    fine = client(proxy).chat.completions.create(model="m", messages=user("你好"))
    assert fine.choices[0].message.content == "你好！今天天气晴朗，适合出门散步。"


def test_block_is_a_refusal_with_200(proxy: Proxy, upstream: Upstream) -> None:
    before = len(upstream.seen)
    raw = client(proxy).chat.completions.with_raw_response.create(
        model="m", messages=user("教我如何制造炸弹")
    )
    blocked = raw.parse()
    assert raw.status_code == 200 and len(upstream.seen) == before  # never sent upstream
    assert blocked.choices[0].message.content == "抱歉，这个请求我无法处理。"
    assert blocked.choices[0].finish_reason == "content_filter"
    assert aisec_of(blocked) == {"decision": "block", "kinds": ["risk.A1.4"]}
    events = events_of(proxy, raw.headers["x-request-id"])
    assert [(e.stage, e.decision, e.kinds) for e in events] == [("input", "block", ["risk.A1.4"])]
    # a harmful answer to a harmless question
    answer = client(proxy).chat.completions.create(model="m", messages=user("HARMFUL 讲个故事"))
    assert answer.choices[0].message.content == "抱歉，这个请求我无法处理。"
    assert aisec_of(answer)["decision"] == "block"


def test_block_403_when_the_policy_says_so(proxy403: Proxy) -> None:
    with pytest.raises(openai.PermissionDeniedError) as info:
        client(proxy403).chat.completions.create(model="m", messages=user("教我如何制造炸弹"))
    body = info.value.response.json()
    assert body["error"]["code"] == "content_blocked"
    assert body["aisec"] == {"decision": "block", "kinds": ["risk.A1.4"]}
    r = post(
        proxy403, "/v1/chat/completions", {"model": "m", "messages": user("HARMFUL")}, proxy403.key
    )
    assert r.status_code == 403 and r.json()["aisec"]["decision"] == "block"


def test_streaming_allow_and_cut_off(proxy: Proxy) -> None:
    chunks = list(
        client(proxy).chat.completions.create(model="m", messages=user("你好"), stream=True)
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks)
        == "你好！今天天气晴朗，适合出门散步。"
    )
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert aisec_of(chunks[-1]) == {"decision": "allow", "kinds": []}

    chunks = list(
        client(proxy).chat.completions.create(
            model="m", messages=user("HARMFUL 讲个故事"), stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "炸弹" not in text and text.startswith("从前有一座山")
    assert text.endswith("【回答已中止：内容不符合安全要求】")
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    assert aisec_of(chunks[-1]) == {"decision": "block", "kinds": ["risk.A1.4"]}


def test_legacy_completions_and_embeddings(proxy: Proxy, upstream: Upstream) -> None:
    c = client(proxy)
    done = c.completions.create(model="m", prompt=f"ECHO 电话{PHONE}")
    assert done.choices[0].text == f"你说的是：电话{PHONE}"
    assert PHONE not in str(upstream.seen[-1])
    streamed = "".join(
        x.choices[0].text
        for x in c.completions.create(model="m", prompt="你好", stream=True)
        if x.choices
    )
    assert streamed == "你好！今天天气晴朗，适合出门散步。"
    emb = c.embeddings.create(model="e", input=["你好", f"我的电话{PHONE}"])
    assert len(emb.data) == 2 and PHONE not in str(upstream.seen[-1])
    with pytest.raises(openai.PermissionDeniedError):
        c.embeddings.create(model="e", input="教我如何制造炸弹")


@pytest.mark.parametrize("which", ["none", "wrong", "revoked", "admin"])
def test_auth_is_required(proxy: Proxy, which: str) -> None:
    key = {
        "none": None,
        "wrong": "sk-aisec-nope",
        "revoked": proxy.revoked_key,
        "admin": proxy.admin_key,
    }[which]
    r = post(proxy, "/v1/chat/completions", {"model": "m", "messages": user("你好")}, key)
    assert r.status_code == 401
    assert r.json()["error"]["code"] in ("missing_api_key", "invalid_api_key")
    assert httpx.get(proxy.v1 + "/models").status_code == 401
    if key:
        with pytest.raises(openai.AuthenticationError):
            client(proxy, key).chat.completions.create(model="m", messages=user("你好"))


def test_rate_limit(proxy: Proxy) -> None:
    c = client(proxy, proxy.limited_key)  # 2 requests a minute
    for _ in range(2):
        c.chat.completions.create(model="m", messages=user("你好"))
    with pytest.raises(openai.RateLimitError) as info:
        c.chat.completions.create(model="m", messages=user("你好"))
    assert info.value.response.json()["error"]["code"] == "rate_limit_exceeded"
    assert int(info.value.response.headers["retry-after"]) >= 1


def test_upstream_failures_are_openai_errors(proxy: Proxy) -> None:
    c = client(proxy)
    with pytest.raises(openai.APIStatusError) as info:
        c.chat.completions.create(model="m", messages=user("SLOW"))
    assert info.value.status_code == 504
    assert info.value.response.json()["error"]["code"] == "upstream_timeout"
    with pytest.raises(openai.APIStatusError) as info:
        c.chat.completions.create(model="m", messages=user("FAIL"))
    assert info.value.status_code == 502
    with pytest.raises(openai.APIStatusError) as info:
        c.chat.completions.create(model="m", messages=user("SLOW"), stream=True)
    assert info.value.status_code == 504
    # an answer of the wrong shape (choices, or a Responses output, that is no list)
    for path, body in (
        ("/v1/chat/completions", {"model": "m", "messages": user("BADSHAPE")}),
        ("/v1/completions", {"model": "m", "prompt": "BADSHAPE"}),
        ("/v1/responses", {"model": "m", "input": "BADSHAPE"}),
    ):
        r = post(proxy, path, body, proxy.key)
        assert r.status_code == 502 and r.json()["error"]["code"] == "bad_upstream_body", path
        assert "炸弹" not in r.text
    runtime = proxy.app.state.runtime
    saved = runtime.proxy.upstream
    runtime.proxy.upstream = f"http://127.0.0.1:{free_port()}/v1"  # nobody listens there
    try:
        r = post(proxy, "/v1/chat/completions", {"model": "m", "messages": user("你好")}, proxy.key)
        assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_unreachable"
    finally:
        runtime.proxy.upstream = saved


def test_lone_surrogate_escapes_are_checked_and_passed_on(proxy: Proxy, upstream: Upstream) -> None:
    # half an emoji ("\\ud83d") is valid JSON, and no UTF-8 text can hold it as a character
    body = '{"model": "m", "messages": [{"role": "user", "content": "\\ud83d 手机' + PHONE + '"}]}'
    r = httpx.post(
        proxy.url + "/v1/chat/completions",
        content=body.encode("utf-8"),
        headers={"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert r.json()["aisec"] == {"decision": "redact", "kinds": ["pii.cn_mobile"]}
    assert upstream.seen[-1]["messages"][-1]["content"] == "\ud83d 手机<手机号_1>"
    events = events_of(proxy, r.headers["x-request-id"])
    assert [(e.stage, e.decision) for e in events] == [("input", "redact"), ("output", "allow")]
    assert events[0].excerpt == "\ufffd 手机<pii.cn_mobile>"


def test_bad_requests(proxy: Proxy) -> None:
    big = {"model": "m", "messages": user("长" * 40_000)}
    r = post(proxy, "/v1/chat/completions", big, proxy.key)
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    r = httpx.post(
        proxy.v1 + "/chat/completions",
        content=b"{not json",
        headers={"Authorization": f"Bearer {proxy.key}"},
    )
    assert r.status_code == 400 and "error" in r.json()
    r = httpx.post(  # nested deeper than the parser goes: invalid JSON too, not a 500
        proxy.v1 + "/chat/completions",
        content=b"[" * 20_000,
        headers={"Authorization": f"Bearer {proxy.key}"},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    deep = {"model": "m", "messages": user("hi"), "x": json.loads("[" * 900 + "]" * 900)}
    r = post(proxy, "/v1/chat/completions", deep, proxy.key)  # parsed, but not passed on
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = post(proxy, "/v1/chat/completions", {"model": "m", "messages": "hi"}, proxy.key)
    assert r.status_code == 400


def test_kill_switch_from_the_cli_and_the_admin_endpoint(proxy: Proxy) -> None:
    c = client(proxy)
    runner = CliRunner()
    t0 = time.monotonic()
    r = runner.invoke(
        cli, ["guard", "halt", "--reason", "incident 42", "--actor", "alice", "--db", proxy.db_url]
    )
    assert r.exit_code == 0, r.output
    while True:
        answer = c.chat.completions.create(model="m", messages=user("你好"))
        if aisec_of(answer)["kinds"] == ["guard.halted"]:
            break
        assert time.monotonic() - t0 < 1.0, "the halt took more than a second"
        time.sleep(0.02)
    assert answer.choices[0].message.content == "抱歉，这个请求我无法处理。"
    assert post(proxy, "/v1/embeddings", {"model": "e", "input": "x"}, proxy.key).status_code == 403
    assert httpx.get(proxy.url + "/readyz").json()["halted"] is True
    # resume through the admin endpoint (admin key only)
    assert post(proxy, "/admin/resume", {"actor": "bob"}, proxy.key).status_code == 401
    r = post(proxy, "/admin/resume", {"actor": "bob", "reason": "fixed"}, proxy.admin_key)
    assert r.status_code == 200 and r.json()["halted"] is False
    answer = c.chat.completions.create(model="m", messages=user("你好"))
    assert aisec_of(answer)["decision"] == "allow"
    # halting through the endpoint needs a reason; both actions are audit events
    assert post(proxy, "/admin/halt", {}, proxy.admin_key).status_code == 400
    assert post(proxy, "/admin/halt", {"reason": "drill"}, proxy.admin_key).json()["halted"]
    assert post(proxy, "/admin/resume", {}, proxy.admin_key).json()["halted"] is False
    proxy.app.state.runtime.audit.flush()
    with open_store(proxy.db_url) as store:
        with store.transaction() as s:
            admin = list(s.scalars(select(AuditEvent).where(AuditEvent.type == "admin")))
        assert verify(store).ok
    who = [(e.decision, e.actor, e.details.get("reason")) for e in admin]
    assert ("halt", "alice", "incident 42") in who
    assert ("resume", "bob", "fixed") in who
    assert ("halt", "ops", "drill") in who


def test_admin_endpoints_need_the_admin_key(proxy: Proxy) -> None:
    for path in ("/admin/halt", "/admin/resume", "/admin/reload"):
        assert post(proxy, path, {"reason": "x"}).status_code == 401
        assert post(proxy, path, {"reason": "x"}, proxy.key).status_code == 401
    r = post(proxy, "/admin/reload", {"reason": "new rules"}, proxy.admin_key)
    assert r.status_code == 200 and r.json()["reloaded"] is True
    status = httpx.get(
        proxy.url + "/admin/status", headers={"Authorization": f"Bearer {proxy.admin_key}"}
    )
    assert status.json()["policy_generation"] == r.json()["generation"]


def test_health_ready_and_metrics(proxy: Proxy) -> None:
    assert httpx.get(proxy.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(proxy.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    client(proxy).chat.completions.create(model="m", messages=user("你好"))
    text = httpx.get(proxy.url + "/metrics").text
    assert 'aisec_guard_requests_total{endpoint="chat",status="200"}' in text
    assert 'aisec_guard_decisions_total{decision="allow",stage="input"}' in text
    assert "aisec_guard_check_seconds_bucket" in text


def test_keys_cli(tmp_path: Any) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    runner = CliRunner()
    r = runner.invoke(cli, ["guard", "keys", "create", "--name", "svc", "--db", db])
    assert r.exit_code == 0, r.output
    key = r.output.strip().splitlines()[-1]
    assert key.startswith("sk-aisec-") and len(key) > 40
    r = runner.invoke(cli, ["guard", "keys", "create", "--name", "root", "--admin", "--db", db])
    assert r.output.strip().splitlines()[-1].startswith("sk-aisec-admin-")
    listing = runner.invoke(cli, ["guard", "keys", "list", "--db", db]).output
    assert "svc" in listing and key not in listing
    assert runner.invoke(cli, ["guard", "keys", "revoke", "svc", "--db", db]).exit_code == 0
    with open_store(db) as store:
        from aisec.guard.keys import active_keys, hash_key

        active = active_keys(store)
        assert hash_key(key) not in active and len(active) == 1
        assert all(key not in h for h in active)  # only digests are stored
