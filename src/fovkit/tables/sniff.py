"""What a user's input file really holds, judged from its path and first bytes, and error text free of raw bytes."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pyarrow as pa

from fovkit.errors import InputError, printable

SNIFF_BYTES = 512
"""Leading bytes read to recognise a file's content; the stream is rewound, so nothing is read twice."""

GZIP_MAGIC = b"\x1f\x8b"

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "the file is UTF-32 encoded; save it as UTF-8"),
    (b"\x00\x00\xfe\xff", "the file is UTF-32 encoded; save it as UTF-8"),
    (b"\xff\xfe", "the file is UTF-16 encoded; save it as UTF-8"),
    (b"\xfe\xff", "the file is UTF-16 encoded; save it as UTF-8"),
    (b"PK\x03\x04", "the file is a ZIP archive (an Excel workbook?), not text; export it as CSV (UTF-8)"),
    (b"PAR1", "the file is Parquet, not text; give it the suffix .parquet"),
    (b"\x93NUMPY", "the file is a NumPy .npy array, not text; give it the suffix .npy"),
    (GZIP_MAGIC, "the file is gzip-compressed; decompress it"),
    (b"\xfd7zXZ\x00", "the file is xz-compressed; decompress it (or compress it with gzip)"),
    (b"\x28\xb5\x2f\xfd", "the file is zstd-compressed; decompress it (or compress it with gzip)"),
)


def content_problem(head: bytes) -> str | None:
    """Why a file starting with `head` is not UTF-8 (or ASCII) text, as a sentence with the fix; None if it may be.

    Recognises byte-order marks of UTF-16/32, ZIP, Parquet, NPY, gzip/xz/zstd signatures, UTF-16 without a mark
    (every other byte NUL) and other binary content (any NUL byte). `open_csv` reads gzip before asking.
    """
    for magic, problem in _SIGNATURES:
        if head.startswith(magic):
            return problem
    if b"\x00" not in head:
        return None
    if max(head[0::2].count(0), head[1::2].count(0)) * 4 >= len(head):
        return "the file is UTF-16 encoded (without a byte-order mark); save it as UTF-8"
    return f"the file is binary, not text (a NUL byte at offset {head.index(0)}); save it as UTF-8 text"


def path_problem(path: Path) -> str | None:
    """Why `path` cannot be opened as a file (missing, a broken or looping symbolic link, a folder), or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "is a symbolic link loop (links that point back to each other); point the link at the real file"
        if error.errno == errno.ENOENT and os.path.islink(path):
            return f"is a broken symbolic link to '{printable(os.readlink(path))}', which does not exist; fix the link"
        if error.errno == errno.ENOENT:
            return "no such file or folder"
        return f"cannot be opened: {printable(error.strerror)}"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file; give the file inside it"
    return None


def unreadable(path: Path, error: OSError, what: str = "file") -> InputError:
    """One-line InputError for an OSError met while opening or reading `path`."""
    return InputError(path_problem(path) or f"cannot read the {what}: {printable(error)}", path=path)


def open_csv(path: Path) -> pa.NativeFile:
    """A pyarrow stream over a CSV file, gzip content decompressed, after checking its first bytes.

    Raises:
        InputError: For UTF-16/32, binary, ZIP, Parquet and other non-text content, saying what the file is and how
            to save it; for a path that cannot be opened, saying why.

    """
    try:
        stream = pa.OSFile(str(path))
        head = stream.read(SNIFF_BYTES)
        stream.seek(0)
    except OSError as error:
        raise unreadable(Path(path), error) from error
    if head.startswith(GZIP_MAGIC):
        return pa.CompressedInputStream(stream, "gzip")
    problem = content_problem(head)
    if problem:
        stream.close()
        raise InputError(problem, path=path, field="format")
    return stream


def read_text(path: Path, what: str, field: str) -> str:
    """A small UTF-8 text file (a leading BOM dropped), after checking its first bytes like a CSV.

    Args:
        path: The file.
        what: The file in words for messages, e.g. "class-name file".
        field: The field errors name.

    Raises:
        InputError: For a file that cannot be read, non-text content and bytes that are not UTF-8 (with their offset).

    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise unreadable(Path(path), error, what) from error
    problem = content_problem(data[:SNIFF_BYTES])
    if problem:
        raise InputError(problem, path=path, field=field)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"the file is not UTF-8 text (byte {printable(repr(data[error.start : error.start + 1]))} at offset "
            f"{error.start}); save it as UTF-8",
            path=path,
            field=field,
        ) from error
