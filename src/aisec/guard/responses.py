"""OpenAI's Responses API (``POST /v1/responses``) in the guard's terms.

A Responses request carries its texts in ``instructions``, ``input`` (a string, or a list
of items: messages whose content is a string or parts, the model's earlier function and
custom tool calls and their outputs, …) and ``prompt.variables``. `ResponsesInput` lays
them out as chat messages for `Guard.check_input` (``instructions`` as the system message,
which gets the canary; a function call as an assistant's tool call; a function call's
output as a tool message; an earlier reasoning item's summary and text as an assistant's
parts) and puts the checked texts back where they came from. Items that carry no text the
guard reads (images, files, encrypted reasoning, item references …) go on as they are.

An answer's texts are checked as a chat answer's are (`aisec.guard.chat`): each text
part of a message with `Guard.check_output` (the notice in the first one only) and each
refusal part, each function call's arguments (and a custom tool call's plain-text input)
with `Guard.check_tool_arguments`, a reasoning item's summary and text without a notice.
A text in a shape the guard cannot read (an item that is not an object or has no type, a
content that is not a list of parts, a text that is not a string) is `Uncheckable` (502).
The items of the upstream's own tools (a web search's, a file search's results, an MCP
call's …) are checked too, their texts together without a notice (`unread_texts`: not
their ids, states or base64 images; so are members of other items the guard does not
know), and get the user's values back.
A block withholds the whole output; the answer is then the refusal as the only message,
with ``status: incomplete`` and ``incomplete_details: {"reason": "content_filter"}``,
the API's own word for it. ``"aisec": {"decision", "kinds"}`` is beside ``output``.

Streamed (`ResponsesRelay`), the ``response.output_text.delta`` events go through the
guard's sliding window (`StreamChecker`, one per text part) and are re-emitted as they are
cleared; a reasoning text or a refusal is checked whole at its ``.done`` and sent as one
delta (`WHOLE`); an item or part announced with text in it is sent with what was shown of
it so far; the
tool calls are gathered and passed on whole at the end, once checked, as in a chat
stream. An event the relay reads keeps only the members its type has (`STRAY`: a
``delta`` on ``response.created`` is not passed on unread). Every other event (a hosted
tool's, or one the relay does not know) goes on with its texts checked, as a hosted
tool's item's are (one whose name is not an API name is dropped). The proxy numbers the events it sends
(``sequence_number``) anew, and the closing ``response.completed`` (or
``response.incomplete``) carries the output as the client was shown it.

``previous_response_id`` and ``conversation`` keep earlier turns on the upstream, where
the proxy cannot see them. When the policy keeps placeholders between turns
(`aisec.guard.vaults`), the request starts from the earlier turn's vault and its own is
kept for the next; otherwise a placeholder from an earlier turn that the model repeats is
not restored, and this request's placeholders are numbered apart from the earlier turns'
(`TokenVault.apart`), so an earlier ``<手机号_1>`` is not given this request's value.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aisec.guard.chat import (
    PART_TEXTS,
    Uncheckable,
    check_together,
    data_url,
    map_strings,
    objects,
    part_texts,
    place,
    restored,
    strings_in,
    unreadable,
)
from aisec.guard.decision import Decision
from aisec.guard.guard import Guard, restore_arguments
from aisec.guard.metrics import ProxyMetrics
from aisec.guard.openai_api import Body, Check, aisec_field, merge
from aisec.guard.stream import StreamChecker
from aisec.guard.upstream import UpstreamError, UpstreamResponse
from aisec.guard.vault import TokenVault
from aisec.io.unicode import json_text

#: content parts whose ``text`` the guard reads
TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
#: the role of an item the guard does not read (no text: passed on as it is)
UNREAD = "aisec.unread"
#: items that carry a function call's output
OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})
#: the model's tool calls: item type → (the member that holds what the tool is given,
#: the prefix of the events that stream it, whether it is plain text rather than JSON)
CALLS = {
    "function_call": ("arguments", "response.function_call_arguments", False),
    "custom_tool_call": ("input", "response.custom_tool_call_input", True),
}
#: output items whose text the guard checks
TEXT_ITEMS = frozenset({"message", "reasoning", *CALLS})
#: the members of a hosted tool's item or event (a web search's, a file search's, an MCP
#: call's …) that hold no text to check: names, ids, states, and images in base64
OPAQUE = frozenset(
    {"type", "id", "item_id", "call_id", "status", "sequence_number", "output_index",
     "content_index", "summary_index", "result", "partial_image_b64", "partial_image_index",
     "encrypted_content"}
)  # fmt: skip
#: the members of the items whose texts the guard reads itself (`TEXT_ITEMS`), by type
READ_MEMBERS = {
    "message": frozenset({"role", "content"}),
    "reasoning": frozenset({"summary", "content"}),
    **{kind: frozenset({"name", name}) for kind, (name, _, _) in CALLS.items()},
}


#: the members of a content or summary part that the guard reads itself, or leaves (the
#: tokens of a text, as a chat answer's ``logprobs``)
PART_READ = frozenset({"text", "refusal", "logprobs"})


def unread(obj: Body, what: str) -> list[str]:
    """The members of an output ``item``, an ``event`` or a content or summary ``part``
    (``what``) whose texts no other check reads: all but the `OPAQUE` ones, less those the
    guard reads itself (`READ_MEMBERS` of a message, reasoning or tool-call item,
    `PART_READ` of a part)."""
    if what == "part":
        read = PART_READ
    elif what == "item":
        read = READ_MEMBERS.get(_type(obj) or "", frozenset())
    else:
        read = frozenset()
    return [k for k in obj if k not in OPAQUE and k not in read]


def _parts_of(obj: Body, what: str) -> list[Body]:
    """The parts of a message or reasoning ``item`` (objects only)."""
    if what != "item" or _type(obj) not in ("message", "reasoning"):
        return []
    return [
        p for name in ("content", "summary") for p in _parts(obj.get(name)) if isinstance(p, dict)
    ]


def unread_texts(obj: Body, what: str) -> list[str]:
    """The strings of `unread` members (and of an item's parts'), in order."""
    texts = [s for k in unread(obj, what) for s in strings_in(obj[k])]
    return texts + [s for p in _parts_of(obj, what) for s in unread_texts(p, "part")]


def restore_unread(obj: Body, what: str, vault: TokenVault) -> Body:
    """``obj`` with the user's values back in its `unread` members (and its parts')."""
    if not len(vault):
        return obj
    out = {**obj, **{k: restored(obj[k], vault) for k in unread(obj, what)}}
    for name in ("content", "summary") if _parts_of(obj, what) else ():
        if isinstance(out.get(name), list):
            out[name] = [
                restore_unread(p, "part", vault) if isinstance(p, dict) else p for p in out[name]
            ]
    return out


class InvalidRequest(ValueError):
    """A Responses request the proxy cannot read; the message says why."""


def wants_json(body: Body) -> bool:
    """Whether a Responses request asks for a JSON answer (``text.format.type``
    ``json_object`` or ``json_schema``)."""
    text = body.get("text")
    form = text.get("format") if isinstance(text, dict) else None
    return isinstance(form, dict) and form.get("type") in ("json_object", "json_schema")


def _type(obj: object) -> str | None:
    """The ``type`` of an item, part or event when it is a string (the upstream's and the
    client's JSON are not trusted to be well formed)."""
    kind = obj.get("type") if isinstance(obj, dict) else None
    return kind if isinstance(kind, str) else None


def _is_text(part: object) -> bool:
    return (
        isinstance(part, dict) and _type(part) in TEXT_PARTS and isinstance(part.get("text"), str)
    )


def _as_chat(content: object) -> object:
    """Responses content (a string, or parts) as chat content: text parts as ``text``."""
    if isinstance(content, list):
        return [{"type": "text", "text": p["text"]} if _is_text(p) else p for p in content]
    return content


def _back(original: object, checked: object) -> object:
    """``original`` content with the checked texts of ``checked`` (its `_as_chat`) in it:
    each part's texts (`PART_TEXTS`: a text, a refusal)."""
    if isinstance(original, str):
        return checked
    if isinstance(original, list) and isinstance(checked, list):
        return [_part_back(p, c) for p, c in zip(original, checked, strict=True)]
    return original


def _part_back(part: object, checked: object) -> object:
    if not isinstance(part, dict) or not isinstance(checked, dict):
        return part
    texts = {k: checked[k] for k in PART_TEXTS if isinstance(part.get(k), str) and k in checked}
    return {**part, **texts} if texts else part


def _parts(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_message(item: Body) -> bool:
    return item.get("type") in (None, "message") and isinstance(item.get("role"), str)


def _as_message(item: object) -> Body:
    """One input item as a chat message."""
    if not isinstance(item, dict):
        raise InvalidRequest("each item of 'input' must be an object")
    if _is_message(item):
        return {"role": item["role"], "content": _as_chat(item.get("content"))}
    kind = _type(item)
    if kind == "function_call":
        function = {"name": item.get("name"), "arguments": item.get("arguments")}
        return {"role": "assistant", "content": None, "tool_calls": [{"function": function}]}
    if kind in OUTPUTS:
        return {"role": "tool", "content": _as_chat(item.get("output"))}
    if kind == "custom_tool_call":  # (its input is plain text)
        return {"role": "assistant", "content": item.get("input")}
    if kind == "reasoning":  # sent back: its summary and text, the user's values in them
        parts = _parts(item.get("summary")) + _parts(item.get("content"))
        return {"role": "assistant" if parts else UNREAD, "content": parts or None}
    texts = [t for k in _sent_back(item) for t in strings_in(item[k])]
    if texts:  # another item sent back (a hosted tool's: its query, results …)
        return {"role": "assistant", "content": [{"type": "text", "text": t} for t in texts]}
    return {"role": UNREAD, "content": None}


#: members of an item sent back that hold an image or a file, not text
BINARY = frozenset({"image_url", "file_data"})


def _sent_back(item: Body) -> list[str]:
    """The members of an item of another type (`_as_message`'s last case) whose texts
    are redacted: all but `OPAQUE` and `BINARY`."""
    return [k for k in unread(item, "event") if k not in BINARY]


def _item_back(item: Body, message: Body) -> Body:
    """``item`` with the checked text of its chat ``message`` (`_as_message`) in it."""
    kind = _type(item)
    if _is_message(item):
        name, value = "content", _back(item.get("content"), message.get("content"))
    elif kind == "function_call":
        name, value = "arguments", message["tool_calls"][0]["function"]["arguments"]
    elif kind in OUTPUTS:
        name, value = "output", _back(item.get("output"), message.get("content"))
    elif kind == "custom_tool_call":
        name, value = "input", message.get("content")
    elif kind == "reasoning" and message["role"] != UNREAD:
        summary, content = _parts(item.get("summary")), _parts(item.get("content"))
        back = _back(summary + content, message.get("content"))
        assert isinstance(back, list)
        texts = {"summary": back[: len(summary)], "content": back[len(summary) :]}
        return {**item, **{k: v for k, v in texts.items() if isinstance(item.get(k), list)}}
    elif message["role"] != UNREAD and kind != "reasoning":  # (`_as_message`'s last case)
        checked = iter(part["text"] for part in message["content"])

        def put(text: str) -> str:
            return text if data_url(text) else next(checked)  # (as `strings_in` reads)

        return {**item, **{k: map_strings(item[k], put) for k in _sent_back(item)}}
    else:
        return item
    return {**item, name: value} if name in item else item


@dataclass
class ResponsesInput:
    """The texts of a Responses request as chat messages (`messages`), and the request
    rebuilt with the checked ones (`payload`)."""

    body: Body
    messages: list[Body] = field(default_factory=list)

    def __post_init__(self) -> None:
        body = self.body
        instructions = body.get("instructions")
        if instructions is not None and not isinstance(instructions, str):
            raise InvalidRequest("'instructions' must be a string")
        if isinstance(instructions, str):
            self.messages.append({"role": "system", "content": instructions})
        for name, value in self._variables().items():  # before the input: its last user
            content = value if isinstance(value, str) else [value]  # message is the question
            self._add({"role": "user", "content": _as_chat(content)}, f"variable {name!r}")
        raw = body.get("input")
        if isinstance(raw, str):
            self.messages.append({"role": "user", "content": raw})
        elif isinstance(raw, list):
            for i, item in enumerate(raw):
                self._add(_as_message(item), f"input[{i}]")
        elif raw is not None:
            raise InvalidRequest("'input' must be a string or a list of input items")

    def _add(self, message: Body, where: str) -> None:
        """Lay out one more message; a text the guard cannot read (and so could not
        redact) is refused, not passed on."""
        member = unreadable(message)
        if member is not None:
            raise InvalidRequest(
                f"{where}: the guard cannot read its {member!r} (a text must be a string; a "
                "content a string or a list of parts)"
            )
        self.messages.append(message)

    @property
    def continued(self) -> bool:
        """Whether the upstream keeps earlier turns of this conversation (they are not in
        the request): ``previous_response_id`` or ``conversation``."""
        return any(self.body.get(k) for k in ("previous_response_id", "conversation"))

    @property
    def conversation(self) -> str | None:
        """The id of the ``conversation`` the request is a turn of (a string or
        ``{"id": ...}``), if any."""
        value = self.body.get("conversation")
        value = value.get("id") if isinstance(value, dict) else value
        return value if isinstance(value, str) and value else None

    @property
    def follows(self) -> str | None:
        """What this turn follows, for the placeholders kept of it (`aisec.guard.vaults`):
        the previous response's id, else the conversation's."""
        previous = self.body.get("previous_response_id")
        return previous if isinstance(previous, str) and previous else self.conversation

    def _variables(self) -> dict[str, Any]:
        prompt = self.body.get("prompt")
        variables = prompt.get("variables") if isinstance(prompt, dict) else None
        return variables if isinstance(variables, dict) else {}

    def payload(self, checked: list[Body]) -> Body:
        """The request with the texts of ``checked`` (`Guard.check_input`'s messages)."""
        out = dict(self.body)
        messages = iter(checked)
        if isinstance(self.body.get("instructions"), str):
            out["instructions"] = next(messages)["content"]
        variables = self._variables()
        if variables:
            put: Body = {}
            for name, value in variables.items():
                content = next(messages)["content"]
                if isinstance(value, str):
                    put[name] = content
                else:  # one part (text, or an image, a file …)
                    back = _back([value], content)
                    put[name] = back[0] if isinstance(back, list) else value
            out["prompt"] = {**self.body["prompt"], "variables": put}
        raw = self.body.get("input")
        if isinstance(raw, str):
            out["input"] = next(messages)["content"]
        elif isinstance(raw, list):
            out["input"] = [_item_back(item, next(messages)) for item in raw]
        return out


def restored_item(item: object, vault: TokenVault, mark: str = "") -> object:
    """An input item as the upstream stored it (``GET /v1/responses/<id>/input_items``)
    with the user's values back in its texts (a function call's arguments escaped as
    JSON, every other string as it is) and the canary's ``mark`` (`Guard.canary_mark`)
    taken out of them."""
    if not isinstance(item, dict) or not (len(vault) or mark):
        return item
    if _type(item) == "function_call" and isinstance(item.get("arguments"), str):
        return {**item, "arguments": restore_arguments(item["arguments"], vault)}
    return map_strings(
        item, lambda text: vault.restore(text.replace(mark, "") if mark else text)[0]
    )


#: the roles of the messages a client gives (the rest are the model's)
CLIENT_ROLES = frozenset({"user", "system", "developer"})


def made_by_model(item: object) -> bool:
    """Whether a stored item is checked as an answer is when it is shown again
    (`shown_item`): one the model made (a message not in a client's role, a tool call,
    reasoning) or one the guard cannot read (not an object, no type). A client's messages
    and tool outputs, and the upstream's own tools' items, are not."""
    if not isinstance(item, dict):
        return True
    kind = _type(item)
    if kind == "message" or (kind is None and "role" in item):
        role = item.get("role")
        return not (isinstance(role, str) and role in CLIENT_ROLES)
    return kind is None or kind in TEXT_ITEMS


def shown_item(
    item: object, guard: Guard, check: Check, vault: TokenVault
) -> tuple[object, list[Decision]]:
    """A stored item (of a conversation) as the client is shown it, and the checks'
    decisions: one the model made checked as an answer is (`check_output`; withheld, it is
    the refusal under the item's own id), any other with the user's values back
    (`restored_item`). `Uncheckable` when the guard cannot read one the model made."""
    if not made_by_model(item):
        return restored_item(item, vault, guard.canary_mark), []
    data: Body = {"output": [item]}
    decisions, withheld = check_output(data, guard, check)
    shown = data["output"][0]
    if withheld and isinstance(item, dict) and isinstance(item.get("id"), str):
        shown["id"] = item["id"]
    return shown, decisions


# -- answers ----------------------------------------------------------------------------


def as_asked(data: Body, instructions: object) -> Body:
    """A response object (as the upstream echoes the request in it) with the client's own
    ``instructions``: the upstream got them with the canary, which stays with the proxy."""
    return {**data, "instructions": instructions} if "instructions" in data else data


def message_item(item_id: str, text: str, status: str = "completed") -> Body:
    """An assistant message item holding ``text``."""
    part = {"type": "output_text", "text": text, "annotations": []}
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": [part],
    }


def blocked(output: list[Body]) -> Body:
    """What a response ended by a block says: its ``output`` (as shown, the refusal last),
    ``status: incomplete`` and the reason, ``content_filter``."""
    return {
        "output": output,
        "status": "incomplete",
        "incomplete_details": {"reason": "content_filter"},
    }


def withhold(data: Body, refusal: str, item_id: str) -> None:
    """Replace the output of the response ``data`` with the refusal (a block)."""
    data.update(blocked([message_item(item_id, refusal)]))


def refusal_response(decision: Decision, model: str) -> Body:
    """The answer to a blocked request (HTTP 200 form): a response made by the proxy."""
    rid = decision.request_id
    data: Body = {
        "id": f"resp-aisec-{rid}",
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "error": None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 0,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 0,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 0,
        },
    }
    withhold(data, decision.text or decision.refusal or "", f"msg-aisec-{rid}")
    data["aisec"] = decision.summary()
    return data


