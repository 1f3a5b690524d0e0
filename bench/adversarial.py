"""Adversarial input: how each detector's time grows with a text built to make matchers work.

    .venv/bin/python bench/adversarial.py [--kb 100] [--no-results]

A guard proxy runs its checks on the event loop, and a scan or a cleaning run on whatever
text it is given: a detector whose time grows faster than the text (a regular expression
that backtracks, a search that goes back to the start of the text for every match) lets
one request of a few hundred KB stop a worker for minutes. Each case repeats a short unit
(a run of letters, digits with separators, "12 Main " …) to about ``--kb`` KB and to twice
that, and times every detector of the default scanner plus ``risk``, ``attack`` and
``response`` (each warmed up first, one core). The figure is the growth: time at twice the
size over time at the size, about 2 for linear work, 4 for quadratic. Each case runs in its
own process with a time limit, so that a runaway case is reported, not waited for.

Two quadratic cases this bench found were fixed: the leetspeak search of ``attack`` (200,000
letters took five minutes) and the English street finder's search for the start of the line
(0.7 s on 160 KB without line breaks, growing fourfold per doubling).

Writes ``bench/out/adversarial.json`` and the section between ``<!-- adversarial:start -->``
and ``<!-- adversarial:end -->`` of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from results import write_section

ROOT = Path(__file__).resolve().parents[1]
#: case → the unit repeated (every one aims at some matcher: encodings, numbers, e-mails,
#: addresses, names, leetspeak, filler folding …)
CASES = {
    "letters": "ab",
    "hex": "a1",
    "base64": "QUJD",
    "digits": "1",
    "digits and blanks": "1 ",
    "digits and dashes": "1-",
    "dotted numbers": "1.",
    "colons": "1:",
    "parentheses": "(1",
    "plus signs": "+1 ",
    "at signs": "a@",
    "e-mail shapes": "a.b@",
    "urls": "http://",
    "capitalised words": "John ",
    "street shapes": "12 Main ",
    "street shapes, tabs": "gata\t1\t",
    "Chinese road": "路",
    "Chinese number": "号1",
    "Chinese names": "张",
    "spaced Chinese": "法 ",
    "spaced letters": "f ",
    "line breaks": "a\n",
    "key shapes": "sk-a",
}
TIME_LIMIT = 300  # seconds per case (both sizes, all detectors)


def detectors() -> list[object]:
    from aisec.detect.attack import AttackDetector
    from aisec.detect.response import ResponseJudge
    from aisec.detect.risk import RiskDetector
    from aisec.policy import load_policy

    return [*load_policy(None).build_detectors(), RiskDetector(), AttackDetector(), ResponseJudge()]


def run_case(unit: str, chars: int) -> dict[str, list[float]]:
    """Milliseconds per detector at ``chars`` and at twice that (best of three, after one
    untimed run at the larger size: the first allocations of that size are not the figure)."""
    warm = "warm 13800138000 John Smith, 12 Main Street; 北京市海淀区中关村大街1号 张三 a@b.cn"
    out: dict[str, list[float]] = {}
    for det in detectors():
        det.detect(warm)  # type: ignore[attr-defined]
        det.detect((unit * (2 * chars // len(unit) + 1))[: 2 * chars])  # type: ignore[attr-defined]
        times = []
        for n in (chars, 2 * chars):
            text = (unit * (n // len(unit) + 1))[:n]
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                det.detect(text)  # type: ignore[attr-defined]
                best = min(best, time.perf_counter() - t0)
            times.append(round(best * 1000, 2))
        out[type(det).__name__] = times
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--kb", type=int, default=100, help="characters of the smaller text, in thousands"
    )
    ap.add_argument("--no-results", action="store_true", help="leave bench/RESULTS.md alone")
    ap.add_argument("--case", help=argparse.SUPPRESS)  # (one case, in a child process)
    args = ap.parse_args()
    chars = args.kb * 1000
    if args.case is not None:
        print(json.dumps(run_case(CASES[args.case], chars)))
        return 0
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results: dict[str, object] = {}
    for name in CASES:
        cmd = [sys.executable, __file__, "--kb", str(args.kb), "--case", name]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=TIME_LIMIT, check=True
            )
            results[name] = json.loads(done.stdout.splitlines()[-1])
        except subprocess.TimeoutExpired:
            results[name] = f"over {TIME_LIMIT} s"
        except subprocess.CalledProcessError as exc:
            results[name] = f"failed: {exc.stderr.strip().splitlines()[-1:]}"
        print(name, results[name], flush=True)
    out = {"kb": args.kb, "cases": results}
    (ROOT / "bench/out").mkdir(exist_ok=True)
    (ROOT / "bench/out/adversarial.json").write_text(json.dumps(out, indent=2), "utf-8")
    if not args.no_results:
        write_table(out)
    return 0


def write_table(out: dict[str, object]) -> None:
    """Replace this benchmark's section of bench/RESULTS.md."""
    cases = out["cases"]
    assert isinstance(cases, dict)
    kb = out["kb"]
    lines = [
        "## Adversarial input (`bench/adversarial.py`)",
        "",
        f"Each case repeats a short unit to {kb},000 and {2 * kb},000 characters; every detector "
        "(the default scanner's, plus risk, attack, response) on one core, best of three. "
        "Slowest detector of each case at the larger size, and the growth of its time "
        "(larger / smaller: about 2 for linear work, 4 for quadratic); largest growth "
        "of any detector taking over 5 ms.",
        "",
        "| case | slowest detector | ms | growth | largest growth over 5 ms |",
        "|---|---|---:|---:|---|",
    ]
    for name, r in cases.items():
        if not isinstance(r, dict):
            lines.append(f"| {name} | {r} | | | |")
            continue
        slow = max(r, key=lambda d: r[d][1])
        growth = {d: t[1] / max(t[0], 0.01) for d, t in r.items() if t[1] > 5}
        top = max(growth, key=lambda d: growth[d]) if growth else None
        top_text = f"{top} {growth[top]:.1f}" if top else "–"
        lines.append(
            f"| {name} | {slow} | {r[slow][1]:.1f} | {r[slow][1] / max(r[slow][0], 0.01):.1f} "
            f"| {top_text} |"
        )
    write_section("adversarial", "\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
