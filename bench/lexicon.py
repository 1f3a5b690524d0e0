"""Keyword-library throughput: aisec's LexiconDetector against the Aho-Corasick peers.

    .venv/bin/python bench/lexicon.py [--mb 50] [--data ../shared/data]

The text is benign Chinese (KdConv dialogues, PlexPt prompts and questions), repeated to
about ``--mb`` MB of UTF-8. All engines get the same terms: the match keys of the built-in
library (≥ 10,000). One core, one process, in the same run:

- ``aisec LexiconDetector (detect_batch, incl. normalise)`` — the whole path a user gets:
  normalisation with offset map, Hyperscan scan, word-boundary and exclusion checks,
  offsets mapped back to the original; documents in batches of 1,000;
- ``aisec LexiconDetector.find (pre-normalised)`` — the matching part alone;
- ``aisec normalize`` — the shared normalisation step alone (a Scanner pays it once for all
  detectors);
- ``hyperscan raw`` — the literal database scanning the UTF-8 bytes, callback only;
- ``pyahocorasick`` and ``ahocorasick-rs`` — the peers, overlapping matches over ``str``.

MB/s = bytes of UTF-8 input / wall-clock seconds. Writes ``bench/out/lexicon.json`` and the
table between ``<!-- lexicon:start -->`` and ``<!-- lexicon:end -->`` in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import hyperscan

from aisec.detect.lexicon import LexiconDetector, load_builtin
from aisec.detect.lexicon.model import normalize_many
from aisec.text import normalize
from results import write_section

ROOT = Path(__file__).resolve().parents[1]


def benign_docs(data: Path) -> list[str]:
    """Benign Chinese documents from KdConv and the PlexPt prompts."""
    docs: list[str] = []
    for f in sorted((data / "zh-kdconv").glob("*_*.json")):
        if f.name.startswith("kb_"):
            continue
        for dlg in json.loads(f.read_text("utf-8")):
            docs.extend(m["message"] for m in dlg["messages"])
    for item in json.loads((data / "zh-prompts-plexpt/prompts-zh.json").read_text("utf-8")):
        docs.append(item["prompt"])
    with (data / "zh-prompts-plexpt/questions_sample50k.jsonl").open(encoding="utf-8") as fh:
        docs.extend(json.loads(line)["question"] for line in fh if line.strip())
    return docs


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    t0 = time.perf_counter()
    hits = fn()
    return time.perf_counter() - t0, hits


def main() -> int:
    ap = argparse.ArgumentParser(description="lexicon throughput benchmark")
    ap.add_argument("--mb", type=float, default=50.0, help="size of the text in MB (UTF-8)")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data")
    ap.add_argument("--batch", type=int, default=1000, help="documents per detect_batch call")
    args = ap.parse_args()
    from aisec.runtime import tune_allocator

    tune_allocator()  # as the aisec command does; every engine here shares the process
    os.environ.setdefault("AISEC_CACHE_DIR", "off")  # measure the compile honestly

    base = benign_docs(args.data)
    base_bytes = sum(len(d.encode()) + 1 for d in base)
    reps = max(1, round(args.mb * 1e6 / base_bytes))
    docs = base * reps
    joined = "\n".join(docs)
    nbytes = len(joined.encode("utf-8"))
    mb = nbytes / 1e6
    print(f"text: {len(docs):,} documents, {mb:.1f} MB UTF-8, {len(joined):,} characters")

    t0 = time.perf_counter()
    det = LexiconDetector()
    startup = time.perf_counter() - t0
    keys = sorted({k for k in normalize_many([t.term for t in load_builtin().terms]) if k})
    print(f"terms: {len(keys):,} distinct keys; detector start-up (load + compile) {startup:.2f} s")

    results: dict[str, dict[str, float]] = {}

    def record(name: str, seconds: float, hits: int) -> None:
        results[name] = {"seconds": round(seconds, 3), "mb_s": round(mb / seconds, 1), "hits": hits}
        print(f"  {name:<52} {mb / seconds:9.1f} MB/s  ({hits:,} hits)")

    def aisec_batch() -> int:
        n = 0
        for i in range(0, len(docs), args.batch):
            n += sum(len(f) for f in det.detect_batch(docs[i : i + args.batch]))
        return n

    record("aisec LexiconDetector (detect_batch, incl. normalise)", *timed(aisec_batch))

    chunks = ["\n".join(docs[i : i + args.batch]) for i in range(0, len(docs), args.batch)]
    normed = []
    t0 = time.perf_counter()
    for c in chunks:
        normed.append(normalize(c))
    record("aisec normalize (alone)", time.perf_counter() - t0, 0)
    record(
        "aisec LexiconDetector.find (pre-normalised)",
        *timed(lambda: sum(len(list(det.find(nt))) for nt in normed)),
    )

    data = joined.encode("utf-8")
    t0 = time.perf_counter()
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    pats = [k.encode() for k in keys]
    db.compile(
        expressions=pats, ids=list(range(len(pats))), elements=len(pats), flags=0, literal=True
    )
    hs_compile = time.perf_counter() - t0
    count = [0]

    def on_match(*_: object) -> None:
        count[0] += 1

    def hs_scan() -> int:
        db.scan(data, match_event_handler=on_match)
        return count[0]

    record("hyperscan raw (literal db, bytes)", *timed(hs_scan))
    peers: dict[str, float] = {}
    try:
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for i, k in enumerate(keys):
            automaton.add_word(k, i)
        automaton.make_automaton()
        record("pyahocorasick (str)", *timed(lambda: sum(1 for _ in automaton.iter(joined))))
        peers["pyahocorasick (str)"] = results["pyahocorasick (str)"]["mb_s"]
    except ImportError:
        print("  pyahocorasick not installed (uv sync --group bench)")
    try:
        import ahocorasick_rs

        ac = ahocorasick_rs.AhoCorasick(keys)
        record(
            "ahocorasick-rs (str, overlapping)",
            *timed(lambda: len(ac.find_matches_as_indexes(joined, overlapping=True))),
        )
        peers["ahocorasick-rs (str, overlapping)"] = results["ahocorasick-rs (str, overlapping)"][
            "mb_s"
        ]
    except ImportError:
        print("  ahocorasick-rs not installed (uv sync --group bench)")

    out = {
        "text_mb": round(mb, 2),
        "documents": len(docs),
        "terms": len(keys),
        "startup_seconds": round(startup, 3),
        "hyperscan_compile_seconds": round(hs_compile, 3),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "results": results,
    }
    (ROOT / "bench/out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench/out/lexicon.json").write_text(
        json.dumps(out, indent=2, ensure_ascii=False), "utf-8"
    )
    write_table(out, peers)
    return 0


def write_table(out: dict[str, object], peers: dict[str, float]) -> None:
    """Replace this benchmark's section of bench/RESULTS.md."""
    results = out["results"]
    assert isinstance(results, dict)
    head = "| engine | MB/s | " + " | ".join(f"× {p.split(' ')[0]}" for p in peers) + " |"
    lines = [
        "### Keyword library (`bench/lexicon.py`)",
        "",
        f"{out['terms']:,} terms (the built-in library) over {out['text_mb']} MB of benign Chinese "
        f"text ({out['documents']:,} documents), one core. Detector start-up "
        f"(load + compile, no cache): {out['startup_seconds']} s.",
        "",
        head,
        "|---|---:|" + "---:|" * len(peers),
    ]
    for name, r in results.items():
        ratios = " | ".join(f"{r['mb_s'] / v:.2f}" for v in peers.values())
        lines.append(f"| {name} | {r['mb_s']:.1f} | {ratios} |")
    write_section("lexicon", "\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
