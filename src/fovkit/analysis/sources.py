"""Sources of factor-labelled images as analysis specs: a user's factor table and a rendered dataset.

ImageNet-X is a third source (`fovkit.imagenetx.analysis.imagenetx_spec`); corruptions and counterfactuals add theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from fovkit.analysis.criteria import AcceptableLabels, SameGroup, TopOne
from fovkit.analysis.spec import AnalysisSpec, GapSetup, Hierarchy
from fovkit.errors import InputError, preview
from fovkit.render.imagenet import CATALOG_IMAGENET, IMAGENET_CLASSES, imagenet_lists
from fovkit.tables import FactorTable
from fovkit.tables.alignment import SampleUniverse
from fovkit.tables.factor_files import FactorFile
from fovkit.tables.factor_table import has_canonical

LabelSpaceName = Literal["dataset", "imagenet-1k"]
LABEL_SPACES: tuple[LabelSpaceName, ...] = ("dataset", "imagenet-1k")
"""What the predicted classes of a rendered dataset's analysis are: its own labels, or ImageNet-1k indices."""

RENDER_GAP_DESIGNS = ("single",)
CORRUPTION_SEVERITY = "corruption_severity"
"""Analysis groups of a corrupted dataset per (corruption, severity), e.g. `corruption_severity=fog/3`: the errors
that CE and mCE are computed from."""
"""Rows of a rendered dataset's canonical and one-factor gap groups: those of `fovkit probe` (its default)."""


def factor_file_spec(factors: FactorFile, title: str | None = None) -> AnalysisSpec:
    """The analysis of a user's factor table: top-1, acceptable labels and same-group criteria where given.

    A gap table is added over the factors with a canonical value when some rows are canonical in all of them;
    every image is its own cluster (a table names no objects).
    """
    table = factors.table
    criteria: list = [TopOne(table.labels)]
    if factors.acceptable is not None:
        criteria.append(AcceptableLabels(factors.acceptable))
    hierarchy = None
    if factors.hierarchy_name is not None:
        name = factors.hierarchy_name
        hierarchy = Hierarchy(name, factors.hierarchy_names, factors.class_hierarchy)
        criteria.append(
            SameGroup(
                factors.class_hierarchy,
                factors.hierarchy,
                name=name if name not in ("class", "acceptable") else f"same_{name}",
                label=f"same {name}",
                description=f"A prediction is correct when its class has the image's {name}.",
            )
        )
    canonical = tuple(factor.name for factor in table.factors if has_canonical(factor))
    varies = table.varies(canonical)
    has_gaps = bool(canonical) and bool((~varies.any(axis=1)).any())
    notes = ()
    if has_gaps and len(canonical) < len(table.factors):
        notes = (f"The gap table varies the factors with a canonical value only: {', '.join(canonical)}.",)
    return AnalysisSpec(
        table=table,
        factor_names=factors.group_names,
        factor_mask=factors.group_mask,
        num_classes=factors.num_classes,
        criteria=tuple(criteria),
        universe=factors.sample_universe(),
        title=title or f"Factor analysis of {factors.source.name}",
        hierarchy=hierarchy,
        class_names=factors.class_names,
        gaps=GapSetup(np.arange(len(table)), factors=canonical) if has_gaps else None,
        varies=varies,
        notes=notes,
    )


