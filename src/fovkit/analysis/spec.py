"""What an analysis runs on: samples, their factor groups, an optional hierarchy of sample groups, and criteria.

Every source of factor-labelled images becomes an `AnalysisSpec`: the ImageNet-X annotations (`fovkit.imagenetx`),
a user's factor table (`fovkit.analysis.sources`), a rendered dataset; later corruptions and counterfactuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fovkit.analysis.criteria import Criterion
from fovkit.errors import InputError, preview
from fovkit.tables import FactorTable
from fovkit.tables.alignment import SampleUniverse


@dataclass(frozen=True)
class Hierarchy:
    """Groups of classes (ImageNet-X meta-labels): every sample's group is its class's group."""

    name: str
    """Column and table name, e.g. "metaclass"."""
    levels: tuple[str, ...]
    of_class: np.ndarray = field(repr=False)
    """(classes,) group code of each class, -1 for classes in no group."""

    def of_samples(self, labels: np.ndarray) -> np.ndarray:
        """(samples,) group code of each sample, from its label."""
        return self.of_class[labels]

    def class_matrix(self) -> np.ndarray:
        """(classes x groups) 0/1 float matrix: which group each class is in."""
        return (self.of_class[:, None] == np.arange(len(self.levels))).astype(np.float64)


@dataclass(frozen=True)
class GapSetup:
    """The gap table of an analysis (robustness-limits paper): clusters to resample and the rows of its groups."""

    clusters: np.ndarray = field(repr=False)
    """(samples,) cluster id of each sample (its object), resampled whole by the bootstrap."""
    designs: tuple[str, ...] | None = None
    """Designs whose rows form the canonical and one-factor groups (see `metrics.gaps.gap_group_masks`)."""
    factors: tuple[str, ...] | None = None
    """The factors of the gap table (those with a canonical value); None: every factor of the table."""

    def table(self, table: FactorTable) -> FactorTable:
        """`table` with only the gap table's factors."""
        if self.factors is None:
            return table
        return FactorTable(
            table.frame, tuple(spec for spec in table.factors if spec.name in self.factors), table.source
        )


@dataclass(frozen=True)
class AnalysisSpec:
    """Everything the engine needs to know about the samples, computed once before any prediction is read."""

    table: FactorTable
    """Samples in row order: `sample_id`, integer `label` and the factor columns with their specs."""
    factor_names: tuple[str, ...]
    """The analysis columns ("factor groups"): a binary factor, a level of a categorical factor, a numeric bin."""
    factor_mask: np.ndarray = field(repr=False)
    """(samples x factor groups) True where the sample is in the group (the factor is active)."""
    num_classes: int
    criteria: tuple[Criterion, ...]
    """The first one is the primary: calibration and the gap table use it."""
    universe: SampleUniverse
    """What prediction files must cover (the table's samples) and may also carry."""
    title: str = "Factor analysis"
    hierarchy: Hierarchy | None = None
    reference_model: str | None = None
    """A model (ImageNet-X: `human`, the original labels) scored only under `reference_criteria`."""
    reference_criteria: tuple[str, ...] = ()
    class_names: tuple[str, ...] | None = None
    gaps: GapSetup | None = None
    """Set when the table has canonical values and rows: the gap table with cluster-bootstrap intervals."""
    varies: np.ndarray | None = field(default=None, repr=False)
    """(samples x factors with a canonical value) True where the factor is not canonical, for the active-factor
    counts; None: `factor_mask` (binary factors)."""
    notes: tuple[str, ...] = ()
    """Where the definitions differ from a reference toolkit, in words for the report."""
    corruption_baseline: str | None = None
    """Set for a corrupted dataset: `alexnet` (ImageNet val source), `none` (unnormalised errors only) or a model's
    name; the analysis then adds the corruption error tables (`fovkit.analysis.corruption`)."""
    prediction_classes: int | None = None
    """Width of the label space the predictions name when it is not the samples' (ImageNet-1k classifiers on
    renders: 1,000); None: `num_classes`."""

    @property
    def predicted_range(self) -> int:
        """Predicted classes lie in 0..predicted_range-1."""
        return self.num_classes if self.prediction_classes is None else self.prediction_classes

    def __post_init__(self) -> None:
        if self.factor_mask.shape != (len(self.table), len(self.factor_names)):
            raise InputError(
                f"factor mask of shape {self.factor_mask.shape} for {len(self.table)} samples and "
                f"{len(self.factor_names)} factor groups",
                path=self.table.source,
            )
        repeated = sorted({name for name in self.factor_names if self.factor_names.count(name) > 1})
        if repeated:
            raise InputError(f"factor groups named twice: {preview(repeated)}", path=self.table.source)
        names = [criterion.name for criterion in self.criteria]
        if not names or len(set(names)) != len(names):
            raise InputError(f"criteria must be one or more distinct names, got {names}", path=self.table.source)
        labels = self.table.labels
        if len(labels) and (labels.min() < 0 or labels.max() >= self.num_classes):
            outside = np.unique(labels[(labels < 0) | (labels >= self.num_classes)])
            raise InputError(
                f"labels {preview(outside.tolist())} are outside 0..{self.num_classes - 1}",
                path=self.table.source,
                field="label",
            )

    @property
    def primary(self) -> str:
        """The criterion of calibration, the gap table and the summary's worst factor."""
        return self.criteria[0].name

    def hierarchy_codes(self) -> np.ndarray:
        """(samples,) group code of each sample; one group for all when there is no hierarchy."""
        if self.hierarchy is None:
            return np.zeros(len(self.table), dtype=np.int64)
        return self.hierarchy.of_samples(self.table.labels).astype(np.int64)

    def class_groups(self) -> np.ndarray:
        """(classes x groups) membership of classes in the hierarchy's groups (one group for all without one)."""
        if self.hierarchy is None:
            return np.ones((self.num_classes, 1), dtype=np.float64)
        return self.hierarchy.class_matrix()

    def scores(self, model: str, criterion: str) -> bool:
        """Whether `criterion` scores `model` (the reference model only under its own criteria)."""
        return model != self.reference_model or criterion in self.reference_criteria
