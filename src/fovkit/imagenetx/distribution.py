"""How often each ImageNet-X factor is annotated, train vs val, all selected factors vs the top one (Figure 2)."""

from __future__ import annotations

import pandas as pd

from fovkit.imagenetx.annotations import FACTORS, Partition, WhichFactor, load_factor_table

PARTITIONS: tuple[Partition, ...] = ("train", "val")
COUNTINGS: dict[str, WhichFactor] = {"all": "multi", "top": "top"}
"""Counting name in the table -> annotation file: every factor the annotator selected, or the one top factor."""


def factor_distribution(keep_prototypes: bool = False) -> pd.DataFrame:
    """Images in which each factor is active, per partition and way of counting, from the shipped annotations.

    As in the paper's Figure 2 (and the reference toolkit's `factor_distribution_comparison`), `share` is the
    fraction of the partition's annotated images in which the factor is active: under `all` an image counts for
    every factor selected, so the shares add up to the mean number of factors per image (2.6 in val, 3.1 in
    train); under `top` each image counts once and they add up to 1 (less the handful of images without any factor).

    Args:
        keep_prototypes: Keep the val class-prototype images (left out by default, as in the analysis).

    Returns:
        Columns `partition` (train|val), `counting` (all|top), `factor`, `images` (int) and `share` (float);
        16 rows per partition and counting, factors in the toolkit's column order.

    """
    parts = []
    for partition in PARTITIONS:
        for counting, which_factor in COUNTINGS.items():
            table = load_factor_table(which_factor, partition, keep_prototypes)
            images = table.varies(FACTORS).sum(axis=0)
            parts.append(
                pd.DataFrame(
                    {
                        "partition": partition,
                        "counting": counting,
                        "factor": list(FACTORS),
                        "images": images.astype("int64"),
                        "share": images / len(table),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)
