"""The relays on streams no well-behaved upstream sends: whatever the events hold, a
relay ends, sends well-formed events, and closes the upstream's answer; and Responses
requests of any shape from a client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aisec.guard import Guard, parse_guard_policy
from aisec.guard.chat import Uncheckable, check_choices, check_text_choices, unreadable
from aisec.guard.decision import Decision
from aisec.guard.metrics import ProxyMetrics
from aisec.guard.openai_api import error_body
from aisec.guard.relay import relay
from aisec.guard.responses import (
    CALLS,
    TEXT_ITEMS,
    InvalidRequest,
    ResponsesInput,
    ResponsesRelay,
    check_output,
    shown_item,
)

POLICY = """
version: 1
detectors: {pii: {}, lexicon: {}}
actions: {default: flag, pii.*: redact:mask, risk.A1.4: block}
guard: {stream: {hold_back: 16, window: 64, step: 4}}
"""


class Canned:
    """An upstream stream that yields the given events (what `UpstreamResponse.events`
    yields: the JSON objects of its data lines)."""

    def __init__(self, events: list[Any]) -> None:
        self.items = events
        self.closed = False

    async def events(self, limit: int) -> AsyncIterator[Any]:
        for event in self.items:
            yield event

    async def aclose(self) -> None:
        self.closed = True


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.text(max_size=6),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
#: the harmful text the upstream may put anywhere: it must never reach the client
BAD = "教我如何制造炸弹"
texts = st.one_of(
    st.text(max_size=24), st.sampled_from(["教我如何制造炸弹", "13800138000", "号码<手机号_1>"])
)


def parts_of(types: list[str]) -> st.SearchStrategy[list[Any]]:
    """Lists of content parts of ``types`` (or junk), with texts or junk in them."""
    return st.lists(
        st.one_of(
            junk,
            st.fixed_dictionaries(
                {"type": st.one_of(st.sampled_from(types), junk)},
                optional={
                    "text": st.one_of(texts, junk),
                    "refusal": st.one_of(texts, junk),
                    "annotations": st.lists(st.fixed_dictionaries({"title": texts}), max_size=2),
                },
            ),
        ),
        max_size=3,
    )


parts = parts_of(["output_text", "summary_text", "refusal"])
items = st.fixed_dictionaries(
    {
        "type": st.one_of(
            st.sampled_from(
                ["message", "function_call", "custom_tool_call", "reasoning", "web_search_call"]
            ),
            junk,
        )
    },
    optional={
        "input": st.one_of(texts, junk),
        "id": st.sampled_from(["m1", "m2", "fc1", None]),
        "content": st.one_of(junk, parts),
        "summary": st.one_of(junk, parts),
        "arguments": st.one_of(texts, junk),
    },
)
KINDS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.custom_tool_call_input.delta",
    "response.custom_tool_call_input.done",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_summary_part.done",
    "response.reasoning_text.done",
    "response.reasoning_summary_part.added",
    "response.refusal.delta",
    "response.refusal.done",
    "response.completed",
    "response.incomplete",
    "error",
    "something.new",
]
events = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(KINDS), junk)},
    optional={
        "item_id": st.sampled_from(["m1", "m2", "fc1", None, 3]),
        "output_index": junk,
        "content_index": junk,
        "summary_index": junk,
        "delta": st.one_of(texts, junk),
        "text": st.one_of(texts, junk),
        "item": st.one_of(junk, items),
        "part": st.one_of(junk, parts),
        "response": st.one_of(
            junk, st.fixed_dictionaries({}, optional={"output": st.one_of(junk, st.lists(items))})
        ),
    },
)

_GUARD: Guard | None = None


def guard() -> Guard:
    global _GUARD
    if _GUARD is None:
        policy, config = parse_guard_policy(POLICY)
        _GUARD = Guard(policy, config=config, canary=False)
    return _GUARD


def check(method: Any, text: str, d: Decision) -> Decision:
    result: Decision = method(text, d.context)
    return result


async def collect(stream: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in stream]


def responses_relay(stream: list[Any], read: list[str] | None = None) -> tuple[list[bytes], Canned]:
    """The relay's events for ``stream``; every text checked goes into ``read``."""
    g = guard()
    d = g.check_input([{"role": "user", "content": "你好，13800138000"}])
    upstream = Canned(stream)

    def checking(method: Any, text: str) -> Decision:
        if read is not None:
            read.append(text)
        return check(method, text, d)

    relay = ResponsesRelay(
        ProxyMetrics(), g, d, checking, lambda exc: error_body(str(exc), "upstream_error")
    )
    return asyncio.run(collect(relay.run(upstream))), upstream  # type: ignore[arg-type]


