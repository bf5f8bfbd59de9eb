from __future__ import annotations

import errno
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fovkit.errors import InputError
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.runs import atomic_file, atomic_output_dir, check_output_folder, file_checksum, write_run_record


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


def _fovkit_output(out: Path) -> Path:
    with atomic_output_dir(out) as staging:
        (staging / "old.csv").write_text("old")
        write_run_record(staging, "fovkit test", ImageNetXConfig())
    return out


def test_existing_results_are_kept_unless_overwrite(tmp_path: Path):
    out = _fovkit_output(tmp_path / "run")
    with pytest.raises(InputError, match="not empty"), atomic_output_dir(out):
        pass
    assert (out / "old.csv").exists()
    with atomic_output_dir(out, overwrite=True) as staging:
        (staging / "new.csv").write_text("new")
    assert [path.name for path in out.iterdir()] == ["new.csv"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]


def test_overwrite_never_replaces_a_folder_fovkit_did_not_write(tmp_path: Path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="did not write"), atomic_output_dir(out, overwrite=True):
        pass
    assert (out / "thesis.tex").read_text() == "years of work"


def test_current_folder_and_its_parents_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _fovkit_output(tmp_path / "here")
    monkeypatch.chdir(tmp_path / "here")
    for out in (Path("."), Path(".."), tmp_path / "here"):
        with pytest.raises(InputError, match="current folder"):
            check_output_folder(out, overwrite=True)
    assert (tmp_path / "here" / "old.csv").exists()


def test_inputs_are_never_outputs(tmp_path: Path):
    data = _fovkit_output(tmp_path / "data")
    with pytest.raises(InputError, match="is an input"):
        check_output_folder(data, overwrite=True, inputs=[data])
    with pytest.raises(InputError, match="contains an input"):
        check_output_folder(tmp_path, overwrite=True, inputs=[data / "old.csv"])
    with pytest.raises(InputError, match="inside the input folder"):
        check_output_folder(data / "results", inputs=[data])
    link = tmp_path / "alias"
    link.symlink_to(data)
    with pytest.raises(InputError, match="is an input"):
        check_output_folder(link, overwrite=True, inputs=[data])


def test_a_file_a_broken_link_and_a_link_loop_are_named(tmp_path: Path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        check_output_folder(tmp_path / "file")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError, match="broken symbolic link"):
        check_output_folder(tmp_path / "dangling")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(InputError, match="loop"):
        check_output_folder(tmp_path / "loop" / "out")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_location_is_one_input_error(tmp_path: Path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match="cannot write the output"), atomic_output_dir(locked / "run"):
            pass
    finally:
        locked.chmod(0o700)


def test_disk_full_while_writing_is_one_input_error_and_leaves_nothing(tmp_path: Path):
    out = tmp_path / "run"
    with pytest.raises(InputError, match="No space left"), atomic_output_dir(out) as staging:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging / "table.csv"))
    assert list(tmp_path.iterdir()) == []


def test_staging_of_a_killed_run_is_removed_by_the_next(tmp_path: Path):
    out = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    abandoned = tmp_path / f".run.partial-{socket.gethostname()}-{child.pid}-abc123"
    abandoned.mkdir()
    running = tmp_path / f".run.partial-{socket.gethostname()}-{os.getpid()}-def456"
    running.mkdir()
    with atomic_output_dir(out) as staging:
        (staging / "a").write_text("a")
    assert not abandoned.exists()
    assert running.exists()


def test_outputs_respect_the_umask(tmp_path: Path):
    previous = os.umask(0o022)
    try:
        with atomic_output_dir(tmp_path / "run") as staging:
            (staging / "a.csv").write_text("a")
        with atomic_file(tmp_path / "run" / "b.bin") as path:
            path.write_bytes(b"b")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "run" / "b.bin").stat().st_mode) == 0o644


def test_run_record_has_config_versions_and_checksums(tmp_path: Path):
    data = tmp_path / "in.csv"
    data.write_text("abc")
    record = json.loads(write_run_record(tmp_path, "fovkit test", ImageNetXConfig(seed=0), [data]).read_text())
    assert record["config"]["seed"] == 0
    assert record["inputs"][str(data)] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert record["inputs"][str(data)] == file_checksum(data)
    assert "pandas" in record["versions"]
