"""The lineage ledger: one JSON line per (record, step) that modified, dropped or
quarantined the record, hash-chained so that any edit, insertion, removal or reordering
shows.

Each line carries ``seq``, ``prev`` (the previous line's hash, 64 zeros for the first) and
``hash`` = SHA-256 of the line's canonical JSON without ``hash``. The manifest records the
number of lines and the last hash, so cutting lines off the end shows too. `verify_run`
also checks the manifest against the ledger (removals per source), the output files
against their digests and the invariant input = kept + dropped + quarantined.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

GENESIS = "0" * 64
LEDGER = "ledger.jsonl"
MANIFEST = "manifest.json"


def canonical(obj: Any) -> bytes:
    """The bytes hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def line_hash(body: dict[str, Any]) -> str:
    """The hash of a ledger line (every field but ``hash``)."""
    return hashlib.sha256(canonical({k: v for k, v in body.items() if k != "hash"})).hexdigest()


class LedgerChain:
    """Appends decision lines to an open file, chaining them."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.prev = GENESIS
        self.seq = 0

    def append(self, entry: dict[str, Any]) -> None:
        """Chain and write one decision line."""
        self.seq += 1
        body = {"seq": self.seq, "prev": self.prev, **entry}
        body["hash"] = line_hash(body)
        self.prev = body["hash"]
        self.fh.write(json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_ledger(run: Path) -> Iterator[dict[str, Any]]:
    """The ledger lines of a run."""
    with (run / LEDGER).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


@dataclass
class Verification:
    """The result of `verify_run`."""

    lines: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def verify_run(run: Path) -> Verification:
    """Check a run folder: the ledger chain, the manifest's figures and the output digests."""
    out = Verification()
    try:
        manifest = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        out.problems.append(f"{MANIFEST}: cannot read ({exc})")
        return out
    removed: dict[str, Counter[str]] = {}
    prev = GENESIS
    try:
        for n, entry in enumerate(read_ledger(run), 1):
            out.lines = n
            if entry.get("seq") != n:
                out.problems.append(
                    f"{LEDGER}:{n}: sequence number {entry.get('seq')} (expected {n})"
                )
            if entry.get("prev") != prev:
                out.problems.append(f"{LEDGER}:{n}: does not chain to the previous line")
            if entry.get("hash") != line_hash(entry):
                out.problems.append(f"{LEDGER}:{n}: content does not match its hash (edited)")
            prev = str(entry.get("hash"))
            if entry.get("action") in ("drop", "quarantine"):
                removed.setdefault(str(entry.get("source")), Counter())[str(entry["action"])] += 1
            if len(out.problems) > 20:
                break
    except (OSError, json.JSONDecodeError) as exc:
        out.problems.append(f"{LEDGER}: cannot read ({exc})")
        return out
    led = manifest.get("ledger", {})
    if led.get("lines") != out.lines:
        out.problems.append(f"{LEDGER}: {out.lines} lines, the manifest says {led.get('lines')}")
    if led.get("head") != prev:
        out.problems.append(f"{LEDGER}: last hash differs from the manifest's (lines cut or added)")
    for source, c in manifest.get("by_source", {}).items():
        total = c.get("kept", 0) + c.get("dropped", 0) + c.get("quarantined", 0)
        if c.get("input", 0) != total:
            out.problems.append(
                f"invariant broken for source {source}: input {c.get('input')} ≠ kept + dropped + quarantined {total}"
            )
        got = removed.get(source, Counter())
        if got["drop"] != c.get("dropped", 0) or got["quarantine"] != c.get("quarantined", 0):
            out.problems.append(
                f"source {source}: the ledger removes {got['drop']} dropped + {got['quarantine']} "
                f"quarantined, the manifest says {c.get('dropped')} + {c.get('quarantined')}"
            )
    for item in manifest.get("outputs", []):
        path = run / item["path"]
        if not path.exists():
            out.problems.append(f"{item['path']}: output file missing")
        elif file_sha256(path) != item["sha256"]:
            out.problems.append(f"{item['path']}: output file changed since the run")
    return out


def explain(run: Path, record_id: str) -> list[dict[str, Any]]:
    """Every ledger line about a record (by its id, or by its run-internal ``uid``)."""
    return [e for e in read_ledger(run) if record_id in (e.get("record"), e.get("uid"))]


def write_jsonl(fh: IO[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as JSON lines; returns how many."""
    n = 0
    for row in rows:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n
