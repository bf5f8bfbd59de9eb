"""Weights plumbing shared by the adapters: seeded init, checkpoint files, digests and the local download caches."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path

import torch
from torch import nn

from fovkit.errors import InputError, preview
from fovkit.models.base import ModelCard, Preprocessing
from fovkit.runs import atomic_file
from fovkit.seeding import derive_seed

SAFETENSORS_SUFFIX = ".safetensors"
TORCH_SUFFIXES = (".pt", ".pth", ".bin")


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the block with torch's CPU generator on the `fovkit.seeding` stream for model weights under `seed`.

    The global random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "models", "init"))
        yield


def state_digest(module: nn.Module) -> str:
    """First 16 hex characters of SHA-256 over the module's state_dict (names, dtypes, shapes, bytes) in key order."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        value = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}|{value.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(value.view(torch.uint8).numpy())
    return digest.hexdigest()[:16]


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a checkpoint file (.safetensors, or .pt/.pth/.bin read with `weights_only`, never unsafely).

    A `{"state_dict": ...}` or `{"model": ...}` wrapper and a `module.` prefix on every key (DistributedDataParallel)
    are removed.

    Raises:
        InputError: One line for a path that is no file, an empty, truncated or damaged file, and a torch file holding
            objects other than tensors (its pickle could run code; it is never retried with `weights_only=False`).

    """
    path = Path(path)
    _check_checkpoint_file(path)
    try:
        if path.suffix == SAFETENSORS_SUFFIX:
            from safetensors.torch import load_file

            state = load_file(path, device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise InputError(_unsafe_checkpoint_reason(path), path=path, field="weights") from None
    except Exception as error:  # torch, zipfile and safetensors each raise their own types for a damaged file
        raise InputError(
            f"cannot read the checkpoint: it is truncated or damaged ({type(error).__name__}); copy it again or save "
            "it anew",
            path=path,
            field="weights",
        ) from error
    for wrapper in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise InputError("the file holds no state_dict (a mapping of names to tensors)", path=path, field="weights")
    if state and all(key.startswith("module.") for key in state):
        state = {key.removeprefix("module."): value for key, value in state.items()}
    return state


def _check_checkpoint_file(path: Path) -> None:
    """Refuse a folder, a missing file or broken link, and an empty file, each with its own sentence."""
    if path.is_dir():
        raise InputError(
            "is a folder, not a checkpoint file; pass the .safetensors/.pt/.pth file inside it",
            path=path,
            field="weights",
        )
    if not path.is_file():
        link = " (a broken or looping symbolic link)" if path.is_symlink() else ""
        raise InputError(
            f"checkpoint file not found{link}; pass an existing .safetensors/.pt/.pth file", path=path, field="weights"
        )
    if path.stat().st_size == 0:
        raise InputError(
            "cannot read the checkpoint: the file is empty (0 bytes), so its download or copy did not finish; copy it "
            "again",
            path=path,
            field="weights",
        )


def _unsafe_checkpoint_reason(path: Path) -> str:
    """Why `torch.load(weights_only=True)` refused the file, naming the globals it holds where torch can list them."""
    advice = (
        "so it cannot be loaded safely, and fovkit never retries with weights_only=False. Where you trust the file, "
        "convert it to safetensors or to a plain state dict: torch.save(model.state_dict(), path)"
    )
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # not a zip checkpoint: legacy torch.save format, or not a checkpoint at all
        names = []
    if names:
        return f"cannot read the checkpoint: it holds objects other than tensors ({preview(names)}), {advice}"
    return (
        f"cannot read the checkpoint: it is no torch.save file of tensors (it holds other objects, or is damaged), "
        f"{advice}"
    )


def checkpoint_target(path: str | Path) -> Path:
    """Where to save a checkpoint: `path`, with `.safetensors` (or `.pt` without safetensors) when it has no suffix.

    Raises:
        InputError: For a suffix other than .safetensors, .pt, .pth or .bin, or .safetensors without the package.

    """
    path = Path(path).expanduser()
    has_safetensors = importlib.util.find_spec("safetensors") is not None
    if not path.suffix:
        path = path.with_suffix(SAFETENSORS_SUFFIX if has_safetensors else ".pt")
    if path.suffix not in (SAFETENSORS_SUFFIX, *TORCH_SUFFIXES) or (
        path.suffix == SAFETENSORS_SUFFIX and not has_safetensors
    ):
        raise InputError(
            f"cannot write a checkpoint with suffix {path.suffix!r}; use .safetensors (needs the safetensors package) "
            "or .pt",
            path=path,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_state_dict(state: dict[str, torch.Tensor], path: Path) -> None:
    """Write tensors as safetensors (suffix .safetensors) or with torch.save (.pt/.pth/.bin)."""
    tensors, storages = {}, set()
    for name, tensor in state.items():
        value = tensor.detach().cpu().contiguous()
        pointer = value.untyped_storage().data_ptr()
        # safetensors refuses tensors that share memory (tied weights): give each its own copy.
        tensors[name] = value.clone() if pointer in storages else value
        storages.add(pointer)
    with atomic_file(path) as staging:  # complete or absent; permissions from the umask (safetensors writes 0600)
        if path.suffix == SAFETENSORS_SUFFIX:
            from safetensors.torch import save_file

            save_file(tensors, staging)
        else:
            torch.save(tensors, staging)


def load_into(module: nn.Module, state: dict[str, torch.Tensor], path: str | Path, skip: Iterable[str] = ()) -> None:
    """Strictly load `state` into `module`, ignoring keys under the `skip` prefixes; mismatches raise InputError."""
    skip = tuple(skip)
    state = {key: value for key, value in state.items() if not (skip and key.startswith(skip))}
    expected = module.state_dict()
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    wrong = [key for key in expected if key in state and state[key].shape != expected[key].shape]
    if missing or unexpected or wrong:
        parts = [
            f"{label} {preview(keys)}"
            for label, keys in (("missing keys", missing), ("unexpected keys", unexpected), ("wrong shapes", wrong))
            if keys
        ]
        raise InputError(
            f"the checkpoint does not fit this architecture ({'; '.join(parts)}); was it saved from another model?",
            path=path,
            field="weights",
        )
    module.load_state_dict(state)


def load_by_position(module: nn.Module, state: dict[str, torch.Tensor], path: str | Path) -> None:
    """Load a state_dict whose names differ from the module's but whose entries come in the same order.

    Ports of one architecture (e.g. lukemelas-style EfficientNet weights into timm) register the same tensors in the
    same order under other names. The i-th source tensor goes to the i-th entry of `module.state_dict()`, reshaped
    where only the layout differs; the counts of entries and of elements must match everywhere.

    Raises:
        InputError: When the number of entries differs or an entry's element count does not fit, naming both keys.

    """
    expected = module.state_dict()
    if len(state) != len(expected):
        raise InputError(
            f"the weights hold {len(state)} tensors but the network has {len(expected)}; they are not the same "
            "architecture, so they cannot be mapped by position",
            path=path,
            field="weights",
        )
    mapped = {}
    for index, ((source, tensor), (target, slot)) in enumerate(zip(state.items(), expected.items(), strict=True)):
        if tensor.numel() != slot.numel():
            raise InputError(
                f"tensor {index} {source!r} has shape {tuple(tensor.shape)} but the network's {target!r} needs "
                f"{tuple(slot.shape)}; the weights do not fit this architecture by position",
                path=path,
                field="weights",
            )
        mapped[target] = tensor.reshape(slot.shape).to(slot.dtype)
    module.load_state_dict(mapped)


def card_path(weights_path: str | Path) -> Path:
    """The JSON file beside a checkpoint that holds its ModelCard: `model.safetensors` -> `model.card.json`."""
    return Path(weights_path).with_suffix(".card.json")


def write_card(card: ModelCard, weights_path: Path, extra: dict | None = None) -> Path:
    """Write the card and `extra` entries (a classifier's labels) as JSON beside the checkpoint; return its path."""
    target = card_path(weights_path)
    target.write_text(json.dumps({**card.to_dict(), **(extra or {})}, indent=2) + "\n")
    return target


def read_card(weights_path: str | Path) -> dict | None:
    """The card saved beside a checkpoint as a dict (preprocessing as a Preprocessing), or None when there is none."""
    path = card_path(weights_path)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
        spec = record["preprocessing"]
        record["preprocessing"] = Preprocessing(
            input_size=int(spec["input_size"]),
            mean=tuple(float(value) for value in spec["mean"]),
            std=tuple(float(value) for value in spec["std"]),
            interpolation=spec["interpolation"],
            crop_pct=float(spec.get("crop_pct", 1.0)),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"the model card is not valid JSON from save_backbone ({error})", path=path) from error
    if record["preprocessing"].interpolation not in ("bilinear", "bicubic"):
        raise InputError("interpolation must be 'bilinear' or 'bicubic'", path=path, field="preprocessing")
    return record


def saved_card(weights_path: Path, card_id: str) -> dict | None:
    """The card beside a checkpoint (None when there is none), checked to come from the model `card_id`.

    Raises:
        InputError: When the card names another model, saying which name loads it.

    """
    record = read_card(weights_path)
    if record is not None and record.get("id") != card_id:
        raise InputError(
            f"the checkpoint was saved from {record.get('id')!r}, not {card_id!r}; load it under that name",
            path=weights_path,
            field="weights",
        )
    return record


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache as `huggingface_hub` resolves it, read from the environment at call time."""
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "huggingface" / "hub"


def torch_hub_checkpoints() -> Path:
    """The folder where torch.hub (torchvision, timm URL weights) keeps downloaded checkpoints."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def cached_hf_file(repo: str, filenames: Iterable[str]) -> Path | None:
    """The first of `filenames` present in the local Hugging Face cache for `repo` (`org/name[@revision]`)."""
    from huggingface_hub import try_to_load_from_cache

    repo_id, _, revision = repo.partition("@")
    for filename in filenames:
        found = try_to_load_from_cache(repo_id, filename, cache_dir=hf_hub_cache(), revision=revision or None)
        if isinstance(found, str) and Path(found).is_file():
            return Path(found)
    return None


def safe_alternatives(filename: str) -> list[str]:
    """`filename` preceded by the safetensors names that timm and open_clip look for first."""
    special = {"pytorch_model.bin": "model.safetensors", "open_clip_pytorch_model.bin": "open_clip_model.safetensors"}
    if filename in special:
        return [special[filename], filename]
    if filename.endswith((".bin", ".pth")):
        return [filename.rsplit(".", 1)[0] + SAFETENSORS_SUFFIX, filename]
    return [filename]
