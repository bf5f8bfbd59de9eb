"""The demo's corruption study: the default backbone under the 19 ImageNet-C corruptions, with and without BN.

The held-out objects' canonical images are corrupted at every severity into a dataset of the shared store
(`fovkit corrupt`); the default backbone with a linear head fitted on its cached features of the canonical training
set predicts them as it is and with BatchNorm adaptation (`fovkit predict --adapt bn`, each corruption and severity
its own episode); `fovkit analyze` then gives errors per corruption and severity, and CE and mCE of the adapted model
relative to the unadapted one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from fovkit.analysis import AnalysisResult, analyze_files
from fovkit.analysis.config import AnalyzeConfig
from fovkit.analysis.sources import corrupted_spec
from fovkit.jobs.analyze import AnalysisJob
from fovkit.jobs.folder import ReportOptions

MODEL = "default"
ADAPTED = f"{MODEL}_bn"
ADAPTATION = "bn"
ADAPTATION_SETTINGS = {"prior": 256}
"""BatchNorm adaptation with the source statistics weighing as 256 images against each batch's 64 (Schneider et al.'s
prior N). The head was fitted on features under the pretraining statistics and a batch holds one corruption's
canonical views, so full replacement (N=0) raised clean error from 8% to 34%; N=256 keeps it at 8% and cuts the mean
corruption error from 51.0% to 44.1% (N=16: 26.0 / 46.4, N=64: 15.0 / 42.6, N=128: 12.0 / 42.8; docs/benchmarks.md)."""
BOOTSTRAP = 200


@dataclass(frozen=True)
class CorruptionDemo:
    """The corrupted dataset, the two prediction files and the analysis of both."""

    dataset: Path
    predictions: tuple[Path, Path]
    analysis: AnalysisResult


def run_corruption_demo(dataset: Path, corrupted: Path, out: Path, progress: bool = True) -> CorruptionDemo:
    """Corrupt the held-out canonical images of `dataset` into `corrupted`, predict them, analyse into `out`."""
    from fovkit.corruptions.dataset import CorruptConfig, corrupt_dataset
    from fovkit.predict import predict

    ids = held_out_canonical_ids(dataset)
    corrupt_dataset(dataset, corrupted, CorruptConfig(), rows={"sample_id": ids}, progress=progress, overwrite=True)
    classifier = linear_classifier(dataset, progress)
    folder = out.parent / "predictions"
    plain = predict(classifier, corrupted, folder / f"{MODEL}.parquet", overwrite=True, progress=progress).path
    adapted = predict(
        classifier,
        corrupted,
        folder / f"{ADAPTED}.parquet",
        overwrite=True,
        progress=progress,
        adaptation=ADAPTATION,
        adaptation_settings=ADAPTATION_SETTINGS,
    ).path
    settings = AnalyzeConfig(bootstrap=BOOTSTRAP, baseline_model=MODEL)
    spec = corrupted_spec(corrupted, title="The default backbone under ImageNet-C corruptions, with and without BN")

    def analyze(meanwhile, groups, scores) -> AnalysisResult:
        return analyze_files(spec, [plain, adapted], settings, None, None, 1, progress, meanwhile, True)

    inputs = [corrupted / "manifest.json", plain, adapted]
    job = AnalysisJob("fovkit demo", settings, inputs, [corrupted, plain, adapted])
    result = job.run(out, analyze, None, None, True, ReportOptions())
    return CorruptionDemo(corrupted, (plain, adapted), result)


def held_out_canonical_ids(dataset: Path) -> list[str]:
    """One canonical image per held-out object (no factor varies): the clean images the demo corrupts."""
    from fovkit.protocols.probe import evaluation_rows
    from fovkit.render.store import RenderedDataset

    rendered = RenderedDataset.open(dataset)
    rows = evaluation_rows(rendered.samples, rendered.config.factors)
    varies = rows[[f"varies_{name}" for name in rendered.config.factors]].to_numpy().any(axis=1)
    canonical = rows.loc[~varies].drop_duplicates(["label", "instance"])
    return canonical["sample_id"].astype(str).tolist()


def linear_classifier(dataset: Path, progress: bool = True) -> nn.Module:
    """The default backbone with the linear probe (seed 0) fitted on its features of the canonical training set."""
    from fovkit.models.base import ImageClassifier, LabelSpace
    from fovkit.protocols.backbones import default_backbone
    from fovkit.protocols.config import ProtocolSettings
    from fovkit.protocols.features import extract_features
    from fovkit.protocols.linear_probe import LinearProbe
    from fovkit.protocols.probe import probe_rows
    from fovkit.render.store import RenderedDataset

    rendered = RenderedDataset.open(dataset)
    backbone = default_backbone(progress=progress)
    train, _, needed = probe_rows(rendered)
    settings = ProtocolSettings()
    features = extract_features(backbone, rendered, settings.batch_size, progress=progress, sample_ids=needed)
    labels = train["label"].to_numpy()
    probe = LinearProbe(
        weight_decays=settings.linear.weight_decays,
        validation_fraction=settings.linear.validation_fraction,
        max_iter=settings.linear.max_iter,
        seed=0,
    )
    groups = labels.astype(np.int64) * 100_000 + train["instance"].to_numpy()
    probe.fit(features.rows(train["sample_id"]), labels, groups=groups)
    classes = list(rendered.class_names)
    head = nn.Linear(probe.coef_.shape[1], len(classes))
    with torch.no_grad():
        weights = np.zeros((len(classes), probe.coef_.shape[1]))
        bias = np.full(len(classes), -1e4)  # a class absent from training is never predicted
        weights[probe.classes_], bias[probe.classes_] = probe.coef_, probe.intercept_
        head.weight.copy_(torch.from_numpy(weights))
        head.bias.copy_(torch.from_numpy(bias))
    card = replace(backbone.card, id=f"{backbone.card.id}+linear", feature_dim=len(classes))
    return ImageClassifier(nn.Sequential(backbone.trunk, head), card, LabelSpace("study", tuple(classes))).eval()


def corruption_summary(result: AnalysisResult) -> pd.DataFrame:
    """Clean error, mean corruption error and mCE (relative to the unadapted model) per model, in percent."""
    table = result.corruption["mce"] if result.corruption else pd.DataFrame()
    columns = [column for column in ("clean_error", "mean_error", "mce") if column in table.columns]
    return (100 * table[columns]).round(1)
