import json

import pandas as pd
import pytest
import torch
from torch import nn

from fovkit.errors import InputError
from fovkit.jobs.probe import run_probe
from fovkit.models import Backbone, Preprocessing, from_module
from fovkit.protocols.config import BackboneSpec, FinetuneConfig, ProbeConfig, ProtocolSettings
from fovkit.protocols.probe import probe

RANDOM_CNN = BackboneSpec(name="fovkit:resnet_small", weights="random")
QUICK = ProtocolSettings(finetune=FinetuneConfig(epochs=1, batch_size=16, max_steps=4), batch_size=128)


@pytest.fixture(scope="module")
def probe_run(tiny_dataset, tmp_path_factory):
    config = ProbeConfig(
        dataset=tiny_dataset.folder, backbones=(RANDOM_CNN,), protocols=("linear", "finetune"), settings=QUICK
    )
    return run_probe(config, tmp_path_factory.mktemp("probe") / "out", progress=False)


def test_gap_table_has_the_paper_layout(probe_run, tiny_dataset):
    gaps = probe_run.result.gaps
    assert list(gaps.index) == [("fovkit:resnet_small", "linear"), ("fovkit:resnet_small", "finetune")]
    factors = tiny_dataset.config.factors
    assert list(gaps.columns) == [
        "train_accuracy",
        "held_out_accuracy",
        *(f"{name}_gap" for name in factors),
        "average_gap",
        "all_factors_gap",
    ]
    assert gaps[[f"{name}_gap" for name in factors]].mean(axis=1).to_numpy() == pytest.approx(
        gaps["average_gap"].to_numpy()
    )
    assert ((gaps["train_accuracy"] >= 0) & (gaps["train_accuracy"] <= 100)).all()


def test_gaps_match_the_predictions(probe_run, tiny_dataset):
    """Recompute one gap by hand from the written predictions."""
    predictions = pd.read_parquet(probe_run.folder / "predictions.parquet")
    samples = tiny_dataset.samples.set_index("sample_id")
    linear = predictions[predictions["model"] == "fovkit:resnet_small/linear/seed0"].set_index("sample_id")
    rows = samples.loc[linear.index]
    correct = linear["predicted"].to_numpy() == rows["label"].to_numpy()
    flags = rows[[f"varies_{name}" for name in tiny_dataset.config.factors]].to_numpy()
    single = rows["design"].to_numpy() == "single"
    canonical = 100 * correct[~flags.any(axis=1) & single].mean()
    pose_only = flags[:, 0] & (flags.sum(axis=1) == 1) & single
    expected = 100 * correct[pose_only].mean() - canonical
    assert probe_run.result.gaps.loc[("fovkit:resnet_small", "linear"), "pose_gap"] == pytest.approx(expected)
    assert set(rows["split"]) == {"held_out"}
    values = [*(name for name in tiny_dataset.config.axes), "background_type", "background_index"]
    assert not rows.duplicated(["design", "label", "instance", *values]).any()  # each distinct image once
    assert (~flags.any(axis=1) & single).sum() == rows[single].drop_duplicates(["label", "instance"]).shape[0]


def test_every_gap_has_n_objects_and_an_interval(probe_run, tiny_dataset):
    intervals = probe_run.result.intervals
    groups = ["canonical", *tiny_dataset.config.factors, "all_factors", "average"]
    linear = intervals[intervals["protocol"] == "linear"].set_index("group")
    assert list(linear.index) == groups
    assert (linear.loc[groups[1:-1], "clusters"] == 3).all()  # one held-out object per class
    assert (linear["gap_low"] <= linear["gap"] + 1e-9).all() and (linear["gap"] <= linear["gap_high"] + 1e-9).all()
    assert linear.loc["pose", "gap"] == pytest.approx(
        probe_run.result.gaps.loc[("fovkit:resnet_small", "linear"), "pose_gap"]
    )
    written = pd.read_csv(probe_run.folder / "gap_intervals.csv")
    assert list(written.columns[:4]) == ["backbone", "protocol", "group", "n"]


def test_outputs_and_run_record(probe_run, tiny_dataset):
    folder = probe_run.folder
    for name in ("gap_table.csv", "gap_table.md", "gap_table.parquet", "gap_details.csv", "report.html"):
        assert (folder / name).is_file(), name
    assert (folder / "plots" / "gaps.png").is_file()
    record = json.loads((folder / "run.json").read_text())
    assert record["config"]["seeds"] == [0]
    assert [(fit["protocol"], fit["device"], fit["precision"]) for fit in record["fits"]] == [
        ("linear", "cpu", "float32"),
        ("finetune", "cpu", "float32"),
    ]
    cards = json.loads((folder / "models.json").read_text())
    assert [fit["precision"] for fit in cards["fovkit:resnet_small"]["fits"]] == ["float32", "float32"]
    assert record["dataset_digest"] == probe_run.result.dataset_digest
    assert "fovkit:resnet_small" in record["models"]
    assert "| backbone | protocol |" in (folder / "gap_table.md").read_text()


