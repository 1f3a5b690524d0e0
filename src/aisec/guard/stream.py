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
last chunk. Personal data of others found in the answer is redacted with the policy's
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

    def __init__(self, guard: Guard, context: RequestContext | None) -> None:
        self.guard = guard
        self.context = context
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
        text, _ = self._context().vault.restore("".join(parts))
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
        from aisec.guard.guard import masked_excerpt

        text = self.received[:excerpt_end]
        self.guard.record(
            decision,
            masked_excerpt(text, [f for f in findings if f.end <= len(text)]),
            details={"chars": len(self.received), "emitted": self.emitted},
        )

    def run(self, chunks: Iterable[str]) -> Iterator[str]:
        """Yield the checked answer; see the module docstring."""
        notice_cfg = self.guard.config.notice
        iterator = iter(chunks)
        try:
            first = True
            for chunk in iterator:
                if not chunk:
                    continue
                self.received += chunk
                if first and notice_cfg.position == "prepend":
                    lang = self._context().language
                    yield self.guard.notice(lang) + "\n"
                first = False
                if len(self.received) - self.checked < self.step:
                    continue
                if self._check():
                    yield from self._stop()
                    return
                out = self._emit(len(self.received) - self.hold_back)
                if out:
                    yield out
            if self.checked < len(self.received) and self._check():
                yield from self._stop()
                return
            tail = self._emit(len(self.received))
            if notice_cfg.position == "append":
                tail = add_text_notice(tail, "append", self.guard.notice(self._context().language))
            if tail:
                yield tail
            self._finish(strongest(self.verdicts), len(self.received))
        finally:
            close = getattr(iterator, "close", None)
            if callable(close):
                close()

    def _stop(self) -> Iterator[str]:
        context = self._context()
        cutoff = self.guard.config.cutoff_text(context.language)
        self._finish("block", self.emitted)
        yield ("\n" if self.emitted else "") + cutoff
