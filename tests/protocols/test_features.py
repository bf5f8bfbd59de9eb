from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from fovkit.errors import InputError
from fovkit.models import Preprocessing, from_module
from fovkit.protocols import features as features_module
from fovkit.protocols.features import FEATURES, extract_features, feature_cache_folder


def tiny_backbone(seed: int = 0):
    torch.manual_seed(seed)
    trunk = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return from_module(trunk, Preprocessing(input_size=32), name="tiny")


def in_memory_features(backbone, dataset, batch_size: int = 64) -> np.ndarray:
    """The features the pre-streaming code computed: every image decoded in memory, then batched through the model."""
    images = np.stack(list(dataset.images(dataset.samples)))
    parts = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(images[start : start + batch_size]).permute(0, 3, 1, 2)
            parts.append(backbone(batch.float() / 255).numpy())
    return np.concatenate(parts)


@pytest.fixture
def extracted_shards(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the shards whose features are computed (in-process extraction only)."""
    calls: list[str] = []
    original = features_module._extract_shard
    monkeypatch.setattr(
        features_module, "_extract_shard", lambda job, shard: calls.append(shard) or original(job, shard)
    )
    return calls


def test_memory_mapped_features_cover_every_sample_in_order_as_the_in_memory_path_did(tiny_dataset, tmp_path):
    backbone = tiny_backbone()
    result = extract_features(backbone, tiny_dataset, batch_size=64, root=tmp_path, progress=False)
    samples = tiny_dataset.samples
    assert isinstance(result.features, np.memmap) and Path(result.features.filename) == result.folder / FEATURES
    assert result.features.shape == (len(samples), 4) and result.features.dtype == np.float32
    assert list(result.sample_ids) == samples["sample_id"].tolist()
    np.testing.assert_allclose(result.features, in_memory_features(backbone, tiny_dataset), rtol=1e-5, atol=1e-6)
    rows = samples.iloc[[5, 400, 17]]
    np.testing.assert_array_equal(result.rows(rows["sample_id"]), np.asarray(result.features)[[5, 400, 17]])


def test_unknown_sample_ids_are_refused(tiny_dataset, tmp_path):
    result = extract_features(tiny_backbone(), tiny_dataset, root=tmp_path, progress=False, workers=1)
    with pytest.raises(InputError, match=r"1 sample ids have no features, e\.g\. 'nope'"):
        result.rows(["nope", result.sample_ids[0]])


def test_an_interrupted_extraction_resumes_with_the_missing_shard_only(tiny_dataset, tmp_path, extracted_shards):
    backbone = tiny_backbone()
    first = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False, workers=1)
    folder = feature_cache_folder(backbone, tiny_dataset, tmp_path)
    assert (folder / "key.json").is_file()
    assert len(extracted_shards) == len(tiny_dataset.manifest["shards"])
    shard_files = sorted((folder / "shards").glob("*.npy"))
    assert len(shard_files) == len(tiny_dataset.manifest["shards"])
    (folder / FEATURES).unlink()  # as if killed before the assembly
    shard_files[1].unlink()
    extracted_shards.clear()
    again = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False, workers=1)
    assert extracted_shards == [f"{shard_files[1].stem}.parquet"]
    np.testing.assert_array_equal(first.features, again.features)


def test_a_finished_extraction_is_reused_without_computing(tiny_dataset, tmp_path, extracted_shards):
    backbone = tiny_backbone()
    first = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False, workers=1)
    extracted_shards.clear()
    again = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False, workers=1)
    assert extracted_shards == []
    np.testing.assert_array_equal(first.features, again.features)


def test_a_damaged_shard_file_is_computed_again_not_used(tiny_dataset, tmp_path, extracted_shards):
    backbone = tiny_backbone()
    first = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False, workers=1)
    folder = feature_cache_folder(backbone, tiny_dataset, tmp_path)
    damaged = sorted((folder / "shards").glob("*.npy"))[0]
    data = bytearray(damaged.read_bytes())
    data[-4:] = b"\x00\x00\xc0\x7f"  # a NaN where a feature was
    damaged.write_bytes(bytes(data))
    (folder / FEATURES).unlink()
    extracted_shards.clear()
    again = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False, workers=1)
    assert extracted_shards == [f"{damaged.stem}.parquet"]
    assert np.isfinite(again.features).all()
    np.testing.assert_array_equal(first.features, again.features)


def test_a_damaged_assembled_file_is_detected_and_rebuilt_from_the_shards(tiny_dataset, tmp_path, extracted_shards):
    backbone = tiny_backbone()
    first = np.array(extract_features(backbone, tiny_dataset, root=tmp_path, progress=False, workers=1).features)
    path = feature_cache_folder(backbone, tiny_dataset, tmp_path) / FEATURES
    data = bytearray(path.read_bytes())
    data[-4:] = b"\x00\x00\xc0\x7f"
    path.write_bytes(bytes(data))
    extracted_shards.clear()
    again = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False, workers=1)
    assert extracted_shards == []  # the shard files were intact
    np.testing.assert_array_equal(first, again.features)


def test_two_forked_workers_give_what_one_process_gives(tiny_dataset, tmp_path):
    backbone, threads = tiny_backbone(), torch.get_num_threads()
    inline = extract_features(backbone, tiny_dataset, root=tmp_path / "one", progress=False, workers=1)
    forked = extract_features(backbone, tiny_dataset, root=tmp_path / "two", progress=False, workers=2)
    np.testing.assert_allclose(forked.features, inline.features, rtol=1e-5, atol=1e-6)
    assert torch.get_num_threads() == threads  # only worker processes are set to one thread


def test_different_weights_get_a_different_cache_entry(tiny_dataset, tmp_path):
    one, other = tiny_backbone(0), tiny_backbone(1)
    assert feature_cache_folder(one, tiny_dataset, tmp_path) != feature_cache_folder(other, tiny_dataset, tmp_path)
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(
            extract_features(one, tiny_dataset, root=tmp_path, progress=False, workers=1).features,
            extract_features(other, tiny_dataset, root=tmp_path, progress=False, workers=1).features,
        )


def test_ray_tasks_receive_the_backbone_and_give_what_one_process_gives(tiny_dataset, tmp_path):
    ray = pytest.importorskip("ray")
    assert not ray.is_initialized()
    backbone = tiny_backbone()
    inline = extract_features(backbone, tiny_dataset, root=tmp_path / "one", progress=False, workers=1)
    remote = extract_features(backbone, tiny_dataset, root=tmp_path / "ray", progress=False, workers=2, engine="ray")
    np.testing.assert_allclose(remote.features, inline.features, rtol=1e-5, atol=1e-6)
    assert not ray.is_initialized()
