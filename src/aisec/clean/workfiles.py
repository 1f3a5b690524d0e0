"""The files of a run's work folder: records between the passes, JSON checkpoints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aisec.clean.formats import Doc
from aisec.io import atomic_writer


def read_docs(path: Path) -> Iterator[Doc]:
    """The records a first pass kept (``pass1/NNNNN.docs.jsonl``), in order."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            yield Doc.from_json(json.loads(line))


def write_json(path: Path, obj: Any) -> None:
    """Write a checkpoint atomically (sorted keys: the same object, the same bytes)."""
    with atomic_writer(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=1, sort_keys=True)


def read_json(path: Path) -> Any:
    """Read a checkpoint."""
    return json.loads(path.read_text(encoding="utf-8"))


def uid_key(uid: str) -> tuple[int, int, str]:
    """Sort key of a record uid ``<shard>:<n>`` (quarantined reads: ``<shard>:bad<k>``)."""
    shard, _, n = uid.partition(":")
    return (int(shard), int(n) if n.isdigit() else -1, n)
