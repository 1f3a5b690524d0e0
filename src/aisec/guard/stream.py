"""`StreamChecker`: a streamed answer checked on a sliding window.

Hold-back: a character is emitted only after ``stream.hold_back`` (default 64) more
characters have arrived behind it and the window holding it has been checked; so any
finding up to ``hold_back`` characters long (a keyword, a phone number, a placeholder, a
sentence fragment of the system prompt long enough to count) is seen whole before its
first character goes out. The client sees the answer at most ``hold_back + step``
characters (default 96) behind the model, and the whole of it at the end.

Each check scans the text not yet checked plus up to ``stream.window`` (512) characters
before it, for context. When a check says block — a ``block`` finding, the canary, a copy
of the system prompt — the stream stops: the held-back text is discarded, the upstream
iterator is closed, and a closing notice (``guard.cutoff`` in the user's language) is the
last chunk. A stream that ends otherwise — the client disconnects, the upstream fails —
is still recorded (`abandon`), with what was received so far. Personal data of others found in the answer is redacted with the policy's
operators; the user's own placeholders are restored, and a cut never falls inside a
placeholder or a finding, so a value split across chunks is restored whole.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from aisec.detect.base import Finding
from aisec.guard.decision import Decision, RequestContext, Verdict, strongest
from aisec.notice import add_text_notice

if TYPE_CHECKING:
    from aisec.guard.guard import Guard


class StreamChecker:
    """One streamed answer; use `Guard.guard_stream`."""

    def __init__(
        self, guard: Guard, context: RequestContext | None, *, notice: bool = True
    ) -> None:
        self.guard = guard
        self.context = context
        #: False: no notice in this stream (one part of an answer whose notice goes
        #: elsewhere)
        self.notice = notice
        cfg = guard.config.stream
        self.hold_back, self.window, self.step = cfg.hold_back, cfg.window, cfg.step
        self.received = ""
        self.emitted = 0
        self.checked = 0
        #: redactions of others' personal data, by absolute (start, end)
        self.edits: dict[tuple[int, int], Finding] = {}
        self.findings: dict[tuple[str, int, int], Finding] = {}
        self.verdicts: list[Verdict] = []
        self.reasons: list[str] = []
        self.spent = 0.0
        self.started = False
        #: the stream is over (`end` was called or the stream was stopped)
        self.done = False
        #: the stream was cut off
        self.stopped = False
        #: the decision recorded when the stream ended
        self.decision: Decision | None = None

    def _context(self) -> RequestContext:
        if self.context is None:
            self.context = RequestContext(language=self.guard._language(self.received))
        return self.context

    def _check(self) -> bool:
        """Check the window; True when the stream must stop."""
        t0 = time.perf_counter()
        start = max(0, min(self.emitted, self.checked) - self.window)
        window = self.received[start:]
        try:
            found = [f.with_span(f.start + start, f.end + start) for f in self.guard._scan(window)]
            leaks = self.guard.leak_findings(window)
        except Exception:
            self.spent += time.perf_counter() - t0
            if self.guard.config.fail == "closed":
                self.reasons.append("detector_error")
                self.findings[("guard.error", 0, 0)] = Finding(
                    "guard.error", 0, 0, 1.0, "guard", "1"
                )
                return True
            self.verdicts.append("flag")
            return False
        self.checked = len(self.received)
        for f in found:
            self.findings[(f.kind, f.start, f.end)] = f
            if self.guard.policy.action_for(f.kind).startswith("redact:"):
                self.edits[(f.start, f.end)] = f
        verdict = self.guard._verdict_of(found)
        self.verdicts.append(verdict)
        if verdict != "allow" and "policy" not in self.reasons:
            self.reasons.append("policy")
        stop = verdict == "block"
        for leak in leaks:
            self.findings[(leak.kind, 0, 0)] = leak.with_span(0, 0)
            self.reasons.append(leak.kind.removeprefix("guard."))
            if self.guard.config.leak.action == "block":
                stop = True
            else:
                self.verdicts.append("flag")
        self.spent += time.perf_counter() - t0
        return stop

    def _emit(self, upto: int) -> str:
        """Restored, redacted text from ``emitted`` to a safe cut at or before ``upto``."""
        cut = min(upto, self.checked)
        for s, e in self.edits:
            if s < cut < e:
                cut = s
        cut = self._context().vault.safe_cut(self.received, cut)
        if cut <= self.emitted:
            return ""
        parts: list[str] = []
        pos = self.emitted
        for (s, e), f in sorted(self.edits.items()):
            if s >= pos and e <= cut:
                op = self.guard.policy.action_for(f.kind).split(":", 1)[1]
                parts.append(self.received[pos:s])
                parts.append(self.guard.redactor.operate(op, f.kind, self.received[s:e]))
                pos = e
        parts.append(self.received[pos:cut])
        self.emitted = cut
        context = self._context()
        text, _ = context.vault.restore("".join(parts), json_string=context.json_answer)
        return text

    def _finish(self, verdict: Verdict, excerpt_end: int) -> None:
        context = self._context()
        findings = list(self.findings.values())
        decision = Decision(
            verdict,
            "stream",
            context,
            findings=findings,
            kinds=sorted({f.kind for f in findings}),
            reasons=self.reasons,
            latency_ms=self.spent * 1000,
        )
        self.decision = decision
        text = self.received[:excerpt_end]
        self.guard.record(
            decision,
            text,
            [f for f in findings if f.end <= len(text)],
            details={"chars": len(self.received), "emitted": self.emitted},
        )

    def push(self, chunk: str) -> list[str]:
        """Take the next piece of the answer and return what may be shown now (push form,
        for async streams). After a stop the last piece is the closing notice, `done` and
        `stopped` are true, and further pieces are ignored."""
        if self.done or not chunk:
            return []
        out: list[str] = []
        self.received += chunk
        if not self.started:
            self.started = True
            if self.notice and self.guard.notice_position(self._context()) == "prepend":
                out.append(self.guard.notice(self._context().language) + "\n")
        if len(self.received) - self.checked < self.step:
            return out
        if self._check():
            out.extend(self._stop())
            return out
        text = self._emit(len(self.received) - self.hold_back)
        if text:
            out.append(text)
        return out

    def end(self) -> list[str]:
        """The upstream has finished: check what is left and return the rest (or the
        closing notice); records the decision."""
        if self.done:
            return []
        if self.checked < len(self.received) and self._check():
            return list(self._stop())
        tail = self._emit(len(self.received))
        if self.notice and self.guard.notice_position(self._context()) == "append":
            tail = add_text_notice(tail, "append", self.guard.notice(self._context().language))
        self.done = True
        self._finish(strongest(self.verdicts), len(self.received))
        return [tail] if tail else []

    def abandon(self, why: str = "client_disconnected") -> None:
        """The stream ended early without `end` (the client went away, the upstream
        failed): record the decision on what was received so far, with ``why`` in the
        reasons. Does nothing once the stream is over."""
        if self.done:
            return
        self.done = True
        self.reasons.append(why)
        self._finish(strongest(self.verdicts) if self.verdicts else "allow", len(self.received))

    def run(self, chunks: Iterable[str]) -> Iterator[str]:
        """Yield the checked answer; see the module docstring."""
        iterator = iter(chunks)
        try:
            for chunk in iterator:
                yield from self.push(chunk)
                if self.done:
                    return
            yield from self.end()
        finally:
            self.abandon("abandoned")
            close = getattr(iterator, "close", None)
            if callable(close):
                close()

    def _stop(self) -> Iterator[str]:
        context = self._context()
        cutoff = self.guard.config.cutoff_text(context.language)
        self.done = self.stopped = True
        self._finish("block", self.emitted)
        yield ("\n" if self.emitted else "") + cutoff
