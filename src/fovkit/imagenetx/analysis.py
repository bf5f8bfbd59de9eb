"""The ImageNet-X factor analysis: from a FactorTable and Predictions to every per-factor table of the paper."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from fovkit._memory import keep_freed_memory
from fovkit.cache import cached_array_by_key
from fovkit.engine import default_workers, map_ordered
from fovkit.errors import InputError, preview
from fovkit.imagenetx.annotations import (
    FACTORS,
    METACLASSES,
    NUM_CLASSES,
    class_metaclass,
    real_label_matrix,
    sample_universe,
)
from fovkit.imagenetx.config import ImageNetXConfig
from fovkit.metrics import (
    CalibrationGroups,
    GroupCounts,
    calibration_gaps,
    count_by_group,
    error_ratio,
    expected_calibration_error,
    group_membership,
    prevalence,
    prevalence_shift,
    spearman_matrix,
    worst_k_group_accuracy,
)
from fovkit.metrics.bootstrap import BootstrapIntervals, CellDraws, bootstrap_intervals, draw_cells
from fovkit.metrics.stats import alexander_govern_by_column
from fovkit.runs import file_checksum
from fovkit.tables import FactorTable, Predictions
from fovkit.tables.prediction_files import ModelRoster, PredictionFileReader, stack_model_predictions

HUMAN = "human"
CRITERIA = ("class", "real", "metaclass")
"""How a prediction is scored: top-1 class, any ReaL label (non-empty ReaL lists only), or the right meta-label."""


@dataclass(frozen=True)
class CriterionTables:
    """Every table of one scoring criterion; DataFrames indexed by `model` (and `metaclass`)."""

    criterion: str
    factor_accuracies: pd.DataFrame
    error_ratios: pd.DataFrame
    metaclass_accuracies: pd.DataFrame
    metaclass_error_ratios: pd.DataFrame
    prevalence_shift: pd.DataFrame
    metaclass_prevalence_shift: pd.DataFrame
    metaclass_counts: pd.DataFrame
    """Images scored in each meta-label (rows) x factor (columns) cell: how much each cell's numbers rest on."""
    calibration: pd.DataFrame | None = None
    intervals: pd.DataFrame | None = None
    group_tests: pd.DataFrame | None = None


@dataclass(frozen=True)
class ImageNetXResult:
    """The whole analysis: per-criterion tables, a per-model summary and model-independent annotation statistics."""

    config: ImageNetXConfig
    criteria: dict[str, CriterionTables]
    summary: pd.DataFrame
    factor_prevalence: pd.DataFrame
    correlation: pd.DataFrame
    correlation_pvalue: pd.DataFrame
    groups: pd.Series | None = None
    notes: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    """SHA-256 of every prediction file read, by path (hashed by the worker that read it)."""


@dataclass(frozen=True)
class _Layout:
    """Column blocks of the sample-group membership matrix: all, factors, meta-labels, meta-label x factor, classes."""

    n_factors: int
    n_metaclasses: int

    @property
    def all(self) -> slice:
        return slice(0, 1)

    @property
    def factors(self) -> slice:
        return slice(1, 1 + self.n_factors)

    @property
    def metaclasses(self) -> slice:
        start = self.factors.stop
        return slice(start, start + self.n_metaclasses)

    @property
    def cells(self) -> slice:
        start = self.metaclasses.stop
        return slice(start, start + self.n_metaclasses * self.n_factors)

    @property
    def classes(self) -> slice:
        start = self.cells.stop
        return slice(start, start + NUM_CLASSES)

    @property
    def n_cells(self) -> int:
        return self.n_metaclasses * self.n_factors

    def from_leaves(self, leaves: np.ndarray, class_meta: np.ndarray) -> np.ndarray:
        """Counts of every block from counts of the leaf groups (cells, then classes).

        Each sample is in one class and one meta-label, so all = sum of classes, meta-labels = classes summed by
        meta-label, factors = cells summed over meta-labels. Counting only the leaves keeps the sparse product small.
        """
        cells, classes = leaves[:, : self.n_cells], leaves[:, self.n_cells :]
        factors = cells.reshape(len(leaves), self.n_metaclasses, self.n_factors).sum(axis=1)
        return np.hstack([classes.sum(axis=1, keepdims=True), factors, classes @ class_meta, cells, classes])


