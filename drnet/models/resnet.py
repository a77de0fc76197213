"""ResNet-18-style encoder (paper: pose encoder for KTH; both encoders for NORB and chairs).

As the authors' ``resnet_64``: a 5x5 stride-2 stem conv (padding 3) with BatchNorm + ReLU and a 3x3 stride-2
max-pool, then four stages of two BasicBlocks (widths ``width * [1, 2, 4, 8]``; strides 1, 2, 2, 2), so at
64x64 the stages run at 17, 9, 5 and 3 pixels (215 M multiply-adds per frame at width 64, not the 555 M of
running them at 32/16/8/4). In place of the global average pool, the authors' head: a conv over the whole final
map -> BatchNorm -> tanh (``VectorHead``), unit L2 norm on top when ``normalize``. Averaging would throw away
where things are, which the pose vector has to encode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from drnet.models.heads import VectorHead


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

    def __init__(self, channels: int, dim: int, width: int = 64, image_size: int = 64, normalize: bool = False):
        super().__init__()
        if image_size < 32 or image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16 and >= 32, got {image_size}")
        stem: list[nn.Module] = [nn.Conv2d(channels, width, 5, 2, 3, bias=False), nn.BatchNorm2d(width),
                                 nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        conv_out = (image_size + 1) // 2 + 1  # 5x5 conv, stride 2, padding 3
        size = (conv_out - 1) // 2 + 1  # 3x3 max-pool, stride 2, padding 1
        for _ in range(3):  # stages 2-4 halve the map (3x3 convs, stride 2, padding 1)
            size = (size - 1) // 2 + 1
        blocks: list[nn.Module] = []
        c_in = width
        for stage, c_out in enumerate(width * m for m in (1, 2, 4, 8)):
            stride = 1 if stage == 0 else 2
            blocks += [BasicBlock(c_in, c_out, stride), BasicBlock(c_out, c_out)]
            c_in = c_out
        self.features = nn.Sequential(*stem, *blocks)
        self.head = VectorHead(c_in, dim, size, normalize)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        return self.head(self.features(x)), None
