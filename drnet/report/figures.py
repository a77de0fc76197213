"""Figures of a trained DrNet: reconstruction grid and content/pose swap grid (paper Figures 3-5)."""

from __future__ import annotations

import numpy as np
import torch

from drnet.data.store import VideoStore
from drnet.eval.generate import tile, to_uint8


def _load(store: VideoStore, items, device) -> torch.Tensor:
    frames = np.stack([store.frame(int(q), int(t)) for q, t in items])
    return torch.from_numpy(frames).to(device).movedim(-1, 1).float().div_(255.0)


@torch.no_grad()
def reconstruction_grid(drnet, store: VideoStore, n: int, seed: int, device) -> np.ndarray:
    """Rows: x_t (content source), x_t+k (pose source, the target), D(Ec(x_t), Ep(x_t+k)). uint8 image."""
    rng = np.random.default_rng(seed)
    seqs = rng.choice(len(store), size=min(n, len(store)), replace=False)
    k = np.minimum(store.length[seqs] - 1, 1 + rng.integers(0, 10, size=len(seqs)))
    x_t, x_tk = _load(store, [(q, 0) for q in seqs], device), _load(store, list(zip(seqs, k)), device)
    rec = drnet(x_t, x_tk)
    return tile([list(to_uint8(x_t)), list(to_uint8(x_tk)), list(to_uint8(rec))])


@torch.no_grad()
def swap_grid(drnet, store: VideoStore, n: int, seed: int, device) -> np.ndarray:
    """Cell (i, j) = D(content of row frame i, pose of column frame j); first row/column show the sources.

    Rows and columns come from different held-out clips, so a clean grid shows each row's digits/objects in
    each column's pose.
    """
    rng = np.random.default_rng(seed)
    n = max(1, min(n, len(store) // 2))  # small test sets: half the clips give content, the other half pose
    seqs = rng.choice(len(store), size=min(2 * n, len(store)), replace=False)
    col_seqs = seqs[n:2 * n] if len(seqs) > n else seqs[:n]
    rows_src = _load(store, [(q, 0) for q in seqs[:n]], device)
    cols_src = _load(store, [(q, int(rng.integers(0, store.length[q]))) for q in col_seqs], device)
    content, skips = drnet.encode_content(rows_src)
    pose = drnet.encode_pose(cols_src)
    m = len(cols_src)
    blank = np.full(to_uint8(rows_src[:1])[0].shape, 255, dtype=np.uint8)
    grid = [[blank, *to_uint8(cols_src)]]
    for i in range(len(rows_src)):
        c = content[i:i + 1].expand(m, -1)
        k = [s[i:i + 1].expand(m, *s.shape[1:]) for s in skips] if skips is not None else None
        grid.append([to_uint8(rows_src[i:i + 1])[0], *to_uint8(drnet.decode(c, pose, k))])
    return tile(grid)
