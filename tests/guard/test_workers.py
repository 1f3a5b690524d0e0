"""`aisec guard serve --workers 2`: the real command, two worker processes; a scrape of
``/metrics``, whichever worker answers it, reports the requests of both."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from proxy_support import BENIGN, POLICY, UPSTREAM_KEY, Upstream, free_port

from aisec.guard.keys import create_key
from aisec.store import open_store

AISEC = str(Path(sys.executable).parent / "aisec")


def _value(text: str, series: str) -> float | None:
    found = re.search(re.escape(series) + r" ([0-9.e+]+)", text)
    return None if found is None else float(found.group(1))


def test_metrics_of_all_workers_in_every_scrape(upstream: Upstream, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'aisec.db'}"
    with open_store(db) as store:
        _, key = create_key(store, "app")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY % {"status": 200}, encoding="utf-8")
    assert upstream.server is not None
    port = free_port()
    env = {**os.environ, "AISEC_UPSTREAM_API_KEY": UPSTREAM_KEY, "AISEC_DATABASE_URL": db}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    cmd = [AISEC, "guard", "serve", "--upstream", upstream.server.url + "/v1", "--port",
           str(port), "--policy", str(policy), "--workers", "2", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the proxy did not become ready"
            time.sleep(0.2)
        n = 48
        body = {"model": "m", "messages": [{"role": "user", "content": BENIGN}]}

        def ask(_: int) -> int:  # a new connection each time: either worker may take it
            r = httpx.post(
                base + "/v1/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
                timeout=30,
            )
            return r.status_code

        with ThreadPoolExecutor(16) as pool:  # at once, so that both workers take some
            assert set(pool.map(ask, range(n))) == {200}
        series = 'aisec_guard_requests_total{endpoint="chat",status="200"}'
        for _ in range(10):  # new connections again: scrapes land on both workers
            assert _value(httpx.get(base + "/metrics", timeout=5).text, series) == n
        # the audit gauges are published by each worker's refresher and summed
        recorded = 'aisec_guard_audit_events{state="recorded"}'
        deadline = time.monotonic() + 10
        while _value(httpx.get(base + "/metrics", timeout=5).text, recorded) != 2 * n:
            assert time.monotonic() < deadline, "audit gauges not summed over the workers"
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(30)
