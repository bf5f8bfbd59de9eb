import gzip
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fovkit.errors import InputError
from fovkit.metrics.shift_correlation import check_shift_models, load_shift_scores, shift_correlation

FACTORS = ["pose", "texture", "color"]


def _write(tmp_path, text: str, name: str = "scores.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def ratios_and_scores():
    rng = np.random.default_rng(7)
    models = [f"model_{i}" for i in range(12)]
    ratios = pd.DataFrame(rng.uniform(0.5, 2.5, (12, 3)), index=models, columns=FACTORS)
    ratios.iloc[2, 0] = np.nan
    ratios.iloc[5, 1] = np.inf  # a model without mistakes overall: left out like NaN
    rows = [(model, shift, rng.uniform(20, 80)) for shift in ("imagenet-r", "greyscale") for model in models]
    scores = pd.DataFrame(rows, columns=["model", "shift", "score"])
    scores = scores.drop(index=[0, 13]).reset_index(drop=True)  # model_0 unscored on r, model_1 on greyscale
    extra = pd.DataFrame([("not_analysed", "greyscale", 50.0)], columns=["model", "shift", "score"])
    return ratios, pd.concat([scores, extra], ignore_index=True)


def test_matches_scipy_pearsonr_on_the_models_with_both_values(ratios_and_scores):
    ratios, scores = ratios_and_scores
    table = shift_correlation(ratios, scores)
    assert list(table.columns) == ["shift", "factor", "pearson_r", "p_value", "n_models"]
    assert table["shift"].tolist() == ["imagenet-r"] * 3 + ["greyscale"] * 3
    assert table["factor"].tolist() == FACTORS * 2
    for row in table.itertuples():
        shift_scores = scores[scores["shift"] == row.shift].set_index("model")["score"]
        pairs = pd.concat([ratios[row.factor], shift_scores], axis=1, join="inner").replace(np.inf, np.nan).dropna()
        expected = stats.pearsonr(pairs.iloc[:, 0], pairs.iloc[:, 1])
        assert row.n_models == len(pairs) < 12
        assert row.pearson_r == pytest.approx(expected.statistic, rel=1e-12)
        assert row.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_too_few_models_or_constant_input_give_nan_without_warnings():
    ratios = pd.DataFrame(
        {"pose": [1.0, 1.5, 2.0, 3.0], "color": [1.2, 1.2, 1.2, 1.2], "style": 1e6 + np.array([0, 1e-9, 0, 2e-9])},
        index=["a", "b", "c", "d"],
    )
    scores = pd.DataFrame(
        {
            "model": ["a", "b", "a", "b", "c", "d", "a", "b", "c", "d"],
            "shift": ["two", "two", "flat", "flat", "flat", "flat", "ramp", "ramp", "ramp", "ramp"],
            "score": [10.0, 20.0, 5.0, 5.0, 5.0, 5.0, 1.0, 2.0, 3.0, 4.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = shift_correlation(ratios, scores).set_index(["shift", "factor"])
    assert (table.loc["two", "n_models"] == 2).all() and (table.loc[["flat", "ramp"], "n_models"] == 4).all()
    computed = table["pearson_r"].notna()
    assert computed[computed].index.tolist() == [("ramp", "pose"), ("ramp", "style")]  # nearly constant is computed
    assert (table["p_value"].notna() == computed).all()


def test_no_scores_give_an_empty_table():
    ratios = pd.DataFrame({"pose": [1.0]}, index=["a"])
    table = shift_correlation(ratios, pd.DataFrame(columns=["model", "shift", "score"]))
    assert table.empty and list(table.columns) == ["shift", "factor", "pearson_r", "p_value", "n_models"]


def test_loads_scores_in_file_order_ignoring_other_columns(tmp_path):
    text = "model,shift,score,note\nresnet50,imagenet-r,36.2,x\nvit,imagenet-r,1e1,\nresnet50,greyscale,-3,\n"
    path = _write(tmp_path, text)
    scores = load_shift_scores(path)
    assert scores.to_dict("list") == {
        "model": ["resnet50", "vit", "resnet50"],
        "shift": ["imagenet-r", "imagenet-r", "greyscale"],
        "score": [36.2, 10.0, -3.0],
    }
    assert scores["score"].dtype == np.float64 and scores.attrs["path"] == path
    gz = tmp_path / "scores.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    pd.testing.assert_frame_equal(load_shift_scores(gz), scores)


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("model,score\na,1\n", "shift", "missing column"),
        ("model,shift,score,shift\na,r,1,r\n", "shift", "more than once"),
        ("model,shift,score\n", None, "no rows"),
        ("model,shift,score\na,r,1\n ,r,2\n", "model", r"empty model names at rows \[1\]"),
        ("model,shift,score\na,r,1\nb,,2\n", "shift", r"empty shift names at rows \[1\]"),
        (
            "model,shift,score\na,r,high\nb,r,\nc,r,nan\nd,r,inf\ne,r,2\n",
            "score",
            r"rows \[0, 1, 2, 3\] hold \['high', '', 'nan', 'inf'\]",
        ),
        ("model,shift,score\na,r,1\nb,r,2\na,r,3\n", "shift", r"\('a', 'r'\)\] at rows \[0, 2\]"),
    ],
)
def test_bad_score_files_name_file_field_and_rows(tmp_path, text, field, message):
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=message) as caught:
        load_shift_scores(path)
    assert caught.value.path == path and caught.value.field == field


def test_unreadable_and_binary_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="no such file") as caught:
        load_shift_scores(tmp_path / "absent.csv")
    assert caught.value.path == tmp_path / "absent.csv"
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text("model,shift,score\na,r,1\n", encoding="utf-16")
    with pytest.raises(InputError, match="UTF-16"):
        load_shift_scores(utf16)
    with pytest.raises(InputError, match="folder"):
        load_shift_scores(tmp_path)


def test_check_refuses_scored_models_that_were_not_analysed(tmp_path):
    path = _write(tmp_path, "model,shift,score\nresnet50,r,1\nvit_b16,r,2\nresnet5O,r,3\n")
    scores = load_shift_scores(path)
    check_shift_models(scores, ["resnet50", "vit_b16", "resnet5O", "dino"])  # dino without scores is fine
    with pytest.raises(InputError, match=r"not analysed: \['resnet5O'\]") as caught:
        check_shift_models(scores, ["resnet50", "vit_b16"])
    assert caught.value.path == path and caught.value.field == "model"
    other = tmp_path / "named.csv"
    with pytest.raises(InputError) as caught:
        check_shift_models(scores, ["resnet50"], other)
    assert caught.value.path == other and "vit_b16" in str(caught.value)
