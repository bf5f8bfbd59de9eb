"""The one analysis engine: score chunks of models into additive count states, then derive every table.

Models are scored a chunk at a time (`analyze`) or a shard of prediction files per worker process
(`analyze_files`); only count states travel, so thousands of models take memory for their counts, not their
predictions. Every source of factor-labelled images reaches this code as an `AnalysisSpec`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from fovkit._memory import keep_freed_memory
from fovkit.analysis.accumulator import Tally
from fovkit.analysis.config import AnalysisConfig
from fovkit.analysis.layout import GroupLayout, layout_of, leaf_membership
from fovkit.analysis.result import AnalysisResult, CriterionInfo
from fovkit.analysis.spec import AnalysisSpec
from fovkit.analysis.tables import CriterionTables, TableSettings, criterion_tables, summary_table
from fovkit.cache import cached_array_by_key
from fovkit.engine import default_workers, map_ordered
from fovkit.errors import InputError, preview
from fovkit.metrics import (
    CalibrationGroups,
    GroupCounts,
    calibration_gaps,
    count_by_group,
    prevalence,
    spearman_matrix,
)
from fovkit.metrics.active_factors import active_factor_counts
from fovkit.metrics.bootstrap import BootstrapIntervals, CellDraws, bootstrap_intervals, draw_cells
from fovkit.metrics.gaps import GapCells, gap_cells, intervals_from_counts
from fovkit.metrics.shift_correlation import check_shift_models, shift_correlation
from fovkit.runs import file_checksum
from fovkit.tables import Predictions
from fovkit.tables.prediction_files import ModelRoster, PredictionFileReader, stack_model_predictions

SHARD_SIZE = 16
"""Prediction files read and scored together by one worker task."""


@dataclass(frozen=True)
class Plan:
    """Everything about the samples that scoring needs, computed once before the first chunk is scored."""

    spec: AnalysisSpec
    config: AnalysisConfig
    layout: GroupLayout
    membership: object
    """Sparse (samples x leaf groups): hierarchy group x factor cells, then classes."""
    class_groups: np.ndarray
    calibration_groups: CalibrationGroups
    bootstrap_cells: dict[str, CellDraws]
    """Per criterion, the bootstrap's draws of every factor's cells (none without a bootstrap): drawn once."""
    gap_cells: GapCells | None

    @property
    def criteria(self) -> list[str]:
        """Names of the spec's criteria, primary first."""
        return [criterion.name for criterion in self.spec.criteria]


def plan(spec: AnalysisSpec, config: AnalysisConfig) -> Plan:
    """Group memberships, calibration layers, bootstrap draws and gap cells of `spec`."""
    layout = layout_of(spec)
    factor_samples, factor_ids = np.nonzero(spec.factor_mask)
    everyone = np.arange(len(spec.table))
    bootstrap_cells = {}
    if config.bootstrap:
        for criterion in spec.criteria:
            scored = criterion.scored
            mask = np.ones(len(spec.table), bool) if scored is None else scored
            bootstrap_cells[criterion.name] = draw_cells(
                spec.factor_mask, mask, config.bootstrap, config.seed, (criterion.name,)
            )
    gaps = None
    if spec.gaps is not None:
        gaps = gap_cells(spec.gaps.table(spec.table), spec.gaps.clusters, designs=spec.gaps.designs)
    return Plan(
        spec=spec,
        config=config,
        layout=layout,
        membership=leaf_membership(spec, layout),
        class_groups=spec.class_groups(),
        calibration_groups=CalibrationGroups.from_pairs(
            np.concatenate([everyone, factor_samples]),
            np.concatenate([np.zeros(len(spec.table), dtype=np.int64), layout.factors.start + factor_ids]),
            len(spec.table),
            layout.factors.stop,
        ),
        bootstrap_cells=bootstrap_cells,
        gap_cells=gaps,
    )


def analyze(
    spec: AnalysisSpec,
    predictions: Predictions | Iterable[Predictions],
    config: AnalysisConfig,
    groups: pd.Series | None = None,
    reference: Predictions | None = None,
    shift_scores: pd.DataFrame | None = None,
) -> AnalysisResult:
    """Score every model under every criterion of `spec` and derive the tables.

    Args:
        spec: The samples, factor groups and criteria.
        predictions: Predictions aligned to `spec.table`, whole or as an iterable of model chunks (scored while
            still being read, in memory bounded by one chunk).
        config: Analysis options.
        groups: Group name per model (index = model) for the between-group tests; None skips them.
        reference: Predictions of `spec.reference_model`, scored after the others.
        shift_scores: Models' scores on distribution shifts (`metrics.shift_correlation.load_shift_scores`), for
            the correlation of each factor's error ratio with them (ImageNet-X paper, Figure 19).

    """
    keep_freed_memory()
    chunks = predictions.chunks(config.model_chunk) if isinstance(predictions, Predictions) else predictions
    steps = plan(spec, config)
    tally = Tally.empty(steps.criteria)
    for chunk in chunks:
        score_chunk(chunk, steps, tally)
    if reference is not None:
        _score_reference(reference, steps, tally)
    return finish(steps, tally, groups, annotation_statistics(spec), shift_scores)


