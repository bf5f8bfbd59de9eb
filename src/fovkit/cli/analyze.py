"""`fovkit analyze`: the full factor analysis of prediction files on any factor-labelled images."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fovkit.cli.options import (
    Bootstrap,
    BootstrapSeed,
    ConfigFile,
    FileNames,
    ModelGroups,
    Overwrite,
    Quiet,
    ShiftScores,
    Svg,
    Workers,
)
from fovkit.errors import InputError

if TYPE_CHECKING:
    from fovkit.analysis.config import AnalyzeConfig

FLAGS = {
    "id_column": "--id-column",
    "label_column": "--label-column",
    "factor_columns": "--factor-column",
    "group_column": "--group-column",
    "acceptable_column": "--acceptable-column",
    "num_classes": "--num-classes",
    "numeric_bins": "--numeric-bins",
    "canonical": "--canonical",
    "split": "--split",
    "designs": "--design",
    "title": "--title",
    "label_space": "--label-space",
    "baseline_model": "--baseline-model",
    "bootstrap": "--bootstrap",
    "seed": "--seed",
}
"""The config field each option sets (their defaults and errors come from `AnalyzeConfig`)."""


def config_class() -> type[AnalyzeConfig]:
    """The command's config class (imported on use)."""
    from fovkit.analysis.config import AnalyzeConfig

    return AnalyzeConfig


def analyze(
    predictions: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Prediction files or folders, one model per file (column file_name = the table's ids): "
            "CSV/Parquet, NPY/NPZ logits, pickles.",
            show_default=False,
        ),
    ] = None,
    factors: Annotated[
        Path,
        typer.Option(
            metavar="TABLE",
            help="Factor table (CSV, CSV.GZ or Parquet: an id column, a label column, factor columns) or a "
            "rendered dataset folder.",
            show_default=False,
        ),
    ] = ...,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FOLDER", help="Output folder (must be new or empty).")
    ] = Path("results/analysis"),
    id_column: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Column of image ids. Default: the first of file_name, id, sample_id."),
    ] = None,
    label_column: Annotated[str | None, typer.Option(metavar="NAME", help="Column of true labels.")] = None,
    factor_column: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME", help="A factor column (repeatable). Default: every other column."),
    ] = None,
    group_column: Annotated[
        str | None, typer.Option(metavar="NAME", help="Column of class groups, such as meta-labels.")
    ] = None,
    acceptable_column: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Column of acceptable-label lists (';'-separated in CSV), like ReaL."),
    ] = None,
    classes: Annotated[
        Path | None,
        typer.Option(metavar="TXT", help="Class names, one per line (line i = class id i); labels may be names."),
    ] = None,
    num_classes: Annotated[
        int | None,
        typer.Option(metavar="N", help="Number of classes without --classes. Default: the largest label + 1."),
    ] = None,
    numeric_bins: Annotated[int | None, typer.Option(metavar="N", help="Quantile bins of numeric factors.")] = None,
    canonical: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FACTOR=VALUE",
            help="Canonical value of a factor (repeatable; binary factors are canonical at 0). Factors with one "
            "define the gap table.",
        ),
    ] = None,
    split: Annotated[
        str | None, typer.Option(metavar="SPLIT", help="Rendered datasets: only train or held_out rows. Default: both.")
    ] = None,
    design: Annotated[
        list[str] | None,
        typer.Option(metavar="DESIGN", help="Rendered datasets: only rows of this design (repeatable). Default: all."),
    ] = None,
    title: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Title of the report. Default: from the table's file name.")
    ] = None,
    label_space: Annotated[
        str | None,
        typer.Option(
            metavar="SPACE",
            help="Rendered datasets: 'imagenet-1k' when the predictions are ImageNet classes (a pretrained ImageNet "
            "classifier, e.g. from fovkit predict fovkit:efficientnet_lite0): right means one of the object class's "
            "ImageNet counterparts. Default: the dataset's own labels.",
        ),
    ] = None,
    baseline_model: Annotated[
        str | None,
        typer.Option(
            metavar="MODEL",
            help="Corrupted datasets: the analysed model whose errors normalise CE and mCE, or none. Default: "
            "AlexNet's published ImageNet-C errors when the source was ImageNet val, else none.",
        ),
    ] = None,
    groups: ModelGroups = None,
    shift_scores: ShiftScores = None,
    file_names: FileNames = None,
    bootstrap: Bootstrap = None,
    seed: BootstrapSeed = None,
    config: ConfigFile = None,
    workers: Workers = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
    svg: Svg = False,
) -> None:
    """Analyse models on the factors of any labelled images and write tables, plots and an HTML report."""
    from fovkit.cli.imagenetx import print_summary
    from fovkit.configs import load_config
    from fovkit.jobs.analyze import run_analyze

    settings = load_config(
        config_class(),
        config,
        FLAGS,
        id_column=id_column,
        label_column=label_column,
        factor_columns=tuple(factor_column) if factor_column else None,
        group_column=group_column,
        acceptable_column=acceptable_column,
        num_classes=num_classes,
        numeric_bins=numeric_bins,
        canonical=canonical_values(canonical) if canonical else None,
        split=split,
        designs=tuple(design) if design else None,
        title=title,
        label_space=label_space,
        baseline_model=baseline_model,
        bootstrap=bootstrap,
        seed=seed,
    )
    run = run_analyze(
        factors,
        predictions or [],
        out,
        settings,
        classes,
        groups,
        shift_scores,
        file_names,
        overwrite,
        workers,
        progress=not quiet,
        svg=svg,
    )
    print_summary(run, title="Factor analysis summary")


def canonical_values(pairs: list[str]) -> dict[str, str]:
    """`{factor: value}` from `FACTOR=VALUE` options; a pair without `=` or a factor given twice is refused."""
    values: dict[str, str] = {}
    for pair in pairs:
        factor, sign, value = pair.partition("=")
        if not sign or not factor.strip():
            raise InputError(f"expected FACTOR=VALUE, got {pair!r}", field="--canonical")
        if factor.strip() in values:
            raise InputError(f"factor {factor.strip()!r} is given twice", field="--canonical")
        values[factor.strip()] = value.strip()
    return values
