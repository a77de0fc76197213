"""The last layer of every encoder, as in both of the authors' codes (drnet-py and the Lua drnet).

A conv over the whole final feature map gives the vector, then BatchNorm and tanh bound each unit to (-1, 1) and
keep different inputs from collapsing onto one direction; unit L2 norm is an option on top (the paper's text
says the vectors are unit-norm; the authors' code normalizes the pose vector only, behind a flag). Without the
BatchNorm + tanh, a bare conv + L2 norm let content vectors of different clips sit at cosine 0.997.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class VectorHead(nn.Module):
    """Feature map [B, C, k, k] -> vector [B, dim]: conv(k x k) -> BatchNorm -> tanh (-> unit L2 norm)."""

    def __init__(self, c_in: int, dim: int, kernel: int, normalize: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(c_in, dim, kernel)
        self.bn = nn.BatchNorm2d(dim)
        self.normalize = normalize

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = torch.tanh(self.bn(self.conv(x))).flatten(1)
        return F.normalize(v, dim=1) if self.normalize else v
