"""Run Data-Juicer's closest equivalent of the `aisec clean` bench recipe (bench/clean.py).

Runs inside the peer env made by ``bench/peers/setup_data_juicer.sh``
(``.peers/data-juicer/bin/python``), never in aisec's own env. Reads the JSONL files that
bench/clean.py generates, writes one JSONL file, and prints one JSON object on its last
stdout line: wall seconds, docs/s, MB/s, kept count, Data-Juicer version, the ops run and
the ops skipped (with the reason).

The recipe, on Data-Juicer's standalone ``DefaultExecutor`` with ``np`` processes:

* normalize: ``whitespace_normalization_mapper``, ``fix_unicode_mapper`` (NFKC, as aisec's
  normalize), ``clean_html_mapper``;
* quality: ``text_length_filter`` (min 20 chars, as aisec), ``alphanumeric_filter`` (letter
  ratio ≥ 0.5, as aisec), ``special_characters_filter``, ``character_repetition_filter``,
  ``word_repetition_filter`` (lang zh, whitespace words: its tokenizer model is a download);
* pii: ``clean_email_mapper`` and ``clean_ip_mapper`` (Data-Juicer's PII ops);
* harmful: ``flagged_words_filter`` (lang zh) over a local word list when ``--flagged-words``
  names one (bench/clean.py passes aisec's built-in keyword library), since Data-Juicer's
  own list is downloaded from Aliyun OSS at op init;
* ``document_deduplicator`` (exact) and ``document_minhash_deduplicator`` (character
  5-gram shingles, the tokenization Data-Juicer recommends for Chinese; 128 permutations,
  Jaccard 0.7: aisec's near_dedup settings).

Thresholds follow aisec's quality step where the two measure the same thing (min 20 chars,
letter ratio 0.5); Data-Juicer counts whitespace and digits as special characters, so its
special-character cap is 0.4 (aisec's symbol cap is 0.3); the repetition filters keep
Data-Juicer's defaults (0.5). Executor settings are Data-Juicer's defaults but for ``np``:
``use_cache`` on (each op's output is cached as Arrow files, in the work folder here) and
``op_fusion`` off (on, its probe cost more than it saved on a 20 MB trial: 46.6 s vs 38.5 s).
Ops that would download something (a model or a word list) are not run: see ``SKIPPED``;
neither may Data-Juicer install packages at run time (see `_no_runtime_installs`).

Usage: ``python data_juicer_run.py CORPUS_DIR WORK_DIR [--np 2] [--flagged-words F.json]
[--no-cache] [--op-fusion]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

#: Data-Juicer ops left out of the recipe, and why (none of them works offline)
SKIPPED: dict[str, str] = {
    "language_id_score_filter": "needs the fastText lid.176.bin model, a download",
    "perplexity_filter": "needs KenLM and SentencePiece models, a download",
    "stopwords_filter": "its stop-word list is a download from Aliyun OSS",
    "word_repetition_filter/flagged_words_filter tokenization=True": (
        "the zh SentencePiece tokenizer model is a download; both run on whitespace words"
    ),
}


def recipe(flagged_words_dir: str | None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The Data-Juicer ``process`` list and the ops skipped (name → reason)."""
    skipped = dict(SKIPPED)
    ops: list[dict[str, Any]] = [
        {"whitespace_normalization_mapper": {}},
        {"fix_unicode_mapper": {"normalization": "NFKC"}},
        {"clean_html_mapper": {}},
        {"text_length_filter": {"min_len": 20}},
        {"alphanumeric_filter": {"tokenization": False, "min_ratio": 0.5}},
        {"special_characters_filter": {"max_ratio": 0.4}},
        {"character_repetition_filter": {"rep_len": 10, "max_ratio": 0.5}},
        {"word_repetition_filter": {"lang": "zh", "tokenization": False, "max_ratio": 0.5}},
        {"clean_email_mapper": {}},
        {"clean_ip_mapper": {}},
    ]
    if flagged_words_dir:
        ops.append(
            {
                "flagged_words_filter": {
                    "lang": "zh",
                    "tokenization": False,
                    "max_ratio": 0.045,
                    "flagged_words_dir": flagged_words_dir,
                }
            }
        )
    else:
        skipped["flagged_words_filter"] = "its word list is a download from Aliyun OSS"
    ops += [
        {"document_deduplicator": {"lowercase": False}},
        {
            "document_minhash_deduplicator": {
                "tokenization": "character",
                "window_size": 5,
                "num_permutations": 128,
                "jaccard_threshold": 0.7,
            }
        },
    ]
    return ops, skipped


