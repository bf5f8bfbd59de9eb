"""A user's factor table reads to the same FactorFile from every format, and every bad input fails precisely."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fovkit.errors import InputError
from fovkit.tables import factor_reading
from fovkit.tables.alignment import SampleAligner
from fovkit.tables.factor_files import FactorFileOptions, load_factor_file
from fovkit.tables.factor_table import NO_CANONICAL, has_canonical

TABLE = """file_name,label,pose,background,yaw,meta,real
a.jpg,0,1,water,-90,animal,0;1
b.jpg,1,0,grass,-45,animal,1
c.jpg,2,1,water,0,object,
d.jpg,2,0,sky,45,object,2;0;2
e.jpg,0,0,sky,90,animal,0
f.jpg,1,1,grass,15,animal,1
"""
OPTIONS = FactorFileOptions(group_column="meta", acceptable_column="real", numeric_bins=3)


def write(tmp_path: Path, text: str, name: str = "factors.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def frame_file(tmp_path: Path, frame: pd.DataFrame, name: str = "factors.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return path


def load_text(tmp_path: Path, text: str, **options: object):
    return load_factor_file(write(tmp_path, text), FactorFileOptions(**options))


def fails(tmp_path: Path, text: str, *fragments: str, **options: object) -> InputError:
    with pytest.raises(InputError) as caught:
        load_text(tmp_path, text, **options)
    for fragment in fragments:
        assert fragment in str(caught.value)
    return caught.value


def test_a_csv_reads_to_its_table_groups_hierarchy_and_acceptable_lists(tmp_path: Path):
    factors = load_factor_file(write(tmp_path, TABLE), OPTIONS)
    frame = factors.table.frame
    assert frame["sample_id"].tolist() == ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg"]
    assert frame["label"].tolist() == [0, 1, 2, 2, 0, 1]
    assert factors.table.factor_names == ["pose", "background", "yaw"]
    assert [spec.kind for spec in factors.table.factors] == ["binary", "categorical", "scalar"]
    assert factors.group_names == (
        "pose",
        "background=grass",
        "background=sky",
        "background=water",
        "yaw=[-90, 0)",
        "yaw=[0, 45)",
        "yaw=[45, 90]",
    )
    assert factors.group_factors == ("pose", "background", "background", "background", "yaw", "yaw", "yaw")
    assert factors.group_mask.dtype == bool and factors.group_mask.shape == (6, 7)
    np.testing.assert_array_equal(factors.group_mask[:, 0], [True, False, True, False, False, True])
    np.testing.assert_array_equal(factors.group_mask[:, 3], [True, False, True, False, False, False])
    np.testing.assert_array_equal(factors.group_mask[:, 4:].sum(axis=0), [2, 2, 2])
    assert factors.hierarchy_name == "meta" and factors.hierarchy_names == ("animal", "object")
    np.testing.assert_array_equal(factors.hierarchy, [0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(factors.class_hierarchy, [0, 0, 1])
    np.testing.assert_array_equal(factors.acceptable, [[0, 1], [1, -1], [-1, -1], [0, 2], [0, -1], [1, -1]])
    assert factors.num_classes == 3 and factors.class_names == ("0", "1", "2")
    assert factors.source == tmp_path / "factors.csv"


def test_parquet_and_gzip_csv_read_like_the_csv(tmp_path: Path):
    csv = load_factor_file(write(tmp_path, TABLE), OPTIONS)
    frame = pd.read_csv(tmp_path / "factors.csv", dtype={"real": str}, keep_default_na=False)
    frame.to_parquet(tmp_path / "factors.parquet")
    (tmp_path / "factors.csv.gz").write_bytes(gzip.compress(TABLE.encode(), mtime=0))
    for name in ("factors.parquet", "factors.csv.gz"):
        other = load_factor_file(tmp_path / name, OPTIONS)
        assert other.group_names == csv.group_names
        np.testing.assert_array_equal(other.group_mask, csv.group_mask)
        np.testing.assert_array_equal(other.table.labels, csv.table.labels)
        np.testing.assert_array_equal(other.acceptable, csv.acceptable)
        np.testing.assert_array_equal(other.class_hierarchy, csv.class_hierarchy)


def test_parquet_list_column_of_acceptable_labels(tmp_path: Path):
    table = pa.table(
        {
            "id": ["x", "y", "z"],
            "label": [0, 1, 2],
            "lit": [True, False, True],
            "real": pa.array([[0, 2], None, [2, 2]], type=pa.list_(pa.int64())),
        }
    )
    pq.write_table(table, tmp_path / "f.parquet")
    factors = load_factor_file(tmp_path / "f.parquet", FactorFileOptions(acceptable_column="real"))
    np.testing.assert_array_equal(factors.acceptable, [[0, 2], [-1, -1], [2, -1]])
    assert factors.table.sample_ids.tolist() == ["x", "y", "z"]


def test_parquet_categorical_and_integer_id_columns(tmp_path: Path):
    frame = pd.DataFrame({"id": [10, 11, 12], "label": [0, 1, 0], "sky": pd.Categorical(["clear", "cloudy", "clear"])})
    factors = load_factor_file(frame_file(tmp_path, frame, "f.parquet"))
    assert factors.table.sample_ids.tolist() == ["10", "11", "12"]
    assert factors.group_names == ("sky=clear", "sky=cloudy")


def test_ids_are_text_as_written(tmp_path: Path):
    factors = load_text(tmp_path, "id,label,lit\n0001,0,1\n0002,1,0\n")
    assert factors.table.sample_ids.tolist() == ["0001", "0002"]


def test_default_id_column_is_the_first_present_and_can_be_chosen(tmp_path: Path):
    text = "sample_id,file_name,label,lit\ns1,f1.jpg,0,1\ns2,f2.jpg,1,0\n"
    assert load_text(tmp_path, text, factor_columns=("lit",)).table.sample_ids.tolist() == ["f1.jpg", "f2.jpg"]
    chosen = load_text(tmp_path, "key,file_name,label,lit\nk1,f1,0,1\nk2,f2,1,0\n", id_column="key")
    assert chosen.table.sample_ids.tolist() == ["k1", "k2"]
    assert chosen.table.factor_names == ["file_name", "lit"]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbffile_name,label,lit\na,0,1\nb,1,0\n")
    assert load_factor_file(path).table.sample_ids.tolist() == ["a", "b"]


@pytest.mark.parametrize(
    "cells",
    [
        ["1", "0", "1"],
        ["true", "false", "TRUE"],
        ["yes", "No", "yes"],
        ["1.0", "0.0", "1.0"],
    ],
)
def test_binary_detection(tmp_path: Path, cells: list[str]):
    text = "id,label,lit\n" + "".join(f"r{row},0,{cell}\n" for row, cell in enumerate(cells))
    factors = load_text(tmp_path, text)
    spec = factors.table.factors[0]
    assert spec.kind == "binary" and spec.canonical is False
    assert factors.group_names == ("lit",)
    np.testing.assert_array_equal(factors.group_mask[:, 0], [True, False, True])
    np.testing.assert_array_equal(factors.table.varies(), [[True], [False], [True]])


def test_binary_canonical_can_be_one(tmp_path: Path):
    factors = load_text(tmp_path, "id,label,lit\na,0,1\nb,0,0\n", canonical={"lit": "yes"})
    assert factors.table.factors[0].canonical is True
    np.testing.assert_array_equal(factors.table.varies()[:, 0], [False, True])
    np.testing.assert_array_equal(factors.group_mask[:, 0], [True, False])
    fails(tmp_path, "id,label,lit\na,0,1\nb,0,0\n", "not binary", canonical={"lit": "maybe"})


def test_categorical_text_and_few_integers(tmp_path: Path):
    text = "id,label,place,count\na,0,road,0\nb,0,sea,2\nc,0,road,1\nd,0, sea ,2\n"
    factors = load_text(tmp_path, text, canonical={"place": "road", "count": "0"})
    place, count = factors.table.factors
    assert (place.kind, place.canonical) == ("categorical", "road")
    assert (count.kind, count.canonical) == ("categorical", 0)
    assert factors.group_names == ("place=road", "place=sea", "count=0", "count=1", "count=2")
    np.testing.assert_array_equal(factors.group_mask.sum(axis=0), [2, 2, 1, 1, 2])
    assert factors.table.frame["place"].tolist() == ["road", "sea", "road", "sea"]


def test_factors_without_canonical_value_say_so(tmp_path: Path):
    factors = load_text(tmp_path, "id,label,place,lit\na,0,road,1\nb,0,sea,0\n")
    place, lit = factors.table.factors
    assert place.canonical is NO_CANONICAL and not has_canonical(place)
    assert has_canonical(lit)


def test_numeric_bins_are_quantiles_with_edges_in_the_names(tmp_path: Path):
    text = "id,label,size\n" + "".join(f"r{value},0,{value}\n" for value in range(1, 9))
    factors = load_text(tmp_path, text, numeric_bins=4, canonical={"size": 3})
    assert factors.group_names == ("size=[1, 3)", "size=[3, 5)", "size=[5, 7)", "size=[7, 8]")
    np.testing.assert_array_equal(factors.group_mask.sum(axis=0), [2, 2, 2, 2])
    assert factors.group_mask.sum(axis=1).tolist() == [1] * 8
    assert factors.table.factors[0].kind == "scalar" and factors.table.factors[0].canonical == 3
    np.testing.assert_array_equal(factors.table.varies()[:, 0], np.arange(1, 9) != 3)


def test_tied_values_give_fewer_bins_none_empty(tmp_path: Path):
    values = [5] * 20 + [1, 2, 3, 4, 6]
    text = "id,label,size\n" + "".join(f"r{row},0,{value}\n" for row, value in enumerate(values))
    factors = load_text(tmp_path, text)
    assert factors.group_names == ("size=[1, 5)", "size=[5, 6]")
    np.testing.assert_array_equal(factors.group_mask.sum(axis=0), [4, 21])


def test_float_bins_show_short_distinct_edges(tmp_path: Path):
    values = np.linspace(0.0, 1.0, 9) / 3
    text = "id,label,scale\n" + "".join(f"r{row},0,{float(value)!r}\n" for row, value in enumerate(values))
    factors = load_text(tmp_path, text, numeric_bins=2)
    assert factors.group_names == ("scale=[0, 0.2083)", "scale=[0.2083, 0.3333]")


def test_floats_with_few_values_are_one_group_each(tmp_path: Path):
    factors = load_text(tmp_path, "id,label,scale\na,0,0.5\nb,0,1.5\nc,0,0.5\n", canonical={"scale": "0.5"})
    assert factors.group_names == ("scale=0.5", "scale=1.5")
    assert factors.table.factors[0].kind == "scalar" and factors.table.factors[0].canonical == 0.5


def test_many_integers_are_numeric(tmp_path: Path):
    text = "id,label,count\n" + "".join(f"r{value},0,{value}\n" for value in range(10))
    factors = load_text(tmp_path, text, numeric_bins=2)
    assert factors.table.factors[0].kind == "scalar"
    assert factors.group_names == ("count=[0, 5)", "count=[5, 9]")


def test_class_names_file_allows_names_and_ids(tmp_path: Path):
    classes = write(tmp_path, "cat\ndog\nbird\n\n", "classes.txt")
    text = "id,label,lit,real,meta\na,dog,1,cat;2,pet\nb,0,0,,pet\nc,bird,1,bird,wild\n"
    factors = load_text(tmp_path, text, classes=classes, acceptable_column="real", group_column="meta")
    assert factors.table.labels.tolist() == [1, 0, 2]
    assert factors.class_names == ("cat", "dog", "bird") and factors.num_classes == 3
    np.testing.assert_array_equal(factors.acceptable, [[0, 2], [-1, -1], [2, -1]])
    np.testing.assert_array_equal(factors.class_hierarchy, [0, 0, 1])


def test_class_hierarchy_marks_classes_never_seen(tmp_path: Path):
    factors = load_text(tmp_path, "id,label,lit,meta\na,3,1,x\nb,0,0,y\n", group_column="meta", num_classes=5)
    np.testing.assert_array_equal(factors.class_hierarchy, [1, -1, -1, 0, -1])
    assert factors.num_classes == 5 and len(factors.class_names) == 5


def test_num_classes_counts_acceptable_labels(tmp_path: Path):
    factors = load_text(tmp_path, "id,label,lit,real\na,0,1,7\nb,1,0,1\n", acceptable_column="real")
    assert factors.num_classes == 8


def test_sample_universe_reports_ids_without_prediction(tmp_path: Path):
    factors = load_factor_file(write(tmp_path, TABLE), OPTIONS)
    aligner = SampleAligner(factors.sample_universe())
    rows = aligner.rows_for(
        pa.array(["f.jpg", "e.jpg", "d.jpg", "c.jpg", "b.jpg", "a.jpg"]), Path("m.csv"), "file_name"
    )
    assert rows.tolist() == [5, 4, 3, 2, 1, 0]
    with pytest.raises(InputError, match=r"1 of the 6 samples of the factor table factors.csv have no prediction"):
        aligner.rows_for(pa.array(["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]), Path("m.csv"), "file_name")
    extra = pa.array(["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg", "g.jpg"])
    with pytest.raises(InputError, match="1 sample ids are not in the factor table"):
        SampleAligner(factors.sample_universe()).rows_for(extra, Path("m.csv"), "file_name")
    assert len(SampleAligner(factors.sample_universe(allow_extra=True)).rows_for(extra, Path("m"), "f")) == 6


# --- schema errors -----------------------------------------------------------------------------------------------


def test_missing_id_column_lists_the_columns(tmp_path: Path):
    error = fails(tmp_path, "name,label,lit\na,0,1\n", "no id column", "'name', 'label', 'lit'")
    assert error.path == tmp_path / "factors.csv"


def test_missing_label_column_lists_the_columns(tmp_path: Path):
    fails(tmp_path, "id,class,lit\na,0,1\nb,1,0\n", "field 'label_column': no column ['label']", "'id', 'class', 'lit'")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"group_column": "meta"}, "field 'group_column': no column ['meta']"),
        ({"acceptable_column": "real"}, "field 'acceptable_column': no column ['real']"),
        ({"id_column": "key"}, "field 'id_column': no column ['key']"),
        ({"factor_columns": ("lit", "zoom")}, "factor columns not in the file"),
        ({"factor_columns": ("lit", "label")}, "already have another role"),
        ({"canonical": {"zoom": 1}}, "canonical values for columns that are not factors (factors: ['lit']): ['zoom']"),
        ({"group_column": "label"}, "one column has two roles"),
    ],
)
def test_unknown_or_clashing_column_names_in_options(tmp_path: Path, options: dict, fragment: str):
    fails(tmp_path, "id,label,lit\na,0,1\nb,1,0\n", fragment, **options)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"numeric_bins": 1}, "numeric_bins"),
        ({"numeric_bins": True}, "numeric_bins"),
        ({"num_classes": 0}, "num_classes"),
        ({"factor_columns": "lit"}, "factor_columns"),
        ({"factor_columns": ("lit", "lit")}, "factor_columns"),
        ({"factor_columns": ()}, "factor_columns"),
        ({"canonical": ["lit"]}, "canonical"),
        ({"label_column": ""}, "label_column"),
    ],
)
def test_options_are_validated(options: dict, field: str):
    with pytest.raises(InputError) as caught:
        FactorFileOptions(**options)
    assert caught.value.field == field


def test_options_copy_what_they_are_given():
    canonical = {"lit": 1}
    options = FactorFileOptions(factor_columns=["lit"], canonical=canonical, classes="classes.txt")
    canonical["lit"] = 0
    assert options.factor_columns == ("lit",) and options.canonical["lit"] == 1
    assert options.classes == Path("classes.txt")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("id,label,lit\na,0,1\na,1,0\nb,0,1\n", ["duplicate ids ['a'] at rows [0, 1]"]),
        ("id,label,lit\na,0,1\n  ,1,0\n", ["empty ids at rows [1]", "field 'id'"]),
        ("id,label,lit\na,0,1\n,1,0\n", ["empty ids at rows [1]"]),
        ("id,label,lit\na,,1\nb,1,0\n", ["missing labels at rows [0]", "field 'label'"]),
        ("id,label,lit\na,0,\nb,1,0\n", ["missing values at rows [0]", "field 'lit'"]),
        ("id,label,size\na,0,1.5\nb,1,nan\nc,0,2\n", ["missing values at rows [1]"]),
        ("id,label,size\na,0,1.5\nb,1,inf\nc,0,2\n", ["infinite values [inf] at rows [1]"]),
        ("id,label,lit\na,dog,1\nb,1,0\n", ["not class ids", "['dog'] at rows [0]"]),
        ("id,label,lit\na,-1,1\nb,1,0\n", ["unknown labels", "['-1'] at rows [0]"]),
        ("id,label,lit\na,2.5,1\nb,1,0\n", ["not class ids", "['2.5']"]),
        ("id,label,lit\na,99999999,1\nb,1,0\n", ["unknown labels", "99999999"]),
        ("id,label,lit\na,0,1\nb,1,1\n", ["same value [1]", "nothing varies", "field 'lit'"]),
        ("id,label,place\na,0,sea\nb,1,sea\n", ["same value ['sea']"]),
        ("id,label,zoom\na,0,1\nb,1,x\nc,0,2\n", ["mixes numbers ['1', '2'] (rows [0, 2]) and text ['x'] (rows [1])"]),
        ("id,label,lit,lit\na,0,1,0\nb,1,0,1\n", ["columns named twice ['lit']"]),
        ("id,label\na,0\nb,1\n", ["no factor columns"]),
        ("id,label,lit\n", ["no rows"]),
        ("", ["the file is empty"]),
        ("id,label,lit\na,0,1,5\n", ["cannot read the table", "Expected 3 columns, got 4"]),
        (
            "file_name,label,sample_id\na,0,1\nb,1,0\n",
            ["named like the table's own columns; rename them: ['sample_id']"],
        ),
        ("id,label,a=x,a\nr,0,1,x\ns,1,0,y\n", ["groups of the same name ['a=x']"]),
    ],
)
def test_schema_errors_name_the_column_and_rows(tmp_path: Path, text: str, fragments: list[str]):
    error = fails(tmp_path, text, *fragments)
    assert error.path == tmp_path / "factors.csv"


def test_labels_must_be_below_num_classes(tmp_path: Path):
    fails(tmp_path, "id,label,lit\na,0,1\nb,3,0\n", "class ids are 0..2", "['3'] at rows [1]", num_classes=3)


def test_unknown_class_name_and_acceptable_label(tmp_path: Path):
    classes = write(tmp_path, "cat\ndog\n", "classes.txt")
    fails(tmp_path, "id,label,lit\na,cat,1\nb,cow,0\n", "neither class names", "['cow'] at rows [1]", classes=classes)
    text = "id,label,lit,real\na,cat,1,dog\nb,dog,0,cat;emu\n"
    error = fails(tmp_path, text, "['emu'] at rows [1]", classes=classes, acceptable_column="real")
    assert error.field == "real"
    fails(
        tmp_path,
        "id,label,lit\na,cat,1\nb,dog,0\n",
        "names 2 classes but num_classes is 3",
        classes=classes,
        num_classes=3,
    )


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("cat\n\ndog\n", "empty class names"),
        ("cat\ndog\ncat\n", "class names given twice ['cat', 'cat'] at lines [1, 3]"),
        ("cat\nd\x1bg\n", "control characters"),
        ("\n\n", "the class-name file is empty"),
    ],
)
def test_bad_class_name_files(tmp_path: Path, content: str, fragment: str):
    classes = write(tmp_path, content, "classes.txt")
    error = fails(tmp_path, "id,label,lit\na,0,1\nb,1,0\n", fragment, classes=classes)
    assert error.path == classes


def test_class_in_two_groups_names_both_rows(tmp_path: Path):
    text = "id,label,lit,meta\na,0,1,pet\nb,1,0,pet\nc,0,1,wild\n"
    fails(tmp_path, text, "class 0 is in group 'pet' at row 0 and in group 'wild' at row 2", group_column="meta")
    classes = write(tmp_path, "cat\ndog\n", "classes.txt")
    fails(tmp_path, text, "class 'cat' (id 0)", group_column="meta", classes=classes)


def test_group_column_with_missing_values(tmp_path: Path):
    error = fails(tmp_path, "id,label,lit,meta\na,0,1,pet\nb,1,0,\n", "missing groups at rows [1]", group_column="meta")
    assert error.field == "meta"


def test_canonical_value_must_be_among_the_values(tmp_path: Path):
    text = "id,label,place,yaw\na,0,road,0\nb,1,sea,45\nc,0,sea,90\nd,1,road,30\ne,0,sea,60\n"
    fails(tmp_path, text, "canonical value ['lake'] is not among", "['road', 'sea']", canonical={"place": "lake"})
    fails(tmp_path, text, "canonical value [10] is not among", canonical={"yaw": 10})


def test_unsupported_column_type_in_parquet(tmp_path: Path):
    frame = pd.DataFrame({"id": ["a", "b"], "label": [0, 1], "when": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    with pytest.raises(InputError, match="unsupported column type"):
        load_factor_file(frame_file(tmp_path, frame, "f.parquet"))


# --- files that are not factor tables, hostile input ------------------------------------------------------------


def test_missing_file_folder_and_unsupported_suffix(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        load_factor_file(tmp_path / "absent.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        load_factor_file(tmp_path / "folder.csv")
    with pytest.raises(InputError, match=r"unsupported file type '\.xlsx'"):
        load_factor_file(write(tmp_path, "x", "table.xlsx"))


def test_content_that_does_not_match_the_suffix(tmp_path: Path):
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("id,label,lit\na,0,1\n".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        load_factor_file(utf16)
    parquet = frame_file(tmp_path, pd.DataFrame({"id": ["a"], "label": [0]}), "t.parquet")
    disguised = tmp_path / "disguised.csv"
    disguised.write_bytes(parquet.read_bytes())
    with pytest.raises(InputError, match=r"Parquet, not text; give it the suffix \.parquet"):
        load_factor_file(disguised)
    with pytest.raises(InputError, match=r"not Parquet \(it looks like text"):
        load_factor_file(write(tmp_path, "id,label,lit\n", "text.parquet"))
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(parquet.read_bytes()[:40])
    with pytest.raises(InputError, match=r"truncated\.parquet"):
        load_factor_file(truncated)


def test_invalid_utf8_is_refused(tmp_path: Path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,label,place\na,0,caf\xe9\nb,1,bar\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_factor_file(path)


def test_huge_cell_is_refused_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(factor_reading, "CSV_BLOCK_BYTES", 1 << 16)
    error = fails(tmp_path, "id,label,place\na,0," + "x" * 200_000 + "\nb,1,y\n", "a row is longer than")
    assert len(str(error)) < 300


def test_huge_values_are_cut_in_messages(tmp_path: Path):
    huge = "x" * 100_000
    error = fails(tmp_path, f"id,label,lit\n{huge},0,1\n{huge},1,0\n", "duplicate ids")
    assert len(str(error)) < 400


def test_control_characters_in_names_and_levels(tmp_path: Path):
    fails(tmp_path, 'id,label,"po\nse"\na,0,1\nb,1,0\n', "or hold control characters", "'po\\nse'")
    fails(tmp_path, 'id,label,place\na,0,"se\x1ba"\nb,1,road\n', "control characters ['se\\x1ba']")
    error = fails(tmp_path, 'id,label,lit,meta\na,0,1,"p\x07"\nb,1,0,q\n', "control characters", group_column="meta")
    assert "\x07" not in str(error)


def test_too_many_levels_is_an_id_not_a_factor(tmp_path: Path):
    text = "id,label,note\n" + "".join(f"r{row},0,note {row}\n" for row in range(300))
    fails(tmp_path, text, "300 distinct values", "leave the column out")


def test_a_hundred_thousand_rows_load_whole(tmp_path: Path):
    rows = 100_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "file_name": [f"img_{row:06d}.jpg" for row in range(rows)],
            "label": rng.integers(0, 1000, rows),
            "pose": rng.integers(0, 2, rows),
            "background": rng.choice(["water", "grass", "sky"], rows),
            "size": rng.normal(size=rows),
        }
    )
    factors = load_factor_file(frame_file(tmp_path, frame))
    assert factors.group_mask.shape == (rows, 1 + 3 + 4)
    np.testing.assert_array_equal(factors.group_mask[:, 0], frame["pose"].to_numpy() == 1)
    assert factors.group_mask[:, 4:].sum(axis=1).tolist() == [1] * rows
    np.testing.assert_array_equal(factors.group_mask[:, 4:].sum(axis=0), [rows // 4] * 4)


def test_without_group_or_acceptable_columns_those_fields_are_empty(tmp_path: Path):
    factors = load_text(tmp_path, "id,label,lit\na,0,1\nb,1,0\n")
    assert factors.hierarchy is None and factors.class_hierarchy is None and factors.acceptable is None
    assert factors.hierarchy_name is None and factors.hierarchy_names == ()


def test_parquet_labels_as_whole_floats_and_acceptable_names(tmp_path: Path):
    classes = write(tmp_path, "cat\ndog\n", "classes.txt")
    table = pa.table(
        {
            "id": ["x", "y"],
            "label": [1.0, 0.0],
            "lit": [1, 0],
            "real": pa.array([["dog", " cat "], []], type=pa.list_(pa.string())),
        }
    )
    pq.write_table(table, tmp_path / "f.parquet")
    options = FactorFileOptions(acceptable_column="real", classes=classes)
    factors = load_factor_file(tmp_path / "f.parquet", options)
    assert factors.table.labels.tolist() == [1, 0]
    np.testing.assert_array_equal(factors.acceptable, [[0, 1], [-1, -1]])
    pq.write_table(table.set_column(1, "label", pa.array([1.5, 0.0])), tmp_path / "g.parquet")
    with pytest.raises(InputError, match=r"not whole numbers: \[1\.5\] at rows \[0\]"):
        load_factor_file(tmp_path / "g.parquet", options)


def test_integer_labels_too_long_for_64_bits_are_unknown(tmp_path: Path):
    fails(tmp_path, "id,label,lit\na,123456789012345678901234,1\nb,1,0\n", "unknown labels", "1234567890123456789")


def test_acceptable_column_of_numbers_in_parquet_is_refused(tmp_path: Path):
    frame = pd.DataFrame({"id": ["a", "b"], "label": [0, 1], "lit": [1, 0], "real": [0.5, 1.0]})
    with pytest.raises(InputError, match="acceptable labels of type double"):
        load_factor_file(frame_file(tmp_path, frame, "f.parquet"), FactorFileOptions(acceptable_column="real"))


def test_mixed_column_in_parquet_text(tmp_path: Path):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "label": [0, 1, 0], "zoom": ["1", "2", "far"]})
    with pytest.raises(InputError, match=r"mixes numbers \['1', '2'\] \(rows \[0, 1\]\) and text \['far'\]"):
        load_factor_file(frame_file(tmp_path, frame, "f.parquet"))


def test_unnamed_index_column_is_explained(tmp_path: Path):
    frame = pd.DataFrame({"id": ["a", "b"], "label": [0, 1], "lit": [1, 0]})
    frame.to_csv(tmp_path / "indexed.csv")
    with pytest.raises(InputError, match="write the CSV with index=False"):
        load_factor_file(tmp_path / "indexed.csv")


def test_role_columns_need_printable_names(tmp_path: Path):
    text = 'id,label,lit,"me\tta"\na,0,1,x\nb,1,0,y\n'
    fails(tmp_path, text, "control characters", "'me\\tta'", group_column="me\tta")


def test_ids_must_be_text_or_integers(tmp_path: Path):
    frame = pd.DataFrame({"id": [0.5, 1.5], "label": [0, 1], "lit": [1, 0]})
    with pytest.raises(InputError, match="ids of type double"):
        load_factor_file(frame_file(tmp_path, frame, "f.parquet"))