def human_predictions(table: FactorTable, with_probability: bool) -> Predictions:
    """The original ImageNet labels as a model named `human`, to be scored against ReaL (paper, appendix A.8)."""
    probability = np.ones((1, len(table)), dtype=np.float32) if with_probability else None
    return Predictions((HUMAN,), table.sample_ids, table.labels[None, :].astype(np.int16), probability)


@dataclass(frozen=True)
class _Plan:
    """Everything about the samples that scoring needs, computed once before the first chunk is scored."""

    labels: np.ndarray
    sample_metaclass: np.ndarray
    metaclass_of_class: np.ndarray
    class_meta: np.ndarray
    factor_mask: np.ndarray
    metaclass_mask: np.ndarray
    layout: _Layout
    membership: object
    """Sparse (samples x leaf groups): meta-label x factor cells, then classes; every other group sums leaves."""
    calibration_groups: CalibrationGroups
    real_lists: np.ndarray | None
    scored: dict[str, np.ndarray | None]
    bootstrap_cells: dict[str, CellDraws]
    """Per criterion, the bootstrap's draws of every factor's cells (none without --bootstrap): drawn once, shared."""

    @property
    def criteria(self) -> list[str]:
        return [criterion for criterion in CRITERIA if criterion in self.scored]


@dataclass
class _Tally:
    """Additive per-chunk states of every criterion, concatenated over model chunks at the end."""

    models: list[str] = field(default_factory=list)
    checksums: dict[str, str] = field(default_factory=dict)
    counts: dict[str, list[GroupCounts]] = field(default_factory=dict)
    gaps: list[np.ndarray] = field(default_factory=list)
    intervals: dict[str, list[BootstrapIntervals]] = field(default_factory=dict)

    @classmethod
    def empty(cls, criteria: list[str]) -> _Tally:
        return cls(counts={name: [] for name in criteria}, intervals={name: [] for name in criteria})

    def absorb(self, other: _Tally) -> None:
        """Append another tally's models (in order) to this one."""
        self.models.extend(other.models)
        self.checksums.update(other.checksums)
        self.gaps.extend(other.gaps)
        for name, parts in other.counts.items():
            self.counts[name].extend(parts)
        for name, parts in other.intervals.items():
            self.intervals[name].extend(parts)


def analyze(
    table: FactorTable,
    predictions: Predictions | Iterable[Predictions],
    config: ImageNetXConfig,
    groups: pd.Series | None = None,
) -> ImageNetXResult:
    """Score every model under every criterion and derive the paper's tables.

    Models are scored a chunk at a time into additive count states, so an iterable of chunks (e.g. from
    `iter_prediction_chunks`) is analysed while it is still being read, in memory bounded by one chunk.

    Args:
        table: ImageNet-X annotations (see `load_factor_table`).
        predictions: Predictions aligned to `table`, whole or as an iterable of model chunks.
        config: Analysis options; `human` appends the model `human` after the given ones.
        groups: Group name per model (index = model) for the between-group tests; None skips them.

    """
    keep_freed_memory()
    chunks = predictions.chunks(config.model_chunk) if isinstance(predictions, Predictions) else predictions
    if config.human:
        chunks = _then_human(chunks, table)
    plan = _plan(table, config)
    tally = _Tally.empty(plan.criteria)
    for chunk in chunks:
        _score_chunk(chunk, table, plan, config, tally)
    return _finish(table, plan, tally, config, groups, _annotation_statistics(plan))


SHARD_SIZE = 16
"""Prediction files read and scored together by one worker task."""

