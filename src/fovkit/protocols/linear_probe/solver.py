"""The solver: preconditioned full-batch L-BFGS with a near-exact line search and a scale-and-bias Newton step."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import torch

_COVARIANCE_ROWS = 8192  # evenly spaced rows whose second moment preconditions the solver
_CURVATURE_ROWS = 8192  # about this many evenly spaced rows estimate the softmax curvature
_MEMORY = 10  # L-BFGS curvature pairs
_FLATNESS = 0.1  # accept a step where the slope along the line has dropped below this share of its initial value
_LINE_SEARCH_EVALS = 30


@dataclass
class Workspace:
    """(N x K) buffers reused by every iteration (and, as views of their first rows, by every fit of one call)."""

    logits: torch.Tensor
    trial: torch.Tensor
    probs: torch.Tensor
    step: torch.Tensor
    scratch: torch.Tensor
    product: torch.Tensor  # features @ direction in the matmul dtype, before the bias
    residual: torch.Tensor  # probs - onehot(labels) in the matmul dtype

    @classmethod
    def allocate(cls, n: int, k: int, dtype: torch.dtype, device: torch.device) -> Workspace:
        """Buffers for up to n rows."""
        buffers = [torch.empty(n, k, device=device) for _ in range(5)]
        product = torch.empty(n, k, dtype=dtype, device=device)
        residual = buffers[2] if dtype == torch.float32 else torch.empty(n, k, dtype=dtype, device=device)  # alias
        return cls(*buffers, product, residual)

    def head(self, n: int) -> Workspace:
        """The same buffers, limited to their first n rows (contiguous views)."""
        return Workspace(*(buffer[:n] for buffer in vars(self).values()))


@dataclass
class Design:
    """Standardised features in the matmul dtype, their labels and the solver's buffers."""

    features: torch.Tensor
    labels: torch.Tensor
    n_classes: int
    space: Workspace
    targets: torch.Tensor = field(init=False)  # flat index of each row's true-class entry in an (N x K) buffer
    class_shares: torch.Tensor = field(init=False)
    curvature_stride: int = field(init=False)  # every this many rows estimate the class curvature

    def __post_init__(self) -> None:
        n = len(self.labels)
        self.targets = torch.arange(n, device=self.labels.device) * self.n_classes + self.labels
        self.class_shares = torch.bincount(self.labels, minlength=self.n_classes).float() / n
        self.curvature_stride = max(1, n // _CURVATURE_ROWS)

    def in_float32(self) -> Design:
        """The same design with float32 features and products (a copy of the features)."""
        space = replace(self.space, product=torch.empty_like(self.space.logits), residual=self.space.probs)
        return Design(self.features.float(), self.labels, self.n_classes, space)


@dataclass
class Eigen:
    """Eigendecomposition of the features' second moment: the data factor of the Kronecker preconditioner."""

    values: torch.Tensor
    vectors: torch.Tensor


@dataclass
class Fit:
    """Solver outcome in the standardised space: weights (D x K) and bias (K,) stacked as (D + 1) x K."""

    theta: torch.Tensor
    n_iter: int
    converged: bool


def second_moment_eigen(features: torch.Tensor) -> Eigen:
    """Eigenpairs of the standardised features' second moment, estimated on evenly spaced rows."""
    sample = features[:: max(1, len(features) // _COVARIANCE_ROWS)][:_COVARIANCE_ROWS].float()
    values, vectors = torch.linalg.eigh(sample.T @ sample / len(sample))
    return Eigen(values.clamp_min(0.0), vectors)


class Curvature:
    """Kronecker-factored inverse Hessian: (second moment of features (x) softmax curvature + decay)^-1."""

    def __init__(self, eigen: Eigen, weight_decay: float) -> None:
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


def minimise(design: Design, weight_decay: float, theta0: torch.Tensor, eigen: Eigen, max_iter: int, tol: float) -> Fit:
    """Minimise mean cross-entropy + weight_decay/2 ||W||^2 from `theta0` by preconditioned L-BFGS.

    After each line search, an exact Newton step on 2K parameters (a scale per class's weights and the biases,
    `_scale_bias_step`) corrects what the preconditioner misses most: the coupling of bias and weights and the
    growth of the weights' norm. It costs no product with the features.
    """
    x, dtype, space = design.features, design.features.dtype, design.space
    curvature = Curvature(eigen, weight_decay)
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
    return Fit(theta, n_iter, converged)


def _two_loop(
    grad: torch.Tensor, steps: list[torch.Tensor], changes: list[torch.Tensor], rhos: list[float], curvature: Curvature
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


def _evaluate(design: Design, logits: torch.Tensor, weight_decay: float, weight_sq: float) -> float:
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


def _gradient(design: Design, theta: torch.Tensor, weight_decay: float) -> torch.Tensor:
    """(D + 1) x K gradient from `design.space.probs` (turned into residuals p - onehot(y) in place)."""
    n, space = len(design.labels), design.space
    probs = space.probs
    probs.view(-1).index_put_((design.targets,), torch.tensor(-1.0, device=probs.device), accumulate=True)
    residual = probs if probs.dtype == design.features.dtype else space.residual.copy_(probs)
    weights_grad = (residual.T @ design.features).T.float().div_(n)
    weights_grad.add_(theta[:-1], alpha=weight_decay)
    return torch.cat([weights_grad, (probs.sum(0) / n)[None]])


def _line_search(
    design: Design, theta: torch.Tensor, direction: torch.Tensor, loss: float, slope: float, weight_decay: float
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
    design: Design, theta: torch.Tensor, step: torch.Tensor, loss: float, weight_decay: float, curvature: Curvature
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