_SHARED: dict[str, object] = {}
"""What forked workers inherit from `analyze_files`: the plan and the file reader."""


def analyze_files(
    spec: AnalysisSpec,
    paths: Sequence[Path],
    config: AnalysisConfig,
    groups: pd.Series | None = None,
    file_names: Path | None = None,
    workers: int | None = None,
    progress: bool = False,
    meanwhile: Callable[[], object] | None = None,
    checksums: bool = False,
    reference: Callable[[bool], Predictions] | None = None,
    shift_scores: pd.DataFrame | None = None,
) -> AnalysisResult:
    """Read and score prediction files (one model each) in worker processes, then derive the tables.

    Results are in `paths` order whatever the number of workers.

    Args:
        spec: The samples, factor groups and criteria; its universe says what the files must cover.
        paths: Prediction files (see `fovkit.tables.prediction_files`), one model per file.
        config: Analysis options.
        groups: Group name per model for the between-group tests; None skips them.
        file_names: Row order for NPY/NPZ logits files that carry none.
        workers: Worker processes (default: one per core).
        progress: Show a progress bar.
        meanwhile: Work for this process while the workers score (e.g. importing what comes next).
        checksums: Also hash every file as it is read (`AnalysisResult.inputs`, for a run record).
        reference: Builds the predictions of `spec.reference_model` (given whether the files carry probabilities),
            scored after the files.
        shift_scores: Models' scores on distribution shifts, for the shift correlations (see `analyze`).

    """
    keep_freed_memory()
    steps = plan(spec, config)
    shards = guided_shards(paths, workers or default_workers())
    _SHARED.update(
        plan=steps,
        reader=PredictionFileReader.for_universe(spec.universe, spec.predicted_range, file_names),
        checksums=checksums,
    )
    tally, roster = Tally.empty(steps.criteria), ModelRoster()
    try:
        scored = map_ordered(_score_shard, shards, workers, "Scoring models", weight=len, progress=progress)
        if meanwhile is not None:
            meanwhile()
        for shard, part in zip(shards, scored, strict=True):
            for model, path in zip(part.models, shard, strict=True):
                roster.add(model, path, bool(part.calibration))
            tally.absorb(part)
    finally:
        _SHARED.clear()
    # After the workers: run beside them, its BLAS threads fought theirs for the cores (0.75 s instead of 0.05 s).
    statistics = annotation_statistics(spec)
    if reference is not None:
        name = spec.reference_model
        if name in roster.owners:
            raise InputError(f"a model is already named '{name}'; rename it", path=roster.owners[name])
        _score_reference(reference(bool(tally.calibration)), steps, tally)
    return replace(finish(steps, tally, groups, statistics, shift_scores), inputs=tally.checksums)


