"""The streamed answer of the proxy: the upstream's server-sent events re-emitted through
the guard's sliding-window `StreamChecker` as ``chat.completion.chunk`` (or
``text_completion``) events, the last one carrying ``"aisec"``; an upstream failure
mid-stream becomes an error event. The stream decision is recorded however the stream
ends: finished, cut off by the guard, failed upstream, or abandoned by the client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from aisec.guard.decision import Decision
from aisec.guard.metrics import ProxyMetrics
from aisec.guard.openai_api import Body, ChunkMaker, aisec_field, merge, sse
from aisec.guard.stream import StreamChecker
from aisec.guard.upstream import UpstreamError, UpstreamResponse
from aisec.io.records import load_json

if TYPE_CHECKING:
    from aisec.guard.guard import Guard


def _stream_metrics(metrics: ProxyMetrics, decision: Decision) -> None:
    metrics.decision("stream", decision.verdict, decision.kinds, decision.latency_ms / 1000)


async def relay(
    metrics: ProxyMetrics,
    chat: bool,
    response: UpstreamResponse,
    guard: Guard,
    d: Decision,
    model: str,
    failed: Callable[[UpstreamError], Body],
) -> AsyncIterator[bytes]:
    """Re-emit ``response`` (the upstream's stream) through the guard; ``d`` is the input
    decision, ``failed`` turns an upstream error into the error body to send."""
    checker = StreamChecker(guard, d.context)
    maker = ChunkMaker(chat, f"{'chatcmpl' if chat else 'cmpl'}-aisec-{d.request_id}", model)
    role_sent = False
    finish: str | None = None
    trailers: list[Body] = []
    ended = "client_disconnected"  # unless the loop says otherwise
    try:
        async for line in response.lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            try:
                chunk = load_json(data)
            except ValueError:
                continue
            if not isinstance(chunk, dict):
                continue
            if "error" in chunk:  # the upstream failed mid-stream: pass its error on
                ended = "upstream_error"
                metrics.upstream_errors.labels("stream_error").inc()
                yield sse({"error": chunk["error"]})
                yield sse("[DONE]")
                return
            choices = chunk.get("choices")
            if not choices:
                trailers.append(chunk)  # e.g. the usage chunk of stream_options
                continue
            maker.adopt(chunk)
            choice = choices[0] if isinstance(choices[0], dict) else {}
            finish = choice.get("finish_reason") or finish
            delta = choice.get("delta") if chat else choice
            delta = delta if isinstance(delta, dict) else {}
            text = delta.get("content") if chat else delta.get("text")
            if not isinstance(text, str) or not text:
                if chat and ("tool_calls" in delta or "function_call" in delta):
                    yield sse(chunk)  # tool calls are passed on unchecked
                continue
            for piece in checker.push(text):
                yield sse(maker.make(piece, role=chat and not role_sent))
                role_sent = True
            if checker.stopped:
                break
        for piece in checker.end():
            yield sse(maker.make(piece, role=chat and not role_sent))
            role_sent = True
    except UpstreamError as exc:
        ended = "upstream_error"
        yield sse(failed(exc))
        yield sse("[DONE]")
        return
    finally:
        if not checker.done:
            # the client went away mid-stream (the server cancels or closes this
            # generator) or the upstream failed: record the decision all the same
            checker.abandon(ended)
            if checker.decision is not None:
                _stream_metrics(metrics, checker.decision)
        await response.aclose()
    decision = checker.decision
    if decision is not None:
        _stream_metrics(metrics, decision)
    verdict, kinds = merge([d, decision] if decision is not None else [d])
    reason = "content_filter" if checker.stopped else (finish or "stop")
    yield sse(maker.make(None, reason, aisec=aisec_field(verdict, kinds)))
    for trailer in trailers:
        yield sse(trailer)
    yield sse("[DONE]")