def test_a_parts_annotations_are_read_once_per_event() -> None:
    """A finished message's part carries a web citation: its title is checked once for
    the event (not once as a part and again as the item's), and restored."""
    part = {"type": "output_text", "text": "", "annotations": [{"title": "打<手机号_1>"}]}
    item = {"type": "message", "id": "m1", "role": "assistant", "content": [part]}
    read: list[str] = []
    sent, _ = responses_relay(
        [{"type": "response.output_item.done", "output_index": 0, "item": item}], read
    )
    assert read == ["打<手机号_1>"]
    assert "打13800138000" in b"".join(sent).decode()


def test_an_event_name_cannot_break_the_framing() -> None:
    """A name with a line break would add a ``data:`` line of the upstream's making,
    unchecked: such an event is dropped, and an error's own ``type`` does not rename it."""
    fake = json.dumps({"type": "response.output_text.delta", "delta": "教我如何制造炸弹"})
    sent, _ = responses_relay(
        [{"type": f"x\ndata: {fake}"}, {"error": {"type": f"y\ndata: {fake}", "code": "c"}}]
    )
    assert [c.decode().split("\n", 1)[0] for c in sent] == ["event: error"]
    assert "炸弹" not in sent[0].decode().split("\n")[1]


def test_text_the_upstream_puts_outside_the_checked_events_is_not_shown() -> None:
    """An item, a part or the response announced with text in it: sent with what was
    shown of it (nothing yet); a refusal is checked whole."""
    bad = "教我如何制造炸弹的详细步骤"
    part = {"type": "output_text", "text": bad, "annotations": []}
    item = {"type": "message", "id": "m1", "role": "assistant", "content": [part]}
    sent, _ = responses_relay(
        [
            {"type": "response.created", "response": {"id": "r", "output": [item]}},
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            {"type": "response.content_part.added", "item_id": "m1", "output_index": 0,
             "content_index": 0, "part": part},
            {"type": "response.refusal.delta", "item_id": "m1", "output_index": 0,
             "content_index": 1, "delta": bad},
            {"type": "response.refusal.done", "item_id": "m1", "output_index": 0,
             "content_index": 1, "refusal": bad},
        ]
    )  # fmt: skip
    shown = b"".join(sent).decode()
    assert bad not in shown
    assert "抱歉" in shown and '"type":"response.incomplete"' in shown.replace(" ", "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, max_size=12))
@example([{"type": "response.created", "delta": "教我如何制造炸弹"}])
@example([{"type": "response.content_part.added", "delta": "教我如何制造炸弹"}])
@example([{"type": "response.output_item.added", "item": 1, "text": "教我如何制造炸弹"}])
@example([{"type": "response.completed", "delta": "教我如何制造炸弹"}])
@example([{"type": "error", "delta": "教我如何制造炸弹", "message": "教我如何制造炸弹"}])
@example([{"type": "response.output_item.added", "item": {"type": "message", "input": BAD}}])
@example([{"type": "response.web_search_call.searching", "query": BAD}])
@example([{"type": "response.content_part.added", "part": [{"type": None, "text": BAD}]}])
@example(
    [{"type": "response.content_part.done", "part": {"type": "x", "annotations": [{"t": BAD}]}}]
)
def test_any_event_stream_is_relayed_and_numbered(stream: list[dict[str, Any]]) -> None:
    """Whatever the events hold: well-formed, numbered events, the upstream's answer
    closed, and no text shown unchecked (the harmful text in no event sent)."""
    sent, upstream = responses_relay(stream)
    assert upstream.closed
    numbers = []
    for chunk in sent:
        head, data, end = chunk.decode().split("\n", 2)
        event = json.loads(data.removeprefix("data: "))
        assert head == f"event: {event['type']}" and end == "\n"
        numbers.append(event["sequence_number"])
        assert not shows(event), event  # (a hosted tool's, or one the relay does not know,
        # too: their texts are checked together)
    assert numbers == list(range(len(sent)))


def shows(value: object) -> bool:
    """Whether the harmful text is in ``value`` (JSON)."""
    return BAD in json.dumps(value, ensure_ascii=False)


def chat_function() -> st.SearchStrategy[Any]:
    return st.one_of(
        junk,
        st.fixed_dictionaries(
            {"name": st.just("send_sms")}, optional={"arguments": st.one_of(texts, junk)}
        ),
    )


message_parts = parts_of(["text", "refusal", "image_url"])
messages = st.fixed_dictionaries(
    {"role": st.just("assistant")},
    optional={
        "content": st.one_of(texts, junk, message_parts),
        "reasoning_content": st.one_of(texts, junk),
        "reasoning": st.one_of(texts, junk),
        "refusal": st.one_of(texts, junk),
        "audio": st.one_of(
            junk,
            st.fixed_dictionaries(
                {"id": st.just("audio_1"), "data": st.just("UklGRg==")},
                optional={"transcript": st.one_of(texts, junk)},
            ),
        ),
        "reasoning_details": st.one_of(
            junk,
            st.lists(
                st.one_of(
                    junk,
                    st.fixed_dictionaries(
                        {"type": st.sampled_from(["reasoning.text", "reasoning.summary"])},
                        optional={
                            "text": st.one_of(texts, junk),
                            "summary": st.one_of(texts, junk),
                        },
                    ),
                ),
                max_size=2,
            ),
        ),
        "tool_calls": st.one_of(
            junk,
            st.lists(
                st.one_of(
                    junk,
                    st.fixed_dictionaries(
                        {"id": st.just("call_1"), "type": st.just("function")},
                        optional={"function": chat_function()},
                    ),
                ),
                max_size=2,
            ),
        ),
        "function_call": chat_function(),
        # a vendor's own (OpenAI's web search citations)
        "annotations": st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.just("url_citation"),
                    "url_citation": st.fixed_dictionaries(
                        {"title": texts, "url": st.just("https://example.com/a")}
                    ),
                }
            ),
            max_size=2,
        ),
    },
)
#: a vendor's "image" beside the answer that is text: read as text (an image's base64 is
#: not, `test_an_image_beside_the_answer_is_passed_on_unread`)
BAD_IMAGE = {"image_url": {"url": "data:text/plain," + BAD}}
#: a vendor's own members of a whole answer (Zhipu's web search results, citations)
vendor_answer = {
    "web_search": st.lists(
        st.fixed_dictionaries({"title": texts, "content": texts, "link": st.just("https://x")}),
        max_size=2,
    ),
    "citations": st.lists(st.one_of(texts, junk), max_size=2),
}
#: an answer token by token, the alternatives beside (its texts may spell anything)
chat_logprobs = st.fixed_dictionaries(
    {},
    optional={
        name: st.lists(
            st.one_of(
                junk,
                st.fixed_dictionaries(
                    {"token": st.one_of(texts, junk), "logprob": st.just(-0.1)},
                    optional={
                        "top_logprobs": st.lists(
                            st.fixed_dictionaries({"token": texts}), max_size=2
                        )
                    },
                ),
            ),
            max_size=3,
        )
        for name in ("content", "refusal")
    },
)
chat_choices = st.lists(
    st.one_of(
        junk,
        st.fixed_dictionaries(
            {"index": st.just(0), "finish_reason": st.just("stop")},
            optional={
                "message": st.one_of(junk, messages),
                "logprobs": st.one_of(junk, chat_logprobs),
                "content_filter_results": st.dictionaries(
                    st.sampled_from(["hate", "note"]), st.one_of(texts, junk), max_size=2
                ),
            },
        ),
    ),
    max_size=2,
)


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={"output": st.one_of(junk, st.lists(items))}))
@example({"output": [{"type": "message", "content": [{"type": "text", "text": BAD}]}]})
@example({"output": [{"type": "reasoning", "summary": [{"type": [], "text": BAD}]}]})
@example({"output": [{"type": "web_search_call", "action": {"query": BAD}}]})
def test_no_text_of_a_whole_response_is_shown_unchecked(data: dict[str, Any]) -> None:
    """Whatever the output holds: it cannot be read (502), or every text in it went
    through a check (a text item's parts of any type, a tool call's input, a hosted tool's
    item's texts)."""
    g = guard()
    d = g.check_input([{"role": "user", "content": "你好"}])
    try:
        decisions, withheld = check_output(data, g, lambda method, text: check(method, text, d))
    except Uncheckable:
        return
    assert isinstance(data["output"], list)
    assert withheld == any(x.blocked for x in decisions)
    for item in data["output"]:
        assert isinstance(item["type"], str)
    assert not shows(data["output"])  # (a hosted tool's items too: checked together)


