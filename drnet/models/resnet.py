"""ResNet-18-style encoder (paper: pose encoder for KTH; both encoders for NORB and chairs).

Four stages of two BasicBlocks (widths ``width * [1, 2, 4, 8]``, BatchNorm, ReLU), as in ResNet-18 up to its
final pooling layer. The ImageNet stem (7x7 stride-2 conv + max-pool, made for 224x224) is adapted to small
frames: a 4x4 stride-2 conv, plus one stride-2 max-pool per extra doubling above 64 (none at 64 or 96, one at
128), so the four stages run at 32, 16, 8, 4 pixels for 64x64 and 128x128 inputs. In place of the global
average pool, a valid conv over the whole final map gives the ``dim`` vector: averaging would throw away where
things are, which the pose vector has to encode. The vector is normalised to unit L2 norm (paper, Section 4.1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BasicBlock(nn.Module):
    """Two 3x3 convs with BatchNorm and a (projected when the shape changes) identity shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x), inplace=True)


class ResNet18Encoder(nn.Module):
    """x: float [B, C, H, W] in [0, 1] -> (vector [B, dim] (unit norm if normalize), skips=None).

    ``image_size`` (H = W) must be a multiple of 16 and >= 32; 64 and 128 are the paper's sizes.
    """

    def __init__(self, channels: int, dim: int, width: int = 64, image_size: int = 64, normalize: bool = True):
        super().__init__()
        if image_size < 32 or image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16 and >= 32, got {image_size}")
        stem: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width),
                                 nn.ReLU(inplace=True)]
        size = image_size // 2
        while size >= 64 and size % 16 == 0:
            stem.append(nn.MaxPool2d(3, 2, 1))
            size //= 2
        blocks: list[nn.Module] = []
        c_in = width
        for stage, c_out in enumerate(width * m for m in (1, 2, 4, 8)):
            stride = 1 if stage == 0 else 2
            blocks += [BasicBlock(c_in, c_out, stride), BasicBlock(c_out, c_out)]
            c_in = c_out
        self.features = nn.Sequential(*stem, *blocks)
        self.head = nn.Conv2d(c_in, dim, size // 8)
        self.normalize = normalize
        self.dim = dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        v = self.head(self.features(x)).flatten(1)
        return (F.normalize(v, dim=1) if self.normalize else v), None
