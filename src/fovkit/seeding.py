"""One seeding scheme for every random choice in fovkit: a user seed plus named stream keys -> an independent stream.

Every random draw (render designs, held-out instances, backgrounds, procedural assets, training splits, bootstrap
resamples, weight initialisation, batch order) takes its generator from here, keyed by the user's seed and a path of
names and numbers that says what the draw is for, e.g. `rng(seed, "render", "held_out", label)`. Keys are hashed
with SHA-256 into the entropy of a `numpy.random.SeedSequence`, so streams with different keys are independent,
the same keys give the same numbers on every machine and process, and no two call sites can collide by accident.
"""

from __future__ import annotations

import hashlib
import json
from numbers import Integral
from typing import TYPE_CHECKING

from fovkit.errors import InputError

if TYPE_CHECKING:  # numpy and torch load on first draw, so that `fovkit --help` and config checks stay fast
    import numpy as np
    import torch

Key = str | int


def check_seed(seed: object, field: str = "seed") -> int:
    """`seed` as an int if it is a valid seed (an integer in [0, 2**63)); else an InputError naming `field`."""
    if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= int(seed) < 2**63:
        raise InputError(f"a seed is a whole number from 0 to 2**63 - 1, got {seed!r}", field=field)
    return int(seed)


def seed_sequence(seed: int, *keys: Key) -> np.random.SeedSequence:
    """The SeedSequence of stream `keys` under `seed` (keys are names and non-negative numbers)."""
    import numpy as np

    seed = check_seed(seed)
    path = json.dumps([_key(key) for key in keys])
    digest = hashlib.sha256(path.encode()).digest()
    words = np.frombuffer(digest, dtype=np.uint32).tolist()
    return np.random.SeedSequence([seed & 0xFFFFFFFF, seed >> 32, *words])


def rng(seed: int, *keys: Key) -> np.random.Generator:
    """A NumPy generator for stream `keys` under `seed`."""
    import numpy as np

    return np.random.default_rng(seed_sequence(seed, *keys))


def derive_seed(seed: int, *keys: Key) -> int:
    """A 63-bit integer seed for stream `keys` under `seed` (for libraries that take an int, e.g. torch)."""
    return int(seed_sequence(seed, *keys).generate_state(1, dtype="uint64")[0] >> 1)


def torch_generator(seed: int, *keys: Key) -> torch.Generator:
    """A CPU `torch.Generator` for stream `keys` under `seed`."""
    import torch

    return torch.Generator().manual_seed(derive_seed(seed, *keys))


def _key(key: Key) -> str | int:
    if isinstance(key, bool) or not isinstance(key, str | Integral):
        raise TypeError(f"stream keys are names or whole numbers, got {key!r}")
    return key if isinstance(key, str) else int(key)
