"""How many factors vary per image: the number of images with 0, 1, 2, ... active factors (ImageNet-X Figure 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def active_factor_counts(varies: np.ndarray) -> pd.DataFrame:
    """Images by the number of factors that vary in them, one row per count from 0 to the largest count.

    Args:
        varies: Boolean (samples x factors) matrix, True where a factor differs from its canonical value
            (`FactorTable.varies()`).

    Returns:
        Columns `active` (number of varying factors), `images` (how many samples have that many) and `share`
        (`images` over all samples). Counts that no sample has are kept as rows with 0 images, so the table reads
        as a histogram; no samples give a table without rows.

    Raises:
        ValueError: If `varies` is not a two-dimensional boolean array.

    """
    varies = np.asarray(varies)
    if varies.ndim != 2 or varies.dtype != np.bool_:
        raise ValueError(
            f"varies must be a 2-D boolean (samples x factors) array, got {varies.ndim}-D {varies.dtype}; "
            "pass FactorTable.varies() or `values != canonical`"
        )
    images = np.bincount(varies.sum(axis=1)).astype(np.int64)  # empty for no samples, else at least [n_zero]
    return pd.DataFrame(
        {"active": np.arange(len(images), dtype=np.int64), "images": images, "share": images / len(varies)}
    )
