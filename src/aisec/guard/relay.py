"""The streamed answer of the proxy: the upstream's server-sent events re-emitted through
the guard's sliding-window `StreamChecker` as ``chat.completion.chunk`` (or
``text_completion``) events, the last one carrying ``"aisec"``; an upstream failure
mid-stream becomes an error event. Tool calls are gathered from their pieces and passed
on whole at the end, once their arguments are checked (`ToolCalls`); so is the model's
``refusal``. A content given in parts is read for its text parts; a chunk without
choices (the usage chunk) is passed on with its known members only (`TRAILER`). The
stream decision is recorded however the stream ends: finished, cut off by the guard,
failed upstream, or abandoned by the client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from aisec.guard.chat import part_texts
from aisec.guard.decision import Decision
from aisec.guard.metrics import ProxyMetrics
from aisec.guard.openai_api import REASONING_FIELDS, Body, ChunkMaker, aisec_field, merge, sse
from aisec.guard.stream import StreamChecker
from aisec.guard.upstream import UpstreamError, UpstreamResponse

if TYPE_CHECKING:
    from aisec.guard.guard import Guard


class ToolCalls:
    """The tool calls of a streamed answer, gathered from their pieces (``tool_calls`` by
    index, the legacy ``function_call``) and passed on whole at the end, once their
    arguments are checked: a placeholder to restore, or a text to block, may be split
    over pieces. As the OpenAI client gathers them: the name and arguments of a call are
    the concatenation of its pieces', its id and type the last given."""

    def __init__(self) -> None:
        self.calls: dict[int, Body] = {}
        self.legacy: Body | None = None
        #: the pieces of each call's name and arguments (joined at the end: a long
        #: argument in many pieces is not copied again with each)
        self._pieces: dict[tuple[int, str], list[str]] = {}

    def __bool__(self) -> bool:
        return bool(self.calls) or self.legacy is not None

    def take(self, delta: Body) -> None:
        """Gather the tool-call pieces of ``delta``."""
        pieces = delta.get("tool_calls")
        for piece in pieces if isinstance(pieces, list) else []:
            if not isinstance(piece, dict):
                continue
            index = piece.get("index")
            index = index if isinstance(index, int) else 0
            call = self.calls.setdefault(index, {"index": index, "function": {}})
            for key in ("id", "type"):
                if isinstance(piece.get(key), str):
                    call[key] = piece[key]
            self._add(index, piece.get("function"))
        legacy = delta.get("function_call")
        if isinstance(legacy, dict):
            self.legacy = self.legacy if self.legacy is not None else {}
            self._add(-1, legacy)

    def _add(self, index: int, function: object) -> None:
        """Keep the name and argument pieces of call ``index`` (-1: the legacy call)."""
        if isinstance(function, dict):
            for key in ("name", "arguments"):
                if isinstance(function.get(key), str):
                    self._pieces.setdefault((index, key), []).append(function[key])

    def _functions(self) -> list[Body]:
        """The calls' functions (the legacy call last), their pieces joined."""
        out = []
        for index in [*sorted(self.calls), -1]:
            function = self.legacy if index == -1 else self.calls[index]["function"]
            if function is None:
                continue
            for key in ("name", "arguments"):
                if (index, key) in self._pieces:
                    function[key] = "".join(self._pieces[index, key])
            out.append(function)
        return out

    def check(
        self, guard: Guard, d: Decision, metrics: ProxyMetrics
    ) -> tuple[list[Decision], Decision | None]:
        """Check every call's arguments and restore the user's values in them: the
        decisions, and the first blocked one (then nothing is to be passed on)."""
        decisions = []
        for function in self._functions():
            out = guard.check_tool_arguments(function.setdefault("arguments", ""), d.context)
            metrics.decision("output", out.verdict, out.kinds, out.latency_ms / 1000)
            decisions.append(out)
            if out.text is not None and not out.blocked:
                function["arguments"] = out.text
        return decisions, next((out for out in decisions if out.blocked), None)

    def deltas(self) -> list[Body]:
        """The calls as one ``tool_calls`` delta (in index order)."""
        return [self.calls[i] for i in sorted(self.calls)]


