from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from fovkit.engine import check_ray_address, default_workers, map_ordered
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


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ray_client_address_without_ray_client_says_what_to_install(ray_engine, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "grpc", None)  # as after `pip install ray` without the [client] extras
    with pytest.raises(
        InputError, match=r"needs Ray Client, which is not installed: pip install 'ray\[client\]'"
    ) as caught:
        map_ordered(abs, [1], engine="ray", address="ray://127.0.0.1:10001")
    assert caught.value.field == "address"
    assert str(caught.value).isprintable()


def test_unreachable_ray_address_fails_fast_in_one_line(ray_engine, capfd: pytest.CaptureFixture[str]):
    port = closed_port()
    started = time.monotonic()
    with pytest.raises(InputError, match=rf"cannot reach a Ray cluster at '127\.0\.0\.1:{port}'") as caught:
        map_ordered(abs, [1], engine="ray", address=f"127.0.0.1:{port}")
    assert time.monotonic() - started < 30  # ray.init alone retried for minutes
    assert caught.value.field == "address"
    assert "ray start --head" in str(caught.value)
    assert "Failed to connect to GCS" not in capfd.readouterr().err  # Ray never started retrying


def test_an_address_that_does_not_answer_is_named(monkeypatch: pytest.MonkeyPatch):
    def silent(address: tuple[str, int], timeout: float) -> socket.socket:
        assert address == ("10.1.2.3", 6379) and timeout == 0.5  # the GCS's default port
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", silent)
    with pytest.raises(InputError, match=r"at '10\.1\.2\.3': 10\.1\.2\.3:6379 does not answer \(timed out\)"):
        check_ray_address("10.1.2.3", timeout=0.5)


def test_ray_init_attempts_are_bounded_for_an_address_that_answers(ray_engine, monkeypatch: pytest.MonkeyPatch):
    seen, variable = {}, "RAY_gcs_server_port_wait_time_s"  # read by ray.init at each call

    def init(**kwargs):
        seen["attempts"] = os.environ.get(variable)
        raise ConnectionError("Failed to connect to Ray cluster")

    monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(ray_engine, "init", init)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with pytest.raises(InputError, match="cannot reach a Ray cluster"):
            map_ordered(abs, [1], engine="ray", address=f"127.0.0.1:{server.getsockname()[1]}")
    assert seen["attempts"] == "10"
    assert variable not in os.environ  # set for the call only


def test_a_listening_address_passes_the_check():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_ray_address(f"127.0.0.1:{server.getsockname()[1]}")
        check_ray_address("auto")


@pytest.mark.parametrize("address", ["head:port", "head:99999", "[::1", "head:6379/path", ":6379"])
def test_malformed_ray_addresses_are_refused(address: str):
    with pytest.raises(InputError, match="is not a Ray address; expected host:port") as caught:
        check_ray_address(address)
    assert caught.value.field == "address"


CTRL_C_DURING_MAP = """
import os, signal, sys, time
from fovkit.engine import map_ordered

signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal (pytest-xdist workers ignore SIGINT)

def slow(task):
    time.sleep(0.3)
    return task

try:
    for result in map_ordered(slow, list(range(12)), workers=2, progress=False):
        if result == 1:
            os.killpg(0, signal.SIGINT)  # Ctrl-C reaches the whole process group, workers included
            time.sleep(1)
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
"""


def test_ctrl_c_is_reported_by_the_parent_only():
    finished = subprocess.run(
        [sys.executable, "-c", CTRL_C_DURING_MAP], capture_output=True, text=True, start_new_session=True, timeout=60
    )
    assert finished.stderr.strip() == "interrupted"
