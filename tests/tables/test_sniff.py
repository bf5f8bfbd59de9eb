"""Files are recognised by their first bytes and path, and error text never carries raw bytes."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pyarrow.csv as pa_csv
import pytest

from fovkit.errors import InputError
from fovkit.tables.sniff import content_problem, open_csv, path_problem

CSV = "file_name,predicted_class\na.JPEG,1\n"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (CSV.encode("utf-16"), "UTF-16 encoded; save it as UTF-8"),
        (CSV.encode("utf-16-le"), "UTF-16 encoded (without a byte-order mark)"),
        (CSV.encode("utf-16-be"), "UTF-16 encoded (without a byte-order mark)"),
        (CSV.encode("utf-32"), "UTF-32 encoded"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP archive (an Excel workbook?)"),
        (b"PAR1\x15\x04", "Parquet"),
        (b"\x93NUMPY\x01\x00", ".npy"),
        (gzip.compress(CSV.encode(), mtime=0), "gzip-compressed"),
        (b"file_name,predicted_class\n\x1b[31m\x00\x01", "binary, not text (a NUL byte at offset 31)"),
    ],
)
def test_content_problem_names_what_the_file_is(content: bytes, problem: str):
    assert problem in content_problem(content[:512])


@pytest.mark.parametrize("content", [CSV.encode(), "\ufeffnamé,x\n".encode(), b""])
def test_text_is_no_problem(content: bytes):
    assert content_problem(content) is None


def test_open_csv_reads_gzip_content_whatever_the_name(tmp_path: Path):
    path = tmp_path / "model.csv"
    path.write_bytes(gzip.compress(CSV.encode(), mtime=0))
    with open_csv(path) as stream:
        assert pa_csv.read_csv(stream).column("file_name").to_pylist() == ["a.JPEG"]


def test_open_csv_refuses_utf16_with_one_clean_line(tmp_path: Path):
    path = tmp_path / "model.csv"
    path.write_bytes(CSV.encode("utf-16"))
    with pytest.raises(InputError, match="the file is UTF-16 encoded; save it as UTF-8") as caught:
        open_csv(path)
    assert caught.value.path == path
    assert caught.value.field == "format"
    assert str(caught.value).isprintable()


def test_path_problems_name_loops_broken_links_and_folders(tmp_path: Path):
    os.symlink(tmp_path / "b.csv", tmp_path / "a.csv")
    os.symlink(tmp_path / "a.csv", tmp_path / "b.csv")
    os.symlink(tmp_path / "gone.csv", tmp_path / "broken.csv")
    (tmp_path / "real.csv").write_text(CSV)
    assert "symbolic link loop" in path_problem(tmp_path / "a.csv")
    assert path_problem(tmp_path / "broken.csv").startswith(f"is a broken symbolic link to '{tmp_path / 'gone.csv'}'")
    assert path_problem(tmp_path / "missing.csv") == "no such file or folder"
    assert "is a folder" in path_problem(tmp_path)
    assert path_problem(tmp_path / "real.csv") is None
    with pytest.raises(InputError, match="symbolic link loop"):
        open_csv(tmp_path / "a.csv")
