"""`fovkit topfactor` as a job: a deterministic subset, the run folder (record and report), nothing left after a
crash, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fovkit.cli.main import app
from fovkit.errors import InputError
from fovkit.imagenetx.annotations import FACTORS
from fovkit.imagenetx.top_factor import FACTOR_DEFINITIONS, choose_subset
from fovkit.jobs.topfactor import OUTPUT_FILES, run_top_factor


def test_subset_is_deterministic_and_written(tmp_path, encoder, val_multi):
    first = choose_subset(len(val_multi), 200, seed=0)
    assert np.array_equal(first, choose_subset(len(val_multi), 200, seed=0))
    assert not np.array_equal(first, choose_subset(len(val_multi), 200, seed=1))
    assert len(np.unique(first)) == 200 and np.all(np.diff(first) > 0)
    assert np.array_equal(choose_subset(5, None, seed=0), np.arange(5))
    for bad in (0, len(val_multi) + 1):
        with pytest.raises(InputError, match="limit"):
            choose_subset(len(val_multi), bad, seed=0)
    result = run_top_factor("val", tmp_path / "one", limit=200, seed=0, progress=False, encoder=encoder)
    run_top_factor("val", tmp_path / "two", limit=200, seed=0, progress=False, encoder=encoder)
    assert sorted(path.name for path in (tmp_path / "one").iterdir()) == sorted(OUTPUT_FILES)
    written = pd.read_csv(tmp_path / "one" / "top_factors.csv")
    assert written["sample_id"].tolist() == val_multi["sample_id"].iloc[first].tolist()
    assert (tmp_path / "one" / "top_factors.csv").read_bytes() == (tmp_path / "two" / "top_factors.csv").read_bytes()
    summary = json.loads((tmp_path / "one" / "top_factor_summary.json").read_text())
    assert summary["n_compared"] == result.n_compared == 200
    assert summary["agreement"] == pytest.approx(result.agreement)
    assert summary["seed"] == 0 and summary["factor_texts"] == FACTOR_DEFINITIONS
    assert sum(summary["method_counts"].values()) == 200
    record = json.loads((tmp_path / "one" / "run.json").read_text())
    assert record["kind"] == "topfactor" and record["seeds"] == {"subset": 0} and record["device"] == "cpu"
    assert any(path.endswith("imagenet_x_val_top_factor.jsonl") for path in record["inputs"])
    page = (tmp_path / "one" / "report.html").read_text(encoding="utf-8")
    assert f"over {result.n_compared:,} images" in page and "By selection method" in page


def test_run_refuses_a_full_folder_and_leaves_nothing_after_a_crash(tmp_path, refusing_encoder, failing_encoder):
    full = tmp_path / "full"
    full.mkdir()
    (full / "old.csv").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        run_top_factor("val", full, limit=10, progress=False, encoder=refusing_encoder)
    with pytest.raises(RuntimeError, match="encoder crashed"):
        run_top_factor("val", tmp_path / "crash", limit=50, progress=False, encoder=failing_encoder)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["full"]


def test_cli_writes_the_files(tmp_path):
    # Through the registered `fovkit topfactor` command, as a user runs it.
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps({name: name.replace("_", " ") for name in FACTORS}))
    out = tmp_path / "cli"
    args = ["topfactor", "--out", str(out), "--partition", "train", "--limit", "60", "--seed", "1", "--quiet"]
    result = CliRunner().invoke(app, [*args, "--factor-texts", str(texts)])
    assert result.exit_code == 0, result.output
    assert "agreement with the shipped top factor" in result.output
    assert sorted(path.name for path in out.iterdir()) == sorted(OUTPUT_FILES)
    summary = json.loads((out / "top_factor_summary.json").read_text())
    assert summary["partition"] == "train" and summary["limit"] == 60
    assert summary["factor_texts"]["partial_view"] == "partial view"
    assert len(pd.read_csv(out / "top_factors.csv")) == 60
