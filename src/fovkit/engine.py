"""Run independent tasks in local worker processes, results in task order, with a progress bar.

Workers are forked, so they inherit what the parent prepared (tables, plans) without pickling it; only tasks and
results cross process boundaries. With one worker, or where fork is unavailable, tasks run in the calling process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    """Yield `function(task)` for every task, in task order, computed by `workers` forked processes.

    Args:
        function: A module-level function (forked workers look it up by reference).
        tasks: Small, picklable task descriptions.
        workers: Processes to use (default: one per core); 1 runs inline.
        description: Label of the progress bar.
        weight: Units of progress each task stands for (e.g. files in a shard).
        progress: Show the progress bar.

    An exception in a task is raised here, in the caller, and the remaining tasks are cancelled.

    """
    count = min(workers or default_workers(), len(tasks))
    total = sum(weight(task) for task in tasks)
    with Progress(disable=not (progress and tasks)) as bar:
        task_id = bar.add_task(description, total=total)
        for task, result in zip(tasks, _results(function, tasks, count), strict=True):
            bar.advance(task_id, weight(task))
            yield result


def _results(function: Callable[[T], R], tasks: Iterable[T], count: int) -> Iterator[R]:
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(function, tasks)
        return
    with multiprocessing.get_context("fork").Pool(count) as pool:
        yield from pool.imap(function, tasks)
