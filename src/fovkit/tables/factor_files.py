"""Read and validate a user's factor table (CSV, gzip CSV or Parquet), the input of `fovkit analyze --factors`.

One row per image: an id column (matched to the prediction files' `file_name`), a true label, factor columns
(binary, categorical or numeric; see `fovkit.tables.factor_groups`), optionally a column of class groups (such as
ImageNet-X meta-labels) and a column of acceptable-label lists (like ReaL; see `fovkit.tables.factor_labels`).
Every problem raises an InputError naming the file, the column and the offending values and rows (0-based data
rows, header excluded, as pandas and the prediction-file errors number them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fovkit.errors import InputError, preview, printable
from fovkit.tables.alignment import SampleUniverse
from fovkit.tables.factor_groups import FactorColumn, read_factor
from fovkit.tables.factor_labels import ClassCoder, acceptable_lists, read_class_names, read_hierarchy
from fovkit.tables.factor_reading import read_table
from fovkit.tables.factor_table import NO_CANONICAL, FactorTable

ID_COLUMNS = ("file_name", "id", "sample_id")
RESERVED = ("sample_id", "label")


@dataclass(frozen=True)
class FactorFileOptions:
    """Which columns of a factor table mean what, and how numeric factors are grouped.

    Args:
        id_column: Image ids (default: the first of `file_name`, `id`, `sample_id` present).
        label_column: True labels: class ids, or names/ids with `classes`.
        factor_columns: Factors in output order (default: every other column but groups and acceptable labels).
        group_column: Groups of classes (such as ImageNet-X meta-labels), or None.
        acceptable_column: Lists of acceptable labels (`;`-separated in CSV, a list column in Parquet), or None.
        classes: Class-name file, line i = class id i.
        num_classes: Number of classes when there is no class file (default: the largest label + 1).
        numeric_bins: Numeric factors with more distinct values are cut into this many quantile bins.
        canonical: Canonical value per factor; binary factors default to 0, others without one have none.

    """

    id_column: str | None = None
    label_column: str = "label"
    factor_columns: tuple[str, ...] | None = None
    group_column: str | None = None
    acceptable_column: str | None = None
    classes: Path | None = None
    num_classes: int | None = None
    numeric_bins: int = 4
    canonical: Mapping[str, object] | None = None

    def __post_init__(self) -> None:
        for option in ("id_column", "label_column", "group_column", "acceptable_column"):
            value = getattr(self, option)
            if value is not None and not (isinstance(value, str) and value):
                raise InputError(f"expected a column name, got {preview([value])}", field=option)
        if self.factor_columns is not None:
            columns = self.factor_columns
            if isinstance(columns, str) or not all(isinstance(column, str) and column for column in columns):
                raise InputError(f"expected a list of column names, got {preview([columns])}", field="factor_columns")
            repeated = pd.Index(columns)[pd.Index(columns).duplicated()].tolist()
            if repeated or not columns:
                raise InputError(f"give each factor once, at least one; got {preview(columns)}", field="factor_columns")
            object.__setattr__(self, "factor_columns", tuple(columns))
        for option, least in (("numeric_bins", 2), ("num_classes", 1)):
            value = getattr(self, option)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < least):
                raise InputError(f"expected an integer >= {least}, got {preview([value])}", field=option)
        if self.classes is not None:
            object.__setattr__(self, "classes", Path(self.classes))
        if self.canonical is not None:
            if not isinstance(self.canonical, Mapping) or not all(isinstance(key, str) for key in self.canonical):
                raise InputError(
                    f"expected a mapping factor -> value, got {preview([self.canonical])}", field="canonical"
                )
            object.__setattr__(self, "canonical", MappingProxyType(dict(self.canonical)))


@dataclass(frozen=True, eq=False)
class FactorFile:
    """A validated factor table and its analysis columns.

    Attributes:
        table: `sample_id` (str), `label` (class id) and one column per factor, with each factor's spec.
        group_names: Analysis groups in column order: a binary factor's name, `factor=level`, `factor=[low, high)`.
        group_factors: The factor each group comes from.
        group_mask: (samples x groups) bool, True where a sample is in the group.
        hierarchy: Group code per sample (index into `hierarchy_names`), or None without a group column.
        hierarchy_names: Names of the sample groups, sorted.
        hierarchy_name: The group column's name, or None.
        class_hierarchy: Group code per class, -1 for a class that never appears, or None.
        acceptable: (samples x k) acceptable class ids padded with -1 (a row of -1: no acceptable label), or None.
        class_names: Name of every class (its id as text without a class file).
        num_classes: Number of classes.
        source: The file read.

    """

    table: FactorTable
    group_names: tuple[str, ...]
    group_factors: tuple[str, ...]
    group_mask: np.ndarray
    hierarchy: np.ndarray | None
    hierarchy_names: tuple[str, ...]
    hierarchy_name: str | None
    class_hierarchy: np.ndarray | None
    acceptable: np.ndarray | None
    class_names: tuple[str, ...]
    num_classes: int
    source: Path

    def sample_universe(self, allow_extra: bool = False) -> SampleUniverse:
        """What prediction files must cover: every id of the table (and, with `allow_extra`, any other ids).

        `SampleAligner` over this universe reports ids of the table that match no prediction ("missing rows") and,
        unless `allow_extra`, predicted ids that are not in the table.
        """
        return SampleUniverse(
            target=self.table.sample_ids,
            description=f"the factor table {printable(self.source.name)}",
            is_known_extra=(lambda names: np.ones(len(names), dtype=bool)) if allow_extra else None,
        )


@dataclass(frozen=True)
class _Columns:
    """The file's columns by role."""

    id: str
    label: str
    factors: tuple[str, ...]
    group: str | None
    acceptable: str | None


