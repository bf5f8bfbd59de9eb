"""Matplotlib figures of factor metrics (the ImageNet-X paper's plots), as pure functions of result tables."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import wraps
from typing import ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

P = ParamSpec("P")

ALL_MODELS = "all models"
UNGROUPED = "ungrouped"
WORST_K_CLASSES = re.compile(r"^worst_\d+_classes$")
SPECIAL_ACCURACY_COLUMNS = ("worst_factor", "average")

DPI = 120
"""Pixels per inch of the saved PNGs; the page shows them at their natural size (one PNG pixel per CSS pixel)."""
FULL_WIDTH = 9.8
"""Width (inches) of a figure that spans the page's text column: 1,176 px at `DPI`, never scaled down at 1280 px."""
HALF_WIDTH = 4.8
"""Width (inches) of a figure shown beside another one."""
SIDE_BY_SIDE_HEIGHT = 6.4
"""Height (inches) of the two half-width figures shown side by side."""
ANNOTATION_SIZE = 8.0
"""Font size (points) of the numbers written into heatmap cells."""

STYLE: dict[str, object] = {
    "font.size": 10,
    "axes.titlesize": 11.5,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9.5,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "text.hinting": "no_hinting",  # the auto-hinter runs per glyph: slow on heatmaps full of numbers, no sharper
    "svg.hashsalt": "fovkit",
    "svg.fonttype": "none",
}
"""rcParams applied while a figure is built and saved, so plots never depend on (or change) the global style.

Sizes are chosen for figures shown at 1:1 (`DPI` pixels per inch): 9.5 pt tick labels are 16 px on the page.
"""


def _styled(build: Callable[P, Figure]) -> Callable[P, Figure]:
    """Build the figure inside `STYLE` without touching the global rcParams."""

    @wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with mpl.rc_context(STYLE):
            return build(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float) -> Figure:
    """Create a Figure on an Agg canvas that pyplot never sees (nothing to close, no global figure registry).

    The width is capped at `FULL_WIDTH`, so the page never has to shrink a figure (and its labels) to fit.
    """
    figure = Figure(figsize=(min(width, FULL_WIDTH), height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _require_rows(frame: pd.DataFrame, name: str) -> None:
    if len(frame) == 0:
        raise ValueError(f"{name} has no rows; there is nothing to plot (skip the plot when no model was scored)")


@_styled
def error_ratio_bars(
    error_ratios: pd.DataFrame, groups: pd.Series | None = None, significant: pd.Series | None = None
) -> Figure:
    """Mean error ratio per factor and model group, bars grouped by factor (ImageNet-X Figure 1b).

    Error ratio = (1 - factor accuracy) / (1 - overall accuracy); 1.0 (dashed) means the factor is no harder than
    the dataset as a whole. Whiskers are the standard error of the mean over a group's models.

    Args:
        error_ratios: Index = model, columns = factors; NaN entries are left out of the means.
        groups: Group name per model (index = model); models missing from it form the group "ungrouped".
            None puts every model in one group, "all models".
        significant: Whether the between-group test of each factor is significant (index = factor). Bars of
            factors with False are faded; factors missing from it, or None, are drawn opaque.

    Returns:
        The figure; factors are sorted by their mean error ratio over all models, highest first.

    """
    _require_rows(error_ratios, "error_ratios")
    error_ratios = _finite(error_ratios)
    model_group = _model_groups(error_ratios.index, groups)
    names = _group_order(model_group)
    order = error_ratios.mean(axis=0, skipna=True).sort_values(ascending=False, na_position="last").index
    ratios = error_ratios[order]
    means = ratios.groupby(model_group.to_numpy(), sort=False).mean().reindex(names)
    errors = ratios.groupby(model_group.to_numpy(), sort=False).sem().reindex(names)
    sizes = model_group.value_counts().reindex(names)
    faded = (
        pd.Series(False, index=order)
        if significant is None
        else ~significant.reindex(order).astype("boolean").fillna(True).astype(bool)
    )

    figure = new_figure(FULL_WIDTH, 4.4)
    axes = figure.add_subplot()
    colors = _palette(len(names))
    width = 0.8 / len(names)
    positions = np.arange(len(order))
    for rank, name in enumerate(names):
        offsets = positions - 0.4 + width * (rank + 0.5)
        values, error = means.loc[name].to_numpy(dtype=float), errors.loc[name].to_numpy(dtype=float)
        for alpha, chosen in ((1.0, ~faded.to_numpy()), (0.3, faded.to_numpy())):
            drawn = chosen & np.isfinite(values)
            if drawn.any():
                axes.bar(offsets[drawn], values[drawn], width=width, color=colors[rank], alpha=alpha, linewidth=0)
            whiskers = drawn & np.isfinite(error)
            if whiskers.any():
                axes.errorbar(
                    offsets[whiskers],
                    values[whiskers],
                    yerr=error[whiskers],
                    fmt="none",
                    ecolor="0.25",
                    elinewidth=0.8,
                    capsize=1.5,
                    alpha=alpha,
                )
    axes.axhline(1.0, color="0.2", linestyle="--", linewidth=1)
    axes.set_xticks(positions, [str(factor).replace("_", " ") for factor in order], rotation=40, ha="right")
    axes.set_xlim(-0.6, len(order) - 0.4)
    axes.set_ylabel("error ratio  (1 - factor acc.) / (1 - overall acc.)")
    axes.yaxis.grid(True, color="0.9")
    axes.set_axisbelow(True)
    handles: list[Patch | Line2D] = [
        Patch(color=colors[rank], label=f"{name} ({sizes[name]})") for rank, name in enumerate(names)
    ]
    if significant is not None and faded.any():
        handles.append(Patch(facecolor="0.5", alpha=0.3, label="faded: no significant difference between groups"))
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), frameon=False)
    axes.set_title("Error ratio per factor" + (" by model group" if groups is not None else ""))
    return figure