def _index(event: Body, name: str) -> int:
    """An event's ``output_index``, ``content_index`` … (0 when it has none that is a
    number: an upstream's event is not trusted to be well formed)."""
    value = event.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class _Stop(Exception):
    """A check said block: ``sent`` is what still goes out before the refusal; ``at``
    the text part that was cut off (its closing notice shown), or ``decision`` the check
    that blocked otherwise."""

    def __init__(
        self,
        sent: list[bytes],
        decision: Decision | None = None,
        at: Body | None = None,
    ) -> None:
        self.sent = sent
        self.decision = decision
        self.at = at


def check_output(data: Body, guard: Guard, check: Check) -> tuple[list[Decision], bool]:
    """Check the texts of a whole response's ``output`` in place (see the module
    docstring); ``check(method, text)`` runs one of the guard's checks and counts it.
    The decisions, and whether the output was withheld."""
    decisions: list[Decision] = []

    def run(method: Callable[..., Decision], text: str) -> str:
        out = check(method, text)
        decisions.append(out)
        if out.blocked:
            raise _Stop([], out)
        return out.text or ""

    if not isinstance(data.get("output"), list):  # (not what the API sends: nothing to show)
        data["output"] = []
    notice = True  # in the first text of the answer only
    no_notice = partial(guard.check_output, notice=False)
    try:
        for item in objects(data["output"], "output"):
            kind = _type(item)
            if kind is None:
                raise Uncheckable("type")
            if kind in CALLS:
                name, _, free_text = CALLS[kind]
                check_call = partial(guard.check_tool_arguments, free_text=free_text)
                places: list[tuple[Body, str]] = []
                place(places, item, name)
                for holder, key in places:
                    holder[key] = run(check_call, holder[key])
            elif kind not in TEXT_ITEMS:  # a hosted tool's own: below
                continue
            summary = part_texts(item.get("summary"), "summary")
            for holder, key in summary + part_texts(item.get("content")):
                first = notice and kind == "message" and key == "text"
                holder[key] = run(guard.check_output if first else no_notice, holder[key])
                notice = notice and not first
        # the texts no check above read: the hosted tools' items (web search, file search,
        # MCP …), and members of the others the guard does not know; together
        texts = [s for item in data["output"] for s in unread_texts(item, "item")]
        out = check_together(texts, guard, check)
        if out is not None:
            decisions.append(out)
            if out.blocked:
                raise _Stop([], out)
            vault = out.context.vault
            data["output"] = [restore_unread(item, "item", vault) for item in data["output"]]
    except _Stop as stop:
        assert stop.decision is not None
        withhold(data, stop.decision.text or "", f"msg-aisec-{stop.decision.request_id}")
        return decisions, True
    return decisions, False


