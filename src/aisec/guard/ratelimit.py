"""Per-key rate limiting: one token bucket per client key, in each worker's memory.

A bucket holds up to ``burst`` tokens and refills at ``per_minute / 60`` tokens a second;
a request takes one token or is refused with the seconds until the next one. Limits
apply per worker: with N workers a key may reach N times the rate (set the limit
accordingly, or put a shared limiter in front).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by client key id."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.per_minute = per_minute
        self.burst = burst
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key_id: int, per_minute: int | None = None) -> float:
        """Take a token for ``key_id``: 0.0 when allowed, else the seconds to wait."""
        rate = (per_minute or self.per_minute) / 60.0
        burst = float(self.burst if per_minute is None else max(1, min(self.burst, per_minute)))
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = _Bucket(burst, now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate
