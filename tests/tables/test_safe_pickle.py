"""Prediction pickles: imagenet-testbed files load, and a pickle that would run code is refused before it runs."""

from __future__ import annotations

import builtins
import codecs
import os
import pickle
import shlex
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fovkit.errors import InputError
from fovkit.tables.safe_pickle import load_pickle


class Payload:
    """Unpickles as `function(*arguments)`: what a hostile pickle does."""

    def __init__(self, function: object, *arguments: object) -> None:
        self.function, self.arguments = function, arguments

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return self.function, self.arguments


def make_testbed_content() -> dict[str, object]:
    rng = np.random.default_rng(0)
    return {
        "model": "resnet50",
        "logits": rng.normal(size=(4, 1000)).astype(np.float32),
        "file_names": np.array(["a.JPEG", "bb.JPEG", "c.JPEG", "dddd.JPEG"]),
        "names_as_objects": np.array(["a", "bb"], dtype=object),
        "top1": np.float64(0.76),
        "epoch": np.int64(90),
        "flags": [True, None, 1.5, ("x", 2)],
        "half": np.asfortranarray(np.ones((3, 2), dtype=np.float16)),
    }


def assert_same(loaded: dict[str, object], expected: dict[str, object]) -> None:
    assert loaded.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(loaded[key], value)
            assert loaded[key].dtype == value.dtype
        else:
            assert loaded[key] == value


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_testbed_pickles_load_with_every_protocol(tmp_path: Path, protocol: int):
    path = tmp_path / "resnet50.pickle"
    content = make_testbed_content()
    path.write_bytes(pickle.dumps(content, protocol=protocol))
    assert_same(load_pickle(path), content)


def test_pickles_of_numpy_1_load_under_numpy_2(tmp_path: Path):
    """numpy < 2 pickled arrays and scalars as `numpy.core.multiarray._reconstruct` / `scalar`."""
    content = {"model": "old", "logits": np.arange(6, dtype=np.float32).reshape(2, 3), "top1": np.float32(0.5)}
    data = pickle.dumps(content, protocol=2)
    assert b"numpy._core.multiarray" in data
    path = tmp_path / "old.pickle"
    path.write_bytes(data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    assert_same(load_pickle(path), content)


def test_a_pickle_that_runs_a_shell_command_is_refused_before_it_runs(tmp_path: Path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pickle"
    command = f"touch {shlex.quote(str(marker))}"
    path.write_bytes(pickle.dumps({"model": "m", "logits": Payload(os.system, command)}))
    with pytest.raises(InputError, match=r"the pickle refers to 'posix\.system'") as caught:
        load_pickle(path)
    assert not marker.exists()
    assert caught.value.path == path
    assert caught.value.field == "format"
    assert "restricted unpickler" in str(caught.value) and "np.savez" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        (Payload(builtins.eval, "1 + 1"), "builtins.eval"),
        (Payload(subprocess.check_call, ["true"]), "subprocess.check_call"),
        (Payload(np.load, "x.npy"), "numpy.load"),
        (Payload(getattr, "text", "upper"), "builtins.getattr"),
    ],
)
def test_every_global_outside_the_allowed_list_is_named(tmp_path: Path, payload: Payload, name: str):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"logits": payload}))
    with pytest.raises(InputError, match=f"refers to '{name}'"):
        load_pickle(path)


def test_bytes_are_decoded_as_latin1_only(tmp_path: Path):
    path = tmp_path / "model.pickle"
    path.write_bytes(pickle.dumps({"logits": Payload(codecs.encode, "abc", "rot13")}, protocol=2))
    with pytest.raises(InputError, match=r"not a readable pickle .*only latin1"):
        load_pickle(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (pickle.dumps({"logits": np.zeros((50, 1000))})[:900], "pickle data was truncated"),
        (b"file_name,predicted_class\n", "invalid load key"),
        (b"", "Ran out of input"),
        (b"\x80\x05\x95\x00\x1b[31m\xff\xfe", "not a readable pickle"),
    ],
)
def test_damaged_pickles_are_one_clean_line(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "model.pickle"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        load_pickle(path)
    assert caught.value.path == path
    assert str(caught.value).isprintable()