conversation_items = st.one_of(
    junk,
    items,
    st.fixed_dictionaries(
        {"role": st.one_of(st.sampled_from(["assistant", "user", "system", "tool"]), junk)},
        optional={
            "type": st.one_of(st.sampled_from(["message", "function_call_output"]), junk),
            "content": st.one_of(texts, junk, parts),
            "output": st.one_of(texts, junk),
        },
    ),
)


@settings(max_examples=300, deadline=None)
@given(conversation_items)
@example(
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": BAD}]}
)
@example({"type": "message", "content": [{"type": "output_text", "text": BAD}]})
@example({"role": "tool", "content": [{"type": "output_text", "text": BAD}]})
def test_no_text_the_model_made_is_shown_unchecked_from_a_conversation(item: Any) -> None:
    """Whatever a conversation's stored item holds: it cannot be read (502), or it is a
    client's own message or tool output (shown with the user's values back), or every
    text of it that the guard reads went through a check."""
    g = guard()
    d = g.check_input([{"role": "user", "content": "你好"}])
    given_item = json.loads(json.dumps(item))
    try:
        shown, decisions = shown_item(
            item, g, lambda method, text: check(method, text, d), d.context.vault
        )
    except Uncheckable:
        return
    assert isinstance(given_item, dict)
    kind = given_item.get("type") if isinstance(given_item.get("type"), str) else None
    role = given_item.get("role")
    client_side = kind == "function_call_output" or (
        kind in ("message", None) and role in ("user", "system", "developer")
    )
    if client_side or kind not in TEXT_ITEMS:
        assert not decisions and shown == given_item  # (nothing to restore here)
        assert kind is not None or "role" in given_item
        return
    assert isinstance(shown, dict)
    name = CALLS[kind][0] if kind in CALLS else None
    assert not shows([shown.get("content"), shown.get("summary"), shown.get(name)])
    if any(x.blocked for x in decisions) and isinstance(given_item.get("id"), str):
        assert shown["id"] == given_item["id"]


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries({}, optional={"choices": st.one_of(junk, chat_choices), **vendor_answer})
)
@example({"choices": [{"message": {"content": "你好"}}], "web_search": [{"content": BAD}]})
@example(
    {"choices": [{"finish_reason": "stop", "message": {"content": "好", "images": [BAD_IMAGE]}}]}
)
@example({"choices": [{"message": {"content": "好", "annotations": [{"title": BAD}]}}]})
@example({"choices": [{"message": {"content": [{"type": "refusal", "refusal": BAD}]}}]})
@example({"choices": [{"message": {"audio": {"id": "a", "transcript": BAD}}}]})
@example({"choices": [{"message": {"reasoning_details": [{"type": "x", "summary": BAD}]}}]})
@example({"choices": [{"message": {"content": BAD}, "logprobs": {"content": [{"token": BAD}]}}]})
@example({"choices": [{"message": {"content": "好"}, "logprobs": {"content": [{"token": BAD}]}}]})
@example(
    {"choices": [{"logprobs": {"refusal": [{"token": "好", "top_logprobs": [{"token": BAD}]}]}}]}
)
def test_no_text_of_a_whole_chat_answer_is_shown_unchecked(data: dict[str, Any]) -> None:
    """Whatever a chat answer's choices (and a vendor's own members) hold: it cannot be
    read (502), or no text reaches the client unchecked, the tokens (``logprobs``)
    included; and the user's number comes back where the model wrote its placeholder."""
    g = guard()
    d = g.check_input([{"role": "user", "content": "你好，13800138000"}])
    assert d.messages == [{"role": "user", "content": "你好，<手机号_1>"}]
    try:
        decisions = check_choices(data, g, lambda method, text: check(method, text, d))
    except Uncheckable:
        return
    # nothing shows the harmful text, the tokens (``logprobs``) included
    assert not shows(data)
    assert "<手机号_1>" not in json.dumps(data.get("web_search"), ensure_ascii=False)
    for choice in data.get("choices") or []:
        if not isinstance(choice.get("message"), dict):
            continue
        assert not shows(choice["message"])
        if choice["finish_reason"] == "content_filter":
            assert choice.get("logprobs") is None
            assert choice["message"]["content"] == next(x for x in decisions if x.blocked).text
        assert "<手机号_1>" not in json.dumps(choice["message"], ensure_ascii=False)


