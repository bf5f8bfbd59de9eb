import numpy as np
import pytest
import torch
from torch import nn

from fovkit.models import Preprocessing, from_module
from fovkit.protocols import features as features_module
from fovkit.protocols.features import extract_features, feature_cache_folder


def tiny_backbone(seed: int = 0):
    torch.manual_seed(seed)
    trunk = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return from_module(trunk, Preprocessing(input_size=32), name="tiny")


def test_features_cover_every_sample_in_order_and_match_a_direct_forward(tiny_dataset, tmp_path):
    backbone = tiny_backbone()
    result = extract_features(backbone, tiny_dataset, batch_size=64, root=tmp_path, progress=False)
    samples = tiny_dataset.samples
    assert result.features.shape == (len(samples), 4)
    assert result.features.dtype == np.float32
    assert list(result.sample_ids) == samples["sample_id"].tolist()
    rows = samples.iloc[[5, 400, 17]]
    images = torch.from_numpy(np.stack(list(tiny_dataset.images(rows)))).permute(0, 3, 1, 2).float() / 255
    with torch.inference_mode():
        expected = backbone(images).numpy()
    np.testing.assert_allclose(result.rows(rows["sample_id"]), expected, rtol=1e-5, atol=1e-6)


def test_cache_is_reused_and_resumes_missing_shards(tiny_dataset, tmp_path, monkeypatch):
    backbone = tiny_backbone()
    first = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False)
    folder = feature_cache_folder(backbone, tiny_dataset, tmp_path)
    assert (folder / "key.json").is_file()
    shard_files = sorted(folder.glob("*.npy"))
    assert len(shard_files) == len(tiny_dataset.manifest["shards"])
    shard_files[1].unlink()
    calls = []
    original = features_module._embed
    monkeypatch.setattr(features_module, "_embed", lambda *args: calls.append(1) or original(*args))
    again = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False)
    assert len(calls) == 1  # only the deleted shard was recomputed
    np.testing.assert_array_equal(first.features, again.features)


def test_different_weights_get_a_different_cache_entry(tiny_dataset, tmp_path):
    one, other = tiny_backbone(0), tiny_backbone(1)
    assert feature_cache_folder(one, tiny_dataset, tmp_path) != feature_cache_folder(other, tiny_dataset, tmp_path)
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(
            extract_features(one, tiny_dataset, root=tmp_path, progress=False).features,
            extract_features(other, tiny_dataset, root=tmp_path, progress=False).features,
        )


def test_a_damaged_feature_file_is_computed_again_not_used(tiny_dataset, tmp_path, monkeypatch):
    backbone = tiny_backbone()
    first = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False)
    damaged = sorted(feature_cache_folder(backbone, tiny_dataset, tmp_path).glob("*.npy"))[0]
    data = bytearray(damaged.read_bytes())
    data[-4:] = b"\x00\x00\xc0\x7f"  # a NaN where a feature was
    damaged.write_bytes(bytes(data))
    calls = []
    original = features_module._embed
    monkeypatch.setattr(features_module, "_embed", lambda *args: calls.append(1) or original(*args))
    again = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False)
    assert len(calls) == 1
    assert np.isfinite(again.features).all()
    np.testing.assert_array_equal(first.features, again.features)
