"""The cleaning run: plan shards → pass 1 per shard → corpus-wide steps → pass 2 per
shard → ledger, manifest, report.

Every artefact of a pass is written atomically and a shard's pass ends with a marker file
(its ``stats.json``) written last, so a run killed at any moment resumes (``resume=True``)
from the last finished shard and ends with byte-for-byte the same output: shard plans,
record order, deduplication order and ledger order depend only on the inputs and the
recipe, never on timing or on which worker ran what.

Layout of the run folder::

    data/<source>/…          kept records, in the input's format (and compression)
    quarantine/NNNNN.jsonl    quarantined records (malformed input, poisoning suspects …)
    dropped/NNNNN.jsonl       dropped records with the reason (kept apart, never lost)
    ledger.jsonl              hash-chained decision lines
    manifest.json             recipe, versions, digests, counts, invariant
    report.html, summary.json
    work/                     checkpoints (removed at the end unless output.keep_work)
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aisec.clean.corpus_phase import CorpusPhase
from aisec.clean.executor import Executor, make_executor
from aisec.clean.features import FeatureWriter, wanted
from aisec.clean.formats import Doc, Malformed, ShardWriter, SourceReader
from aisec.clean.ledger import LEDGER, MANIFEST, LedgerChain, file_sha256
from aisec.clean.recipe import FieldMap, Recipe, RecipeError
from aisec.clean.sampling import technical_pick, technical_summary
from aisec.clean.shards import Shard, plan_shards
from aisec.clean.steps import (
    Decision,
    Tally,
    build_record_steps,
    step_versions,
)
from aisec.clean.steps.detect import HarmfulStep
from aisec.clean.workfiles import read_docs, read_json, write_json
from aisec.io import atomic_writer
from aisec.policy import Policy, load_policy

#: ``progress(stage, done, total)``
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class StepRef:
    """Names a step in a decision line when the step object is not at hand."""

    name: str
    version: str


# ----------------------------------------------------------------------- worker side

_CACHE: dict[str, tuple[Recipe, Policy, list[Any]]] = {}


def _worker_steps(recipe_json: str, workdir: str) -> tuple[Recipe, list[Any]]:
    if recipe_json not in _CACHE:
        recipe = Recipe.model_validate_json(recipe_json)
        policy = load_policy(recipe.policy)
        steps = build_record_steps(recipe, {"policy": policy, "workdir": Path(workdir)})
        _CACHE.clear()
        _CACHE[recipe_json] = (recipe, policy, steps)
    recipe, _, steps = _CACHE[recipe_json]
    return recipe, steps


def _feature_writer(recipe: Recipe) -> FeatureWriter | None:
    """What the workers compute for the corpus-wide deduplication (None: nothing)."""
    exact, near = wanted(recipe)
    return FeatureWriter(exact, near) if exact or near is not None else None


READ = StepRef("read", "1")


def pass_one(task: dict[str, Any]) -> dict[str, Any]:
    """Read a shard, quarantine what cannot be read, run the per-record steps; write the
    surviving records, the decision lines and the removed records to the work folder."""
    recipe, steps = _worker_steps(task["recipe"], task["workdir"])
    shard = Shard.from_json(task["shard"])
    work = Path(task["workdir"]) / "pass1"
    features = _feature_writer(recipe)
    tally = Tally()
    reader = SourceReader(
        [(Path(a), r) for a, r in shard.files],
        shard.fmt,
        FieldMap(**shard.fields),
        shard.source,
        shard.index,
        shard.span,
    )

    def docs() -> Iterator[Doc]:
        bad = 0
        for item in reader:
            if isinstance(item, Malformed):
                bad += 1
                tally.source(shard.source)["input"] += 1
                doc = Doc(
                    f"{shard.index}:bad{bad}",
                    f"{item.file}:{item.line}",
                    shard.source,
                    item.file,
                    item.line,
                    {},
                    item.raw,
                )
                tally.record(
                    READ, doc, Decision("quarantine", item.reason, evidence={"detail": item.detail})
                )
            else:
                tally.source(item.source)["input"] += 1
                yield item

    stream: Iterator[Doc] = docs()
    for step in steps:
        stream = step.run(stream, tally)
    with atomic_writer(work / f"{shard.key}.docs.jsonl") as fh:
        for doc in stream:
            fh.write(json.dumps(doc.to_json(), ensure_ascii=False) + "\n")
            if features is not None:
                features.add(doc)
    if features is not None:
        features.save(work / f"{shard.key}.features.npz")
    _write_removed(work / f"{shard.key}.removed.jsonl", tally)
    stats = {
        "counts": {k: dict(v) for k, v in tally.counts.items()},
        "details": {k: dict(v) for k, v in tally.details.items()},
        "by_source": {k: dict(v) for k, v in tally.by_source.items()},
        "inputs": [
            {"path": a, "rel": r, "sha256": file_sha256(Path(a)), "bytes": Path(a).stat().st_size}
            for a, r in shard.files
            if shard.reports_inputs
        ],
    }
    write_json(work / f"{shard.key}.stats.json", stats)  # last: the shard's done marker
    return stats


def pass_two(task: dict[str, Any]) -> dict[str, Any]:
    """Apply the corpus-wide decisions to a shard and write its kept records."""
    shard = Shard.from_json(task["shard"])
    work = Path(task["workdir"])
    run = Path(task["run"])
    decisions = {}
    dec_path = work / "global" / f"{shard.key}.jsonl"
    if dec_path.exists():
        for line in dec_path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            decisions[row["uid"]] = row
    tally = Tally()
    with ShardWriter(
        run / shard.out, shard.out_fmt, shard.compression, FieldMap(**shard.fields)
    ) as writer:
        docs_path = work / "pass1" / f"{shard.key}.docs.jsonl"
        recipe, checker = _technical_checker(task["recipe"], task["workdir"])
        kept = _count_lines(docs_path) - len(decisions)
        picks = set(technical_pick(recipe.seed, shard.index, kept))
        sampled: list[Doc] = []
        position = 0
        for doc in read_docs(docs_path):
            row = decisions.get(doc.uid)
            if row is None:
                writer.write(doc)
                tally.source(doc.source)["kept"] += 1
                if position in picks:
                    sampled.append(doc)
                position += 1
                continue
            d = Decision(
                row["action"], row["reason"], row["rules"], row["score"], evidence=row["evidence"]
            )
            tally.record(StepRef(row["step"], row["version"]), doc, d)
        written = writer.close()
    _write_removed(work / "pass2" / f"{shard.key}.removed.jsonl", tally)
    stats = {
        "counts": {k: dict(v) for k, v in tally.counts.items()},
        "by_source": {k: dict(v) for k, v in tally.by_source.items()},
        "outputs": [
            {
                "path": p.relative_to(run).as_posix(),
                "source": shard.source,
                "sha256": file_sha256(p),
                "records": writer.count if len(written) == 1 else 1,
            }
            for p in written
        ],
        "technical": _technical_check(checker, sampled, kept),
    }
    write_json(work / "pass2" / f"{shard.key}.stats.json", stats)
    return stats


_CHECKERS: dict[str, tuple[Recipe, HarmfulStep]] = {}


def _technical_checker(recipe_json: str, workdir: str) -> tuple[Recipe, HarmfulStep]:
    """The re-check of technical sampling: the harmful step's keyword library (and its
    classifier, thresholds and all, when the recipe enables them); the pack's defaults
    when the recipe has no harmful step."""
    if recipe_json not in _CHECKERS:
        recipe = Recipe.model_validate_json(recipe_json)
        spec = recipe.step("harmful")
        params = dict(spec.params) if spec is not None else {}
        context = {"policy": load_policy(recipe.policy), "workdir": Path(workdir)}
        _CHECKERS.clear()
        _CHECKERS[recipe_json] = (recipe, HarmfulStep(params, context))
    return _CHECKERS[recipe_json]


def technical_method(recipe: Recipe) -> list[str]:
    """What technical sampling re-checks with, for the manifest."""
    spec = recipe.step("harmful")
    classifier = bool(spec is not None and spec.params.get("classifier", False))
    return ["keywords (lexicon)"] + (["classifier (risk model)"] if classifier else [])


def _technical_check(checker: HarmfulStep, docs: list[Doc], kept: int) -> dict[str, Any]:
    codes: Counter[str] = Counter()
    failures = []
    for start in range(0, len(docs), 256):
        batch = docs[start : start + 256]
        for doc, d in zip(batch, checker.decide_batch(batch), strict=True):
            if d.action != "keep":
                codes.update(d.details)
                failures.append(
                    {"id": doc.id, "source": doc.source, "codes": d.details, "score": d.score}
                )
    return {
        "population": kept,
        "checked": len(docs),
        "flagged": len(failures),
        "codes": dict(codes),
        "failures": failures[:50],
    }


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def _write_removed(path: Path, tally: Tally) -> None:
    with atomic_writer(path) as fh:
        for ev in tally.events:
            fh.write(json.dumps({"event": ev.to_json()}, ensure_ascii=False) + "\n")
        for doc, ev in tally.removed:
            row = {"removed": {**ev.to_json(), "parts": doc.parts, "raw": doc.raw}}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


# ----------------------------------------------------------------------- driver side


@dataclass
class RunResult:
    """What a run produced (the manifest, as a dict, and where things are)."""

    run: Path
    manifest: dict[str, Any]


def _digest(recipe: Recipe) -> str:
    """The recipe's digest, without what cannot change the output (so a run started on
    one executor can be resumed on the other)."""
    return hashlib.sha256(recipe.model_dump_json(exclude={"executor", "jobs"}).encode()).hexdigest()


class CleaningRun:
    """Runs a recipe (see the module docstring)."""

    def __init__(
        self,
        recipe: Recipe,
        *,
        resume: bool = False,
        jobs: int | None = None,
        executor: Executor | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.recipe = recipe
        self.run = recipe.output.dir
        self.work = self.run / "work"
        self.resume = resume
        self.executor = executor or make_executor(recipe.executor, jobs or recipe.jobs)
        self.progress = progress or (lambda stage, done, total: None)

    def _prepare(self) -> list[Shard]:
        plan_path = self.work / "plan.json"
        digest = _digest(self.recipe)
        if self.resume and plan_path.exists():
            plan = read_json(plan_path)
            if plan["recipe_sha256"] != digest:
                raise RecipeError(
                    f"{self.run}: the recipe changed since the run started; start a new run "
                    "in an empty folder (or run without --resume after removing it)"
                )
            return [Shard.from_json(s) for s in plan["shards"]]
        if self.run.exists() and any(self.run.iterdir()):
            hint = "pass --resume to finish it" if plan_path.exists() else "choose an empty folder"
            raise RecipeError(f"{self.run}: output folder is not empty; {hint}")
        shards = plan_shards(self.recipe)
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        write_json(
            plan_path,
            {"recipe_sha256": digest, "started": started, "shards": [asdict(s) for s in shards]},
        )
        return shards

    def execute(self) -> RunResult:
        """Run (or resume) the recipe to the end; returns the manifest."""
        shards = self._prepare()
        recipe_json = self.recipe.model_dump_json()
        # absolute paths: a worker (a Ray worker above all) may not share our cwd
        base = {
            "recipe": recipe_json,
            "workdir": str(self.work.resolve()),
            "run": str(self.run.resolve()),
        }
        todo = [s for s in shards if not (self.work / "pass1" / f"{s.key}.stats.json").exists()]
        self._map("pass 1", pass_one, [{**base, "shard": asdict(s)} for s in todo], len(shards))
        pass1 = [read_json(self.work / "pass1" / f"{s.key}.stats.json") for s in shards]
        if not (self.work / "global" / "summary.json").exists():
            CorpusPhase(self.recipe, self.work, self.progress).run(shards, pass1)
        todo = [s for s in shards if not (self.work / "pass2" / f"{s.key}.stats.json").exists()]
        self._map("pass 2", pass_two, [{**base, "shard": asdict(s)} for s in todo], len(shards))
        pass2 = [read_json(self.work / "pass2" / f"{s.key}.stats.json") for s in shards]
        manifest = self._finish(shards, pass1, pass2)
        return RunResult(self.run, manifest)

    def _map(
        self,
        stage: str,
        fn: Callable[[dict[str, Any]], Any],
        tasks: list[dict[str, Any]],
        total: int,
    ) -> None:
        done = total - len(tasks)
        self.progress(stage, done, total)
        for _ in self.executor.map(fn, tasks):
            done += 1
            self.progress(stage, done, total)

    def _finish(
        self, shards: list[Shard], pass1: list[dict[str, Any]], pass2: list[dict[str, Any]]
    ) -> dict[str, Any]:
        counts: dict[str, Counter[str]] = {}
        details: dict[str, Counter[str]] = {}
        by_source: dict[str, Counter[str]] = {}
        for st in pass1 + pass2:
            for step, c in st["counts"].items():
                counts.setdefault(step, Counter()).update(c)
            for step, c in st.get("details", {}).items():
                details.setdefault(step, Counter()).update(c)
            for src, c in st["by_source"].items():
                by_source.setdefault(src, Counter()).update(c)
        # the ledger and the removed-record files, in shard order
        lines = 0
        head = ""
        with atomic_writer(self.run / LEDGER) as led:
            chain = LedgerChain(led)
            for shard in shards:
                kinds = {"quarantine": [], "drop": []}  # type: dict[str, list[str]]
                for part in ("pass1", "pass2"):
                    for line in (self.work / part / f"{shard.key}.removed.jsonl").open(
                        encoding="utf-8"
                    ):
                        row = json.loads(line)
                        if "event" in row:
                            chain.append(row["event"])
                        else:
                            rem = row["removed"]
                            kinds["quarantine" if rem["action"] == "quarantine" else "drop"].append(
                                json.dumps(rem, ensure_ascii=False)
                            )
                for kind, folder in (("quarantine", "quarantine"), ("drop", "dropped")):
                    if kinds[kind]:
                        with atomic_writer(self.run / folder / f"{shard.key}.jsonl") as fh:
                            fh.write("\n".join(kinds[kind]) + "\n")
            lines, head = chain.seq, chain.prev
        summaries = read_json(self.work / "global" / "summary.json")
        plan = read_json(self.work / "plan.json")
        totals = Counter()  # type: Counter[str]
        sources: dict[str, dict[str, int]] = {}
        violations = []
        for src in sorted(by_source):
            c = by_source[src]
            row = {k: int(c.get(k, 0)) for k in ("input", "kept", "dropped", "quarantined")}
            sources[src] = row
            totals.update(row)
            if row["input"] != row["kept"] + row["dropped"] + row["quarantined"]:
                violations.append(src)
        import aisec
        from aisec.clean.report import write_report

        manifest: dict[str, Any] = {
            "aisec_version": aisec.__version__,
            "recipe": json.loads(self.recipe.model_dump_json()),
            "recipe_sha256": plan["recipe_sha256"],
            "started": plan["started"],
            "step_versions": step_versions(),
            "sources": [
                {
                    "name": s.label,
                    "path": str(s.path),
                    "type": s.type,
                    "licence": s.licence,
                    "collection": s.collection,
                }
                for s in self.recipe.sources
            ],
            "inputs": [i for st in pass1 for i in st["inputs"]],
            "outputs": [o for st in pass2 for o in st["outputs"]],
            "counts": {k: dict(sorted(v.items())) for k, v in sorted(counts.items())},
            "details": {k: dict(v.most_common()) for k, v in sorted(details.items())},
            "by_source": sources,
            "input": totals["input"],
            "kept": totals["kept"],
            "dropped": totals["dropped"],
            "quarantined": totals["quarantined"],
            "invariant": {"ok": not violations, "violations": violations},
            "global": summaries,
            "ledger": {"path": LEDGER, "lines": lines, "head": head},
            "sampling": {
                "technical": technical_summary(
                    [st["technical"] for st in pass2],
                    self.recipe.seed,
                    technical_method(self.recipe),
                ),
                "manual": None,
            },
        }
        write_json(self.run / MANIFEST, manifest)
        write_report(self.run, manifest)
        if not self.recipe.output.keep_work:
            shutil.rmtree(self.work, ignore_errors=True)
        if violations:
            raise InvariantError(
                f"invariant input = kept + dropped + quarantined broken for: {', '.join(violations)}"
            )
        return manifest


class InvariantError(RecipeError):
    """The run's counts do not add up (a bug: please report it with the manifest)."""
