"""The proxy's plumbing for speed: the batched audit sink (the upstream client has its own
tests, ``test_upstream_client``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aisec.audit import AuditLog, Event
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


def test_batched_audit_hands_over_at_a_lull_or_when_the_first_waited_long(
    tmp_path: Path,
) -> None:
    log = AuditLog(f"sqlite:///{tmp_path / 'a.db'}", spill_path=tmp_path / "spill.jsonl")
    sink = BatchedAudit(log, gather=0.6, quiet=0.2)

    async def main() -> list[int]:
        sink.attach(asyncio.get_running_loop())
        seen = []
        sink.record(Event(request_id="a"))
        await asyncio.sleep(0.1)
        sink.record(Event(request_id="b"))  # within the quiet time: the lull starts again
        await asyncio.sleep(0.1)
        seen.append(log.stats.recorded)  # 0.2 s after the first, 0.1 after the last: held
        await asyncio.sleep(0.25)
        seen.append(log.stats.recorded)  # the lull came: handed over
        for i in range(10):  # no lull at all: handed over once the first has waited 0.6 s
            sink.record(Event(request_id=f"busy{i}"))
            await asyncio.sleep(0.1)
        seen.append(log.stats.recorded)
        return seen

    seen = asyncio.run(main())
    assert seen[:2] == [0, 2]
    assert 2 < seen[2] < 12
    sink.close()
    assert log.stats.stored == 12
