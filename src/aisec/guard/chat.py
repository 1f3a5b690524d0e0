"""A whole chat completion's answer, checked: every text the model wrote in a choice's
``message`` goes through the guard before the client sees it, and the user's values are
restored in it.

The texts of a message: its ``content`` (a string, or parts: each ``text`` part is checked
as an answer, the notice in the first, and each ``refusal`` part), and beside it the
model's reasoning (`REASONING_FIELDS`, and OpenRouter's ``reasoning_details`` texts and
summaries), a ``refusal``, the transcript of a spoken answer (``audio.transcript``), all
without a notice, and the arguments of its tool calls (`Guard.check_tool_arguments`).
When one is blocked the whole message is withheld: the refusal is its content, and
everything else that could carry the model's words (reasoning, audio, tool calls) is
removed, as are the choice's ``logprobs`` (the withheld text, token by token).

A text in a shape the guard cannot read (a choice or message that is not an object, a
content, reasoning or transcript that is neither text nor absent, tool-call arguments
that are not a string) is not passed on unchecked: `Uncheckable` (the proxy answers 502
``bad_upstream_body``). The strings in members the guard does not know (a vendor's own:
web search results, citations …) are checked together, and withhold the whole answer
when blocked (`check_choices`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from aisec.guard.decision import Decision, RequestContext
from aisec.guard.openai_api import REASONING_FIELDS, Body, Check

if TYPE_CHECKING:
    from aisec.guard.guard import Guard
    from aisec.guard.vault import TokenVault

#: the members of a message that hold text beside its content, as strings
BESIDE_CONTENT = (*REASONING_FIELDS, "refusal")
#: the members of a content part that hold text
PART_TEXTS = ("text", "refusal")
#: the members of a request's content part that hold none of the user's words, or that
#: the guard reads itself (media pass as they are); strings in any other member (the
#: ``annotations`` of an earlier answer's part sent back …) are redacted too
KNOWN_PART = frozenset(
    {"type", *PART_TEXTS, "image_url", "input_audio", "file", "video_url", "cache_control"}
)
#: the members of an item of ``reasoning_details`` (OpenRouter) that hold text
DETAIL_TEXTS = ("text", "summary")
#: what a withheld message loses: every member that could carry the model's words
WITHHELD = (*BESIDE_CONTENT, "reasoning_details", "audio", "tool_calls", "function_call")
#: the members of a chat answer, of a choice and of a message that hold none of the
#: model's words or that the guard reads itself; strings in any other member (a vendor's
#: web search results, citations, annotations …) are checked too (`check_choices`)
KNOWN_ANSWER = frozenset(
    {"id", "object", "created", "model", "system_fingerprint", "service_tier", "usage",
     "choices", "aisec"}
)  # fmt: skip
KNOWN_CHOICE = frozenset({"index", "message", "finish_reason", "logprobs", "stop_reason"})
#: the same for a choice of a legacy text completion (``/v1/completions``)
KNOWN_TEXT_CHOICE = frozenset({"index", "text", "finish_reason", "logprobs", "stop_reason"})
KNOWN_MESSAGE = frozenset({"role", "content", "name", "tool_call_id", *WITHHELD})


def integer(value: Any) -> bool:
    """Whether ``value`` (parsed JSON) is a whole number (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def map_strings(data: Any, edit: Callable[[str], str], *, numbers: bool = False) -> Any:
    """``data`` (parsed JSON) with ``edit`` applied to every string value (keys kept);
    ``numbers``: to every whole number too, read as its digits (a phone or an ID number
    written as a number), which becomes a string where ``edit`` changed it."""
    if isinstance(data, str):
        return edit(data)
    if numbers and integer(data):
        digits = str(data)
        out = edit(digits)
        return data if out == digits else out
    if isinstance(data, list):
        return [map_strings(x, edit, numbers=numbers) for x in data]
    if isinstance(data, dict):
        return {k: map_strings(v, edit, numbers=numbers) for k, v in data.items()}
    return data


class Uncheckable(ValueError):
    """A text of the answer is in a shape the guard cannot check; the member is named."""


def place(places: list[tuple[Body, str]], holder: Body, key: str, strict: bool = True) -> None:
    """Add ``holder[key]`` to ``places`` when it is a text; nothing when it is absent.
    Anything else is `Uncheckable` (``strict``) or left out."""
    value = holder.get(key)
    if isinstance(value, str):
        places.append((holder, key))
    elif value is not None and strict:
        raise Uncheckable(key)


def objects(value: object, name: str, strict: bool = True) -> list[Body]:
    """``value`` when it is a list of objects, [] when absent. Anything else is
    `Uncheckable` (``strict``), or its objects only."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    if strict:
        raise Uncheckable(name)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def side_texts(message: Body, strict: bool = True) -> list[tuple[Body, str]]:
    """Where ``message`` keeps text beside its content, as (holder, key) pairs (an
    unreadable shape: see `place`)."""
    places: list[tuple[Body, str]] = []
    for name in BESIDE_CONTENT:
        place(places, message, name, strict)
    audio = message.get("audio")
    if isinstance(audio, dict):
        place(places, audio, "transcript", strict)
    elif audio is not None and strict:
        raise Uncheckable("audio")
    for item in objects(message.get("reasoning_details"), "reasoning_details", strict):
        for key in DETAIL_TEXTS:
            place(places, item, key, strict)
    return places


def part_texts(parts: object, name: str = "content", strict: bool = True) -> list[tuple[Body, str]]:
    """Where a list of content parts keeps its texts, as (holder, key) pairs: each part's
    ``text`` and ``refusal`` (of any part type: none is shown unchecked)."""
    places: list[tuple[Body, str]] = []
    for part in objects(parts, name, strict):
        for key in PART_TEXTS:
            place(places, part, key, strict)
    return places


def content_texts(message: Body, strict: bool = True) -> list[tuple[Body, str]]:
    """Where ``message`` keeps its content's texts, as (holder, key) pairs: the content
    itself when a string; each text and refusal part when a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return [(message, "content")]
    return part_texts(content, strict=strict)


def own_holders(message: Body) -> Body:
    """A copy of ``message`` whose objects that hold its texts (content parts, the audio,
    the items of ``reasoning_details``) are copies too, so that the texts `side_texts` and
    `content_texts` find in it can be replaced without touching ``message``."""
    copy = dict(message)
    for name in ("content", "reasoning_details"):
        value = copy.get(name)
        if isinstance(value, list):
            copy[name] = [dict(v) if isinstance(v, dict) else v for v in value]
    if isinstance(copy.get("audio"), dict):
        copy["audio"] = dict(copy["audio"])
    return copy


def call_arguments(message: Body) -> list[Body]:
    """The objects holding the arguments of ``message``'s tool calls (``tool_calls[]
    .function``, the legacy ``function_call``)."""
    functions = [c.get("function") for c in objects(message.get("tool_calls"), "tool_calls")] + [
        message.get("function_call")
    ]
    found = []
    for function in functions:
        if function is None:
            continue
        if not isinstance(function, dict):
            raise Uncheckable("function")
        value = function.get("arguments")
        if isinstance(value, str):
            found.append(function)
        elif value is not None:
            raise Uncheckable("arguments")
    return found


def unreadable(message: Body) -> str | None:
    """The member of a request's ``message`` whose text is in a shape the guard cannot
    read (and so could not redact), or None."""
    try:
        for read in (side_texts, content_texts, call_arguments):
            read(message)
    except Uncheckable as exc:
        return str(exc)
    return None


def withhold(message: Body, refusal: str | None) -> None:
    """Withhold ``message`` whole: the refusal is its content (see `WITHHELD`)."""
    for name in WITHHELD:
        message.pop(name, None)
    message["content"] = refusal


def check_message(message: Body, guard: Guard, check: Check) -> tuple[list[Decision], bool]:
    """Check the texts of a chat answer's ``message`` in place and restore the user's
    values in them (see the module docstring): the decisions, and whether the message was
    withheld. `Uncheckable` when a text cannot be read (nothing is checked then)."""
    beside, content, calls = side_texts(message), content_texts(message), call_arguments(message)
    decisions: list[Decision] = []
    checks: list[tuple[Body, str, Callable[..., Decision]]] = []
    no_notice = partial(guard.check_output, notice=False)
    checks += [(holder, key, no_notice) for holder, key in beside]
    notice = True  # in the first text of the content only
    for holder, key in content:
        checks.append(
            (holder, key, guard.check_output if notice and key != "refusal" else no_notice)
        )
        notice = notice and key == "refusal"
    checks += [(function, "arguments", guard.check_tool_arguments) for function in calls]
    shown: list[tuple[Body, str, Any]] = []
    for holder, key, method in checks:
        out = check(method, holder[key])
        decisions.append(out)
        if out.blocked:
            withhold(message, out.text)
            return decisions, True
        shown.append((holder, key, out.text))
    for holder, key, text in shown:
        holder[key] = text
    return decisions, False


def _withheld_choice(choice: Body, refusal: str | None) -> None:
    """``choice`` finished by the guard: ``content_filter``, no ``logprobs`` (the withheld
    text, token by token); its message withheld too when ``refusal`` is given."""
    if refusal is not None and isinstance(choice.get("message"), dict):
        withhold(choice["message"], refusal)
    choice["finish_reason"] = "content_filter"
    if choice.get("logprobs") is not None:
        choice["logprobs"] = None


def vendor_members(
    data: Body, choices: list[Body], known_choice: frozenset[str] = KNOWN_CHOICE
) -> list[tuple[Body, str]]:
    """The members of an answer ``data``, its ``choices`` and (chat) their messages that
    the guard does not know (`KNOWN_ANSWER` …), as ``(holder, name)``."""
    found = [(data, k) for k in data if k not in KNOWN_ANSWER]
    for choice in choices:
        found += [(choice, k) for k in choice if k not in known_choice]
        message = choice.get("message") if "message" in known_choice else None
        if isinstance(message, dict):
            found += [(message, k) for k in message if k not in KNOWN_MESSAGE]
    return found


def check_vendor_members(
    vendor: list[tuple[Body, str]],
    guard: Guard,
    check: Check,
    withhold_all: Callable[[str | None], None],
) -> Decision | None:
    """The strings of ``vendor`` (`vendor_members`) checked together, without a notice:
    blocked, those members are dropped and ``withhold_all`` withholds every choice with
    the refusal; else they get the user's values back. The decision, None for none."""
    out = check_together([s for h, name in vendor for s in strings_in(h[name])], guard, check)
    if out is None:
        return None
    if out.blocked:
        for holder, name in vendor:
            del holder[name]
        withhold_all(out.text)
        return out
    for holder, name in vendor:
        holder[name] = restored(holder[name], out.context.vault)
    return out


#: a ``data:`` URL of an image, a sound or a video in base64
_MEDIA_DATA = re.compile(r"data:(?:image|audio|video)/[A-Za-z0-9.+-]{1,64};base64,[A-Za-z0-9+/=]*")


def data_url(text: str) -> bool:
    """Whether ``text`` is an image, a sound or a video as a ``data:`` URL in base64 (and
    nothing but base64 after its head), not text to check (a ``data:text/plain,…`` URL
    is text, and so is one with words after its head)."""
    return text.startswith("data:") and _MEDIA_DATA.fullmatch(text) is not None


def strings_in(value: object, keys: bool = False) -> list[str]:
    """Every string in parsed JSON ``value``, in order, but media `data_url`s; with
    ``keys``, the keys of its objects too."""
    if isinstance(value, str):
        return [] if data_url(value) else [value]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v, keys)]
    if isinstance(value, dict):
        if keys:
            return [s for k, v in value.items() for s in (k, *strings_in(v, keys))]
        return [s for v in value.values() for s in strings_in(v)]
    return []


