"""The OpenAI endpoints' bare ASGI handler (`aisec.server.openai_routes`), through the
real proxy: methods and paths, request bodies (sizes, framings, bad JSON), the headers of
answers, internal errors, clients that leave early. Auth, rate limits, blocks, streams,
the kill switch and upstream failures through it are in ``test_proxy``."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from proxy_support import Proxy

from aisec.guard.proxy import GuardProxy


def headers(proxy: Proxy) -> dict[str, str]:
    return {"Authorization": f"Bearer {proxy.key}"}


def chat_body(text: str = "你好", **kw: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **kw}


def metric(proxy: Proxy, series: str) -> float:
    found = re.search(re.escape(series) + r" ([0-9.e+]+)", httpx.get(proxy.url + "/metrics").text)
    return float(found.group(1)) if found else 0.0


def test_methods_and_paths(proxy: Proxy) -> None:
    r = httpx.get(proxy.v1 + "/chat/completions", headers=headers(proxy))
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert r.json()["error"]["code"] == "method_not_allowed"
    r = httpx.post(proxy.v1 + "/models", headers=headers(proxy))
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    # not an OpenAI endpoint of the proxy: FastAPI's 404
    assert httpx.post(proxy.v1 + "/audio/transcriptions", headers=headers(proxy)).status_code == 404
    r = httpx.get(proxy.v1 + "/audio/speech", headers=headers(proxy))
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert httpx.get(proxy.url + "/app//v1/models", headers=headers(proxy)).status_code == 404
    assert httpx.get(proxy.url + "/app/default/v1/models", headers=headers(proxy)).is_success
    # a trailing slash is the same endpoint; HEAD is GET without the body
    r = httpx.post(proxy.v1 + "/chat/completions/", json=chat_body(), headers=headers(proxy))
    assert r.status_code == 200 and r.json()["aisec"]["decision"] == "allow"
    r = httpx.head(proxy.v1 + "/models", headers=headers(proxy))
    assert r.status_code == 200 and r.content == b"" and int(r.headers["content-length"]) > 0


def test_request_bodies(proxy: Proxy) -> None:
    url = proxy.v1 + "/chat/completions"

    def chunked(data: bytes) -> Iterator[bytes]:  # no Content-Length: read up to the limit
        for i in range(0, len(data), 4096):
            yield data[i : i + 4096]

    big = httpx.post(url, content=chunked(b" " * 70_000 + b"{}"), headers=headers(proxy))
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
    small = httpx.post(
        url,
        content=chunked(httpx.Request("POST", url, json=chat_body()).read()),
        headers=headers(proxy),
    )
    assert small.status_code == 200 and small.json()["aisec"]["decision"] == "allow"
    for raw in (b'{"model": "m", "messages": [], "temperature": NaN}', b"[1, 2]", b"", b"\xff"):
        r = httpx.post(url, content=raw, headers=headers(proxy))
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json", raw


def test_headers_of_answers(proxy: Proxy) -> None:
    r = httpx.post(proxy.v1 + "/chat/completions", json=chat_body(), headers=headers(proxy))
    assert r.headers["content-type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    assert int(r.headers["content-length"]) == len(r.content)
    with httpx.stream(
        "POST",
        proxy.v1 + "/chat/completions",
        json=chat_body(stream=True),
        headers=headers(proxy),
    ) as s:
        assert s.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert s.headers["cache-control"] == "no-cache"
        assert re.fullmatch(r"[0-9a-f]{32}", s.headers["x-request-id"])
        events = [line for line in s.iter_lines() if line.startswith("data:")]
    assert events[-1] == "data: [DONE]"
    # errors carry the request id too
    r = httpx.post(proxy.v1 + "/chat/completions", json=chat_body())
    assert r.status_code == 401 and re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


def test_a_bug_is_an_openai_500(proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    gp: GuardProxy = proxy.app.state.runtime.proxy
    series = 'aisec_guard_requests_total{endpoint="chat",status="500"}'
    before = metric(proxy, series)

    async def broken(*_a: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(gp, "chat", broken)
    client = openai.OpenAI(base_url=proxy.v1, api_key=proxy.key, max_retries=0, timeout=10)
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    body = info.value.response.json()
    assert body["error"]["type"] == "server_error" and "a bug" not in str(body)
    assert metric(proxy, series) == before + 1


def test_a_client_that_leaves_before_its_body(proxy: Proxy) -> None:
    series = 'aisec_guard_requests_total{endpoint="chat",status="499"}'
    before = metric(proxy, series)
    host, port = proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {proxy.key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            + b'{"model": '
        )
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while metric(proxy, series) < before + 1:
        assert time.monotonic() < deadline, "the abandoned request was not counted"
        time.sleep(0.05)
    # the proxy goes on serving
    r = httpx.post(proxy.v1 + "/chat/completions", json=chat_body(), headers=headers(proxy))
    assert r.status_code == 200
