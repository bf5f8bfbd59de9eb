"""`predict`: a classifier's top-k predictions for every image of a source, streamed into one resumable Parquet file.

Images reach the model through a torch DataLoader whose worker processes decode them and bring each to the model's
evaluation view (`card.preprocessing.prepare`), one batch per item, so memory is bounded by the batch size and the
order of the rows is the source's whatever the number of workers. Rows are written in parts (see
`fovkit.predict.writer`): an interrupted run (Ctrl-C, a crash) resumes after the last complete part when run again
with the same arguments.

With test-time adaptation (`adaptation`, `fovkit.adaptation`), a copy of the model adapts over the stream and the
predictions are the adapted model's. Adaptation starts again from the source model at each episode: every shard of
a stored dataset (each shard of a corrupted dataset holds one corruption at one severity), or the whole folder of
files; parts are then whole episodes, so a resumed run gives the same predictions.
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
    adaptation: str = "none",
    adaptation_settings: Mapping[str, object] | None = None,
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
        adaptation: Test-time adaptation method (`fovkit.adaptation.list_methods()`): `none`, `bn`, `tent`, `rpl`.
        adaptation_settings: The method's settings by field name (see `fovkit.adaptation.get_method(name).settings`).

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
    episodes = Episodes.of(adaptation, adaptation_settings)
    classes = len(classifier.labels)
    k = resolve_top_k(top_k, classes)
    images = open_source(source, rows)
    out = check_output_file(Path(out), images.root, overwrite)
    target = resolve_device(device)
    settings = {"top_k": k, "logits": logits, "batch_size": batch_size, "part_size": part_size}
    settings.update(device=device_name(target), precision=PRECISION)
    if episodes is not None:
        settings["adaptation"] = episodes.describe()
    source_facts = {**images.describe(), "fingerprint": images.fingerprint()}
    model_facts = model_identity(classifier)
    metadata = {"model": model_facts, "source": source_facts, "settings": settings, "fovkit": fovkit.__version__}
    schema = output_schema(classes, "labels" in source_facts, "class_dirs" in source_facts, logits, metadata)
    whole = max(1, len(images)) if episodes is not None else part_size  # an adapted run's parts are whole episodes
    parts = plan_parts(len(images), whole, images.boundaries(), batch_size, split_at_boundaries=episodes is not None)
    folder = PartFolder(out, metadata, [part[-1][1] - part[0][0] for part in parts])
    created = missing_parents(out)
    done = folder.prepare(overwrite)
    try:
        _run_parts(classifier, images, parts, done, folder, schema, k, target, workers, progress, episodes)
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


def plan_parts(
    rows: int, part_size: int, boundaries: list[int], batch_size: int, split_at_boundaries: bool = False
) -> list[list[tuple[int, int]]]:
    """The batches (row ranges) of each part: parts of `part_size` rows, batches that cross no part or boundary.

    With `split_at_boundaries`, a boundary also starts a new part (the parts of an adapted run are its episodes).
    """
    cuts = sorted({*range(0, rows, part_size), *(cut for cut in boundaries if 0 < cut < rows), rows})
    starts = set(range(0, rows, part_size)) | ({*boundaries} if split_at_boundaries else set())
    parts: list[list[tuple[int, int]]] = []
    for begin, end in pairwise(cuts):
        if begin in starts or not parts:
            parts.append([])
        for start in range(begin, end, batch_size):
            parts[-1].append((start, min(start + batch_size, end)))
    return parts


@dataclass(frozen=True)
class Episodes:
    """A test-time adaptation method and its settings: each episode adapts a fresh copy of the source model."""

    method: object
    settings: object

    @classmethod
    def of(cls, name: str, settings: Mapping[str, object] | None) -> Episodes | None:
        """The validated method and settings; None for `none` (no adaptation: plain inference)."""
        from fovkit.adaptation import get_method, method_settings

        method = get_method(name)
        checked = method_settings(name, settings)
        if checked.batch_size is not None:
            raise InputError(
                "a prediction run adapts on its own batches: set the batch size with batch_size (--batch-size), not "
                "as an adaptation setting",
                field="adaptation_settings",
            )
        return None if method.name == "none" and not settings else cls(method, checked)

    def start(self, classifier: ImageClassifier, device: torch.device) -> object:
        """An adapter (images -> logits, adapting itself) over a private copy of `classifier`."""
        from fovkit.adaptation.normalization import adaptable_copy

        return self.method.prepare(adaptable_copy(classifier, device), self.settings)

    def describe(self) -> dict:
        """Method and settings, for the file's metadata."""
        return {"method": self.method.name, "settings": self.settings.model_dump(mode="json")}


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
    episodes: Episodes | None = None,
) -> None:
    """Predict the parts after the first `done` and write each as it completes (each part an episode if adapting)."""
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
            starts = {part[0][0] for part in parts}
            adapter = None
            for (begin, end), batch in zip(batches, _checked(loader), strict=True):
                if episodes is not None and (adapter is None or begin in starts):
                    adapter = episodes.start(classifier, device)
                scores = score(classifier, batch, top_k, device, adapter)
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


def score(
    classifier: ImageClassifier, batch: Batch, top_k: int, device: torch.device, adapter: object = None
) -> Scores:
    """Top-k classes and softmax probabilities (and the logits) of one batch; logits must be N x classes, finite.

    An `adapter` (test-time adaptation) computes the logits instead of the classifier, adapting as it goes.
    """
    if adapter is not None:
        logits = adapter(batch.images.to(device)).detach().float()
    else:
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