def check_together(texts: list[str], guard: Guard, check: Check) -> Decision | None:
    """The texts no other check reads (a vendor's members, a hosted tool's items …),
    checked together as one text of the answer, without a notice; None for none."""
    if not texts:
        return None
    return check(partial(guard.check_output, notice=False), "\n".join(texts))


def restored(value: Any, vault: TokenVault) -> Any:
    """Parsed JSON ``value`` with the user's values back in every string."""
    if not len(vault):
        return value
    return map_strings(value, lambda text: vault.restore(text)[0])


def logprob_text(logprobs: object) -> str:
    """What an answer's ``logprobs`` spell: the tokens of chat's ``content`` and
    ``refusal`` lists, or a legacy completion's ``tokens``, joined (a line each list),
    then every other string in it, keys too (the alternatives of ``top_logprobs`` …), a
    line each."""
    if not isinstance(logprobs, dict):
        return "\n".join(strings_in(logprobs, keys=True))
    lines: list[str] = []
    rest: list[object] = []
    for key, value in logprobs.items():
        if key in ("content", "refusal") and isinstance(value, list):
            lines.append("".join(str(t.get("token", "")) for t in value if isinstance(t, dict)))
            rest += [
                {k: v for k, v in t.items() if k != "token"} for t in value if isinstance(t, dict)
            ]
            rest += [t for t in value if not isinstance(t, dict)]
        elif key == "tokens" and isinstance(value, list):
            lines.append("".join(t for t in value if isinstance(t, str)))
            rest += [t for t in value if not isinstance(t, str)]
        else:
            rest += [key, value]
    return "\n".join([*lines, *strings_in(rest, keys=True)])


