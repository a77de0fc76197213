"""Nearest neighbours in pixel space: are generated frames copies of training frames? (paper, Fig. 10; the figure
is drawn by ``drnet.report.neighbours``)."""

from __future__ import annotations

import numpy as np
import torch

from drnet.frames import PIXEL_MAX


def _as_unit_float(images: np.ndarray, name: str) -> torch.Tensor:
    """uint8 [N, H, W, C] (0..255) or float [N, H, W, C] in [0, 1] -> float64 [N, H*W*C] in [0, 1]."""
    arr = np.asarray(images)
    if arr.ndim != 4:
        raise ValueError(f"{name} must be images [N, H, W, C], got shape {arr.shape}")
    x = torch.from_numpy(np.ascontiguousarray(arr)).reshape(len(arr), -1).double()
    return x / PIXEL_MAX if arr.dtype == np.uint8 else x


def nearest_neighbours(queries: np.ndarray, bank: np.ndarray, k: int = 5, chunk: int = 4096) -> np.ndarray:
    """Indices int64 [Q, k] of the k frames of ``bank`` [N, H, W, C] closest (L2) to each query [Q, H, W, C].

    Images are uint8 (0..255) or float in [0, 1]; both are compared on the [0, 1] scale, so uint8 training
    frames and float generations mix. Nearest first. ``bank`` may be any array sliceable along its first axis
    (numpy, an h5py dataset); it is read and compared ``chunk`` frames at a time, so memory stays
    O((Q + chunk) * H * W * C). Distances are computed in float64 so that exact duplicates come first.
    """
    q = _as_unit_float(queries, "queries")
    if tuple(bank.shape[1:]) != tuple(np.shape(queries)[1:]):
        raise ValueError(f"queries {np.shape(queries)[1:]} and bank {tuple(bank.shape[1:])} frames differ in shape")
    if not 1 <= k <= len(bank):
        raise ValueError(f"k must be between 1 and the bank size ({len(bank)}), got {k}")
    q_sq = (q * q).sum(dim=1, keepdim=True)
    best_d = torch.empty(len(q), 0, dtype=torch.float64)
    best_i = torch.empty(len(q), 0, dtype=torch.long)
    for s in range(0, len(bank), chunk):
        part = _as_unit_float(bank[s:s + chunk], "bank")
        d = (q_sq - 2 * q @ part.T + (part * part).sum(dim=1)).clamp_min_(0)
        idx = torch.arange(s, s + len(part)).expand(len(q), -1)
        d, idx = torch.cat([best_d, d], dim=1), torch.cat([best_i, idx], dim=1)
        best_d, pick = d.topk(min(k, d.shape[1]), dim=1, largest=False, sorted=True)
        best_i = idx.gather(1, pick)
    return best_i.numpy()