# -- streams ----------------------------------------------------------------------------


class Events:
    """Server-sent events of a Responses stream, numbered by the proxy."""

    def __init__(self) -> None:
        self.seq = 0

    def __call__(self, event: Body) -> bytes:
        event = {**event, "sequence_number": self.seq}
        self.seq += 1
        return f"event: {event['type']}\ndata: {json_text(event)}\n\n".encode()


def message_events(emit: Events, item: Body, index: int) -> list[bytes]:
    """A whole message item of one text part (`message_item`) at ``index`` of the output,
    as the events that stream it: announced, its text in one delta, finished."""
    text = item["content"][0]["text"]
    at = {"item_id": item["id"], "output_index": index, "content_index": 0}
    part = {"type": "output_text", "text": "", "annotations": []}
    return [
        emit({"type": "response.output_item.added", "output_index": index,
              "item": {**item, "status": "in_progress", "content": []}}),
        emit({"type": "response.content_part.added", **at, "part": part}),
        emit({"type": "response.output_text.delta", **at, "delta": text, "logprobs": []}),
        emit({"type": "response.output_text.done", **at, "text": text, "logprobs": []}),
        emit({"type": "response.content_part.done", **at, "part": {**part, "text": text}}),
        emit({"type": "response.output_item.done", "output_index": index, "item": item}),
    ]  # fmt: skip


