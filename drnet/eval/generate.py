"""Long-range generation: observe n_past frames, roll the pose LSTM forward, decode with fixed content."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from drnet.frames import to_float
from drnet.runtime.context import module_device

# clips generated at once on a GPU by the evaluations that continue many clips (Fig. 9, the swap measures'
# generations): each pass decodes ``chunk`` (64) steps of every clip in it, so 16 clips hold ~1,000 frames'
# activations (a few GB for KTH's VGG decoder at 128 px), where Fig. 9's 200 clips at once would not fit a GPU
CLIPS_PER_PASS = 16


@torch.no_grad()
def generate(drnet, lstm, observed: torch.Tensor, length: int, chunk: int = 64,
             clips_per_pass: int | None = None) -> torch.Tensor:
    """observed float [B, n_past, C, H, W] -> generated float [B, length, C, H, W] in [0, 1], on the models'
    device (``observed`` is moved there).

    Content (and U-Net skips) come from the last observed frame and stay fixed (paper Section 3.1); the
    LSTM sees the observed poses, then feeds back its own predictions. ``clips_per_pass``: on a GPU, generate the
    clips in near-equal groups of about that many (no group of one beside larger ones). On the CPU, and without
    it, all clips go at once, as they always did: RAM holds them, and another batch composition moves the LSTM's
    float sums (~1e-8), so the CPU numbers stay bit for bit those of earlier runs.
    """
    if clips_per_pass and len(observed) > clips_per_pass and module_device(drnet).type != "cpu":
        return torch.cat([generate(drnet, lstm, observed[g], length, chunk)
                          for g in clip_groups(len(observed), clips_per_pass)])
    return torch.cat(list(generate_chunks(drnet, lstm, observed, length, chunk)), dim=1)


def clip_groups(n: int, per: int) -> list[slice]:
    """``n`` clips in consecutive near-equal groups of at most ``per`` (sizes differ by at most one)."""
    count = max(1, -(-n // per))
    size, extra = divmod(n, count)
    bounds = np.cumsum([0] + [size + (i < extra) for i in range(count)])
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


@torch.no_grad()
def generate_chunks(drnet, lstm, observed: torch.Tensor, length: int, chunk: int = 64) -> Iterator[torch.Tensor]:
    """``generate``'s frames decoded ``chunk`` steps at a time: float [B, <=chunk, C, H, W] in [0, 1], in order
    (only the poses, [B, length, P], are held whole)."""
    observed = observed.to(module_device(drnet))
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