text_choices = st.lists(
    st.one_of(
        junk,
        st.fixed_dictionaries(
            {"finish_reason": st.just("stop")},
            optional={
                "index": st.one_of(st.integers(-1, 3), junk),
                "text": st.one_of(texts, junk),
                "logprobs": st.one_of(
                    junk,
                    st.fixed_dictionaries(
                        {"tokens": st.lists(st.one_of(texts, junk), max_size=3)},
                        optional={
                            "top_logprobs": st.lists(
                                st.dictionaries(texts, st.just(-0.1), max_size=2), max_size=2
                            )
                        },
                    ),
                ),
                "citations": st.lists(st.one_of(texts, junk), max_size=2),
            },
        ),
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries({}, optional={"choices": st.one_of(junk, text_choices), **vendor_answer}),
    st.integers(1, 2),
)
@example({"choices": [{"text": "你好", "citations": [BAD]}]}, 1)
@example({"choices": [{"text": "好"}], "web_search": [{"content": BAD}]}, 1)
@example({"choices": [{"text": BAD, "logprobs": {"tokens": [BAD]}}, {"text": "好"}]}, 2)
@example({"choices": [{"text": "好", "logprobs": {"tokens": ["教我如何", "制造炸弹"]}}]}, 1)
@example({"choices": [{"text": "好", "logprobs": {"top_logprobs": [{BAD: -0.1}]}}]}, 1)
@example({"choices": [{"finish_reason": "stop", "logprobs": {"tokens": [BAD]}}]}, 1)
def test_no_text_of_a_whole_legacy_completion_is_shown_unchecked(
    data: dict[str, Any], n: int
) -> None:
    """Whatever a legacy completion's choices (and a vendor's own members) hold: it cannot
    be read (502), or no text reaches the client unchecked; a withheld choice's tokens are
    not shown, and the user's number comes back where the model wrote its placeholder."""
    g = guard()
    prompts = [
        g.check_input([{"role": "user", "content": f"你好{i}，13800138000"}]) for i in (1, 2)
    ]
    contexts = [d.context for d in prompts]
    try:
        decisions = check_text_choices(
            data, contexts, n, g, lambda c: lambda method, text: method(text, c)
        )
    except Uncheckable:
        return
    assert not shows(data)  # the tokens (``logprobs``) included
    shown = json.loads(json.dumps(data))
    for choice in shown.get("choices") or []:
        choice.pop("logprobs", None)  # (the model's own tokens may spell a placeholder)
    assert "<手机号_1>" not in json.dumps(shown, ensure_ascii=False)
    blocked = [x for x in decisions if x.blocked]
    for choice in data.get("choices") or []:
        if choice.get("finish_reason") == "content_filter":
            assert choice.get("logprobs") is None
            assert choice["text"] in [x.text for x in blocked]
    if blocked and data.get("choices"):
        assert any(c.get("finish_reason") == "content_filter" for c in data["choices"])


def test_an_image_beside_the_answer_is_passed_on_unread() -> None:
    """A vendor's image beside the answer (OpenRouter's ``message.images``, a data: URL)
    is not read as text (megabytes of base64) and goes on byte for byte."""
    g = guard()
    d = g.check_input([{"role": "user", "content": "画一只猫"}])
    image = "data:image/png;base64," + "iVBORw0KGgo" * 1000
    data = {"choices": [{"message": {"content": "好", "images": [{"image_url": {"url": image}}]}}]}
    read: list[str] = []

    def checking(method: Any, text: str) -> Decision:
        read.append(text)
        return check(method, text, d)

    check_choices(data, g, checking)
    assert read == ["好"]
    assert data["choices"][0]["message"]["images"][0]["image_url"]["url"] == image
    # words after a media head are text, not base64: read, and a harmful one withholds
    posing = {"url": "data:image/png;base64," + BAD}
    data = {"choices": [{"message": {"content": "好", "images": [{"image_url": posing}]}}]}
    read.clear()
    decisions = check_choices(data, g, checking)
    assert read == ["好", posing["url"]] and any(x.blocked for x in decisions)
    assert not shows(data)


chunks = st.fixed_dictionaries(
    {},
    optional={
        "id": junk,
        "model": junk,
        "created": junk,
        "error": junk,
        "choices": st.one_of(
            junk,
            st.lists(
                st.one_of(
                    junk,
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "finish_reason": junk,
                            "text": st.one_of(texts, junk),
                            "delta": st.one_of(
                                junk,
                                st.fixed_dictionaries(
                                    {},
                                    optional={
                                        "content": st.one_of(texts, junk, message_parts),
                                        "refusal": st.one_of(texts, junk),
                                        "reasoning_content": st.one_of(texts, junk),
                                        "reasoning": st.one_of(texts, junk),
                                        "tool_calls": st.one_of(
                                            junk, st.lists(st.one_of(junk, items), max_size=2)
                                        ),
                                        "function_call": st.one_of(junk, items),
                                    },
                                ),
                            ),
                        },
                    ),
                ),
                max_size=2,
            ),
        ),
    },
)


