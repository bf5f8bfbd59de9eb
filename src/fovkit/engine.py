"""Run independent tasks in local worker processes or as Ray tasks, results in task order, with a progress bar.

The local engine forks its workers, so they inherit what the parent prepared (tables, plans) without pickling it;
only the function, tasks and results cross process boundaries. With one worker, or where fork is unavailable, tasks
run in the calling process. The Ray engine runs each task as a Ray task on a local instance or a cluster; Ray workers
inherit nothing, so there the function must be pure in its task (e.g. a `functools.partial` of a module-level
function holding the shared arguments, which is shipped to the workers once).
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import logging
import multiprocessing
import os
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from fovkit.errors import InputError

T = TypeVar("T")
R = TypeVar("R")

Engine = Literal["local", "ray"]
ENGINES: tuple[Engine, ...] = ("local", "ray")

RAY_CLIENT_PORT = 10001
"""Port of a `ray://host` address without one (Ray Client server)."""
RAY_GCS_PORT = 6379
"""Port of a `host` address without one (the head node's GCS)."""
CONNECT_TIMEOUT_S = 5.0
"""How long a Ray cluster's address may take to accept a TCP connection before it counts as unreachable."""
CONNECT_ATTEMPTS = 10
"""Attempts (about a second each) `ray.init` makes to reach the GCS of a cluster that answers but is no Ray GCS (or
not yet one); Ray's own default is 20 attempts, each printing a warning."""


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
    engine: Engine = "local",
    address: str | None = None,
) -> Iterator[R]:
    """Start `function(task)` for every task; iterate to get results in task order.

    The tasks start at once, so the caller can do other work before it iterates.

    Args:
        function: A module-level function, or a `functools.partial` of one. The local engine's forked workers
            look it up by reference and see the parent's globals; Ray workers see only what it holds, so with
            `engine="ray"` it must not read state the caller prepared in module globals.
        tasks: Small, picklable task descriptions.
        workers: Tasks run at once (default: one per core); with the local engine 1 runs each task inline while
            iterating. With Ray and an `address`, the default is as many as the cluster schedules.
        description: Label of the progress bar.
        weight: Units of progress each task stands for (e.g. files in a shard).
        progress: Show the progress bar while iterating; it advances as tasks finish, in any order.
        engine: `"local"` (forked processes) or `"ray"` (Ray tasks; needs `pip install 'fovkit[ray]'`).
        address: Ray cluster to connect to (e.g. `"head:6379"`, `"ray://head:10001"`, which needs `ray[client]`,
            or `"auto"`); by default a local Ray instance with `workers` CPUs is started and shut down afterwards.
            Ignored by the local engine, and when this process is already connected to Ray. An address that does
            not answer is an InputError within seconds (see `check_ray_address`).

    Returns:
        Iterator over the results; an exception in a task is raised from it (a Ray task's original exception, not
        Ray's wrapper), and the other tasks are cancelled.

    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; expected one of {list(ENGINES)}", field="engine")
    if engine == "ray":
        if not tasks:
            return iter(())
        batch = _RayBatch(function, tasks, workers, address)
        return _ordered(batch.finished(), batch.close, tasks, description, weight, progress)
    count = min(workers or default_workers(), len(tasks))
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _ordered(enumerate(map(function, tasks)), lambda: None, tasks, description, weight, progress)
    pool = multiprocessing.get_context("fork").Pool(count, initializer=_leave_interrupts_to_the_parent)

    def close() -> None:
        pool.terminate()
        pool.join()

    return _ordered(enumerate(pool.imap(function, tasks)), close, tasks, description, weight, progress)


def _ordered(
    finished: Iterator[tuple[int, R]],
    close: Callable[[], None],
    tasks: Sequence[T],
    description: str,
    weight: Callable[[T], int],
    progress: bool,
) -> Iterator[R]:
    """Advance the bar as `(index, result)` pairs arrive in any order; yield results in task order; then `close`."""
    try:
        from rich.progress import Progress

        with Progress(disable=not (progress and tasks)) as bar:
            task_id = bar.add_task(description, total=sum(weight(task) for task in tasks))
            waiting: dict[int, R] = {}
            next_index = 0
            for index, result in finished:
                bar.advance(task_id, weight(tasks[index]))
                waiting[index] = result
                while next_index in waiting:
                    yield waiting.pop(next_index)
                    next_index += 1
    finally:
        close()


def _leave_interrupts_to_the_parent() -> None:
    """Pool workers ignore Ctrl-C: the parent stops them, and only it reports the interruption (one line)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _RayBatch:
    """Tasks submitted to Ray at construction (at most `workers` in flight); `finished` yields them as they end."""

    def __init__(self, function: Callable[[Any], Any], tasks: Sequence[Any], workers: int | None, address: str | None):
        try:
            import ray
        except ImportError:
            raise InputError(
                "the Ray engine needs the ray package: install it with pip install 'fovkit[ray]'", field="engine"
            ) from None
        self._ray = ray
        self._started = not ray.is_initialized()
        self._running: dict[Any, int] = {}
        if self._started:
            if address:
                check_ray_address(address)
                try:
                    with _environment_defaults(RAY_gcs_server_port_wait_time_s=str(CONNECT_ATTEMPTS)):
                        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
                except ConnectionError as error:
                    raise InputError(
                        f"cannot reach a Ray cluster at {address!r} ({error}); start one with `ray start --head` "
                        "or leave out --address to start a local instance",
                        field="address",
                    ) from error
            else:
                ray.init(
                    address="local",
                    num_cpus=min(workers or default_workers(), len(tasks)),
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
        try:
            self._call = ray.remote(_call)
            self._function = ray.put(function)
            self._queue = iter(enumerate(tasks))
            self._limit = workers or len(tasks)
            self._submit()
        except BaseException:
            self.close()
            raise

    def _submit(self) -> None:
        for index, task in itertools.islice(self._queue, max(self._limit - len(self._running), 0)):
            self._running[self._call.remote(self._function, task)] = index

    def finished(self) -> Iterator[tuple[int, Any]]:
        """`(task index, result)` in the order tasks finish; a failed task raises its original exception."""
        while self._running:
            (done,), _ = self._ray.wait(list(self._running), num_returns=1)
            index = self._running.pop(done)
            try:
                result = self._ray.get(done)
            except self._ray.exceptions.RayTaskError as error:
                raise error.cause from error
            self._submit()
            yield index, result

    def close(self) -> None:
        """Cancel unfinished tasks; shut Ray down (or disconnect) if this batch started it."""
        for ref in self._running:
            self._ray.cancel(ref)
        self._running.clear()
        if self._started:
            self._ray.shutdown()


def check_ray_address(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail in one line, within `timeout` seconds, where `ray.init(address=...)` would fail with a traceback or slowly.

    A `ray://` address needs Ray Client (`pip install 'ray[client]'`, which brings grpcio). A `host:port` address
    must accept a TCP connection: against an unreachable GCS, `ray.init` retries for minutes and prints a warning
    every few seconds. An address that accepts connections but is no Ray GCS is left to `ray.init`, whose attempts
    `_RayBatch` bounds by CONNECT_ATTEMPTS. `auto` and `local` are left to Ray, which resolves them itself.
    """
    if address in ("auto", "local"):
        return
    client = address.startswith("ray://")
    if client and importlib.util.find_spec("grpc") is None:
        raise InputError(
            f"the address {address!r} needs Ray Client, which is not installed: pip install 'ray[client]' (or give "
            "the head node's GCS address host:6379, or leave out --address to start a local instance)",
            field="address",
        )
    host, port = _host_and_port(address.removeprefix("ray://"), RAY_CLIENT_PORT if client else RAY_GCS_PORT)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as error:
        raise InputError(
            f"cannot reach a Ray cluster at {address!r}: {host}:{port} does not answer ({error.strerror or error}); "
            "start one with `ray start --head`, check the address and firewall, or leave out --address to start a "
            "local instance",
            field="address",
        ) from None


@contextlib.contextmanager
def _environment_defaults(**values: str) -> Iterator[None]:
    """Set environment variables the user has not set, for the block only (Ray reads some of them per call)."""
    added = {name: value for name, value in values.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _host_and_port(address: str, default_port: int) -> tuple[str, int]:
    """`host` and `port` of `host[:port]` (IPv6 hosts in brackets); a malformed address is an InputError."""
    try:
        parts = urlsplit(f"//{address}")
        port = parts.port
    except ValueError:  # a port that is no number in 0..65535, an unclosed IPv6 bracket
        parts, port = None, None
    if parts is None or not parts.hostname or parts.path or parts.query or parts.fragment:
        raise InputError(
            f"{address!r} is not a Ray address; expected host:port (e.g. 10.0.0.5:6379), ray://host:10001 or auto",
            field="address",
        )
    return parts.hostname, port or default_port


def _call(function: Callable[[Any], Any], task: Any) -> Any:
    """The Ray task: apply the shipped function to one task."""
    return function(task)
