"""Class labels of a user's factor table: the class-name file, true labels, acceptable-label lists, class groups.

Labels are class ids (integers >= 0) or, with a class-name file (line i names class i), class names or ids.
Errors name rows as 0-based data rows (header excluded), as the prediction files do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fovkit.errors import InputError, preview, printable
from fovkit.tables.factor_groups import INTEGER_PATTERN
from fovkit.tables.sniff import path_problem, read_text

LIST_SEPARATOR = ";"
MAX_CLASSES = 1 << 20
"""Largest number of classes: a bigger class id is a typo or hostile input (arrays are sized by it)."""


def read_class_names(path: Path) -> tuple[str, ...]:
    """Class names, one per line (line i = class id i), from a UTF-8 text file; trailing blank lines are ignored.

    Raises:
        InputError: For a file that cannot be read or is not UTF-8 text, and for empty, duplicate or
            non-printable names, naming their lines (1-based).

    """
    problem = path_problem(path)
    if problem:
        raise InputError(problem, path=path, field="classes")
    text = read_text(path, "class-name file", "classes")
    names = [line.strip() for line in text.split("\n")]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InputError("the class-name file is empty; write one class name per line", path=path, field="classes")
    for problem, lines in (
        ("empty class names", [number for number, name in enumerate(names, 1) if not name]),
        (
            "class names with control characters",
            [number for number, name in enumerate(names, 1) if not name.isprintable()],
        ),
        ("class names given twice", (np.flatnonzero(pd.Index(names).duplicated(keep=False)) + 1).tolist()),
    ):
        if len(lines):
            shown = [names[line - 1] for line in lines]
            raise InputError(
                f"{problem} {preview(shown)} at lines {preview(list(lines))}; line i names class i, once",
                path=path,
                field="classes",
            )
    return tuple(names)


@dataclass(frozen=True)
class ClassCoder:
    """Turns labels given as class ids or (with class names) names into class ids, refusing unknown labels."""

    names: tuple[str, ...] | None
    num_classes: int | None
    path: Path
    classes_path: Path | None = None

    def encode(self, values: pa.Array, field: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Class ids (int64) of non-null `values`; `rows` are the data rows of the values, for error messages."""
        rows = np.arange(len(values)) if rows is None else rows
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            values = pc.utf8_trim_whitespace(values)
            ids = self._encode_text(values, field, rows)
        elif pa.types.is_integer(values.type):
            ids = values.to_numpy(zero_copy_only=False).astype(np.int64)
        elif pa.types.is_floating(values.type):
            numbers = values.to_numpy(zero_copy_only=False)
            whole = np.isfinite(numbers) & (numbers == np.round(numbers))
            self._refuse(~whole, values, rows, field, "labels that are not whole numbers")
            ids = numbers.astype(np.int64)
        else:
            raise InputError(
                f"labels of type {values.type}; give class ids or class names", path=self.path, field=field
            )
        limit = self.num_classes or MAX_CLASSES
        self._refuse((ids < 0) | (ids >= limit), values, rows, field, f"unknown labels (class ids are 0..{limit - 1})")
        return ids

    def _encode_text(self, text: pa.Array, field: str, rows: np.ndarray) -> np.ndarray:
        """Ids of class names (with a class file) and of integers; an integer too long for 64 bits stays -1."""
        ids = np.full(len(text), -1, dtype=np.int64)
        if self.names is not None:
            ids = pd.Index(self.names).get_indexer(text.to_numpy(zero_copy_only=False)).astype(np.int64)
        integer = pc.match_substring_regex(text, INTEGER_PATTERN).to_numpy(zero_copy_only=False) & (ids < 0)
        if self.names is None:
            problem = "labels that are not class ids (integers >= 0)"
            fix = "give a class-name file (--classes, one name per line) to use class names"
        else:
            problem = f"unknown labels, neither class names in {printable(self.classes_path)} nor class ids"
            fix = ""
        self._refuse(~((ids >= 0) | integer), text, rows, field, problem, fix)
        fits = integer & (pc.utf8_length(text).to_numpy(zero_copy_only=False) <= 18)
        ids[fits] = pc.cast(text.filter(pa.array(fits)), pa.int64()).to_numpy(zero_copy_only=False)
        return ids

    def _refuse(
        self, bad: np.ndarray, values: pa.Array, rows: np.ndarray, field: str, problem: str, fix: str = ""
    ) -> None:
        """Raise for the `bad` values, showing them (each once) and their rows, then the fix."""
        where = np.flatnonzero(bad)
        if len(where):
            shown = list(dict.fromkeys(values.take(pa.array(where[:50])).to_pylist()))
            raise InputError(
                f"{problem}: {preview(shown)} at rows {preview(rows[where].tolist())}{'; ' + fix if fix else ''}",
                path=self.path,
                field=field,
            )

    def name(self, class_id: int) -> str:
        """A class as messages show it: its name (with the id) when names are known, else its id."""
        return f"'{self.names[class_id]}' (id {class_id})" if self.names else str(class_id)