@_styled
def factor_vs_overall_accuracy(factor_accuracies: pd.DataFrame) -> Figure:
    """Per-factor accuracy against overall accuracy, one point per model and factor (ImageNet-X Figure 4).

    Args:
        factor_accuracies: Index = model; factor columns plus `average` (the x axis), and optionally
            `worst_factor` and `worst_<k>_classes`, which get their own markers.

    Returns:
        The figure; the dashed line y = x is a model equally good on every factor.

    """
    _require_rows(factor_accuracies, "factor_accuracies")
    if "average" not in factor_accuracies.columns:
        raise ValueError(
            f"factor_accuracies needs an 'average' column (overall accuracy); got {list(factor_accuracies.columns)}"
        )
    special = [column for column in factor_accuracies.columns if WORST_K_CLASSES.match(str(column))]
    factors = [
        column
        for column in factor_accuracies.columns
        if column not in SPECIAL_ACCURACY_COLUMNS and column not in special
    ]
    if "worst_factor" in factor_accuracies.columns:
        special.insert(0, "worst_factor")
    overall = factor_accuracies["average"].to_numpy(dtype=np.float64)

    figure = new_figure(HALF_WIDTH, SIDE_BY_SIDE_HEIGHT)
    axes = figure.add_subplot()
    colors = _palette(len(factors))
    size = 22 if len(factor_accuracies) <= 50 else 10
    for rank, factor in enumerate(factors):
        axes.scatter(
            overall,
            factor_accuracies[factor],
            s=size,
            color=colors[rank],
            alpha=0.85,
            linewidths=0,
            label=str(factor).replace("_", " "),
        )
    markers = ("X", "D", "s", "^")
    for rank, column in enumerate(special):
        axes.scatter(
            overall,
            factor_accuracies[column],
            s=size * 1.6,
            marker=markers[rank % len(markers)],
            facecolor="none" if rank else "black",
            edgecolor="black",
            linewidths=0.9,
            label=str(column).replace("_", " "),
        )
    values = factor_accuracies[[*factors, *special, "average"]].to_numpy(dtype=np.float64)
    low, high = _limits(values)
    axes.plot([low, high], [low, high], linestyle="--", color="0.3", linewidth=1, label="y = x")
    axes.set_xlim(low, high)
    axes.set_ylim(low, high)
    axes.set_aspect("equal")
    axes.set_xlabel("overall accuracy")
    axes.set_ylabel("accuracy on images where the factor varies")
    axes.grid(True, color="0.92")
    axes.set_axisbelow(True)
    figure.legend(
        *axes.get_legend_handles_labels(),
        loc="outside lower center",
        ncols=3,
        frameon=False,
        markerscale=1.3,
        handletextpad=0.2,
        columnspacing=0.8,
    )
    count = len(factor_accuracies)
    axes.set_title(f"Factor vs overall accuracy ({count} model{'s' if count != 1 else ''})")
    return figure


