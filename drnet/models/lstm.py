"""The pose LSTM: predicts the next pose vector from the previous one and the (fixed) content vector."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PoseLSTM(nn.Module):
    """Input concat(pose(t-1) [B, P], content [B, Dc]) -> pose(t) [B, P] (tanh), one step at a time.

    A linear embedding, ``layers`` stacked LSTM layers of ``hidden`` cells (paper: 2 x 256), and a linear
    output with tanh. When the pose encoder unit-normalizes its vectors (``normalize``), predictions are
    normalized the same way, as in the authors' code, so a long rollout stays on the sphere the decoder was
    trained on. Linear layers start N(0, 0.02) (authors' init); the LSTM cells keep PyTorch's default.
    ``content`` is a vector: for U-Net content encoders only the vector is used here.

    ``standardize`` (not the authors'): the LSTM reads (pose - pose_mean) / pose_scale and predicts in that space
    (linear output, no tanh), mapped back before the unit norm. A trained DrNet can put all its poses in a tiny
    cap of the sphere (MNIST proof model: per-dimension std ~0.01), where raw poses leave the LSTM nothing to
    see; ``fit_standardization`` sets the buffers from training poses, and they are saved with the weights.
    """

    def __init__(self, pose_dim: int, content_dim: int, hidden: int = 256, layers: int = 2, normalize: bool = False,
                 standardize: bool = False):
        super().__init__()
        self.embed = nn.Linear(pose_dim + content_dim, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=layers, batch_first=True)
        self.out = nn.Sequential(nn.Linear(hidden, pose_dim), nn.Identity() if standardize else nn.Tanh())
        self.hidden, self.layers, self.normalize, self.standardize = hidden, layers, normalize, standardize
        if standardize:
            self.register_buffer("pose_mean", torch.zeros(pose_dim))
            self.register_buffer("pose_scale", torch.ones(pose_dim))
        for linear in (self.embed, self.out[0]):
            nn.init.normal_(linear.weight, 0.0, 0.02)
            nn.init.zeros_(linear.bias)

    @torch.no_grad()
    def fit_standardization(self, poses: torch.Tensor) -> None:
        """poses [N, P] (or [..., P]) from the frozen encoder: per-dimension mean and std (floored at 1e-6)."""
        flat = poses.reshape(-1, poses.shape[-1]).float()
        self.pose_mean.copy_(flat.mean(0))
        self.pose_scale.copy_(flat.std(0).clamp_min(1e-6))

    def _input(self, pose: torch.Tensor) -> torch.Tensor:
        return (pose - self.pose_mean) / self.pose_scale if self.standardize else pose

    def _output(self, y: torch.Tensor) -> torch.Tensor:
        pose = self.out(y)
        if self.standardize:
            pose = pose * self.pose_scale + self.pose_mean
        return F.normalize(pose, dim=-1) if self.normalize else pose

    def loss_scale(self) -> torch.Tensor | float:
        """What pose errors are divided by in the training loss: the standardisation scale, or 1."""
        return self.pose_scale if self.standardize else 1.0

    def init_state(self, batch: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = torch.zeros(self.layers, batch, self.hidden, device=device)
        return zeros, zeros.clone()

    def step(self, pose_prev: torch.Tensor, content: torch.Tensor, state):
        """One step: returns (pose_next [B, P], new state)."""
        h = self.embed(torch.cat([self._input(pose_prev), content], dim=1)).unsqueeze(1)
        y, state = self.lstm(h, state)
        return self._output(y.squeeze(1)), state

    def forward(self, poses_in: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
        """Teacher-forced: poses_in [B, T, P] (ground-truth previous poses) -> predictions [B, T, P]."""
        c = content.unsqueeze(1).expand(-1, poses_in.shape[1], -1)
        y, _ = self.lstm(self.embed(torch.cat([self._input(poses_in), c], dim=2)))
        return self._output(y)

    @torch.no_grad()
    def rollout(self, observed: torch.Tensor, content: torch.Tensor, n_future: int) -> torch.Tensor:
        """observed [B, n_past, P] -> predicted future poses [B, n_future, P] (own predictions fed back)."""
        state = self.init_state(observed.shape[0], observed.device)
        pose = observed[:, 0]
        for t in range(1, observed.shape[1]):
            _, state = self.step(pose, content, state)
            pose = observed[:, t]
        out = []
        for _ in range(n_future):
            pose, state = self.step(pose, content, state)
            out.append(pose)
        return torch.stack(out, dim=1)
