"""The scan job behind ``aisec scan``: records in, findings and redacted records out.

It ties the core together — reader → `Scanner` → `Policy` decision → `Redactor` → writer —
and keeps the counts a summary needs. The CLI only parses options and renders.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aisec.detect.base import Finding
from aisec.io import Record, RecordWriter, detect_format, iter_files, read_records
from aisec.io.unicode import utf8_size
from aisec.policy import Policy
from aisec.redact import Redactor


@dataclass
class RecordResult:
    """The outcome for one record."""

    record: Record
    findings: list[Finding]
    reported: list[Finding]
    redacted: str | None = None
    dropped: bool = False
    blocked: bool = False


@dataclass
class ScanSummary:
    """Counts over a whole scan."""

    records: int = 0
    flagged_records: int = 0
    findings_by_kind: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    dropped: int = 0
    blocked: int = 0
    written: int = 0
    bytes: int = 0
    seconds: float = 0.0
    outputs: list[Path] = field(default_factory=list)

    @property
    def mb_per_s(self) -> float:
        """Throughput in MB (10^6 bytes of UTF-8) per second."""
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0


@dataclass
class Source:
    """One input: a file (or ``-``), its format and where its redacted copy goes."""

    path: Path
    fmt: str
    out: Path | None = None


def plan_sources(paths: list[Path], fmt: str | None, redact_to: Path | None) -> list[Source]:
    """Expand folders and decide each input's format and redacted-output path.

    With one input file, ``redact_to`` is the output file unless it is an existing folder;
    otherwise it is a folder and each output keeps its path relative to the input root.
    """
    files = list(iter_files(paths))
    sources: list[Source] = []
    single = len(files) == 1 and not (redact_to is not None and redact_to.is_dir())
    for f, root in files:
        kind = (
            detect_format(f, fmt) if str(f) != "-" else (fmt if fmt and fmt != "auto" else "text")
        )
        out = None
        if redact_to is not None:
            if single:
                out = redact_to
            elif str(f) == "-":
                out = redact_to / "stdin.txt"
            else:
                rel = f.relative_to(root) if f != root else Path(f.name)
                out = redact_to / rel
        sources.append(Source(f, kind, out))
    return sources


class ScanJob:
    """Scans records with a policy, optionally writing redacted copies."""

    def __init__(self, policy: Policy, *, master_key: bytes | None = None) -> None:
        self.policy = policy
        self.scanner = policy.build_scanner()
        self.redactor = Redactor(policy, master_key=master_key)

    def scan_record(self, record: Record, *, redact: bool) -> RecordResult:
        """Scan (and redact) one record."""
        return self._decide(record, self.scanner.scan(record.text).findings, redact=redact)

    def scan_records(self, records: list[Record], *, redact: bool) -> list[RecordResult]:
        """Scan (and redact) records in one batch pass."""
        scans = self.scanner.scan_batch([r.text for r in records])
        return [
            self._decide(r, s.findings, redact=redact) for r, s in zip(records, scans, strict=True)
        ]

    def _decide(self, record: Record, found: list[Finding], *, redact: bool) -> RecordResult:
        reported = [f for f in found if self.policy.reaches(f)]
        result = RecordResult(record, found, reported)
        if redact:
            outcome = self.redactor.apply(record.text, reported)
            result.redacted = outcome.text
            result.dropped = outcome.dropped
            result.blocked = outcome.blocked
        return result

    def run_texts(self, texts: Iterable[str], summary: ScanSummary) -> Iterator[RecordResult]:
        """Scan text arguments (no redacted files)."""
        for i, t in enumerate(texts, 1):
            rec = Record(f"text:{i}", t, "argument", i)
            yield self._count(self.scan_record(rec, redact=True), summary)

    def run_sources(
        self,
        sources: list[Source],
        summary: ScanSummary,
        *,
        text_field: str = "text",
        id_field: str | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> Iterator[RecordResult]:
        """Scan files record by record; redacted copies are written atomically per file
        (a file whose scan fails part-way leaves no half-written output)."""
        for src in sources:
            writer = RecordWriter(src.out, src.fmt, text_field) if src.out is not None else None
            ok = False
            try:
                records = read_records(src.path, src.fmt, text_field=text_field, id_field=id_field)
                for batch in _batches(records):
                    for result in self.scan_records(batch, redact=writer is not None):
                        counted = summary.bytes
                        self._count(result, summary)
                        rec = result.record
                        if writer is not None and not (result.dropped or result.blocked):
                            writer.write(
                                rec, result.redacted if result.redacted is not None else rec.text
                            )
                            summary.written += 1
                        if on_bytes is not None:
                            on_bytes(summary.bytes - counted + 1)
                        yield result
                ok = True
            finally:
                if writer is not None:
                    writer.close(ok=ok)
                    if ok and src.out is not None:
                        summary.outputs.append(src.out)

    def _count(self, result: RecordResult, summary: ScanSummary) -> RecordResult:
        summary.records += 1
        summary.bytes += utf8_size(result.record.text)
        if result.reported:
            summary.flagged_records += 1
        for f in result.reported:
            summary.findings_by_kind[f.kind] += 1
            summary.actions[self.policy.action_for(f.kind)] += 1
        summary.dropped += result.dropped
        summary.blocked += result.blocked
        return result


def _batches(
    records: Iterable[Record], max_records: int = 256, max_chars: int = 1 << 20
) -> Iterator[list[Record]]:
    """Group a record stream into batches bounded in count and size."""
    batch: list[Record] = []
    size = 0
    for rec in records:
        batch.append(rec)
        size += len(rec.text)
        if len(batch) >= max_records or size >= max_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def timed(summary: ScanSummary) -> Callable[[], None]:
    """Start a clock; call the returned function to store the elapsed time."""
    t0 = time.perf_counter()

    def stop() -> None:
        summary.seconds = time.perf_counter() - t0

    return stop
