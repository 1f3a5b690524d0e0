"""The proxy's plumbing for speed: the batched audit sink and the sharded upstream pool."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from aisec.audit import AuditLog, Event
from aisec.guard.proxy import ShardedTransport
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
