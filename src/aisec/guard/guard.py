"""`Guard`: input and output checks for an LLM application (library form of the proxy).

::

    guard = Guard("policy.yaml", audit=AuditLog(), system_prompt=SYSTEM)
    d = guard.check_input(messages)
    if d.blocked:
        return d.text                          # the refusal, in the user's language
    answer = call_model(d.messages)            # personal data replaced by <手机号_1> …
    out = guard.check_output(answer, d.context)
    return out.text                            # the user's values restored, notice added

Input: every non-system message is scanned; a finding whose policy action is ``block``
(or ``drop``) blocks the request; ``redact:*`` findings are replaced by per-request
placeholders (see `TokenVault`) whatever the operator, because they must come back on
the way out; ``flag`` only records. Output: the model's answer is scanned, checked for the
canary and for copies of the system prompt, other people's personal data in it is
redacted with the policy's (irreversible) operators, then the user's own placeholders
are restored and the GB 45438 notice is added if the policy says so.

Tool calls: the arguments of the calls in earlier assistant turns (``tool_calls``, the
legacy ``function_call``) are redacted on the way in like any text, in their JSON read
unescaped; `Guard.check_tool_arguments` checks the arguments of a call the model makes as
an answer is checked and restores the user's values in them.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, cast

from aisec.audit import Event, PendingEvent
from aisec.audit.event import utcnow
from aisec.detect.base import Finding, keep_disjoint
from aisec.detect.scanner import Scanner
from aisec.guard.chat import (
    KNOWN_MESSAGE,
    KNOWN_PART,
    content_texts,
    integer,
    map_strings,
    own_holders,
    side_texts,
)
from aisec.guard.config import GuardConfig, load_guard_policy
from aisec.guard.decision import Decision, RequestContext, Stage, Verdict, strongest
from aisec.guard.leak import PromptMatcher, canary_in, new_canary
from aisec.guard.vault import TokenVault
from aisec.io.records import load_json
from aisec.io.unicode import without_lone_surrogates
from aisec.notice import NoticePosition, add_text_notice, notice_text
from aisec.policy import Policy
from aisec.redact import Redactor, load_key
from aisec.text import NormalizedText, normalize

logger = logging.getLogger("aisec.guard")

#: the ``kind`` of findings the guard itself makes
CANARY_KIND = "guard.canary"
PROMPT_KIND = "guard.system_prompt"
ERROR_KIND = "guard.error"
EXCERPT_CHARS = 120
#: texts up to this long are handed to a sink that takes `PendingEvent` as they are, and
#: their excerpt is made by the audit writer; the excerpt of a longer one is made at once
#: (what waits in the audit queue stays small)
DEFER_CHARS = 1024


class AuditSink(Protocol):
    """Where a `Guard` sends its decisions: an `AuditLog`, or anything with its ``record``."""

    def record(self, event: Event) -> None: ...


class PendingSink(Protocol):
    """A sink that also takes a `PendingEvent` (``takes_pending`` is True): `AuditLog`
    and the proxy's batched log. The guard then leaves the making of its events (the
    masked excerpt, the `Event`) to the audit writer's thread."""

    takes_pending: bool

    def record(self, event: Event | PendingEvent) -> None: ...


def decision_event(
    application: str,
    route: str,
    request_id: str,
    stage: str,
    verdict: str,
    kinds: tuple[str, ...],
    detectors: dict[str, str],
    latency_ms: float,
    text: str | None,
    excerpt: str | None,
    findings: tuple[Finding, ...],
    details: dict[str, Any],
    time: datetime,
) -> Event:
    """The audit event of a decision (`Guard.record`): the excerpt is ``excerpt``, or
    ``text``'s with ``findings`` masked."""
    return Event(
        type="decision",
        application=application,
        route=route,
        request_id=request_id,
        stage=stage,
        decision=verdict,
        kinds=kinds,
        detectors=detectors,
        latency_ms=latency_ms,
        excerpt=excerpt if text is None else masked_excerpt(text, findings),
        details=details,
        time=time,
    )