def rendered_spec(
    folder: Path,
    split: str | None = None,
    title: str | None = None,
    designs: tuple[str, ...] | None = None,
    label_space: LabelSpaceName = "dataset",
    sample_ids: Sequence[str] | None = None,
) -> AnalysisSpec:
    """The analysis of a rendered dataset: each factor "varies from canonical", top-1, and the gap table.

    Args:
        folder: A dataset written by `fovkit render run` (its shards are verified as they are read).
        split: Only the rows of this split (`train` or `held_out`); all rows by default.
        title: Title of the report.
        designs: Only the rows of these designs (`single`, `paired`, `all`); all rows by default.
        label_space: What the predicted classes are: `dataset`, the dataset's own labels (a model trained on its
            classes), or `imagenet-1k`, ImageNet-1k indices (a pretrained ImageNet classifier, untrained here): a
            prediction is then right when it is one of the ImageNet classes that show the object's class
            (`fovkit.render.imagenet`), and the classes without one are left out.
        sample_ids: Only these rows (e.g. the distinct held-out images a probe evaluated); all rows by default.

    """
    from fovkit.render.store import SPLITS, RenderedDataset, object_ids

    if label_space not in LABEL_SPACES:
        raise InputError(
            f"unknown label space {label_space!r}; choose one of {list(LABEL_SPACES)}", field="label_space"
        )
    dataset = RenderedDataset.open(folder)
    table = dataset.factor_table()
    every_id = table.frame["sample_id"].astype(str).to_numpy()
    if split is not None:
        if split not in SPLITS:
            raise InputError(f"unknown split {split!r}; the splits are {list(SPLITS)}", field="split")
        table = table.subset(table.frame["split"].to_numpy() == split)
    if designs is not None:
        unknown = sorted(set(designs) - set(dataset.config.designs))
        if unknown:
            raise InputError(
                f"unknown designs {unknown}; this dataset's designs are {list(dataset.config.designs)}", field="designs"
            )
        table = table.subset(table.frame["design"].isin(designs).to_numpy())
    if sample_ids is not None:
        wanted = pd.Index(sample_ids).astype(str)
        unknown = wanted.difference(pd.Index(table.frame["sample_id"].astype(str)))
        if len(unknown):
            raise InputError(
                f"{len(unknown)} sample ids are not among the selected rows: {preview(unknown.tolist())}",
                path=folder,
                field="sample_ids",
            )
        table = table.subset(table.frame["sample_id"].astype(str).isin(wanted).to_numpy())
    class_names = tuple(dataset.class_names)
    criterion, prediction_classes, notes = TopOne(table.labels), None, ()
    if label_space == "imagenet-1k":
        table, criterion, notes = _imagenet_scoring(table, class_names, folder)
        prediction_classes = IMAGENET_CLASSES
    frame = table.frame.assign(sample_id=table.frame["sample_id"].astype(str))
    table = FactorTable(frame, table.factors, table.source)
    gap_designs = RENDER_GAP_DESIGNS if set(RENDER_GAP_DESIGNS) <= set(frame["design"]) else None
    return AnalysisSpec(
        table=table,
        factor_names=tuple(table.factor_names),
        factor_mask=table.varies(),
        num_classes=len(class_names),
        criteria=(criterion,),
        universe=SampleUniverse(
            target=table.sample_ids,
            description=f"the rendered dataset {Path(folder).name}" + (f" ({split} split)" if split else ""),
            is_known_extra=lambda ids: np.isin(ids, every_id),
        ),
        title=title or f"Factor analysis of the rendered dataset {Path(folder).name}",
        class_names=class_names,
        gaps=GapSetup(object_ids(frame), gap_designs),
        notes=notes,
        prediction_classes=prediction_classes,
    )


def _imagenet_scoring(
    table: FactorTable, class_names: tuple[str, ...], folder: Path
) -> tuple[FactorTable, AcceptableLabels, tuple[str, ...]]:
    """The rows of classes with ImageNet counterparts and the criterion "one of the class's ImageNet classes"."""
    lists = imagenet_lists(class_names)
    mapped = (lists >= 0).any(axis=1)
    if not mapped.any():
        raise InputError(
            f"none of the dataset's classes ({', '.join(class_names)}) has an ImageNet-1k counterpart, so ImageNet "
            f"predictions cannot be scored on it; classes that have one: {', '.join(sorted(CATALOG_IMAGENET))}",
            path=folder,
            field="label_space",
        )
    table = table.subset(mapped[table.labels])
    criterion = AcceptableLabels(
        lists[table.labels],
        name="imagenet",
        label="ImageNet classes of the object",
        description="A prediction is correct when it is one of the ImageNet-1k classes that show the object's class "
        "(a bottle: beer, wine, water, pop or pill bottle).",
    )
    left_out = [name for name, has in zip(class_names, mapped, strict=True) if not has]
    notes = (
        "Predictions are ImageNet-1k classes, scored against the ImageNet classes of each rendered class "
        f"({', '.join(f'{name}: {len(CATALOG_IMAGENET[name])}' for name in class_names if name in CATALOG_IMAGENET)})"
        + (f"; left out, no ImageNet counterpart: {', '.join(left_out)}." if left_out else "."),
    )
    return table, criterion, notes


