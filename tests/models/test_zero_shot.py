from __future__ import annotations

import pytest
import torch

from fovkit.errors import InputError
from fovkit.models import load_backbone
from fovkit.models.zero_shot import ZeroShotClassifier, class_embeddings, prompts_for

CLASSES = ["coffee_mug", "car", "chair", "wine_glass"]


@pytest.fixture(scope="module")
def clip():
    return load_backbone("open_clip:ViT-S-32-alt", weights="random", seed=0)


def test_logits_shape_and_determinism(clip):
    model = ZeroShotClassifier(clip, CLASSES, templates=("an image of a {}.", "a photo of the {}."))
    images = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        logits = model(images)
        again = model(images)
    assert logits.shape == (3, len(CLASSES)) and logits.dtype == torch.float32
    assert torch.equal(logits, again)
    assert logits.abs().max() <= 100.0 + 1e-4  # cosine similarities scaled by 100
    assert model.text_embeddings.shape == (len(CLASSES), clip.card.feature_dim)
    torch.testing.assert_close(model.text_embeddings.norm(dim=1), torch.ones(len(CLASSES)))
    assert len({tuple(row.tolist()) for row in model.text_embeddings}) == len(CLASSES)
    # Each column belongs to one class: the logits differ across class names.
    assert not torch.allclose(logits[:, 0], logits[:, 1])
    # A second classifier over the same backbone and classes gives the same logits.
    with torch.no_grad():
        assert torch.equal(ZeroShotClassifier(clip, CLASSES, model.templates)(images), logits)


def test_matches_an_independent_computation(clip):
    model = ZeroShotClassifier(clip, ["coffee_mug", "car"])
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        text = clip.text_encoder(["an image of a coffee mug.", "an image of a car."])
        text = text / text.norm(dim=1, keepdim=True)
        image = clip(images)
        expected = 100 * (image / image.norm(dim=1, keepdim=True)) @ text.T
        torch.testing.assert_close(model(images), expected, rtol=1e-4, atol=1e-4)


def test_templates_average_normalised_prompt_embeddings(clip):
    templates = ("an image of a {}.", "a sketch of a {}.")
    with torch.no_grad():
        rows = torch.nn.functional.normalize(clip.text_encoder(prompts_for("wine_glass", templates)), dim=-1)
        expected = torch.nn.functional.normalize(rows.mean(dim=0), dim=-1)
    torch.testing.assert_close(class_embeddings(clip.text_encoder, ["wine_glass"], templates)[0], expected)
    assert prompts_for("wine_glass", templates) == ["an image of a wine glass.", "a sketch of a wine glass."]


def test_backbone_without_text_tower_is_refused():
    with pytest.raises(InputError, match="zero-shot needs a CLIP-style backbone with a text tower") as error:
        ZeroShotClassifier(load_backbone("resnet_small"), CLASSES)
    assert "open_clip:ViT-B-32" in str(error.value) and error.value.field == "backbone"


@pytest.mark.parametrize(
    ("classes", "templates", "field"),
    [
        ([], ("a {}.",), "class_names"),
        ("car", ("a {}.",), "class_names"),
        (["car", ""], ("a {}.",), "class_names"),
        (CLASSES, ("a photo.",), "templates"),
        (CLASSES, ("a {} and a {}.",), "templates"),
        (CLASSES, ("a {name}.",), "templates"),
        (CLASSES, "a {}.", "templates"),
        (CLASSES, (), "templates"),
    ],
)
def test_bad_class_names_and_templates(clip, classes, templates, field: str):
    with pytest.raises(InputError) as error:
        ZeroShotClassifier(clip, classes, templates)
    assert error.value.field == field
