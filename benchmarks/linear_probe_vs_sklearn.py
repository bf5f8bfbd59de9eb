"""Benchmark: fovkit's LinearProbe against scikit-learn's LogisticRegression (lbfgs), side by side in one run.

Synthetic features shaped like a frozen backbone's (default 50,000 x 768, 54 classes, plus a 10,000-row test set):
class means in a 48-dimensional subspace, noise from 160 correlated latent factors with a power-law spectrum plus
isotropic noise, non-zero feature offsets, log-normal feature scales and four "massive activation" features with
10x the scale. Not linearly separable: test accuracy is about 84% at the best weight decay (1e-2).

(a) One fit at the same regularisation strength (`--weight-decays`; default 1e-2, the decay the validation search
    picks here, and 1e-3): LinearProbe with that single weight decay against
    `LogisticRegression(C=sklearn_C(wd, n), max_iter=1000)` on the raw features (the setup of the CLIP paper's
    linear-probe code) and on StandardScaler'ed features (the same objective as LinearProbe's).
(b) The full recipe: LinearProbe's validation search over its default grid (warm-started path, refit on all rows)
    against scikit-learn on standardised features fitting every C of the same grid on the same training part,
    scoring it on the same validation part and refitting the best C on all rows. `--search-raw` adds the raw peer
    (slow: about 10 minutes).

The clock covers everything each side does from raw training features to a fitted model, scaling included. Every
run interleaves the peers; medians over `--repeat` runs. Both sides get `--threads` threads (torch, BLAS, OpenMP).

Usage (about 10 minutes; `--skip-raw` leaves out the slowest peer):
    .venv/bin/python benchmarks/linear_probe_vs_sklearn.py --threads 1 --repeat 3
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from collections.abc import Callable
from statistics import median

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from fovkit.protocols.linear_probe import DEFAULT_WEIGHT_DECAYS, LinearProbe, sklearn_C, validation_split


def make_features(
    n_train: int, n_test: int, dim: int, n_classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seeded float32 train and test features with integer labels, shaped like a frozen backbone's features."""
    rng = np.random.default_rng(seed)
    rank, latent = 48, 160
    basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0]
    centres = (rng.standard_normal((n_classes, rank)) * 0.28) @ basis.T
    spectrum = 6.0 * np.arange(1, latent + 1) ** -0.6
    loading = rng.standard_normal((dim, latent)) / np.sqrt(dim) * spectrum
    offset = rng.standard_normal(dim) * 2.0
    scale = np.exp(rng.normal(0.0, 0.5, dim))
    scale[rng.choice(dim, 4, replace=False)] *= 10.0  # a few massive-activation features
    shares = rng.dirichlet(np.full(n_classes, 20.0))

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.choice(n_classes, size=n, p=shares)
        x = rng.standard_normal((n, latent), dtype=np.float32) @ loading.T.astype(np.float32)
        x += rng.standard_normal((n, dim), dtype=np.float32) * 0.5
        x += centres[labels].astype(np.float32)
        x *= scale.astype(np.float32)
        x += offset.astype(np.float32)
        return x, labels

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return x_train, y_train, x_test, y_test


