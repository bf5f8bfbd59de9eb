from __future__ import annotations

import os

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