# runs, not single characters: one string per run (a few per sentence), not per letter
_LETTERS = re.compile(r"[^\W\d_]+")
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def language_of(text: str) -> str:
    """``zh`` when at least a tenth of the letters are CJK, else ``en``."""
    cjk = sum(map(len, _CJK.findall(text)))
    if cjk * 10 >= len(text):  # a tenth of the whole text: of its letters too, if any
        return "zh"
    letters = sum(map(len, _LETTERS.findall(text)))
    if not letters:
        return "zh"
    return "zh" if cjk * 10 >= letters else "en"


def masked_excerpt(text: str, findings: Iterable[Finding], limit: int = EXCERPT_CHARS) -> str:
    """The start of ``text`` with every personal-data and secret finding replaced by its
    kind (``<pii.cn_mobile>``): what the audit log may keep."""
    spans = sorted(
        (f for f in findings if f.kind.startswith(("pii.", "secret."))),
        key=lambda f: (f.start, -f.end),
    )
    parts: list[str] = []
    pos = 0
    for f in spans:
        if f.start < pos:
            continue
        parts.append(text[pos : f.start])
        parts.append(f"<{f.kind}>")
        pos = f.end
    parts.append(text[pos:])
    out = "".join(parts)
    out = without_lone_surrogates(out)  # (a client's "\ud83d"): no database can store one
    return out if len(out) <= limit else out[: limit - 1] + "…"


def message_texts(message: dict[str, Any]) -> list[str]:
    """The text parts of an OpenAI-style chat message."""
    content = message.get("content")
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
    return []


def call_functions(message: dict[str, Any], *, copy: bool = False) -> list[dict[str, Any]]:
    """The objects that hold the arguments (JSON text) of a chat message's tool calls:
    each ``tool_calls[].function``, then the legacy ``function_call``, those whose
    ``arguments`` is a string. ``copy``: first give ``message`` copies of its calls, so
    that editing them leaves the caller's objects alone."""
    calls = message.get("tool_calls")
    legacy = message.get("function_call")
    if calls is None and legacy is None:  # (most messages)
        return []
    if copy:
        if isinstance(calls, list):
            calls = message["tool_calls"] = [
                {**c, "function": dict(c["function"])}
                if isinstance(c, dict) and isinstance(c.get("function"), dict)
                else c
                for c in calls
            ]
        if isinstance(legacy, dict):
            legacy = message["function_call"] = dict(legacy)
    found = [c["function"] for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []
    found.append(legacy)
    return [f for f in found if isinstance(f, dict) and isinstance(f.get("arguments"), str)]


def edit_json_strings(
    text: str, edit: Callable[[str], str], *, numbers: bool = False
) -> str | None:
    """``text`` (JSON) with ``edit`` applied to every string value, read unescaped (keys
    kept; ``numbers``: see `map_strings`): written anew only when a value changed, else
    ``text`` itself; None when ``text`` is not JSON."""
    try:
        data = load_json(text)
    except ValueError:
        return None
    changed = False

    def apply(value: str) -> str:
        nonlocal changed
        out = edit(value)
        changed = changed or out != value
        return out

    data = map_strings(data, apply, numbers=numbers)
    return json.dumps(data, ensure_ascii=False) if changed else text


def restore_arguments(arguments: str, vault: TokenVault) -> str:
    """A tool call's arguments with the user's placeholders restored: in each string of
    the JSON (a placeholder the model wrote as ``\\uXXXX`` escapes too); in the text, each
    value escaped as JSON string text, when it is not JSON."""
    if not len(vault):
        return arguments
    restored = edit_json_strings(arguments, lambda value: vault.restore(value)[0])
    return vault.restore(arguments, json_string=True)[0] if restored is None else restored


def json_strings_text(text: str) -> str:
    """What is written in a JSON text: its strings, keys and values, unescaped, and its
    whole numbers, one per line (``text`` itself when it is not JSON)."""
    try:
        data = load_json(text)
    except ValueError:
        return text
    out: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, str):
            out.append(x)
        elif integer(x):  # (a phone or an ID number written as a number)
            out.append(str(x))
        elif isinstance(x, list):
            for y in x:
                walk(y)
        elif isinstance(x, dict):
            for k, v in x.items():
                out.append(k)
                walk(v)

    walk(data)
    return "\n".join(out)


