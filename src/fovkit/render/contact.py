"""Contact sheets: one PNG per design showing each class's first instance across its design's samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fovkit.render.store import RenderedDataset
from fovkit.runs import atomic_file

LABEL_WIDTH = 110


def contact_sheet(dataset: RenderedDataset, design: str, out: Path, columns: int = 12, max_classes: int = 16) -> Path:
    """Write a PNG grid: a row per class (first instance), `columns` samples evenly spread over its design."""
    samples = dataset.samples[dataset.samples["design"] == design]
    first = samples[samples["instance"] == samples.groupby("label")["instance"].transform("min")]
    labels = sorted(first["label"].unique())[:max_classes]
    size = dataset.config.image_size
    thumb = min(size, 128)
    sheet = Image.new("RGB", (LABEL_WIDTH + columns * thumb, len(labels) * thumb), "white")
    draw = ImageDraw.Draw(sheet)
    for row_number, label in enumerate(labels):
        rows = first[first["label"] == label]
        picks = rows.iloc[np.unique(np.linspace(0, len(rows) - 1, columns).round().astype(int))]
        for column, image in enumerate(dataset.images(picks)):
            tile = Image.fromarray(image).resize((thumb, thumb), Image.Resampling.BILINEAR)
            sheet.paste(tile, (LABEL_WIDTH + column * thumb, row_number * thumb))
        draw.text((6, row_number * thumb + thumb // 2 - 6), str(rows["class_name"].iloc[0]), fill="black")
    out = Path(out)
    with atomic_file(out) as staging:
        sheet.save(staging, format="PNG", optimize=False)
    return out
