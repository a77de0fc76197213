"""Classifier networks of the evaluations (their training loop is ``drnet.eval.classifiers.fit_classifier``).

- ActionClassifier: a small CNN on KTH frames or short clips (frames stacked on channels); trained on real
  frames, it is the "Inception" network that scores KTH generations (drnet.eval.inception).
- MLPClassifier: the paper's fully connected classifier (Appendix D) on content/pose vectors: NORB objects
  (256 hidden units) and KTH few-shot actions (1200 hidden units on 24 pose vectors of 24 dims, flattened).
"""

from __future__ import annotations

import torch
from torch import nn


class ActionClassifier(nn.Module):
    """frames float [B, clip_len * C, H, W] or [B, clip_len, C, H, W] in [0, 1] -> logits [B, n_classes].

    Stride-2 4x4 convs with BatchNorm + LeakyReLU(0.2) (widths ``width * 2^i``, at most ``8 * width``) down to
    4x4, global average pooling (actions do not depend on where the person is), dropout and a linear layer.
    """

    def __init__(self, channels: int, n_classes: int, width: int = 32, clip_len: int = 1, image_size: int = 64,
                 dropout: float = 0.5):
        super().__init__()
        if image_size < 8 or image_size % 4:
            raise ValueError(f"image_size must be a multiple of 4 and >= 8, got {image_size}")
        layers: list[nn.Module] = []
        c_in, c_out, size = channels * clip_len, width, image_size
        while size > 4:
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                       nn.LeakyReLU(0.2, inplace=True)]
            c_in, c_out, size = c_out, min(2 * c_out, 8 * width), size // 2
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout))
        self.out = nn.Linear(c_in, n_classes)
        self.in_channels = channels * clip_len

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 5:
            x = x.flatten(1, 2)
        if x.shape[1] != self.in_channels:
            raise ValueError(f"ActionClassifier expects {self.in_channels} input channels (clip_len x channels), "
                             f"got input of shape {tuple(x.shape)}")
        return self.out(self.features(x))


class MLPClassifier(nn.Module):
    """features float [B, in_dim] (or [B, ...], flattened) -> logits [B, n_classes].

    Paper, Appendix D: "a two layer fully connected network with N hidden units. Leaky ReLU's, batch
    normalization and dropout were used in every layer". Read here as ``n_layers`` linear layers (default 2:
    one hidden layer), each hidden one followed by BatchNorm, LeakyReLU(0.2) and Dropout; a linear output.
    """

    def __init__(self, in_dim: int, n_classes: int, hidden: int = 256, dropout: float = 0.5, n_layers: int = 2):
        super().__init__()
        if n_layers < 2:
            raise ValueError(f"n_layers must be >= 2 (hidden layers + output), got {n_layers}")
        layers: list[nn.Module] = []
        c_in = in_dim
        for _ in range(n_layers - 1):
            layers += [nn.Linear(c_in, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(0.2, inplace=True),
                       nn.Dropout(dropout)]
            c_in = hidden
        self.net = nn.Sequential(*layers, nn.Linear(c_in, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))
