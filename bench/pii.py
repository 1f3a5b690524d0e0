"""aisec vs Microsoft Presidio on PII: the same texts, in the same run, on one core.

Run from the repository root::

    .venv/bin/python bench/pii.py            # --help for the options

Data: (1) a labelled zh/en set made by ``bench/pii_gen.py`` (seeded; hard negatives
included), (2) Presidio's own English synthetic set ``synth_dataset_v2.json`` read from
``--presidio-data`` (skipped with a message when absent). Writes ``bench/out/pii.json``
and the section between ``<!-- pii:start -->`` and ``<!-- pii:end -->`` of
``bench/RESULTS.md``.

Scoring rule: a predicted span is a true positive when it has the same (mapped) kind as a
gold span and overlaps it; precision counts predictions, recall counts gold spans (a gold
span is found when any same-kind prediction overlaps it). The exact-span rate is the share
of found gold spans that some prediction matches to the character. Predictions of kinds
outside the evaluated set are ignored. A hard negative is "hit" when any prediction of a
``pii.*`` kind (Presidio's mapped to one) overlaps it. Names and addresses are also scored
per script (``pii.address (zh)``: the span contains CJK characters).

Presidio runs offline: no spaCy model can be downloaded here, so its NLP engine is a blank
spaCy ``en`` tokenizer (plus lower-case lemmas so context words work) and its NER
recogniser (``SpacyRecognizer``, the only source of PERSON/LOCATION) is removed; every
predefined pattern/rule recogniser for ``en`` runs, the phone recogniser with region CN
added. Presidio has no recognisers for Chinese IDs, plates, USCC and the like, so it scores
0 on those kinds; that is reported, not hidden.

Timing: best of ``--passes`` (7) for aisec, one pass for Presidio (its pass takes minutes).
aisec is run and timed first, then Presidio is loaded, run and timed, so that neither is
timed on a heap the other has churned.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

# one core: no BLAS / OpenMP worker threads behind our back
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# tldextract (used by Presidio's e-mail recogniser) must use its bundled suffix list
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pii_gen import KINDS, NEGATIVE_TYPES, Item, generate  # noqa: E402
from pii_report import render_markdown, update_results, write_atomic  # noqa: E402

Pred = tuple[str, int, int, float]  # (kind, start, end, score)
Span = tuple[str, int, int]  # (kind or label, start, end)
Relabel = Callable[[str, str], str | None]  # (kind, matched text) -> label, None = ignore

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"  # ../shared/data beside the project, read by path
PRESIDIO_DATA = DATA / "en-pii-presidio" / "synth_dataset_v2.json"
_CJK = re.compile(r"[\u3400-\u9fff]")

# fmt: off
# Presidio entity -> aisec kind on the generated set (phones and IPs split by shape below)
PRESIDIO_TO_AISEC = {"CREDIT_CARD": "pii.bank_card", "EMAIL_ADDRESS": "pii.email",
                     "IP_ADDRESS": "ip", "PHONE_NUMBER": "phone", "PERSON": "pii.person_name",
                     "US_PASSPORT": "pii.passport"}
# en-pii-presidio: gold entity -> evaluation label, and the same for each tool's output
GOLD_LABELS = {"PERSON": "person", "STREET_ADDRESS": "address", "CREDIT_CARD": "card",
               "EMAIL_ADDRESS": "email", "IP_ADDRESS": "ip", "PHONE_NUMBER": "phone",
               "DATE_TIME": "date_time", "DOMAIN_NAME": "domain", "IBAN_CODE": "iban",
               "US_SSN": "us_ssn", "US_DRIVER_LICENSE": "us_driver_license"}
AISEC_LABELS = {"pii.person_name": "person", "pii.address": "address", "pii.bank_card": "card",
                "pii.email": "email", "pii.ipv4": "ip", "pii.ipv6": "ip", "pii.cn_mobile": "phone",
                "pii.cn_landline": "phone", "pii.phone": "phone", "pii.us_ssn": "us_ssn",
                "pii.iban": "iban"}
PRESIDIO_LABELS = {"PERSON": "person", "CREDIT_CARD": "card", "EMAIL_ADDRESS": "email",
                   "IP_ADDRESS": "ip", "PHONE_NUMBER": "phone", "DATE_TIME": "date_time",
                   "URL": "domain", "IBAN_CODE": "iban", "US_SSN": "us_ssn",
                   "US_DRIVER_LICENSE": "us_driver_license"}
# fmt: on


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"[pii-bench] {msg}", file=sys.stderr, flush=True)


# --- the two tools -----------------------------------------------------------------------


def build_presidio() -> tuple[Any, list[str], list[str]]:
    """An offline Presidio `AnalyzerEngine` (pattern/rule recognisers only), the names of
    its recognisers and the entities they support."""
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer
    from spacy.language import Language

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    if "bench_lower_lemma" not in Language.factories:

        @Language.component("bench_lower_lemma")
        def _lower_lemma(doc: Any) -> Any:  # a blank pipeline has no lemmatiser
            for token in doc:
                token.lemma_ = token.lower_
            return doc

    nlp = spacy.blank("en")
    nlp.add_pipe("bench_lower_lemma")
    model_dir = tempfile.mkdtemp(prefix="presidio-blank-en-")
    nlp.to_disk(model_dir)
    conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model_dir}]}
    engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    registry.remove_recognizer("SpacyRecognizer")  # NER: needs a trained model
    registry.remove_recognizer("PhoneRecognizer")
    regions = (*PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS, "CN")
    registry.add_recognizer(PhoneRecognizer(supported_regions=regions))
    analyzer = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])
    names = sorted(r.name for r in registry.recognizers)
    return analyzer, names, sorted(analyzer.get_supported_entities("en"))


def aisec_fn(det: Any) -> Callable[[str], list[Pred]]:
    """``text -> predictions`` for an aisec detector."""
    return lambda text: [(f.kind, f.start, f.end, f.score) for f in det.detect(text)]


def presidio_fn(analyzer: Any) -> Callable[[str], list[Pred]]:
    """``text -> predictions`` for Presidio (its own entity names)."""
    return lambda text: [
        (r.entity_type, r.start, r.end, r.score) for r in analyzer.analyze(text, language="en")
    ]


def run_all(
    fn: Callable[[str], list[Pred]], texts: Sequence[str]
) -> tuple[list[list[Pred]], float]:
    """Predictions for every text and the seconds spent inside ``fn`` alone."""
    out: list[list[Pred]] = []
    spent = 0.0
    for text in texts:
        t0 = time.perf_counter()
        preds = fn(text)
        spent += time.perf_counter() - t0
        out.append(preds)
    return out, spent


def presidio_kind(entity: str, value: str) -> str | None:
    """The aisec kind a Presidio entity stands for on the generated set (None: unmapped)."""
    kind = PRESIDIO_TO_AISEC.get(entity)
    if kind == "ip":
        return "pii.ipv6" if ":" in value else "pii.ipv4"
    if kind == "phone":
        digits = re.sub(r"^(0086|86)(?=1\d{10}$)", "", re.sub(r"\D", "", value))
        return "pii.cn_mobile" if re.fullmatch(r"1\d{10}", digits) else "pii.cn_landline"
    return kind


def relabel(
    preds: Sequence[Sequence[Pred]], texts: Sequence[str], fn: Relabel, threshold: float
) -> list[list[Span]]:
    """Predictions at or above ``threshold``, relabelled by ``fn`` (None drops them)."""
    out = []
    for ps, text in zip(preds, texts, strict=True):
        labelled = ((fn(k, text[s:e]), s, e) for k, s, e, score in ps if score >= threshold)
        out.append([(lb, s, e) for lb, s, e in labelled if lb is not None])
    return out


def by_language(spans: Sequence[Sequence[Span]], texts: Sequence[str]) -> list[list[Span]]:
    """Names and addresses relabelled per script, e.g. ``pii.address (zh)``; others dropped."""
    return [
        [(f"{k} ({'zh' if _CJK.search(t[s:e]) else 'en'})", s, e) for k, s, e in ss
         if k in ("pii.person_name", "pii.address")]
        for ss, t in zip(spans, texts, strict=True)
    ]  # fmt: skip


# --- scoring -----------------------------------------------------------------------------


def _overlaps(a: Span, b: Span) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def _matched(span: Span, others: Iterable[Span]) -> list[Span]:
    return [o for o in others if o[0] == span[0] and _overlaps(span, o)]


def score(
    gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]], labels: Iterable[str]
) -> dict[str, Any]:
    """Per-label and micro precision/recall/F1 under the overlap rule, plus exact-span rate."""
    c: dict[str, Counter[str]] = {lb: Counter() for lb in sorted(set(labels))}
    for gs, ps in zip(gold, pred, strict=True):
        ps = [p for p in ps if p[0] in c]
        for p in ps:
            c[p[0]].update(pred=1, tp_pred=bool(_matched(p, gs)))
        for g in (g for g in gs if g[0] in c):
            hits = _matched(g, ps)
            exact = any(p[1:] == g[1:] for p in hits)
            c[g[0]].update(gold=1, tp_gold=bool(hits), exact=exact)
    per = {lb: _prf(n) for lb, n in c.items()}
    per["micro"] = _prf(sum(c.values(), Counter()))
    return per


def _prf(n: Counter[str]) -> dict[str, Any]:
    p = n["tp_pred"] / n["pred"] if n["pred"] else 0.0
    r = n["tp_gold"] / n["gold"] if n["gold"] else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    exact = n["exact"] / n["tp_gold"] if n["tp_gold"] else 0.0
    out = {"p": p, "r": r, "f1": f, "exact": exact}
    return {k: round(v, 4) for k, v in out.items()} | {"gold": n["gold"], "pred": n["pred"]}


def diagnose(items: Sequence[Item], preds: Sequence[Sequence[Span]], limit: int) -> dict[str, Any]:
    """Hard-negative hits per look-alike type, and a few misses per kind for the authors."""
    negs = {t: {"n": 0, "hit": 0} for t in NEGATIVE_TYPES}
    misses: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(lambda: {"fn": [], "fp": []})
    for item, ps in zip(items, preds, strict=True):
        ps = [p for p in ps if p[0] in KINDS]
        for neg in item.negatives:
            span = (neg["kind"], neg["start"], neg["end"])
            negs[span[0]]["n"] += 1
            negs[span[0]]["hit"] += any(_overlaps(span, p) for p in ps)
        gold = [(s["kind"], s["start"], s["end"]) for s in item.spans]
        wrong = [("fn", g) for g in gold if not _matched(g, ps)]
        wrong += [("fp", p) for p in ps if not _matched(p, gold)]
        for what, (kind, s, e) in wrong:
            if len(misses[kind][what]) < limit:
                misses[kind][what].append({"value": item.text[s:e], "text": item.text})
    return {"negatives": negs, "examples": dict(misses)}


# --- the evaluations ---------------------------------------------------------------------


def eval_generated(
    items: Sequence[Item],
    aisec: Sequence[Sequence[Pred]],
    presidio: Sequence[Sequence[Pred]] | None,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Both tools on the generated set: per kind, names/addresses per script, diagnostics."""
    texts = [it.text for it in items]
    gold = [[(s["kind"], s["start"], s["end"]) for s in it.spans] for it in items]
    gold_lang = by_language(gold, texts)
    result: dict[str, Any] = {
        "lines": len(items),
        "no_pii_lines": sum(not it.spans for it in items),
    }
    tools = {"aisec": relabel(aisec, texts, lambda k, _: k, args.threshold)}
    if presidio is not None:
        tools["presidio"] = relabel(presidio, texts, presidio_kind, args.presidio_threshold)
    for name, preds in tools.items():
        per = score(gold, preds, KINDS)
        lang_labels = {g[0] for gs in gold_lang for g in gs}
        per_lang = score(gold_lang, by_language(preds, texts), lang_labels)
        per_lang.pop("micro")
        per.update(per_lang)
        result[name] = {"per_kind": per, **diagnose(items, preds, args.examples)}
    return result


