"""Guard benchmark: check latency, and the proxy's overhead against a direct call.

1. Check latency: `Guard.check_input` + `Guard.check_output` on 2,000-character Chinese
   messages (default policy, all default detectors), pinned to one core; p50/p99.
   LLM Guard is reported beside it when it is installed (it is not an aisec dependency,
   and its scanners need model downloads).
2. Proxy overhead: a local upstream that answers after 200 ms (a subprocess), the proxy
   (`aisec guard serve`, one worker, a subprocess) in front of it; the same requests
   direct and through the proxy at concurrency 1 and 32; ratio of p50 and p99.

Writes bench/out/guard.json and the ``guard`` section of bench/RESULTS.md.
Run: ``.venv/bin/python bench/guard.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

START, END = "<!-- guard:start -->", "<!-- guard:end -->"
PARAGRAPH = (
    "您好，我想咨询一下贵公司的理财产品。我今年三十五岁，在北京工作，每个月收入大约两万元，"
    "希望每个月能拿出五千元做长期投资。请问有哪些产品适合我？风险等级和历史收益分别是多少？"
    "另外我的联系电话是13800138000，邮箱是zhang.wei@example.com，方便的话请回电。"
)


def message(seed: int, size: int = 2000) -> str:
    rng = random.Random(seed)
    parts = list(PARAGRAPH)
    text = ""
    while len(text) < size:
        start = rng.randrange(0, len(parts) // 2)
        text += "".join(parts[start:]) + "。"
    return text[:size]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_checks(rounds: int) -> dict[str, Any]:
    from aisec.guard import Guard

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    guard = Guard()
    texts = [message(i) for i in range(50)]
    for t in texts[:5]:  # warm-up
        d = guard.check_input([{"role": "user", "content": t}])
        guard.check_output(t, d.context)
    times: list[float] = []
    for i in range(rounds):
        t = texts[i % len(texts)]
        t0 = time.perf_counter()
        d = guard.check_input([{"role": "user", "content": t}])
        guard.check_output(t, d.context)
        times.append((time.perf_counter() - t0) * 1000)
    result: dict[str, Any] = {
        "chars": len(texts[0]),
        "rounds": rounds,
        "p50_ms": round(pct(times, 0.5), 2),
        "p99_ms": round(pct(times, 0.99), 2),
        "mean_ms": round(statistics.fmean(times), 2),
    }
    try:
        import llm_guard  # type: ignore[import-not-found]  # noqa: F401

        result["llm_guard"] = "installed but not benchmarked here"
    except ImportError:
        result["llm_guard"] = (
            "not installed (not an aisec dependency; its scanners need model downloads)"
        )
    return result


# -- the proxy -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def upstream_app() -> Any:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        await request.json()
        await asyncio.sleep(0.2)
        return JSONResponse(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": "您好，这款产品风险较低，适合长期持有。",
                        },
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    return app


def wait_for(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def load(
    url: str, key: str | None, concurrency: int, total: int
) -> tuple[list[float], float]:
    import httpx

    body = {"model": "m", "messages": [{"role": "user", "content": PARAGRAPH}]}
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    times: list[float] = []
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        queue = list(range(total))

        async def worker() -> None:
            while queue:
                queue.pop()
                t0 = time.perf_counter()
                r = await client.post(url, json=body, headers=headers)
                r.raise_for_status()
                times.append((time.perf_counter() - t0) * 1000)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return times, elapsed


def bench_proxy(quick: bool) -> dict[str, Any]:
    from aisec.guard.keys import create_key
    from aisec.store import open_store

    tmp = Path(tempfile.mkdtemp(prefix="aisec-bench-guard-"))
    db = f"sqlite:///{tmp / 'aisec.db'}"
    with open_store(db) as store:
        _, key = create_key(store, "bench", rate_per_minute=10_000_000)
    up_port, proxy_port = free_port(), free_port()
    py = sys.executable
    upstream = subprocess.Popen(
        [py, __file__, "--serve-upstream", str(up_port)], stderr=subprocess.DEVNULL
    )
    env = {**os.environ, "AISEC_DATABASE_URL": db}
    policy = tmp / "policy.yaml"
    policy.write_text(
        "version: 1\ndetectors: {pii: {}, secrets: {}, lexicon: {}}\n"
        "actions: {default: flag, pii.*: redact:mask, secret.*: redact:replace}\n"
        "guard: {proxy: {rate: {per_minute: 10000000, burst: 100000}}}\n",
        encoding="utf-8",
    )
    aisec = str(Path(py).with_name("aisec"))
    proxy = subprocess.Popen(
        [aisec, "guard", "serve", "--upstream", f"http://127.0.0.1:{up_port}/v1",
         "--port", str(proxy_port), "--policy", str(policy), "--log-level", "warning"],
        env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    results: dict[str, Any] = {}
    try:
        wait_for(f"http://127.0.0.1:{up_port}/docs")
        wait_for(f"http://127.0.0.1:{proxy_port}/healthz")
        direct = f"http://127.0.0.1:{up_port}/v1/chat/completions"
        through = f"http://127.0.0.1:{proxy_port}/v1/chat/completions"
        for concurrency, total in ((1, 30 if quick else 100), (32, 128 if quick else 640)):
            asyncio.run(load(through, key, concurrency, concurrency))  # warm-up
            d_times, _ = asyncio.run(load(direct, None, concurrency, total))
            p_times, p_elapsed = asyncio.run(load(through, key, concurrency, total))
            results[f"c{concurrency}"] = {
                "requests": total,
                "direct_p50_ms": round(pct(d_times, 0.5), 1),
                "direct_p99_ms": round(pct(d_times, 0.99), 1),
                "proxy_p50_ms": round(pct(p_times, 0.5), 1),
                "proxy_p99_ms": round(pct(p_times, 0.99), 1),
                "ratio_p50": round(pct(p_times, 0.5) / pct(d_times, 0.5), 3),
                "ratio_p99": round(pct(p_times, 0.99) / pct(d_times, 0.99), 3),
                "proxy_rps": round(total / p_elapsed, 1),
            }
    finally:
        for p in (proxy, upstream):
            p.terminate()
            p.wait(10)
    return results


def section(checks: dict[str, Any], proxy: dict[str, Any]) -> str:
    lines = [
        "## Guard (`bench/guard.py`)",
        "",
        f"Check latency, input + output, one {checks['chars']}-character Chinese message with "
        f"personal data, default policy and detectors, one core, {checks['rounds']} rounds: "
        f"**p50 {checks['p50_ms']} ms, p99 {checks['p99_ms']} ms** (target ≤ 5 / ≤ 20 ms). "
        f"LLM Guard: {checks['llm_guard']}.",
        "",
        "Proxy overhead, one worker, upstream answering in 200 ms (local), SQLite audit:",
        "",
        "| concurrency | requests | direct p50 / p99 ms | proxy p50 / p99 ms | ratio p50 | ratio p99 | proxy req/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in proxy.items():
        lines.append(
            f"| {name[1:]} | {r['requests']} | {r['direct_p50_ms']} / {r['direct_p99_ms']} | "
            f"{r['proxy_p50_ms']} / {r['proxy_p99_ms']} | {r['ratio_p50']} | {r['ratio_p99']} | "
            f"{r['proxy_rps']} |"
        )
    return "\n".join(lines)


def write_section(path: Path, text: str) -> None:
    """Replace the text between the guard markers (append them when absent)."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{START}\n{text}\n{END}"
    if START in old and END in old:
        head, rest = old.split(START, 1)
        new = head + block + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new, encoding="utf-8")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-upstream":
        import uvicorn

        uvicorn.run(upstream_app(), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
        return
    quick = "--quick" in sys.argv
    proxy = bench_proxy(quick)  # before pinning this process to one core
    checks = bench_checks(200 if quick else 1000)
    out = {"checks": checks, "proxy": proxy}
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "guard.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    write_section(ROOT / "bench" / "RESULTS.md", section(checks, proxy))
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
