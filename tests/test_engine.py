from __future__ import annotations

import os
import sys
import time

import pytest

from fovkit.engine import default_workers, map_ordered
from fovkit.errors import InputError


def square_and_pid(value: int) -> tuple[int, int]:
    return value * value, os.getpid()


def fail_on_three(value: int) -> int:
    if value == 3:
        raise InputError("three is bad", path="numbers.csv", field="value")
    return value


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_back_in_task_order(workers: int):
    results = list(map_ordered(square_and_pid, list(range(20)), workers=workers, progress=False))
    assert [square for square, _ in results] == [value * value for value in range(20)]
    pids = {pid for _, pid in results}
    assert (pids == {os.getpid()}) if workers == 1 else (os.getpid() not in pids)


def test_worker_errors_arrive_whole():
    with pytest.raises(InputError, match="three is bad") as caught:
        list(map_ordered(fail_on_three, list(range(6)), workers=2, progress=False))
    assert str(caught.value.path) == "numbers.csv"
    assert caught.value.field == "value"


def test_default_workers_is_positive():
    assert default_workers() >= 1


def slow_square(value: int) -> int:
    time.sleep(0.05 * (value % 3))  # finish out of order
    return value * value


@pytest.fixture
def ray_engine():
    """The Ray engine against a local instance that `map_ordered` starts and shuts down itself.

    Ray workers cannot import this test module, so its functions travel by value.
    """
    ray = pytest.importorskip("ray")
    assert not ray.is_initialized()
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        yield ray
    finally:
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert not ray.is_initialized()


def test_ray_results_come_back_in_task_order(ray_engine):
    results = list(map_ordered(slow_square, list(range(12)), workers=2, progress=False, engine="ray"))
    assert results == [value * value for value in range(12)]


def test_ray_worker_errors_arrive_whole(ray_engine):
    with pytest.raises(InputError, match="three is bad") as caught:
        list(map_ordered(fail_on_three, list(range(6)), workers=2, progress=False, engine="ray"))
    assert type(caught.value) is InputError
    assert str(caught.value.path) == "numbers.csv"
    assert caught.value.field == "value"


def test_unknown_engine_is_refused():
    with pytest.raises(InputError, match="unknown engine 'spark'"):
        map_ordered(abs, [1], engine="spark")  # type: ignore[arg-type]


def test_ray_engine_without_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(InputError, match=r"pip install 'fovkit\[ray\]'"):
        map_ordered(abs, [1], engine="ray")


def test_ray_engine_names_an_unreachable_address(ray_engine, monkeypatch: pytest.MonkeyPatch):
    def refuse(**kwargs):
        raise ConnectionError("Could not find any running Ray instance.")

    monkeypatch.setattr(ray_engine, "init", refuse)
    with pytest.raises(InputError, match="cannot reach a Ray cluster at 'auto'") as caught:
        map_ordered(abs, [1], engine="ray", address="auto")
    assert caught.value.field == "address"
