"""Figures of a trained DrNet: reconstruction and content/pose swap grids (paper Figures 3-5) and long-range
generation as a labelled strip and an animation (Figures 3, 6, 7), each labelled and stamped on itself."""

from __future__ import annotations

import numpy as np
import torch

from drnet.data.store import VideoStore
from drnet.frames import store_frames
from drnet.report.annotate import annotate, stamp_frames
from drnet.report.images import rgb_frames, tile


@torch.no_grad()
def reconstruction_grid(drnet, store: VideoStore, n: int, seed: int, device) -> np.ndarray:
    """Rows: x_t (content source), x_t+k (pose source, the target), D(Ec(x_t), Ep(x_t+k)). uint8 image."""
    rng = np.random.default_rng(seed)
    seqs = rng.choice(len(store), size=min(n, len(store)), replace=False)
    k = np.minimum(store.length[seqs] - 1, 1 + rng.integers(0, 10, size=len(seqs)))
    x_t = store_frames(store, [(q, 0) for q in seqs], device)
    x_tk = store_frames(store, list(zip(seqs, k)), device)
    rec = drnet(x_t, x_tk)
    return tile([list(rgb_frames(x_t)), list(rgb_frames(x_tk)), list(rgb_frames(rec))])


@torch.no_grad()
def swap_grid(drnet, store: VideoStore, n: int, seed: int, device) -> np.ndarray:
    """Cell (i, j) = D(content of row frame i, pose of column frame j); first row/column show the sources.

    Rows and columns come from different held-out clips, so a clean grid shows each row's digits/objects in
    each column's pose. Every cell is decoded in one pass, on ``device`` (where the model is).
    """
    rng = np.random.default_rng(seed)
    n = max(1, min(n, len(store) // 2))  # small test sets: half the clips give content, the other half pose
    seqs = rng.choice(len(store), size=min(2 * n, len(store)), replace=False)
    col_seqs = seqs[n:2 * n] if len(seqs) > n else seqs[:n]
    rows_src = store_frames(store, [(q, 0) for q in seqs[:n]], device)
    cols_src = store_frames(store, [(q, int(rng.integers(0, store.length[q]))) for q in col_seqs], device)
    content, skips = drnet.encode_content(rows_src)
    pose = drnet.encode_pose(cols_src)
    n, m = len(rows_src), len(cols_src)
    k = [s.repeat_interleave(m, dim=0) for s in skips] if skips is not None else None
    cells = rgb_frames(drnet.decode(content.repeat_interleave(m, dim=0), pose.repeat(n, 1), k))
    cells = cells.reshape(n, m, *cells.shape[1:])  # row i: row frame i's content in every column's pose
    blank = np.full(cells.shape[2:], 255, dtype=np.uint8)
    grid = [[blank, *rgb_frames(cols_src)]]
    for i, row in enumerate(rgb_frames(rows_src)):
        grid.append([row, *cells[i]])
    return tile(grid)


def reconstruction_figure(drnet, store: VideoStore, n: int, seed: int, *, what: str, stamp: str,
                          device="cpu") -> np.ndarray:
    """``reconstruction_grid`` (on ``device``, where the model is) titled ``what`` (e.g. "mnist DrNet"), rows
    labelled, stamped; uint8 image."""
    return annotate(reconstruction_grid(drnet, store, n, seed, device), title=f"{what}: reconstruction of held-out "
                    f"clips", stamp=stamp, cell=store.frame_shape[0],
                    row_labels=["content x_t", "pose x_t+k (target)", "D(Ec(x_t), Ep(x_t+k))"],
                    xlabel="one held-out clip per column")


def swap_figure(drnet, store: VideoStore, n: int, seed: int, *, what: str, stamp: str, device="cpu") -> np.ndarray:
    """``swap_grid`` (on ``device``, where the model is) titled ``what``, each row and column labelled with the
    factor it gives, stamped."""
    cell = store.frame_shape[0]
    grid = swap_grid(drnet, store, n, seed, device)
    n = (grid.shape[0] - 2) // (cell + 2) - 1
    return annotate(
        grid, title=f"{what}: content/pose swap", stamp=stamp, cell=cell,
        col_labels=["", *[f"pose {j + 1}" for j in range((grid.shape[1] - 2) // (cell + 2) - 1)]],
        row_labels=["", *[f"content {i + 1}" for i in range(n)]],
        xlabel="column: POSE from the frame at its top (another held-out clip)",
        ylabel="row: CONTENT from the frame at its left")


def generation_strip(observed: torch.Tensor, generated: torch.Tensor, *, dataset: str, stamp: str) -> np.ndarray:
    """observed float [B, n_past, C, H, W], generated [B, length, C, H, W] -> one labelled row per clip: the
    observed frames, then generated frames at 12 growing offsets (geometric up to ``length``); uint8 image."""
    n_past, length = observed.shape[1], generated.shape[1]
    full = np.concatenate([rgb_frames(observed), rgb_frames(generated)], axis=1)  # [B, n_past + length, H, W, 3]
    cols = list(range(n_past)) + [n_past + t for t in np.unique(np.geomspace(1, length, 12).astype(int)) - 1]
    return annotate(
        tile([[clip[t] for t in cols] for clip in full]), cell=full.shape[2], stamp=stamp,
        title=f"{dataset}: first {n_past} frames observed, then generated (one held-out clip per row)",
        col_labels=[f"observed {t + 1}" if t < n_past else f"generated t+{t - n_past + 1}" for t in cols],
        row_labels=[f"clip {i + 1}" for i in range(len(full))],
        xlabel=f"columns: {n_past} observed frames, then generated frames at growing offsets (t+k)")


def generation_movie(observed: torch.Tensor, generated: torch.Tensor, *, stamp: str) -> np.ndarray:
    """The clips side by side over time, uint8 [T, H', B*W, 3]: a green bar above the observed frames, a red
    one above the generated frames, and the stamp's banner on top."""
    n_past = observed.shape[1]
    full = np.concatenate([rgb_frames(observed), rgb_frames(generated)], axis=1)
    movie = np.concatenate(list(full), axis=2)  # clips side by side: [T, H, B*W, 3]
    marker = np.zeros_like(movie[:, :3])
    marker[:n_past, :, :, 1] = 255  # green bar while frames are observed, red while generated
    marker[n_past:, :, :, 0] = 255
    return stamp_frames(np.concatenate([marker, movie], axis=1), stamp)