def load_factor_file(path: str | Path, options: FactorFileOptions | None = None) -> FactorFile:
    """Read, validate and group a factor table; every problem raises an InputError naming file, column and rows."""
    path = Path(path)
    options = options or FactorFileOptions()
    text_columns = [options.id_column] if options.id_column else list(ID_COLUMNS)
    text_columns += [options.label_column, options.group_column, options.acceptable_column]
    raw = read_table(path, tuple(column for column in text_columns if column))
    columns = _resolve_columns(raw.column_names, options, path)
    if raw.num_rows == 0:
        raise InputError("the table has no rows; give one row per image", path=path)
    ids = _sample_ids(_column(raw, columns.id), path, columns.id)
    classes = _read_classes(raw, columns, options, path)
    factors = _read_factors(raw, columns, options, path)
    hierarchy = None
    if columns.group:
        hierarchy = read_hierarchy(
            _column(raw, columns.group), columns.group, classes.labels, classes.coder, classes.num_classes
        )
    frame = pd.DataFrame(
        {"sample_id": ids, "label": classes.labels, **{factor.spec.name: factor.values for factor in factors}}
    )
    return FactorFile(
        table=FactorTable(frame, tuple(factor.spec for factor in factors), str(path)),
        group_names=tuple(group for factor in factors for group in factor.group_names),
        group_factors=tuple(factor.spec.name for factor in factors for _ in factor.group_names),
        group_mask=np.concatenate([factor.group_mask for factor in factors], axis=1),
        hierarchy=None if hierarchy is None else hierarchy.codes,
        hierarchy_names=() if hierarchy is None else hierarchy.names,
        hierarchy_name=columns.group,
        class_hierarchy=None if hierarchy is None else hierarchy.class_codes,
        acceptable=classes.acceptable,
        class_names=classes.coder.names or tuple(str(index) for index in range(classes.num_classes)),
        num_classes=classes.num_classes,
        source=path,
    )


@dataclass(frozen=True, eq=False)
class _Classes:
    """The table's class ids: true labels, acceptable lists and the number of classes."""

    coder: ClassCoder
    labels: np.ndarray
    acceptable: np.ndarray | None
    num_classes: int


def _read_classes(raw: pa.Table, columns: _Columns, options: FactorFileOptions, path: Path) -> _Classes:
    """Labels and acceptable lists as class ids; the number of classes from the class file, option or largest id."""
    names = read_class_names(options.classes) if options.classes else None
    if names is not None and options.num_classes not in (None, len(names)):
        raise InputError(
            f"the class file names {len(names)} classes but num_classes is {options.num_classes}; give one of them",
            path=options.classes,
            field="num_classes",
        )
    coder = ClassCoder(names, len(names) if names else options.num_classes, path, options.classes)
    labels = _labels(_column(raw, columns.label), coder, columns.label)
    acceptable = None
    if columns.acceptable:
        acceptable = acceptable_lists(_column(raw, columns.acceptable), coder, columns.acceptable)
    largest = max(int(labels.max()), -1 if acceptable is None else int(acceptable.max()))
    return _Classes(coder, labels, acceptable, coder.num_classes or largest + 1)


def _read_factors(raw: pa.Table, columns: _Columns, options: FactorFileOptions, path: Path) -> list[FactorColumn]:
    """Every factor column checked and grouped; two factors may not give groups of the same name."""
    canonical = options.canonical or {}
    factors = [
        read_factor(_column(raw, name), name, options.numeric_bins, canonical.get(name, NO_CANONICAL), path)
        for name in columns.factors
    ]
    names = pd.Index([group for factor in factors for group in factor.group_names])
    repeated = names[names.duplicated()].tolist()
    if repeated:
        raise InputError(
            f"two factors give groups of the same name {preview(repeated)}; rename one of the columns", path=path
        )
    return factors


