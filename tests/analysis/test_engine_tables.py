"""The engine on a user's factor table: every table checked against a direct pandas computation."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fovkit.analysis import AnalysisConfig, analyze, analyze_files
from fovkit.analysis.config import AnalyzeConfig
from fovkit.analysis.engine import finish, plan, score_chunk
from fovkit.errors import InputError
from fovkit.jobs.analyze import load_spec
from fovkit.metrics.gaps import gap_intervals
from fovkit.metrics.shift_correlation import load_shift_scores
from fovkit.tables import Predictions

CONFIG = AnalyzeConfig(group_column="kind", canonical={"lighting": "day"}, bootstrap=0)


@pytest.fixture(scope="module")
def spec(user_files):
    return load_spec(user_files.factors, CONFIG, user_files.classes)


@pytest.fixture(scope="module")
def predictions(user_files, spec) -> Predictions:
    models = tuple(user_files.predicted)
    predicted = np.stack([user_files.predicted[model] for model in models]).astype(np.int16)
    return Predictions(models, spec.table.sample_ids, predicted)


@pytest.fixture(scope="module")
def result(spec, predictions):
    return analyze(spec, predictions, CONFIG)


def test_factor_groups_are_binary_levels_and_bins(spec):
    names = spec.factor_names
    assert names[:4] == ("occluded", "lighting=day", "lighting=dusk", "lighting=night")
    assert [name.split("=")[0] for name in names[4:]] == ["distance_m"] * 4
    assert [criterion.name for criterion in spec.criteria] == ["class", "kind"]


def test_factor_accuracies_and_error_ratios_equal_pandas(user_files, spec, result):
    frame = user_files.frame
    for model, predicted in user_files.predicted.items():
        right = pd.Series(predicted == frame["y"].to_numpy())
        tables = result.criteria["class"]
        overall = right.mean()
        assert tables.factor_accuracies.loc[model, "average"] == pytest.approx(overall, abs=1e-12)
        for column, name in enumerate(spec.factor_names):
            members = spec.factor_mask[:, column]
            expected = right[members].mean()
            assert tables.factor_accuracies.loc[model, name] == pytest.approx(expected, abs=1e-12)
            assert tables.error_ratios.loc[model, name] == pytest.approx((1 - expected) / (1 - overall), abs=1e-12)
        occluded = frame["occluded"] == 1
        assert tables.hierarchy_accuracies.loc[(model, "vehicle"), "occluded"] == pytest.approx(
            right[occluded & (frame["kind"] == "vehicle")].mean(), abs=1e-12
        )


def test_group_criterion_counts_a_right_kind_as_correct(user_files, result):
    kinds = np.array(["animal", "animal", "vehicle", "vehicle"])
    frame = user_files.frame
    for model, predicted in user_files.predicted.items():
        expected = (kinds[predicted] == frame["kind"].to_numpy()).mean()
        assert result.summary.loc[model, "kind_accuracy"] == pytest.approx(expected, abs=1e-12)


def test_streamed_chunks_and_worker_files_equal_the_whole_matrix(user_files, spec, predictions, result):
    streamed = analyze(spec, predictions.chunks(1), CONFIG)
    from_files = analyze_files(spec, list(user_files.predictions), CONFIG, workers=2)
    for other in (streamed, from_files):
        for criterion, tables in result.criteria.items():
            pd.testing.assert_frame_equal(other.criteria[criterion].factor_accuracies, tables.factor_accuracies)
            pd.testing.assert_frame_equal(other.criteria[criterion].hierarchy_counts, tables.hierarchy_counts)


def test_gap_table_is_the_gap_bootstrap_of_the_canonical_factors(spec, predictions):
    config = CONFIG.model_copy(update={"bootstrap": 50})
    gaps = analyze(spec, predictions, config).gaps
    table = spec.gaps.table(spec.table)
    expected = gap_intervals(table, predictions, spec.gaps.clusters, n_resamples=50, seed=config.seed)
    pd.testing.assert_frame_equal(gaps, expected)
    assert list(gaps["group"].unique()) == ["canonical", "occluded", "lighting", "all_factors", "average"]


def test_intervals_cover_the_estimates(spec, predictions):
    config = CONFIG.model_copy(update={"bootstrap": 200})
    intervals = analyze(spec, predictions, config).criteria["class"].intervals
    finite = intervals.dropna()
    assert len(finite) > 0.9 * len(intervals)
    assert ((finite["low"] <= finite["estimate"] + 1e-12) & (finite["estimate"] <= finite["high"] + 1e-12)).all()


def test_shift_correlation_is_pearson_across_models(tmp_path, spec, predictions):
    shuffled = np.random.default_rng(1).permutation(predictions.predicted.T).T  # a third and fourth model
    more = Predictions(
        (*predictions.models, "model_c", "model_d"),
        predictions.sample_ids,
        np.vstack([predictions.predicted, shuffled]),
    )
    path = tmp_path / "shifts.csv"
    scores = pd.DataFrame({"model": more.models, "shift": "sketch", "score": [0.9, 0.4, 0.2, 0.5]})
    scores.to_csv(path, index=False)
    result = analyze(spec, more, CONFIG, shift_scores=load_shift_scores(path))
    ratios = result.criteria["class"].error_ratios
    row = result.shift_correlation.set_index("factor").loc["occluded"]
    expected = stats.pearsonr(ratios["occluded"].to_numpy(), scores["score"].to_numpy())
    assert row["pearson_r"] == pytest.approx(expected.statistic, abs=1e-12)
    assert row["n_models"] == 4


def test_shift_scores_for_unknown_models_are_refused(tmp_path, spec, predictions):
    path = tmp_path / "shifts.csv"
    pd.DataFrame({"model": ["model_a", "modl_b"], "shift": "sketch", "score": [0.5, 0.4]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="modl_b"):
        analyze(spec, predictions, CONFIG, shift_scores=load_shift_scores(path))


def test_active_factors_count_the_factors_off_their_canonical_value(user_files, result):
    frame = user_files.frame
    active = (frame["occluded"] == 1).astype(int) + (frame["lighting"] != "day").astype(int)
    expected = active.value_counts().sort_index()
    np.testing.assert_array_equal(result.active_factors["images"], expected.to_numpy())


def test_a_reference_model_is_scored_only_under_its_criteria(spec, predictions):
    from dataclasses import replace

    with_reference = replace(spec, reference_model="labels", reference_criteria=("kind",))
    reference = Predictions(("labels",), spec.table.sample_ids, spec.table.labels[None, :].astype(np.int16))
    result = analyze(with_reference, predictions, CONFIG, reference=reference)
    assert "labels" not in result.criteria["class"].factor_accuracies.index
    assert result.criteria["kind"].factor_accuracies.loc["labels", "average"] == 1.0
    assert result.summary.loc["labels", "criterion"] == "kind"


def test_chunks_of_other_samples_are_refused(spec, predictions):
    steps = plan(spec, AnalysisConfig(bootstrap=0))
    from fovkit.analysis.accumulator import Tally

    tally = Tally.empty(steps.criteria)
    shifted = Predictions(predictions.models, pd.Index(np.roll(predictions.sample_ids, 1)), predictions.predicted)
    with pytest.raises(InputError, match="not aligned"):
        score_chunk(shifted, steps, tally)
    with pytest.raises(InputError, match="no predictions"):
        finish(steps, tally, None, ())


def test_prediction_files_must_cover_every_id(tmp_path: Path, user_files, spec):
    partial = tmp_path / "partial.csv"
    pd.read_csv(user_files.predictions[0]).iloc[:-3].to_csv(partial, index=False)
    with pytest.raises(InputError, match="missing rows: 3 of the 240 samples") as error:
        analyze_files(spec, [partial], CONFIG, workers=1)
    assert "partial.csv" in str(error.value)
