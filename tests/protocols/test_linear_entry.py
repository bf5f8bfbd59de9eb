import numpy as np
import torch
from torch import nn

from fovkit.models import Preprocessing, from_module
from fovkit.protocols.entries import linear as linear_entry
from fovkit.protocols.features import extract_features
from fovkit.protocols.linear_probe import LinearProbe


def test_evaluation_rows_predicted_in_chunks_match_one_prediction_of_all(tiny_dataset, tmp_path, monkeypatch):
    torch.manual_seed(0)
    trunk = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    backbone = from_module(trunk, Preprocessing(input_size=32), name="tiny")
    features = extract_features(backbone, tiny_dataset, root=tmp_path, progress=False, workers=1)
    samples = tiny_dataset.samples
    train, evaluate = samples.iloc[::3], samples.iloc[1::2]
    probe = LinearProbe(weight_decays=[1e-3]).fit(features.rows(train["sample_id"]), train["label"].to_numpy())
    monkeypatch.setattr(linear_entry, "PREDICT_CHUNK", 7)
    chunked = linear_entry.predict_rows(probe, features, evaluate["sample_id"])
    np.testing.assert_array_equal(chunked, probe.predict(features.rows(evaluate["sample_id"])))
    assert len(linear_entry.predict_rows(probe, features, evaluate["sample_id"].iloc[:0])) == 0
