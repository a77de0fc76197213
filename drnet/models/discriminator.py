"""The scene discriminator C: are two pose vectors from the same clip?"""

from __future__ import annotations

import torch
from torch import nn


class SceneDiscriminator(nn.Module):
    """(pose_a [B, P], pose_b [B, P]) -> logit [B] that the pair comes from the same clip.

    Fully connected, two hidden layers of ``hidden`` units (paper: 100). Returns logits; use
    ``BCEWithLogits`` (numerically safer than a sigmoid followed by BCE).
    """

    def __init__(self, pose_dim: int, hidden: int = 100):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2 * pose_dim, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, 1),
        )

    def forward(self, pose_a: torch.Tensor, pose_b: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([pose_a, pose_b], dim=1)).squeeze(1)
