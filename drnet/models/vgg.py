"""VGG16-style content encoder and its mirrored U-Net decoder (paper: KTH), shaped as the authors' ``vgg_unet_64``.

Encoder: the VGG16 conv stack, blocks of 2, 2, 3, 3 (, 3) 3x3 convs (widths ``width * [1, 2, 4, 8, 8]``), each conv
followed by BatchNorm + LeakyReLU(0.2), max-pooling after every block, as many blocks as halve the frame down to
4x4 (four at 64x64: 10 convs, 8.7 M parameters at width 64; five at 128x128). The authors' head, a 4x4 conv ->
BatchNorm -> tanh (``VectorHead``), gives the ``dim`` vector. Each block's output (before pooling) is a skip.

Decoder: the mirror image, "pooling layers replaced with spatial up-sampling" (nearest, x2). A transposed conv
turns the vector into a 4x4 map; at every level the map is up-sampled and the matching skip of the content
encoder concatenated before that level's convs (U-Net), so static background can be copied from the content
frame. Sigmoid output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from drnet.models.heads import VectorHead, vector_to_map

BLOCK_CONVS = (2, 2, 3, 3, 3)
BLOCK_WIDTHS = (1, 2, 4, 8, 8)


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, inplace=True)]


def _levels(image_size: int) -> int:
    """Number of VGG blocks: one per halving from ``image_size`` down to 4 (4 at 64x64, 5 at 128x128)."""
    levels = (image_size // 4).bit_length() - 1
    if image_size < 32 or 4 * 2**levels != image_size or levels > len(BLOCK_CONVS):
        raise ValueError(f"image_size must be a power of two from 32 to {4 * 2 ** len(BLOCK_CONVS)}, got {image_size}")
    return levels


class Vgg16UnetEncoder(nn.Module):
    """x: float [B, C, H, W] in [0, 1] -> (vector [B, dim] (unit norm if normalize), skips).

    skips: one map per block, block i's output before pooling, [B, width * BLOCK_WIDTHS[i], H / 2^i, W / 2^i].
    """

    def __init__(self, channels: int, dim: int, width: int = 64, image_size: int = 64, normalize: bool = False):
        super().__init__()
        levels = _levels(image_size)
        self.blocks = nn.ModuleList()
        c_in = channels
        for n_convs, mult in zip(BLOCK_CONVS[:levels], BLOCK_WIDTHS[:levels]):
            layers: list[nn.Module] = []
            for _ in range(n_convs):
                layers += _conv(c_in, width * mult)
                c_in = width * mult
            self.blocks.append(nn.Sequential(*layers))
        self.head = VectorHead(c_in, dim, 4, normalize)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        skips = []
        for block in self.blocks:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        return self.head(x), skips


class Vgg16UnetDecoder(nn.Module):
    """(content [B, Dc], pose [B, Dp], skips from Vgg16UnetEncoder) -> frame float [B, C, H, W] in [0, 1].

    ``in_dim`` = Dc + Dp. The skips must come from a Vgg16UnetEncoder of the same width and image size.
    """

    matmul_shortcut = True  # the first layer as a matrix product (drnet.models.heads.vector_to_map)

    def __init__(self, in_dim: int, channels: int, width: int = 64, image_size: int = 64):
        super().__init__()
        levels = _levels(image_size)
        top = width * BLOCK_WIDTHS[levels - 1]
        self.project = nn.Sequential(nn.ConvTranspose2d(in_dim, top, 4, bias=False), nn.BatchNorm2d(top),
                                     nn.LeakyReLU(0.2, inplace=True))
        self.skip_channels = [width * m for m in BLOCK_WIDTHS[:levels]]
        self.blocks = nn.ModuleList()
        c_in = top
        for level in reversed(range(levels)):
            c_skip = self.skip_channels[level]
            c_in += c_skip
            layers: list[nn.Module] = []
            for j in range(BLOCK_CONVS[level]):
                last = j == BLOCK_CONVS[level] - 1
                if last and level == 0:
                    layers += [nn.Conv2d(c_in, channels, 3, 1, 1), nn.Sigmoid()]
                else:
                    c_out = self.skip_channels[level - 1] if last else c_skip
                    layers += _conv(c_in, c_out)
                    c_in = c_out
            self.blocks.append(nn.Sequential(*layers))

    def forward(self, content: torch.Tensor, pose: torch.Tensor, skips: list[torch.Tensor] | None) -> torch.Tensor:
        if skips is None:
            raise ValueError("Vgg16UnetDecoder needs the content encoder's skips; pair it with Vgg16UnetEncoder "
                             "and pass the skips it returns")
        if len(skips) != len(self.blocks):
            raise ValueError(f"Vgg16UnetDecoder expects {len(self.blocks)} skips, got {len(skips)}")
        x = vector_to_map(self.project[0], torch.cat([content, pose], dim=1), self.matmul_shortcut)
        x = self.project[2](self.project[1](x))
        for block, skip in zip(self.blocks, reversed(skips)):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = block(torch.cat([x, skip], dim=1))
        return x
