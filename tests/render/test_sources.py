"""Class names and user files of a render config: asset and background folders checked before rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from fovkit.errors import InputError
from fovkit.render.config import CATALOG_CLASSES, RenderConfig
from fovkit.render.sources import resolve_sources


def test_procedural_classes_by_name_or_count():
    assert resolve_sources(RenderConfig(classes=["mug", "car"])).class_names == ("mug", "car")
    sources = resolve_sources(RenderConfig(classes=3))
    assert sources.class_names == CATALOG_CLASSES[:3] and sources.files == []


def test_named_asset_classes_render_only_those_folders(meshes: Path):
    sources = resolve_sources(RenderConfig(classes=["box"], assets=meshes, instances_per_class=2))
    assert sources.class_names == ("box",)  # not every class folder of the user's
    assert sources.files == [meshes / "box" / "a.obj", meshes / "box" / "b.obj"]
    assert resolve_sources(RenderConfig(classes=1, assets=meshes, instances_per_class=1)).class_names == ("ball",)


def test_unknown_asset_class_is_refused_with_the_folder_classes(meshes: Path):
    config = RenderConfig(classes=["bx"], assets=meshes, instances_per_class=1)
    with pytest.raises(
        InputError, match=r"\['bx'\] are not class folders.*did you mean \['box'\].*'ball', 'box'"
    ) as caught:
        resolve_sources(config, Path("my.toml"))
    assert caught.value.field == "classes" and caught.value.path == Path("my.toml")


def test_more_classes_than_asset_folders_is_refused(meshes: Path):
    with pytest.raises(InputError, match=r"classes = 3, but the assets folder .* has 2 class folders"):
        resolve_sources(RenderConfig(classes=3, assets=meshes, instances_per_class=1))


def test_too_few_meshes_for_the_instances_is_refused(meshes: Path):
    with pytest.raises(InputError, match="'ball' has 1 mesh files but instances_per_class = 2") as caught:
        resolve_sources(RenderConfig(classes=2, assets=meshes, instances_per_class=2))
    assert caught.value.path == meshes / "ball"


def test_missing_asset_folder_is_refused(tmp_path: Path):
    with pytest.raises(InputError, match="does not exist"):
        resolve_sources(RenderConfig(classes=1, assets=tmp_path / "nowhere"))


def test_background_folder_layout_and_counts(photos: Path):
    sources = resolve_sources(
        RenderConfig(classes=["mug"], backgrounds=photos, backgrounds_per_type=1, grid_backgrounds=1)
    )
    assert sources.backgrounds["sky"] == (photos / "sky" / "one.png",)
    assert len(sources.files) == 5
    with pytest.raises(InputError, match=r"1 images .* backgrounds_per_type = 2; add images or lower") as caught:
        resolve_sources(RenderConfig(classes=["mug"], backgrounds=photos, backgrounds_per_type=2))
    assert caught.value.path == photos / "sky"
    config = RenderConfig(
        classes=["mug"], backgrounds=photos, background_types=("sky", "desert"), backgrounds_per_type=1,
        grid_backgrounds=1,
    )  # fmt: skip
    with pytest.raises(InputError, match="no folder for background type 'desert'"):
        resolve_sources(config)
    with pytest.raises(InputError, match="background folder does not exist"):
        resolve_sources(RenderConfig(classes=["mug"], backgrounds=photos / "nowhere"))


def test_unknown_procedural_background_type_is_refused():
    config = RenderConfig(classes=["mug"], background_types=("sky", "desert"), grid_backgrounds=2)
    with pytest.raises(InputError, match=r"\['desert'\] are not procedural background types") as caught:
        resolve_sources(config)
    assert caught.value.field == "background_types"