def check_logprobs(choice: Body, guard: Guard, check: Check) -> Decision | None:
    """A choice's ``logprobs`` (the answer token by token, which a hostile upstream could
    make spell something else) checked as a text of the answer (`logprob_text`), without
    a notice: the decision, for the caller to withhold the choice when it blocks; the
    ``logprobs`` are dropped when it redacts (the tokens would show what the answer's text
    no longer does). None when there are none."""
    logprobs = choice.get("logprobs")
    if logprobs is None:
        return None
    text = logprob_text(logprobs)
    if not text.strip():
        return None
    out = check(partial(guard.check_output, notice=False), text)
    if not out.blocked and out.verdict == "redact":
        choice["logprobs"] = None
    return out


def check_choices(data: Body, guard: Guard, check: Check) -> list[Decision]:
    """Check every choice's ``message`` of a whole chat answer ``data`` in place
    (`check_message`), then its ``logprobs`` (`check_logprobs`); a withheld one finishes
    with ``content_filter`` and loses its ``logprobs``. The strings of the members the
    guard does not know (`vendor_members`) are checked together, without a notice:
    blocked, every choice is withheld and those members are dropped; else they get the
    user's values back. The decisions."""
    decisions: list[Decision] = []
    choices = objects(data.get("choices"), "choices")
    for choice in choices:
        message = choice.get("message")
        if message is not None and not isinstance(message, dict):
            raise Uncheckable("message")
        withheld = False
        if message is not None:
            found, withheld = check_message(message, guard, check)
            decisions += found
        if withheld:
            _withheld_choice(choice, None)
            continue
        tokens = check_logprobs(choice, guard, check)
        if tokens is not None:
            decisions.append(tokens)
            if tokens.blocked:
                _withheld_choice(choice, tokens.text)

    def withhold_all(refusal: str | None) -> None:
        for choice in choices:
            _withheld_choice(choice, refusal)

    out = check_vendor_members(vendor_members(data, choices), guard, check, withhold_all)
    return decisions if out is None else [*decisions, out]


