"""`LinearProbe`, the scikit-learn-shaped estimator: checks, the weight-decay path, the final fit and prediction."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import torch

from fovkit.errors import InputError, preview
from fovkit.protocols.devices import device_name, resolve_device
from fovkit.protocols.linear_probe.inputs import check_features, check_finite, check_groups, check_labels
from fovkit.protocols.linear_probe.solver import Design, Workspace, minimise, second_moment_eigen
from fovkit.protocols.linear_probe.split import validation_split
from fovkit.protocols.linear_probe.standardise import CHUNK, mean_scale, moment_sums, restandardise, standardise

DEFAULT_WEIGHT_DECAYS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
PRECISIONS = ("float32", "bfloat16")


def sklearn_C(weight_decay: float, n_samples: int) -> float:
    """scikit-learn's `C` for the probe's objective.

    The probe minimises mean cross-entropy + weight_decay / 2 * ||W||^2; scikit-learn's `LogisticRegression`
    minimises C * sum of cross-entropies + 1/2 * ||W||^2, the same minimiser when C = 1 / (weight_decay * n).

    Args:
        weight_decay: The probe's weight decay (> 0).
        n_samples: Number of training samples.

    """
    return 1.0 / (weight_decay * n_samples)


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
        x = check_features(features, "features", finite=False)  # checked on the moment sums below
        values = check_labels(labels, len(x))
        groups = None if groups is None else check_groups(groups, len(x))
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
        space = Workspace.allocate(n, n_classes, dtype, device)
        shift = x[:: max(1, n // 1024)].mean(0)
        total = moment_sums(x, shift)
        check_finite(x, total[2], "features")
        self.validation_accuracy_, self.validation_n_iter_ = {}, {}
        start, eigen = torch.zeros(n_features + 1, n_classes, device=device), None
        prior = torch.bincount(y, minlength=n_classes).double().div(n).log()
        start[-1] = (prior - prior.mean()).float().to(device)  # the best bias at W = 0, summing to zero
        if len(decays) > 1:
            held = validation_split(values, self.validation_fraction, self.seed, groups)
            train, validation = torch.from_numpy(np.flatnonzero(~held)), torch.from_numpy(np.flatnonzero(held))
            held_sums = moment_sums(x, shift, validation)
            mean, scale = mean_scale(*(all_ - part for all_, part in zip(total, held_sums, strict=True)), shift)
            standardise(x, mean, scale, store[: len(train)], train)
            design = Design(store[: len(train)], y[train].to(device), n_classes, space.head(len(train)))
            val_x = standardise(x, mean, scale, torch.empty(len(validation), n_features, device=device), validation)
            val_y = y[validation].to(device)
            eigen = second_moment_eigen(design.features)
            theta, path = start, {}
            for decay in decays:  # strongest first, each fit warm-started from the previous one
                fit = minimise(design, decay, theta, eigen, self.max_iter, self.tol)
                theta = path[decay] = fit.theta
                predicted = torch.addmm(theta[-1], val_x, theta[:-1]).argmax(1)
                self.validation_accuracy_[decay] = float((predicted == val_y).double().mean())
                self.validation_n_iter_[decay] = fit.n_iter
            best = max(self.validation_accuracy_.values())
            self.weight_decay_ = next(d for d, acc in self.validation_accuracy_.items() if acc == best)
            del design, val_x
        else:
            self.weight_decay_ = decays[0]
        final_mean, final_scale = mean_scale(*total, shift)
        design = Design(standardise(x, final_mean, final_scale, store), y.to(device), n_classes, space)
        if eigen is None:
            eigen = second_moment_eigen(design.features)
        else:  # warm start from the chosen decay's fit, re-expressed under the standardisation of all rows
            start = restandardise(path[self.weight_decay_], mean, scale, final_mean, final_scale)
        fit = minimise(design, self.weight_decay_, start, eigen, self.max_iter, self.tol)
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
        x = check_features(features, "features", self.n_features_in_)
        weights = torch.from_numpy(self.coef_.T * self.scale_[:, None]).float()
        bias = torch.from_numpy(self.intercept_ + self.coef_ @ self.mean_).float()
        mean, scale = torch.from_numpy(self.mean_).float(), torch.from_numpy(self.scale_).float()
        out = torch.empty(len(x), len(self.classes_))
        for start in range(0, len(x), CHUNK):
            chunk = ((x[start : start + CHUNK].cpu() - mean) / scale).float()
            torch.addmm(bias, chunk, weights, out=out[start : start + CHUNK])
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
        return float(np.mean(predicted == check_labels(labels, len(predicted))))

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
