"""Executors run a pass's shard tasks. `LocalExecutor` uses a process pool (the default);
a Ray executor (a later increment) implements the same `Executor.map`.

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


def make_executor(name: str, jobs: int | None) -> Executor:
    """The executor a recipe names."""
    if name == "local":
        return LocalExecutor(jobs)
    raise RecipeError(
        f"executor {name!r} is not available yet (use executor: local); the Ray executor "
        "comes with `pip install aisec[ray]` in a later release"
    )
