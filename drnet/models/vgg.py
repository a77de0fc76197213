"""VGG16-style content encoder and its mirrored U-Net decoder (paper: KTH).

Encoder: the VGG16 conv stack, five blocks of 2, 2, 3, 3, 3 3x3 convs (widths ``width * [1, 2, 4, 8, 8]``), each
conv followed by BatchNorm + LeakyReLU(0.2), max-pooling between blocks, i.e. VGG16 up to its final pooling
layer. A valid conv over the last block's map (4x4 at 64x64, 8x8 at 128x128) gives the ``dim`` vector, unit
normalised. Each block's output (before pooling) is a skip.

Decoder: the mirror image, "pooling layers replaced with spatial up-sampling" (nearest, x2). A transposed conv
turns the vector into the deepest map; at every level the matching skip of the content encoder is concatenated
before that level's convs (U-Net), so static background can be copied from the content frame. Sigmoid output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

BLOCK_CONVS = (2, 2, 3, 3, 3)
BLOCK_WIDTHS = (1, 2, 4, 8, 8)


def _conv(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, inplace=True)]


def _bottom_size(image_size: int) -> int:
    if image_size < 16 or image_size % 16:
        raise ValueError(f"image_size must be a multiple of 16 (four 2x poolings), got {image_size}")
    return image_size // 16


class Vgg16UnetEncoder(nn.Module):
    """x: float [B, C, H, W] in [0, 1] -> (vector [B, dim] (unit norm if normalize), skips).

    skips: five maps, block i's output before pooling, [B, width * BLOCK_WIDTHS[i], H / 2^i, W / 2^i].
    """

    def __init__(self, channels: int, dim: int, width: int = 64, image_size: int = 64, normalize: bool = True):
        super().__init__()
        bottom = _bottom_size(image_size)
        self.blocks = nn.ModuleList()
        c_in = channels
        for n_convs, mult in zip(BLOCK_CONVS, BLOCK_WIDTHS):
            layers: list[nn.Module] = []
            for _ in range(n_convs):
                layers += _conv(c_in, width * mult)
                c_in = width * mult
            self.blocks.append(nn.Sequential(*layers))
        self.head = nn.Conv2d(c_in, dim, bottom)
        self.normalize = normalize
        self.dim = dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        skips = []
        for i, block in enumerate(self.blocks):
            x = block(F.max_pool2d(x, 2) if i else x)
            skips.append(x)
        v = self.head(x).flatten(1)
        return (F.normalize(v, dim=1) if self.normalize else v), skips


class Vgg16UnetDecoder(nn.Module):
    """(content [B, Dc], pose [B, Dp], skips from Vgg16UnetEncoder) -> frame float [B, C, H, W] in [0, 1].

    ``in_dim`` = Dc + Dp. The skips must come from a Vgg16UnetEncoder of the same width and image size.
    """

    def __init__(self, in_dim: int, channels: int, width: int = 64, image_size: int = 64):
        super().__init__()
        bottom = _bottom_size(image_size)
        top = width * BLOCK_WIDTHS[-1]
        self.project = nn.Sequential(nn.ConvTranspose2d(in_dim, top, bottom, bias=False), nn.BatchNorm2d(top),
                                     nn.LeakyReLU(0.2, inplace=True))
        self.skip_channels = [width * m for m in BLOCK_WIDTHS]
        self.blocks = nn.ModuleList()
        c_in = top
        for level in reversed(range(len(BLOCK_CONVS))):
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
        x = self.project(torch.cat([content, pose], dim=1)[:, :, None, None])
        for i, (block, skip) in enumerate(zip(self.blocks, reversed(skips))):
            if i:
                x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = block(torch.cat([x, skip], dim=1))
        return x