def test_same_config_reproduces_the_gap_table(probe_run, tiny_dataset):
    config = ProbeConfig(dataset=tiny_dataset.folder, backbones=(RANDOM_CNN,), protocols=("linear",), settings=QUICK)
    again = probe(config, progress=False)
    pd.testing.assert_frame_equal(again.gaps.loc[["fovkit:resnet_small"]].iloc[:1], probe_run.result.gaps.iloc[:1])


def test_seeds_are_pooled_into_one_row(tiny_dataset):
    config = ProbeConfig(
        dataset=tiny_dataset.folder, backbones=(RANDOM_CNN,), protocols=("linear",), settings=QUICK, seeds=(0, 1)
    )
    result = probe(config, progress=False)
    assert list(result.gaps.index) == [("fovkit:resnet_small", "linear")]
    assert list(result.predictions.models) == ["fovkit:resnet_small/linear/seed0", "fovkit:resnet_small/linear/seed1"]
    per_seed = result.details.set_index("model")
    assert result.gaps.iloc[0]["held_out_accuracy"] == pytest.approx(per_seed["canonical_accuracy"].mean())
    assert result.gaps.iloc[0]["pose_gap"] == pytest.approx(per_seed["pose_gap"].mean())


def test_held_out_objects_evaluate_the_first_objects_and_extract_only_the_rows_used(tiny_dataset, tmp_path):
    from fovkit.protocols.features import FeatureSet

    config = ProbeConfig(
        dataset=tiny_dataset.folder, backbones=(RANDOM_CNN,), settings=QUICK, held_out_objects=1, bootstrap=0
    )
    extracted: list[FeatureSet] = []
    from fovkit.protocols import runner as runner_module

    original = runner_module.extract_features

    def spy(*args, **kwargs):
        extracted.append(original(*args, root=tmp_path, **{k: v for k, v in kwargs.items() if k != "root"}))
        return extracted[-1]

    runner_module.extract_features = spy
    try:
        result = probe(config, progress=False)
    finally:
        runner_module.extract_features = original
    samples = tiny_dataset.samples.set_index("sample_id")
    evaluated = samples.loc[result.predictions.sample_ids]
    first = samples[samples["split"] == "held_out"].groupby("label", observed=True)["instance"].min()
    assert (evaluated["instance"].to_numpy() == first.loc[evaluated["label"]].to_numpy()).all()
    assert set(evaluated["label"]) == set(samples["label"])
    (features,) = extracted
    assert len(features.sample_ids) < len(samples)
    assert set(result.predictions.sample_ids) <= set(features.sample_ids)


def test_unknown_backbone_is_refused_before_any_work(tiny_dataset):
    config = ProbeConfig(dataset=tiny_dataset.folder, backbones=(BackboneSpec(name="fovkit:resnet_tiny"),))
    with pytest.raises(InputError, match="resnet_small"):
        probe(config, progress=False)


def test_folder_without_a_dataset_is_refused(tmp_path):
    with pytest.raises(InputError, match="manifest"):
        probe(ProbeConfig(dataset=tmp_path), progress=False)


class PromptVectors(nn.Module):
    """A stand-in text tower: a fixed pseudo-random 3-vector per prompt."""

    def forward(self, prompts: list[str]) -> torch.Tensor:
        seeds = [sum(map(ord, prompt)) for prompt in prompts]
        return torch.stack([torch.randn(3, generator=torch.Generator().manual_seed(seed)) for seed in seeds])


def test_python_api_takes_any_module_and_zero_shot_uses_its_text_tower(tiny_dataset):
    trunk = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())  # mean colour: three features
    plain = from_module(trunk, Preprocessing(input_size=32), name="mean_colour")
    clip_like = Backbone(trunk, plain.card, text_encoder=PromptVectors())
    config = ProbeConfig(dataset=tiny_dataset.folder, backbones=(), protocols=("linear", "zero_shot"))
    result = probe(config, progress=False, modules=[clip_like])
    assert [protocol for _, protocol in result.gaps.index] == ["linear", "zero_shot"]
    assert result.gaps.index[0][0] == plain.card.id
    zero_shot = result.predictions.predicted[1]
    assert set(zero_shot) <= {0, 1, 2}
    assert len(set(zero_shot)) > 1  # the prompts differ per class, so do the predictions


def test_no_backbone_at_all_is_refused(tiny_dataset):
    with pytest.raises(InputError, match="no backbone"):
        probe(ProbeConfig(dataset=tiny_dataset.folder, backbones=()), progress=False)


def test_evaluation_rows_keep_the_first_objects_of_each_class():
    from fovkit.protocols.probe import evaluation_rows

    samples = pd.DataFrame(
        {
            "split": ["held_out"] * 6 + ["train"],
            "design": ["single"] * 7,
            "label": [0, 0, 0, 1, 1, 1, 0],
            "instance": [5, 3, 4, 9, 7, 8, 0],
            "pose": [0.0] * 7,
            "background_type": ["plain"] * 7,
            "background_index": [0] * 7,
        }
    )
    kept = evaluation_rows(samples, ["pose", "background"], objects=2)
    assert sorted(map(tuple, kept[["label", "instance"]].to_numpy())) == [(0, 3), (0, 4), (1, 7), (1, 8)]
    assert len(evaluation_rows(samples, ["pose", "background"])) == 6