@_styled
def metaclass_factor_heatmap(
    metaclass_error_ratios: pd.DataFrame,
    level: str = "metaclass",
    counts: pd.DataFrame | None = None,
    min_count: int = 30,
) -> Figure:
    """Meta-label x factor heatmap of error ratios averaged over models; red is harder than the meta-label overall.

    Args:
        metaclass_error_ratios: MultiIndex (model, meta-label), columns = factors.
        level: Name of the index level holding the meta-label.
        counts: Images per meta-label x factor cell; cells with fewer than `min_count` are left blank, since a
            ratio from a handful of images (0.00 or 8.00) says nothing and would dominate the colours.
        min_count: Smallest cell shown.

    Returns:
        The figure; cells are annotated, NaN cells (a factor never occurring in a meta-label) are blank. The colour
        scale is centred at 1 and saturates at 2.

    """
    _require_rows(metaclass_error_ratios, "metaclass_error_ratios")
    metaclass_error_ratios = _finite(metaclass_error_ratios)
    labels = metaclass_error_ratios.index.get_level_values(level)
    mean = metaclass_error_ratios.groupby(labels, sort=False).mean()
    n_models = metaclass_error_ratios.index.droplevel(level).nunique()
    if counts is not None:
        mean = mean.where(counts.reindex(index=mean.index, columns=mean.columns).fillna(0) >= min_count)
    values = mean.to_numpy(dtype=np.float64)

    figure = new_figure(FULL_WIDTH, max(4.0, 0.3 * values.shape[0] + 2.4))
    axes = figure.add_subplot()
    norm = TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=2.0)
    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="white")
    image = axes.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    annotate_cells(axes, values, cmap, norm, "{:.2f}")
    axes.set_xticks(range(values.shape[1]), [str(c).replace("_", " ") for c in mean.columns], rotation=40, ha="right")
    axes.set_yticks(range(values.shape[0]), [str(i).replace("_", " ") for i in mean.index])
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    colorbar = figure.colorbar(image, ax=axes, extend="max", shrink=0.8, pad=0.01)
    colorbar.set_label("error ratio (1 = as hard as the meta-label overall)")
    small = "" if counts is None else f"; blank: fewer than {min_count} images"
    axes.set_title(f"Error ratio by meta-label and factor (mean over {n_models} models{small})")
    return figure


@_styled
def prevalence_shift_bars(prevalence_shift: pd.DataFrame) -> Figure:
    """How much more (or less) often each factor appears among mistakes than overall (ImageNet-X Figure 12).

    Args:
        prevalence_shift: Index = model, columns = factors; +1.0 means twice as frequent among mistakes.

    Returns:
        Horizontal bars of the mean shift over models, sorted; whiskers span the models' first to third quartile.

    """
    _require_rows(prevalence_shift, "prevalence_shift")
    prevalence_shift = _finite(prevalence_shift)
    mean = prevalence_shift.mean(axis=0, skipna=True).dropna().sort_values()
    low = prevalence_shift[mean.index].quantile(0.25) if len(prevalence_shift) > 1 else None
    high = prevalence_shift[mean.index].quantile(0.75) if len(prevalence_shift) > 1 else None

    figure = new_figure(HALF_WIDTH, SIDE_BY_SIDE_HEIGHT)
    axes = figure.add_subplot()
    colors = np.where(mean.to_numpy() > 0, "#c0392b", "#2e6da4")
    positions = np.arange(len(mean))
    axes.barh(positions, mean.to_numpy(), color=colors, height=0.7)
    if low is not None and high is not None:
        axes.errorbar(
            mean.to_numpy(),
            positions,
            xerr=np.clip(np.vstack([mean - low, high - mean]), 0, None),
            fmt="none",
            ecolor="0.3",
            elinewidth=0.8,
            capsize=2,
        )
    axes.axvline(0.0, color="0.2", linewidth=0.8)
    axes.set_yticks(positions, [str(factor).replace("_", " ") for factor in mean.index])
    axes.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda value, _: f"{value:+.0%}"))
    axes.set_xlabel("prevalence among mistakes vs overall")
    axes.xaxis.grid(True, color="0.9")
    axes.set_axisbelow(True)
    n_models = len(prevalence_shift)
    suffix = f"mean of {n_models} models; whiskers: quartiles" if n_models > 1 else str(prevalence_shift.index[0])
    axes.set_title(f"Prevalence shift among mistakes\n({suffix})")
    return figure