def load_presidio_set(path: Path) -> list[dict[str, Any]] | None:
    """Presidio's synthetic English set, or None when the file is absent."""
    if not path.is_file():
        log(f"{path} not found: skipping the en-pii-presidio comparison")
        return None
    return list(json.loads(path.read_text(encoding="utf-8")))


def eval_presidio_set(
    rows: Sequence[dict[str, Any]],
    aisec: Sequence[Sequence[Pred]],
    presidio: Sequence[Sequence[Pred]] | None,
    presidio_entities: Sequence[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Both tools on en-pii-presidio over the labels at least one of them claims to detect.

    When ``--presidio-threshold`` is not given, Presidio is scored at its best threshold on
    this very set (the strongest peer) and that threshold is used for the generated set too."""
    texts = [r["full_text"] for r in rows]
    gold = [
        [(GOLD_LABELS[s["entity_type"]], s["start_position"], s["end_position"])
         for s in r["spans"] if s["entity_type"] in GOLD_LABELS]
        for r in rows
    ]  # fmt: skip
    present = {g[0] for gs in gold for g in gs}
    claimed_aisec = set(AISEC_LABELS.values())
    claimed_presidio = {PRESIDIO_LABELS[e] for e in presidio_entities if e in PRESIDIO_LABELS}
    evaluated = sorted((claimed_aisec | claimed_presidio) & present)
    both = sorted(claimed_aisec & claimed_presidio & present)
    a = relabel(aisec, texts, lambda k, _: AISEC_LABELS.get(k), args.threshold)
    all_types = {s["entity_type"] for r in rows for s in r["spans"]}
    out: dict[str, Any] = {
        "rows": len(rows),
        "evaluated_labels": evaluated,
        "labels_both_claim": both,
        "not_evaluated": sorted(all_types - set(GOLD_LABELS)),
        "aisec": {"all": score(gold, a, evaluated), "both": score(gold, a, both)["micro"]},
    }
    if presidio is None:
        return out
    runs = {}
    for th in sorted({0.0, 0.3, 0.5, args.threshold, args.presidio_threshold or 0.0}):
        p = relabel(presidio, texts, lambda k, _: PRESIDIO_LABELS.get(k), th)
        runs[th] = {"all": score(gold, p, evaluated), "both": score(gold, p, both)["micro"]}
    if args.presidio_threshold is None:
        args.presidio_threshold = max(runs, key=lambda th: runs[th]["all"]["micro"]["f1"])
    by_th = {str(th): r["all"]["micro"]["f1"] for th, r in runs.items()}
    th = args.presidio_threshold
    out["presidio"] = {"threshold": th, **runs[th], "micro_f1_by_threshold": by_th}
    return out


def throughput(
    fn: Callable[[str], list[Pred]], texts: Sequence[str], passes: int
) -> dict[str, Any]:
    """MB/s (10^6 bytes of UTF-8 input) and characters/s: the best of ``passes`` timed passes
    over ``texts``, after a warm-up on the first 50 texts."""
    run_all(fn, texts[:50])
    best = min(run_all(fn, texts)[1] for _ in range(passes))
    size, chars = sum(len(t.encode("utf-8")) for t in texts), sum(len(t) for t in texts)
    return {
        "seconds": round(best, 4), "bytes": size, "chars": chars, "passes": passes,
        "mb_per_s": round(size / best / 1e6, 3), "chars_per_s": round(chars / best),
    }  # fmt: skip


def batch_throughput(
    det: Any, texts: Sequence[str], passes: int, size: int = 256
) -> dict[str, Any]:
    """Like `throughput`, through aisec's batch path (``detect_batch`` on ``size`` texts at a
    time: what ``aisec scan`` and cleaning use)."""
    chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    det.detect_batch(chunks[0])

    def one_pass() -> float:
        t0 = time.perf_counter()
        for chunk in chunks:
            det.detect_batch(chunk)
        return time.perf_counter() - t0

    best = min(one_pass() for _ in range(passes))
    size_b, chars = sum(len(t.encode("utf-8")) for t in texts), sum(len(t) for t in texts)
    return {
        "seconds": round(best, 4), "bytes": size_b, "chars": chars, "passes": passes,
        "mb_per_s": round(size_b / best / 1e6, 3), "chars_per_s": round(chars / best),
    }  # fmt: skip


def benign_mixed(limit: int = 1_000_000) -> list[str]:
    """Ordinary mixed zh/en text with little PII: KdConv dialogue turns and English task
    prompts from ../shared/data, interleaved, about ``limit`` UTF-8 bytes (empty if absent)."""
    zh: list[str] = []
    for path in sorted((DATA / "zh-kdconv").glob("*_dev.json")):
        for dialogue in json.loads(path.read_text(encoding="utf-8")):
            zh.extend(m["message"] for m in dialogue.get("messages", []) if m.get("message"))
    en: list[str] = []
    prompts = DATA / "en-prompts-awesome" / "prompts.csv"
    if prompts.exists():
        csv.field_size_limit(1 << 24)  # some prompts are long
        with prompts.open(encoding="utf-8", newline="") as fh:
            en = [row["prompt"] for row in csv.DictReader(fh) if row.get("prompt")]
    out: list[str] = []
    size = 0
    for i in range(max(len(zh), len(en))):
        for pool in (zh, en):
            if i < len(pool) and size < limit:
                out.append(pool[i])
                size += len(pool[i].encode("utf-8"))
    return out


def as_documents(lines: Sequence[str], size: int) -> list[str]:
    """Lines joined with newlines into documents of at least ``size`` UTF-8 bytes."""
    docs: list[str] = []
    cur: list[str] = []
    n = 0
    for line in lines:
        cur.append(line)
        n += len(line.encode("utf-8")) + 1
        if n >= size:
            docs.append("\n".join(cur))
            cur, n = [], 0
    return [*docs, "\n".join(cur)] if cur else docs


def pin_one_core() -> int | None:
    """Pin this process to one CPU (Linux); return it."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000, help="generated lines (default 5000)")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--threshold", type=float, default=0.5, help="aisec minimum finding score")
    ap.add_argument("--presidio-threshold", type=float, default=None,
                    help="Presidio minimum score (default: its best on en-pii-presidio)")  # fmt: skip
    ap.add_argument("--presidio-data", type=Path, default=PRESIDIO_DATA)
    ap.add_argument("--no-presidio", action="store_true", help="run aisec alone")
    ap.add_argument("--passes", type=int, default=7, help="timed aisec passes (best is kept)")
    ap.add_argument("--doc-bytes", type=int, default=4096, help="document size for timing")
    ap.add_argument("--examples", type=int, default=8, help="misses kept per kind in the JSON")
    ap.add_argument("--out", type=Path, default=ROOT / "bench/out/pii.json")
    ap.add_argument("--results", type=Path, default=ROOT / "bench/RESULTS.md")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both tools on both data sets, score, time, and write JSON and Markdown."""
    import importlib.metadata as md

    from aisec.detect.pii import PiiDetector
    from aisec.runtime import tune_allocator

    args = parse_args(argv)
    # as the aisec command does; both tools run in this process and share the setting
    allocator_tuned = tune_allocator()
    cpu = pin_one_core()
    items = generate(args.n, args.seed)
    texts = [it.text for it in items]
    rows = load_presidio_set(args.presidio_data)
    en_texts = [r["full_text"] for r in rows or []]
    det = PiiDetector()
    fns: dict[str, Callable[[str], list[Pred]]] = {"aisec": aisec_fn(det)}
    recognizers: list[str] = []
    entities: list[str] = []
    docs, mixed = as_documents(texts, args.doc_bytes), benign_mixed()
    tp: dict[str, Any] = {"doc_bytes": args.doc_bytes}
    tp["lines"], tp["docs"] = {"texts": len(texts)}, {"texts": len(docs)}
    tp["batch"] = {"texts": len(texts)}
    if mixed:
        tp["benign"] = {"texts": len(mixed)}
    preds: dict[str, tuple[list[list[Pred]], list[list[Pred]]]] = {}
    # Each tool is run on both sets and timed before the next one is loaded: timed on a
    # heap that Presidio's spaCy documents had churned, aisec ran 5-10 % slower.
    for name in ("aisec", "presidio"):
        if name == "presidio":
            if args.no_presidio:
                break
            analyzer, recognizers, entities = build_presidio()
            fns["presidio"] = presidio_fn(analyzer)
        fn = fns[name]
        log(f"{name}: {len(texts):,} generated lines, {len(en_texts):,} en-pii-presidio rows")
        run_all(fn, texts[:50])  # warm-up
        preds[name] = (run_all(fn, texts)[0], run_all(fn, en_texts)[0])
        # The runs above leave many objects on the heap; freeze them so that the garbage
        # collector's full passes during timing walk the tool's own objects, not the
        # harness's (otherwise the tool is timed with the bench's heap as a handicap).
        gc.collect()
        gc.freeze()
        passes = args.passes if name == "aisec" else 1
        for unit, corpus in (("lines", texts), ("docs", docs)):
            log(f"{name}: timing on {unit}")
            tp[unit][name] = throughput(fn, corpus, passes)
        if name == "aisec":
            log("aisec: timing batched lines")
            tp["batch"]["aisec"] = batch_throughput(det, texts, passes)
            if det.compiled:  # the same path with the pure-Python candidate pass
                py_det = PiiDetector(native=False)
                tp["batch_python"] = {"texts": len(texts), "aisec": batch_throughput(py_det, texts, passes)}  # fmt: skip
            if mixed:
                log(f"aisec: timing on {len(mixed):,} benign mixed texts")
                tp["benign"]["aisec"] = batch_throughput(det, mixed, passes)
        else:  # Presidio has no batch path: one text at a time
            tp["batch"][name] = throughput(fn, texts, 1)
            if mixed:
                tp["benign"][name] = throughput(fn, mixed, 1)
    if "presidio" in fns:
        for unit in ("lines", "docs", "batch", "benign"):
            if unit in tp:
                tp[unit]["ratio"] = round(tp[unit]["aisec"]["mb_per_s"] / tp[unit]["presidio"]["mb_per_s"], 1)  # fmt: skip
    p_gen, p_en = preds.get("presidio", (None, None))
    res: dict[str, Any] = {}
    if rows is not None:
        res["en_pii_presidio"] = eval_presidio_set(rows, preds["aisec"][1], p_en, entities, args)
    if args.presidio_threshold is None:
        args.presidio_threshold = 0.0  # Presidio's own default
    res["generated"] = eval_generated(items, preds["aisec"][0], p_gen, args)
    res["throughput"] = tp
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python bench/pii.py", *(sys.argv[1:] if argv is None else argv)]),
        "aisec_version": md.version("aisec"), "detector_version": det.version,
        "compiled_pass": det.compiled,
        "presidio_version": md.version("presidio-analyzer") if "presidio" in fns else None,
        "presidio_recognizers": recognizers,
        "threshold": args.threshold, "presidio_threshold": args.presidio_threshold,
        "seed": args.seed, "cpu": cpu, "allocator_tuned": allocator_tuned, "python": sys.version.split()[0],
    }  # fmt: skip
    res = {"meta": meta, **res}
    write_atomic(args.out, json.dumps(res, ensure_ascii=False, indent=1) + "\n")
    section = render_markdown(res)
    update_results(args.results, section)
    print(section)
    log(f"wrote {args.out} and {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
