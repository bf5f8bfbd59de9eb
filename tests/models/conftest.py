"""Fixtures of the model tests: download caches pointed at empty folders, and a way to fill them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fovkit.models.weights import hf_hub_cache


@pytest.fixture
def empty_caches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every download cache (Hugging Face, torch hub, ~/.cache/clip) pointed at an empty folder."""
    root = tmp_path / "caches"
    root.mkdir()
    monkeypatch.setenv("HF_HOME", str(root / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(root / "hf" / "hub"))
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(root / "torch"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "xdg"))
    monkeypatch.setenv("HOME", str(root / "home"))
    return root


@pytest.fixture
def fill_hf_cache(empty_caches: Path) -> Callable[[str, str, Path], Path]:
    """Copy a file into the (empty) Hugging Face cache the way huggingface_hub lays out `repo/filename` at main."""

    def fill(repo: str, filename: str, source: Path) -> Path:
        folder = hf_hub_cache() / f"models--{repo.replace('/', '--')}"
        (folder / "refs").mkdir(parents=True)
        (folder / "refs" / "main").write_text("0" * 40)
        target = folder / "snapshots" / ("0" * 40) / filename
        target.parent.mkdir(parents=True)
        target.write_bytes(source.read_bytes())
        return target

    return fill