@_styled
def correlation_heatmap(
    correlation: pd.DataFrame, pvalue: pd.DataFrame, factors: Sequence[str], alpha: float = 0.05
) -> Figure:
    """Spearman correlations meta-label/factor (top) and factor/factor (bottom), only where p <= alpha (Figure 8).

    Args:
        correlation: Square matrix of Spearman rho over `factors` and the other columns (meta-labels).
        pvalue: Two-sided p-values, same labels as `correlation`.
        factors: The factor columns; every other column of `correlation` is treated as a meta-label.
        alpha: Cells with a p-value above it (or NaN) are left blank.

    Returns:
        The figure with two heatmaps sharing one colour scale; annotations are rho x 100.

    """
    _require_rows(correlation, "correlation")
    factors = [factor for factor in factors if factor in correlation.index]
    if not factors:
        raise ValueError(f"none of the factors {list(factors)} is a row of the correlation matrix")
    others = [column for column in correlation.columns if column not in factors]
    shown = correlation.where(pvalue.reindex_like(correlation) <= alpha)
    diagonal = np.eye(len(factors), dtype=bool)
    blocks = [
        ("meta-label / factor", others, shown.loc[others, factors].to_numpy(dtype=np.float64)),
        (
            "factor / factor",
            factors,
            np.where(diagonal, np.nan, shown.loc[factors, factors].to_numpy(dtype=np.float64)),
        ),
    ]
    blocks = [block for block in blocks if block[2].size]
    finite = np.concatenate([np.abs(values[np.isfinite(values)]) for *_, values in blocks] + [np.array([0.05])])
    limit = float(min(1.0, np.max(finite)))
    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="white")
    norm = mpl.colors.Normalize(-limit, limit)
    text_norm = mpl.colors.Normalize(-100 * limit, 100 * limit)

    heights = [len(rows) for _, rows, _ in blocks]
    figure = new_figure(FULL_WIDTH, 0.26 * sum(heights) + 2.4)
    grid = figure.add_gridspec(len(blocks), 1, height_ratios=heights)
    image = None
    for position, (title, rows, values) in enumerate(blocks):
        axes = figure.add_subplot(grid[position, 0])
        image = axes.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
        annotate_cells(axes, values * 100, cmap, text_norm, "{:.0f}", fontsize=ANNOTATION_SIZE - 0.5)
        last = position == len(blocks) - 1
        labels = [str(factor).replace("_", " ") for factor in factors] if last else []
        axes.set_xticks(range(len(factors)), labels, rotation=40, ha="right")
        axes.set_yticks(range(len(rows)), [str(row).replace("_", " ") for row in rows])
        axes.tick_params(length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        axes.set_title(title, loc="left")
    if image is not None:
        colorbar = figure.colorbar(image, ax=figure.axes, shrink=0.5, pad=0.01)
        colorbar.set_label(f"Spearman rho (blank: p > {alpha:g})")
    figure.suptitle("Spearman correlations between annotations (cells: rho x 100)")
    return figure


def _finite(frame: pd.DataFrame) -> pd.DataFrame:
    """Treat +-inf (e.g. an error ratio of a model without mistakes) as missing, like NaN."""
    return frame.replace([np.inf, -np.inf], np.nan)


def _model_groups(models: pd.Index, groups: pd.Series | None) -> pd.Series:
    """Group name of every model: `groups` where given, `UNGROUPED` otherwise; `ALL_MODELS` without groups."""
    if groups is None:
        return pd.Series(ALL_MODELS, index=models, dtype=object)
    named = groups.reindex(models).astype(object)
    return named.where(named.notna(), UNGROUPED).astype(str)


def _group_order(model_group: pd.Series) -> list[str]:
    """Sorted group names, with `UNGROUPED` last."""
    names = sorted(set(model_group) - {UNGROUPED})
    return [*names, UNGROUPED] if UNGROUPED in set(model_group) else names


def _palette(n: int) -> list[tuple[float, float, float, float]]:
    """Return n distinct colours: tab10 up to ten, tab20 up to twenty, then an evenly sampled continuous map."""
    if n <= 10:
        return [mpl.colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        tab20 = mpl.colormaps["tab20"]
        order = [*range(0, 20, 2), *range(1, 20, 2)]
        return [tab20(order[i]) for i in range(n)]
    return [mpl.colormaps["turbo"](x) for x in np.linspace(0.05, 0.95, n)]


def _limits(values: np.ndarray) -> tuple[float, float]:
    """Square axis limits that hold every finite value with a small margin, within [0, 1]."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    margin = max(0.02, 0.05 * (high - low))
    return max(0.0, low - margin), min(1.0, high + margin)


def relative_luminance(color: object) -> float:
    """WCAG 2 relative luminance of a Matplotlib colour: 0 for black, 1 for white."""
    channels = np.asarray(mpl.colors.to_rgb(color), dtype=np.float64)
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def contrast_ratio(first: object, second: object) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_color(background: object) -> str:
    """Black or white, whichever contrasts more with `background` (e.g. a heatmap cell's colour)."""
    return "black" if contrast_ratio(background, "black") >= contrast_ratio(background, "white") else "white"


def annotate_cells(
    axes: mpl.axes.Axes,
    values: np.ndarray,
    cmap: mpl.colors.Colormap,
    norm: mpl.colors.Normalize,
    template: str,
    fontsize: float = ANNOTATION_SIZE,
) -> None:
    """Write each finite cell value of an `imshow` heatmap in black or white, chosen by the cell's luminance."""
    for row, column in zip(*np.nonzero(np.isfinite(values)), strict=True):
        value = values[row, column]
        axes.text(
            column,
            row,
            template.format(value),
            ha="center",
            va="center",
            fontsize=fontsize,
            color=text_color(cmap(norm(value))),
            in_layout=False,
        )