_SHARED: dict[str, object] = {}
"""What forked workers inherit from `analyze_files`: table, plan, config and file reader."""


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
) -> ImageNetXResult:
    """Read and score prediction files (one model each) in worker processes, then derive the paper's tables.

    Each worker reads a shard of files and returns only its additive count states, so thousands of models take
    memory for their counts, not their predictions. Results are in `paths` order whatever the number of workers.

    Args:
        table: ImageNet-X annotations (see `load_factor_table`).
        paths: Prediction files (see `fovkit.tables.prediction_files`), one model per file.
        config: Analysis options; `human` appends the model `human` after the files' models.
        groups: Group name per model for the between-group tests; None skips them.
        file_names: Row order for NPY/NPZ logits files that carry none.
        workers: Worker processes (default: one per core).
        progress: Show a progress bar.
        meanwhile: Work for this process while the workers score (e.g. importing what comes next).
        checksums: Also hash every file as it is read (`ImageNetXResult.inputs`, for a run record).

    """
    keep_freed_memory()
    universe = sample_universe(table, config.partition)
    plan = _plan(table, config)
    shards = guided_shards(paths, workers or default_workers())
    _SHARED.update(
        table=table,
        plan=plan,
        config=config,
        universe=universe,
        reader=PredictionFileReader.for_universe(universe, NUM_CLASSES, file_names),
        checksums=checksums,
    )
    tally, roster = _Tally.empty(plan.criteria), ModelRoster()
    try:
        scored = map_ordered(_score_shard, shards, workers, "Scoring models", weight=len, progress=progress)
        if meanwhile is not None:
            meanwhile()
        for shard, part in zip(shards, scored, strict=True):
            for model, path in zip(part.models, shard, strict=True):
                roster.add(model, path, bool(part.gaps))
            tally.absorb(part)
    finally:
        _SHARED.clear()
    # After the workers: run beside them, its BLAS threads fought theirs for the cores (0.75 s instead of 0.05 s).
    statistics = _annotation_statistics(plan)
    if config.human:
        if HUMAN in roster.owners:
            raise InputError(
                f"a model is already named '{HUMAN}'; rename it or drop --human", path=roster.owners[HUMAN]
            )
        _score_chunk(human_predictions(table, bool(tally.gaps)), table, plan, config, tally)
    return replace(_finish(table, plan, tally, config, groups, statistics), inputs=tally.checksums)


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


def _score_shard(shard: tuple[Path, ...]) -> _Tally:
    """Worker task: read a shard of prediction files and score them (state comes from `_SHARED`)."""
    reader, universe = _SHARED["reader"], _SHARED["universe"]
    roster, results = ModelRoster(), []
    for path in shard:
        result = reader.read(path)
        roster.add(result.model, result.path, result.probability is not None)
        results.append(result)
    plan, config = _SHARED["plan"], _SHARED["config"]
    tally = _Tally.empty(plan.criteria)
    if _SHARED["checksums"]:  # for the run record: hashed here, in parallel, rather than afterwards in the parent
        tally.checksums.update((str(path), file_checksum(path)) for path in shard)
    _score_chunk(stack_model_predictions(results, universe), _SHARED["table"], plan, config, tally)
    return tally


