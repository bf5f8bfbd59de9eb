"""A small user factor table with two models' prediction files, written the way a user would write them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

CLASSES = ("cat", "dog", "car", "truck")
KIND = {"cat": "animal", "dog": "animal", "car": "vehicle", "truck": "vehicle"}


@dataclass(frozen=True)
class UserFiles:
    """The files of a user's own analysis and the arrays they were made from."""

    factors: Path
    classes: Path
    predictions: tuple[Path, ...]
    frame: pd.DataFrame
    predicted: dict[str, np.ndarray]


def write_user_files(folder: Path, n: int = 240, seed: int = 0) -> UserFiles:
    """Factor CSV (binary, categorical, numeric factors and a group column), class file and two prediction CSVs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), n)
    frame = pd.DataFrame(
        {
            "file_name": [f"photo_{index:04d}.jpg" for index in range(n)],
            "label": [CLASSES[label] for label in labels],
            "occluded": rng.integers(0, 2, n),
            "lighting": rng.choice(["day", "night", "dusk"], n),
            "distance_m": rng.uniform(1, 50, n).round(2),
            "kind": [KIND[CLASSES[label]] for label in labels],
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "factors.csv", index=False)
    (folder / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    predicted, paths = {}, []
    for model, skill in (("model_a", 0.85), ("model_b", 0.6)):
        right = rng.random(n) < skill - 0.3 * frame["occluded"].to_numpy()
        predicted[model] = np.where(right, labels, (labels + 1 + rng.integers(0, 3, n)) % len(CLASSES))
        path = folder / f"{model}.csv"
        pd.DataFrame(
            {
                "file_name": frame["file_name"],
                "predicted_class": predicted[model],
                "predicted_probability": rng.uniform(0.3, 1, n).round(4),
            }
        ).to_csv(path, index=False)
        paths.append(path)
    return UserFiles(folder / "factors.csv", folder / "classes.txt", tuple(paths), frame.assign(y=labels), predicted)


@pytest.fixture(scope="module")
def user_files(tmp_path_factory: pytest.TempPathFactory) -> UserFiles:
    return write_user_files(tmp_path_factory.mktemp("user"))
