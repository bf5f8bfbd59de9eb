from __future__ import annotations

from pathlib import Path

from fovkit.errors import InputError, preview, printable


def test_printable_escapes_control_characters_and_undecodable_bytes_and_cuts():
    text = "row \x1b[31mred\x1b[0m\n\x00 \ufffd café"
    assert printable(text) == "row \\x1b[31mred\\x1b[0m\\n\\x00 \\ufffd café"
    assert printable("x" * 500, limit=10) == "x" * 10 + " ..."
    assert printable(ValueError("bad\rvalue")) == "bad\\rvalue"


def test_preview_cuts_long_values_and_counts_the_rest():
    assert preview(["a" * 100], width=4) == "['aaaa...']"
    assert preview([b"\x00" * 100], width=2) == r"[b'\x00\x00...']"
    assert preview(list(range(8))) == "[0, 1, 2, 3, 4, ... (3 more)]"


def test_printable_escapes_control_characters_only():
    assert printable("héllo 日本 [x]") == "héllo 日本 [x]"
    assert printable("a\nb\tc\x7f") == "a\\nb\\tc\\x7f"


def test_paths_with_control_characters_are_escaped_in_messages():
    error = InputError("bad", path=Path("evil\x1b[31m.csv"), field="file_name")
    assert str(error) == "evil\\x1b[31m.csv, field 'file_name': bad"