def _annotation_statistics(plan: _Plan) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Model-independent tables: factor prevalence, Spearman rho and p-values between factors and meta-labels.

    The correlations are cached by a digest of the annotation masks (they cost as much as scoring 20 models).
    """
    names = [*FACTORS, *METACLASSES]
    annotations = np.ascontiguousarray(np.hstack([plan.factor_mask, plan.metaclass_mask]), dtype=np.int8)
    key = hashlib.sha256(annotations.tobytes() + str(annotations.shape).encode()).hexdigest()[:20]

    def correlations() -> np.ndarray:
        rho, pvalue = spearman_matrix(pd.DataFrame(annotations, columns=names))
        return np.stack([rho.to_numpy(), pvalue.to_numpy()])

    rho, pvalue = (
        pd.DataFrame(part, index=names, columns=names) for part in cached_array_by_key("spearman", key, correlations)
    )
    return _factor_prevalence(plan.factor_mask, plan.metaclass_mask), rho, pvalue


def _finish(
    table: FactorTable,
    plan: _Plan,
    tally: _Tally,
    config: ImageNetXConfig,
    groups: pd.Series | None,
    statistics: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> ImageNetXResult:
    """Tables of every criterion, the summary and the annotation statistics, from the merged tally."""
    if not tally.models:
        raise InputError("no predictions to analyse: give prediction files or --human")
    model_index = pd.Index(tally.models, name="model")
    if model_index.duplicated().any():
        raise InputError(f"duplicate model names {preview(model_index[model_index.duplicated()].tolist())}")
    if groups is not None:
        _check_groups(groups, tally.models)
    tables = {}
    for criterion in plan.criteria:
        merged = GroupCounts(
            plan.layout.from_leaves(
                np.concatenate([part.correct for part in tally.counts[criterion]]), plan.class_meta
            ),
            plan.layout.from_leaves(np.concatenate([part.total for part in tally.counts[criterion]]), plan.class_meta),
        )
        tables[criterion] = _criterion_tables(
            criterion,
            merged,
            plan.layout,
            model_index,
            model_index != HUMAN if criterion != "real" else np.ones(len(model_index), dtype=bool),
            config,
            np.concatenate(tally.gaps) if tally.gaps and criterion == "class" else None,
            _merge_intervals(tally.intervals[criterion]) if tally.intervals[criterion] else None,
            groups,
        )
    prevalence, rho, pvalue = statistics
    return ImageNetXResult(
        config=config,
        criteria=tables,
        summary=_summary(tables, model_index),
        factor_prevalence=prevalence,
        correlation=rho,
        correlation_pvalue=pvalue,
        groups=groups,
        notes=_notes(config, table, plan.scored.get("real")),
    )


def _plan(table: FactorTable, config: ImageNetXConfig) -> _Plan:
    labels = table.labels
    sample_metaclass = pd.Categorical(table.frame["metaclass"], categories=METACLASSES).codes.astype(np.int64)
    factor_mask = table.varies(FACTORS)
    layout = _Layout(len(FACTORS), len(METACLASSES))
    metaclass_of_class = pd.Categorical(class_metaclass(), categories=METACLASSES).codes
    factor_samples, factor_ids = np.nonzero(factor_mask)
    everyone = np.arange(len(table))
    cell_ids = sample_metaclass[factor_samples] * layout.n_factors + factor_ids
    real_lists = real_label_matrix(table.sample_ids) if config.partition == "val" else None
    scored: dict[str, np.ndarray | None] = {"class": None, "metaclass": None}
    if real_lists is not None:
        scored["real"] = (real_lists >= 0).any(axis=1)
    bootstrap_cells = {}
    if config.bootstrap:
        masks = {name: np.ones(len(table), bool) if mask is None else mask for name, mask in scored.items()}
        bootstrap_cells = {
            name: draw_cells(factor_mask, mask, config.bootstrap, config.seed, (name,)) for name, mask in masks.items()
        }
    return _Plan(
        labels=labels,
        sample_metaclass=sample_metaclass,
        metaclass_of_class=metaclass_of_class,
        class_meta=(metaclass_of_class[:, None] == np.arange(len(METACLASSES))).astype(np.float64),
        factor_mask=factor_mask,
        metaclass_mask=sample_metaclass[:, None] == np.arange(len(METACLASSES)),
        layout=layout,
        membership=group_membership(
            np.concatenate([factor_samples, everyone]),
            np.concatenate([cell_ids, layout.n_cells + labels]),
            len(table),
            layout.n_cells + NUM_CLASSES,
        ),
        calibration_groups=CalibrationGroups.from_pairs(
            np.concatenate([everyone, factor_samples]),
            np.concatenate([np.zeros(len(table), dtype=np.int64), layout.factors.start + factor_ids]),
            len(table),
            layout.factors.stop,
        ),
        real_lists=real_lists,
        scored=scored,
        bootstrap_cells=bootstrap_cells,
    )


def _score_chunk(chunk: Predictions, table: FactorTable, plan: _Plan, config: ImageNetXConfig, tally: _Tally) -> None:
    """Add one chunk of models to the tally: counts per group and criterion, calibration gaps, bootstrap bounds."""
    if not chunk.sample_ids.equals(table.sample_ids):
        raise InputError("predictions are not aligned to the annotation table; load them with its SampleUniverse")
    if tally.models and (chunk.probability is None) != (len(tally.gaps) == 0):
        raise InputError("some models carry probabilities and others do not; give them for all or none")
    tally.models.extend(chunk.models)
    predicted = np.ascontiguousarray(chunk.predicted.T)
    correct = {
        "class": predicted == plan.labels[:, None],
        "metaclass": plan.metaclass_of_class[predicted] == plan.sample_metaclass[:, None],
    }
    if plan.real_lists is not None:
        correct["real"] = _matches_any(predicted, plan.real_lists)
    if chunk.probability is not None:
        confidence = np.ascontiguousarray(chunk.probability.T)
        tally.gaps.append(
            calibration_gaps(correct["class"], confidence, plan.calibration_groups, config.calibration_bins)
        )
    counted = count_by_group(
        [correct[name] for name in plan.criteria], plan.membership, [plan.scored[name] for name in plan.criteria]
    )
    for criterion, counts in zip(plan.criteria, counted, strict=True):
        tally.counts[criterion].append(counts)
        if config.bootstrap:
            # Right counts per factor (its meta-label cells summed) and overall (the classes summed), as in
            # `_Layout.from_leaves` but without its BLAS product, whose threads would spin against the other workers.
            cells, classes = np.hsplit(counts.correct, [plan.layout.n_cells])
            by_factor = cells.reshape(len(cells), plan.layout.n_metaclasses, plan.layout.n_factors).sum(axis=1)
            tally.intervals[criterion].append(
                bootstrap_intervals(plan.bootstrap_cells[criterion], by_factor, classes.sum(axis=1))
            )


def _then_human(chunks: Iterable[Predictions], table: FactorTable) -> Iterator[Predictions]:
    with_probability = False
    for chunk in chunks:
        if HUMAN in chunk.models:
            raise InputError(f"a model is already named '{HUMAN}'; rename its prediction file or drop --human")
        with_probability = chunk.probability is not None
        yield chunk
    yield human_predictions(table, with_probability)


def _criterion_tables(
    criterion: str,
    counts: GroupCounts,
    layout: _Layout,
    models: pd.Index,
    keep: np.ndarray,
    config: ImageNetXConfig,
    gaps: np.ndarray | None,
    intervals: BootstrapIntervals | None,
    groups: pd.Series | None,
) -> CriterionTables:
    accuracy = counts.accuracy[keep]
    models = models[keep]
    n_models, n_meta, n_factors = len(models), len(METACLASSES), len(FACTORS)
    overall = accuracy[:, layout.all][:, 0]
    factor_acc = pd.DataFrame(accuracy[:, layout.factors], index=models, columns=list(FACTORS))
    ratios = pd.DataFrame(error_ratio(factor_acc.to_numpy(), overall), index=models, columns=list(FACTORS))
    factor_acc["worst_factor"] = factor_acc[list(FACTORS)].min(axis=1)
    factor_acc["average"] = overall
    class_counts = GroupCounts(counts.correct[keep][:, layout.classes], counts.total[keep][:, layout.classes])
    factor_acc[f"worst_{config.worst_k_classes}_classes"] = worst_k_group_accuracy(class_counts, config.worst_k_classes)

    meta_index = pd.MultiIndex.from_product([models, METACLASSES], names=["model", "metaclass"])
    cell_acc = accuracy[:, layout.cells].reshape(n_models * n_meta, n_factors)
    meta_overall = accuracy[:, layout.metaclasses].reshape(-1)
    meta_acc = pd.DataFrame(cell_acc, index=meta_index, columns=list(FACTORS))
    meta_ratios = pd.DataFrame(error_ratio(cell_acc, meta_overall), index=meta_index, columns=list(FACTORS))
    meta_acc["worst_factor"] = meta_acc[list(FACTORS)].min(axis=1)
    meta_acc["average"] = meta_overall

    mistakes = counts.mistakes[keep]
    totals = counts.total[keep]
    shift = pd.DataFrame(
        prevalence_shift(mistakes[:, layout.factors], totals[:, layout.factors]), index=models, columns=list(FACTORS)
    )
    cell_shift = prevalence_shift(
        mistakes[:, layout.cells].reshape(n_models, n_meta, n_factors),
        totals[:, layout.cells].reshape(n_models, n_meta, n_factors),
    )
    meta_shift = pd.DataFrame(cell_shift.reshape(-1, n_factors), index=meta_index, columns=list(FACTORS))

    calibration = None
    if gaps is not None:
        ece = expected_calibration_error(gaps[keep], totals[:, : layout.factors.stop])
        calibration = pd.DataFrame(ece[:, layout.factors], index=models, columns=list(FACTORS))
        calibration["worst_factor"] = calibration[list(FACTORS)].max(axis=1)
        calibration["average"] = ece[:, 0]
    interval_table = None if intervals is None else _interval_table(intervals, keep, models, factor_acc, ratios)
    group_tests = None
    if groups is not None:
        group_tests = alexander_govern_by_column(ratios, groups.reindex(models), alpha=config.alpha)
    cell_totals = counts.total[:1, layout.cells].reshape(n_meta, n_factors).astype(np.int64)
    return CriterionTables(
        criterion=criterion,
        factor_accuracies=factor_acc,
        error_ratios=ratios,
        metaclass_accuracies=meta_acc,
        metaclass_error_ratios=meta_ratios,
        prevalence_shift=shift,
        metaclass_prevalence_shift=meta_shift,
        metaclass_counts=pd.DataFrame(
            cell_totals, index=pd.Index(METACLASSES, name="metaclass"), columns=list(FACTORS)
        ),
        calibration=calibration,
        intervals=interval_table,
        group_tests=group_tests,
    )


def _interval_table(
    intervals: BootstrapIntervals, keep: np.ndarray, models: pd.Index, accuracy: pd.DataFrame, ratios: pd.DataFrame
) -> pd.DataFrame:
    """Long table: model, metric, factor, estimate, low, high."""
    parts = []
    for metric, estimate, low, high in (
        ("accuracy", accuracy[list(FACTORS)], intervals.accuracy_low, intervals.accuracy_high),
        ("error_ratio", ratios, intervals.error_ratio_low, intervals.error_ratio_high),
    ):
        for column, name in enumerate(FACTORS):
            parts.append(
                pd.DataFrame(
                    {
                        "model": models,
                        "metric": metric,
                        "factor": name,
                        "estimate": estimate[name].to_numpy(),
                        "low": low[keep, column],
                        "high": high[keep, column],
                    }
                )
            )
    overall = pd.DataFrame(
        {
            "model": models,
            "metric": "accuracy",
            "factor": "average",
            "estimate": accuracy["average"].to_numpy(),
            "low": intervals.overall_low[keep],
            "high": intervals.overall_high[keep],
        }
    )
    return pd.concat([*parts, overall], ignore_index=True)


def _merge_intervals(parts: list[BootstrapIntervals]) -> BootstrapIntervals:
    return BootstrapIntervals(
        *(np.concatenate([getattr(part, name) for part in parts]) for name in BootstrapIntervals.__dataclass_fields__)
    )


def _summary(tables: dict[str, CriterionTables], models: pd.Index) -> pd.DataFrame:
    """One row per model: accuracy under each criterion, then worst factor, worst-k classes and ECE.

    The last three use the model's primary criterion: top-1 label, or ReaL for `human`, whose top-1 label
    accuracy is 1 by construction.
    """
    summary = pd.DataFrame(index=models)
    for criterion, criterion_tables in tables.items():
        column = "accuracy" if criterion == "class" else f"{criterion}_accuracy"
        summary[column] = criterion_tables.factor_accuracies["average"]
    summary["criterion"] = np.where(models == HUMAN, "real", "class")
    worst_classes = next(column for column in tables["class"].factor_accuracies if column.endswith("_classes"))
    parts = []
    for criterion in dict.fromkeys(summary["criterion"]):
        accuracies = tables[criterion].factor_accuracies
        part = pd.DataFrame(index=accuracies.index)
        factor_only = accuracies[list(FACTORS)]
        part["worst_factor"] = factor_only.idxmin(axis=1) if len(factor_only) else pd.Series(dtype=object)
        part["worst_factor_accuracy"] = accuracies["worst_factor"]
        part[worst_classes] = accuracies[worst_classes]
        if tables[criterion].calibration is not None:
            part["ece"] = tables[criterion].calibration["average"]
        parts.append(part.loc[part.index.intersection(summary.index[summary["criterion"] == criterion])])
    return summary.join(pd.concat(parts))


def _factor_prevalence(factor_mask: np.ndarray, metaclass_mask: np.ndarray) -> pd.DataFrame:
    """How often each factor occurs, overall and per meta-label (counts and shares of factor occurrences)."""
    cells = metaclass_mask.T.astype(np.float32) @ factor_mask.astype(np.float32)
    counts = np.vstack([factor_mask.sum(axis=0), cells]).astype(np.int64)
    index = pd.Index(["all", *METACLASSES], name="metaclass")
    count_frame = pd.DataFrame(counts, index=index, columns=list(FACTORS))
    share = pd.DataFrame(prevalence(counts), index=index, columns=list(FACTORS))
    return pd.concat({"count": count_frame, "share": share}, names=["statistic"])


def _matches_any(predicted: np.ndarray, label_sets: np.ndarray) -> np.ndarray:
    """(samples x models) True where the prediction is one of the sample's labels (padding -1 never matches).

    Most samples have one label, so only the first column is compared densely; later columns only on their rows.
    """
    matched = predicted == label_sets[:, :1]
    for column in range(1, label_sets.shape[1]):
        rows = np.flatnonzero(label_sets[:, column] >= 0)
        matched[rows] |= predicted[rows] == label_sets[rows, column : column + 1]
    return matched


def _check_groups(groups: pd.Series, models: tuple[str, ...]) -> None:
    """Every analysed model (but `human`) has a group, and every grouped model is analysed.

    A name in the groups CSV that matches no model (a typo, a file left out) would otherwise silently drop out of the
    between-group tests. The error names the CSV when `groups.attrs["path"]` holds it (see `run.load_groups`).
    """
    analysed = set(models)
    ungrouped = [model for model in models if model not in groups.index and model != HUMAN]
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
