"""Synthetic prediction files in the reference toolkit's CSV format, for trying fovkit and for benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from rich.progress import track

from fovkit import seeding
from fovkit.imagenetx.annotations import FACTORS, NUM_CLASSES, annotation_dir, load_factor_table


def synthetic_predictions(n_models: int, seed: int) -> Iterator[pd.DataFrame]:
    """Predictions of `n_models` imaginary models for all 50,000 val images, one frame per model.

    Each model has its own accuracy and per-factor difficulty, so factor accuracies and error ratios differ
    between models the way real ones do; confidences are higher on correct predictions.
    """
    rng = seeding.rng(seed, "imagenetx", "synthetic_predictions")
    files = pd.read_csv(annotation_dir() / "filename_label.csv")
    factors = load_factor_table("top", "val", keep_prototypes=True).frame.set_index("sample_id")[list(FACTORS)]
    factor_of_image = factors.reindex(files["file_name"]).fillna(0).to_numpy().argmax(axis=1)
    labels = files["label"].to_numpy()
    for _ in range(n_models):
        accuracy = rng.uniform(0.55, 0.9)
        difficulty = rng.normal(0.0, 0.08, len(FACTORS))
        p_correct = np.clip(accuracy - difficulty[factor_of_image], 0.02, 0.99)
        correct = rng.random(len(labels)) < p_correct
        wrong = (labels + rng.integers(1, NUM_CLASSES, len(labels))) % NUM_CLASSES
        confidence = np.where(correct, rng.beta(5, 2, len(labels)), rng.beta(2, 3, len(labels)))
        yield pd.DataFrame(
            {
                "file_name": files["file_name"],
                "predicted_class": np.where(correct, labels, wrong),
                "predicted_probability": confidence.round(6),
            }
        )


def write_synthetic_predictions(out_dir: Path, n_models: int, seed: int = 0, progress: bool = False) -> list[Path]:
    """Write `n_models` synthetic prediction CSVs (`model_0000.csv`, ...) into `out_dir`; same seed, same bytes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    frames = synthetic_predictions(n_models, seed)
    for index, frame in track(enumerate(frames), total=n_models, description="Writing", disable=not progress):
        path = out_dir / f"model_{index:04d}.csv"
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with pa.OSFile(str(path), "wb") as sink:
            sink.write((",".join(frame.columns) + "\n").encode())
            pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(include_header=False, quoting_style="none"))
        paths.append(path)
    return paths