def _resolve_columns(present: list[str], options: FactorFileOptions, path: Path) -> _Columns:
    """Each role's column, checking that the named columns exist, once, with printable names."""
    shown = preview([printable(column, 60) for column in present], limit=20)
    repeated = pd.Index(present)[pd.Index(present).duplicated()].tolist()
    if repeated:
        raise InputError(f"columns named twice {preview(repeated)}; give every column its own name", path=path)
    if options.id_column is None:
        found = [column for column in ID_COLUMNS if column in present]
        if not found:
            raise InputError(
                f"no id column: expected one of {list(ID_COLUMNS)} (or set id_column); the file has {shown}",
                path=path,
            )
        id_column = found[0]
    else:
        id_column = options.id_column
    named = {
        "id_column": id_column,
        "label_column": options.label_column,
        "group_column": options.group_column,
        "acceptable_column": options.acceptable_column,
    }
    for option, column in named.items():
        if column is not None and column not in present:
            raise InputError(f"no column {preview([column])}; the file has {shown}", path=path, field=option)
    roles = [column for column in named.values() if column is not None]
    if len(set(roles)) < len(roles):
        raise InputError(f"one column has two roles: {preview(roles)}; give each role its own column", path=path)
    factors = options.factor_columns or tuple(column for column in present if column not in roles)
    unknown = [column for column in factors if column not in present]
    taken = [column for column in factors if column in roles]
    canonical_unknown = [name for name in (options.canonical or {}) if name not in factors]
    for problem, names in (
        (f"factor columns not in the file (the file has {shown})", unknown),
        ("factor columns that already have another role (id, label, group or acceptable)", taken),
        (
            f"canonical values for columns that are not factors (factors: {preview(factors, limit=20)})",
            canonical_unknown,
        ),
        ("factor columns named like the table's own columns; rename them", [n for n in factors if n in RESERVED]),
        (
            "column names that are empty (an unnamed index column? write the CSV with index=False) or hold control "
            "characters",
            [n for n in (*roles, *factors) if not n.strip() or not n.isprintable()],
        ),
    ):
        if names:
            raise InputError(f"{problem}: {preview(names)}", path=path, field="factor_columns")
    if not factors:
        raise InputError(f"no factor columns: the file has only {shown}", path=path, field="factor_columns")
    return _Columns(id_column, options.label_column, tuple(factors), options.group_column, options.acceptable_column)


def _column(table: pa.Table, name: str) -> pa.Array:
    """One column as a single Arrow array, dictionary-encoded columns (pandas categoricals in Parquet) decoded."""
    column = table.column(name).combine_chunks()
    return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column


def _sample_ids(column: pa.Array, path: Path, field: str) -> np.ndarray:
    """Ids as str, refusing empty and duplicate ones (matched to prediction files as written, not stripped)."""
    if pa.types.is_integer(column.type):
        column = column.cast(pa.string())
    elif not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise InputError(f"ids of type {column.type}; ids are text (or integers)", path=path, field=field)
    blank = pc.or_kleene(column.is_null(), pc.equal(pc.utf8_trim_whitespace(column), "")).fill_null(True)
    rows = np.flatnonzero(blank.to_numpy(zero_copy_only=False))
    if len(rows):
        raise InputError(
            f"empty ids at rows {preview(rows.tolist())}; every image needs its id", path=path, field=field
        )
    ids = column.to_numpy(zero_copy_only=False).astype(object)
    duplicated = np.flatnonzero(pd.Index(ids).duplicated(keep=False))
    if len(duplicated):
        names = list(dict.fromkeys(ids[duplicated][:50].tolist()))
        raise InputError(
            f"duplicate ids {preview(names)} at rows {preview(duplicated.tolist())}; give one row per image",
            path=path,
            field=field,
        )
    return ids


def _labels(column: pa.Array, coder: ClassCoder, field: str) -> np.ndarray:
    """Class id of every row; missing labels are refused before unknown ones."""
    missing = column.is_null()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        missing = pc.or_kleene(missing, pc.equal(pc.utf8_trim_whitespace(column), "")).fill_null(True)
    elif pa.types.is_floating(column.type):
        missing = pc.or_kleene(missing, pc.is_nan(column)).fill_null(True)
    rows = np.flatnonzero(missing.to_numpy(zero_copy_only=False))
    if len(rows):
        raise InputError(
            f"missing labels at rows {preview(rows.tolist())}; every image needs its true label",
            path=coder.path,
            field=field,
        )
    return coder.encode(column, field)
