"""The text embedded for each ImageNet-X factor when choosing an image's top factor: defaults and validation."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from fovkit.errors import InputError, preview
from fovkit.imagenetx.annotations import FACTORS

FACTOR_DEFINITIONS: dict[str, str] = {
    "pose": "pose: the object has a different pose or is placed in a different location within the image",
    "background": "background: the background of the image is different from the backgrounds of the prototypical "
    "images",
    "pattern": "pattern: the object has a different pattern, e.g. a striped object",
    "color": "color: the object has a different color",
    "smaller": "smaller: the object occupies only a small portion of the entire scene",
    "shape": "shape: the object has a different shape",
    "partial_view": "partial view: the object is visible only partially because the camera field of view did not "
    "contain the full object, e.g. it is cropped out",
    "subcategory": "subcategory: the object is a distinct type or breed from the same class, e.g. a mini-van within "
    "the car class",
    "texture": "texture: the object has a different texture, e.g. a sheep that is sheared",
    "larger": "larger: the object dominates the image",
    "darker": "darker: the lighting in the image is darker when compared to the prototypical images",
    "object_blocking": "object blocking: the object is occluded by another object present in the image",
    "person_blocking": "person blocking: the object is occluded by a person or a human body part, this might include "
    "objects manipulated by human hands",
    "style": "style: the overall image style is different, e.g. a sketch",
    "brighter": "brighter: the lighting in the image is brighter when compared to the prototypical images",
    "multiple_objects": "multiple objects: there is at least one other prominent object present in the image",
}
"""Default factor texts: the factor's name and its definition from the paper's appendix A.2, one per factor."""


def validate_factor_texts(factor_texts: Mapping[str, str] | None) -> dict[str, str]:
    """Check that `factor_texts` holds one non-empty text for each of the 16 factors; None gives the defaults."""
    if factor_texts is None:
        return dict(FACTOR_DEFINITIONS)
    unknown = sorted(set(factor_texts) - set(FACTORS))
    missing = [name for name in FACTORS if name not in factor_texts]
    if unknown or missing:
        problems = [f"{word} {preview(names)}" for word, names in (("unknown", unknown), ("missing", missing)) if names]
        raise InputError(
            f"factor texts need exactly one entry per factor; {', '.join(problems)}; expected keys {list(FACTORS)}",
            field="factor_texts",
        )
    empty = [name for name in FACTORS if not isinstance(factor_texts[name], str) or not factor_texts[name].strip()]
    if empty:
        raise InputError(f"factor texts must be non-empty strings; got none for {preview(empty)}", field="factor_texts")
    return {name: factor_texts[name] for name in FACTORS}


def read_factor_texts(path: str | Path) -> dict[str, str]:
    """Read factor texts from a JSON object mapping each of the 16 factor names to its text."""
    path = Path(path)
    try:
        texts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read a JSON object of factor texts: {error}", path=path) from error
    if not isinstance(texts, dict):
        raise InputError(f"expected a JSON object {{factor: text}}, got {type(texts).__name__}", path=path)
    try:
        return validate_factor_texts(texts)
    except InputError as error:
        raise InputError(error.reason, path=path, field=error.field) from error
