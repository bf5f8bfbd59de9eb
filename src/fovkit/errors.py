"""One exception type for bad user input, so the CLI can print one line and exit with code 2."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path


class InputError(ValueError):
    """Bad user input: names the file, the field and the first offending values.

    Args:
        message: What is wrong and how to fix it.
        path: The file the bad input came from, if any.
        field: The column, key or option that holds the bad values, if any.

    """

    def __init__(self, message: str, *, path: str | Path | None = None, field: str | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.field = field
        self.reason = message
        where = ", ".join(
            part for part in (printable(self.path) if path else "", f"field '{field}'" if field else "") if part
        )
        super().__init__(f"{where}: {message}" if where else message)

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with path and field, so an error raised in a worker process arrives whole."""
        return (partial(InputError, path=self.path, field=self.field), (self.reason,))


def preview(values: Sequence[object], limit: int = 5, width: int = 60) -> str:
    """Render the first `limit` offending values as a short list, with the count of the rest.

    Strings and bytes longer than `width` are cut (a 10 MB "file name" stays off the terminal); `repr` escapes
    control characters.
    """
    shown = ", ".join(repr(_cut(value, width)) for value in list(values)[:limit])
    rest = len(values) - limit
    return f"[{shown}{f', ... ({rest} more)' if rest > 0 else ''}]"


def printable(text: object, limit: int = 200) -> str:
    """`str(text)` on one line, unprintable characters and undecodable bytes (U+FFFD) escaped, cut to `limit`.

    For paths and library messages that may quote a file's raw bytes (a CSV parser's row, a link target), so that
    an error never writes control sequences or binary to the terminal.
    """
    text = str(text)
    escaped = "".join(
        char if char.isprintable() and char != "\ufffd" else char.encode("unicode_escape").decode("ascii")
        for char in text[:limit]
    )
    return escaped + (" ..." if len(text) > limit else "")


def _cut(value: object, width: int) -> object:
    """A string or bytes value longer than `width` cut there, marked with `...`; other values unchanged."""
    if isinstance(value, str) and len(value) > width:
        return value[:width] + "..."
    if isinstance(value, bytes) and len(value) > width:
        return value[:width] + b"..."
    return value
