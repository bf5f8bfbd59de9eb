"""fovkit's own small backbones, sized to train on a CPU core at 64 px: a residual CNN and a tiny vision transformer."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional

from fovkit.errors import InputError
from fovkit.models.base import Preprocessing
from fovkit.registry import Registry

# Every built-in sees 64 px images normalised with the ImageNet statistics.
BUILTIN_PREPROCESSING = Preprocessing(input_size=64)

BUILTINS: Registry[Callable[..., nn.Module]] = Registry("built-in backbone", "fovkit.models.list_backbones()", "name")


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and an identity (or 1x1 projection) shortcut.

    Args:
        in_channels: Channels entering the block.
        out_channels: Channels leaving the block.
        stride: Stride of the first convolution (2 halves the resolution).

    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual update of a feature map."""
        out = functional.relu(self.bn1(self.conv1(x)), inplace=True)
        return functional.relu(self.bn2(self.conv2(out)) + self.shortcut(x), inplace=True)


class ResNetSmall(nn.Module):
    """ResNet-style CNN: stride-2 stem and max-pool, one stage of basic blocks per width, global average pool.

    Args:
        widths: Channels of each stage; every stage after the first halves the resolution.
        depths: Basic blocks per stage.

    """

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256), depths: tuple[int, ...] = (1, 1, 1, 1)) -> None:
        super().__init__()
        if len(widths) != len(depths) or not widths:
            raise ValueError(f"widths {widths} and depths {depths} must be non-empty and of equal length")
        self.feature_dim = widths[-1]
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, 2, 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        blocks, channels = [], widths[0]
        for stage, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            for index in range(depth):
                blocks.append(BasicBlock(channels, width, stride=2 if stage > 0 and index == 0 else 1))
                channels = width
        self.stages = nn.Sequential(*blocks)
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        for module in self.modules():
            if isinstance(module, BasicBlock):
                # Each block starts as the identity, which trains faster from scratch (Goyal et al., 2017).
                nn.init.zeros_(module.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features (N x feature_dim) of normalised images."""
        # Channels-last convolutions are markedly faster on CPU.
        x = self.stages(self.stem(x.contiguous(memory_format=torch.channels_last)))
        return x.mean(dim=(2, 3))


class Attention(nn.Module):
    """Multi-head self-attention over a token sequence.

    Args:
        dim: Token width.
        heads: Attention heads (dim must be divisible by heads).

    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attended tokens, same shape as `x` (N x tokens x dim)."""
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        out = functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, dim))


class TransformerBlock(nn.Module):
    """Pre-norm transformer block: attention and a GELU MLP, each in a residual branch.

    Args:
        dim: Token width.
        heads: Attention heads.
        mlp_ratio: Hidden width of the MLP relative to `dim`.

    """

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Updated tokens."""
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViTTiny(nn.Module):
    """ViT-style network: patch embedding, class token, learned positions, transformer blocks, final LayerNorm.

    Args:
        input_size: Square image side; must be a multiple of `patch_size`.
        patch_size: Side of the square patches that become tokens.
        dim: Token width (and feature width).
        depth: Transformer blocks.
        heads: Attention heads per block.

    """

    def __init__(
        self, input_size: int = 64, patch_size: int = 8, dim: int = 192, depth: int = 6, heads: int = 3
    ) -> None:
        super().__init__()
        if input_size % patch_size:
            raise InputError(
                f"input_size {input_size} is not a multiple of the patch size {patch_size}", field="input_size"
            )
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by heads {heads}")
        self.feature_dim = dim
        self.patch_embed = nn.Conv2d(3, dim, patch_size, patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + (input_size // patch_size) ** 2, dim))
        self.blocks = nn.Sequential(*(TransformerBlock(dim, heads) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self._init_weights()

    def _init_weights(self) -> None:
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The normalised class token (N x dim) of normalised images."""
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], dim=1) + self.pos_embed
        return self.norm(self.blocks(tokens))[:, 0]


@BUILTINS.register("resnet_small")
def resnet_small(input_size: int = 64) -> ResNetSmall:
    """ResNet-10-style CNN, widths 32-64-128-256, 256 features; any input size (global pooling)."""
    del input_size  # global pooling makes the network size-agnostic
    return ResNetSmall(widths=(32, 64, 128, 256), depths=(1, 1, 1, 1))


@BUILTINS.register("vit_tiny")
def vit_tiny(input_size: int = 64) -> ViTTiny:
    """ViT with 8 px patches (64 tokens at 64 px), width 192, depth 6, 3 heads; the class token is the feature."""
    return ViTTiny(input_size=input_size, patch_size=8, dim=192, depth=6, heads=3)
