"""`ProxyRuntime`: what one proxy worker holds between requests — the database, the audit
log, the `GuardProxy`, the snapshot of the kill switch and keys, the rate limiter — and
the background task that keeps the snapshot fresh and reloads the policy when asked."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import threading
import time
from collections.abc import Coroutine
from typing import Any

from aisec.audit import AuditLog, AuditStats, Event, PendingEvent
from aisec.errors import AisecError
from aisec.guard.control import REFRESH_SECONDS, ControlCache
from aisec.guard.guard import Guard
from aisec.guard.incidents import IncidentMonitor
from aisec.guard.metrics import ProxyMetrics
from aisec.guard.proxy import GuardProxy, ProxySettings
from aisec.guard.ratelimit import RateLimiter
from aisec.guard.vaults import keepers
from aisec.label.inline import label_generated_image, label_generated_speech
from aisec.store import Store, open_store

logger = logging.getLogger("aisec.guard.server")


#: the longest the event loop gathers audit events before handing them to the writer
AUDIT_GATHER_SECONDS = 0.1
#: it hands them over sooner when no event came for this long (a lull between requests)
AUDIT_QUIET_SECONDS = 0.005


class BatchedAudit:
    """The proxy's `AuditLog`, fed in batches from the event loop.

    `AuditLog`'s writer stores whatever is queued when it wakes, in one transaction; fed
    one event at a time it woke for each and wrote batches of one or two — a transaction
    per event, most of the proxy's CPU under load, on the same GIL as the event loop. On
    the loop thread `record` only appends to a list, and a timer hands the list over at
    the first lull — no event for ``quiet`` seconds — or ``gather`` seconds after the first
    event waiting, whichever comes first (and at once when ``limit`` events wait). The
    writer thread, which holds the GIL while it works, thus mostly works between bursts of
    requests instead of in the middle of one (where every GIL hand-over costs the event
    loop up to the interpreter's switch interval). From any other thread, or without a
    running loop, an event goes straight to the log. `flush` and `close` hand over what is
    gathered first, so nothing recorded is ever left behind."""

    #: `record` takes a `PendingEvent` too (the log's writer thread makes it)
    takes_pending = True

    def __init__(
        self,
        log: AuditLog,
        *,
        gather: float = AUDIT_GATHER_SECONDS,
        quiet: float = AUDIT_QUIET_SECONDS,
        limit: int = 256,
    ) -> None:
        self.log = log
        self.gather = gather
        self.quiet = min(quiet, gather)
        self.limit = limit
        self._first = self._last = 0.0
        self._pending: list[Event | PendingEvent] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._thread = 0

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Gather the events recorded on ``loop``'s thread."""
        self._loop = loop
        self._thread = threading.get_ident()

    @property
    def stats(self) -> AuditStats:
        """The log's counters (events still gathered are not counted yet)."""
        return self.log.stats

    def record(self, event: Event | PendingEvent) -> None:
        """Gather ``event`` (on the loop's thread), else queue it in the log. A
        `PendingEvent` is made by the log's writer thread (`AuditLog.record`)."""
        loop = self._loop
        if loop is None or threading.get_ident() != self._thread or loop.is_closed():
            self.log.record(event)
            return
        with self._lock:
            self._pending.append(event)
            full = len(self._pending) >= self.limit
        self._last = now = loop.time()
        if full:
            self.hand_over()
        elif self._timer is None:
            self._first = now
            self._timer = loop.call_later(self.quiet, self._tick)

    def _tick(self) -> None:
        """Hand over at a lull or when the first event has waited ``gather`` seconds;
        else look again when one of the two may have come."""
        self._timer = None
        loop = self._loop
        if loop is None:
            return
        now = loop.time()
        due = min(self._last + self.quiet, self._first + self.gather)
        if now >= due - 1e-4:
            self.hand_over()
        else:
            self._timer = loop.call_later(due - now, self._tick)

    def hand_over(self) -> None:
        """Queue every gathered event in the log, in order (on the loop's thread)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue_pending()

    def _queue_pending(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        for event in events:
            self.log.record(event)

    def flush(self, timeout: float = 30.0) -> bool:
        """`AuditLog.flush`, after handing over what is gathered (from any thread)."""
        self._queue_pending()
        return self.log.flush(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """`AuditLog.close`, after handing over what is gathered (from any thread)."""
        self._loop = None
        self._queue_pending()
        self.log.close(timeout)


def settle_heap() -> None:
    """Collect, then freeze everything alive (`gc.freeze`): the detectors' dictionaries
    and the frameworks are some 10⁵ long-lived objects, and every full collection walked
    them all — 30 ms or more on the event loop, in the middle of a burst of requests.
    Frozen objects are left out of collections; an earlier freeze is undone first, so
    that what a reload left behind (the previous policy's guards) can still be freed."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class ProxyRuntime:
    """One worker's state; `start` and `stop` are the app's lifespan."""

    def __init__(
        self, settings: ProxySettings, *, refresh_seconds: float = REFRESH_SECONDS
    ) -> None:
        self.settings = settings
        self.refresh_seconds = refresh_seconds
        self.store: Store | None = None
        self.audit: BatchedAudit | None = None
        self.proxy: GuardProxy | None = None
        self.cache: ControlCache | None = None
        self.limiter = RateLimiter(600, 60)
        #: application → its incident monitor (block and upstream error rates)
        self.monitors: dict[str, IncidentMonitor] = {}
        self.generation = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._reload_lock = asyncio.Lock()

    async def start(self) -> None:
        """Open the database (migrating it), the audit log and the policy; read the
        state once; start the refresher; reload on SIGHUP."""
        url = self.settings.database_url
        self.store = await asyncio.to_thread(open_store, url)
        self.audit = BatchedAudit(AuditLog(url))
        self.audit.attach(asyncio.get_running_loop())
        guards = await asyncio.to_thread(self._guards)
        self.proxy = GuardProxy(self.settings, guards[self.settings.application])
        self.proxy.guards = guards
        self.proxy.label_image = label_generated_image
        self.proxy.label_speech = label_generated_speech
        await asyncio.to_thread(self._apply, guards)
        await self.proxy.start()
        self.cache = ControlCache(self.store)
        await asyncio.to_thread(self.cache.refresh)
        self.generation = self.cache.state.policy_generation
        settle_heap()
        self._spawn(self._refresher())
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            # only in the main thread of a process (not when embedded in tests)
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: self._spawn(self._reload_quietly("SIGHUP"))
            )

    async def stop(self) -> None:
        """Stop the refresher, close the upstream pool, flush the audit log."""
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if self.proxy is not None:
            await self.proxy.close()
        if self.audit is not None:
            await asyncio.to_thread(self.audit.close)
        if self.store is not None:
            self.store.close()
        ProxyMetrics.worker_exit()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _guards(self) -> dict[str, Guard]:
        return {
            name: Guard(path, audit=self.audit, application=name)
            for name, path in self.settings.policies().items()
        }

    def _apply(self, guards: dict[str, Guard]) -> None:
        """Settings that live outside the guards: the rate limits (the default
        application's policy) and each application's incident thresholds."""
        rate = guards[self.settings.application].config.proxy.rate
        self.limiter.per_minute, self.limiter.burst = rate.per_minute, rate.burst
        assert self.store is not None
        if self.proxy is not None:
            self.proxy.keepers = keepers(self.store, guards)
        for name, guard in guards.items():
            monitor = self.monitors.get(name)
            if monitor is None:
                self.monitors[name] = IncidentMonitor(
                    self.store, guard.config.incidents, application=name
                )
            else:
                monitor.configure(guard.config.incidents)

    def observe(self, app: str, *, blocked: bool, upstream_error: bool) -> None:
        """Count one answered request of ``app`` for its incident monitor."""
        monitor = self.monitors.get(app)
        if monitor is not None:
            monitor.observe(blocked=blocked, upstream_error=upstream_error)

    def evaluate_incidents(self) -> None:
        """Open or close incidents as the windows say (from a thread)."""
        for monitor in list(self.monitors.values()):
            monitor.evaluate()

    async def reload(self, why: str) -> None:
        """Load the policy again and swap it in; a broken policy raises `AisecError` and
        the running one stays."""
        async with self._reload_lock:
            t0 = time.perf_counter()
            guards = await asyncio.to_thread(self._guards)
            assert self.proxy is not None
            self.proxy.guards = guards
            await asyncio.to_thread(self._apply, guards)
            settle_heap()
            logger.warning(
                "policy reloaded",
                extra={"fields": {"why": why, "seconds": round(time.perf_counter() - t0, 3)}},
            )

    async def _reload_quietly(self, why: str) -> None:
        try:
            await self.reload(why)
        except AisecError as exc:
            logger.error("policy reload failed; the previous policy stays: %s", exc)

    async def _refresher(self) -> None:
        assert self.cache is not None
        while True:
            await asyncio.sleep(self.refresh_seconds)
            await asyncio.to_thread(self.cache.refresh)
            await asyncio.to_thread(self.evaluate_incidents)
            if self.audit is not None and self.proxy is not None:
                self.proxy.metrics.audit(self.audit.stats)  # for scrapes other workers answer
            generation = self.cache.state.policy_generation
            if self.cache.loaded and generation > self.generation:  # never back to a stale one
                self.generation = generation
                await self._reload_quietly(f"generation {generation}")

    @property
    def ready(self) -> bool:
        """The database answered within the last few seconds and an upstream is set."""
        cache = self.cache
        fresh = cache is not None and cache.healthy and time.monotonic() - cache.refreshed_at < 5
        return bool(fresh and self.settings.upstream)
