"""The paper's top-factor selection: pick, among an annotator's selected factors, the one closest to their free text.

ImageNet-X (Sec. 3.1, "Selecting the top factor per image") embeds each annotator's justification and every
selected factor with a pretrained language model (spaCy in the paper) and keeps the most similar factor. This module
does the same offline with a sentence-transformers model (`agreement` compares it with the shipped file).

Rules (per image, on the multi-factor annotations):

- no factor selected: method ``"none"``, no top factor;
- one factor selected: method ``"single"``, that factor (no model needed);
- several factors and an empty justification (missing or whitespace only): method ``"fallback"``, the first selected
  factor in `FACTORS` order;
- otherwise method ``"text"``: the selected factor whose text has the highest cosine similarity with the
  justification; ties go to the first in `FACTORS` order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from fovkit import seeding
from fovkit.errors import InputError, preview
from fovkit.imagenetx.annotations import FACTORS
from fovkit.imagenetx.top_factor.texts import validate_factor_texts
from fovkit.text import SentenceEncoder

METHODS: tuple[str, ...] = ("single", "text", "fallback", "none")
"""How an image's top factor was chosen (see the module docstring)."""

FALLBACK_RULE = "first selected factor in FACTORS order when the justification is empty and several are selected"


def select_top_factors(
    frame: pd.DataFrame,
    encoder: SentenceEncoder,
    factor_texts: Mapping[str, str] | None = None,
    batch_size: int = 256,
    progress: bool = False,
) -> pd.DataFrame:
    """Pick one top factor per image among the factors its annotator selected, by similarity to the justification.

    Args:
        frame: Multi-factor annotations: `sample_id`, the 16 binary factor columns and `justification`.
        encoder: Sentence encoder; only called for images with several selected factors and a justification.
        factor_texts: Text embedded for each factor (default `FACTOR_DEFINITIONS`).
        batch_size: Sentences per `encoder.encode` call.
        progress: Show a progress bar while encoding.

    Returns:
        Frame indexed by `sample_id` (input order) with `selected_top_factor` (missing when none is selected),
        `n_selected`, `similarity` (cosine, NaN unless method is "text") and `method`.

    """
    texts = validate_factor_texts(factor_texts)
    selected, justification = _validate_frame(frame)
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
    n_selected = selected.sum(axis=1)
    has_text = justification != ""
    method = np.select(
        [n_selected == 0, n_selected == 1, ~has_text], ["none", "single", "fallback"], default="text"
    ).astype(object)
    choice = np.argmax(selected, axis=1)  # first selected factor in FACTORS order: the single and fallback rules
    similarity = np.full(len(frame), np.nan)
    by_text = np.flatnonzero(method == "text")
    if len(by_text):
        unique, inverse = np.unique(justification[by_text], return_inverse=True)
        factor_vectors = _unit_rows(_encode(list(texts.values()), encoder, batch_size, progress=False))
        text_vectors = _unit_rows(_encode(unique.tolist(), encoder, batch_size, progress=progress))
        scores = (text_vectors @ factor_vectors.T)[inverse]
        scores = np.where(selected[by_text], scores, -np.inf)
        choice[by_text] = np.argmax(scores, axis=1)
        similarity[by_text] = scores[np.arange(len(by_text)), choice[by_text]]
    names = np.asarray(FACTORS, dtype=object)[choice]
    names[method == "none"] = None
    return pd.DataFrame(
        {"selected_top_factor": names, "n_selected": n_selected, "similarity": similarity, "method": method},
        index=pd.Index(frame["sample_id"].to_numpy(), name="sample_id"),
    )


def choose_subset(n_rows: int, limit: int | None, seed: int) -> np.ndarray:
    """Sorted row positions of a random subset of `limit` rows, drawn from the seeded stream of `fovkit.seeding`.

    Args:
        n_rows: Rows to choose from.
        limit: Rows to keep; None keeps all of them in order.
        seed: Seed of the draw (0 is a seed like any other).

    """
    if limit is None:
        return np.arange(n_rows)
    if not 1 <= limit <= n_rows:
        raise InputError(f"limit must be between 1 and the {n_rows} annotated images, got {limit}", field="limit")
    return np.sort(seeding.rng(seed, "imagenetx", "top_factor_subset").choice(n_rows, size=limit, replace=False))


def _validate_frame(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Selected-factor matrix (bool) and stripped justifications ("" when missing) of a multi-factor frame."""
    missing = [column for column in ("sample_id", *FACTORS, "justification") if column not in frame.columns]
    if missing:
        raise InputError(
            f"the multi-factor frame lacks columns {missing}; present {list(frame.columns)}; "
            "load it with load_factor_table(which_factor='multi')"
        )
    values = frame[list(FACTORS)].to_numpy()
    if not np.isin(values, (0, 1)).all():
        bad = [name for name in FACTORS if not frame[name].isin((0, 1)).all()]
        raise InputError(f"factor columns must hold 0 or 1; columns {bad} hold other values", field=bad[0])
    duplicated = frame["sample_id"][frame["sample_id"].duplicated()]
    if len(duplicated):
        raise InputError(f"duplicate sample ids {preview(duplicated.tolist())}", field="sample_id")
    justification = frame["justification"].astype(object).where(frame["justification"].notna(), "")
    return values.astype(bool), justification.astype(str).str.strip().to_numpy(dtype=object)


def _encode(sentences: list[str], encoder: SentenceEncoder, batch_size: int, progress: bool) -> np.ndarray:
    """Embed sentences in batches of similar length (less padding), returning rows in the input order."""
    order = sorted(range(len(sentences)), key=lambda position: len(sentences[position]))
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    parts: list[np.ndarray] = []
    for batch in _track(batches, len(sentences), progress):
        embedded = np.asarray(encoder.encode([sentences[position] for position in batch]), dtype=np.float64)
        if embedded.ndim != 2 or len(embedded) != len(batch):
            raise InputError(f"the encoder returned shape {embedded.shape} for {len(batch)} sentences; expected 2-D")
        parts.append(embedded)
    vectors = np.empty((len(sentences), parts[0].shape[1]))
    vectors[order] = np.concatenate(parts)
    return vectors


def _track(batches: list[list[int]], total: int, progress: bool) -> Iterable[list[int]]:
    """Yield batches, advancing a rich progress bar (on stderr) by the sentences in each when `progress` is set."""
    if not progress:
        yield from batches
        return
    columns = (
        TextColumn("embedding justifications"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("embed", total=total)
        for batch in batches:
            yield batch
            bar.advance(task, len(batch))


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), so dot products are cosine similarities."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)
