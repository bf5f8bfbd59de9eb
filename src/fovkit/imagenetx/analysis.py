"""ImageNet-X as a configuration of the analysis engine: the shipped annotations, meta-labels and ReaL labels.

`fovkit.analysis` computes every table; this module only says what the samples, factors, groups and criteria of
ImageNet-X are, and adds the human baseline (the original labels scored against ReaL, paper appendix A.8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from fovkit import analysis
from fovkit.analysis import AcceptableLabels, AnalysisResult, AnalysisSpec, Hierarchy, SameGroup, TopOne
from fovkit.errors import InputError
from fovkit.imagenetx.annotations import (
    FACTORS,
    METACLASSES,
    NUM_CLASSES,
    class_metaclass,
    class_names,
    load_factor_table,
    real_label_matrix,
    sample_universe,
)
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.imagenetx.distribution import factor_distribution
from fovkit.tables import FactorTable, Predictions

HUMAN = "human"
CRITERIA = ("class", "real", "metaclass")
"""How a prediction is scored: top-1 class, any ReaL label (non-empty ReaL lists only), or the right meta-label."""
TITLE = "ImageNet-X factor analysis"

ImageNetXResult = AnalysisResult
"""The result of an ImageNet-X analysis is the engine's result."""


def imagenetx_spec(table: FactorTable, config: ImageNetXConfig) -> AnalysisSpec:
    """The ImageNet-X analysis of `table` (see `annotations.load_factor_table`).

    16 binary factors, 17 meta-labels; criteria top-1, ReaL (val only) and meta-label.
    """
    labels = table.labels
    metaclass_of_class = pd.Categorical(class_metaclass(), categories=METACLASSES).codes.astype(np.int64)
    criteria: list = [TopOne(labels, description="A prediction is correct when it is the image's ImageNet label.")]
    real_lists = real_label_matrix(table.sample_ids) if config.partition == "val" else None
    if real_lists is not None:
        criteria.append(
            AcceptableLabels(
                real_lists,
                name="real",
                label="ReaL labels",
                description="A prediction is correct when it is any of the image's ReaL labels (Beyer et al. 2020); "
                "images with an empty ReaL list are left out. The original labels are scored as the model `human` "
                "(paper, appendix A.8).",
            )
        )
    criteria.append(
        SameGroup(
            metaclass_of_class,
            metaclass_of_class[labels],
            name="metaclass",
            label="meta-label",
            description="A prediction is correct when its class falls in the same meta-label as the image's class.",
        )
    )
    return AnalysisSpec(
        table=table,
        factor_names=FACTORS,
        factor_mask=table.varies(FACTORS),
        num_classes=NUM_CLASSES,
        criteria=tuple(criteria),
        universe=sample_universe(table, config.partition),
        title=TITLE,
        hierarchy=Hierarchy("metaclass", METACLASSES, metaclass_of_class),
        reference_model=HUMAN if config.human else None,
        reference_criteria=("real",),
        class_names=class_names(),
        varies=_all_factors(table, config),
        notes=tuple(_notes(config, table, None if real_lists is None else criteria[1].scored)),
    )


def _all_factors(table: FactorTable, config: ImageNetXConfig) -> np.ndarray:
    """Every factor the annotators selected, per image of `table` (its own factors where it has no such row).

    The active-factor counts (paper, Figure 7) count these, also when the analysis scores the top factor only.
    """
    multi = load_factor_table("multi", config.partition, config.keep_prototypes)
    rows = multi.sample_ids.get_indexer(table.sample_ids)
    return np.where((rows >= 0)[:, None], multi.varies(FACTORS)[rows], table.varies(FACTORS))


def human_predictions(table: FactorTable, with_probability: bool) -> Predictions:
    """The original ImageNet labels as a model named `human`, to be scored against ReaL (paper, appendix A.8)."""
    probability = np.ones((1, len(table)), dtype=np.float32) if with_probability else None
    return Predictions((HUMAN,), table.sample_ids, table.labels[None, :].astype(np.int16), probability)


def analyze(
    table: FactorTable,
    predictions: Predictions | Iterable[Predictions],
    config: ImageNetXConfig,
    groups: pd.Series | None = None,
) -> ImageNetXResult:
    """Score every model under every ImageNet-X criterion and derive the paper's tables.

    Args:
        table: ImageNet-X annotations (see `load_factor_table`).
        predictions: Predictions aligned to `table`, whole or as an iterable of model chunks.
        config: Analysis options; `human` appends the model `human` after the given ones.
        groups: Group name per model (index = model) for the between-group tests; None skips them.

    """
    chunks = predictions.chunks(config.model_chunk) if isinstance(predictions, Predictions) else predictions
    spec = imagenetx_spec(table, config)
    if not config.human:
        return _with_distribution(analysis.analyze(spec, chunks, config, groups), config)
    chunks = list(_refusing_human(chunks))
    reference = human_predictions(table, bool(chunks) and chunks[-1].probability is not None)
    return _with_distribution(analysis.analyze(spec, chunks, config, groups, reference), config)


def analyze_files(
    table: FactorTable,
    paths: Sequence[Path],
    config: ImageNetXConfig,
    groups: pd.Series | None = None,
    file_names: Path | None = None,
    workers: int | None = None,
    progress: bool = False,
    meanwhile: Callable[[], object] | None = None,
    checksums: bool = False,
    shift_scores: pd.DataFrame | None = None,
) -> ImageNetXResult:
    """Read and score prediction files (one model each) in worker processes; see `fovkit.analysis.analyze_files`."""
    if not paths and not config.human:
        raise InputError("no predictions to analyse: give prediction files or --human")
    result = analysis.analyze_files(
        imagenetx_spec(table, config),
        paths,
        config,
        groups,
        file_names,
        workers,
        progress,
        meanwhile,
        checksums,
        reference=partial(human_predictions, table) if config.human else None,
        shift_scores=shift_scores,
    )
    return _with_distribution(result, config)


def _with_distribution(result: ImageNetXResult, config: ImageNetXConfig) -> ImageNetXResult:
    """The factor distribution of train vs val, all factors vs the top factor (paper, Figure 2)."""
    return replace(result, factor_distribution=factor_distribution(config.keep_prototypes))


def _refusing_human(chunks: Iterable[Predictions]) -> Iterator[Predictions]:
    for chunk in chunks:
        if HUMAN in chunk.models:
            raise InputError(f"a model is already named '{HUMAN}'; rename its prediction file or drop --human")
        yield chunk


def _notes(config: ImageNetXConfig, table: FactorTable, real_scored: np.ndarray | None) -> list[str]:
    """Where fovkit's definitions differ from the reference toolkit, said in words for the report."""
    notes = [
        "`average` is the accuracy over every annotated image (prototypes "
        + ("kept" if config.keep_prototypes else "left out")
        + "), the same set the reference toolkit averages; it is not the mean of the factor columns.",
        "Worst-k classes ties are broken by class id (stable sort); the reference toolkit's order among ties "
        "is arbitrary.",
        "Prevalence shifts are NaN where a factor never occurs (the reference toolkit writes 0).",
    ]
    if real_scored is not None:
        notes.append(
            f"ReaL accuracy leaves out the {int((~real_scored).sum())} of {len(table)} images whose ReaL label list "
            "is empty, as the ReaL protocol does; the reference toolkit counts them as mistakes."
        )
    return notes