def corrupted_spec(
    folder: Path,
    split: str | None = None,
    title: str | None = None,
    designs: tuple[str, ...] | None = None,
    label_space: LabelSpaceName = "dataset",
) -> AnalysisSpec:
    """The analysis of a corrupted dataset (`fovkit corrupt`): a group per corruption and per severity, and gaps.

    The source's own factors keep their groups; the gap table (relative to clean images) is there when the clean
    images were kept.

    Args:
        folder: A dataset written by `fovkit corrupt`.
        split: Only the rows of this split (a rendered source's `train` or `held_out`).
        title: Title of the report.
        designs: Only the rows of these designs (a rendered source's `single`, `paired`, `all`).
        label_space: `imagenet-1k` scores ImageNet-1k predictions on a rendered source's classes (see
            `rendered_spec`); a source of ImageNet class folders is in ImageNet-1k labels already.

    """
    from fovkit.corruptions.dataset import CATEGORICAL_COLUMNS, CLEAN, INT32_COLUMNS, KIND, SOURCE_ID
    from fovkit.render.store import object_ids
    from fovkit.store.loader import ShardedDataset
    from fovkit.tables.factor_groups import read_factor

    dataset = ShardedDataset.open(folder, kind=KIND)
    dataset = ShardedDataset(folder, dataset.manifest, dataset.fix, CATEGORICAL_COLUMNS, INT32_COLUMNS)
    classes = dataset.manifest.get("classes") or {}
    if "label" not in dataset.schema.names or not isinstance(classes, dict) or classes.get("space") is None:
        raise InputError(
            "the corrupted images have no labels (their source was a flat folder of images), so predictions cannot "
            "be scored; corrupt a dataset or a folder of class folders",
            path=folder,
        )
    source = dataset.manifest.get("source")
    source_kind = source.get("kind") if isinstance(source, dict) else None
    frame = dataset.samples()
    every_id = frame["sample_id"].astype(str).to_numpy()
    keep = np.ones(len(frame), dtype=bool)
    for column, wanted in (("split", [split] if split else None), ("design", list(designs) if designs else None)):
        if wanted is None:
            continue
        if column not in frame.columns:
            raise InputError(f"--{column} applies to a rendered source; this one has no {column} column", path=folder)
        unknown = sorted(set(wanted) - set(frame[column].astype(str)))
        if unknown:
            raise InputError(f"no rows with {column} {unknown}", path=folder, field=column)
        keep &= frame[column].astype(str).isin(wanted).to_numpy()
    frame = frame.loc[keep].drop(columns=["shard", "row"]).reset_index(drop=True)
    frame["sample_id"] = frame["sample_id"].astype(str)
    frame["corruption"] = frame["corruption"].astype(str)
    table = FactorTable(frame, dataset.manifest.factors, str(folder))
    names = tuple(classes.get("names") or ())
    criterion, prediction_classes, notes = TopOne(table.labels), None, ()
    num_classes = len(names)
    if classes["space"] == "imagenet-1k":
        num_classes, names = IMAGENET_CLASSES, None
    elif label_space == "imagenet-1k":
        table, criterion, notes = _imagenet_scoring(table, names, folder)
        prediction_classes = IMAGENET_CLASSES
    frame = table.frame
    source_factors = [spec.name for spec in table.factors if spec.name not in ("corruption", "severity")]
    levels = {
        "corruption": (frame["corruption"].to_numpy(dtype=object), CLEAN),
        "severity": (frame["severity"].to_numpy(dtype=np.int64), 0),
        CORRUPTION_SEVERITY: (
            (frame["corruption"].astype(str) + "/" + frame["severity"].astype(str)).to_numpy(dtype=object),
            f"{CLEAN}/0",
        ),
    }
    groups = [
        read_factor(pa.array(values), column, 10, canonical, folder)
        for column, (values, canonical) in levels.items()
        if len(np.unique(values)) > 1
    ]
    factor_names = (*source_factors, *(name for group in groups for name in group.group_names))
    mask = np.concatenate(
        [table.varies(source_factors) if source_factors else np.zeros((len(frame), 0), bool)]
        + [group.group_mask for group in groups],
        axis=1,
    )
    has_clean = bool((frame["corruption"] == CLEAN).any())
    clusters = (
        object_ids(frame) if {"label", "instance"} <= set(frame.columns) else frame[SOURCE_ID].astype(str).to_numpy()
    )
    gap_designs = (
        RENDER_GAP_DESIGNS if "design" in frame.columns and set(RENDER_GAP_DESIGNS) <= set(frame["design"]) else None
    )
    return AnalysisSpec(
        table=table,
        factor_names=factor_names,
        factor_mask=mask,
        num_classes=max(num_classes, int(table.labels.max()) + 1 if len(table) else 1),
        criteria=(criterion,),
        universe=SampleUniverse(
            target=table.sample_ids,
            description=f"the corrupted dataset {Path(folder).name}",
            is_known_extra=lambda ids: np.isin(ids, every_id),
        ),
        title=title or f"Corruption analysis of {Path(folder).name}",
        class_names=names or None,
        gaps=GapSetup(clusters, gap_designs) if has_clean else None,
        varies=table.varies(),
        notes=notes,
        prediction_classes=prediction_classes,
        corruption_baseline="alexnet" if source_kind == "imagenet-val" else "none",
    )
