"""The step base classes: the bookkeeping lives here, the decision in the subclass.

A `RecordStep` looks at records one by one (or a batch at a time) and answers keep,
modify, drop or quarantine, with a reason; the base class applies the answer, counts it
per reason and per source, and hands a decision line to the ledger. A `GlobalStep` sees
every surviving record first (`observe`) and then decides (`decisions`): deduplication,
trigger n-grams and the source gate need the whole corpus.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from aisec.clean.formats import Doc
from aisec.clean.recipe import RecipeError

if TYPE_CHECKING:
    from aisec.clean.features import ShardFeatures

Action = Literal["keep", "modify", "drop", "quarantine"]


def text_hash(parts: dict[str, str]) -> str:
    """The hash of a record's text parts (the ledger's before/after)."""
    h = hashlib.sha256()
    for name, value in parts.items():
        h.update(name.encode() + b"\0" + value.encode("utf-8") + b"\0")
    return h.hexdigest()[:32]


@dataclass
class Decision:
    """What a step decided for one record, and why.

    ``rules`` are ``{"id", "detector", "version"}`` dicts naming what fired; ``details``
    are extra counters for the report (PII kinds, risk codes)."""

    action: Action = "keep"
    reason: str = ""
    rules: list[dict[str, str]] = field(default_factory=list)
    score: float | None = None
    parts: dict[str, str] | None = None
    evidence: dict[str, Any] | None = None
    details: list[str] = field(default_factory=list)


KEEP = Decision()


class NamedStep(Protocol):
    """Anything with a step name and version (a step, or a reference to one)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...


class StepParams(BaseModel):
    """Base of every step's parameters: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Event:
    """One decision line before it is chained into the ledger."""

    uid: str
    record: str
    source: str
    file: str
    line: int
    step: str
    version: str
    action: str
    reason: str
    rules: list[dict[str, str]]
    score: float | None
    before: str
    after: str | None
    evidence: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The ledger fields (without the chain)."""
        return {
            "uid": self.uid,
            "record": self.record,
            "source": self.source,
            "file": self.file,
            "line": self.line,
            "step": self.step,
            "step_version": self.version,
            "action": self.action,
            "reason": self.reason,
            "rules": self.rules,
            "score": None if self.score is None else round(self.score, 4),
            "before": self.before,
            "after": self.after,
            "evidence": self.evidence,
        }


class Tally:
    """Counts and decision lines of one shard (or one global pass)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.removed: list[tuple[Doc, Event]] = []
        #: step → "action:reason" → records
        self.counts: dict[str, Counter[str]] = {}
        #: step → detail → occurrences (PII kinds, risk codes …)
        self.details: dict[str, Counter[str]] = {}
        #: source → "input" | "dropped" | "quarantined" | "kept" → records
        self.by_source: dict[str, Counter[str]] = {}

    def source(self, name: str) -> Counter[str]:
        """The counters of one source."""
        return self.by_source.setdefault(name, Counter())

    def record(self, step: NamedStep, doc: Doc, d: Decision) -> None:
        """Apply the bookkeeping of one decision that is not ``keep``."""
        before = text_hash(doc.parts)
        after = text_hash(d.parts) if d.action == "modify" and d.parts is not None else None
        ev = Event(
            doc.uid,
            doc.id,
            doc.source,
            doc.file,
            doc.line,
            step.name,
            step.version,
            d.action,
            d.reason,
            d.rules,
            d.score,
            before,
            after,
            d.evidence,
        )
        self.events.append(ev)
        self.counts.setdefault(step.name, Counter())[f"{d.action}:{d.reason}"] += 1
        if d.details:
            self.details.setdefault(step.name, Counter()).update(d.details)
        if d.action == "modify" and d.parts is not None:
            doc.parts = d.parts
        elif d.action in ("drop", "quarantine"):
            self.source(doc.source)["dropped" if d.action == "drop" else "quarantined"] += 1
            self.removed.append((doc, ev))


def parse_params(step: str, model: type[StepParams], params: dict[str, Any]) -> Any:
    """Validate a step's parameters; errors name the step and the key."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise RecipeError(f"steps.{step}.params.{where}: {msg}") from exc


class RecordStep:
    """A step that decides record by record (see the module docstring)."""

    name: ClassVar[str]
    version: ClassVar[str]
    Params: ClassVar[type[StepParams]] = StepParams
    batch_size: ClassVar[int] = 256

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        self.params = parse_params(self.name, self.Params, params)
        self.context = context

    def decide(self, doc: Doc) -> Decision:
        """The decision for one record (subclasses override this or `decide_batch`)."""
        raise NotImplementedError

    def decide_batch(self, docs: list[Doc]) -> list[Decision]:
        """Decisions for a batch (override for detectors that scan in batches)."""
        return [self.decide(d) for d in docs]

    def run(self, docs: Iterable[Doc], tally: Tally) -> Iterator[Doc]:
        """Yield the records that go on; account for the others in ``tally``."""
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= self.batch_size:
                yield from self._flush(batch, tally)
                batch = []
        if batch:
            yield from self._flush(batch, tally)

    def _flush(self, batch: list[Doc], tally: Tally) -> Iterator[Doc]:
        for doc, d in zip(batch, self.decide_batch(batch), strict=True):
            if d.action != "keep":
                tally.record(self, doc, d)
            if d.action in ("keep", "modify"):
                yield doc


class GlobalStep:
    """A step that sees every record before deciding (see the module docstring)."""

    name: ClassVar[str]
    version: ClassVar[str]
    Params: ClassVar[type[StepParams]] = StepParams
    #: how many times the pipeline streams the surviving records through `observe`
    passes: ClassVar[int] = 1
    #: takes the per-record features the workers computed (`aisec.clean.features`)
    #: through ``observe_features(uids, features)`` instead of the records themselves
    uses_features: ClassVar[bool] = False

    def __init__(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        self.params = parse_params(self.name, self.Params, params)
        self.context = context

    def observe(self, docs: list[Doc], pass_no: int) -> None:
        """Take in a batch of records (in the run's fixed order) during pass ``pass_no``."""
        raise NotImplementedError

    def observe_features(self, uids: list[str], features: ShardFeatures) -> None:
        """Take in the features of a shard's records not yet decided (steps with
        `uses_features`; called instead of `observe`)."""
        raise NotImplementedError

    def decisions(self) -> dict[str, Decision]:
        """``uid`` → decision for every record that is not kept as it is."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """Extra figures for the report (clusters, rates …)."""
        return {}
