"""Prometheus metrics of the guard proxy (``/metrics``), one registry per app.

With several workers each worker has its own counters; scrape them through the load
balancer per replica, or run one worker per replica (the usual container set-up).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class ProxyMetrics:
    """Requests, decisions by stage/verdict and by finding kind, latencies, upstream errors."""

    def __init__(self) -> None:
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
            "Audit events of this worker since it started, by state "
            "(recorded, stored, spilled, replayed, overflowed)",
            ["state"],
            registry=r,
        )

    def decision(self, stage: str, verdict: str, kinds: list[str], seconds: float) -> None:
        """Count one guard decision."""
        self.decisions.labels(stage, verdict).inc()
        for kind in kinds:
            self.kinds.labels(kind).inc()
        self.check_seconds.labels(stage).observe(seconds)