class Guard:
    """Checks a chat request before the model and the answer after it; see the module
    docstring. Thread-safe for concurrent requests (per-request state is in the
    `RequestContext` of each decision)."""

    def __init__(
        self,
        policy: Policy | str | Path | None = None,
        *,
        config: GuardConfig | None = None,
        audit: AuditSink | None = None,
        system_prompt: str | None = None,
        canary: bool | str = True,
        notice: NoticePosition | None = None,
        application: str = "default",
        route: str = "default",
        master_key: bytes | None = None,
    ) -> None:
        if isinstance(policy, Policy):
            self.policy, self.config = policy, config or GuardConfig()
        else:
            self.policy, loaded = load_guard_policy(policy)
            self.config = config or loaded
        if notice is not None:
            self.config = self.config.model_copy(
                update={"notice": self.config.notice.model_copy(update={"position": notice})}
            )
        self.audit = audit
        self.application = application
        self.route = route
        self.scanner: Scanner = self.policy.build_scanner()
        key = master_key or load_key(None, self.policy.redaction.key_env)
        self.redactor = Redactor(self.policy, master_key=key)
        #: the master key (``redaction.key_env``), when one is set: for the keyed
        #: operators and for sealing kept placeholders (`aisec.guard.vaults`)
        self.master_key = key
        self.canary = (canary if isinstance(canary, str) else new_canary()) if canary else None
        leak = self.config.leak
        self.prompt_matcher = (
            PromptMatcher(
                system_prompt, ngram=leak.ngram, min_chars=leak.min_chars, ratio=leak.ratio
            )
            if system_prompt
            else None
        )

    # -- shared pieces -----------------------------------------------------------------

    def context_for(self, text: str, request_id: str) -> RequestContext:
        """The context of ``text`` checked as an answer no request of the user's came
        before (a text a service reads out): in ``text``'s language, an empty vault."""
        return RequestContext(request_id=request_id, language=self._language(text))

    def _language(self, text: str) -> str:
        lang = self.config.language
        return language_of(text) if lang == "auto" else lang

    def _scan(self, text: str, normalized: NormalizedText | None = None) -> list[Finding]:
        """Findings that count under the policy (at or above threshold, not ``allow``);
        ``normalized`` is ``normalize(text)`` when the caller has it already."""
        found = self.scanner.scan(text, normalized).findings
        return [f for f in found if self.policy.reaches(f)]

    def _verdict_of(self, findings: Sequence[Finding]) -> Verdict:
        verdicts: list[Verdict] = []
        for f in findings:
            if f.kind.startswith("guard."):
                continue
            action = self.policy.action_for(f.kind)
            if action in ("block", "drop"):
                verdicts.append("block")
            elif action.startswith("redact:"):
                verdicts.append("redact")
            else:
                verdicts.append("flag")
        return strongest(verdicts)

    def leak_findings(self, text: str, normalized: NormalizedText | None = None) -> list[Finding]:
        """Canary and system-prompt copies in ``text`` (span: the whole text);
        ``normalized`` as for `_scan`."""
        out: list[Finding] = []
        if self.canary and canary_in(text, self.canary, normalized):
            out.append(Finding(CANARY_KIND, 0, len(text), 1.0, "guard", "1"))
        if self.prompt_matcher is not None and self.prompt_matcher.leaks(text, normalized):
            out.append(Finding(PROMPT_KIND, 0, len(text), 1.0, "guard", "1"))
        return out

    def redact_others(self, text: str, findings: Sequence[Finding]) -> str:
        """Apply the policy's own redaction operators to personal data in an answer."""
        edits = [f for f in findings if self.policy.action_for(f.kind).startswith("redact:")]
        edits.sort(key=lambda f: (-f.score, -(f.end - f.start), f.start))
        parts: list[str] = []
        pos = 0
        for f in keep_disjoint(edits, lambda f: (f.start, f.end)):
            op = self.policy.action_for(f.kind).split(":", 1)[1]
            parts.append(text[pos : f.start])
            parts.append(self.redactor.operate(op, f.kind, text[f.start : f.end]))
            pos = f.end
        parts.append(text[pos:])
        return "".join(parts)

    def notice(self, language: str) -> str:
        """The GB 45438 notice wording for ``language``."""
        custom = {
            k: v for k, v in (("zh", self.config.notice.zh), ("en", self.config.notice.en)) if v
        }
        return notice_text(language, custom)

    def record(
        self,
        decision: Decision,
        text: str | None,
        findings: Iterable[Finding] = (),
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Send the decision to the audit log (when there is one), with the start of
        ``text`` as its excerpt, personal data in ``findings`` masked (`masked_excerpt`;
        made only when there is a log). Everything the event is made of is taken now; a
        sink that takes a `PendingEvent` (`PendingSink`) gets one, and its writer thread
        masks the excerpt (of a text up to `DEFER_CHARS` long) and makes the `Event`."""
        audit = self.audit
        if audit is None:
            return
        pending = getattr(audit, "takes_pending", False) is True
        excerpt: str | None = None
        kept: tuple[Finding, ...] = ()
        if text is not None:
            kept = tuple(findings)
            if not pending or len(text) > DEFER_CHARS:
                excerpt, text, kept = masked_excerpt(text, kept), None, ()
        args = (
            self.application,
            self.route,
            decision.request_id,
            decision.stage,
            decision.verdict,
            tuple(decision.kinds),
            dict(self.scanner.versions),
            decision.latency_ms,
            text,
            excerpt,
            kept,
            {"reasons": decision.reasons, **(details or {})},
            utcnow(),
        )
        if pending:
            cast(PendingSink, audit).record(PendingEvent(decision_event, *args))
        else:
            audit.record(decision_event(*args))

    def _failure(
        self, stage: Stage, context: RequestContext, exc: Exception, t0: float
    ) -> Decision:
        """A detector raised: block (fail closed) or let through flagged (fail open)."""
        logger.error("guard: detector failure at %s: %s", stage, type(exc).__name__)
        closed = self.config.fail == "closed"
        refusal = self.config.refusal_text(context.language) if closed else None
        decision = Decision(
            "block" if closed else "flag",
            stage,
            context,
            kinds=[ERROR_KIND],
            reasons=["detector_error"],
            text=refusal,
            refusal=refusal,
            latency_ms=(time.perf_counter() - t0) * 1000,
        )
        self.record(decision, None, details={"error": type(exc).__name__})
        return decision

    # -- input -------------------------------------------------------------------------

    def check_input(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        request_id: str | None = None,
        continued: bool = False,
        vault: TokenVault | None = None,
    ) -> Decision:
        """Check a chat request; see the module docstring. ``continued``: the earlier
        turns are kept by the upstream, not sent: ``vault`` is theirs, kept
        (`aisec.guard.vaults`), else this request's placeholders are numbered apart
        (`TokenVault.apart`)."""
        t0 = time.perf_counter()
        user_text = next(
            (" ".join(message_texts(m)) for m in reversed(messages) if m.get("role") == "user"),
            "",
        )
        language = self._language(user_text)
        context = (
            RequestContext(request_id=request_id, language=language)
            if request_id
            else RequestContext(language=language)
        )
        if vault is not None:
            context.vault = vault
        elif continued:
            context.vault = TokenVault.apart()
        forwarded: list[dict[str, Any]] = []
        found: list[Finding] = []
        excerpt_findings: list[Finding] = []
        last_user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
        try:
            for message in messages:
                if message.get("role") == "system":
                    forwarded.append(dict(message))
                    continue
                # the content, and what an earlier answer sent back carries beside it (its
                # reasoning, refusal, transcript …) with the user's values restored in it
                copy = own_holders(message)
                seen: list[Finding] = []
                for holder, key in content_texts(copy, strict=False):
                    holder[key] = self._redact_text(holder[key], context, found, seen)
                if message is last_user:
                    excerpt_findings = seen
                for holder, key in side_texts(copy, strict=False):
                    holder[key] = self._redact_text(holder[key], context, found, [])
                self._redact_calls(copy, context, found)
                unknown = [(copy, k) for k in copy if k not in KNOWN_MESSAGE]  # (a vendor's
                if isinstance(copy.get("content"), list):  # own: annotations sent back …)
                    for part in copy["content"]:
                        if isinstance(part, dict):
                            unknown += [(part, k) for k in part if k not in KNOWN_PART]
                for holder, name in unknown:
                    holder[name] = map_strings(
                        holder[name], lambda t: self._redact_text(t, context, found, [])
                    )
                forwarded.append(copy)
            if last_user is not None and not isinstance(last_user.get("content"), str):
                excerpt_findings = self.scanner.scan(user_text).findings  # offsets of the join
        except Exception as exc:  # fail open or closed, as the policy says
            failed = self._failure("input", context, exc, t0)
            if not failed.blocked:  # open: the messages go on as they are
                failed.messages = self._add_canary([dict(m) for m in messages])
            return failed
        verdict = self._verdict_of(found)
        kinds = sorted({f.kind for f in found})
        decision = Decision(verdict, "input", context, findings=found, kinds=kinds)
        if verdict == "block":
            decision.refusal = decision.text = self.config.refusal_text(context.language)
            decision.reasons = ["policy"]
        else:
            decision.messages = self._add_canary(forwarded)
        decision.latency_ms = (time.perf_counter() - t0) * 1000
        self.record(decision, user_text, excerpt_findings)
        return decision

    def _redact_text(
        self, text: str, context: RequestContext, found: list[Finding], seen: list[Finding]
    ) -> str:
        everything = self.scanner.scan(text).findings
        # the excerpt masks every personal value, even one below its threshold
        seen.extend(everything)
        findings = [f for f in everything if self.policy.reaches(f)]
        found.extend(findings)
        edits = [f for f in findings if self.policy.action_for(f.kind).startswith("redact:")]
        edits.sort(key=lambda f: (-f.score, -(f.end - f.start), f.start))
        parts: list[str] = []
        pos = 0
        for f in keep_disjoint(edits, lambda f: (f.start, f.end)):
            parts.append(text[pos : f.start])
            value = text[f.start : f.end]
            parts.append(context.vault.token_for(f.kind, self.redactor.label(f.kind), value))
            pos = f.end
        parts.append(text[pos:])
        return "".join(parts)

    def _redact_calls(
        self, message: dict[str, Any], context: RequestContext, found: list[Finding]
    ) -> None:
        """Redact the arguments of the tool calls in ``message`` (an assistant's earlier
        turn, sent back with the user's values that were restored in it): in copies of
        its calls, put in its place."""
        for function in call_functions(message, copy=True):
            function["arguments"] = self._redact_arguments(function["arguments"], context, found)

    def _redact_arguments(
        self, arguments: str, context: RequestContext, found: list[Finding]
    ) -> str:
        """A tool call's arguments with the user's personal data replaced by placeholders:
        in each string of the JSON (read unescaped, so that ``\\u5f20`` is 张) and each
        whole number (a phone number written as a number becomes its placeholder, a
        string), or in the text itself when it is not JSON."""
        redacted = edit_json_strings(
            arguments, lambda value: self._redact_text(value, context, found, []), numbers=True
        )
        if redacted is None:
            return self._redact_text(arguments, context, found, [])
        return redacted

    @property
    def canary_mark(self) -> str:
        """What `check_input` appends to the system prompt ("" without a canary): taken
        out again of what the upstream stored and the client reads back."""
        return f"\n\n<!-- {self.canary} -->" if self.canary else ""

    def _add_canary(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.canary:
            return messages
        for i, m in enumerate(messages):
            if m.get("role") == "system" and isinstance(m.get("content"), str):
                messages[i] = {**m, "content": m["content"] + self.canary_mark}
                break
        return messages

    # -- output ------------------------------------------------------------------------

    def check_output(
        self, text: str, context: RequestContext | None = None, *, notice: bool = True
    ) -> Decision:
        """Check a complete answer; ``context`` is ``check_input``'s (for restoring the
        user's values and answering in their language). ``notice=False``: no notice
        written into this text (one part of an answer whose notice goes elsewhere)."""
        t0 = time.perf_counter()
        context = context or RequestContext(language=self._language(text))
        decision, findings = self._judge_output(text, context, t0)
        if not decision.blocked:  # (a failed detector, when open, lets the answer go on)
            decision.text = self._shown(text, findings or [], context, notice)
        if findings is None:  # a detector failed: `_failure` recorded it
            return decision
        decision.latency_ms = (time.perf_counter() - t0) * 1000
        self.record(decision, text, findings)
        return decision

    def _shown(
        self, text: str, findings: list[Finding], context: RequestContext, notice: bool = True
    ) -> str:
        """An answer as the user sees it: others' personal data redacted, the user's own
        values restored (in the strings of a JSON answer, escaped), the notice added as
        the policy says (not into a JSON answer: `withheld_notice`; not with
        ``notice=False``)."""
        redacted = self.redact_others(text, findings)
        if context.json_answer:
            return restore_arguments(redacted, context.vault)
        shown, _ = context.vault.restore(redacted)
        position = self.config.notice.position
        # (`add_text_notice` leaves the text as it is with no notice: none is worded)
        if position == "none" or not notice:
            return shown
        return add_text_notice(shown, position, self.notice(context.language))

    def notice_position(self, context: RequestContext) -> NoticePosition:
        """Where the notice goes in an answer: as the policy says, none in a JSON answer."""
        return "none" if context.json_answer else self.config.notice.position

    def withheld_notice(self, context: RequestContext) -> str | None:
        """The notice the policy asks for that a JSON answer cannot carry (the proxy puts
        it beside ``choices``, in ``"aisec"``), else None."""
        if context.json_answer and self.config.notice.position != "none":
            return self.notice(context.language)
        return None

    def _judge_output(
        self, text: str, context: RequestContext, t0: float
    ) -> tuple[Decision, list[Finding] | None]:
        """The decision on an answer (its findings, canary and system-prompt leaks; the
        refusal as its text when blocked) and the findings that count under the policy;
        when a detector fails, `_failure`'s decision and None."""
        try:
            normalized = normalize(text)  # once, for the scan and the leak checks
            findings = self._scan(text, normalized)
            leaks = self.leak_findings(text, normalized)
        except Exception as exc:
            return self._failure("output", context, exc, t0), None
        verdict = self._verdict_of(findings)
        reasons = ["policy"] if verdict != "allow" else []
        if leaks:
            reasons += [f.kind.removeprefix("guard.") for f in leaks]
            verdict = strongest(
                [verdict, "block" if self.config.leak.action == "block" else "flag"]
            )
        all_findings = findings + leaks
        decision = Decision(
            verdict,
            "output",
            context,
            findings=all_findings,
            kinds=sorted({f.kind for f in all_findings}),
            reasons=reasons,
        )
        if decision.blocked:
            decision.refusal = decision.text = self.config.refusal_text(context.language)
        return decision, findings

    def check_tool_arguments(
        self, arguments: str, context: RequestContext | None = None, *, free_text: bool = False
    ) -> Decision:
        """Check the arguments of a tool call the model made (JSON text, as in
        ``tool_calls[].function.arguments``) as an answer is checked — detectors, canary,
        system prompt — on the strings of the JSON; ``text`` is the arguments to pass on,
        the user's placeholders restored (escaped as JSON), or the refusal when blocked.
        Left as they are: other people's personal data (a tool needs its arguments
        whole: a finding the policy blocks blocks the call) and any notice.
        ``free_text``: the call's input is plain text (a custom tool's), checked and
        restored as it is."""
        t0 = time.perf_counter()
        text = arguments if free_text else json_strings_text(arguments)
        context = context or RequestContext(language=self._language(text))
        decision, findings = self._judge_output(text, context, t0)
        if not decision.blocked:  # (a failed detector, when open, lets the call go on)
            decision.text = (
                context.vault.restore(arguments)[0]
                if free_text
                else restore_arguments(arguments, context.vault)
            )
        if findings is None:  # a detector failed: `_failure` recorded it
            return decision
        decision.latency_ms = (time.perf_counter() - t0) * 1000
        self.record(decision, text, findings, details={"part": "tool_arguments"})
        return decision

    def guard_stream(
        self, chunks: Iterable[str], context: RequestContext | None = None
    ) -> Iterator[str]:
        """Check a streamed answer on a sliding window and yield what is safe to show;
        see `aisec.guard.stream`."""
        from aisec.guard.stream import StreamChecker

        return StreamChecker(self, context).run(chunks)
