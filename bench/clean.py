"""Throughput of `aisec clean` on a generated corpus, beside DataTrove on the same corpus.

Corpus: mixed zh/en web-like JSONL (the generators of ``scripts/make_clean_example.py``)
with planted exact duplicates (5 %), near duplicates (5 %: traditional characters and an
inserted ad), PII (10 %) and harmful lines (1 %), split into 16 files. Default 1 GB
(``--mb 200`` for a quicker run). Every tool gets 2 worker processes.

* aisec: recipe normalize + quality + pii + harmful (lexicon) + exact_dedup + near_dedup,
  local executor, ``jobs: 2``; the wall time includes the ledger, manifest, report and
  the technical sampling re-check.
* DataTrove: its closest pipeline on ``LocalPipelineExecutor(workers=2)``: a JSONL reader →
  GopherRepetitionFilter → PIIFormatter → a JSONL writer, then MinHash dedup (signatures with
  ``language="cmn"`` for Chinese segmentation, buckets, clusters, filter) → a JSONL writer (stdlib json: DataTrove's own JSONL reader needs orjson).
  DataTrove has no keyword-library step and its language filter downloads a model, so it
  does less work than aisec here.
* Data-Juicer (when ``bash bench/peers/setup_data_juicer.sh`` has made its own env in
  ``.peers/data-juicer/``; it is no dependency of aisec): ``bench/peers/data_juicer_run.py``
  in that env, a subprocess run after DataTrove, with its standalone executor at ``np: 2``:
  whitespace / unicode (NFKC) / HTML mappers, length, alphanumeric, special-character and
  character / word repetition filters, its email and IP PII mappers, ``flagged_words_filter``
  with aisec's built-in keyword library as its word list (Data-Juicer's own list is a
  download), exact and MinHash dedup (character 5-grams, 128 permutations, Jaccard 0.7).
  Ops that need a model or word-list download are skipped and listed in the results.

Results: ``bench/out/clean.json`` and the ``clean`` section of ``bench/RESULTS.md``.
Usage: ``python bench/clean.py [--mb 1024] [--skip-datatrove] [--skip-data-juicer]
[--no-results]`` (``--no-results`` writes only ``bench/out/clean.json``: for trial runs).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import importlib.util
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
FILES = 16
#: Data-Juicer's own virtual env (bench/peers/setup_data_juicer.sh) and runner
DJ_PYTHON = ROOT / ".peers" / "data-juicer" / "bin" / "python"
DJ_RUNNER = ROOT / "bench" / "peers" / "data_juicer_run.py"
DJ_SETUP = "bash bench/peers/setup_data_juicer.sh"


def _example_module() -> Any:
    spec = importlib.util.spec_from_file_location("mce", ROOT / "scripts" / "make_clean_example.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def generate(folder: Path, mb: int, seed: int = 7) -> dict[str, Any]:
    """Write about ``mb`` MB of JSONL into ``folder`` (reused when already there)."""
    stamp = folder / "corpus.json"
    if stamp.exists():
        meta: dict[str, Any] = json.loads(stamp.read_text())
        if meta["mb"] == mb and meta["seed"] == seed:
            return meta
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    ex = _example_module()
    rng = random.Random(seed)
    target = mb * 1_000_000
    per_file = target // FILES
    docs = planted = 0
    recent: list[str] = []
    counts = {"exact_dup": 0, "near_dup": 0, "pii": 0, "harmful": 0}
    total = 0
    for f in range(FILES):
        size = 0
        with (folder / f"part-{f:02d}.jsonl").open("w", encoding="utf-8") as fh:
            while size < per_file:
                r = rng.random()
                if recent and r < 0.05:
                    text = rng.choice(recent)
                    counts["exact_dup"] += 1
                elif recent and r < 0.10:
                    text = rng.choice(recent).translate(ex.TRAD) + ex.AD
                    counts["near_dup"] += 1
                else:
                    text = ex.zh_doc(rng) if rng.random() < 0.6 else ex.en_doc(rng)
                    if rng.random() < 0.10:
                        text += ("\n" if text[-1] == "。" else " ") + ex.pii(rng)
                        counts["pii"] += 1
                    if rng.random() < 0.01:
                        text += "\n" + rng.choice(ex.HARMFUL_ZH)
                        counts["harmful"] += 1
                    if len(recent) < 5000:
                        recent.append(text)
                    else:
                        recent[rng.randrange(5000)] = text
                line = json.dumps({"id": f"d{docs:09d}", "text": text}, ensure_ascii=False) + "\n"
                fh.write(line)
                size += len(line.encode())
                docs += 1
        total += size
    planted = sum(counts.values())
    meta = {"mb": mb, "seed": seed, "docs": docs, "bytes": total, "files": FILES, "planted": counts}
    del planted
    stamp.write_text(json.dumps(meta))
    return meta


def run_aisec(corpus: Path, out: Path) -> dict[str, Any]:
    from aisec.clean.pipeline import CleaningRun
    from aisec.clean.recipe import Recipe

    shutil.rmtree(out, ignore_errors=True)
    recipe = Recipe.model_validate(
        {
            "name": "bench",
            "sources": [{"name": "web", "path": str(corpus), "format": "jsonl"}],
            "steps": [
                {"name": "normalize"},
                {"name": "quality", "params": {"min_chars": 20, "languages": ["zh", "en"]}},
                {"name": "pii"},
                {"name": "harmful", "params": {"threshold": 0.5, "action": "drop"}},
                {"name": "exact_dedup"},
                {"name": "near_dedup", "params": {"threshold": 0.7}},
            ],
            "executor": "local",
            "jobs": 2,
            "output": {"dir": str(out)},
        }
    )
    t0 = time.perf_counter()
    m = CleaningRun(recipe, jobs=2).execute().manifest
    wall = time.perf_counter() - t0
    # peak RSS (Linux: KiB) of this process, the driver: plan, corpus-wide steps, ledger,
    # report (the workers' own peak is not measured: forked from the driver, their
    # ru_maxrss counts the pages they share with it)
    driver = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": {"driver": round(driver, 1)},
        "shard_mb": recipe.shard_mb,
        "kept": m["kept"],
        "dropped": m["dropped"],
        "quarantined": m["quarantined"],
        "counts": m["counts"],
        "technical_sampling": {
            k: m["sampling"]["technical"][k] for k in ("size", "pass_rate", "result")
        },
    }


def run_datatrove(corpus: Path, work: Path) -> dict[str, Any]:
    import logging

    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.filters import GopherRepetitionFilter
    from datatrove.pipeline.formatters import PIIFormatter
    from datatrove.utils.hashing import HashConfig
    from loguru import logger

    logger.remove()
    logging.disable(logging.WARNING)
    shutil.rmtree(work, ignore_errors=True)
    cfg = MinhashConfig(hash_config=HashConfig(precision=64))
    w = {"workers": 2, "logging_dir": str(work / "logs"), "skip_completed": False}
    mid, sigs, bks, cls, final = (str(work / x) for x in ("mid", "sigs", "bk", "cl", "final"))

    # DataTrove's JsonlReader/JsonlWriter need orjson, which its PyPI package does not pull
    # in; these stdlib-json stand-ins (one file per task, in order) do the same job.
    def reader(folder: str) -> Any:
        def read(data: Any, rank: int = 0, world_size: int = 1) -> Any:
            files = sorted(Path(folder).glob("*.jsonl"))
            for path in files[rank::world_size]:
                with path.open(encoding="utf-8") as fh:
                    for line in fh:
                        row = json.loads(line)
                        yield Document(text=row["text"], id=row["id"])

        return read

    def writer(folder: str) -> Any:
        def write(data: Any, rank: int = 0, world_size: int = 1) -> Any:
            Path(folder).mkdir(parents=True, exist_ok=True)
            with (Path(folder) / f"{rank:05d}.jsonl").open("w", encoding="utf-8") as fh:
                for doc in data:
                    row = {"id": doc.id, "text": doc.text}
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                    yield doc

        return write

    stages = [
        LocalPipelineExecutor(
            pipeline=[
                reader(str(corpus)),
                GopherRepetitionFilter(language="cmn"),
                PIIFormatter(),
                writer(mid),
            ],
            tasks=FILES,
            **w,
        ),
        LocalPipelineExecutor(
            pipeline=[
                reader(mid),
                MinhashDedupSignature(output_folder=sigs, config=cfg, language="cmn"),
            ],
            tasks=FILES,
            **w,
        ),
        LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(input_folder=sigs, output_folder=bks, config=cfg)],
            tasks=cfg.num_buckets,
            **w,
        ),
        LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(input_folder=bks, output_folder=cls, config=cfg)],
            tasks=1,
            **w,
        ),
        LocalPipelineExecutor(
            pipeline=[
                reader(mid),
                MinhashDedupFilter(input_folder=cls),
                writer(final),
            ],
            tasks=FILES,
            **w,
        ),
    ]
    t0 = time.perf_counter()
    for stage in stages:
        stage.run()
    wall = time.perf_counter() - t0
    kept = sum(1 for p in Path(final).glob("*.jsonl") for _ in p.open(encoding="utf-8"))
    return {"wall_s": round(wall, 2), "kept": kept, "version": md.version("datatrove")}


def flagged_words(path: Path) -> Path | None:
    """Write aisec's built-in keyword library as a Data-Juicer flagged-words list.

    ``{"zh": [term, ...]}``, lower-cased as Data-Juicer compares words; ``None`` when the
    library cannot be read (the runner then skips ``flagged_words_filter``).
    """
    try:
        from aisec.detect.lexicon.model import load_builtin

        terms = sorted({t.term.lower() for t in load_builtin().terms})
    except Exception as exc:  # any failure only drops that one peer op
        print(f"data-juicer: no flagged-words list ({exc})")
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"zh": terms}, ensure_ascii=False), encoding="utf-8")
    return path


def run_data_juicer(corpus: Path, work: Path) -> dict[str, Any]:
    """Run ``bench/peers/data_juicer_run.py`` in Data-Juicer's own env (2 processes).

    Its log goes to ``work/../data-juicer.log``; the result is the JSON object on the last
    line of its stdout (wall time measured inside, after Python start-up and imports, as
    for the other two tools; the whole subprocess time is kept as ``process_wall_s``).
    """
    shutil.rmtree(work, ignore_errors=True)
    words = flagged_words(work.parent / "dj-flagged-words.json")
    cmd = [str(DJ_PYTHON), str(DJ_RUNNER), str(corpus), str(work), "--np", "2"]
    if words is not None:
        cmd += ["--flagged-words", str(words)]
    log = work.parent / "data-juicer.log"
    t0 = time.perf_counter()
    with log.open("w", encoding="utf-8") as err:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, check=False)
    process_wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        return {"error": f"runner failed (exit {proc.returncode}; see {log}): {' '.join(tail)}"}
    result: dict[str, Any] = json.loads(lines[-1])
    result["process_wall_s"] = round(process_wall, 2)
    result.pop("ops_params", None)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=1024, help="corpus size in MB (default 1 GB)")
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--skip-data-juicer", action="store_true")
    ap.add_argument(
        "--no-results",
        action="store_true",
        help="do not touch bench/RESULTS.md (trial runs): write only bench/out/clean.json",
    )
    args = ap.parse_args()
    work = OUT / "clean-work"
    corpus = work / f"corpus-{args.mb}mb"
    t0 = time.perf_counter()
    meta = generate(corpus, args.mb)
    print(
        f"corpus: {meta['docs']} docs, {meta['bytes'] / 1e6:.0f} MB ({time.perf_counter() - t0:.0f} s)"
    )
    results: dict[str, Any] = {"corpus": meta, "cores": 2, "cpu_count": os.cpu_count()}
    a = run_aisec(corpus, work / "aisec-run")
    print(f"aisec: {a['wall_s']} s")
    results["aisec"] = a
    if not args.skip_datatrove:
        try:
            d = run_datatrove(corpus, work / "datatrove")
            print(f"datatrove: {d['wall_s']} s")
            results["datatrove"] = d
        except ImportError as exc:
            results["datatrove"] = {"error": f"not installed: {exc}"}
    if args.skip_data_juicer:
        results["data_juicer"] = {"error": "skipped (--skip-data-juicer)"}
    elif not DJ_PYTHON.exists():
        results["data_juicer"] = {
            "error": f"not installed: its own env is set up by `{DJ_SETUP}` "
            "(into .peers/data-juicer/, not a dependency of aisec)"
        }
    else:
        j = run_data_juicer(corpus, work / "data-juicer")
        print(f"data-juicer: {j.get('wall_s', j.get('error'))} s")
        results["data_juicer"] = j
    for k in ("aisec", "datatrove", "data_juicer"):
        r = results.get(k, {})
        if "wall_s" in r:
            r["docs_per_s"] = round(meta["docs"] / r["wall_s"])
            r["mb_per_s"] = round(meta["bytes"] / 1e6 / r["wall_s"], 2)
    results["python"] = platform.python_version()
    results["aisec_version"] = md.version("aisec")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "clean.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    if not args.no_results:
        write_results(results)
    for name in ("aisec-run", "datatrove", "data-juicer"):
        shutil.rmtree(work / name, ignore_errors=True)


def write_results(r: dict[str, Any]) -> None:
    """Replace the clean section of RESULTS.md (markers appended when absent)."""
    c = r["corpus"]
    a = r["aisec"]
    lines = [
        "<!-- clean:start -->",
        "## `aisec clean` throughput (`bench/clean.py`)",
        "",
        f"Generated corpus: {c['docs']:,} mixed zh/en web-like JSONL docs, "
        f"{c['bytes'] / 1e6:,.0f} MB in {c['files']} files, with planted exact duplicates "
        f"({c['planted']['exact_dup']:,}), near duplicates ({c['planted']['near_dup']:,}), "
        f"PII ({c['planted']['pii']:,}) and harmful lines ({c['planted']['harmful']:,}). "
        "2 worker processes each, same run.",
        "",
        "| tool | pipeline | wall s | docs/s | MB/s | kept |",
        "|---|---|---:|---:|---:|---:|",
        f"| aisec {r['aisec_version']} | normalize + quality + pii + harmful (lexicon) + exact "
        f"+ near dedup, local executor, jobs 2 (with ledger, report, technical sampling) "
        f"| {a['wall_s']} | {a['docs_per_s']:,} | {a['mb_per_s']} | {a['kept']:,} |",
    ]
    d = r.get("datatrove", {})
    if "wall_s" in d:
        lines.append(
            f"| DataTrove {d['version']} | GopherRepetitionFilter(cmn) + PIIFormatter + MinHash "
            f'dedup (language="cmn", 64-bit), LocalPipelineExecutor workers 2, stdlib-json I/O '
            f"| {d['wall_s']} | {d['docs_per_s']:,} | {d['mb_per_s']} | {d['kept']:,} |"
        )
        lines += [
            "",
            f"aisec / DataTrove throughput: {a['wall_s'] and d['wall_s'] / a['wall_s']:.2f}×.",
        ]
    else:
        lines += ["", f"DataTrove: {d.get('error', 'skipped')}."]
    j = r.get("data_juicer", {})
    if "wall_s" in j:
        flagged = (
            "flagged_words_filter (zh, aisec's keyword library as word list) + "
            if "flagged_words_filter" in j["ops"]
            else ""
        )
        row = (
            f"| Data-Juicer {j['version']} | whitespace + unicode (NFKC) + HTML mappers + "
            "length, alphanumeric, special-character, character and word (zh) repetition "
            f"filters + email and IP PII mappers + {flagged}exact + MinHash dedup "
            "(character 5-grams, 128 perm, Jaccard 0.7), DefaultExecutor np 2 "
            f"| {j['wall_s']} | {j['docs_per_s']:,} | {j['mb_per_s']} | {j['kept']:,} |"
        )
        at = lines.index("|---|---|---:|---:|---:|---:|") + 2
        at += 1 if "wall_s" in d else 0
        lines.insert(at, row)
        lines += [
            "",
            f"aisec / Data-Juicer throughput: {j['wall_s'] / a['wall_s']:.2f}×. "
            "Data-Juicer's MinHash dedup drops every LSH candidate without checking its "
            "Jaccard similarity, hence its lower kept count. "
            "Data-Juicer ops not run: "
            + "; ".join(f"{k}: {v}" for k, v in j.get("skipped", {}).items())
            + ".",
        ]
    else:
        lines += ["", f"Data-Juicer: {j.get('error', 'skipped')}."]
    rss = a.get("peak_rss_mb")
    if rss:
        lines += [
            "",
            f"aisec peak RSS of the driver process (plan, corpus-wide steps, ledger, report): "
            f"{rss['driver']:,.0f} MB; shard_mb {a.get('shard_mb')} (files above it are cut "
            "into slices).",
        ]
    lines.append("<!-- clean:end -->")
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = "\n".join(lines) + "\n"
    if "<!-- clean:start -->" in text and "<!-- clean:end -->" in text:
        head, rest = text.split("<!-- clean:start -->", 1)
        tail = rest.split("<!-- clean:end -->", 1)[1].lstrip("\n")
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
