"""Detector steps: `PiiStep` (desensitise per the policy), `HarmfulStep` (keyword library +
optional risk classifier, thresholds per risk) and `PoisonStep` (injection strings in SFT
data, re-ingested AI-generated content)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import Field

from aisec.clean.formats import Doc
from aisec.clean.steps.base import KEEP, Decision, RecordStep, StepParams, Tally
from aisec.detect.base import Detector, Finding
from aisec.detect.scanner import Scanner
from aisec.policy import Policy
from aisec.redact import Redactor, load_key


def _rule(f: Finding) -> dict[str, str]:
    return {"id": f.kind, "detector": f.detector, "version": f.version}


class PiiParams(StepParams):
    """Parameters of `PiiStep`: the actions come from the policy."""

    detectors: list[str] = Field(default_factory=lambda: ["pii", "secrets"])


class PiiStep(RecordStep):
    """Finds personal information (and credentials) and applies the policy's action per
    kind: ``redact:mask|replace|pseudonym|encrypt`` rewrite the text, ``drop``/``block``
    drop the record. Counts findings per PII kind."""

    name = "pii"
    version = "1"
    Params = PiiParams

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        policy: Policy = context["policy"]
        chosen = policy.model_copy(
            update={
                "detectors": {
                    k: v for k, v in policy.detectors.items() if k in self.params.detectors
                }
            }
        )
        self.policy = policy
        self.scanner = chosen.build_scanner()
        key = load_key(None, policy.redaction.key_env)
        self.redactor = Redactor(policy, master_key=key)

    def decide_batch(self, docs: list[Doc]) -> list[Decision]:
        flat = [(i, name, text) for i, d in enumerate(docs) for name, text in d.parts.items()]
        scans = self.scanner.scan_batch([t for _, _, t in flat])
        out = [KEEP] * len(docs)
        new_parts: dict[int, dict[str, str]] = {}
        found: dict[int, list[Finding]] = {}
        dropped: set[int] = set()
        for (i, name, text), scan in zip(flat, scans, strict=True):
            hits = [f for f in scan.findings if self.policy.reaches(f)]
            if not hits:
                continue
            outcome = self.redactor.apply(text, hits)
            found.setdefault(i, []).extend(f for f, _ in outcome.applied)
            if outcome.dropped or outcome.blocked:
                dropped.add(i)
            new_parts.setdefault(i, dict(docs[i].parts))[name] = outcome.text
        for i, hits in found.items():
            kinds = sorted({f.kind for f in hits})
            rules = [_rule(f) for f in {f.kind: f for f in hits}.values()]
            score = max(f.score for f in hits)
            details = [f.kind for f in hits]
            if i in dropped:
                out[i] = Decision("drop", "pii.drop", rules, score, details=details)
            elif new_parts[i] != docs[i].parts:
                out[i] = Decision(
                    "modify",
                    "redacted:" + ",".join(kinds),
                    rules,
                    score,
                    new_parts[i],
                    details=details,
                )
        return out


class HarmfulParams(StepParams):
    """Parameters of `HarmfulStep`."""

    classifier: bool = Field(False, description="also run the risk classifier (Chinese text)")
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    #: per risk class or code: {"A1": 0.6, "A1.4": 0.4}; the most specific wins
    thresholds: dict[str, float] = Field(default_factory=dict)
    action: Literal["drop", "quarantine"] = "drop"


class HarmfulStep(RecordStep):
    """Illegal and harmful content by GB/T 45654 risk code: the keyword library (the
    policy's ``lexicon`` options) and, with ``classifier: true``, the risk model. Records
    at or above the threshold of their risk are dropped or sent to review (quarantine)."""

    name = "harmful"
    version = "1"
    Params = HarmfulParams

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        from aisec.detect.base import registered

        policy: Policy = context["policy"]
        factories = registered()
        detectors: list[Detector] = []
        names = ["lexicon"] + (["risk"] if self.params.classifier else [])
        for name in names:
            cfg = policy.detectors.get(name)
            options = dict(cfg.options) if cfg is not None else {}
            if policy.base_dir is not None:
                options.setdefault("base_dir", policy.base_dir)
            detectors.append(factories[name](**options))
        self.scanner = Scanner(detectors)

    def threshold(self, kind: str) -> float:
        """The threshold of a ``risk.A1.4``-style kind (code, then class, then default)."""
        code = kind.removeprefix("risk.")
        parts = code.split(".")
        for i in range(len(parts), 0, -1):
            key = ".".join(parts[:i])
            if key in self.params.thresholds:
                return float(self.params.thresholds[key])
        return float(self.params.threshold)

    def decide_batch(self, docs: list[Doc]) -> list[Decision]:
        scans = self.scanner.scan_batch([d.text for d in docs])
        out: list[Decision] = []
        for scan in scans:
            hits = [
                f
                for f in scan.findings
                if f.kind.startswith("risk.") and f.score >= self.threshold(f.kind)
            ]
            if not hits:
                out.append(KEEP)
                continue
            best = max(hits, key=lambda f: f.score)
            codes = sorted({f.kind for f in hits})
            out.append(
                Decision(
                    self.params.action,
                    best.kind,
                    [_rule(f) for f in {f.kind: f for f in hits}.values()],
                    best.score,
                    evidence={"codes": codes},
                    details=codes,
                )
            )
        return out

    def run(self, docs: Iterable[Doc], tally: Tally) -> Iterator[Doc]:
        """As `RecordStep.run`, also counting checked and flagged records per source for
        the source gate."""

        def counted() -> Iterator[Doc]:
            for doc in docs:
                tally.source(doc.source)["harmful_checked"] += 1
                yield doc

        yield from super().run(counted(), tally)

    def _flush(self, batch: list[Doc], tally: Tally) -> Iterator[Doc]:
        for doc, d in zip(batch, self.decide_batch(batch), strict=True):
            if d.action == "keep":
                yield doc
            else:
                tally.source(doc.source)["harmful_flagged"] += 1
                tally.record(self, doc, d)


_AIGC_NOTICE = re.compile(
    r"(本(内容|文|回答)?由\s*(AI|人工智能)\s*(生成|辅助生成)|"
    r"(该|此)?内容(可能|疑似)?为人工智能生成(合成)?内容|AI\s*生成|人工智能生成|"
    r"作为一个?(AI|人工智能)(语言)?模型|generated (by|with) (AI|ChatGPT|GPT-?\d|an? AI)|"
    r"AI[- ]generated (content|text)|as an AI language model)",
    re.I,
)
_AIGC_LABEL = re.compile(r'"?AIGC"?\s*[:=]\s*\{[^{}]*"?(Label|ContentProducer)"?', re.I)


class PoisonParams(StepParams):
    """Parameters of `PoisonStep` (the record-level screens; ``triggers`` configures the
    corpus-wide trigger scan, see `aisec.clean.steps.corpus`)."""

    attack: bool = True
    attack_scope: Literal["sft", "all"] = Field(
        "sft", description="sft: only prompt/response records; all: every record"
    )
    attack_threshold: float | None = Field(None, ge=0.0, le=1.0, description="default: calibrated")
    aigc: bool = True
    triggers: bool = True
    trigger_min_docs: int = Field(8, ge=2)
    trigger_min_sources: int = Field(2, ge=1)
    trigger_max_share: float = Field(
        0.02, gt=0.0, le=1.0, description="rare: at most this share of docs"
    )
    trigger_min_context: float = Field(
        0.8, gt=0.0, le=1.0, description="share with the same payload"
    )


class PoisonStep(RecordStep):
    """Quarantines likely poisoning with its evidence: instruction-injection strings in
    SFT data (the ``attack`` detector) and re-ingested AI-generated content (explicit
    "AI生成"-style notices, or a GB 45438 ``AIGC`` label in the record)."""

    name = "poison"
    version = "1"
    Params = PoisonParams

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        super().__init__(params, context)
        self.attack: Any = None
        if self.params.attack:
            from aisec.detect.attack import AttackDetector

            self.attack = AttackDetector(min_score=self.params.attack_threshold)

    def decide(self, doc: Doc) -> Decision:
        p: PoisonParams = self.params
        if p.aigc:
            m = _AIGC_NOTICE.search(doc.text)
            label = _AIGC_LABEL.search(json.dumps(doc.raw, ensure_ascii=False)) if doc.raw else None
            if m or label:
                evidence = (
                    {"notice": m.group(0)} if m else {"label": "AIGC implicit label in record"}
                )
                return Decision(
                    "quarantine",
                    "aigc",
                    [
                        {
                            "id": "poison.aigc_notice" if m else "poison.aigc_label",
                            "detector": "poison",
                            "version": self.version,
                        }
                    ],
                    1.0,
                    evidence=evidence,
                )
        if self.attack is not None and (p.attack_scope == "all" or len(doc.parts) > 1):
            target = doc.text
            found = self.attack.detect(target)
            threshold = (
                p.attack_threshold if p.attack_threshold is not None else self.attack.threshold
            )
            hits = [f for f in found if f.score >= threshold]
            if hits:
                best = max(hits, key=lambda f: f.score)
                return Decision(
                    "quarantine",
                    "injection",
                    [_rule(best)],
                    best.score,
                    evidence={"kind": best.kind, "span": target[best.start : best.end][:200]},
                )
        return KEEP
