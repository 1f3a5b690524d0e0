"""The OpenAI wire format the proxy speaks: error bodies, refusals, stream chunks.

Kept apart from the proxy's logic so that every body the proxy makes itself has one
shape: ``{"error": {"message", "type", "code"}}`` for errors, a normal completion (the
refusal as the assistant's answer, ``finish_reason: content_filter``) for a block, with
``"aisec": {"decision", "kinds"}`` beside ``choices``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aisec.guard.decision import Decision, strongest
from aisec.io.unicode import json_text

Body = dict[str, Any]
#: runs one of the guard's checks on a text and counts it: ``check(method, text)``
Check = Callable[[Callable[..., Decision], str], Decision]


def error_body(message: str, type_: str, code: str | None = None, **extra: Any) -> Body:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": type_, "code": code, "param": None}, **extra}


def aisec_field(verdict: str, kinds: list[str], notice: str | None = None) -> Body:
    """The ``aisec`` object beside ``choices`` (with the GB 45438 ``notice`` that a JSON
    answer cannot carry itself, when there is one)."""
    field: Body = {"decision": verdict, "kinds": kinds}
    if notice is not None:
        field["notice"] = notice
    return field


def wants_json(body: Body) -> bool:
    """Whether a chat request asks for a JSON answer (``response_format`` ``json_object``
    or ``json_schema``)."""
    form = body.get("response_format")
    return isinstance(form, dict) and form.get("type") in ("json_object", "json_schema")


#: where a chat answer carries the model's reasoning: ``reasoning_content`` (DeepSeek, Qwen,
#: GLM, Kimi, vLLM), ``reasoning`` (OpenRouter, newer vLLM)
REASONING_FIELDS = ("reasoning_content", "reasoning")


def merge(decisions: list[Decision]) -> tuple[str, list[str]]:
    """The overall verdict and the kinds of several decisions (for `aisec_field`)."""
    return (
        strongest([d.verdict for d in decisions]),
        sorted({k for d in decisions for k in d.kinds}),
    )


def chat_completion(
    completion_id: str, model: str, content: str, finish_reason: str, aisec: Body
) -> Body:
    """A complete ``chat.completion`` made by the proxy (a refusal)."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "aisec": aisec,
    }


def text_completion(
    completion_id: str, model: str, text: str, finish_reason: str, aisec: Body
) -> Body:
    """A complete legacy ``text_completion`` made by the proxy (a refusal)."""
    return {
        "id": completion_id,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "text": text, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "aisec": aisec,
    }


def refusal_body(chat: bool, decision: Decision, model: str) -> Body:
    """The answer to a blocked request (HTTP 200 form)."""
    make = chat_completion if chat else text_completion
    return make(
        f"{'chatcmpl' if chat else 'cmpl'}-aisec-{decision.request_id}",
        model,
        decision.text or decision.refusal or "",
        "content_filter",
        decision.summary(),
    )


def blocked_error(decision: Decision) -> Body:
    """The answer to a blocked request (HTTP 403 form): the refusal as the message."""
    return error_body(
        decision.text or decision.refusal or "blocked",
        "content_filter",
        "content_blocked",
        aisec=decision.summary(),
    )


def sse(data: Body | str) -> bytes:
    """One server-sent event."""
    text = data if isinstance(data, str) else json_text(data)
    return f"data: {text}\n\n".encode()


class ChunkMaker:
    """Stream chunks in the style of the upstream's (same id, model, created)."""

    def __init__(self, chat: bool, completion_id: str, model: str) -> None:
        self.chat = chat
        self.id = completion_id
        self.model = model
        self.created = int(time.time())

    def adopt(self, chunk: Body) -> None:
        """Take id, model and created from an upstream chunk."""
        self.id = str(chunk.get("id") or self.id)
        self.model = str(chunk.get("model") or self.model)
        created = chunk.get("created")
        if isinstance(created, int):
            self.created = created

    def make(
        self,
        text: str | None,
        finish_reason: str | None = None,
        *,
        role: bool = False,
        aisec: Body | None = None,
        tool_calls: list[Body] | None = None,
        function_call: Body | None = None,
        reasoning: str | None = None,
        reasoning_field: str = "reasoning_content",
        refusal: str | None = None,
    ) -> Body:
        """A chunk carrying ``text`` (and/or a finish reason, tool calls whole, the
        legacy function call, a piece of the model's reasoning under ``reasoning_field``,
        the model's refusal)."""
        if self.chat:
            delta: Body = {}
            if role:
                delta["role"] = "assistant"
            if reasoning is not None:
                delta[reasoning_field] = reasoning
            if text is not None:
                delta["content"] = text
            if refusal is not None:
                delta["refusal"] = refusal
            if tool_calls:
                delta["tool_calls"] = tool_calls
            if function_call is not None:
                delta["function_call"] = function_call
            choice: Body = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        else:
            choice = {"index": 0, "text": text or "", "finish_reason": finish_reason}
        body: Body = {
            "id": self.id,
            "object": "chat.completion.chunk" if self.chat else "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [choice],
        }
        if aisec is not None:
            body["aisec"] = aisec
        return body