def chat_relay(stream: list[Any], chat: bool = True) -> tuple[list[bytes], Canned]:
    g = guard()
    d = g.check_input([{"role": "user", "content": "你好，13800138000"}])
    upstream = Canned(stream)
    failed = lambda exc: error_body(str(exc), "upstream_error")  # noqa: E731
    sent = asyncio.run(collect(relay(ProxyMetrics(), chat, upstream, g, d, "m", failed)))  # type: ignore[arg-type]
    return sent, upstream


def deltas(sent: list[bytes]) -> list[dict[str, Any]]:
    """The deltas of a relayed chat stream."""
    chunks = [json.loads(c.decode()[6:]) for c in sent[:-1]]
    return [c["choices"][0]["delta"] for c in chunks if c.get("choices")]


def test_a_streamed_refusal_and_content_parts_are_checked_and_relayed() -> None:
    """Content in parts is relayed as its text; the model's refusal is checked whole and
    sent in one piece, the user's number restored (a harmful one is withheld); a usage
    chunk keeps only its known members."""
    parts = {"content": [{"type": "text", "text": "你好，"}, {"type": "text", "text": "再见"}]}
    refusal = [{"refusal": "我不能把<手机号"}, {"refusal": "_1>告诉别人。"}]
    usage = {"choices": [], "usage": {"total_tokens": 3}, "note": BAD}
    sent, _ = chat_relay([{"choices": [{"delta": d}]} for d in [parts, *refusal]] + [usage])
    shown = deltas(sent)
    assert "".join(d.get("content") or "" for d in shown) == "你好，再见"
    assert [d["refusal"] for d in shown if "refusal" in d] == ["我不能把13800138000告诉别人。"]
    assert json.loads(sent[-2].decode()[6:]) == {"choices": [], "usage": {"total_tokens": 3}}
    sent, _ = chat_relay([{"choices": [{"delta": {"refusal": "好的，" + BAD}}]}])
    assert not shows(b"".join(sent).decode())
    last = json.loads(sent[-2].decode()[6:])
    assert last["choices"][0]["finish_reason"] == "content_filter"
    assert "抱歉" in deltas(sent)[0]["content"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(chunks, max_size=10), st.booleans())