def guided_shards(paths: Sequence[Path], workers: int) -> list[tuple[Path, ...]]:
    """Consecutive shards of at most SHARD_SIZE files that shrink towards the end (guided self-scheduling).

    A shard is never larger than the remaining files / (2 x workers), so the workers finish within a few files of
    each other instead of one waiting on a last full shard.
    """
    shards, start = [], 0
    while start < len(paths):
        size = max(2, min(SHARD_SIZE, (len(paths) - start) // (2 * workers)))
        shards.append(tuple(paths[start : start + size]))
        start += size
    return shards


def _score_shard(shard: tuple[Path, ...]) -> Tally:
    """Worker task: read a shard of prediction files and score them (state comes from `_SHARED`)."""
    reader, steps = _SHARED["reader"], _SHARED["plan"]
    roster, results = ModelRoster(), []
    for path in shard:
        result = reader.read(path)
        roster.add(result.model, result.path, result.probability is not None)
        results.append(result)
    tally = Tally.empty(steps.criteria)
    if _SHARED["checksums"]:  # for the run record: hashed here, in parallel, rather than afterwards in the parent
        tally.checksums.update((str(path), file_checksum(path)) for path in shard)
    score_chunk(stack_model_predictions(results, steps.spec.universe), steps, tally)
    return tally


def _score_reference(reference: Predictions, steps: Plan, tally: Tally) -> None:
    if reference.models != (steps.spec.reference_model,):
        raise InputError(f"the reference predictions must be one model named '{steps.spec.reference_model}'")
    if reference.models[0] in tally.models:
        raise InputError(f"a model is already named '{reference.models[0]}'; rename it")
    score_chunk(reference, steps, tally)


def score_chunk(chunk: Predictions, steps: Plan, tally: Tally) -> None:
    """Add one chunk of models to the tally: counts per group and criterion, calibration gaps, bootstrap bounds."""
    spec = steps.spec
    if not chunk.sample_ids.equals(spec.table.sample_ids):
        raise InputError("predictions are not aligned to the factor table; load them with its SampleUniverse")
    if tally.models and (chunk.probability is None) != (len(tally.calibration) == 0):
        raise InputError("some models carry probabilities and others do not; give them for all or none")
    tally.models.extend(chunk.models)
    predicted = np.ascontiguousarray(chunk.predicted.T)
    correct = [criterion.correct(predicted) for criterion in spec.criteria]
    if chunk.probability is not None:
        confidence = np.ascontiguousarray(chunk.probability.T)
        tally.calibration.append(
            calibration_gaps(correct[0], confidence, steps.calibration_groups, steps.config.calibration_bins)
        )
    counted = count_by_group(correct, steps.membership, [criterion.scored for criterion in spec.criteria])
    for criterion, counts in zip(steps.criteria, counted, strict=True):
        tally.counts[criterion].append(counts)
        if steps.config.bootstrap:
            by_factor, overall = steps.layout.factor_counts(counts.correct)
            tally.intervals[criterion].append(bootstrap_intervals(steps.bootstrap_cells[criterion], by_factor, overall))
    if steps.gap_cells is not None:
        tally.gap_counts.extend(count_by_group([correct[0]], steps.gap_cells.membership, [None]))


def annotation_statistics(spec: AnalysisSpec) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Model-independent tables: factor prevalence, factor and group correlations, active factors per image.

    Spearman rho and p-values are between the factors and the hierarchy's groups.

    The correlations are cached by a digest of the annotation masks (they cost as much as scoring 20 models).
    """
    levels = () if spec.hierarchy is None else spec.hierarchy.levels
    codes = spec.hierarchy_codes()
    level_mask = codes[:, None] == np.arange(max(len(levels), 1))
    names = [*spec.factor_names, *levels]
    annotations = spec.factor_mask if not levels else np.hstack([spec.factor_mask, level_mask])
    annotations = np.ascontiguousarray(annotations, dtype=np.int8)
    key = hashlib.sha256(annotations.tobytes() + str(annotations.shape).encode()).hexdigest()[:20]

    def correlations() -> np.ndarray:
        rho, pvalue = spearman_matrix(pd.DataFrame(annotations, columns=names))
        return np.stack([rho.to_numpy(), pvalue.to_numpy()])

    rho, pvalue = (
        pd.DataFrame(part, index=names, columns=names) for part in cached_array_by_key("spearman", key, correlations)
    )
    varies = spec.factor_mask if spec.varies is None else spec.varies
    return _factor_prevalence(spec, level_mask), rho, pvalue, active_factor_counts(np.asarray(varies, dtype=bool))


def _factor_prevalence(spec: AnalysisSpec, level_mask: np.ndarray) -> pd.DataFrame:
    """How often each factor occurs, overall and per hierarchy group (counts and shares of factor occurrences)."""
    factor_mask = spec.factor_mask.astype(np.float32)
    counts = factor_mask.sum(axis=0, keepdims=True)
    labels = ["all"]
    if spec.hierarchy is not None:
        counts = np.vstack([counts, level_mask.T.astype(np.float32) @ factor_mask])
        labels += list(spec.hierarchy.levels)
    counts = counts.astype(np.int64)
    index = pd.Index(labels, name=spec.hierarchy.name if spec.hierarchy else "samples")
    count_frame = pd.DataFrame(counts, index=index, columns=list(spec.factor_names))
    share = pd.DataFrame(prevalence(counts), index=index, columns=list(spec.factor_names))
    return pd.concat({"count": count_frame, "share": share}, names=["statistic"])


def finish(
    steps: Plan,
    tally: Tally,
    groups: pd.Series | None,
    statistics: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame],
    shift_scores: pd.DataFrame | None = None,
) -> AnalysisResult:
    """Tables of every criterion, the summary, the gap table and the annotation statistics, from the merged tally."""
    spec, config = steps.spec, steps.config
    if not tally.models:
        raise InputError("no predictions to analyse: give prediction files")
    model_index = tally.model_index()
    if model_index.duplicated().any():
        raise InputError(f"duplicate model names {preview(model_index[model_index.duplicated()].tolist())}")
    if groups is not None:
        check_groups(groups, tally.models, spec.reference_model)
    if shift_scores is not None:
        check_shift_models(shift_scores, tally.models)
    settings = TableSettings(
        factors=list(spec.factor_names),
        hierarchy=spec.hierarchy.name if spec.hierarchy else None,
        levels=list(spec.hierarchy.levels) if spec.hierarchy else [],
        worst_k_classes=min(config.worst_k_classes, len(np.unique(spec.table.labels))),
        alpha=config.alpha,
    )
    tables: dict[str, CriterionTables] = {}
    calibration = np.concatenate(tally.calibration) if tally.calibration else None
    for criterion in steps.criteria:
        keep = np.array([spec.scores(model, criterion) for model in tally.models], dtype=bool)
        leaves = tally.merged_counts(criterion)
        counts = GroupCounts(
            steps.layout.from_leaves(leaves.correct[keep], steps.class_groups),
            steps.layout.from_leaves(leaves.total[keep], steps.class_groups),
        )
        intervals = tally.merged_intervals(criterion)
        tables[criterion] = criterion_tables(
            criterion,
            counts,
            steps.layout,
            model_index[keep],
            settings,
            steps.layout.from_leaves(leaves.total[:1], steps.class_groups)[0],
            calibration[keep] if calibration is not None and criterion == spec.primary else None,
            None if intervals is None else _rows(intervals, keep),
            groups,
        )
    primary_of = pd.Series(
        [spec.primary if spec.scores(model, spec.primary) else spec.reference_criteria[0] for model in tally.models],
        index=model_index,
    )
    prevalence_table, rho, pvalue, active = statistics
    return AnalysisResult(
        config=config,
        title=spec.title,
        factors=spec.factor_names,
        criteria_info=tuple(
            CriterionInfo(criterion.name, criterion.label, criterion.description) for criterion in spec.criteria
        ),
        criteria=tables,
        summary=summary_table(tables, model_index, primary_of, list(spec.factor_names)),
        factor_prevalence=prevalence_table,
        correlation=rho,
        correlation_pvalue=pvalue,
        active_factors=active,
        hierarchy=settings.hierarchy,
        reference_model=spec.reference_model,
        groups=groups,
        gaps=_gap_table(steps, tally),
        corruption=_corruption_tables(spec, tables[spec.primary].factor_accuracies, config),
        shift_correlation=None
        if shift_scores is None
        else shift_correlation(tables[spec.primary].error_ratios, shift_scores),
        notes=list(spec.notes),
    )


def _rows(intervals: BootstrapIntervals, keep: np.ndarray) -> BootstrapIntervals:
    """The bootstrap bounds of the kept models."""
    return BootstrapIntervals(*(getattr(intervals, name)[keep] for name in BootstrapIntervals.__dataclass_fields__))


def _gap_table(steps: Plan, tally: Tally) -> pd.DataFrame | None:
    """Gaps with cluster-bootstrap intervals of every model scored under the primary criterion."""
    counts = tally.merged_gap_counts()
    if counts is None:
        return None
    keep = np.array([steps.spec.scores(model, steps.spec.primary) for model in tally.models], dtype=bool)
    kept = GroupCounts(counts.correct[keep], counts.total[keep])
    names = [model for model, kept_model in zip(tally.models, keep, strict=True) if kept_model]
    config = steps.config
    return intervals_from_counts(kept, steps.gap_cells, names, config.bootstrap, config.seed)


def check_groups(groups: pd.Series, models: Sequence[str], reference_model: str | None) -> None:
    """Every analysed model (but the reference) has a group, and every grouped model is analysed.

    A name in the groups CSV that matches no model (a typo, a file left out) would otherwise silently drop out of the
    between-group tests. The error names the CSV when `groups.attrs["path"]` holds it.
    """
    analysed = set(models)
    ungrouped = [model for model in models if model not in groups.index and model != reference_model]
    unknown = [model for model in groups.index if model not in analysed]
    problems = [
        *([f"models without a group: {preview(ungrouped)}"] if ungrouped else []),
        *([f"grouped models that are not analysed: {preview(unknown)}"] if unknown else []),
    ]
    if problems:
        raise InputError(
            f"{'; '.join(problems)}. The analysed models are {preview(list(models), limit=8)}: give each one row "
            "'model,group' (a model is named by its file name without the suffix, or by a pickle's 'model' key)",
            path=groups.attrs.get("path"),
            field="model",
        )


def _corruption_tables(spec: AnalysisSpec, accuracies: pd.DataFrame, config: AnalysisConfig) -> dict | None:
    """The corruption error tables of a corrupted dataset's analysis (None for other sources)."""
    if spec.corruption_baseline is None:
        return None
    from fovkit.analysis.corruption import corruption_tables

    chosen = getattr(config, "baseline_model", None) or spec.corruption_baseline
    result = corruption_tables(accuracies, None if chosen == "none" else chosen)
    return {"corruption_errors": result.errors, "corruption_ce": result.per_corruption, "mce": result.per_model}
