"""Guard benchmark: check latency, and the proxy's overhead against a direct call.

1. Check latency: `Guard.check_input` + `Guard.check_output` on 2,000-character Chinese
   messages (default policy, all default detectors), pinned to one core; p50/p99.
   Beside it, in the same run, on the same messages and core: LLM Guard's scanners that
   run offline (`bench/peers/llm_guard_check.py`, in LLM Guard's own env
   ``.peers/llm-guard/``, made by ``bash bench/peers/setup_llm_guard.sh``: LLM Guard is
   not an aisec dependency, and its model-based scanners need hub downloads, which this
   machine cannot make; the runner reports them as failed to load, with the reason).
2. Proxy overhead: a local upstream that answers after 200 ms (a subprocess, on uvloop
   and httptools like the proxy), the proxy (`aisec guard serve`, one worker, a
   subprocess) in front of it; the same requests direct and through the proxy at
   concurrency 1 and 32, in alternating rounds (direct, proxy, direct, …) so that other
   load on the machine weighs on both alike; ratio of p50 and p99. On a
   machine with two or more cores the proxy is pinned to one core and the upstream and
   the load generator (this process) to another, so that the measurement of the proxy
   is not the load generator's CPU contention. A second proxy with no detector at all,
   measured the same way right after (each proxy stopped with SIGSTOP while the other is
   measured, so that its background work stays off the measured core), shows what the
   server stack alone costs.
3. With ``--load``: a 60-second closed-loop load run at saturation (256 concurrent
   clients, upstream answering in 50 ms, nothing pinned; on two cores 64 clients got
   1,070 requests/s, 128 got 1,370 and 256 got 1,450, the latency then being mostly
   queueing: the machine's limit) with the audit log in a real
   PostgreSQL server (started like the tests do, ``tests/conftest.py``); counts the audit
   events the proxy recorded (its ``/metrics``), the events it should have recorded (two
   per answered chat request: input and output) and the rows stored, and the 5xx answers.

Writes bench/out/guard.json and the ``guard`` section of bench/RESULTS.md.
Run: ``.venv/bin/python bench/guard.py [--quick] [--load] [--checks-only] [--no-results]``:
``--checks-only`` measures only the check latency (aisec and LLM Guard), ``--no-results``
leaves bench/RESULTS.md alone (bench/out/guard.json is written either way); a run with
``--checks-only`` never writes bench/RESULTS.md, whose section needs the proxy figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from results import write_section  # noqa: E402

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


#: LLM Guard's env and runner (see the module docstring)
PEER_PYTHON = ROOT / ".peers" / "llm-guard" / "bin" / "python"
PEER_RUNNER = ROOT / "bench" / "peers" / "llm_guard_check.py"
PEER_SETUP = "bash bench/peers/setup_llm_guard.sh"


def bench_checks(rounds: int) -> dict[str, Any]:
    from aisec.guard import Guard

    cpu: int | None = None
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
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
        # what the default policy ran, on input and output alike (the canary: the
        # output check's system-prompt leak marker)
        "detectors": sorted(guard.scanner.versions),
        "canary": guard.canary is not None,
        "cpu": cpu,
    }
    result["llm_guard"] = bench_llm_guard(texts, rounds, cpu)
    return result


def bench_llm_guard(texts: list[str], rounds: int, cpu: int | None) -> dict[str, Any]:
    """LLM Guard on the same messages, rounds and core, in its own env (a subprocess
    running `PEER_RUNNER`); its JSON with ``"status": "ran"``, or ``"not set up"`` /
    ``"failed"`` and the reason."""
    if not PEER_PYTHON.exists():
        return {
            "status": "not set up",
            "note": f"not an aisec dependency; set up its env with `{PEER_SETUP}`",
        }
    payload = json.dumps(
        {"texts": texts, "rounds": rounds, "warmup": 5, "cpu": cpu}, ensure_ascii=False
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    try:
        proc = subprocess.run(
            [str(PEER_PYTHON), str(PEER_RUNNER)],
            input=payload.encode("utf-8"),
            capture_output=True,
            env=env,
            cwd=ROOT,
            timeout=1800,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    stderr = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        return {
            "status": "failed",
            "error": f"runner exited {proc.returncode}",
            "stderr_tail": stderr[-2000:],
        }
    try:
        out: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        return {
            "status": "failed",
            "error": f"runner printed no JSON: {exc}",
            "stdout_head": proc.stdout[:500].decode("utf-8", "replace"),
            "stderr_tail": stderr[-2000:],
        }
    return {"status": "ran", **out}


# -- the proxy -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


ANSWER = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "您好，这款产品风险较低，适合长期持有。"},
            "finish_reason": "stop",
        }
    ],
}


def upstream_app(delay: float = 0.2) -> Any:
    """The stand-in model: a bare ASGI app (no framework, so that the upstream's own CPU,
    on the load generator's core, stays small); reads and parses the body, waits
    ``delay`` seconds, answers `ANSWER`."""
    answer = json.dumps(ANSWER, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST":
            json.loads(body)
            await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

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


def chat_request(url: str, key: str | None) -> tuple[str, int, bytes]:
    """``(host, port, the whole HTTP/1.1 request)`` of one chat request to ``url``."""
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    body = json.dumps(
        {"model": "m", "messages": [{"role": "user", "content": PARAGRAPH}]}, ensure_ascii=False
    ).encode("utf-8")
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    request = (
        f"POST /{path} HTTP/1.1\r\nHost: {host_port}\r\n{auth}"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("ascii") + body
    return host, int(port), request


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bool]:
    """Send ``request`` on a kept-alive connection and read the answer by its
    Content-Length: ``(status, the server closes the connection)``."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, close = 0, False
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
        elif line.startswith(b"connection:") and b"close" in line:
            close = True
    await reader.readexactly(length)
    return status, close


async def load(
    url: str, key: str | None, concurrency: int, total: int
) -> tuple[list[float], float]:
    """``total`` chat requests over ``concurrency`` keep-alive connections; the latency of
    each. A bare HTTP/1.1 client on asyncio streams (`chat_request`, `exchange`): the load
    generator shares its core with the upstream, and an HTTP library's own cost per
    request, serialised over a burst of 32, showed up in the direct p99 as much as anything
    measured."""
    host, port, request = chat_request(url, key)
    times: list[float] = []
    queue = list(range(total))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while queue:
                queue.pop()
                t0 = time.perf_counter()
                status, _ = await exchange(reader, writer, request)
                if status != 200:
                    raise RuntimeError(f"{url}: HTTP {status}")
                times.append((time.perf_counter() - t0) * 1000)
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    return times, elapsed


def run(coro: Any) -> Any:
    """``asyncio.run`` on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


POLICY = (
    "version: 1\ndetectors: {pii: {}, secrets: {}, lexicon: {}}\n"
    "actions: {default: flag, pii.*: redact:mask, secret.*: redact:replace}\n"
    "guard: {proxy: {rate: {per_minute: 10000000, burst: 100000}}}\n"
)
#: the same proxy with no detector at all: the cost of the server stack alone (HTTP server,
#: handler, upstream client, audit), measured beside the full proxy in the same rounds
BARE_POLICY = (
    "version: 1\ndetectors: {}\nguard: {proxy: {rate: {per_minute: 10000000, burst: 100000}}}\n"
)


def cores() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def pinned(cpus: set[int] | None) -> Any:
    """A ``preexec_fn`` pinning the child to ``cpus`` (None: no pinning)."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def start_upstream(delay: float, cpus: set[int] | None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    upstream = subprocess.Popen(
        [sys.executable, __file__, "--serve-upstream", str(port), str(delay)],
        stderr=subprocess.DEVNULL,
        preexec_fn=pinned(cpus),
    )
    return upstream, port


