"""Executors run a pass's shard tasks. `LocalExecutor` uses a process pool (the default);
`RayExecutor` runs the same tasks as Ray tasks (``pip install aisec[ray]``).

A task is a plain dict of strings and numbers (the recipe as JSON, the shard plan, the
work folder): that is all a worker process receives; records travel through files.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

from aisec.clean.recipe import RecipeError

Task = dict[str, Any]


class Executor(Protocol):
    """Runs ``fn`` on every task; yields results as tasks finish (in any order)."""

    def map(self, fn: Callable[[Task], Any], tasks: list[Task]) -> Iterator[Any]:
        """Run the tasks."""
        ...


class LocalExecutor:
    """A pool of ``jobs`` worker processes (spawned, so no thread or lock state is
    inherited); one job, or one task, runs in this process."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)

    def map(self, fn: Callable[[Task], Any], tasks: list[Task]) -> Iterator[Any]:
        """Run the tasks; results come back as each finishes."""
        if self.jobs == 1 or len(tasks) <= 1:
            for t in tasks:
                yield fn(t)
            return
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(tasks)), mp_context=ctx) as pool:
            futures = [pool.submit(fn, t) for t in tasks]
            for fut in as_completed(futures):
                yield fut.result()


RAY_MISSING = (
    "executor: ray needs Ray, which is not installed: `pip install aisec[ray]` "
    "(or use executor: local)"
)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RecipeError(RAY_MISSING) from exc
    return ray


class RayExecutor:
    """Runs each shard task as one Ray task (``num_cpus=1``).

    Ray *tasks* rather than Ray Data: the unit of work is already a shard whose records
    travel through files in the run folder, and the output must not depend on scheduling.
    A task gets the same small dict a local worker gets and writes the same files, so the
    run is byte-for-byte the one the local executor produces; Ray Data would move every
    record through the object store and re-block it, which buys nothing here and makes
    ordering a concern. On a cluster the run folder must be on a shared file system.

    Connects to ``address`` (or ``RAY_ADDRESS``) when given, to an already initialised Ray
    in this process, else starts a local Ray with ``jobs`` CPUs (the first `map` pays Ray's
    start-up, about 5-10 s)."""

    def __init__(self, jobs: int | None = None, address: str | None = None) -> None:
        self.ray = _import_ray()
        self.jobs = jobs
        self.address = address or os.environ.get("RAY_ADDRESS")
        self._remote: dict[Callable[[Task], Any], Any] = {}

    def _start(self) -> None:
        if self.ray.is_initialized():
            return
        if self.address:
            self.ray.init(address=self.address, log_to_driver=False)
        else:
            self.ray.init(
                num_cpus=self.jobs or os.cpu_count() or 1,
                include_dashboard=False,
                log_to_driver=False,
            )

    def map(self, fn: Callable[[Task], Any], tasks: list[Task]) -> Iterator[Any]:
        """Submit every task; results come back as each finishes."""
        if not tasks:
            return
        self._start()
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self.ray.remote(num_cpus=1, max_retries=2)(fn)
        pending = [remote.remote(t) for t in tasks]
        while pending:
            ready, pending = self.ray.wait(pending, num_returns=1)
            for ref in ready:
                yield self.ray.get(ref)


def make_executor(name: str, jobs: int | None) -> Executor:
    """The executor a recipe names (``local`` or ``ray``)."""
    if name == "local":
        return LocalExecutor(jobs)
    if name == "ray":
        return RayExecutor(jobs)
    raise RecipeError(f"unknown executor {name!r} (use local or ray)")