def _withheld_text(choice: Body, refusal: str) -> None:
    """A legacy completion's ``choice`` withheld: the refusal as its text, finished with
    ``content_filter``, no ``logprobs``."""
    choice.update(text=refusal, finish_reason="content_filter")
    if choice.get("logprobs") is not None:
        choice["logprobs"] = None


def check_text_choices(
    data: Body,
    contexts: list[RequestContext],
    n: int,
    guard: Guard,
    checker: Callable[[RequestContext], Check],
) -> list[Decision]:
    """Check every choice's ``text`` of a whole legacy completion ``data`` in place, as
    an answer to its prompt's request (``contexts``, one a prompt; ``n`` choices a prompt,
    by ``index``); a withheld one gets the refusal (`_withheld_text`). The strings of the
    members the guard does not know are checked together (`check_vendor_members`, the
    first prompt's values going back into them): blocked, every choice is withheld. A
    text that is not a string, or choices that are not objects, are `Uncheckable`. The
    decisions."""
    choices = objects(data.get("choices"), "choices")
    decisions: list[Decision] = []
    for pos, choice in enumerate(choices):
        text = choice.get("text")
        if text is not None and not isinstance(text, str):
            raise Uncheckable("text")
        index = choice.get("index", pos)
        prompt = index // n if integer(index) else 0
        check = checker(contexts[min(max(prompt, 0), len(contexts) - 1)])
        if text is not None:
            out = check(guard.check_output, text)
            decisions.append(out)
            if out.blocked:
                _withheld_text(choice, out.text or "")
                continue
            choice["text"] = out.text
        tokens = check_logprobs(choice, guard, check)
        if tokens is not None:
            decisions.append(tokens)
            if tokens.blocked:
                _withheld_text(choice, tokens.text or "")

    def withhold_all(refusal: str | None) -> None:
        for choice in choices:
            _withheld_text(choice, refusal or "")

    vendor = vendor_members(data, choices, KNOWN_TEXT_CHOICE)
    beside = check_vendor_members(vendor, guard, checker(contexts[0]), withhold_all)
    return decisions if beside is None else [*decisions, beside]
