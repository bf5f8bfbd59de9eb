"""`fovkit.configs.load_config`: every problem of a TOML file or a flag is one sentence in the user's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from fovkit.cli import experiment, imagenetx, probe
from fovkit.configs import load_config
from fovkit.errors import InputError
from fovkit.imagenetx.config import ImageNetXConfig

JARGON = ("Extra inputs", "Input should", "(got (", "Value error", "validation error", "pydantic")


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


def problem(model, path: Path | None = None, flags=None, **overrides) -> InputError:
    with pytest.raises(InputError) as error:
        load_config(model, path, flags, **overrides)
    message = str(error.value)
    assert not [word for word in JARGON if word in message], message
    assert "\n" not in message
    return error.value


def test_flags_given_as_none_are_left_out():
    assert load_config(ImageNetXConfig, None, bootstrap=5, seed=None) == ImageNetXConfig(bootstrap=5)


def test_flags_override_the_file(tmp_path: Path):
    path = toml(tmp_path, 'which_factor = "multi"\nbootstrap = 0\nseed = 3\n')
    config = load_config(ImageNetXConfig, path, imagenetx.FLAGS, seed=5, partition=None)
    assert (config.which_factor, config.bootstrap, config.seed) == ("multi", 0, 5)


def test_unknown_key_gives_the_closest_key_and_the_valid_keys(tmp_path: Path):
    error = problem(ImageNetXConfig, toml(tmp_path, "bootstrp = 10\n"))
    assert error.path == tmp_path / "run.toml" and error.field == "bootstrp"
    assert "unknown key 'bootstrp'; did you mean 'bootstrap'?" in error.reason
    assert "valid keys: bootstrap, seed, worst_k_classes" in error.reason
    assert "which_factor, partition, keep_prototypes, human" in error.reason


def test_a_key_spelt_like_its_flag_points_to_its_field(tmp_path: Path):
    error = problem(ImageNetXConfig, toml(tmp_path, 'factors = "multi"\n'), imagenetx.FLAGS)
    assert "unknown key 'factors'; did you mean 'which_factor'?" in error.reason


def test_unknown_nested_key_lists_the_keys_of_its_table(tmp_path: Path):
    error = problem(
        probe.config_class(), toml(tmp_path, 'dataset = "d"\n[settings.linear]\nmax_iters = 5\n'), probe.FLAGS
    )
    assert error.field == "settings.linear.max_iters"
    assert "did you mean 'max_iter'?" in error.reason
    assert "valid keys: weight_decays, validation_fraction, max_iter" in error.reason


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("bootstrap = -5", "bootstrap", "must be a whole number >= 0, got -5"),
        ("bootstrap = 1.5", "bootstrap", "must be a whole number >= 0, got 1.5"),
        ('bootstrap = "many"', "bootstrap", 'must be a whole number >= 0, got "many"'),
        ("alpha = 1.5", "alpha", "must be a number > 0 and < 1, got 1.5"),
        ("alpha = nan", "alpha", "got nan"),
        ("worst_k_classes = 0", "worst_k_classes", "must be a whole number >= 1 and <= 1000, got 0"),
        ('partition = "test"', "partition", 'must be one of: "val", "train", got "test"'),
        ('human = "yes please"', "human", 'must be true or false, got "yes please"'),
        ("seed = [1, 2]", "seed", "must be a whole number, got [1, 2]"),
    ],
)
def test_bad_values_in_a_file_name_key_expectation_and_value_as_written(
    tmp_path: Path, text: str, field: str, expected: str
):
    error = problem(ImageNetXConfig, toml(tmp_path, text + "\n"))
    assert error.path == tmp_path / "run.toml" and error.field == field
    assert expected in error.reason


def test_bad_values_from_flags_name_the_flag_and_show_the_value_as_typed():
    error = problem(ImageNetXConfig, None, imagenetx.FLAGS, bootstrap=-5)
    assert (error.path, error.field) == (None, "--bootstrap")
    assert error.reason == "must be a whole number >= 0, got -5"
    error = problem(ImageNetXConfig, None, imagenetx.FLAGS, which_factor="all")
    assert (error.field, error.reason) == ("--factors", "must be one of: top, multi, got all")


def test_repeated_flags_show_their_values_not_a_tuple():
    error = problem(experiment.config_class(), None, experiment.FLAGS, dataset=Path("d"), fractions=(1.5, 0.5))
    assert error.field == "--fraction"
    assert "(1.5," not in str(error)
    error = problem(experiment.config_class(), None, experiment.FLAGS, dataset=Path("d"), protocols=("linear", "x"))
    assert (error.field, error.reason) == ("--protocol", "must be one of: linear, finetune, got x")


@pytest.mark.parametrize("seed", [-1, 2**63])
def test_seeds_are_whole_numbers_from_zero(tmp_path: Path, seed: int):
    error = problem(ImageNetXConfig, None, imagenetx.FLAGS, seed=seed)
    assert error.field == "--seed" and f"got {seed}" in error.reason
    error = problem(ImageNetXConfig, toml(tmp_path, f"seed = {seed}\n"))
    assert error.field == "seed" and error.path == tmp_path / "run.toml"
    assert "a seed is a whole number from 0" in error.reason or "must be a whole number" in error.reason


def test_a_bad_item_of_a_list_in_a_file_says_which_item(tmp_path: Path):
    path = toml(tmp_path, 'dataset = "d"\nseeds = [0, -2]\n')
    error = problem(experiment.config_class(), path, experiment.FLAGS)
    assert error.field == "seeds"
    assert error.reason == "item 2: must be a whole number >= 0, got -2"


def test_a_missing_key_is_named(tmp_path: Path):
    error = problem(probe.config_class(), toml(tmp_path, "bootstrap = 10\n"), probe.FLAGS)
    assert (error.field, error.reason) == ("dataset", "is required; add it")


def test_several_problems_are_told_together(tmp_path: Path):
    error = problem(ImageNetXConfig, toml(tmp_path, "bootstrap = -1\nfoo = 1\n"), imagenetx.FLAGS, seed=-3)
    message = str(error)
    assert message.startswith(f"{tmp_path / 'run.toml'}: 2 problems: ")
    assert "bootstrap: must be a whole number >= 0, got -1" in message and "foo: unknown key 'foo'" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("partition = val\n", 'line 1, column 13: invalid value; text values need quotes, e.g. partition = "val"'),
        ("seed = 1\nseed = 2\n", "line 2, column 9: cannot overwrite a value (line 2: seed = 2)"),
        ("[settings\n", "line 1, column 10"),
        ('partition = "val\n', "line 1"),
    ],
)
def test_toml_syntax_errors_give_file_line_and_what(tmp_path: Path, text: str, expected: str):
    error = problem(ImageNetXConfig, toml(tmp_path, text))
    assert error.path == tmp_path / "run.toml"
    assert error.reason.startswith("invalid TOML at ")
    assert expected in error.reason


def test_unreadable_config_files(tmp_path: Path):
    assert "no such config file" in problem(ImageNetXConfig, tmp_path / "missing.toml").reason
    assert "is a folder" in problem(ImageNetXConfig, tmp_path).reason
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"seed = 1\n\xff\xfe\x00")
    assert "not UTF-8 text" in problem(ImageNetXConfig, binary).reason


def test_backbones_in_command_line_syntax(tmp_path: Path):
    config = load_config(
        probe.config_class(), None, probe.FLAGS, dataset=Path("d"), backbones=("timm:resnet18@random", "fovkit:default")
    )
    assert [str(spec) for spec in config.backbones] == ["timm:resnet18@random", "fovkit:default"]
    assert config.backbones[0].weights == "random"
    from_file = toml(tmp_path, 'dataset = "d"\nbackbones = ["timm:resnet18@random", {name = "fovkit:resnet_small"}]\n')
    assert [str(spec) for spec in load_config(probe.config_class(), from_file).backbones] == [
        "timm:resnet18@random",
        "fovkit:resnet_small",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("resnet18", "did you mean timm:resnet18 or torchvision:resnet18?"),
        ("tim:resnet18", "did you mean 'timm:resnet18'?"),
        ("timm:", "names no model after 'timm:'; write <source>:<model>, e.g. timm:resnet18"),
        ("timm:resnet18@", "nothing after '@'; give a checkpoint path or random (e.g. timm:resnet18@random)"),
    ],
)
def test_bad_backbones_are_told_in_command_line_syntax(value: str, expected: str):
    error = problem(probe.config_class(), None, probe.FLAGS, dataset=Path("d"), backbones=(value,))
    assert error.field == "--backbone"
    assert expected in error.reason
    assert "weights=" not in error.reason
