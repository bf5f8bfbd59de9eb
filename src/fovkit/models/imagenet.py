"""ImageNet-1k's 1,000 classes in their standard order, with WordNet ids and readable names, read offline from timm."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from fovkit.errors import InputError, preview
from fovkit.models.base import LabelSpace
from fovkit.registry import close_matches

IMAGENET_1K = "imagenet-1k"


@cache
def imagenet_labels() -> LabelSpace:
    """The `imagenet-1k` label space: index i is the i-th WordNet id in sorted order, as every ImageNet model uses.

    Names are the first lemma of each class's WordNet synset ("tabby" for n02123045), from the class list timm ships
    inside its wheel, so nothing is downloaded. Two lemmas occur twice ("crane" the bird and the machine, "maillot");
    the WordNet ids in `ids` tell them apart.
    """
    from timm.data import ImageNetInfo

    info = ImageNetInfo("imagenet-1k")
    ids = tuple(info.label_names())
    names = tuple(info.index_to_description(index).split(",")[0].strip() for index in range(len(ids)))
    return LabelSpace(IMAGENET_1K, names, ids)


def imagenet_indices(wordnet_ids: Iterable[str]) -> list[int]:
    """Indices in the ImageNet-1k order of WordNet ids such as `n02123045`, e.g. to score "any cat class is right".

    Raises:
        InputError: For ids that are no ImageNet-1k class, with the closest ids.

    """
    wordnet_ids = [wordnet_ids] if isinstance(wordnet_ids, str) else list(wordnet_ids)
    labels = imagenet_labels()
    position = {wordnet_id: index for index, wordnet_id in enumerate(labels.ids)}
    unknown = [wordnet_id for wordnet_id in wordnet_ids if wordnet_id not in position]
    if unknown:
        close = close_matches(str(unknown[0]), labels.ids, limit=3)
        hint = f" (closest to {unknown[0]!r}: {preview(close)})" if close else ""
        raise InputError(
            f"{preview(unknown)} are no ImageNet-1k WordNet ids{hint}; fovkit.models.imagenet_labels().ids lists all "
            "1000",
            field="wordnet_ids",
        )
    return [position[wordnet_id] for wordnet_id in wordnet_ids]
