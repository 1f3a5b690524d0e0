"""LLM Guard's check latency, the peer row of bench/guard.py's check-latency measurement.

Runs inside LLM Guard's own env (``.peers/llm-guard/``, made by
``bench/peers/setup_llm_guard.sh``), never in the project env: LLM Guard is not an aisec
dependency. Reads the messages as JSON, ``{"texts": [...], "rounds": N, "warmup": N,
"cpu": N}`` (all but ``texts`` optional), from ``--messages FILE`` or stdin; runs LLM
Guard's input scanners (``scan_prompt``) and output scanners (``scan_output``, the message
as the model's answer) on each, pinned to one core like aisec's check; prints one JSON
object: p50/p99/mean ms per message (input + output), the scanners that ran, the ones
that failed to load and why (exception type and message), the llm-guard version.

Offline: HF_HUB_OFFLINE=1 and TRANSFORMERS_OFFLINE=1 are set before LLM Guard is
imported; the scanners that need a model from the Hugging Face hub (or tiktoken's
encoding, or a spaCy model) are tried, fail, and are reported, not timed. A scanner
counts as loaded when it constructs *and* scans the first message (some fetch what they
need only on their first scan).

Run: ``.peers/llm-guard/bin/python bench/peers/llm_guard_check.py [--messages FILE]
[--rounds N] [--cpu N] < messages.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

#: what the Regex scanners look for: mainland mobile numbers, e-mail addresses and
#: resident ID numbers (the personal data in bench/guard.py's messages)
PATTERNS = [
    r"(?<!\d)1[3-9]\d{9}(?!\d)",
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])",
]
#: what the BanSubstrings scanners ban: a few Chinese words (the first occurs in the
#: messages, so that the scanner redacts, not only looks)
BANNED = ["理财", "稳赚不赔", "保本保息", "内幕消息", "代开发票"]


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile by nearest rank, as bench/guard.py computes it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def llm_guard_version() -> str:
    try:
        return version("llm-guard")
    except PackageNotFoundError:
        return "unknown"


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send whatever LLM Guard and its libraries print (structlog writes to stdout by
    default, and so do some loaders at file-descriptor level) to stderr, so that stdout
    carries only this runner's JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def specs() -> tuple[list[tuple[str, Callable[[], Any]]], list[tuple[str, Callable[[], Any]]]]:
    """The input and output scanners to try, by name, each with its constructor: the ones
    that run offline, and model-based ones, counterparts of aisec's PII, attack and risk
    detectors (aisec's default policy runs only the first), which fail to load here and
    are reported as such."""
    from llm_guard import input_scanners as inp  # type: ignore[import-not-found]
    from llm_guard import output_scanners as out
    from llm_guard.input_scanners.anonymize_helpers import BERT_ZH_NER_CONF  # type: ignore[import-not-found]
    from llm_guard.vault import Vault  # type: ignore[import-not-found]

    inputs: list[tuple[str, Callable[[], Any]]] = [
        ("Regex", lambda: inp.Regex(PATTERNS, is_blocked=True, redact=True)),
        ("Secrets", lambda: inp.Secrets()),
        (
            "BanSubstrings",
            lambda: inp.BanSubstrings(BANNED, match_type="str", redact=True),
        ),
        ("InvisibleText", lambda: inp.InvisibleText()),
        ("TokenLimit", lambda: inp.TokenLimit()),
        # Chinese NER model gyr66/bert-base-chinese-finetuned-ner and spaCy zh_core_web_sm
        (
            "Anonymize",
            lambda: inp.Anonymize(Vault(), language="zh", recognizer_conf=BERT_ZH_NER_CONF),
        ),
        ("PromptInjection", lambda: inp.PromptInjection()),
        ("Toxicity", lambda: inp.Toxicity()),
    ]
    outputs: list[tuple[str, Callable[[], Any]]] = [
        ("Regex", lambda: out.Regex(PATTERNS, is_blocked=True, redact=True)),
        ("BanSubstrings", lambda: out.BanSubstrings(BANNED, match_type="str", redact=True)),
        ("Sensitive", lambda: out.Sensitive(redact=True)),
        ("Toxicity", lambda: out.Toxicity()),
    ]
    return inputs, outputs


#: what a failure's message tells about what the scanner tried to fetch
NEEDS = {
    "huggingface": "model download from the Hugging Face hub",
    "openaipublic": "tiktoken encoding download",
    "core_web": "spaCy model download",
}


def failure(kind: str, name: str, exc: BaseException) -> dict[str, str]:
    """The record of a scanner that failed to load: its exception's type and first line,
    and what it was fetching when that can be told from the message."""
    text = str(exc).strip()
    message = text.splitlines()[0] if text else ""
    return {
        "scanner": f"{kind}.{name}",
        "error": f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins."),
        "message": message[:300],
        "reason": next((v for k, v in NEEDS.items() if k in text.lower()), ""),
    }


def load(
    probe: str,
) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]], list[dict[str, str]]]:
    """Construct every scanner of `specs` and scan ``probe`` with it once; the ones that
    did both, input and output, and a failure record for each of the others.

    ``SystemExit`` is caught too: spaCy's model download, which Anonymize falls back to,
    exits the interpreter when it cannot reach its server."""
    inputs, outputs = specs()
    loaded_in: list[tuple[str, Any]] = []
    loaded_out: list[tuple[str, Any]] = []
    failed: list[dict[str, str]] = []
    for name, make in inputs:
        try:
            scanner = make()
            scanner.scan(probe)
        except (Exception, SystemExit) as exc:
            failed.append(failure("input", name, exc))
        else:
            loaded_in.append((name, scanner))
    for name, make in outputs:
        try:
            scanner = make()
            scanner.scan(probe, probe)
        except (Exception, SystemExit) as exc:
            failed.append(failure("output", name, exc))
        else:
            loaded_out.append((name, scanner))
    return loaded_in, loaded_out, failed


def measure(texts: list[str], rounds: int, warmup: int, cpu: int | None) -> dict[str, Any]:
    """Load the scanners, then time ``scan_prompt`` + ``scan_output`` per message."""
    from llm_guard import scan_output, scan_prompt
    from llm_guard.util import configure_logger  # type: ignore[import-not-found]

    # scan_prompt/scan_output log every call at INFO and each finding at WARNING; aisec's
    # check logs nothing per call, so LLM Guard is timed without its logging too
    configure_logger("ERROR", stream=sys.stderr)
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    with contextlib.suppress(ImportError):
        import torch  # type: ignore[import-not-found]

        torch.set_num_threads(1)
    t0 = time.perf_counter()
    loaded_in, loaded_out, failed = load(texts[0])
    load_s = time.perf_counter() - t0
    in_scanners = [s for _, s in loaded_in]
    out_scanners = [s for _, s in loaded_out]

    def check(text: str) -> tuple[dict[str, bool], dict[str, bool], str, str]:
        prompt, valid_in, _ = scan_prompt(in_scanners, text)
        answer, valid_out, _ = scan_output(out_scanners, prompt, text)
        return valid_in, valid_out, prompt, answer

    for t in texts[:warmup]:
        check(t)
    times: list[float] = []
    for i in range(rounds):
        t = texts[i % len(texts)]
        t0 = time.perf_counter()
        check(t)
        times.append((time.perf_counter() - t0) * 1000)
    valid_in, valid_out, prompt, answer = check(texts[0])
    return {
        "tool": "llm-guard",
        "version": llm_guard_version(),
        "python": platform.python_version(),
        "offline": {k: os.environ.get(k, "") for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")},
        "cpu": cpu,
        "chars": len(texts[0]),
        "rounds": rounds,
        "p50_ms": round(pct(times, 0.5), 2) if times else None,
        "p99_ms": round(pct(times, 0.99), 2) if times else None,
        "mean_ms": round(statistics.fmean(times), 2) if times else None,
        "load_s": round(load_s, 2),
        "input_scanners": [n for n, _ in loaded_in],
        "output_scanners": [n for n, _ in loaded_out],
        "failed": failed,
        # what the scanners made of the first message, to show that they did their work
        "first_message": {
            "input_valid": valid_in,
            "output_valid": valid_out,
            "input_changed": prompt != texts[0],
            "output_changed": answer != texts[0],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--messages", help="JSON file of the messages (default: stdin)")
    parser.add_argument("--rounds", type=int, help="timed rounds (default: from the JSON, or 200)")
    parser.add_argument("--warmup", type=int, help="untimed rounds first (default: 5)")
    parser.add_argument("--cpu", type=int, help="the core to pin to (default: the lowest allowed)")
    args = parser.parse_args(argv)
    if args.messages:
        with open(args.messages, encoding="utf-8") as f:
            data = json.load(f)
    else:
        data = json.load(sys.stdin)
    if isinstance(data, list):
        data = {"texts": data}
    texts = [str(t) for t in data["texts"]]
    if not texts:
        parser.error("no messages")
    rounds = args.rounds if args.rounds is not None else int(data.get("rounds", 200))
    warmup = args.warmup if args.warmup is not None else int(data.get("warmup", 5))
    cpu = args.cpu if args.cpu is not None else data.get("cpu")
    if cpu is None and hasattr(os, "sched_getaffinity"):
        cpu = min(os.sched_getaffinity(0))
    with stdout_to_stderr():
        result = measure(texts, rounds, warmup, cpu)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
