"""`GuardProxy`: the OpenAI-compatible proxy's logic, free of the web framework.

Each endpoint is parse → `Guard` input check → upstream (async) → `Guard` output
check → reply. A blocked request never reaches the upstream; its answer is the refusal as
the assistant's message with ``"aisec": {"decision": "block", "kinds": [...]}`` beside
``choices`` (HTTP 200), or an error body with HTTP 403 when the policy's
``guard.block_status`` is 403. Streamed answers go through the guard's sliding-window
`StreamChecker` and are re-emitted as ``chat.completion.chunk`` events (the Responses
API's in `aisec.guard.responses`). Endpoints with no answer to put a refusal in
(embeddings, images, speech, conversation items) answer a block with 403. Generated
images and speech get the GB 45438 labels through the `ImageLabeller` and
`SpeechLabeller` the server gives (`images`, `speech`: a face does not import another).
Upstream failures
become OpenAI-style error bodies: 504 for a time-out, 502 for anything else the upstream
did wrong, the upstream's own status for a client error (400, 404, 429 …).

The guard's checks run on the event loop: they take milliseconds, and a thread hop would
cost more than it saves. Requests go upstream through `aisec.guard.upstream` (pyreqwest's
client); a connection that breaks before any answer is tried once more on a fresh one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from aisec.errors import InputError
from aisec.guard.chat import (
    Uncheckable,
    check_choices,
    check_text_choices,
    objects,
    unreadable,
)
from aisec.guard.decision import Decision, RequestContext
from aisec.guard.guard import AuditSink, Guard
from aisec.guard.metrics import ProxyMetrics
from aisec.guard.openai_api import (
    Body,
    Check,
    ChunkMaker,
    aisec_field,
    blocked_error,
    error_body,
    merge,
    refusal_body,
    sse,
    wants_json,
)
from aisec.guard.relay import relay
from aisec.guard.responses import (
    InvalidRequest,
    ResponsesInput,
    ResponsesRelay,
    as_asked,
    check_output,
    refusal_events,
    refusal_response,
    restored_item,
    shown_item,
)
from aisec.guard.responses import wants_json as wants_json_text
from aisec.guard.upstream import (
    UpstreamBroken,
    UpstreamClient,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
    UpstreamTooLarge,
)
from aisec.guard.vault import TokenVault
from aisec.guard.vaults import VaultKeeper
from aisec.io.records import fast_dumps, fast_loads, load_json
from aisec.io.unicode import json_utf8

logger = logging.getLogger("aisec.guard.proxy")

#: ``(image, producer, produce id, the visible notice or None) → (the image with its
#: labels, its format)``
ImageLabeller = Callable[[bytes, str, str, str | None], tuple[bytes, str]]
#: writes the GB 45438 implicit label into generated speech: ``(audio, producer,
#: produce id) → (labelled audio, its format)``
SpeechLabeller = Callable[[bytes, str, str], tuple[bytes, str]]
#: the speech formats (``response_format``) that can carry the label → their media type
SPEECH_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "opus": "audio/ogg"}
#: the media type of a labelled audio format (the carrier's name)
AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg"}

HALTED_KIND = "guard.halted"
#: the query of a stored response's path that is passed on (``include[]=...``, paging)
_QUERY = re.compile(r"[A-Za-z0-9_.~%&=\[\]-]{0,2048}")


def generated_images(items: object) -> list[Body]:
    """The ``image_generation_call`` items of a Responses output or a conversation's
    items that hold a picture."""
    return [
        item
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
        and item.get("type") == "image_generation_call"
        and isinstance(item.get("result"), str)
    ]


def _asks_for_images(body: Body) -> bool:
    """Whether a Responses request gives the model the ``image_generation`` tool."""
    tools = body.get("tools")
    return any(
        isinstance(t, dict) and t.get("type") == "image_generation"
        for t in (tools if isinstance(tools, list) else [])
    )


@dataclass
class ProxySettings:
    """What `aisec guard serve` was started with."""

    upstream: str
    upstream_key: str | None = None
    policy: Path | None = None
    database_url: str | None = None
    application: str = "default"
    #: further applications served under ``/app/<name>/v1`` (or by a key bound to one):
    #: name → policy file (None: the built-in default policy)
    applications: dict[str, Path | None] = field(default_factory=dict)

    def policies(self) -> dict[str, Path | None]:
        """Every application's policy file, the default application's first."""
        return {self.application: self.policy, **self.applications}


class ProxyError(Exception):
    """An answer other than success: an HTTP status and an OpenAI-style body."""

    def __init__(self, status: int, body: Body, headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("error", {}).get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def bad_request(message: str, code: str = "invalid_request") -> ProxyError:
    """A 400 with an ``invalid_request_error`` body."""
    return ProxyError(400, error_body(message, "invalid_request_error", code))


@dataclass
class Reply:
    """What an endpoint answers: a JSON body, a stream of server-sent events, or bytes
    (``raw``, of ``media_type``: generated speech)."""

    status: int = 200
    body: Body | None = None
    stream: AsyncIterator[bytes] | None = None
    raw: bytes | None = None
    media_type: str = "application/octet-stream"
    #: for the request log: the overall decision and kinds
    decision: str | None = None
    kinds: list[str] = field(default_factory=list)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: made once: `json.loads` and `json.dumps` with any option make a new decoder (with its
#: scanner) or encoder at every call
_STRICT = json.JSONDecoder(parse_constant=_no_constants)
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _strict(data: str | bytes | bytearray) -> Any:
    if isinstance(data, str):
        if data.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", data, 0)
        return _STRICT.decode(data)
    return _STRICT.decode(data.decode(json.detect_encoding(data), "surrogatepass"))


def parse_json(data: bytes | bytearray) -> Any:
    """Strict JSON (no NaN or Infinity, which could not be sent on): what
    ``json.loads(data, parse_constant=...)`` gives, read by orjson (`fast_loads`, as
    strict) or by a decoder made once."""
    return fast_loads(data, _strict)


def _compact(payload: Body) -> bytes:
    return json_utf8(_COMPACT.encode(payload))


def compact_json(payload: Body) -> bytes:
    """``payload`` as the upstream gets it: compact, non-ASCII as itself, in UTF-8 (what
    ``json.dumps(payload, ensure_ascii=False, separators=(",", ":"))`` makes, by orjson:
    `fast_dumps`); a lone surrogate (a client's ``"\\ud83d"``) as the escape it came as
    (`json_utf8`)."""
    return fast_dumps(payload, _compact)


class GuardProxy:
    """The proxy's endpoints; the web layer (`aisec.server`) only authenticates, parses
    and turns `Reply`/`ProxyError` into responses."""

    def __init__(
        self,
        settings: ProxySettings,
        guard: Guard,
        *,
        metrics: ProxyMetrics | None = None,
        client: UpstreamClient | None = None,
    ) -> None:
        self.settings = settings
        #: application name → its `Guard`; swapped whole on a reload
        self.guards: dict[str, Guard] = {settings.application: guard}
        self.metrics = metrics or ProxyMetrics()
        self.upstream = settings.upstream.rstrip("/")
        #: the upstream client (made by `start` unless given)
        self.client = client
        #: application → its keeper of placeholders between turns (`aisec.guard.vaults`;
        #: set by the server for the applications whose policy asks for it)
        self.keepers: dict[str, VaultKeeper] = {}
        #: writes the GB 45438 labels into a generated image (`ImageLabeller`), raising
        #: `InputError` when it cannot (set by the server: `aisec.label.inline`; None:
        #: images are not labelled)
        self.label_image: ImageLabeller | None = None
        #: the same for generated speech (`SpeechLabeller`)
        self.label_speech: SpeechLabeller | None = None
        key = settings.upstream_key
        auth = {"Authorization": f"Bearer {key}"} if key else {}
        self._get_headers = {"User-Agent": "aisec-guard", **auth}
        self._post_headers = {**self._get_headers, "Content-Type": "application/json"}

    # -- life cycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Open the upstream client."""
        if self.client is None:
            t = self.guard.config.proxy.timeout
            self.client = UpstreamClient(connect=t.connect, read=t.read)

    async def close(self) -> None:
        """Close the upstream connections."""
        if self.client is not None:
            await self.client.aclose()

    @property
    def guard(self) -> Guard:
        """The default application's `Guard`."""
        return self.guards[self.settings.application]

    @guard.setter
    def guard(self, guard: Guard) -> None:
        self.guards = {**self.guards, self.settings.application: guard}

    def guard_for(self, app: str | None) -> Guard:
        """The `Guard` of application ``app`` (the default one for None)."""
        if app is None:
            return self.guard
        guard = self.guards.get(app)
        if guard is None:
            raise ProxyError(
                404,
                error_body(
                    f"no application {app!r} on this proxy",
                    "invalid_request_error",
                    "unknown_application",
                ),
            )
        return guard

    def load_guards(self, audit: AuditSink | None) -> dict[str, Guard]:
        """A new `Guard` per application from the policy files (for a reload; the caller
        swaps them in). A broken file raises and nothing is swapped."""
        return {
            name: Guard(path, audit=audit, application=name)
            for name, path in self.settings.policies().items()
        }

    # -- decisions ---------------------------------------------------------------------

    def _input(
        self,
        guard: Guard,
        messages: list[dict[str, Any]],
        rid: str,
        continued: bool = False,
        vault: TokenVault | None = None,
    ) -> Decision:
        d = guard.check_input(messages, request_id=rid, continued=continued, vault=vault)
        self.metrics.decision("input", d.verdict, d.kinds, d.latency_ms / 1000)
        return d

    def _output(self, guard: Guard, text: str, context: RequestContext) -> Decision:
        return self._output_check(guard.check_output, text, context)

    def _checker(self, context: RequestContext) -> Check:
        """Runs one of the guard's checks on a text of the answer to ``context``'s request
        and counts it (for `check_choices`, `check_output`, the relays)."""
        return lambda method, text: self._output_check(method, text, context)

    def _output_check(
        self,
        check: Callable[[str, RequestContext], Decision],
        text: str,
        context: RequestContext,
    ) -> Decision:
        d = check(text, context)
        self.metrics.decision("output", d.verdict, d.kinds, d.latency_ms / 1000)
        return d

    def _blocked(self, guard: Guard, form: str, d: Decision, model: str, stream: bool) -> Reply:
        """The answer to a blocked request in ``form`` (``chat``, ``text``, ``responses``):
        the refusal as the answer (whole or as a stream), or 403 when the policy says so."""
        if guard.config.block_status == 403:
            return Reply(403, blocked_error(d), decision="block", kinds=d.kinds)
        if form == "responses":
            data = refusal_response(d, model)
            events = refusal_events(data) if stream else []
        else:
            chat = form == "chat"
            data = refusal_body(chat, d, model)
            maker = ChunkMaker(
                chat, f"{'chatcmpl' if chat else 'cmpl'}-aisec-{d.request_id}", model
            )
            events = [
                sse(maker.make(d.text or "", role=True)),
                sse(maker.make(None, "content_filter", aisec=d.summary())),
                sse("[DONE]"),
            ]
        if not stream:
            return Reply(200, data, decision="block", kinds=d.kinds)

        async def send() -> AsyncIterator[bytes]:
            for event in events:
                yield event

        return Reply(200, stream=send(), decision="block", kinds=d.kinds)

    def halted(
        self, form: str | None, body: Body, rid: str, reason: str | None, app: str | None = None
    ) -> Reply:
        """The immediate refusal every request gets while the kill switch is on; ``form``
        is the answer's: ``chat``, ``text`` (legacy completions), ``responses``, or None
        (not a completion: an error body)."""
        guard = self.guard_for(app)
        d = Decision("block", "input", RequestContext(request_id=rid), kinds=[HALTED_KIND])
        d.reasons = ["halted"]
        d.refusal = d.text = guard.config.refusal_text(
            "zh" if guard.config.language != "en" else "en"
        )
        guard.record(d, None, details={"halt_reason": reason})
        self.metrics.decision("input", "block", d.kinds, 0.0)
        if form is None:
            return Reply(
                403,
                error_body("the service is halted by its operator", "service_halted", "halted"),
                decision="block",
                kinds=d.kinds,
            )
        return self._blocked(guard, form, d, str(body.get("model") or ""), bool(body.get("stream")))

    # -- the upstream ------------------------------------------------------------------

    def _failed(self, exc: UpstreamError, setting: str = "max_answer_bytes") -> ProxyError:
        """The error answer for ``exc``; ``setting`` names the bound an answer that is too
        long went past."""
        if isinstance(exc, UpstreamTooLarge):
            self.metrics.upstream_errors.labels("too_large").inc()
            return ProxyError(
                502,
                error_body(
                    f"the upstream model's answer is too long for the proxy ({exc}; "
                    f"guard.proxy.{setting})",
                    "upstream_error",
                    "upstream_answer_too_large",
                ),
            )
        if isinstance(exc, UpstreamTimeout):
            self.metrics.upstream_errors.labels("timeout").inc()
            return ProxyError(
                504,
                error_body("the upstream model timed out", "upstream_error", "upstream_timeout"),
            )
        self.metrics.upstream_errors.labels("unreachable").inc()
        return ProxyError(
            502,
            error_body(
                f"the upstream model is unreachable ({exc.name})",
                "upstream_error",
                "upstream_unreachable",
            ),
        )

    def _failed_body(self, exc: UpstreamError) -> Body:
        return self._failed(exc).body

    def _status_error(self, status: int, raw: bytes) -> ProxyError:
        self.metrics.upstream_errors.labels(f"http_{status}").inc()
        try:
            body = load_json(raw, fast_loads)
        except ValueError:
            body = None
        upstream_error = isinstance(body, dict) and isinstance(body.get("error"), dict)
        if status in (400, 404, 409, 413, 422, 429) and upstream_error:
            assert isinstance(body, dict)
            return ProxyError(status, body)
        if status in (401, 403):
            message = "the upstream model refused the proxy's credentials (AISEC_UPSTREAM_API_KEY)"
            return ProxyError(502, error_body(message, "upstream_error", "upstream_auth"))
        return ProxyError(
            502,
            error_body(
                f"the upstream model answered HTTP {status}", "upstream_error", "upstream_error"
            ),
        )

    async def _send(
        self,
        method: str,
        path: str,
        payload: Body | None,
        stream: bool,
        limit: int | None = None,
        setting: str = "max_answer_bytes",
    ) -> UpstreamResponse:
        assert self.client is not None, "GuardProxy.start() was not called"
        if payload is None:
            body, headers = None, self._get_headers
        else:
            body, headers = compact_json(payload), self._post_headers
        url = self.upstream + path
        t0 = time.perf_counter()
        for attempt in (1, 2):
            try:
                response = await self.client.send(
                    method, url, body, headers, stream=stream, fresh=attempt == 2, limit=limit
                )
                break
            except UpstreamBroken as exc:
                # the connection broke before any answer: most often a kept-alive one the
                # upstream closed as it was reused; once more on a fresh one (as the
                # OpenAI SDK retries connection errors)
                if attempt == 2:
                    raise self._failed(exc) from None
                self.metrics.upstream_errors.labels("retried").inc()
            except UpstreamError as exc:
                raise self._failed(exc, setting) from None
        self.metrics.upstream_seconds.observe(time.perf_counter() - t0)
        if response.status >= 400:
            try:
                raw = await response.read(1 << 20)  # (an error body is short)
            except UpstreamError:
                raw = b""
            finally:
                await response.aclose()
            raise self._status_error(response.status, raw)
        return response

    async def _json(
        self,
        method: str,
        path: str,
        payload: Body | None,
        guard: Guard,
        setting: str = "max_answer_bytes",
        listed: str | None = None,
    ) -> Body:
        """The upstream's JSON answer, at most as long as ``guard.proxy.<setting>`` says;
        a JSON object, whose ``listed`` member (the choices, the output), when it has one,
        is a list: 502 ``bad_upstream_body`` otherwise."""
        limit = getattr(guard.config.proxy, setting)
        response = await self._send(method, path, payload, False, limit, setting)
        try:
            data = load_json(await response.read(), fast_loads)
        except UpstreamError as exc:
            raise self._failed(exc, setting) from None
        except ValueError:
            data = None
        finally:
            await response.aclose()
        if not isinstance(data, dict) or (
            listed is not None and not isinstance(data.get(listed, []), list)
        ):
            raise self._bad_body()
        return data

    def _bad_body(self) -> ProxyError:
        """502 ``bad_upstream_body``: the upstream's answer is not JSON, or not in a shape
        the guard can check (counted as an upstream error)."""
        self.metrics.upstream_errors.labels("bad_body").inc()
        return ProxyError(
            502,
            error_body(
                "the upstream model sent an invalid answer", "upstream_error", "bad_upstream_body"
            ),
        )

    # -- endpoints ---------------------------------------------------------------------

    async def chat(self, body: Body, rid: str, app: str | None = None) -> Reply:
        """``POST /v1/chat/completions``."""
        messages = body.get("messages")
        if (
            not isinstance(messages, list)
            or not messages
            or not all(isinstance(m, dict) for m in messages)
        ):
            raise bad_request("'messages' must be a non-empty list of message objects")
        for i, message in enumerate(messages):
            member = unreadable(message)
            if member is not None:
                raise bad_request(
                    f"messages[{i}]: the guard cannot read '{member}' (a text must be a "
                    "string; a content a string or a list of parts)"
                )
        stream = bool(body.get("stream"))
        if stream and int(body.get("n") or 1) != 1:
            raise bad_request("the guard streams one choice: use n=1 with stream=true")
        guard = self.guard_for(app)
        model = str(body.get("model") or "")
        d = self._input(guard, messages, rid)
        if d.blocked:
            return self._blocked(guard, "chat", d, model, stream)
        d.context.json_answer = wants_json(body)
        payload = {**body, "messages": d.messages}
        if stream:
            response = await self._send("POST", "/chat/completions", payload, stream=True)
            return Reply(
                200,
                stream=relay(self.metrics, True, response, guard, d, model, self._failed_body),
                decision=d.verdict,
                kinds=d.kinds,
            )
        data = await self._json("POST", "/chat/completions", payload, guard, listed="choices")
        try:
            decisions = [d, *check_choices(data, guard, self._checker(d.context))]
        except Uncheckable:
            raise self._bad_body() from None
        return self._answer(guard, data, decisions)

    def _answer(self, guard: Guard, data: Body, decisions: list[Decision]) -> Reply:
        verdict, kinds = merge(decisions)
        data["aisec"] = aisec_field(verdict, kinds, guard.withheld_notice(decisions[0].context))
        blocked = next((o for o in decisions[1:] if o.blocked), None)
        if blocked is not None and guard.config.block_status == 403:
            return Reply(403, blocked_error(blocked), decision="block", kinds=kinds)
        return Reply(200, data, decision=verdict, kinds=kinds)

    async def completions(self, body: Body, rid: str, app: str | None = None) -> Reply:
        """``POST /v1/completions`` (legacy text completions)."""
        prompt = body.get("prompt")
        prompts = [prompt] if isinstance(prompt, str) else prompt
        if (
            not isinstance(prompts, list)
            or not prompts
            or not all(isinstance(p, str) for p in prompts)
        ):
            raise bad_request(
                "'prompt' must be a string or a list of strings (token arrays are not checked)"
            )
        stream = bool(body.get("stream"))
        if stream and (len(prompts) != 1 or int(body.get("n") or 1) != 1):
            raise bad_request("the guard streams one choice: one prompt and n=1 with stream=true")
        guard = self.guard_for(app)
        model = str(body.get("model") or "")
        inputs = [self._input(guard, [{"role": "user", "content": p}], rid) for p in prompts]
        blocked = next((d for d in inputs if d.blocked), None)
        if blocked is not None:
            return self._blocked(guard, "text", blocked, model, stream)
        forwarded = [str((d.messages or [{}])[0].get("content", "")) for d in inputs]
        payload = {**body, "prompt": forwarded[0] if isinstance(prompt, str) else forwarded}
        if stream:
            response = await self._send("POST", "/completions", payload, stream=True)
            first = inputs[0]
            return Reply(
                200,
                stream=relay(self.metrics, False, response, guard, first, model, self._failed_body),
                decision=first.verdict,
                kinds=first.kinds,
            )
        data = await self._json("POST", "/completions", payload, guard, listed="choices")
        n = max(1, int(body.get("n") or 1))
        contexts = [d.context for d in inputs]
        try:
            decisions = [*inputs, *check_text_choices(data, contexts, n, guard, self._checker)]
        except Uncheckable:
            raise self._bad_body() from None
        verdict, kinds = merge(decisions)
        data["aisec"] = aisec_field(verdict, kinds)
        out_blocked = next((o for o in decisions[len(inputs) :] if o.blocked), None)
        if out_blocked is not None and guard.config.block_status == 403:
            return Reply(403, blocked_error(out_blocked), decision="block", kinds=kinds)
        return Reply(200, data, decision=verdict, kinds=kinds)

    async def embeddings(self, body: Body, rid: str, app: str | None = None) -> Reply:
        """``POST /v1/embeddings``: the input is checked (and redacted) like a prompt; a
        blocked input is refused with 403 (there is no answer to put a refusal in)."""
        raw = body.get("input")
        texts = [raw] if isinstance(raw, str) else raw
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise bad_request(
                "'input' must be a string or a list of strings (token arrays are not checked)"
            )
        guard = self.guard_for(app)
        inputs = [self._input(guard, [{"role": "user", "content": t}], rid) for t in texts]
        verdict, kinds = merge(inputs)
        blocked = next((d for d in inputs if d.blocked), None)
        if blocked is not None:
            return Reply(403, blocked_error(blocked), decision="block", kinds=kinds)
        forwarded = [str((d.messages or [{}])[0].get("content", "")) for d in inputs]
        payload = {**body, "input": forwarded[0] if isinstance(raw, str) else forwarded}
        data = await self._json("POST", "/embeddings", payload, guard, "max_embeddings_bytes")
        data["aisec"] = aisec_field(verdict, kinds)
        return Reply(200, data, decision=verdict, kinds=kinds)

    async def images(self, body: Body, rid: str, app: str | None = None) -> Reply:
        """``POST /v1/images/generations``: the prompt is checked (and redacted) like a
        chat request's (a block is 403: there is no answer to put a refusal in); the
        upstream's ``revised_prompt`` is checked as an answer is; each image given in
        base64 gets the GB 45438 implicit label when the policy names its producer
        (``guard.images.producer``; ``ProduceID`` is the request id and the image's
        index), read back before it goes out. An image the guard cannot label (given by
        URL, in a format it does not take, damaged) is not passed on unlabelled: 400
        for a request asking for URLs, 502 for such an answer."""
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise bad_request("'prompt' must be a non-empty string")
        if body.get("stream"):
            raise bad_request("streamed (partial) images are not passed through the guard")
        guard = self.guard_for(app)
        if self._labelling(guard) and body.get("response_format") == "url":
            raise bad_request(
                "this guard labels the images it passes on (GB 45438) and cannot label one "
                "given by URL: ask for response_format 'b64_json'"
            )
        d = self._input(guard, [{"role": "user", "content": prompt}], rid)
        if d.blocked:
            return Reply(403, blocked_error(d), decision="block", kinds=d.kinds)
        payload = {**body, "prompt": (d.messages or [{}])[0].get("content", prompt)}
        data = await self._json(
            "POST", "/images/generations", payload, guard, "max_images_bytes", listed="data"
        )
        decisions = [d]
        try:
            images = objects(data.get("data"), "data")
        except Uncheckable:
            raise self._bad_body() from None
        no_notice = partial(guard.check_output, notice=False)
        for image in images:  # the model's rewording of the prompt: checked as an answer
            revised = image.get("revised_prompt")
            if revised is None:
                continue
            if not isinstance(revised, str):
                raise self._bad_body()
            checked = self._output_check(no_notice, revised, d.context)
            decisions.append(checked)
            if checked.blocked:
                verdict, kinds = merge(decisions)
                return Reply(403, blocked_error(checked), decision=verdict, kinds=kinds)
            image["revised_prompt"] = checked.text
        labels = await self._label(guard, images, d.context, "b64_json")
        verdict, kinds = merge(decisions)
        data["aisec"] = aisec_field(verdict, kinds)
        if labels:
            data["aisec"]["labels"] = labels
        return Reply(200, data, decision=verdict, kinds=kinds)

    async def speech(self, body: Body, rid: str, app: str | None = None) -> Reply:
        """``POST /v1/audio/speech`` (text to speech): the text to read out (``input``, and
        ``instructions`` on how) is what the model will say, so it is checked as an
        answer is, without a notice: a block is 403, a redaction is read out redacted.
        With ``guard.speech.producer`` the audio gets the GB 45438 implicit label
        (``ProduceID`` the request id), read back before it goes out; then a format
        that cannot carry it (AAC, PCM) is refused with 400 before the upstream is
        asked, and an answer the guard cannot label is 502. Streamed speech
        (``stream_format: sse``) is not passed through."""
        text = body.get("input")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("'input' must be a non-empty string")
        how = body.get("instructions")
        if how is not None and not isinstance(how, str):
            raise bad_request("'instructions' must be a string")
        if body.get("stream_format", "audio") != "audio":
            raise bad_request(
                "streamed speech (stream_format 'sse') is not passed through the guard"
            )
        guard = self.guard_for(app)
        labelling = self._labelling(guard, "speech")
        asked = body.get("response_format", "mp3")
        if labelling and asked not in SPEECH_TYPES:
            raise bad_request(
                f"this guard labels the speech it passes on (GB 45438) and cannot label "
                f"{asked!r}: ask for response_format mp3, wav, flac or opus"
            )
        context = guard.context_for(text, rid)
        no_notice = partial(guard.check_output, notice=False)
        decisions: list[Decision] = []
        payload = dict(body)
        for name, value in (("input", text), ("instructions", how)):
            if value is None:
                continue
            d = self._output_check(no_notice, value, context)
            decisions.append(d)
            if d.blocked:
                verdict, kinds = merge(decisions)
                return Reply(403, blocked_error(d), decision=verdict, kinds=kinds)
            payload[name] = d.text
        limit = guard.config.proxy.max_speech_bytes
        response = await self._send(
            "POST", "/audio/speech", payload, False, limit, "max_speech_bytes"
        )
        audio = response.body or b""
        media_type = response.response.get_header("content-type") or "application/octet-stream"
        verdict, kinds = merge(decisions)
        if labelling:
            producer, labeller = guard.config.speech.producer, self.label_speech
            assert producer is not None and labeller is not None
            try:
                audio, made = await asyncio.to_thread(labeller, audio, producer, rid)
            except InputError as exc:
                logger.warning("upstream speech not labelled: %s", exc)
                raise self._unlabelled("speech the guard cannot label", "speech") from None
            media_type = AUDIO_TYPES[made]
        return Reply(200, raw=audio, media_type=media_type, decision=verdict, kinds=kinds)

    def _labelling(self, guard: Guard, media: str = "image") -> bool:
        """Whether ``guard``'s policy has generated ``media`` (image or speech) labelled;
        500 when it does and nothing here can (a `GuardProxy` made without `label_image`
        or `label_speech`): nothing is passed on unlabelled for want of the labeller."""
        config, labeller = (
            (guard.config.images, self.label_image)
            if media == "image"
            else (guard.config.speech, self.label_speech)
        )
        if config.producer is None:
            return False
        if labeller is None:
            raise ProxyError(
                500,
                error_body(f"{media} labelling is not available", "server_error", "no_labeller"),
            )
        return True

    async def _label(
        self, guard: Guard, images: list[Body], context: RequestContext, member: str
    ) -> list[str]:
        """Label ``images`` (their ``member``) when the policy says so (`_labelled`, in a
        thread); the ProduceIDs."""
        if not images or not self._labelling(guard):
            return []
        producer, labeller = guard.config.images.producer, self.label_image
        assert producer is not None and labeller is not None
        notice = None
        if guard.config.images.notice:  # in the language of the refusal, the notices
            notice = guard.notice(context.language)
        how = (producer, notice)
        return await asyncio.to_thread(
            self._labelled, images, labeller, how, context.request_id or "", member
        )

    async def _label_output(self, guard: Guard, reply: Reply, d: Decision) -> Reply:
        """A whole Responses answer with the images of its ``image_generation_call`` items
        labelled when the policy says so (the ProduceIDs in ``aisec.labels``)."""
        data = reply.body
        output = data.get("output") if data is not None else None
        labels = await self._label(guard, generated_images(output), d.context, "result")
        if labels and data is not None and isinstance(data.get("aisec"), dict):
            data["aisec"]["labels"] = labels
        return reply

    def _labelled(
        self,
        images: list[Body],
        labeller: ImageLabeller,
        how: tuple[str, str | None],
        rid: str,
        member: str = "b64_json",
    ) -> list[str]:
        """Label each of ``images`` (its ``member``, base64) in place, ``how`` says: the
        producer, the visible notice (or None); their ProduceIDs. 502 for an image given
        otherwise or that cannot be labelled (the reason is logged, not the image)."""
        producer, notice = how
        ids: list[str] = []
        for index, image in enumerate(images):
            encoded = image.get(member)
            if not isinstance(encoded, str):
                logger.warning("upstream image %d not in base64: not passed on unlabelled", index)
                raise self._unlabelled("an image given by URL or not at all")
            produce_id = f"{rid}-{index}"
            try:
                raw = base64.b64decode(encoded, validate=True)
                labelled, _ = labeller(raw, producer, produce_id, notice)
            except (binascii.Error, InputError) as exc:
                logger.warning("upstream image %d not labelled: %s", index, exc)
                raise self._unlabelled("an image the guard cannot label") from None
            image[member] = base64.b64encode(labelled).decode("ascii")
            ids.append(produce_id)
        return ids

    def _unlabelled(self, what: str, media: str = "image") -> ProxyError:
        """502: the upstream's answer holds ``what``, which the guard does not pass on
        unlabelled (counted as an upstream error); ``media``: image or speech."""
        self.metrics.upstream_errors.labels(f"unlabelled_{media}").inc()
        ask = (
            "ask for response_format 'b64_json' in PNG, JPEG, WebP, GIF or TIFF"
            if media == "image"
            else "it takes MP3, WAV, FLAC and Ogg Opus"
        )
        return ProxyError(
            502,
            error_body(
                f"the upstream model sent {what}; this guard passes on only "
                f"{'images' if media == 'image' else media} it has labelled (GB 45438): {ask}",
                "upstream_error",
                f"unlabelled_{media}",
            ),
        )

    async def responses(self, body: Body, rid: str, app: str | None = None) -> Reply:
        """``POST /v1/responses`` (see `aisec.guard.responses`)."""
        try:
            request = ResponsesInput(body)
        except InvalidRequest as exc:
            raise bad_request(str(exc)) from None
        stream = bool(body.get("stream"))
        guard = self.guard_for(app)
        if stream and self._labelling(guard) and _asks_for_images(body):
            raise bad_request(
                "this guard labels the images it passes on (GB 45438) and does not stream "
                "generated images: use stream: false with the image_generation tool"
            )
        model = str(body.get("model") or "")
        application = app or self.settings.application
        keeper = self.keepers.get(application)
        kept = None
        if keeper is not None and request.follows is not None:
            kept = await asyncio.to_thread(keeper.load, application, request.follows)
        d = self._input(guard, request.messages, rid, request.continued, kept)
        if d.blocked:
            return self._blocked(guard, "responses", d, model, stream)
        d.context.json_answer = wants_json_text(body)
        payload = request.payload(d.messages or [])

        async def keep(response_id: object) -> None:
            """Keep the vault for the next turn (`aisec.guard.vaults`)."""
            ids = [i for i in (response_id, request.conversation) if isinstance(i, str) and i]
            if keeper is not None and ids and len(d.context.vault):
                await asyncio.to_thread(keeper.save, application, ids, d.context.vault)

        if stream:
            response = await self._send("POST", "/responses", payload, stream=True)
            check = self._checker(d.context)
            relay = ResponsesRelay(
                self.metrics, guard, d, check, self._failed_body, body.get("instructions")
            )
            relay.images = not self._labelling(guard)  # (none unlabelled: not asked for)

            async def run() -> AsyncIterator[bytes]:
                async for event in relay.run(response):
                    yield event
                await keep(relay.response.get("id"))

            return Reply(200, stream=run(), decision=d.verdict, kinds=d.kinds)
        data = as_asked(
            await self._json("POST", "/responses", payload, guard, listed="output"),
            body.get("instructions"),
        )
        reply = await self._label_output(guard, self._checked_response(guard, data, d), d)
        await keep(data.get("id"))
        return reply

    async def stored_response(
        self,
        method: str,
        response_id: str,
        asked: str | None,
        query: str,
        rid: str,
        app: str | None = None,
    ) -> Reply:
        """A response the upstream stored: ``GET /v1/responses/<id>`` (and ``POST
        .../cancel``, which answers with the response) checked as an answer is, the user's
        values restored where the policy keeps them (`aisec.guard.vaults`); ``GET
        .../input_items`` with the user's values restored; ``DELETE`` passed on, and what
        was kept of it forgotten. A streamed retrieval is refused (400)."""
        guard = self.guard_for(app)
        application = app or self.settings.application
        keeper = self.keepers.get(application)
        if not _QUERY.fullmatch(query):
            raise bad_request(
                "the query of a stored response's path is not one the guard passes on"
            )
        if "stream=true" in query.lower():
            raise bad_request("a stored response is not streamed through the guard")
        path = f"/responses/{response_id}" + (f"/{asked}" if asked else "")
        path += f"?{query}" if query and method in ("GET", "HEAD") else ""
        if method == "DELETE":
            data = await self._json("DELETE", path, None, guard)
            if keeper is not None:
                await asyncio.to_thread(keeper.forget, application, response_id)
            return Reply(200, data)
        kept = None
        if keeper is not None:
            kept = await asyncio.to_thread(keeper.load, application, response_id)
        vault = kept if kept is not None else TokenVault()
        if asked == "input_items":
            data = await self._json("GET", path, None, guard, listed="data")
            mark = guard.canary_mark
            data["data"] = [restored_item(item, vault, mark) for item in data.get("data") or []]
            return Reply(200, data)
        upstream_method = "POST" if asked == "cancel" else "GET"
        payload: Body | None = {} if upstream_method == "POST" else None
        data = await self._json(upstream_method, path, payload, guard, listed="output")
        d = Decision("allow", "input", RequestContext(request_id=rid, vault=vault))
        return await self._label_output(guard, self._checked_response(guard, data, d), d)

    async def conversation(
        self,
        method: str,
        conversation_id: str | None,
        items: bool,
        item_id: str | None,
        query: str,
        body: Body,
        rid: str,
        app: str | None = None,
    ) -> Reply:
        """OpenAI's Conversations API: ``POST /v1/conversations``, ``GET``/``POST``/``DELETE
        /v1/conversations/<id>``, ``GET``/``POST .../items`` and ``GET``/``DELETE
        .../items/<item>``. The items a client adds (making a conversation, or later) are
        checked and redacted as a Responses request's input items are, numbered on from
        what is kept of the conversation (`aisec.guard.vaults`), and kept with it; a block
        is 403 (there is no answer to put a refusal in). Items read back are shown as
        `shown_item` says: what the model made checked as an answer, the rest with the
        user's values back. A conversation's metadata and deletions are passed on;
        deleting a conversation forgets what was kept of it."""
        guard = self.guard_for(app)
        application = app or self.settings.application
        keeper = self.keepers.get(application)
        if not _QUERY.fullmatch(query):
            raise bad_request("the query of a conversation's path is not one the guard passes on")
        path = "/conversations" + "".join(
            part
            for part, there in (
                (f"/{conversation_id}", conversation_id),
                ("/items", items),
                (f"/{item_id}", item_id),
            )
            if there
        )
        path += f"?{query}" if query and (method == "GET" or items) else ""
        kept = None
        if keeper is not None and conversation_id is not None and items:
            kept = await asyncio.to_thread(keeper.load, application, conversation_id)
        if method == "POST" and (conversation_id is None or items):
            where = (path, conversation_id, application, keeper)
            return await self._add_items(guard, where, body, kept, rid)
        if method == "DELETE":
            data = await self._json("DELETE", path, None, guard)
            if keeper is not None and conversation_id is not None and not items:
                await asyncio.to_thread(keeper.forget, application, conversation_id)
            return Reply(200, data)
        if not items:  # a conversation's metadata: read or updated
            payload = body if method == "POST" else None
            return Reply(200, await self._json(method, path, payload, guard))
        data = await self._json("GET", path, None, guard, listed="data")
        context = RequestContext(request_id=rid, vault=kept if kept is not None else TokenVault())
        if item_id is None:
            data["data"], decisions = self._shown_items(guard, data.get("data"), context)
            labels = await self._label(guard, generated_images(data["data"]), context, "result")
        else:
            [shown], decisions = self._shown_items(guard, [data], context)
            assert isinstance(shown, dict)
            data = shown
            labels = await self._label(guard, generated_images([data]), context, "result")
        verdict, kinds = merge(decisions)
        data["aisec"] = aisec_field(verdict, kinds)
        if labels:
            data["aisec"]["labels"] = labels
        return Reply(200, data, decision=verdict, kinds=kinds)

    async def _add_items(
        self,
        guard: Guard,
        where: tuple[str, str | None, str, VaultKeeper | None],
        body: Body,
        kept: TokenVault | None,
        rid: str,
    ) -> Reply:
        """Items added to a conversation (a new one's, or ``POST .../items``): checked and
        redacted as Responses input items, the placeholders kept with the conversation.
        ``where``: the upstream's path, the conversation's id (None: a new one), the
        application and its `VaultKeeper`."""
        path, conversation_id, application, keeper = where
        raw = body.get("items")
        if raw is None and conversation_id is None:  # a new conversation without items
            return Reply(200, await self._json("POST", path, body, guard))
        if not isinstance(raw, list):
            raise bad_request("'items' must be a list of items")
        try:
            request = ResponsesInput({"input": raw})
        except InvalidRequest as exc:
            raise bad_request(str(exc).replace("'input'", "'items'")) from None
        d = self._input(guard, request.messages, rid, conversation_id is not None, kept)
        if d.blocked:
            return Reply(403, blocked_error(d), decision="block", kinds=d.kinds)
        payload = {**body, "items": request.payload(d.messages or [])["input"]}
        data = await self._json("POST", path, payload, guard, listed="data")
        made = conversation_id or data.get("id")
        if keeper is not None and isinstance(made, str) and made and len(d.context.vault):
            await asyncio.to_thread(keeper.save, application, [made], d.context.vault)
        decisions = [d]
        if conversation_id is not None:  # the items added, as stored
            data["data"], shown = self._shown_items(guard, data.get("data"), d.context)
            decisions += shown
        verdict, kinds = merge(decisions)
        data["aisec"] = aisec_field(verdict, kinds)
        return Reply(200, data, decision=verdict, kinds=kinds)

    def _shown_items(
        self, guard: Guard, items: object, context: RequestContext
    ) -> tuple[list[object], list[Decision]]:
        """Stored conversation items as the client is shown them (`shown_item`), and the
        decisions of the checks; 502 when the guard cannot read one."""
        check = self._checker(context)
        shown: list[object] = []
        decisions: list[Decision] = []
        try:
            for item in items if isinstance(items, list) else []:
                one, made = shown_item(item, guard, check, context.vault)
                shown.append(one)
                decisions += made
        except Uncheckable:
            raise self._bad_body() from None
        return shown, decisions

    def _checked_response(self, guard: Guard, data: Body, d: Decision) -> Reply:
        """The answer for a whole Responses ``data``, its output checked in place
        (`check_output`) against the request's decision ``d``; 502 when unreadable."""
        try:
            decisions, _ = check_output(data, guard, self._checker(d.context))
        except Uncheckable:
            raise self._bad_body() from None
        return self._answer(guard, data, [d, *decisions])

    async def models(self, model: str | None = None) -> Reply:
        """``GET /v1/models``: the upstream's list; ``GET /v1/models/<model>``: one."""
        path = "/models" if model is None else f"/models/{model}"
        return Reply(200, await self._json("GET", path, None, self.guard))
