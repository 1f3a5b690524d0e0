"""The proxy's plumbing for speed: the batched audit sink and the sharded upstream pool."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from proxy_support import UPSTREAM_KEY, Upstream

from aisec.audit import AuditLog, Event
from aisec.guard import Guard
from aisec.guard.proxy import GuardProxy, ProxyError, ProxySettings, ShardedTransport
from aisec.server.runtime import BatchedAudit


def test_batched_audit_gathers_on_the_loop_and_loses_nothing(tmp_path: Path) -> None:
    log = AuditLog(f"sqlite:///{tmp_path / 'a.db'}", spill_path=tmp_path / "spill.jsonl")
    sink = BatchedAudit(log, gather=0.05)

    async def main() -> tuple[int, int]:
        sink.attach(asyncio.get_running_loop())
        for i in range(5):
            sink.record(Event(request_id=f"r{i}"))
        held = log.stats.recorded  # gathered, not handed over yet
        await asyncio.sleep(0.1)  # the timer hands them over
        return held, log.stats.recorded

    held, after = asyncio.run(main())
    assert (held, after) == (0, 5)
    sink.record(Event(request_id="off-loop"))  # no running loop: straight to the log
    assert log.stats.recorded == 6
    assert sink.flush()
    sink.close()
    assert log.stats.stored == 6


def test_batched_audit_close_hands_over_what_is_gathered(tmp_path: Path) -> None:
    log = AuditLog(f"sqlite:///{tmp_path / 'a.db'}", spill_path=tmp_path / "spill.jsonl")
    sink = BatchedAudit(log, gather=60)

    async def main() -> None:
        sink.attach(asyncio.get_running_loop())
        sink.record(Event(request_id="late"))

    asyncio.run(main())
    sink.close()
    assert log.stats.stored == 1


def test_sharded_transport_spreads_requests_and_frees_slots() -> None:
    transport = ShardedTransport(shards=4, connections=8)

    class Body(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b'{"ok": true}'

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Body())

    for i, shard in enumerate(transport.shards):
        transport.shards[i] = httpx.MockTransport(handler)  # type: ignore[assignment]
        del shard

    async def main() -> None:
        responses = [
            await transport.handle_async_request(httpx.Request("GET", "http://upstream/x"))
            for _ in range(4)
        ]
        assert transport.busy == [1, 1, 1, 1]  # one in flight on each pool
        for r in responses:
            await r.aread()
            assert r.json() == {"ok": True}
        assert transport.busy == [0, 0, 0, 0]  # read to the end: the slots are back
        await transport.aclose()

    asyncio.run(main())


class _BreaksFirst(httpx.AsyncBaseTransport):
    """The real HTTP transport, but the first ``breaks`` requests fail the way a kept-alive
    connection the upstream has just closed does (no answer at all)."""

    def __init__(self, breaks: int) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.breaks = breaks
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls <= self.breaks:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


def _models_through(upstream: Upstream, breaks: int) -> tuple[int, Any, int, float]:
    assert upstream.server is not None
    settings = ProxySettings(upstream=upstream.server.url + "/v1", upstream_key=UPSTREAM_KEY)
    transport = _BreaksFirst(breaks)
    proxy = GuardProxy(settings, Guard(), transport=transport)

    async def main() -> tuple[int, Any]:
        await proxy.start()
        try:
            reply = await proxy.models()
            return reply.status, reply.body
        except ProxyError as exc:
            return exc.status, exc.body
        finally:
            await proxy.close()

    status, body = asyncio.run(main())
    retried = proxy.metrics.upstream_errors.labels("retried")._value.get()
    return status, body, transport.calls, retried


def test_a_broken_kept_alive_connection_is_retried_once(upstream: Upstream) -> None:
    status, body, calls, retried = _models_through(upstream, breaks=1)
    assert status == 200 and body["object"] == "list" and calls == 2 and retried == 1
    status, body, calls, _ = _models_through(upstream, breaks=2)
    assert status == 502 and calls == 2
    assert "RemoteProtocolError" in body["error"]["message"]
