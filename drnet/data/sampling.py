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


def pair_plan(lengths: np.ndarray, batch_size: int, max_step: int | None, seed: int, step: int) -> np.ndarray:
    """Plan a DrNet batch: int64 [B, 3] rows (sequence, t, k) with distinct sequences; frames t and t + k.

    With ``max_step`` k is uniform in ``[1, min(max_step, length - 1)]`` and ``t`` uniform over the frames that
    leave room for ``t + k`` (the authors' code read only frames 0-3 after a loader change). With ``max_step``
    None the two frames are any two distinct frames of the clip (k may be negative), as the authors' KTH loader.
    """
    rng = np.random.default_rng([seed, 1, step])
    seqs = rng.choice(len(lengths), size=batch_size, replace=False)
    return np.concatenate([seqs[:, None], _offsets(rng, lengths[seqs], max_step)], axis=1).astype(np.int64)


def fresh_pair_plan(seq_len: int, batch_size: int, max_step: int | None, seed: int, step: int) -> np.ndarray:
    """Plan a DrNet batch of freshly generated clips: rows (clip id, t, k), clip ids unique over the whole run
    (``step * batch_size + i``), so every item is a new clip drawn from ``(seed, clip id)``."""
    rng = np.random.default_rng([seed, 3, step])
    ids = step * batch_size + np.arange(batch_size)
    lengths = np.full(batch_size, seq_len)
    return np.concatenate([ids[:, None], _offsets(rng, lengths, max_step)], axis=1).astype(np.int64)


def _offsets(rng: np.random.Generator, lengths: np.ndarray, max_step: int | None) -> np.ndarray:
    """(t, k) int64 [B, 2] for clips of ``lengths`` [B]: see ``pair_plan``."""
    b = len(lengths)
    if max_step is None:
        t = (rng.random(b) * lengths).astype(np.int64)
        u = (rng.random(b) * (lengths - 1)).astype(np.int64)  # any other frame: skip t itself
        u += u >= t
        return np.stack([t, u - t], axis=1)
    max_k = np.minimum(max_step, lengths - 1)
    k = 1 + (rng.random(b) * max_k).astype(np.int64)
    t = (rng.random(b) * (lengths - k)).astype(np.int64)
    return np.stack([t, k], axis=1)


def fresh_window_plan(seq_len: int, batch_size: int, window: int, seed: int, step: int) -> np.ndarray:
    """Plan an LSTM batch of freshly generated clips: rows (clip id, t0), clip ids unique over the run."""
    rng = np.random.default_rng([seed, 6, step])
    t0 = (rng.random(batch_size) * (seq_len - window + 1)).astype(np.int64)
    return np.stack([step * batch_size + np.arange(batch_size), t0], axis=1).astype(np.int64)


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
    """Item (seq, t, k) -> (x_t uint8 [H, W, C], x_t+k uint8 [H, W, C], seq int). Reads the two frames only."""

    def __init__(self, store: VideoStore):
        self.store = store

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, item: tuple[int, int, int]):
        seq, t, k = item
        return torch.from_numpy(self.store.frame(seq, t)), torch.from_numpy(self.store.frame(seq, t + k)), seq


class FreshPairDataset(Dataset):
    """Item (clip id, t, k) -> the same triple as ``PairDataset``, from a clip generated on the fly.

    ``source`` draws clips (``draw(rng)``) and renders any of their frames (``render(clip, ts)``), e.g.
    ``drnet.data.mnist.bouncing.BouncingMnist``; clip ``i`` is drawn from ``(seed, i)``, whichever worker renders it.
    """

    def __init__(self, source, seed: int):
        self.source, self.seed = source, seed

    def __getitem__(self, item: tuple[int, int, int]):
        clip_id, t, k = item
        clip = self.source.draw(np.random.default_rng([self.seed, 4, clip_id]))
        frames, _ = self.source.render(clip, np.array([t, t + k]))
        return torch.from_numpy(frames[0]), torch.from_numpy(frames[1]), clip_id


class FreshWindowDataset(Dataset):
    """Item (clip id, t0) -> (frames uint8 [T, H, W, C] of a window of a freshly generated clip, clip id)."""

    def __init__(self, source, seed: int, window: int):
        self.source, self.seed, self.window = source, seed, window

    def __getitem__(self, item: tuple[int, int]):
        clip_id, t0 = item
        clip = self.source.draw(np.random.default_rng([self.seed, 5, clip_id]))
        frames, _ = self.source.render(clip, np.arange(t0, t0 + self.window))
        return torch.from_numpy(frames), clip_id


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