@example([{"choices": [{"delta": {"refusal": BAD}}]}], True)
@example([{"choices": [{"delta": {"content": [{"type": "text", "text": BAD}]}}]}], True)
@example([{"choices": [], "usage": {}, "note": BAD}], True)
def test_any_chat_stream_is_relayed(stream: list[dict[str, Any]], chat: bool) -> None:
    """Whatever the chunks hold: the relay ends with well-formed events, closes the
    upstream's answer, and shows no text unchecked."""
    sent, upstream = chat_relay(stream, chat)
    assert upstream.closed
    assert sent[-1] == b"data: [DONE]\n\n"
    for chunk in sent[:-1]:
        text = chunk.decode()
        assert text.startswith("data: ") and text.endswith("\n\n")
        json.loads(text[6:])
    assert not shows(b"".join(sent).decode())


#: the keys a Responses request's parts are made of
KEYS = ["type", "role", "content", "text", "arguments", "output", "input", "variables", "id"]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 3), texts),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=8,
)
in_parts = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(st.sampled_from(["input_text", "output_text", "input_image"]), junk),
        "text": st.one_of(texts, junk),
    },
)
in_items = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(
            st.sampled_from(
                ["message", "function_call", "function_call_output", "custom_tool_call",
                 "custom_tool_call_output", "reasoning", "web_search_call"]
            ),
            junk,
        ),
        "role": st.one_of(st.sampled_from(["user", "system", "assistant", "developer"]), junk),
        "content": st.one_of(texts, junk, st.lists(st.one_of(in_parts, junk), max_size=3)),
        "arguments": st.one_of(texts, json_values),
        "output": st.one_of(texts, junk, st.lists(st.one_of(in_parts, junk), max_size=2)),
        "input": st.one_of(texts, junk),
        "summary": st.one_of(junk, st.lists(st.one_of(in_parts, junk), max_size=2)),
        "action": st.one_of(junk, st.fixed_dictionaries({"query": texts})),
        "image_url": st.just("data:image/png;base64,13800138000"),
    },
)  # fmt: skip
requests = st.fixed_dictionaries(
    {},
    optional={
        "instructions": st.one_of(texts, junk),
        "input": st.one_of(texts, json_values, st.lists(st.one_of(in_items, junk), max_size=4)),
        "prompt": st.one_of(
            junk,
            st.fixed_dictionaries(
                {"id": st.just("p")},
                optional={
                    "variables": st.one_of(
                        junk, st.dictionaries(st.text(max_size=2), st.one_of(texts, in_parts, junk))
                    )
                },
            ),
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(requests)
@example({"input": [{"role": "user", "content": [{"type": [1], "text": "x"}]}]})
@example({"input": [{"type": {}, "role": "user"}, {"type": []}]})
@example({"input": [{"type": "function_call", "arguments": {"text": "13800138000"}}]})
@example({"input": [{"type": "custom_tool_call", "input": ["13800138000"]}]})
@example({"input": [{"type": "web_search_call", "action": {"query": "13800138000"}}]})
@example({"input": [{"type": "message", "content": "13800138000"}]})
def test_any_responses_request_is_refused_or_rebuilt(body: dict[str, Any]) -> None:
    """A client's request of any shape: a clear refusal (`InvalidRequest`), or the same
    request back when nothing is redacted, and a checked one otherwise."""
    try:
        request = ResponsesInput(body)
    except InvalidRequest:
        return
    assert request.payload(request.messages) == body
    d = guard().check_input(request.messages)
    if not d.blocked:
        assert d.messages is not None
        sent = request.payload(d.messages)
        assert "13800138000" not in json.dumps(read_by_the_guard(sent), ensure_ascii=False)


def read_by_the_guard(body: dict[str, Any]) -> list[Any]:
    """The texts of a Responses request that the guard reads (and redacts): the input,
    prompt variables, and by item type its content, arguments, output, input, summary."""
    found: list[Any] = [body.get("input") if isinstance(body.get("input"), str) else None]
    prompt = body.get("prompt")
    found.append(prompt.get("variables") if isinstance(prompt, dict) else None)
    members = {
        "function_call": ("arguments",),
        "function_call_output": ("output",),
        "custom_tool_call_output": ("output",),
        "custom_tool_call": ("input",),
        "reasoning": ("summary", "content"),
    }
    for item in body["input"] if isinstance(body.get("input"), list) else []:
        kind = item.get("type")
        if kind in (None, "message") and isinstance(item.get("role"), str):
            names: tuple[str, ...] = ("content",) if item["role"] != "system" else ()
        elif isinstance(kind, str) and kind in members:
            names = members[kind]
        else:  # any other item sent back: every member but its type, id and image
            names = tuple(k for k in item if k not in ("type", "id", "image_url"))
        found += [item.get(n) for n in names]
    return found


chat_requests = st.lists(
    st.tuples(messages, st.sampled_from(["user", "assistant", "tool", "developer"])).map(
        lambda pair: {**pair[0], "role": pair[1]}
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(chat_requests)
@example([{"role": "user", "content": [{"type": "input_text", "text": "13800138000"}]}])
@example([{"role": "user", "content": [{"type": None, "annotations": [{"title": "13800138000"}]}]}])
@example([{"role": "assistant", "audio": {"id": "a", "transcript": "13800138000"}}])
@example([{"role": "assistant", "reasoning_details": [{"type": "x", "summary": "13800138000"}]}])
@example([{"role": "user", "content": [{"type": "text", "text": {"v": "13800138000"}}]}])
@example([{"role": "assistant", "function_call": {"name": "f", "arguments": "13800138000"}}])
def test_no_text_of_a_chat_request_reaches_the_model_unredacted(
    request: list[dict[str, Any]],
) -> None:
    """Whatever a client's messages hold: the proxy refuses what it cannot read (400,
    `unreadable`), or the user's number is in no text the model is sent."""
    if any(unreadable(m) is not None for m in request):
        return
    d = guard().check_input(request)
    if d.blocked:
        return
    assert "13800138000" not in json.dumps(d.messages, ensure_ascii=False)
