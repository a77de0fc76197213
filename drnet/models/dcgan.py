"""DCGAN-style encoder and decoder (paper: MNIST; decoder also for NORB and chairs).

Encoder: stride-2 convs, each followed by BatchNorm + LeakyReLU (the first too, as in the paper and both author
codes), down to 4x4, then the authors' head: a 4x4 conv -> BatchNorm -> tanh (``VectorHead``), unit L2 norm on
top when ``normalize``. Decoder: the mirror image with transposed convs and a
sigmoid output in [0, 1]. At 64x64 both have 5 (de)convolutional layers, as in the paper.

``dcgan64_unet`` is the authors' drnet-py ``dcgan_unet_64`` content path: the same encoder also returns every
stride-2 block's output as a skip, and the U-Net decoder concatenates the matching skip of the content frame
before each up-convolution (input channels doubled), so the digits' strokes reach the decoder at full resolution
instead of through a 4x4 bottleneck. Pose still comes from the pose vector only (the pose encoder has no skips).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from drnet.models.heads import VectorHead, vector_to_map

LAYERS_PER_BLOCK = 3  # conv, BatchNorm, LeakyReLU: one stride-2 block of the encoder's flat ``features``


def _levels(image_size: int) -> int:
    levels = int(math.log2(image_size // 4))
    if image_size < 8 or 4 * 2**levels != image_size:
        raise ValueError(f"image_size must be a power of two >= 8, got {image_size}")
    return levels


class DcganEncoder(nn.Module):
    """x: float [B, C, H, W] in [0, 1] -> (vector [B, dim] in (-1, 1) (unit norm if normalize), skips=None)."""

    returns_skips = False

    def __init__(self, channels: int, dim: int, width: int = 64, image_size: int = 64, normalize: bool = False):
        super().__init__()
        layers: list[nn.Module] = []
        c_in, c_out = channels, width
        for _ in range(_levels(image_size)):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                       nn.LeakyReLU(0.2, inplace=True)]
            c_in, c_out = c_out, c_out * 2
        self.features = nn.Sequential(*layers)  # flat (conv, BN, LeakyReLU) x levels: the saved models' layout
        self.head = VectorHead(c_in, dim, 4, normalize)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
        if not self.returns_skips:
            return self.head(self.features(x)), None
        skips = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i % LAYERS_PER_BLOCK == LAYERS_PER_BLOCK - 1:  # each block's output, after its LeakyReLU
                skips.append(x)
        return self.head(x), skips


class DcganUnetEncoder(DcganEncoder):
    """``DcganEncoder`` that also returns each block's output (highest resolution first) as U-Net skips."""

    returns_skips = True


class DcganDecoder(nn.Module):
    """(content [B, Dc], pose [B, Dp], skips ignored) -> frame float [B, C, H, W] in [0, 1]."""

    matmul_shortcut = True  # the first layer as a matrix product (drnet.models.heads.vector_to_map)

    def __init__(self, in_dim: int, channels: int, width: int = 64, image_size: int = 64):
        super().__init__()
        levels = _levels(image_size)
        c = width * 2 ** (levels - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(in_dim, c, 4, 1, 0, bias=False), nn.BatchNorm2d(c),
                                   nn.LeakyReLU(0.2, inplace=True)]
        for _ in range(levels - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2),
                       nn.LeakyReLU(0.2, inplace=True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, content: torch.Tensor, pose: torch.Tensor, skips: list[torch.Tensor] | None = None
                ) -> torch.Tensor:
        x = vector_to_map(self.net[0], torch.cat([content, pose], dim=1), self.matmul_shortcut)
        for layer in self.net[1:]:
            x = layer(x)
        return x


class DcganUnetDecoder(nn.Module):
    """(content [B, Dc], pose [B, Dp], skips of the content frame) -> frame float [B, C, H, W] in [0, 1]."""

    matmul_shortcut = True  # the first layer as a matrix product (drnet.models.heads.vector_to_map)

    def __init__(self, in_dim: int, channels: int, width: int = 64, image_size: int = 64):
        super().__init__()
        levels = _levels(image_size)
        c = width * 2 ** (levels - 1)
        self.stem = nn.Sequential(nn.ConvTranspose2d(in_dim, c, 4, 1, 0, bias=False), nn.BatchNorm2d(c),
                                  nn.LeakyReLU(0.2, inplace=True))
        ups: list[nn.Module] = []
        for _ in range(levels - 1):
            ups.append(nn.Sequential(nn.ConvTranspose2d(2 * c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2),
                                     nn.LeakyReLU(0.2, inplace=True)))
            c //= 2
        ups.append(nn.Sequential(nn.ConvTranspose2d(2 * c, channels, 4, 2, 1), nn.Sigmoid()))
        self.ups = nn.ModuleList(ups)

    def forward(self, content: torch.Tensor, pose: torch.Tensor, skips: list[torch.Tensor] | None = None
                ) -> torch.Tensor:
        if skips is None or len(skips) != len(self.ups):
            raise ValueError(f"the U-Net decoder needs the content encoder's {len(self.ups)} skips")
        d = vector_to_map(self.stem[0], torch.cat([content, pose], dim=1), self.matmul_shortcut)
        d = self.stem[2](self.stem[1](d))
        for up, skip in zip(self.ups, reversed(skips)):
            d = up(torch.cat([d, skip], dim=1))
        return d
