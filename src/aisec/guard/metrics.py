"""Prometheus metrics of the guard proxy (``/metrics``), one registry per app.

With several worker processes (``aisec guard serve --workers N``) the metrics are in
prometheus_client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` names a folder
(`aisec guard serve` makes a fresh one) where every worker keeps its values in
memory-mapped files, and whichever worker answers a scrape reports the sum over all of
them. The mode is chosen when prometheus_client is first imported, so the variable must
be set before the workers start.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from aisec.audit import AuditStats

#: set (to a folder) for the multiprocess mode
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_AUDIT_STATES = ("recorded", "stored", "spilled", "replayed", "overflowed")


def multiprocess() -> bool:
    """Whether this process reports its metrics through ``PROMETHEUS_MULTIPROC_DIR``."""
    return bool(os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower()))


_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class ProxyMetrics:
    """Requests, decisions by stage/verdict and by finding kind, latencies, upstream errors.

    The labelled series the proxy updates on every request are looked up once and kept,
    one table per metric: prometheus_client's ``labels()`` costs more than the update
    itself."""

    def __init__(self) -> None:
        self._decision_children: dict[tuple[str, str], Any] = {}
        self._kind_children: dict[str, Any] = {}
        self._check_children: dict[str, Any] = {}
        self._request_children: dict[tuple[str, int], Any] = {}
        self._request_seconds_children: dict[str, Any] = {}
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "aisec_guard_requests", "Requests answered", ["endpoint", "status"], registry=r
        )
        self.decisions = Counter(
            "aisec_guard_decisions", "Guard decisions", ["stage", "decision"], registry=r
        )
        self.kinds = Counter(
            "aisec_guard_findings", "Kinds found in decisions (one per decision)", ["kind"],
            registry=r,
        )  # fmt: skip
        self.request_seconds = Histogram(
            "aisec_guard_request_seconds", "Time to answer (to the first byte when streaming)",
            ["endpoint"], buckets=_LATENCY, registry=r,
        )  # fmt: skip
        self.check_seconds = Histogram(
            "aisec_guard_check_seconds", "Time spent in the guard's checks", ["stage"],
            buckets=_LATENCY, registry=r,
        )  # fmt: skip
        self.upstream_seconds = Histogram(
            "aisec_guard_upstream_seconds", "Upstream time to response headers",
            buckets=_LATENCY, registry=r,
        )  # fmt: skip
        self.upstream_errors = Counter(
            "aisec_guard_upstream_errors", "Upstream failures", ["reason"], registry=r
        )
        self.audit_events = Gauge(
            "aisec_guard_audit_events",
            "Audit events since the workers started, by state "
            "(recorded, stored, spilled, replayed, overflowed)",
            ["state"],
            registry=r,
            multiprocess_mode="livesum",  # summed over the running workers
        )

    def audit(self, stats: AuditStats) -> None:
        """Publish this worker's audit log counts."""
        for state in _AUDIT_STATES:
            self.audit_events.labels(state).set(getattr(stats, state))

    def exposition(self) -> bytes:
        """The text of a scrape: this registry, or in multiprocess mode every worker's."""
        if multiprocess():
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)

    @staticmethod
    def worker_exit() -> None:
        """In multiprocess mode: drop this worker's live gauges (its counters stay counted)."""
        if multiprocess():
            from prometheus_client.multiprocess import mark_process_dead

            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    def decision(self, stage: str, verdict: str, kinds: list[str], seconds: float) -> None:
        """Count one guard decision."""
        child = self._decision_children.get((stage, verdict))
        if child is None:
            child = self._decision_children[stage, verdict] = self.decisions.labels(stage, verdict)
        child.inc()
        known = self._kind_children
        for kind in kinds:
            child = known.get(kind)
            if child is None:
                child = known[kind] = self.kinds.labels(kind)
            child.inc()
        child = self._check_children.get(stage)
        if child is None:
            child = self._check_children[stage] = self.check_seconds.labels(stage)
        child.observe(seconds)

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        child = self._request_children.get((endpoint, status))
        if child is None:
            child = self._request_children[endpoint, status] = self.requests.labels(
                endpoint, str(status)
            )
        child.inc()
        child = self._request_seconds_children.get(endpoint)
        if child is None:
            child = self._request_seconds_children[endpoint] = self.request_seconds.labels(endpoint)
        child.observe(seconds)


@contextlib.contextmanager
def multiprocess_metrics(workers: int) -> Iterator[None]:
    """With several workers: the folder of prometheus_client's multiprocess mode (see the
    module docstring), set in the environment the workers inherit. A folder the
    operator named in ``PROMETHEUS_MULTIPROC_DIR`` is emptied of old values first (the
    mode's rule); otherwise a private temporary one is made and removed at the end."""
    if workers < 2:
        yield
        return
    named = os.environ.get(MULTIPROC_ENV)
    if named:
        folder = Path(named)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.db"):
            old.unlink()
        yield
        return
    with tempfile.TemporaryDirectory(prefix="aisec-metrics-") as tmp:
        os.environ[MULTIPROC_ENV] = tmp
        try:
            yield
        finally:
            os.environ.pop(MULTIPROC_ENV, None)
