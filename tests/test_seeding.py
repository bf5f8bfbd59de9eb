from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from fovkit.errors import InputError
from fovkit.seeding import check_seed, derive_seed, rng, torch_generator


def test_same_seed_and_keys_give_the_same_stream_in_another_process():
    here = rng(7, "render", "held_out", 3).integers(0, 2**62, size=4).tolist()
    code = "from fovkit.seeding import rng; print(rng(7, 'render', 'held_out', 3).integers(0, 2**62, size=4).tolist())"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert there.strip() == str(here)


def test_keys_seeds_and_key_boundaries_give_independent_streams():
    draws = {
        key: tuple(rng(*key).integers(0, 2**62, size=3).tolist())
        for key in [(0, "a"), (1, "a"), (0, "b"), (0, "a", 1), (0, "a", "1"), (0, "a/b"), (0, "a", "b"), (2**40, "a")]
    }
    assert len(set(draws.values())) == len(draws)
    assert rng(0, "a", np.int64(1)).integers(100) == rng(0, "a", 1).integers(100)


def test_derived_int_seeds_and_torch_generators():
    import torch

    assert 0 <= derive_seed(0, "finetune") < 2**63
    assert derive_seed(0, "finetune") != derive_seed(0, "finetune", "step", 0)
    first = torch.randint(0, 1000, (5,), generator=torch_generator(3, "x"))
    assert torch.equal(first, torch.randint(0, 1000, (5,), generator=torch_generator(3, "x")))


@pytest.mark.parametrize("bad", [-1, 2**63, 1.5, "0", True, None])
def test_invalid_seeds_are_refused_with_the_field(bad):
    with pytest.raises(InputError, match="whole number") as caught:
        check_seed(bad, field="--seed")
    assert caught.value.field == "--seed"


def test_keys_must_be_names_or_numbers():
    with pytest.raises(TypeError):
        rng(0, 1.5)
    assert check_seed(np.uint8(4)) == 4
