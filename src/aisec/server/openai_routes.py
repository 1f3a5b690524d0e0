"""The OpenAI endpoints as a bare ASGI handler, in front of FastAPI (`OpenAIRoutes`).

``POST /v1/chat/completions``, ``POST /v1/completions``, ``POST /v1/responses`` (and a
stored response's ``GET``/``DELETE /v1/responses/<id>``, ``GET .../input_items``, ``POST
.../cancel``), the Conversations API (``/v1/conversations``, ``.../<id>``, ``.../<id>/items``,
``.../<id>/items/<item>``), ``POST /v1/embeddings``, ``POST /v1/images/generations``, ``POST /v1/audio/speech``,
``GET /v1/models`` and ``GET /v1/models/<model>``, and each under
``/app/<name>/v1/`` (application ``<name>``). Every
request: request id → key → application → rate limit → size-limited JSON body → kill
switch → `GuardProxy` → response; then the metrics, the incident counts and one JSON log
line (no prompt, no answer).

Why not FastAPI routes: these endpoints are the proxy's hot path, and Starlette's and
FastAPI's machinery per request (middleware stack, `Request`, the endpoint's dependency
resolution and the response classes) was a good part of the CPU a request costs on a
worker that serves dozens at once. Here the body is read from ``receive``, the answer
written with two ``send`` calls, and the stream re-emitted while a watcher waits for the
client to go away (ASGI 2.3 servers report that only through ``receive``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from aisec.audit.ids import new_id
from aisec.guard.openai_api import Body, error_body
from aisec.guard.proxy import HALTED_KIND, GuardProxy, ProxyError, Reply
from aisec.io.records import fast_dumps
from aisec.io.unicode import json_utf8
from aisec.server.access import (
    authenticate,
    check_rate,
    choose_application,
    json_object,
    too_large,
)
from aisec.server.runtime import ProxyRuntime

logger = logging.getLogger("aisec.guard.requests")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Call = Callable[[GuardProxy, Body, str, str | None], Awaitable[Reply]]

#: path after ``v1/`` → (endpoint name, method, the form of its answer for a refusal —
#: ``chat``, ``text``, ``responses`` or None: not a completion —, the `GuardProxy` call)
ENDPOINTS: dict[str, tuple[str, str, str | None, Call]] = {
    "chat/completions": ("chat", "POST", "chat", lambda p, b, r, a: p.chat(b, r, a)),
    "completions": ("completions", "POST", "text", lambda p, b, r, a: p.completions(b, r, a)),
    "responses": ("responses", "POST", "responses", lambda p, b, r, a: p.responses(b, r, a)),
    "embeddings": ("embeddings", "POST", None, lambda p, b, r, a: p.embeddings(b, r, a)),
    "images/generations": ("images", "POST", None, lambda p, b, r, a: p.images(b, r, a)),
    "audio/speech": ("speech", "POST", None, lambda p, b, r, a: p.speech(b, r, a)),
    "models": ("models", "GET", None, lambda p, _b, _r, _a: p.models()),
}

#: a stored response's paths: its id, and what is asked of it
STORED = re.compile(r"responses/([A-Za-z0-9_-]{1,128})(?:/(input_items|cancel))?")
#: what is asked of a stored response → the methods it takes
STORED_METHODS: dict[str | None, tuple[str, ...]] = {
    None: ("GET", "DELETE"),
    "input_items": ("GET",),
    "cancel": ("POST",),
}


#: one model's path (``models/<model>``: vLLM's names hold a slash, Ollama's a colon)
MODEL = re.compile(r"models/([A-Za-z0-9_.:@+-][A-Za-z0-9_.:@+/-]{0,255})")


def model_name(tail: str) -> str | None:
    """The model of a ``models/<model>`` path; None for another path, and for one with an
    empty, ``.`` or ``..`` segment (not passed on: it would name another path upstream)."""
    found = MODEL.fullmatch(tail)
    if found is None or {"", ".", ".."} & set(found.group(1).split("/")):
        return None
    return found.group(1)


#: the Conversations API's paths: a conversation's id, its items, one item's id
CONVERSATIONS = re.compile(
    r"conversations(?:/([A-Za-z0-9_-]{1,128})(?:/(items)(?:/([A-Za-z0-9_-]{1,128}))?)?)?"
)
#: (a conversation's id given, its items, one item's id given) → the methods it takes
CONVERSATION_METHODS: dict[tuple[bool, bool, bool], tuple[str, ...]] = {
    (False, False, False): ("POST",),
    (True, False, False): ("GET", "POST", "DELETE"),
    (True, True, False): ("GET", "POST"),
    (True, True, True): ("GET", "DELETE"),
}


def route(
    tail: str, method: str, query: bytes = b""
) -> tuple[str, tuple[str, ...], str | None, Call] | None:
    """The endpoint of ``tail`` (the path after ``v1/``): its name, the methods it takes,
    the form of its refusal, and the `GuardProxy` call for ``method``; None for no
    endpoint of the proxy."""
    if tail in ENDPOINTS:
        name, allowed, form, call = ENDPOINTS[tail]
        return name, (allowed,), form, call
    model = model_name(tail)
    if model is not None:
        return "models", ("GET",), None, lambda p, _b, _r, _a: p.models(model)
    query_text = query.decode("latin-1")
    talk = CONVERSATIONS.fullmatch(tail)
    if talk is not None:
        conversation_id, items, item_id = talk.groups()

        def conversation(p: GuardProxy, b: Body, r: str, a: str | None) -> Awaitable[Reply]:
            return p.conversation(
                method, conversation_id, bool(items), item_id, query_text, b, r, a
            )

        shape = (conversation_id is not None, items is not None, item_id is not None)
        return "conversations", CONVERSATION_METHODS[shape], None, conversation
    found = STORED.fullmatch(tail)
    if found is None:
        return None
    response_id, asked = found.groups()

    def stored(p: GuardProxy, _b: Body, r: str, a: str | None) -> Awaitable[Reply]:
        return p.stored_response(method, response_id, asked, query_text, r, a)

    return "responses_stored", STORED_METHODS[asked], None, stored


JSON_TYPE = b"application/json"
SSE_TYPE = b"text/event-stream; charset=utf-8"


class ClientGone(Exception):
    """The client disconnected before its request was read."""


def match(path: str) -> tuple[str, str | None] | None:
    """``(endpoint path, application of the route or None)`` for an OpenAI path (a
    trailing slash allowed)."""
    if path.startswith("/v1/"):
        tail, app = path[4:], None
    elif path.startswith("/app/"):
        app, _, rest = path[5:].partition("/")
        if not app or not rest.startswith("v1/"):
            return None
        tail = rest[3:]
    else:
        return None
    tail = tail.removesuffix("/")
    known = (
        tail in ENDPOINTS
        or model_name(tail) is not None
        or any(p.fullmatch(tail) for p in (STORED, CONVERSATIONS))
    )
    return (tail, app) if known else None


#: made once (`json.dumps` with options makes a new encoder at every call)
_RENDER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _render(body: Body) -> bytes:
    return json_utf8(_RENDER.encode(body))


def dump(body: Body) -> bytes:
    """A JSON body as Starlette's `JSONResponse` renders it (``json.dumps(body,
    ensure_ascii=False, allow_nan=False, separators=(",", ":"))``), by orjson
    (`fast_dumps`), except that a lone surrogate (an upstream's ``"\\ud83d"``) stays an
    escape (`json_utf8`) instead of failing, and a NaN or an infinity (which an upstream
    may send) is ``null`` instead of a 500."""
    return fast_dumps(body, _render)


async def send_json(
    send: Send, status: int, body: Body, rid: str, extra: dict[str, str] | None = None
) -> None:
    """One JSON answer."""
    data = dump(body)
    headers = [
        (b"content-length", b"%d" % len(data)),
        (b"content-type", JSON_TYPE),
        (b"x-request-id", rid.encode("ascii")),
    ]
    if extra:
        headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def send_bytes(send: Send, status: int, data: bytes, media_type: str, rid: str) -> None:
    """One answer that is not JSON (generated speech)."""
    headers = [
        (b"content-length", b"%d" % len(data)),
        (b"content-type", media_type.encode("latin-1")),
        (b"x-request-id", rid.encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def send_stream(
    receive: Receive, send: Send, status: int, stream: AsyncIterator[bytes], rid: str
) -> bool:
    """Server-sent events from ``stream``; stops (closing ``stream``) when the client goes
    away. True when the stream was sent to its end."""
    task = asyncio.current_task()
    assert task is not None
    state = {"gone": False, "done": False}

    async def watch() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                if not state["done"]:
                    state["gone"] = True
                    task.cancel()
                return

    headers = [
        (b"content-type", SSE_TYPE),
        (b"cache-control", b"no-cache"),
        (b"x-request-id", rid.encode("ascii")),
    ]
    watcher = asyncio.ensure_future(watch())
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        async for chunk in stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        state["done"] = True
        await send({"type": "http.response.body", "body": b""})
        return True
    except asyncio.CancelledError:
        if not state["gone"]:
            raise
        task.uncancel()
        return False
    except OSError:  # an ASGI 2.4 server's word for a client that went away
        return False
    finally:
        watcher.cancel()
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()  # the relay records an abandoned stream's decision


async def read_body(receive: Receive, limit: int, length: bytes) -> Body:
    """The request body as a JSON object, at most ``limit`` bytes (413 beyond)."""
    if length.isdigit() and int(length) > limit:
        raise too_large(limit)
    message = await receive()
    if message["type"] != "http.request":
        raise ClientGone
    data = message.get("body", b"")
    if message.get("more_body"):
        buffer = bytearray(data)
        while True:
            if len(buffer) > limit:
                raise too_large(limit)
            message = await receive()
            if message["type"] != "http.request":
                raise ClientGone
            buffer += message.get("body", b"")
            if not message.get("more_body"):
                break
        data = buffer
    if len(data) > limit:
        raise too_large(limit)
    return json_object(data)


class OpenAIRoutes:
    """The OpenAI endpoints of one worker; see the module docstring."""

    def __init__(self, rt: ProxyRuntime) -> None:
        self.rt = rt
        self.settings = rt.settings

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, tail: str, route_app: str | None
    ) -> None:
        rt = self.rt
        found = route(tail, scope["method"], scope.get("query_string", b""))
        assert found is not None  # (`match` said so)
        name, methods, form, call = found
        rid = new_id()
        t0 = time.perf_counter()
        fields: dict[str, Any] = {"request_id": rid, "endpoint": name}
        app_name: str | None = None
        blocked = upstream_error = False
        stream: Reply | None = None
        try:
            if scope["method"] not in methods and not (
                "GET" in methods and scope["method"] == "HEAD"
            ):
                raise ProxyError(
                    405,
                    error_body(
                        f"use {' or '.join(methods)} for this endpoint",
                        "invalid_request_error",
                        "method_not_allowed",
                    ),
                    {"allow": ", ".join(methods)},
                )
            authorization = length = b""
            for key_name, value in scope["headers"]:
                if key_name == b"authorization":
                    authorization = value
                elif key_name == b"content-length":
                    length = value
            key = authenticate(rt, authorization.decode("latin-1"), admin=False)
            fields["key"] = key.name
            app_name = choose_application(self.settings, key, route_app)
            fields["app"] = app_name
            check_rate(rt, key)
            proxy = rt.proxy
            assert proxy is not None and rt.cache is not None
            body: Body = {}
            if scope["method"] == "POST" and name != "responses_stored":  # (a cancel has none)
                limit = proxy.guard_for(app_name).config.proxy.max_request_bytes
                body = await read_body(receive, limit, length)
            state = rt.cache.state
            if state.halted:
                reply = proxy.halted(form, body, rid, state.reason, app_name)
            else:
                reply = await call(proxy, body, rid, app_name)
            fields.update(decision=reply.decision, kinds=reply.kinds)
            blocked = reply.decision == "block" and HALTED_KIND not in reply.kinds
            status = reply.status
            if reply.stream is not None:
                stream = reply
            elif reply.raw is not None:
                await send_bytes(send, status, reply.raw, reply.media_type, rid)
            else:
                assert reply.body is not None
                await send_json(send, status, reply.body, rid)
        except ProxyError as exc:
            upstream_error = exc.body.get("error", {}).get("type") == "upstream_error"
            status = exc.status
            await send_json(send, status, exc.body, rid, exc.headers)
        except ClientGone:
            status = 499  # nginx's "client closed request": nobody to answer
        except Exception:  # a bug: an OpenAI-style 500, the details in the log only
            logger.exception("internal error", extra={"fields": fields})
            status = 500
            body = error_body("internal error in the guard proxy", "server_error", "internal_error")
            await send_json(send, status, body, rid)
        seconds = time.perf_counter() - t0  # to the answer, or to the stream's start
        if app_name is not None and name != "models":
            rt.observe(app_name, blocked=blocked, upstream_error=upstream_error)
        assert rt.proxy is not None
        rt.proxy.metrics.request(name, status, seconds)
        if logger.isEnabledFor(logging.INFO):  # (what `logger.info` asks first)
            fields.update(status=status, ms=round(seconds * 1000, 2))
            logger.info("request", extra={"fields": fields})
        if stream is not None:
            assert stream.stream is not None
            await send_stream(receive, send, stream.status, stream.stream, rid)