def refusal_events(data: Body) -> list[bytes]:
    """A refusal response (`refusal_response`) as the events of a stream."""
    emit = Events()
    started = {**data, "status": "in_progress", "output": [], "incomplete_details": None}
    started.pop("aisec", None)
    return [
        emit({"type": "response.created", "response": started}),
        *message_events(emit, data["output"][0], 0),
        emit({"type": "response.incomplete", "response": data}),
    ]


#: the name of an event of the API (what may follow ``event:`` on its line)
EVENT_TYPE = re.compile(r"[a-z0-9_.]{1,100}")

#: texts checked whole at their ``.done`` and sent as one delta: the delta event → (the
#: done event, the member that holds the text, the list of the item it is a part of, the
#: name of its index there)
WHOLE = {
    "response.reasoning_summary_text.delta": (
        "response.reasoning_summary_text.done", "text", "summary", "summary_index"
    ),
    "response.reasoning_text.delta": (
        "response.reasoning_text.done", "text", "content", "content_index"
    ),
    "response.refusal.delta": ("response.refusal.done", "refusal", "content", "content_index"),
}  # fmt: skip
#: the done event → (the delta event, the member, the list, the index name)
WHOLE_DONE = {done: (delta, *rest) for delta, (done, *rest) in WHOLE.items()}
#: where an item keeps its texts: content parts, summary parts
PART_EVENTS = {
    "response.content_part.added": "content",
    "response.content_part.done": "content",
    "response.reasoning_summary_part.added": "summary",
    "response.reasoning_summary_part.done": "summary",
}