def _no_runtime_installs() -> None:
    """Make Data-Juicer's lazy imports fail instead of installing packages at run time.

    Its ``LazyLoader`` runs ``uv pip install`` for any module it cannot import (for a
    missing torch that is the newest release with several GB of CUDA packages); a benchmark
    must not do that, so a missing module is an error here (set up the env instead).
    """
    from data_juicer.utils.lazy_loader import LazyLoader

    def refuse(cls: type, package_spec: str, pip_args: Any = None) -> bool:
        raise ImportError(
            f"Data-Juicer wanted to install {package_spec!r} at run time; "
            "add it to bench/peers/setup_data_juicer.sh instead"
        )

    setattr(LazyLoader, "_install_package", classmethod(refuse))  # noqa: B010


def main() -> int:
    """Run the recipe and print the result as JSON (last stdout line)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path, help="folder of *.jsonl files with id and text")
    ap.add_argument("work", type=Path, help="scratch folder (emptied first)")
    ap.add_argument("--np", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument(
        "--flagged-words",
        type=Path,
        default=None,
        help='JSON word list {"zh": [...]} for flagged_words_filter (skipped without it)',
    )
    ap.add_argument(
        "--no-cache",
        action="store_true",
        help="use_cache: false (Data-Juicer's default is to cache every op's output to disk)",
    )
    ap.add_argument(
        "--op-fusion",
        action="store_true",
        help="op_fusion: true (fuse the filters that share word splitting; off by default)",
    )
    args = ap.parse_args()

    import shutil

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    # keep every cache inside the work folder, and keep the hubs offline
    os.environ.setdefault("HF_DATASETS_CACHE", str(args.work / "hf-cache"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

    flagged_dir: str | None = None
    if args.flagged_words is not None:
        fdir = args.work / "flagged-words"
        fdir.mkdir()
        shutil.copy(args.flagged_words, fdir / "flagged_words.json")
        flagged_dir = str(fdir)

    import data_juicer
    import yaml
    from data_juicer.config import init_configs
    from data_juicer.core import DefaultExecutor

    _no_runtime_installs()

    files = sorted(args.corpus.glob("*.jsonl"))
    docs = sum(1 for p in files for _ in p.open("rb"))
    size = sum(p.stat().st_size for p in files)
    ops, skipped = recipe(flagged_dir)
    out = args.work / "out" / "data-juicer.jsonl"
    config = {
        "project_name": "aisec-bench",
        "dataset_path": str(args.corpus),
        "export_path": str(out),
        "work_dir": str(args.work / "dj-work"),
        "np": args.np,
        "text_keys": "text",
        "suffixes": [".jsonl"],
        "use_cache": not args.no_cache,
        "ds_cache_dir": str(args.work / "hf-cache"),
        "open_tracer": False,
        "op_fusion": args.op_fusion,
        "process": ops,
    }
    cfg_path = args.work / "recipe.yaml"
    cfg_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))

    t0 = time.perf_counter()
    cfg = init_configs(args=["--config", str(cfg_path)])
    DefaultExecutor(cfg).run()
    wall = time.perf_counter() - t0

    kept = sum(1 for _ in out.open("rb"))
    result = {
        "wall_s": round(wall, 2),
        "docs": docs,
        "bytes": size,
        "docs_per_s": round(docs / wall),
        "mb_per_s": round(size / 1e6 / wall, 2),
        "kept": kept,
        "version": data_juicer.__version__,
        "np": args.np,
        "use_cache": not args.no_cache,
        "op_fusion": args.op_fusion,
        "ops": [next(iter(op)) for op in ops],
        "ops_params": ops,
        "skipped": skipped,
    }
    line = json.dumps(result, ensure_ascii=False)
    (args.work / "result.json").write_text(line + "\n", encoding="utf-8")
    # Data-Juicer redirects sys.stdout into its logger: write to the real one
    real_stdout = sys.__stdout__ or sys.stdout
    real_stdout.write(line + "\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
