"""Long-range generation: observe n_past frames, roll the pose LSTM forward, decode with fixed content."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from drnet.frames import to_float


@torch.no_grad()
def generate(drnet, lstm, observed: torch.Tensor, length: int, chunk: int = 64) -> torch.Tensor:
    """observed float [B, n_past, C, H, W] -> generated float [B, length, C, H, W] in [0, 1].

    Content (and U-Net skips) come from the last observed frame and stay fixed (paper Section 3.1); the
    LSTM sees the observed poses, then feeds back its own predictions.
    """
    return torch.cat(list(generate_chunks(drnet, lstm, observed, length, chunk)), dim=1)


@torch.no_grad()
def generate_chunks(drnet, lstm, observed: torch.Tensor, length: int, chunk: int = 64) -> Iterator[torch.Tensor]:
    """``generate``'s frames decoded ``chunk`` steps at a time: float [B, <=chunk, C, H, W] in [0, 1], in order
    (only the poses, [B, length, P], are held whole)."""
    b, n_past = observed.shape[:2]
    poses = drnet.encode_pose(observed.flatten(0, 1)).view(b, n_past, -1)
    content, skips = drnet.encode_content(observed[:, -1])
    future = lstm.rollout(poses, content, length)  # [B, length, P]
    for s in range(0, length, chunk):
        p = future[:, s:s + chunk]
        n = p.shape[1]
        c = content.repeat_interleave(n, dim=0)
        k = [x.repeat_interleave(n, dim=0) for x in skips] if skips is not None else None
        yield drnet.decode(c, p.flatten(0, 1), k).view(b, n, *observed.shape[2:])


def observed_clips(store, n_past: int, n_clips: int, seed: int) -> torch.Tensor:
    """The first ``n_past`` frames of up to ``n_clips`` seeded held-out clips of ``store`` (a VideoStore; clips
    at least ``n_past`` long, in store order) as float [B, n_past, C, H, W] in [0, 1]."""
    rng = np.random.default_rng(seed)
    eligible = np.flatnonzero(store.length >= n_past)
    seqs = np.sort(rng.choice(eligible, size=min(n_clips, len(eligible)), replace=False))
    return to_float(np.stack([store.frames(int(q), 0, n_past) for q in seqs]))
