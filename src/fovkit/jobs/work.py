"""Work folders of the training jobs: in the cache, keyed by the config, so an interrupted job resumes."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel

from fovkit.cache import cache_dir


def work_folder(kind: str, config: BaseModel):
    """The cache folder where a `kind` job of `config` keeps its checkpoints until it finishes."""
    digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]
    return cache_dir() / "work" / f"{kind}-{digest}"
