"""The demo's real pretrained model: EfficientNet-Lite0 (ImageNet weights shipped offline) on the demo renders.

One feature pass serves both results: the linear-probe gap table of its features (trained here, like the default
backbone's) and its own ImageNet head applied to the same cached features, scored with no training at all against
each class's ImageNet counterparts (`fovkit analyze --label-space imagenet-1k`), per factor and factor value.
EfficientNet at 224 px costs 70-120 ms an image on a core here, so only the first `IMAGENET_OBJECTS` held-out
objects of each class are evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from fovkit.analysis import AnalysisResult, analyze_files
from fovkit.analysis.config import AnalyzeConfig
from fovkit.analysis.sources import rendered_spec
from fovkit.jobs.analyze import AnalysisJob
from fovkit.jobs.folder import ReportOptions
from fovkit.jobs.probe import ProbeRun, run_probe
from fovkit.protocols.config import BackboneSpec, ProbeConfig
from fovkit.runs import atomic_file

IMAGENET_MODEL = "fovkit:efficientnet_lite0"
IMAGENET_OBJECTS = 2
"""Held-out objects per class the pretrained model is evaluated on (20 objects, about 1,800 images at 224 px)."""


@dataclass(frozen=True)
class ImageNetDemo:
    """The pretrained model's two runs: its linear-probe gap table and its untrained per-factor ImageNet accuracy."""

    gaps: ProbeRun
    factors: AnalysisResult
    predictions: Path


def run_imagenet_demo(dataset: Path, gaps_out: Path, factors_out: Path, progress: bool = True) -> ImageNetDemo:
    """Probe `IMAGENET_MODEL` (linear) into `gaps_out`, then score its ImageNet head per factor into `factors_out`.

    The head's predictions are written next to the analysis run as `predictions/efficientnet_lite0.parquet` (the
    columns `fovkit predict` writes), so the analysis can be repeated with `fovkit analyze`.
    """
    config = ProbeConfig(
        dataset=dataset,
        backbones=(BackboneSpec(name=IMAGENET_MODEL),),
        protocols=("linear",),
        held_out_objects=IMAGENET_OBJECTS,
    )
    gaps = run_probe(config, gaps_out, overwrite=True, progress=progress)
    predictions = factors_out.parent / "predictions" / f"{IMAGENET_MODEL.partition(':')[2]}.parquet"
    predictions.parent.mkdir(parents=True, exist_ok=True)
    evaluated = write_head_predictions(config, predictions, progress)
    settings = AnalyzeConfig(split="held_out", label_space="imagenet-1k", bootstrap=200)
    spec = rendered_spec(
        dataset,
        split="held_out",
        title="EfficientNet-Lite0, ImageNet weights, untrained on the renders",
        label_space="imagenet-1k",
        sample_ids=evaluated,
    )

    def analyze(meanwhile, groups, scores) -> AnalysisResult:
        return analyze_files(spec, [predictions], settings, None, None, 1, progress, meanwhile, True)

    job = AnalysisJob("fovkit demo", settings, [dataset / "manifest.json", predictions], [dataset, predictions])
    factors = job.run(factors_out, analyze, None, None, True, ReportOptions())
    return ImageNetDemo(gaps, factors, predictions)


def write_head_predictions(config: ProbeConfig, path: Path, progress: bool) -> list[str]:
    """The model's ImageNet predictions on the probe's evaluation rows, from its cached features; returns their ids."""
    from fovkit.models import load_backbone, load_classifier
    from fovkit.protocols.features import extract_features
    from fovkit.protocols.probe import probe_rows
    from fovkit.render.store import RenderedDataset

    dataset = RenderedDataset.open(config.dataset)
    _, evaluate, needed = probe_rows(dataset, config.held_out_objects)
    settings = config.settings
    backbone = load_backbone(IMAGENET_MODEL)
    features = extract_features(
        backbone, dataset, settings.batch_size, device=settings.device, progress=progress, sample_ids=needed
    )
    classifier = load_classifier(IMAGENET_MODEL)
    head = classifier.network.get_classifier()
    ids = evaluate["sample_id"].astype(str).tolist()
    with torch.inference_mode():
        logits = head(torch.from_numpy(np.ascontiguousarray(features.rows(evaluate["sample_id"]))))
        probabilities, classes = logits.softmax(dim=1).max(dim=1)
    names = classifier.labels.names
    table = pa.table(
        {
            "file_name": pa.array(ids, pa.string()),
            "predicted_class": pa.array(classes.numpy().astype(np.int64)),
            "predicted_probability": pa.array(probabilities.numpy().astype(np.float32)),
            "predicted_name": pa.array([names[index] for index in classes.tolist()], pa.string()),
        }
    )
    with atomic_file(path) as staging:
        pq.write_table(table, staging)
    return ids