class Peer:
    """One contender: a function from (train features, train labels) to a fitted model with its iteration count."""

    def __init__(self, name: str, fit: Callable[[np.ndarray, np.ndarray], tuple[Callable, int]]) -> None:
        self.name, self.fit = name, fit
        self.seconds: list[float] = []
        self.iterations = 0
        self.accuracy = float("nan")

    def run(self, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> None:
        """Time one fit, then score it on the test set (outside the clock)."""
        start = time.perf_counter()
        predict, self.iterations = self.fit(x, y)
        self.seconds.append(time.perf_counter() - start)
        self.accuracy = float(np.mean(predict(x_test) == y_test))


def fovkit_fit(decays: tuple[float, ...]) -> Callable:
    def fit(x: np.ndarray, y: np.ndarray) -> tuple[Callable, int]:
        probe = LinearProbe(weight_decays=decays).fit(x, y)
        return probe.predict, probe.n_iter_ + sum(probe.validation_n_iter_.values())

    return fit


def sklearn_fit(weight_decay: float, standardise: bool) -> Callable:
    def fit(x: np.ndarray, y: np.ndarray) -> tuple[Callable, int]:
        scaler = StandardScaler().fit(x) if standardise else None
        model = LogisticRegression(C=sklearn_C(weight_decay, len(x)), max_iter=1000)
        model.fit(scaler.transform(x) if scaler else x, y)
        return (lambda z: model.predict(scaler.transform(z) if scaler else z)), int(model.n_iter_[0])

    return fit


def sklearn_search(decays: tuple[float, ...], validation_fraction: float, seed: int, standardise: bool) -> Callable:
    """scikit-learn grid search on LinearProbe's validation split: fit per C, score, refit the best C on all rows."""

    def fit(x: np.ndarray, y: np.ndarray) -> tuple[Callable, int]:
        held = validation_split(y, validation_fraction, seed)
        iterations, best = 0, (-1.0, None)
        scaler = StandardScaler().fit(x[~held]) if standardise else None
        train = scaler.transform(x[~held]) if scaler else x[~held]
        valid = scaler.transform(x[held]) if scaler else x[held]
        for decay in sorted(decays, reverse=True):
            model = LogisticRegression(C=sklearn_C(decay, len(train)), max_iter=1000).fit(train, y[~held])
            iterations += int(model.n_iter_[0])
            accuracy = model.score(valid, y[held])
            if accuracy > best[0]:
                best = (accuracy, decay)
        refit = sklearn_fit(best[1], standardise)
        predict, refit_iterations = refit(x, y)
        return predict, iterations + refit_iterations

    return fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--test-samples", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=768)
    parser.add_argument("--classes", type=int, default=54)
    parser.add_argument(
        "--weight-decays", type=float, nargs="+", default=[1e-2, 1e-3], help="weight decays of the single fits (a)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-single", action="store_true", help="run only the full recipe (b)")
    parser.add_argument("--skip-search", action="store_true", help="run only the single fits (a)")
    parser.add_argument("--search-raw", action="store_true", help="add scikit-learn on raw features to (b)")
    parser.add_argument("--skip-raw", action="store_true", help="leave scikit-learn on raw features out of (a)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    x, y, x_test, y_test = make_features(args.samples, args.test_samples, args.features, args.classes, args.seed)
    grid = DEFAULT_WEIGHT_DECAYS
    cases = []
    for wd in [] if args.skip_single else args.weight_decays:
        cases.append(
            (
                f"(a) single fit, weight decay {wd:g}",
                [
                    Peer("fovkit LinearProbe", fovkit_fit((wd,))),
                    *(
                        []
                        if args.skip_raw
                        else [Peer("sklearn lbfgs, raw features", sklearn_fit(wd, standardise=False))]
                    ),
                    Peer("sklearn lbfgs, standardised", sklearn_fit(wd, standardise=True)),
                ],
            )
        )
    if not args.skip_search:
        peers = [
            Peer("fovkit LinearProbe", fovkit_fit(grid)),
            Peer("sklearn lbfgs, standardised", sklearn_search(grid, 0.2, 0, standardise=True)),
        ]
        if args.search_raw:
            peers.append(Peer("sklearn lbfgs, raw features", sklearn_search(grid, 0.2, 0, standardise=False)))
        cases.append((f"(b) validation search over {len(grid)} decays + refit", peers))
    print(
        f"{args.samples:,} x {args.features} features, {args.classes} classes, {args.test_samples:,} test rows; "
        f"{args.threads} thread(s); torch {torch.__version__}; {platform.processor() or platform.machine()}"
    )
    started = time.perf_counter()
    with threadpool_limits(limits=args.threads):
        for run in range(args.repeat):
            for title, peers in cases:
                for peer in peers:
                    peer.run(x, y, x_test, y_test)
                    print(f"run {run + 1}: {title}: {peer.name}: {peer.seconds[-1]:.2f} s", file=sys.stderr, flush=True)
    print("| case | peer | wall s | iterations | test accuracy | fovkit - peer (points) | peer / fovkit time |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for title, peers in cases:
        ours = peers[0]
        for peer in peers:
            seconds = median(peer.seconds)
            ratio = "" if peer is ours else f"{seconds / median(ours.seconds):.1f}x"
            difference = "" if peer is ours else f"{100 * (ours.accuracy - peer.accuracy):+.2f}"
            print(
                f"| {title} | {peer.name} | {seconds:.2f} | {peer.iterations} | {100 * peer.accuracy:.2f}% | "
                f"{difference} | {ratio} |"
            )
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
