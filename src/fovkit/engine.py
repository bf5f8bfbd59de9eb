"""Run independent tasks in local worker processes, results in task order, with a progress bar.

Workers are forked, so they inherit what the parent prepared (tables, plans) without pickling it; only tasks and
results cross process boundaries. With one worker, or where fork is unavailable, tasks run in the calling process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from rich.progress import Progress

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """One worker per core available to this process."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def map_ordered(
    function: Callable[[T], R],
    tasks: Sequence[T],
    workers: int | None = None,
    description: str = "Working",
    weight: Callable[[T], int] = lambda task: 1,
    progress: bool = True,
) -> Iterator[R]:
    """Start `function(task)` for every task in `workers` forked processes; iterate to get results in task order.

    The workers start at once, so the caller can do other work before it iterates.

    Args:
        function: A module-level function (forked workers look it up by reference).
        tasks: Small, picklable task descriptions.
        workers: Processes to use (default: one per core); 1 runs each task inline while iterating.
        description: Label of the progress bar.
        weight: Units of progress each task stands for (e.g. files in a shard).
        progress: Show the progress bar while iterating.

    Returns:
        Iterator over the results; an exception in a task is raised from it, and the other tasks are cancelled.

    """
    count = min(workers or default_workers(), len(tasks))
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _drain(map(function, tasks), None, tasks, description, weight, progress)
    pool = multiprocessing.get_context("fork").Pool(count)
    return _drain(pool.imap(function, tasks), pool, tasks, description, weight, progress)


def _drain(
    results: Iterator[R],
    pool: multiprocessing.pool.Pool | None,
    tasks: Sequence[T],
    description: str,
    weight: Callable[[T], int],
    progress: bool,
) -> Iterator[R]:
    try:
        with Progress(disable=not (progress and tasks)) as bar:
            task_id = bar.add_task(description, total=sum(weight(task) for task in tasks))
            for task, result in zip(tasks, results, strict=True):
                bar.advance(task_id, weight(task))
                yield result
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