def acceptable_lists(column: pa.Array, coder: ClassCoder, field: str) -> np.ndarray:
    """(samples x k) class ids of each row's acceptable labels, padded with -1; an empty cell or list is no label.

    In text, labels are separated by `;`; in Parquet, a list column of ids or names works too. Repeated labels in
    one row are kept once, so k never exceeds the number of classes.
    """
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        lists = pc.split_pattern(column, LIST_SEPARATOR)
    elif pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        lists = column
    else:
        raise InputError(
            f"acceptable labels of type {column.type}; give text like '3;17' or a list column",
            path=coder.path,
            field=field,
        )
    values = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = pc.utf8_trim_whitespace(values)
        keep = pc.and_kleene(values.is_valid(), pc.not_equal(values, "")).fill_null(False)
    else:
        keep = values.is_valid()
    kept = keep.to_numpy(zero_copy_only=False)
    ids = coder.encode(values.filter(keep), field, parents[kept])
    width = int(ids.max(initial=0)) + 1
    keys = np.sort(parents[kept] * width + ids)  # one key per (row, label), sorted: repeats in a row drop out
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    rows, labels = np.divmod(keys, width)
    counts = np.bincount(rows, minlength=len(column))
    starts = np.cumsum(counts) - counts
    dtype = np.int16 if width <= 2**15 else np.int32
    matrix = np.full((len(column), max(int(counts.max(initial=0)), 1)), -1, dtype=dtype)
    matrix[rows, np.arange(len(keys)) - starts[rows]] = labels
    return matrix


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """Groups of samples (such as ImageNet-X meta-labels): per sample and per class its group code."""

    name: str
    names: tuple[str, ...]
    codes: np.ndarray
    class_codes: np.ndarray


def read_hierarchy(column: pa.Array, name: str, labels: np.ndarray, coder: ClassCoder, num_classes: int) -> Hierarchy:
    """Group of every sample and of every class (-1 for a class that never appears).

    Raises:
        InputError: For missing or non-printable groups, and for a class seen in two groups (naming both rows).

    """
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())
    text = pc.utf8_trim_whitespace(column)
    missing = np.flatnonzero(
        pc.or_kleene(text.is_null(), pc.equal(text, "")).fill_null(True).to_numpy(zero_copy_only=False)
    )
    if len(missing):
        raise InputError(
            f"missing groups at rows {preview(missing.tolist())}; every image needs its group",
            path=coder.path,
            field=name,
        )
    codes, names = pd.factorize(text.to_numpy(zero_copy_only=False), sort=True)
    unprintable = [group for group in names.tolist() if not group.isprintable()]
    if unprintable:
        raise InputError(
            f"groups with control characters {preview(unprintable)}; groups name output rows and must be printable",
            path=coder.path,
            field=name,
        )
    class_codes = np.full(num_classes, -1, dtype=np.int64)
    class_codes[labels] = codes
    conflict = np.flatnonzero(class_codes[labels] != codes)
    if len(conflict):
        label = int(labels[conflict[0]])
        other = int(np.flatnonzero((labels == label) & (codes == class_codes[label]))[0])
        first, later = sorted((int(conflict[0]), other))
        raise InputError(
            f"class {coder.name(label)} is in group '{names[codes[first]]}' at row {first} and in group "
            f"'{names[codes[later]]}' at row {later}; each class belongs to one group",
            path=coder.path,
            field=name,
        )
    return Hierarchy(name, tuple(names.tolist()), codes.astype(np.int64), class_codes)
