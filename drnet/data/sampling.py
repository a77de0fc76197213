"""Samplers and datasets that read training examples straight from a video store.

Every batch is planned from ``(seed, step)`` alone, so a resumed run sees exactly the batches an unbroken run
would have seen, and DDP ranks take disjoint slices of the same global plan. A plan never draws two items from
the same clip, which is what makes scene-discriminator negatives safe (see ``different_clip_partner``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from drnet.data.store import VideoStore


def pair_plan(lengths: np.ndarray, batch_size: int, max_step: int, seed: int, step: int) -> np.ndarray:
    """Plan a DrNet batch: int64 [B, 3] rows (sequence, t, k) with distinct sequences and 1 <= k <= max_step.

    ``t`` is uniform over the frames that leave room for ``t + k`` in the clip; ``k`` is uniform in
    ``[1, min(max_step, length - 1)]`` (the authors' code read only frames 0-3 after a loader change).
    """
    rng = np.random.default_rng([seed, 1, step])
    seqs = rng.choice(len(lengths), size=batch_size, replace=False)
    max_k = np.minimum(max_step, lengths[seqs] - 1)
    k = 1 + (rng.random(batch_size) * max_k).astype(np.int64)
    t = (rng.random(batch_size) * (lengths[seqs] - k)).astype(np.int64)
    return np.stack([seqs, t, k], axis=1).astype(np.int64)


def window_plan(lengths: np.ndarray, batch_size: int, window: int, seed: int, step: int) -> np.ndarray:
    """Plan an LSTM batch: int64 [B, 2] rows (sequence, t0) of windows of ``window`` consecutive frames."""
    rng = np.random.default_rng([seed, 2, step])
    eligible = np.flatnonzero(lengths >= window)
    seqs = rng.choice(eligible, size=batch_size, replace=len(eligible) < batch_size)
    t0 = (rng.random(batch_size) * (lengths[seqs] - window + 1)).astype(np.int64)
    return np.stack([seqs, t0], axis=1).astype(np.int64)


class StepBatchSampler(Sampler[list[tuple[int, ...]]]):
    """Yields, for each step in ``[start_step, total_steps)``, this rank's slice of the planned global batch."""

    def __init__(self, plan: Callable[[int], np.ndarray], start_step: int, total_steps: int,
                 rank: int = 0, world_size: int = 1):
        self.plan, self.start_step, self.total_steps = plan, start_step, total_steps
        self.rank, self.world_size = rank, world_size

    def __iter__(self) -> Iterator[list[tuple[int, ...]]]:
        for step in range(self.start_step, self.total_steps):
            rows = self.plan(step)[self.rank::self.world_size]
            yield [tuple(int(v) for v in row) for row in rows]

    def __len__(self) -> int:
        return max(0, self.total_steps - self.start_step)


class PairDataset(Dataset):
    """Item (seq, t, k) -> (x_t uint8 [H, W, C], x_t+k uint8 [H, W, C], seq int)."""

    def __init__(self, store: VideoStore):
        self.store = store

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, item: tuple[int, int, int]):
        seq, t, k = item
        frames = self.store.frames(seq, t, k + 1)
        return torch.from_numpy(frames[0]), torch.from_numpy(frames[-1]), seq


class WindowDataset(Dataset):
    """Item (seq, t0) -> frames uint8 [T, H, W, C] of ``window`` consecutive frames."""

    def __init__(self, store: VideoStore, window: int):
        self.store, self.window = store, window

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, item: tuple[int, int]):
        seq, t0 = item
        return torch.from_numpy(self.store.frames(seq, t0, self.window)), seq


def different_clip_partner(seqs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A permutation ``perm`` of the batch with ``seqs[perm] != seqs`` everywhere (no clip paired with itself).

    The authors' code used a plain random permutation, which can pair a clip with itself and so teach the scene
    discriminator that a same-clip pair is "different". Items are shuffled, grouped by clip, and each item is
    paired with the item half a batch away in that order (a cyclic shift by the largest group size), which never
    lands in its own group. Raises if more than half the batch comes from a single clip.
    """
    b = seqs.shape[0]
    order = torch.randperm(b, generator=generator)
    order = order[torch.argsort(seqs[order], stable=True)]  # grouped by clip, random within groups
    _, counts = torch.unique(seqs, return_counts=True)
    shift = int(counts.max())
    if 2 * shift > b:
        raise ValueError(f"cannot pair a batch of {b} with {shift} items from one clip with different clips")
    perm = torch.empty_like(order)
    perm[order] = order.roll(shift)
    return perm
