"""Linear probe: multinomial logistic regression on frozen features, weight decay chosen on a validation split."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from fovkit import seeding
from fovkit.errors import InputError, preview
from fovkit.protocols.devices import device_name, resolve_device

DEFAULT_WEIGHT_DECAYS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
PRECISIONS = ("float32", "bfloat16")
_CHUNK = 2048  # rows per chunk when standardising or predicting (cache-sized)
_COVARIANCE_ROWS = 8192  # evenly spaced rows whose second moment preconditions the solver
_CURVATURE_ROWS = 8192  # about this many evenly spaced rows estimate the softmax curvature
_MEMORY = 10  # L-BFGS curvature pairs
_FLATNESS = 0.1  # accept a step where the slope along the line has dropped below this share of its initial value
_LINE_SEARCH_EVALS = 30


def sklearn_C(weight_decay: float, n_samples: int) -> float:
    """scikit-learn's `C` for the probe's objective.

    The probe minimises mean cross-entropy + weight_decay / 2 * ||W||^2; scikit-learn's `LogisticRegression`
    minimises C * sum of cross-entropies + 1/2 * ||W||^2, the same minimiser when C = 1 / (weight_decay * n).

    Args:
        weight_decay: The probe's weight decay (> 0).
        n_samples: Number of training samples.

    """
    return 1.0 / (weight_decay * n_samples)


def validation_split(
    labels: np.ndarray, validation_fraction: float, seed: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """Seeded validation rows: about `validation_fraction` of each class, or of each class's groups when given.

    With `groups` (e.g. object instances) whole groups are held out, so validation measures unseen instances; each
    group counts towards the class most of its rows carry (ties: the first class). Every class owns at least one
    unit on each side of the split, so it has rows on both sides.

    Args:
        labels: (N,) class values.
        validation_fraction: Share of each class (or of its groups) to hold out, in (0, 1).
        seed: Seed of the split; the same inputs and seed give the same split.
        groups: Optional (N,) group ids.

    Returns:
        (N,) boolean mask, True for validation rows.

    Raises:
        InputError: If a class has fewer than 2 samples (without groups) or is the majority class of fewer than
            2 groups.

    """
    classes, codes = np.unique(np.asarray(labels), return_inverse=True)
    n_classes = len(classes)
    if groups is None:  # the units held out are rows
        unit_of_row, owner, unit_name = np.arange(len(codes)), codes, "samples"
    else:  # the units are groups, each owned by the class most of its rows carry (ties: the first class)
        _, unit_of_row = np.unique(np.asarray(groups), return_inverse=True)
        pairs, counts = np.unique(unit_of_row * n_classes + codes, return_counts=True)
        pairs = pairs[np.lexsort((-counts, pairs // n_classes))]
        first = np.r_[True, np.diff(pairs // n_classes) > 0]
        owner = pairs[first] % n_classes
        unit_name = "groups"
    rng = seeding.rng(seed, "linear_probe", "validation_split")
    held = np.zeros(len(owner), dtype=bool)
    for index, value in enumerate(classes.tolist()):
        members = np.flatnonzero(owner == index)
        if len(members) < 2:
            count = f"{len(members)} {unit_name[:-1] if len(members) == 1 else unit_name}"
            if groups is not None and len(members) == 0:
                count += " (its rows all sit in groups where another class is the majority)"
            raise InputError(
                f"class {value!r} has {count}; the validation split needs at least 2 {unit_name} per class (one to "
                "train on, one to validate); collect more, drop the class, or pass a single weight decay to skip "
                "the split",
                field="labels" if groups is None else "groups",
            )
        n_held = min(max(round(validation_fraction * len(members)), 1), len(members) - 1)
        held[rng.permutation(members)[:n_held]] = True
    mask = held[unit_of_row]
    return mask


@dataclass
class _Workspace:
    """(N x K) buffers reused by every iteration (and, as views of their first rows, by every fit of one call)."""

    logits: torch.Tensor
    trial: torch.Tensor
    probs: torch.Tensor
    step: torch.Tensor
    scratch: torch.Tensor
    product: torch.Tensor  # features @ direction in the matmul dtype, before the bias
    residual: torch.Tensor  # probs - onehot(labels) in the matmul dtype

    @classmethod
    def allocate(cls, n: int, k: int, dtype: torch.dtype, device: torch.device) -> _Workspace:
        """Buffers for up to n rows."""
        buffers = [torch.empty(n, k, device=device) for _ in range(5)]
        product = torch.empty(n, k, dtype=dtype, device=device)
        residual = buffers[2] if dtype == torch.float32 else torch.empty(n, k, dtype=dtype, device=device)  # alias
        return cls(*buffers, product, residual)

    def head(self, n: int) -> _Workspace:
        """The same buffers, limited to their first n rows (contiguous views)."""
        return _Workspace(*(buffer[:n] for buffer in vars(self).values()))


@dataclass
class _Design:
    """Standardised features in the matmul dtype, their labels and the solver's buffers."""

    features: torch.Tensor
    labels: torch.Tensor
    n_classes: int
    space: _Workspace
    targets: torch.Tensor = field(init=False)  # flat index of each row's true-class entry in an (N x K) buffer
    class_shares: torch.Tensor = field(init=False)
    curvature_stride: int = field(init=False)  # every this many rows estimate the class curvature

    def __post_init__(self) -> None:
        n = len(self.labels)
        self.targets = torch.arange(n, device=self.labels.device) * self.n_classes + self.labels
        self.class_shares = torch.bincount(self.labels, minlength=self.n_classes).float() / n
        self.curvature_stride = max(1, n // _CURVATURE_ROWS)

    def in_float32(self) -> _Design:
        """The same design with float32 features and products (a copy of the features)."""
        space = replace(self.space, product=torch.empty_like(self.space.logits), residual=self.space.probs)
        return _Design(self.features.float(), self.labels, self.n_classes, space)


@dataclass
class _Eigen:
    """Eigendecomposition of the features' second moment: the data factor of the Kronecker preconditioner."""

    values: torch.Tensor
    vectors: torch.Tensor


@dataclass
class _Fit:
    """Solver outcome in the standardised space: weights (D x K) and bias (K,) stacked as (D + 1) x K."""

    theta: torch.Tensor
    n_iter: int
    converged: bool


class LinearProbe:
    """Linear evaluation of frozen features: multinomial logistic regression, weight decay chosen on validation.

    The objective is mean cross-entropy + weight_decay / 2 * ||W||^2 (bias not decayed) on features standardised
    with the mean and standard deviation of the training rows (`mean_`, `scale_`; constant features keep scale 1),
    so one weight decay means the same whatever the features' units; `sklearn_C` gives scikit-learn's equivalent C
    for standardised features. With several weight decays, a seeded validation split (whole groups when `groups` is
    given, stratified by class otherwise) scores each decay along a warm-started path from the strongest to the
    weakest, and the best one (ties: the stronger) is refitted on all rows, warm-started from its path solution.

    Solver: full-batch L-BFGS whose initial inverse Hessian is Kronecker-factored (eigendecomposed second moment
    of the features (x) mean softmax curvature, plus the decay), a near-exact line search (Newton steps along the
    line: the logits are affine in the step length, so trials need no product with the features), and after each
    line search an exact Newton step on a scale per class's weights and the biases. Each iteration costs two
    (N x D x K) matrix products. It stops when the largest absolute gradient entry is below `tol`, scikit-learn's
    criterion on the same objective. Memory: a standardised copy of the features plus seven (N x K) buffers.

    Precision "bfloat16" stores the standardised features in bfloat16 (relative rounding <= 2^-9; the problem solved
    is the one on these rounded features) and runs the two large products per iteration in bfloat16 with float32
    accumulation; the logits are carried in float32 and moved along each search direction, rounded to bfloat16
    before use. If this rounding stops progress before `tol` (small N), the fit continues with float32 products on
    the same features. The default is float32 on every device, so the same call fits the same probe on every machine
    (up to float rounding); bfloat16 is used only when asked for.

    Args:
        weight_decays: Grid of weight decays (> 0); one value skips the validation split.
        validation_fraction: Share of each class (or of its groups) held out to choose the decay, in (0, 1).
        max_iter: Maximum L-BFGS iterations per fit.
        tol: Stop when the largest absolute entry of the objective's gradient (standardised space) is below it.
        seed: Seed of the validation split; 0 is a seed. The fit is deterministic for given inputs and seed.
        device: Torch device that runs the solver.
        precision: "float32" (default) or "bfloat16": dtype of the large matrix products (see above).

    Attributes:
        classes_: (K,) the class values, sorted; `predict` returns these.
        coef_: (K, D) weights in the original feature space (standardisation folded in).
        intercept_: (K,) biases in the original feature space, summing to zero.
        mean_: (D,) feature means of the rows of the final fit.
        scale_: (D,) feature standard deviations of those rows.
        weight_decay_: The chosen weight decay.
        validation_accuracy_: Weight decay -> validation accuracy, in fitting order; empty for a single decay.
        validation_n_iter_: Weight decay -> iterations on the training part of the split.
        n_iter_: Iterations of the final fit on all rows.
        converged_: Whether the final fit reached `tol` within `max_iter`.
        precision_: The precision used ("float32" or "bfloat16").
        device_: The torch device the solver ran on, resolved (e.g. "cpu", "cuda:0").
        n_features_in_: D.

    """

    def __init__(
        self,
        weight_decays: Sequence[float] = DEFAULT_WEIGHT_DECAYS,
        validation_fraction: float = 0.2,
        max_iter: int = 1000,
        tol: float = 1e-4,
        seed: int = 0,
        device: str = "cpu",
        precision: str = "float32",
    ) -> None:
        self.weight_decays = weight_decays
        self.validation_fraction = validation_fraction
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed
        self.device = device
        self.precision = precision

    def fit(
        self, features: np.ndarray | torch.Tensor, labels: np.ndarray | Sequence, groups: np.ndarray | None = None
    ) -> LinearProbe:
        """Choose the weight decay on a validation split, then fit on all rows with it.

        Args:
            features: (N, D) real-valued features (computed in float32).
            labels: (N,) class values (integers or strings); at least 2 classes.
            groups: Optional (N,) group ids (e.g. object instances): the validation split holds out whole groups.

        Returns:
            self

        """
        decays = self._check_params()
        device = resolve_device(self.device)
        x = _check_features(features, "features", finite=False)  # checked on the moment sums below
        values = _check_labels(labels, len(x))
        groups = None if groups is None else _check_groups(groups, len(x))
        self.classes_, codes = np.unique(values, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(
                f"expected at least 2 classes, got {len(self.classes_)}: {preview(self.classes_.tolist())}",
                field="labels",
            )
        dtype = torch.bfloat16 if self.precision == "bfloat16" else torch.float32
        self.precision_ = self.precision
        self.device_ = device_name(device)
        (n, n_features), n_classes = x.shape, len(self.classes_)
        y = torch.from_numpy(codes.astype(np.int64))
        store = torch.empty(n, n_features, dtype=dtype, device=device)  # standardised features, reused by each fit
        space = _Workspace.allocate(n, n_classes, dtype, device)
        shift = x[:: max(1, n // 1024)].mean(0)
        total = _moment_sums(x, shift)
        _check_finite(x, total[2], "features")
        self.validation_accuracy_, self.validation_n_iter_ = {}, {}
        start, eigen = torch.zeros(n_features + 1, n_classes, device=device), None
        prior = torch.bincount(y, minlength=n_classes).double().div(n).log()
        start[-1] = (prior - prior.mean()).float().to(device)  # the best bias at W = 0, summing to zero
        if len(decays) > 1:
            held = validation_split(values, self.validation_fraction, self.seed, groups)
            train, validation = torch.from_numpy(np.flatnonzero(~held)), torch.from_numpy(np.flatnonzero(held))
            held_sums = _moment_sums(x, shift, validation)
            mean, scale = _mean_scale(*(all_ - part for all_, part in zip(total, held_sums, strict=True)), shift)
            _standardise(x, mean, scale, store[: len(train)], train)
            design = _Design(store[: len(train)], y[train].to(device), n_classes, space.head(len(train)))
            val_x = _standardise(x, mean, scale, torch.empty(len(validation), n_features, device=device), validation)
            val_y = y[validation].to(device)
            eigen = _second_moment_eigen(design.features)
            theta, path = start, {}
            for decay in decays:  # strongest first, each fit warm-started from the previous one
                fit = _minimise(design, decay, theta, eigen, self.max_iter, self.tol)
                theta = path[decay] = fit.theta
                predicted = torch.addmm(theta[-1], val_x, theta[:-1]).argmax(1)
                self.validation_accuracy_[decay] = float((predicted == val_y).double().mean())
                self.validation_n_iter_[decay] = fit.n_iter
            best = max(self.validation_accuracy_.values())
            self.weight_decay_ = next(d for d, acc in self.validation_accuracy_.items() if acc == best)
            del design, val_x
        else:
            self.weight_decay_ = decays[0]
        final_mean, final_scale = _mean_scale(*total, shift)
        design = _Design(_standardise(x, final_mean, final_scale, store), y.to(device), n_classes, space)
        if eigen is None:
            eigen = _second_moment_eigen(design.features)
        else:  # warm start from the chosen decay's fit, re-expressed under the standardisation of all rows
            start = _restandardise(path[self.weight_decay_], mean, scale, final_mean, final_scale)
        fit = _minimise(design, self.weight_decay_, start, eigen, self.max_iter, self.tol)
        self.n_iter_, self.converged_ = fit.n_iter, fit.converged
        if not fit.converged:
            warnings.warn(
                f"LinearProbe stopped before tol={self.tol} after {fit.n_iter} iterations (weight decay "
                f"{self.weight_decay_}); raise max_iter, or use precision='float32' for tol below ~1e-5",
                RuntimeWarning,
                stacklevel=2,
            )
        self.mean_ = final_mean.double().numpy()
        self.scale_ = final_scale.double().numpy()
        weights, bias = fit.theta[:-1].double().cpu().numpy(), fit.theta[-1].double().cpu().numpy()
        self.coef_ = (weights / self.scale_[:, None]).T
        self.intercept_ = bias - self.coef_ @ self.mean_
        self.intercept_ -= self.intercept_.mean()  # the softmax ignores a common shift; scikit-learn's sums to zero
        self.n_features_in_ = n_features
        return self

    def decision_function(self, features: np.ndarray | torch.Tensor) -> np.ndarray:
        """(N, K) float32 logits: features @ coef_.T + intercept_ (computed on standardised features for accuracy)."""
        self._check_fitted()
        x = _check_features(features, "features", self.n_features_in_)
        weights = torch.from_numpy(self.coef_.T * self.scale_[:, None]).float()
        bias = torch.from_numpy(self.intercept_ + self.coef_ @ self.mean_).float()
        mean, scale = torch.from_numpy(self.mean_).float(), torch.from_numpy(self.scale_).float()
        out = torch.empty(len(x), len(self.classes_))
        for start in range(0, len(x), _CHUNK):
            chunk = ((x[start : start + _CHUNK].cpu() - mean) / scale).float()
            torch.addmm(bias, chunk, weights, out=out[start : start + _CHUNK])
        return out.numpy()

    def predict_proba(self, features: np.ndarray | torch.Tensor) -> np.ndarray:
        """(N, K) class probabilities (softmax of the logits), columns in the order of `classes_`."""
        return torch.softmax(torch.from_numpy(self.decision_function(features)), 1).numpy()

    def predict(self, features: np.ndarray | torch.Tensor) -> np.ndarray:
        """(N,) predicted class values (from `classes_`)."""
        best = self.decision_function(features).argmax(axis=1)
        return self.classes_[best]

    def score(self, features: np.ndarray | torch.Tensor, labels: np.ndarray | Sequence) -> float:
        """Accuracy of `predict(features)` against `labels`."""
        predicted = self.predict(features)
        return float(np.mean(predicted == _check_labels(labels, len(predicted))))

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise InputError("this LinearProbe is not fitted yet; call fit(features, labels) first")

    def _check_params(self) -> list[float]:
        """The distinct weight decays, strongest first, after checking every parameter."""
        try:
            decays = [float(d) for d in np.atleast_1d(np.asarray(self.weight_decays, dtype=np.float64))]
        except (TypeError, ValueError):
            raise InputError(
                f"expected a sequence of numbers, got {self.weight_decays!r}", field="weight_decays"
            ) from None
        bad = [d for d in decays if not (math.isfinite(d) and d > 0)]
        if not decays or bad:
            shown = preview(bad) if bad else "none"
            raise InputError(f"expected one or more finite weight decays > 0, got {shown}", field="weight_decays")
        if not 0 < self.validation_fraction < 1:
            raise InputError(
                f"expected a fraction in (0, 1), got {self.validation_fraction!r}", field="validation_fraction"
            )
        if int(self.max_iter) != self.max_iter or self.max_iter < 1:
            raise InputError(f"expected an integer >= 1, got {self.max_iter!r}", field="max_iter")
        if not self.tol > 0:
            raise InputError(f"expected a tolerance > 0, got {self.tol!r}", field="tol")
        if self.precision not in PRECISIONS:
            raise InputError(f"expected one of {PRECISIONS}, got {self.precision!r}", field="precision")
        return sorted(set(decays), reverse=True)


def _check_features(
    features: np.ndarray | torch.Tensor, name: str, n_features: int | None = None, finite: bool = True
) -> torch.Tensor:
    """(N, D) float32 CPU tensor; rejects other shapes, non-numeric dtypes and (if `finite`) non-finite values."""
    if isinstance(features, torch.Tensor):
        if features.dtype.is_complex or features.dtype == torch.bool:
            raise InputError(f"expected real-valued features, got dtype {features.dtype}", field=name)
        x = features.detach().cpu()
    else:
        array = np.asarray(features)
        if array.dtype.kind not in "fiu":
            raise InputError(f"expected real-valued features, got dtype {array.dtype}", field=name)
        if array.dtype != np.float32 or not array.flags.writeable:
            array = array.astype(np.float32)
        x = torch.from_numpy(array)
    if x.dim() != 2:
        hint = "; reshape a single sample with features[None, :]" if x.dim() == 1 else ""
        raise InputError(f"expected a 2-D (samples x features) array, got shape {tuple(x.shape)}{hint}", field=name)
    if n_features is not None and x.shape[1] != n_features:
        raise InputError(f"expected {n_features} features per row (as in fit), got {x.shape[1]}", field=name)
    if len(x) == 0 or x.shape[1] == 0:
        raise InputError(f"expected at least one row and one feature, got shape {tuple(x.shape)}", field=name)
    x = x.float()
    if finite:
        _check_finite(x, x.sum(0), name)
    return x


def _check_finite(x: torch.Tensor, column_sums: torch.Tensor, name: str) -> None:
    """Reject NaN and inf; a NaN or inf anywhere makes its column's sum non-finite (the cheap test)."""
    if not bool(torch.isfinite(column_sums).all()):
        rows = torch.nonzero(~torch.isfinite(x).all(dim=1)).flatten().tolist()
        if rows:  # otherwise the sum merely overflowed
            raise InputError(f"expected finite values, got NaN or inf in rows {preview(rows)}", field=name)


def _check_labels(labels: np.ndarray | Sequence, n_rows: int) -> np.ndarray:
    """(N,) integer or string class values, one per row."""
    values = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if values.ndim != 1 or len(values) != n_rows:
        raise InputError(
            f"expected {n_rows} labels (one per row of features), got shape {values.shape}", field="labels"
        )
    if values.dtype.kind == "O" and all(isinstance(value, str) for value in values):
        values = values.astype(str)
    if values.dtype.kind not in "iuUS":
        raise InputError(
            f"expected integer or string class values, got dtype {values.dtype}; convert with labels.astype(int)",
            field="labels",
        )
    return values


def _check_groups(groups: np.ndarray | Sequence, n_rows: int) -> np.ndarray:
    """(N,) group ids, one per row."""
    values = groups.detach().cpu().numpy() if isinstance(groups, torch.Tensor) else np.asarray(groups)
    if values.ndim != 1 or len(values) != n_rows:
        raise InputError(
            f"expected {n_rows} group ids (one per row of features), got shape {values.shape}", field="groups"
        )
    if values.dtype.kind == "f" and np.isnan(values).any():
        raise InputError(
            f"expected group ids, got NaN in rows {preview(np.flatnonzero(np.isnan(values)).tolist())}", field="groups"
        )
    if values.dtype.kind == "O":
        values = values.astype(str)
    return values


def _moment_sums(
    x: torch.Tensor, shift: torch.Tensor, rows: torch.Tensor | None = None
) -> tuple[int, torch.Tensor, torch.Tensor]:
    """Count, sum and sum of squares of (x - shift) over the given rows (all rows when None), float64 totals."""
    count = len(x) if rows is None else len(rows)
    first = torch.zeros(x.shape[1], dtype=torch.float64)
    second = torch.zeros_like(first)
    for _, chunk in _centred_chunks(x, shift, count, rows):
        first += chunk.sum(0)
        second += chunk.mul_(chunk).sum(0)
    return count, first, second


def _mean_scale(
    count: int, first: torch.Tensor, second: torch.Tensor, shift: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation from shifted sums; constant features get scale 1."""
    offset = first / count
    std = (second / count - offset.square()).clamp_min(0.0).sqrt().float()
    mean = (shift.double() + offset).float()
    constant = std <= 1e-6 * mean.abs()  # no variation beyond float32 rounding
    return mean, torch.where(constant, torch.ones_like(std), std)


def _standardise(
    x: torch.Tensor, mean: torch.Tensor, scale: torch.Tensor, out: torch.Tensor, rows: torch.Tensor | None = None
) -> torch.Tensor:
    """Write (x[rows] - mean) / scale into `out` (any dtype and device), in chunks; returns `out`."""
    inverse = 1.0 / scale
    for start, chunk in _centred_chunks(x, mean, len(out), rows):
        out[start : start + len(chunk)].copy_(chunk.mul_(inverse))
    return out


def _centred_chunks(
    x: torch.Tensor, shift: torch.Tensor, count: int, rows: torch.Tensor | None
) -> Iterator[tuple[int, torch.Tensor]]:
    """(start, x[rows][start:start + _CHUNK] - shift) over `count` rows (all of x when `rows` is None), one buffer."""
    buffer = torch.empty(min(_CHUNK, max(count, 1)), x.shape[1])
    for start in range(0, count, _CHUNK):
        chunk = buffer[: min(_CHUNK, count - start)]
        if rows is None:
            torch.sub(x[start : start + len(chunk)], shift, out=chunk)
        else:
            torch.index_select(x, 0, rows[start : start + len(chunk)], out=chunk).sub_(shift)
        yield start, chunk


def _second_moment_eigen(features: torch.Tensor) -> _Eigen:
    """Eigenpairs of the standardised features' second moment, estimated on evenly spaced rows."""
    sample = features[:: max(1, len(features) // _COVARIANCE_ROWS)][:_COVARIANCE_ROWS].float()
    values, vectors = torch.linalg.eigh(sample.T @ sample / len(sample))
    return _Eigen(values.clamp_min(0.0), vectors)


def _restandardise(
    theta: torch.Tensor, mean: torch.Tensor, scale: torch.Tensor, new_mean: torch.Tensor, new_scale: torch.Tensor
) -> torch.Tensor:
    """Re-express standardised-space parameters under another standardisation (same model in the original space)."""
    device, theta = theta.device, theta.double().cpu()
    weights = theta[:-1] / scale.double().unsqueeze(1)
    bias = theta[-1] - mean.double() @ weights
    moved = torch.cat([weights * new_scale.double().unsqueeze(1), (bias + new_mean.double() @ weights)[None]])
    return moved.float().to(device)


class _Curvature:
    """Kronecker-factored inverse Hessian: (second moment of features (x) softmax curvature + decay)^-1."""

    def __init__(self, eigen: _Eigen, weight_decay: float) -> None:
        self.eigen, self.weight_decay = eigen, weight_decay

    def update(self, probs: torch.Tensor) -> None:
        """Refresh the class factor mean(diag(p) - p p^T) from predicted probabilities (a subset of rows)."""
        self.probs = probs
        self.factor = torch.diag(probs.mean(0)) - probs.T @ probs / len(probs)
        values, self.class_vectors = torch.linalg.eigh(self.factor)
        self.inverse_class = torch.where(values > 1e-6 * values.max(), 1.0 / values, torch.zeros_like(values))
        self.denominator = self.eigen.values[:, None] * values.clamp_min(0.0)[None, :] + self.weight_decay

    def apply(self, grad: torch.Tensor) -> torch.Tensor:
        """Approximate Newton step (without its sign) for a (D + 1) x K gradient (last row: bias)."""
        vectors, classes = self.eigen.vectors, self.class_vectors
        rotated = vectors.T @ grad[:-1] @ classes
        rotated /= self.denominator
        bias = classes @ ((classes.T @ grad[-1]) * self.inverse_class)
        return torch.cat([vectors @ rotated @ classes.T, bias[None]])


def _minimise(
    design: _Design, weight_decay: float, theta0: torch.Tensor, eigen: _Eigen, max_iter: int, tol: float
) -> _Fit:
    """Minimise mean cross-entropy + weight_decay/2 ||W||^2 from `theta0` by preconditioned L-BFGS.

    After each line search, an exact Newton step on 2K parameters (a scale per class's weights and the biases,
    `_scale_bias_step`) corrects what the preconditioner misses most: the coupling of bias and weights and the
    growth of the weights' norm. It costs no product with the features.
    """
    x, dtype, space = design.features, design.features.dtype, design.space
    curvature = _Curvature(eigen, weight_decay)
    theta = theta0.clone()
    theta[:-1] = theta[:-1].to(dtype).float()  # weights the matmul sees exactly
    if bool(theta[:-1].any()):
        torch.mm(x, theta[:-1].to(dtype), out=space.product)
        torch.add(space.product, theta[-1], out=space.logits)
    else:  # cold start: the logits are the biases
        space.logits.copy_(theta[-1].expand_as(space.logits))
    loss = _evaluate(design, space.logits, weight_decay, float(theta[:-1].square().sum()))
    curvature.update(space.probs[:: design.curvature_stride])
    grad = _gradient(design, theta, weight_decay)
    steps, changes, rhos = [], [], []
    n_iter, converged = 0, False
    while True:
        if float(grad.abs().max()) <= tol:
            converged = True
            break
        if n_iter >= max_iter:
            break
        direction = _two_loop(grad, steps, changes, rhos, curvature)
        direction[:-1] = direction[:-1].to(dtype).float()
        slope = float((grad * direction).sum())
        if slope >= 0:  # not a descent direction (memory gone stale): restart from the preconditioned gradient
            steps, changes, rhos = [], [], []
            direction = curvature.apply(grad).neg_()
            direction[:-1] = direction[:-1].to(dtype).float()
            slope = float((grad * direction).sum())
        torch.mm(x, direction[:-1].to(dtype), out=space.product)
        torch.add(space.product, direction[-1], out=space.step)
        accepted = _line_search(design, theta, direction, loss, slope, weight_decay)
        if accepted is None:  # no decrease along a descent direction: the precision floor is reached
            if dtype == torch.float32:
                break
            # bfloat16 rounding of the residuals limits the gradient's accuracy (to ~1e-3 / sqrt(N)): go on with
            # float32 products on the same (bfloat16-valued, so exactly representable) features
            design = design.in_float32()
            x, dtype, space = design.features, torch.float32, design.space
            torch.mm(x, theta[:-1], out=space.product)
            torch.add(space.product, theta[-1], out=space.logits)
            loss = _evaluate(design, space.logits, weight_decay, float(theta[:-1].square().sum()))
            curvature.update(space.probs[:: design.curvature_stride])
            grad = _gradient(design, theta, weight_decay)
            steps, changes, rhos = [], [], []
            continue
        length, loss = accepted
        n_iter += 1
        step = direction.mul_(length)
        theta += step
        space.logits, space.trial = space.trial, space.logits
        curvature.update(space.probs[:: design.curvature_stride])
        loss = _scale_bias_step(design, theta, step, loss, weight_decay, curvature)
        new_grad = _gradient(design, theta, weight_decay)
        change = new_grad - grad
        grad = new_grad
        curvature_along = float((step * change).sum())
        if curvature_along > 1e-12:
            steps.append(step)
            changes.append(change)
            rhos.append(1.0 / curvature_along)
            if len(steps) > _MEMORY:
                del steps[0], changes[0], rhos[0]
    return _Fit(theta, n_iter, converged)


def _two_loop(
    grad: torch.Tensor, steps: list[torch.Tensor], changes: list[torch.Tensor], rhos: list[float], curvature: _Curvature
) -> torch.Tensor:
    """L-BFGS direction -H grad, with the Kronecker-factored inverse Hessian as the initial matrix."""
    q = grad.clone()
    alphas = []
    for step, change, rho in zip(reversed(steps), reversed(changes), reversed(rhos), strict=True):
        alpha = rho * float((step * q).sum())
        q.sub_(change, alpha=alpha)
        alphas.append(alpha)
    r = curvature.apply(q)
    for step, change, rho, alpha in zip(steps, changes, rhos, reversed(alphas), strict=True):
        beta = rho * float((change * r).sum())
        r.add_(step, alpha=alpha - beta)
    return r.neg_()


def _evaluate(design: _Design, logits: torch.Tensor, weight_decay: float, weight_sq: float) -> float:
    """Objective at `logits`; leaves the softmax probabilities in `design.space.probs`."""
    probs = design.space.probs
    torch.softmax(logits, 1, out=probs)
    true_prob = probs.view(-1).take(design.targets)
    tiny = true_prob < 1e-30
    log_true = true_prob.log_()
    if bool(tiny.any()):  # probabilities that underflowed: exact log-softmax on those rows
        rows = torch.nonzero(tiny).flatten()
        log_true[rows] = torch.log_softmax(logits[rows], 1).gather(1, design.labels[rows, None]).flatten()
    return -float(log_true.sum(dtype=torch.float64)) / len(design.labels) + 0.5 * weight_decay * weight_sq


def _gradient(design: _Design, theta: torch.Tensor, weight_decay: float) -> torch.Tensor:
    """(D + 1) x K gradient from `design.space.probs` (turned into residuals p - onehot(y) in place)."""
    n, space = len(design.labels), design.space
    probs = space.probs
    probs.view(-1).index_put_((design.targets,), torch.tensor(-1.0, device=probs.device), accumulate=True)
    residual = probs if probs.dtype == design.features.dtype else space.residual.copy_(probs)
    weights_grad = (residual.T @ design.features).T.float().div_(n)
    weights_grad.add_(theta[:-1], alpha=weight_decay)
    return torch.cat([weights_grad, (probs.sum(0) / n)[None]])


def _line_search(
    design: _Design, theta: torch.Tensor, direction: torch.Tensor, loss: float, slope: float, weight_decay: float
) -> tuple[float, float] | None:
    """Near-exact step length along `direction`: safeguarded Newton steps on the objective along the line.

    Accepts a length with sufficient decrease (Armijo) whose directional derivative is below _FLATNESS times the
    initial one. Returns (length, new loss) with the trial logits in `space.trial` and their probabilities in
    `space.probs`, or None when no length decreases the objective.
    """
    space, weights, dweights = design.space, theta[:-1], direction[:-1]
    w_sq, w_dot, d_sq = float(weights.square().sum()), float((weights * dweights).sum()), float(dweights.square().sum())
    n = len(design.labels)
    true_step = float(space.step.view(-1).take(design.targets).sum()) / n
    length, low, high = 1.0, 0.0, math.inf
    for _ in range(_LINE_SEARCH_EVALS):
        torch.add(space.logits, space.step, alpha=length, out=space.trial)
        sq = w_sq + 2 * length * w_dot + length * length * d_sq
        new_loss = _evaluate(design, space.trial, weight_decay, sq)
        flat_probs, flat_step = space.probs.view(-1), space.step.view(-1)
        first = float(torch.dot(flat_probs, flat_step)) / n - true_step + weight_decay * (w_dot + length * d_sq)
        decrease = new_loss <= loss + 1e-4 * length * slope
        if decrease and abs(first) <= _FLATNESS * abs(slope):
            return length, new_loss
        if not decrease or first > 0:
            high = length
        else:
            low = length
        weighted = torch.mul(space.probs, space.step, out=space.scratch)
        row_mean = weighted.sum(1)
        second = (float(torch.dot(weighted.view(-1), flat_step)) - float(row_mean.square().sum())) / n
        second += weight_decay * d_sq
        guess = length - first / second if second > 0 else 2 * length
        if high < math.inf:  # keep the guess strictly inside the bracket
            guess = min(max(guess, low + 0.1 * (high - low)), high - 0.1 * (high - low))
        length = guess
    return None


def _scale_bias_step(
    design: _Design, theta: torch.Tensor, step: torch.Tensor, loss: float, weight_decay: float, curvature: _Curvature
) -> float:
    """Exact Newton step on a scale per class's weights and the biases; updates theta, step and the logits.

    Logits move as z + (z - b) * gamma + delta_b. The gradient uses every row, the 2K x 2K Hessian the rows of
    the class curvature. The step is kept only if it lowers the objective; returns the objective.
    """
    space, n, k = design.space, len(design.labels), design.n_classes
    bias, weights = theta[-1], theta[:-1]
    norms = weights.square().sum(0)
    scores = torch.sub(space.logits, bias, out=space.scratch)  # features @ weights
    true_scores = torch.zeros(k, device=bias.device).index_add_(0, design.labels, scores.view(-1).take(design.targets))
    weighted = space.step  # free until the next direction
    torch.mul(space.probs, scores, out=weighted)
    grad = torch.cat(
        [(weighted.sum(0) - true_scores) / n + weight_decay * norms, space.probs.mean(0) - design.class_shares]
    )
    sub_probs, sub_scores = curvature.probs, scores[:: design.curvature_stride]
    sub_weighted, m = sub_probs * sub_scores, len(sub_probs)
    scale_block = (
        torch.diag((sub_weighted * sub_scores).mean(0) + weight_decay * norms) - sub_weighted.T @ sub_weighted / m
    )
    cross_block = torch.diag(sub_weighted.mean(0)) - sub_weighted.T @ sub_probs / m
    hessian = torch.cat([torch.cat([scale_block, cross_block], 1), torch.cat([cross_block.T, curvature.factor], 1)])
    values, vectors = torch.linalg.eigh(hessian.double())
    inverse = torch.where(values > 1e-9 * values.max(), 1.0 / values, torch.zeros_like(values))
    delta = (vectors @ ((vectors.T @ grad.double()) * inverse)).neg_().float()
    gamma, bias_step = delta[:k], delta[k:]
    torch.mul(space.logits, 1.0 + gamma, out=space.trial).add_(bias_step - bias * gamma)
    new_weights = weights * (1.0 + gamma)
    new_loss = _evaluate(design, space.trial, weight_decay, float(new_weights.square().sum()))
    if new_loss > loss:  # keep the line-search point (and restore its probabilities)
        _evaluate(design, space.logits, weight_decay, float(weights.square().sum()))
        return loss
    step[:-1] += new_weights - weights
    step[-1] += bias_step
    theta[:-1] = new_weights
    theta[-1] += bias_step
    space.logits, space.trial = space.trial, space.logits
    curvature.update(space.probs[:: design.curvature_stride])
    return new_loss