#: the members of a chunk without choices that are passed on (the usage chunk's)
TRAILER = ("id", "object", "created", "model", "system_fingerprint", "choices", "usage")


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
    tools = ToolCalls()
    whole_decisions: list[Decision] = []
    withheld = False
    refusal: list[str] = []  # the pieces of the model's refusal (``delta.refusal``)
    #: the model's reasoning (``delta.reasoning_content``, as DeepSeek and Qwen send it),
    #: checked on its own window before the answer, without a notice
    thinking: StreamChecker | None = None
    said = REASONING_FIELDS[0]  # the name it came (and goes) under

    def thought(piece: str, role: bool) -> bytes:
        return sse(maker.make(None, role=role, reasoning=piece, reasoning_field=said))

    ended = "client_disconnected"  # unless the loop says otherwise
    try:
        # (the bound counts the characters of the event lines)
        async for chunk in response.events(guard.config.proxy.max_answer_bytes):
            if "error" in chunk:  # the upstream failed mid-stream: pass its error on
                ended = "upstream_error"
                metrics.upstream_errors.labels("stream_error").inc()
                yield sse({"error": chunk["error"]})
                yield sse("[DONE]")
                return
            choices = chunk.get("choices")
            if not choices:  # e.g. the usage chunk of stream_options: its known members
                trailers.append({k: chunk[k] for k in TRAILER if k in chunk})
                continue
            if not isinstance(choices, list):  # not a completion's shape: nothing to show
                continue
            maker.adopt(chunk)
            choice = choices[0] if isinstance(choices[0], dict) else {}
            finish = choice.get("finish_reason") or finish
            delta = choice.get("delta") if chat else choice
            delta = delta if isinstance(delta, dict) else {}
            text = delta.get("content") if chat else delta.get("text")
            if chat:
                if isinstance(text, list):  # content in parts: their texts
                    parts = part_texts(text, strict=False)
                    text = "".join(h[k] for h, k in parts if k == "text")
                if isinstance(delta.get("refusal"), str):
                    refusal.append(delta["refusal"])  # checked whole at the end
                tools.take(delta)  # passed on whole at the end, checked
                for field in REASONING_FIELDS:
                    reasoning = delta.get(field)
                    if not isinstance(reasoning, str) or not reasoning:
                        continue
                    if thinking is None:
                        thinking = StreamChecker(guard, d.context, notice=False)
                        said = field
                    for piece in thinking.push(reasoning):
                        yield thought(piece, not role_sent)
                        role_sent = True
                    break
                if thinking is not None and thinking.stopped:
                    break
            if not isinstance(text, str) or not text:
                continue
            if thinking is not None and not thinking.done:  # the answer begins
                for piece in thinking.end():
                    yield thought(piece, not role_sent)
                    role_sent = True
                if thinking.stopped:
                    break
            for piece in checker.push(text):
                yield sse(maker.make(piece, role=chat and not role_sent))
                role_sent = True
            if checker.stopped:
                break
        if thinking is not None and not thinking.done:  # a reasoning with no answer after it
            for piece in thinking.end():
                yield thought(piece, not role_sent)
                role_sent = True
        if thinking is not None and thinking.stopped:  # no answer follows a stopped reasoning
            checker.abandon("reasoning_stopped")
        for piece in checker.end():
            yield sse(maker.make(piece, role=chat and not role_sent))
            role_sent = True
        going = not checker.stopped and not (thinking is not None and thinking.stopped)
        if refusal and going:  # (short) checked whole and sent in one piece
            said_no = guard.check_output("".join(refusal), d.context, notice=False)
            metrics.decision("output", said_no.verdict, said_no.kinds, said_no.latency_ms / 1000)
            whole_decisions.append(said_no)
            if said_no.blocked:
                going, withheld = False, True
                yield sse(maker.make(said_no.text or "", role=not role_sent))
            else:
                yield sse(maker.make(None, role=not role_sent, refusal=said_no.text))
            role_sent = True
        if tools and going:
            more, blocked = tools.check(guard, d, metrics)
            whole_decisions += more
            if blocked is not None:
                withheld = True
                yield sse(maker.make(blocked.text or "", role=not role_sent))
            else:
                calls = tools.deltas()
                yield sse(
                    maker.make(
                        None, role=not role_sent, tool_calls=calls, function_call=tools.legacy
                    )
                )
            role_sent = True
    except UpstreamError as exc:
        ended = "upstream_error"
        yield sse(failed(exc))
        yield sse("[DONE]")
        return
    finally:
        for stream in (checker, thinking):
            if stream is not None and not stream.done:
                # the client went away mid-stream (the server cancels or closes this
                # generator) or the upstream failed: record the decision all the same
                stream.abandon(ended)
                if stream.decision is not None:
                    _stream_metrics(metrics, stream.decision)
        await response.aclose()
    decisions = [s.decision for s in (thinking, checker) if s is not None and s.decision]
    for decision in decisions:
        _stream_metrics(metrics, decision)
    verdict, kinds = merge([d, *decisions, *whole_decisions])
    stopped = checker.stopped or (thinking is not None and thinking.stopped)
    reason = "content_filter" if stopped or withheld else (finish or "stop")
    notice = guard.withheld_notice(d.context)
    yield sse(maker.make(None, reason, aisec=aisec_field(verdict, kinds, notice)))
    for trailer in trailers:
        yield sse(trailer)
    yield sse("[DONE]")
