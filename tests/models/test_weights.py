"""Checkpoint files: state dicts load, and hostile or damaged files fail in one line without running code."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from fovkit.errors import InputError
from fovkit.models.weights import read_state_dict, write_state_dict

STATE = {"layer.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3), "layer.bias": torch.zeros(2)}


class RunsShell:
    """Unpickles as a shell command: what a hostile checkpoint holds."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def assert_one_line(error: InputError, path: Path) -> None:
    assert error.path == path
    assert error.field == "weights"
    assert str(error).isprintable(), str(error)  # one line: no newline, no terminal escape codes


@pytest.mark.parametrize("name", ["model.safetensors", "model.pt", "model.bin"])
def test_state_dicts_round_trip(tmp_path: Path, name: str):
    path = tmp_path / name
    write_state_dict(STATE, path)
    loaded = read_state_dict(path)
    assert loaded.keys() == STATE.keys()
    for key, tensor in STATE.items():
        torch.testing.assert_close(loaded[key], tensor)


def test_wrappers_and_ddp_prefixes_are_removed(tmp_path: Path):
    path = tmp_path / "wrapped.pt"
    torch.save({"state_dict": {f"module.{key}": value for key, value in STATE.items()}, "epoch": 3}, path)
    assert read_state_dict(path).keys() == STATE.keys()


def test_a_checkpoint_that_runs_code_is_refused_without_running_it(tmp_path: Path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({**STATE, "hook": RunsShell(marker)}, path)
    with pytest.raises(InputError, match=r"holds objects other than tensors \(\['posix\.system'\]\)") as caught:
        read_state_dict(path)
    assert_one_line(caught.value, path)
    message = str(caught.value)
    assert "never retries with weights_only=False" in message and "safetensors" in message
    assert "Re-running" not in message  # torch's advice to load unsafely is not passed on
    assert not marker.exists()


def test_a_checkpoint_holding_numpy_arrays_is_named_not_loaded(tmp_path: Path):
    path = tmp_path / "numpy.pth"
    torch.save({**STATE, "mean": np.zeros(3)}, path)
    with pytest.raises(InputError, match=r"holds objects other than tensors \(\[.*'numpy\.ndarray'") as caught:
        read_state_dict(path)
    assert_one_line(caught.value, path)


def legacy_evil(folder: Path) -> bytes:
    path = folder / "source.pt"
    torch.save({"hook": RunsShell(folder / "pwned")}, path, _use_new_zipfile_serialization=False)
    return path.read_bytes()


def zip_checkpoint(folder: Path) -> bytes:
    path = folder / "source.pt"
    torch.save(STATE, path)
    return path.read_bytes()


def safetensors_checkpoint(folder: Path) -> bytes:
    path = folder / "source.safetensors"
    write_state_dict(STATE, path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("legacy.pt", legacy_evil, "no torch.save file of tensors .*cannot be loaded safely"),
        ("junk.pt", lambda folder: b"\x00\x01garbage\xff\x1b[2J", "no torch.save file of tensors"),
        ("truncated.pt", lambda folder: zip_checkpoint(folder)[:300], r"truncated or damaged \(RuntimeError\)"),
        ("truncated.safetensors", lambda folder: safetensors_checkpoint(folder)[:40], "truncated or damaged"),
        ("empty.pt", lambda folder: b"", r"the file is empty \(0 bytes\)"),
        ("empty.safetensors", lambda folder: b"", r"the file is empty \(0 bytes\)"),
    ],
)
def test_damaged_or_foreign_checkpoints_are_one_line(tmp_path: Path, name: str, content, message: str):
    path = tmp_path / name
    path.write_bytes(content(tmp_path))
    with pytest.raises(InputError, match=message) as caught:
        read_state_dict(path)
    assert_one_line(caught.value, path)
    assert not (tmp_path / "pwned").exists()


def test_folders_missing_files_and_broken_links_are_named(tmp_path: Path):
    folder = tmp_path / "model.pt"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder, not a checkpoint file") as caught:
        read_state_dict(folder)
    assert_one_line(caught.value, folder)
    broken = tmp_path / "broken.pt"
    broken.symlink_to(tmp_path / "deleted.pt")
    with pytest.raises(InputError, match=r"checkpoint file not found \(a broken or looping symbolic link\)") as caught:
        read_state_dict(broken)
    assert_one_line(caught.value, broken)
    with pytest.raises(InputError, match="checkpoint file not found;"):
        read_state_dict(tmp_path / "missing.pt")


def test_a_file_without_tensors_is_no_state_dict(tmp_path: Path):
    path = tmp_path / "numbers.pt"
    torch.save({"epoch": 3}, path)
    with pytest.raises(InputError, match="holds no state_dict") as caught:
        read_state_dict(path)
    assert_one_line(caught.value, path)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_checkpoints_get_the_permissions_of_the_umask(tmp_path: Path, suffix: str):
    previous = os.umask(0o022)
    try:
        write_state_dict({"weight": torch.ones(2)}, tmp_path / f"w{suffix}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / f"w{suffix}").stat().st_mode) == 0o644
