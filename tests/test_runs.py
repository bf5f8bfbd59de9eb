from __future__ import annotations

import json
from pathlib import Path

import pytest

from fovkit.errors import InputError
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.runs import atomic_output_dir, file_checksum, write_run_record


def test_folder_appears_only_when_complete(tmp_path: Path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError), atomic_output_dir(out) as staging:
        (staging / "half.csv").write_text("x")
        raise RuntimeError("killed")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    with atomic_output_dir(out) as staging:
        (staging / "done.csv").write_text("y")
    assert (out / "done.csv").read_text() == "y"


def test_existing_results_are_kept_unless_overwrite(tmp_path: Path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.csv").write_text("old")
    with pytest.raises(InputError, match="not empty"), atomic_output_dir(out):
        pass
    with atomic_output_dir(out, overwrite=True) as staging:
        (staging / "new.csv").write_text("new")
    assert [path.name for path in out.iterdir()] == ["new.csv"]


def test_run_record_has_config_versions_and_checksums(tmp_path: Path):
    data = tmp_path / "in.csv"
    data.write_text("abc")
    record = json.loads(write_run_record(tmp_path, "fovkit test", ImageNetXConfig(seed=0), [data]).read_text())
    assert record["config"]["seed"] == 0
    assert record["inputs"][str(data)] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert record["inputs"][str(data)] == file_checksum(data)
    assert "pandas" in record["versions"]
