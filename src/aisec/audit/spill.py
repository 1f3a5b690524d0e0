"""`SpillFile`: where audit events wait while the database is unreachable.

Format: JSON Lines, one `Event.to_dict` object per line, in the order the events were
recorded. Appends are one ``write`` of whole lines to a file opened with ``O_APPEND``,
followed by ``fsync``, under an exclusive ``flock`` — so two processes sharing the file
never interleave lines, and a batch the writer was told is spilled survives a crash.
Replay reads the complete lines under the same lock, hands them to the database in
order, and only then truncates the file; a crash between the two replays the events
again, which the database ignores (event ids are unique). A torn last line — only a
crash in the middle of a write can leave one — is moved to ``<file>.torn`` rather than
silently dropped.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from aisec.audit.event import Event


class SpillFile:
    """An append-only JSONL file of events waiting for the database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)

    def append(self, events: Sequence[Event]) -> None:
        """Append ``events`` durably (one write and one fsync for the whole batch)."""
        if not events:
            return
        data = "".join(
            json.dumps(e.to_dict(), ensure_ascii=False, sort_keys=True) + "\n" for e in events
        ).encode("utf-8")
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock

    def pending(self) -> bool:
        """True when events are waiting."""
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def count(self) -> int:
        """How many events are waiting (complete lines)."""
        try:
            return self.path.read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    def replay(self, sink: Callable[[list[Event]], object], batch: int = 1000) -> int:
        """Hand every waiting event to ``sink`` in order, then empty the file. If ``sink``
        raises, the file is left as it was (and the exception propagates)."""
        if not self.pending():
            return 0
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            raw = os.pread(fd, size, 0) if size else b""
            complete, _, torn = raw.rpartition(b"\n")
            events = [
                Event.from_dict(json.loads(line)) for line in complete.split(b"\n") if line.strip()
            ]
            for i in range(0, len(events), batch):
                sink(events[i : i + batch])
            if torn.strip():
                with (self.path.parent / (self.path.name + ".torn")).open("ab") as fh:
                    fh.write(torn + b"\n")
            os.ftruncate(fd, 0)
            os.fsync(fd)
            return len(events)
        finally:
            os.close(fd)