def start_proxy(
    db: str, policy: Path, policy_text: str, up_port: int, cpus: set[int] | None
) -> tuple[subprocess.Popen[bytes], int]:
    """`aisec guard serve` (one worker) with ``policy_text`` in front of the upstream."""
    port = free_port()
    policy.write_text(policy_text, encoding="utf-8")
    env = {**os.environ, "AISEC_DATABASE_URL": db}
    aisec = str(Path(sys.executable).with_name("aisec"))
    proxy = subprocess.Popen(
        [aisec, "guard", "serve", "--upstream", f"http://127.0.0.1:{up_port}/v1",
         "--port", str(port), "--policy", str(policy), "--log-level", "warning"],
        env=env, stderr=subprocess.DEVNULL, preexec_fn=pinned(cpus),
    )  # fmt: skip
    return proxy, port


@contextlib.contextmanager
def only_running(
    keep: set[subprocess.Popen[bytes]], procs: tuple[subprocess.Popen[bytes], ...]
) -> Iterator[None]:
    """Stop (SIGSTOP) each of ``procs`` not in ``keep`` for the duration; continue after."""
    stopped = [p for p in procs if p not in keep]
    for p in stopped:
        os.kill(p.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for p in stopped:
            os.kill(p.pid, signal.SIGCONT)


def compare(
    direct: str, through: str, key: str, concurrency: int, total: int, rounds: int
) -> tuple[list[float], list[float], float]:
    """``total`` requests direct and ``total`` through a proxy at ``concurrency``, after a
    warm-up, in alternating rounds (direct, proxy, direct, …) so that whatever else the
    machine does weighs on both alike: ``(direct latencies, proxied latencies, seconds the
    proxied rounds took)``."""
    time.sleep(1)  # a proxy just continued (SIGCONT) catches up with its timers first
    run(load(through, key, concurrency, concurrency))  # warm-up
    run(load(direct, None, concurrency, concurrency))
    d_times, p_times, p_elapsed = [], [], 0.0
    for _ in range(rounds):
        d_times += run(load(direct, None, concurrency, total // rounds))[0]
        times, elapsed = run(load(through, key, concurrency, total // rounds))
        p_times += times
        p_elapsed += elapsed
    return d_times, p_times, p_elapsed


def bench_proxy(quick: bool) -> dict[str, Any]:
    from aisec.guard.keys import create_key
    from aisec.store import open_store

    tmp = Path(tempfile.mkdtemp(prefix="aisec-bench-guard-"))
    db = f"sqlite:///{tmp / 'aisec.db'}"
    with open_store(db) as store:
        _, key = create_key(store, "bench", rate_per_minute=10_000_000)
    cpus = cores()
    split = len(cpus) >= 2
    proxy_cpus, other_cpus = ({cpus[-1]}, set(cpus[:-1])) if split else (None, None)
    before = cpus
    if other_cpus:
        os.sched_setaffinity(0, other_cpus)
    upstream, up_port = start_upstream(0.2, other_cpus)
    proxy, proxy_port = start_proxy(db, tmp / "policy.yaml", POLICY, up_port, proxy_cpus)
    bare, bare_port = start_proxy(db, tmp / "bare.yaml", BARE_POLICY, up_port, proxy_cpus)
    results: dict[str, Any] = {
        "placement": (
            f"proxy on core {cpus[-1]}; upstream and load generator on core(s) "
            f"{','.join(map(str, cpus[:-1]))}"
            if split
            else "one core shared by all"
        )
    }
    try:
        wait_for(f"http://127.0.0.1:{up_port}/")
        wait_for(f"http://127.0.0.1:{proxy_port}/healthz")
        wait_for(f"http://127.0.0.1:{bare_port}/healthz")
        direct = f"http://127.0.0.1:{up_port}/v1/chat/completions"
        through = f"http://127.0.0.1:{proxy_port}/v1/chat/completions"
        bare_url = f"http://127.0.0.1:{bare_port}/v1/chat/completions"
        # (concurrency, requests, rounds): at 32, rounds of 320 requests (ten per client,
        # the first of each a burst of 32 new connections), ten of them, so that the p99
        # rests on 32 requests rather than 13 (with four rounds it moved by ±0.01 between
        # runs on a quiet machine)
        plan = ((1, 40, 2), (32, 128, 2)) if quick else ((1, 200, 4), (32, 3200, 10))
        for concurrency, total, rounds in plan:
            # the proxy against direct calls, then the proxy without detectors against direct
            # calls; the proxy not measured is stopped (SIGSTOP), so that its background work
            # (the state refresher) never runs on the measured one's core
            with only_running({proxy}, (proxy, bare)):
                d_times, p_times, p_elapsed = compare(
                    direct, through, key, concurrency, total, rounds
                )
            with only_running({bare}, (proxy, bare)):
                bd_times, b_times, _ = compare(direct, bare_url, key, concurrency, total, rounds)
            d50, d99 = pct(d_times, 0.5), pct(d_times, 0.99)
            results[f"c{concurrency}"] = {
                "requests": total,
                "rounds": rounds,
                "direct_p50_ms": round(d50, 1),
                "direct_p99_ms": round(d99, 1),
                "proxy_p50_ms": round(pct(p_times, 0.5), 1),
                "proxy_p99_ms": round(pct(p_times, 0.99), 1),
                "ratio_p50": round(pct(p_times, 0.5) / d50, 3),
                "ratio_p99": round(pct(p_times, 0.99) / d99, 3),
                "proxy_rps": round(total / p_elapsed, 1),
                "bare_ratio_p50": round(pct(b_times, 0.5) / pct(bd_times, 0.5), 3),
                "bare_ratio_p99": round(pct(b_times, 0.99) / pct(bd_times, 0.99), 3),
            }
    finally:
        for p in (proxy, bare, upstream):
            p.terminate()
            p.wait(10)
        if before:
            os.sched_setaffinity(0, set(before))
    return results


# -- the load run ----------------------------------------------------------------------


async def closed_loop(
    url: str, key: str, concurrency: int, seconds: float
) -> tuple[dict[int, int], list[float], float, dict[str, int]]:
    """``concurrency`` clients, each sending its next request as soon as the last is
    answered, for ``seconds``; statuses, latencies and the errors behind requests that got
    no answer. The bare client of `load` (a new connection after an error): an HTTP
    library's own CPU per request in the load generator, which shares the machine with the
    proxy, was the limit of an earlier version of this run (httpx: about 140 requests/s
    whatever the proxy did)."""
    host, port, request = chat_request(url, key)
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    times: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, port)
                status, close = await asyncio.wait_for(exchange(*conn, request), 60)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                status, close = 0, True  # no answer at all: say why
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            times.append((time.perf_counter() - t0) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if close and conn is not None:
                conn[1].close()
                conn = None
        if conn is not None:
            conn[1].close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    return statuses, times, elapsed, errors


def scrape_audit(port: int) -> dict[str, int]:
    import httpx

    out: dict[str, int] = {}
    for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text.splitlines():
        if line.startswith("aisec_guard_audit_events{"):
            state = line.split('state="', 1)[1].split('"', 1)[0]
            out[state] = int(float(line.rsplit(" ", 1)[1]))
    return out


def bench_load(seconds: float, concurrency: int = 256, delay: float = 0.05) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    from sqlalchemy import func, select

    from aisec.guard.keys import create_key
    from aisec.store import open_store
    from aisec.store.models import AuditEvent
    from conftest import _Cluster  # the tests' throw-away PostgreSQL server

    cluster = _Cluster()
    cluster.start()
    try:
        with cluster.admin() as conn:
            conn.execute('CREATE DATABASE "bench"')
        db = cluster.url("bench")
        with open_store(db) as store:
            _, key = create_key(store, "load", rate_per_minute=100_000_000)
        tmp = Path(tempfile.mkdtemp(prefix="aisec-bench-load-"))
        upstream, up_port = start_upstream(delay, None)
        proxy, proxy_port = start_proxy(db, tmp / "policy.yaml", POLICY, up_port, None)
        try:
            wait_for(f"http://127.0.0.1:{up_port}/")
            wait_for(f"http://127.0.0.1:{proxy_port}/healthz")
            url = f"http://127.0.0.1:{proxy_port}/v1/chat/completions"
            run(closed_loop(url, key, concurrency, 3))  # warm-up
            warm = scrape_audit(proxy_port)
            statuses, times, elapsed, errors = run(closed_loop(url, key, concurrency, seconds))
            time.sleep(1)
            counted = scrape_audit(proxy_port)
        finally:
            for p in (proxy, upstream):
                p.terminate()  # the proxy flushes its audit queue on the way out
                p.wait(60)
        with open_store(db) as store, store.transaction() as session:
            stored = int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)
    finally:
        cluster.stop()
    answered = sum(n for s, n in statuses.items() if s == 200)
    requests = sum(statuses.values())
    return {
        "seconds": round(elapsed, 1),
        "concurrency": concurrency,
        "upstream_delay_ms": round(delay * 1000),
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1),
        "p50_ms": round(pct(times, 0.5), 1),
        "p99_ms": round(pct(times, 0.99), 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "proxy_5xx": sum(n for s, n in statuses.items() if s >= 500),
        #: requests the load generator got no HTTP answer to (a transport error)
        "no_answer": statuses.get(0, 0),
        "no_answer_errors": errors,
        "audit_expected": 2 * answered + warm.get("recorded", 0),
        "audit_recorded": counted.get("recorded", 0),
        "audit_spilled": counted.get("spilled", 0),
        "audit_stored": stored,
        "audit_lost": counted.get("recorded", 0) - stored,
        "placement": "not pinned: proxy, upstream, load generator and PostgreSQL share "
        f"{len(cores()) or 1} core(s)",
    }


def section(
    checks: dict[str, Any], proxy: dict[str, Any], load_run: dict[str, Any] | None = None
) -> str:
    rounds = ", ".join(
        f"{r['rounds']} of {r['requests'] // r['rounds']} requests at concurrency {name[1:]}"
        for name, r in proxy.items()
        if name.startswith("c") and "rounds" in r
    )
    lines = [
        "## Guard (`bench/guard.py`)",
        "",
        *check_lines(checks),
        "",
        "Proxy overhead, one worker, upstream answering in 200 ms (local, a bare ASGI app on "
        "uvloop), SQLite audit, load generator a bare HTTP/1.1 client (keep-alive, one "
        "connection per client), direct and proxied in alternating rounds "
        f"({rounds or 'see bench/out/guard.json'}), each round starting with all clients at "
        f"once; {proxy.get('placement', '')}. The last column is "
        "a second proxy in the same rounds with no detector at all (`detectors: {}`): what the "
        "server stack alone (HTTP server, handler, upstream client, audit) costs:",
        "",
        "| concurrency | requests | direct p50 / p99 ms | proxy p50 / p99 ms | ratio p50 | ratio p99 | proxy req/s | no detectors: ratio p50 / p99 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in proxy.items():
        if not name.startswith("c"):
            continue
        lines.append(
            f"| {name[1:]} | {r['requests']} | {r['direct_p50_ms']} / {r['direct_p99_ms']} | "
            f"{r['proxy_p50_ms']} / {r['proxy_p99_ms']} | {r['ratio_p50']} | {r['ratio_p99']} | "
            f"{r['proxy_rps']} | {r.get('bare_ratio_p50', '–')} / {r.get('bare_ratio_p99', '–')} |"
        )
    if load_run is not None:
        r = load_run
        lines += [
            "",
            f"Load run (`--load`), {r['seconds']} s closed loop, {r['concurrency']} concurrent "
            f"clients, upstream answering in {r['upstream_delay_ms']} ms, one proxy worker, "
            f"audit in PostgreSQL; {r['placement']}:",
            "",
            "| requests | req/s | p50 / p99 ms | 5xx from the proxy | no answer | "
            "audit expected | recorded | stored | spilled | lost |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| {r['requests']} | {r['requests_per_s']} | {r['p50_ms']} / {r['p99_ms']} | "
            f"{r['proxy_5xx']} | {r.get('no_answer', 0)} | {r['audit_expected']} | "
            f"{r['audit_recorded']} | "
            f"{r['audit_stored']} | {r['audit_spilled']} | {r['audit_lost']} |",
        ]
        if r.get("no_answer_errors"):
            why = ", ".join(f"{k} × {v}" for k, v in sorted(r["no_answer_errors"].items()))
            lines += ["", f"No answer: the load generator's httpx raised {why}."]
    return "\n".join(lines)


def check_lines(checks: dict[str, Any]) -> list[str]:
    """The check-latency part of the section: aisec's row and LLM Guard's beside it (or
    why LLM Guard has none), and which detectors each side ran."""
    detectors = ", ".join(checks.get("detectors", [])) or "?"
    canary = " + canary leak check on the output" if checks.get("canary") else ""
    core = f"core {checks['cpu']}" if checks.get("cpu") is not None else "one core"
    peer = checks.get("llm_guard")
    ran = isinstance(peer, dict) and peer.get("status") == "ran"
    lines = [
        f"Check latency, input + output (`Guard.check_input` + `Guard.check_output`), "
        f"{checks['chars']}-character Chinese messages with personal data (a mobile number "
        f"and an e-mail address, repeated), pinned to one core ({core}), {checks['rounds']} "
        "rounds; target for aisec ≤ 5 / ≤ 20 ms."
        + (
            " LLM Guard in the same run, on the same messages, rounds and core: "
            "`scan_prompt` + `scan_output` with its scanners that run offline, its logging "
            "off (at ERROR):"
            if ran
            else ""
        ),
        "",
        "| checker | ran, input + output | p50 ms | p99 ms | mean ms |",
        "|---|---|---|---|---|",
        f"| aisec, default policy | detectors {detectors}{canary} | **{checks['p50_ms']}** | "
        f"**{checks['p99_ms']}** | {checks['mean_ms']} |",
    ]
    if not isinstance(peer, dict) or peer.get("status") == "not set up":
        return [
            *lines,
            "",
            "LLM Guard: not run, its env is not set up (it is not an aisec dependency; "
            f"`{PEER_SETUP}` makes it in `.peers/llm-guard/`).",
        ]
    if not ran:
        return [*lines, "", f"LLM Guard: failed to run: {peer.get('error', '?')}."]
    ins = ", ".join(peer.get("input_scanners", [])) or "none"
    outs = ", ".join(peer.get("output_scanners", [])) or "none"
    lines.append(
        f"| LLM Guard {peer.get('version', '?')}, offline scanners | input: {ins}; "
        f"output: {outs} | {peer['p50_ms']} | {peer['p99_ms']} | {peer['mean_ms']} |"
    )
    # the scanners that failed to load, grouped by their exception and what they fetched
    groups: dict[str, list[str]] = {}
    for f in peer.get("failed", []):
        why = f["error"] + (f", {f['reason']}" if f.get("reason") else f": {f['message']}")
        groups.setdefault(why, []).append(f["scanner"])
    failed = "; ".join(f"{', '.join(names)} ({why})" for why, names in groups.items())
    lines += [
        "",
        "Not the same work on the two sides: aisec's `pii` finds personal data of many kinds "
        "(Chinese names, addresses, ID, bank and mobile numbers among them), `secrets` "
        "credentials and keys, `lexicon` a keyword library mapped to GB/T 45654 risks, on "
        "normalised text; LLM Guard's Regex ran three patterns (mainland mobile, e-mail, "
        "18-digit ID number), BanSubstrings five Chinese words, Secrets detect-secrets' "
        "plugins, InvisibleText a scan for invisible characters. Its scanners that fetch a "
        "model or data on first use cannot load on this machine (it reaches no model hub) "
        "and are not in its row"
        + (f": {failed}." if failed else ".")
        + " Anonymize was tried for Chinese (`language='zh'`, its Chinese NER model).",
    ]
    return lines


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve-upstream":
        import uvicorn

        delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.2
        from importlib.util import find_spec

        uvicorn.run(
            upstream_app(delay),
            host="127.0.0.1",
            port=int(sys.argv[2]),
            log_level="warning",
            # like the proxy (`aisec guard serve`): uvloop and httptools when installed
            loop="uvloop" if find_spec("uvloop") else "asyncio",
            http="httptools" if find_spec("httptools") else "h11",
        )
        return
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        return
    unknown = set(sys.argv[1:]) - {"--quick", "--load", "--checks-only", "--no-results"}
    if unknown:
        sys.exit(f"unknown option(s): {' '.join(sorted(unknown))} (see --help)")
    quick = "--quick" in sys.argv
    checks_only = "--checks-only" in sys.argv
    # the proxy before pinning this process to one core
    proxy = None if checks_only else bench_proxy(quick)
    load_run = bench_load(10 if quick else 60) if "--load" in sys.argv and proxy else None
    checks = bench_checks(200 if quick else 1000)
    out: dict[str, Any] = {"checks": checks}
    if proxy is not None:
        out["proxy"] = proxy
    if load_run is not None:
        out["load"] = load_run
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "guard.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    if proxy is not None and "--no-results" not in sys.argv:
        write_section("guard", section(checks, proxy, load_run))
    else:
        print("bench/RESULTS.md left alone (--checks-only or --no-results)", file=sys.stderr)
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
