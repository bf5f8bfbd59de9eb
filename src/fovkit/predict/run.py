"""`predict`: a classifier's top-k predictions for every image of a source, streamed into one resumable Parquet file.

Images reach the model through a torch DataLoader whose worker processes decode them and bring each to the model's
evaluation view (`card.preprocessing.prepare`), one batch per item, so memory is bounded by the batch size and the
order of the rows is the source's whatever the number of workers. Rows are written in parts (see
`fovkit.predict.writer`): an interrupted run (Ctrl-C, a crash) resumes after the last complete part when run again
with the same arguments.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import torch
from torch.utils.data import DataLoader, Dataset

import fovkit
from fovkit._memory import return_large_blocks
from fovkit.errors import InputError, preview
from fovkit.models.base import ImageClassifier, Preprocessing
from fovkit.predict.sources import Batch, ImageSource, open_source
from fovkit.predict.writer import PartFolder, Scores, check_output_file, output_schema, scores_table
from fovkit.progress import progress_bar
from fovkit.protocols.devices import device_name, resolve_device

DEFAULT_TOP_K = 5
PART_SIZE = 10_000
"""Rows per part of the work folder: what an interrupted run may have to compute again."""
PRECISION = "float32"


@dataclass(frozen=True)
class PredictResult:
    """What a prediction run wrote.

    Attributes:
        path: The Parquet file.
        images: Rows written (one per image).
        resumed: Rows taken from an interrupted earlier run instead of computed again.
        source_kind: `store`, `imagenet-val` or `image-folder`.
        top_k: Classes listed per image.
        device: Where the model ran.

    """

    path: Path
    images: int
    resumed: int
    source_kind: str
    top_k: int
    device: str


def predict(
    classifier: ImageClassifier,
    source: str | Path,
    out: str | Path,
    top_k: int | None = None,
    logits: bool = False,
    batch_size: int = 64,
    workers: int | None = None,
    device: str = "cpu",
    overwrite: bool = False,
    progress: bool = True,
    part_size: int = PART_SIZE,
    rows: Mapping[str, Sequence[str]] | None = None,
) -> PredictResult:
    """Predict every image of `source` with `classifier` and write one Parquet file `out` (resumable, atomic).

    Args:
        classifier: The model with its label space (e.g. `fovkit.models.load_classifier`); put in eval mode and moved
            to `device`.
        source: A stored dataset folder, an ImageNet val folder or any image folder (see `fovkit.predict.sources`).
        out: The output file, ending in `.parquet`; outside the source.
        top_k: Classes listed per image; default 5, or the number of classes when the model has fewer.
        logits: Also store every logit (`logits` column).
        batch_size: Images per forward pass (also the unit of decoding).
        workers: Processes decoding images (0: in this process); default one per core but one, at most 8.
        device: Torch device of the model: `cpu`, `cuda`, `cuda:N` or `auto`.
        overwrite: Replace an existing prediction file written by fovkit, and discard an interrupted run's parts
            made from other inputs.
        progress: Show a progress bar.
        part_size: Rows per resumable part (and row group of the file).
        rows: Only the rows of a stored dataset whose columns hold one of these values, e.g.
            `{"split": ["held_out"]}` (text, converted to each column's type).

    Returns:
        Where the file is, its rows, and how many came from an interrupted run.

    Raises:
        InputError: For a missing, empty or unknown source, a refused output path, an interrupted run made from
            other inputs, and, met while running, an unreadable image or logits of the wrong shape or not finite:
            then nothing is left, not even the parts of an interrupted run (fixing the source or model changes
            what they were made from).

    """
    if not isinstance(classifier, ImageClassifier):
        raise InputError(f"expected a fovkit ImageClassifier, got {type(classifier).__name__}", field="classifier")
    checked_count("batch_size", batch_size, 1)
    checked_count("part_size", part_size, 1)
    return_large_blocks()
    workers = checked_count("workers", default_workers() if workers is None else workers, 0)
    classes = len(classifier.labels)
    k = resolve_top_k(top_k, classes)
    images = open_source(source, rows)
    out = check_output_file(Path(out), images.root, overwrite)
    target = resolve_device(device)
    settings = {"top_k": k, "logits": logits, "batch_size": batch_size, "part_size": part_size}
    settings.update(device=device_name(target), precision=PRECISION)
    source_facts = {**images.describe(), "fingerprint": images.fingerprint()}
    model_facts = model_identity(classifier)
    metadata = {"model": model_facts, "source": source_facts, "settings": settings, "fovkit": fovkit.__version__}
    schema = output_schema(classes, "labels" in source_facts, "class_dirs" in source_facts, logits, metadata)
    parts = plan_parts(len(images), part_size, images.boundaries(), batch_size)
    folder = PartFolder(out, metadata, [part[-1][1] - part[0][0] for part in parts])
    created = missing_parents(out)
    done = folder.prepare(overwrite)
    try:
        _run_parts(classifier, images, parts, done, folder, schema, k, target, workers, progress)
        folder.assemble(schema)
    except InputError:
        folder.discard()
        remove_empty(created)
        raise
    resumed = sum(part[-1][1] - part[0][0] for part in parts[:done])
    return PredictResult(out, len(images), resumed, images.kind, k, device_name(target))


def checked_count(name: str, value: object, least: int) -> int:
    """`value` if it is an integer of at least `least`, else an InputError naming the setting."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InputError(f"{name} must be an integer of at least {least}, got {value!r}", field=name)
    return value


def resolve_top_k(top_k: int | None, classes: int) -> int:
    """The classes listed per image: `top_k`, or 5 (fewer when the model has fewer classes) when not given."""
    if top_k is None:
        return min(DEFAULT_TOP_K, classes)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= classes:
        raise InputError(
            f"top_k must be an integer from 1 to the model's {classes} classes, got {top_k!r}", field="--top-k"
        )
    return top_k


def default_workers() -> int:
    """Decoding processes by default: one per core but one (the model's), at most 8."""
    return max(0, min(8, (os.cpu_count() or 1) - 1))


def model_identity(classifier: ImageClassifier) -> dict:
    """The model card and label space as recorded in the file (and compared when resuming)."""
    labels = classifier.labels
    return {
        "card": classifier.card.to_dict(),
        "labels": {"name": labels.name, "names": list(labels.names), "ids": labels.ids and list(labels.ids)},
    }


def plan_parts(rows: int, part_size: int, boundaries: list[int], batch_size: int) -> list[list[tuple[int, int]]]:
    """The batches (row ranges) of each part: parts of `part_size` rows, batches that cross no part or boundary."""
    cuts = sorted({*range(0, rows, part_size), *(cut for cut in boundaries if 0 < cut < rows), rows})
    parts: list[list[tuple[int, int]]] = [[] for _ in range(0, rows, part_size)]
    for begin, end in pairwise(cuts):
        for start in range(begin, end, batch_size):
            parts[begin // part_size].append((start, min(start + batch_size, end)))
    return parts


def missing_parents(path: Path) -> list[Path]:
    """The folders above `path` that do not exist yet, innermost first (removed again if the run fails)."""
    return [parent for parent in Path(path).absolute().parents if not parent.exists()]


def remove_empty(folders: list[Path]) -> None:
    """Remove the given folders, innermost first, where they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


class BatchReader(Dataset):
    """A torch Dataset whose item `i` is the i-th planned batch of a source, decoded and prepared (a `Batch`)."""

    def __init__(self, source: ImageSource, batches: list[tuple[int, int]], preprocessing: Preprocessing) -> None:
        self.source = source
        self.batches = batches
        self.preprocessing = preprocessing

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int) -> Batch:
        begin, end = self.batches[index]
        return self.source.read(begin, end, self.preprocessing)


def _as_is(batch: Batch) -> Batch:
    """The DataLoader's collate function: items are whole batches already."""
    return batch


def _run_parts(
    classifier: ImageClassifier,
    images: ImageSource,
    parts: list[list[tuple[int, int]]],
    done: int,
    folder: PartFolder,
    schema: pa.Schema,
    top_k: int,
    device: torch.device,
    workers: int,
    progress: bool,
) -> None:
    """Predict the parts after the first `done` and write each as it completes."""
    batches = [batch for part in parts[done:] for batch in part]
    ends = {part[-1][1]: index for index, part in enumerate(parts) if index >= done}
    total = parts[-1][-1][1]
    reader = BatchReader(images, batches, classifier.card.preprocessing)
    loader = DataLoader(reader, batch_size=None, num_workers=workers, collate_fn=_as_is)
    was_training = classifier.training
    classifier.eval().to(device)
    try:
        with progress_bar(progress) as bar:
            task = bar.add_task("Predicting", total=total, completed=parts[done][0][0] if done < len(parts) else total)
            tables = []
            for (_, end), batch in zip(batches, _checked(loader), strict=True):
                scores = score(classifier, batch, top_k, device)
                tables.append(scores_table(scores, classifier.labels.names, schema))
                bar.advance(task, len(batch.file_names))
                if end in ends:
                    folder.write(ends[end], tables)
                    tables = []
    finally:
        classifier.train(was_training)


def _checked(loader: DataLoader) -> Iterator[Batch]:
    """The loader's batches; a batch carrying a read error raises it."""
    for batch in loader:
        if batch.error is not None:
            raise batch.error
        yield batch


def score(classifier: ImageClassifier, batch: Batch, top_k: int, device: torch.device) -> Scores:
    """Top-k classes and softmax probabilities (and the logits) of one batch; logits must be N x classes, finite."""
    with torch.inference_mode():
        logits = classifier(batch.images.to(device)).float()
    classes = len(classifier.labels)
    if logits.ndim != 2 or tuple(logits.shape) != (len(batch.file_names), classes):
        raise InputError(
            f"the model returned logits of shape {tuple(logits.shape)} for {len(batch.file_names)} images; expected "
            f"({len(batch.file_names)}, {classes}), one per class of its label space",
            field="model",
        )
    finite = torch.isfinite(logits).all(dim=1).cpu().numpy()
    if not finite.all():
        bad = [name for name, ok in zip(batch.file_names, finite, strict=True) if not ok]
        raise InputError(f"the model returned NaN or infinite logits for {preview(bad)}", field="model")
    probabilities = torch.softmax(logits, dim=1)
    top = probabilities.topk(top_k, dim=1)
    return Scores(
        batch.file_names,
        batch.labels,
        batch.class_dirs,
        top.indices.cpu().numpy(),
        top.values.cpu().numpy(),
        logits.cpu().numpy(),
    )