#: the members of the events the relay reads that can carry text: each event keeps only
#: those of them its type has (`_expected`), so none goes out unread
STRAY = ("delta", "text", "refusal", "arguments", "input", "part", "item", "response")
#: the events the relay reads, beside `PART_EVENTS`, `WHOLE` and `WHOLE_DONE`
READ_EVENTS = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "response.output_item.added",
        "response.output_item.done",
        "response.output_text.delta",
        "response.output_text.done",
    }
)


def _expected(kind: str) -> tuple[str, ...]:
    """The members of `STRAY` an event of ``kind`` (one the relay reads) has."""
    if kind.startswith("response.output_item."):
        return ("item",)
    if kind in PART_EVENTS:
        return ("part",)
    if kind in WHOLE_DONE:
        return (WHOLE_DONE[kind][1],)
    if kind == "response.output_text.done":
        return ("text",)
    if kind.endswith(".delta"):
        return ("delta",)
    return ("response",)


class ResponsesRelay:
    """One streamed response through the guard; see the module docstring."""

    def __init__(
        self,
        metrics: ProxyMetrics,
        guard: Guard,
        d: Decision,
        check: Check,
        failed: Callable[[UpstreamError], Body],
        instructions: object = None,
    ) -> None:
        self.metrics = metrics
        self.guard = guard
        #: the input decision (its context: the vault, the language)
        self.d = d
        #: runs one of the guard's checks and counts it (`check_output`)
        self.check = check
        #: an upstream error as the error body to send
        self.failed = failed
        #: the client's own instructions (`as_asked`)
        self.instructions = instructions
        self.emit = Events()
        #: the response as the upstream announced it (``response.created``)
        self.response: Body = {}
        #: (item id, content index) → the checker of that text part, what it showed, and
        #: where it is (item id, output index, content index)
        self.parts: dict[tuple[str, int], tuple[StreamChecker, list[str], Body]] = {}
        #: output index → each finished item, as shown
        self.items: dict[int, Body] = {}
        #: (item id, list, index) → a text checked whole (`WHOLE`): reasoning, refusals
        self.whole: dict[tuple[str, str, int], str] = {}
        #: the function calls, gathered: output index → item
        self.calls: dict[int, Body] = {}
        self.decisions: list[Decision] = []
        self.noticed = False
        #: whether generated images (``image_generation_call``) may go out as they are;
        #: False when the guard labels images: their events are dropped and their items
        #: go out without the image
        self.images = True

    # -- text parts ----------------------------------------------------------------------

    def _part(self, event: Body) -> tuple[StreamChecker, list[str], Body]:
        key = (str(event.get("item_id")), _index(event, "content_index"))
        if key not in self.parts:
            checker = StreamChecker(self.guard, self.d.context, notice=not self.noticed)
            self.noticed = True
            at = {k: event.get(k) for k in ("item_id", "output_index", "content_index")}
            self.parts[key] = (checker, [], at)
        return self.parts[key]

    def _deltas(self, at: Body, pieces: list[str], shown: list[str]) -> list[bytes]:
        shown.extend(pieces)
        return [
            self.emit({"type": "response.output_text.delta", **at, "delta": p, "logprobs": []})
            for p in pieces
            if p
        ]

    def _text_done(self, at: Body, checker: StreamChecker, shown: list[str]) -> list[bytes]:
        """The rest of a text part and its ``.done`` event (also after a cut-off)."""
        out = self._deltas(at, checker.end(), shown)
        self._count(checker)
        text = "".join(shown)
        done = {"type": "response.output_text.done", **at, "text": text, "logprobs": []}
        return [*out, self.emit(done)]

    def _shown(
        self, item_id: str, where: str, index: int, part: object, alone: bool = True
    ) -> object:
        """A content or summary part with the text the client was shown of it ("" for
        none yet: a text the upstream put anywhere else was not checked), its other
        members checked (`_unread`) when it comes ``alone``, not within its item (whose
        check reads its parts)."""
        if not isinstance(part, dict):
            return None  # (not a part: nothing of it is shown)
        if where == "content" and part.get("type") == "output_text":
            state = self.parts.get((item_id, index))
            part = {**part, "text": "".join(state[1]) if state else ""}
        else:
            shown = self.whole.get((item_id, where, index), "")
            part = {**part, **{name: shown for name in ("text", "refusal") if name in part}}
        return self._unread(part, "part") if alone else part

    def _shown_item(self, item: Body) -> Body:
        """A message or reasoning item (as announced or finished) with the texts the
        client was shown (the rest of it is for `_unread`)."""
        if _type(item) not in ("message", "reasoning"):
            return item
        item = dict(item)
        item_id = str(item.get("id"))
        for where in ("content", "summary"):
            if isinstance(item.get(where), list):
                item[where] = [
                    self._shown(item_id, where, i, p, alone=False)
                    for i, p in enumerate(item[where])
                ]
        return item

    # -- the stream ----------------------------------------------------------------------

    def _event(self, event: Body) -> list[bytes]:
        """What to send for one upstream event (raises `_Stop` on a block)."""
        kind = event.get("type")
        if not isinstance(kind, str) or not EVENT_TYPE.fullmatch(kind):
            return []  # not an event of the API (and its name must not break the framing)
        if not self.images:
            if kind.startswith("response.image_generation_call."):
                return []  # (partial images: never labelled)
            event = {k: self._imageless(v) if k in ("item", "response") else v
                     for k, v in event.items()}  # fmt: skip
        if kind in READ_EVENTS or kind in PART_EVENTS or kind in WHOLE or kind in WHOLE_DONE:
            keep = _expected(kind)
            event = {k: v for k, v in event.items() if k not in STRAY or k in keep}
        if kind in ("response.created", "response.in_progress", "response.queued"):
            if isinstance(event.get("response"), dict):
                self.response = as_asked(event["response"], self.instructions)
                if "output" in self.response:  # (the items are sent in their own events)
                    self.response = {**self.response, "output": []}
            return [self.emit({"type": kind, "response": self.response})]  # (nothing else)
        if kind in ("response.output_item.added", "response.output_item.done"):
            item = event.get("item")
            if not isinstance(item, dict):
                return []  # (no item: nothing to announce)
            if _type(item) in CALLS:
                if kind.endswith(".done"):
                    self.calls[_index(event, "output_index")] = item
                return []
            item = self._unread(self._shown_item(item), "item")
            if kind.endswith(".done"):
                self.items[_index(event, "output_index")] = item
            return [self.emit({**event, "item": item})]
        if kind in PART_EVENTS:
            where = PART_EVENTS[kind]
            index = _index(event, "summary_index" if where == "summary" else "content_index")
            part = self._shown(str(event.get("item_id")), where, index, event.get("part"))
            return [self.emit({**event, "part": part})]
        if kind.startswith(tuple(prefix + "." for _, prefix, _ in CALLS.values())):
            return []  # (the calls go out whole at the end)
        if kind == "response.output_text.delta":
            checker, shown, at = self._part(event)
            out = self._deltas(at, checker.push(str(event.get("delta") or "")), shown)
            if checker.stopped:
                out += self._text_done(at, checker, shown)
                raise _Stop(out, at=at)
            return out
        if kind == "response.output_text.done":
            checker, shown, at = self._part(event)
            out = []
            if not checker.started and event.get("text"):  # (a text sent without deltas)
                out = self._deltas(at, checker.push(str(event["text"])), shown)
            if not checker.done:
                out += self._text_done(at, checker, shown)
            if checker.stopped:
                raise _Stop(out, at=at)
            return out
        if kind in WHOLE:
            return []
        if kind in WHOLE_DONE:
            return self._whole(kind, event)
        return [self.emit(self._unread(event, "event"))]  # (a hosted tool's, or one the
        # relay does not know)

    @staticmethod
    def _imageless(value: object) -> object:
        """An item (or a response's output) without the images of its generated-image
        items."""
        if isinstance(value, dict) and isinstance(value.get("output"), list):
            return {**value, "output": [ResponsesRelay._imageless(i) for i in value["output"]]}
        if isinstance(value, dict) and value.get("type") == "image_generation_call":
            return {k: v for k, v in value.items() if k != "result"}
        return value

    def _error(self, raw: Body) -> Body:
        """The upstream's error event as passed on: its code, message and parameter, the
        message checked as the answer's texts are (blocked: a plain message instead)."""
        error: Body = {"type": "error", **{k: raw.get(k) for k in ("code", "message", "param")}}
        try:
            return self._unread(error, "event")
        except _Stop:
            return {**error, "message": "the upstream model failed"}

    def _unread(self, obj: Body, what: str) -> Body:
        """An output item, an event or a part (``what``, as `unread` says) with the texts
        no other check reads (a hosted tool's, a vendor's) checked together, without a
        notice, and the user's values back (raises `_Stop` on a block)."""
        out = check_together(unread_texts(obj, what), self.guard, self.check)
        if out is None:
            return obj
        self.decisions.append(out)
        if out.blocked:
            raise _Stop([], out)
        return restore_unread(obj, what, out.context.vault)

    def _whole(self, kind: str, event: Body) -> list[bytes]:
        """A text checked whole at its ``.done`` (`WHOLE`): one delta and the done event,
        with the checked text (raises `_Stop` on a block)."""
        delta_kind, name, where, index_name = WHOLE_DONE[kind]
        text = event.get(name)
        out = self.check(
            partial(self.guard.check_output, notice=False), text if isinstance(text, str) else ""
        )
        self.decisions.append(out)
        if out.blocked:
            raise _Stop([], out)
        shown = out.text or ""
        self.whole[(str(event.get("item_id")), where, _index(event, index_name))] = shown
        delta = {k: v for k, v in event.items() if k != name}
        return [self.emit({**delta, "type": delta_kind, "delta": shown}),
                self.emit({**event, name: shown})]  # fmt: skip

    async def run(self, response: UpstreamResponse) -> AsyncIterator[bytes]:
        """The events to send for the upstream's stream ``response``."""
        ended = "client_disconnected"  # unless the loop says otherwise
        final: Body | None = None
        try:
            async for event in response.events(self.guard.config.proxy.max_answer_bytes):
                kind = event.get("type")
                if kind == "error" or (kind is None and isinstance(event.get("error"), dict)):
                    ended = "upstream_error"  # the upstream failed mid-stream: pass it on
                    self.metrics.upstream_errors.labels("stream_error").inc()
                    yield self.emit(self._error(event if kind == "error" else event["error"]))
                    return
                if kind in ("response.completed", "response.incomplete", "response.failed"):
                    final = event
                    break
                for chunk in self._event(event):
                    yield chunk
            for chunk in self._unfinished():
                yield chunk
            for chunk in self._calls():
                yield chunk
            ended = "completed"
            yield self._final(final)
        except _Stop as stop:
            ended = "blocked"
            for chunk in stop.sent:
                yield chunk
            for chunk in self._refuse(stop):
                yield chunk
        except UpstreamError as exc:
            ended = "upstream_error"
            error = self.failed(exc)["error"]
            yield self.emit({"type": "error", "code": error.get("code"),
                             "message": error.get("message"), "param": None})  # fmt: skip
        finally:
            for checker, _, _ in self.parts.values():
                if not checker.done:  # the client went away, or the upstream failed
                    checker.abandon(ended)
                    self._count(checker)
            await response.aclose()

    def _count(self, checker: StreamChecker) -> None:
        decision = checker.decision
        if decision is not None and decision not in self.decisions:
            self.decisions.append(decision)
            self.metrics.decision(
                "stream", decision.verdict, decision.kinds, decision.latency_ms / 1000
            )

    def _unfinished(self) -> list[bytes]:
        """The rest of each text part whose ``.done`` never came."""
        out: list[bytes] = []
        for checker, shown, at in list(self.parts.values()):
            if not checker.done:
                out += self._text_done(at, checker, shown)
                if checker.stopped:
                    raise _Stop(out, at=at)
        return out

    def _calls(self) -> list[bytes]:
        """The gathered tool calls, checked, as whole events (raises `_Stop`)."""
        checked: list[tuple[int, Body]] = []
        for index in sorted(self.calls):
            item = self.calls[index]
            name, _, free_text = CALLS[str(item.get("type"))]
            given = item.get(name)
            if isinstance(given, str):
                check = partial(self.guard.check_tool_arguments, free_text=free_text)
                out = self.check(check, given)
                self.decisions.append(out)
                if out.blocked:
                    raise _Stop([], out)
                item = {**item, name: out.text or ""}
            checked.append((index, self._unread(item, "item")))
        events: list[bytes] = []
        for index, item in checked:
            name, prefix, _ = CALLS[str(item.get("type"))]
            at = {"item_id": item.get("id"), "output_index": index}
            given = item.get(name)
            done: Body = {"type": prefix + ".done", **at, name: given}
            if name == "arguments":
                done["name"] = item.get("name")
            events += [
                self.emit({"type": "response.output_item.added", "output_index": index,
                           "item": {**item, name: "", "status": "in_progress"}}),
                self.emit({"type": prefix + ".delta", **at, "delta": given}),
                self.emit(done),
                self.emit({"type": "response.output_item.done", "output_index": index,
                           "item": item}),
            ]  # fmt: skip
            self.items[index] = item
        return events

    def _output(self, upstream: object) -> list[Body]:
        """The output as the client was shown it: the finished items, in order; an item
        of the upstream's final output that was never finished in the stream is left out
        when it has text (it was not checked) and kept otherwise."""
        if not isinstance(upstream, list) or not upstream:
            return [self.items[i] for i in sorted(self.items)]
        out: list[Body] = []
        for index, item in enumerate(upstream):
            if index in self.items:
                out.append(self.items[index])
            elif isinstance(item, dict) and _type(item) not in TEXT_ITEMS:
                shown = item if self.images else self._imageless(item)
                assert isinstance(shown, dict)
                out.append(self._unread(shown, "item"))
        return out

    def _aisec(self) -> Body:
        verdict, kinds = merge([self.d, *self.decisions])
        return aisec_field(verdict, kinds, self.guard.withheld_notice(self.d.context))

    def _final(self, final: Body | None) -> bytes:
        """The closing event: the upstream's (``response.completed`` …) with the output as
        it was shown and the ``aisec`` field."""
        if final is None:  # the upstream's stream ended without one
            final = {
                "type": "response.completed",
                "response": {**self.response, "status": "completed"},
            }
        data = final.get("response")
        data = as_asked(data, self.instructions) if isinstance(data, dict) else self.response
        data = dict(data)
        data["output"] = self._output(data.get("output"))
        data["aisec"] = self._aisec()
        return self.emit({"type": final["type"], "response": data})  # (nothing else: `STRAY`)

    def _refuse(self, stop: _Stop) -> list[bytes]:
        """End the stream after a block: the cut-off text part's item closed (its text
        ends with the closing notice), or the refusal as a new message; the function
        calls withheld; ``response.incomplete``."""
        events: list[bytes] = []
        if stop.at is not None:  # a text part was cut off
            at = stop.at
            state = self.parts[(str(at.get("item_id")), _index(at, "content_index"))]
            text = "".join(state[1])
            part = {"type": "output_text", "text": text, "annotations": []}
            item = message_item(str(at.get("item_id")), text, "incomplete")
            index = _index(at, "output_index")
            events += [
                self.emit({"type": "response.content_part.done", **at, "part": part}),
                self.emit({"type": "response.output_item.done", "output_index": index,
                           "item": item}),
            ]  # fmt: skip
        else:
            decision = stop.decision
            refusal = (decision.text if decision is not None else None) or ""
            index = max([*self.items, *self.calls, -1]) + 1
            item = message_item(f"msg-aisec-{self.d.request_id}", refusal)
            events += message_events(self.emit, item, index)
        self.items = {i: x for i, x in self.items.items() if _type(x) not in CALLS}
        self.items[index] = item
        output = [self.items[i] for i in sorted(self.items)]
        data = {**self.response, **blocked(output), "aisec": self._aisec()}
        events.append(self.emit({"type": "response.incomplete", "response": data}))
        return events
