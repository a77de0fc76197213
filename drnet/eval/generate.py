"""Long-range generation: observe n_past frames, roll the pose LSTM forward, decode with fixed content."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

from drnet.io import atomic_path


@torch.no_grad()
def generate(drnet, lstm, observed: torch.Tensor, length: int, chunk: int = 64) -> torch.Tensor:
    """observed float [B, n_past, C, H, W] -> generated float [B, length, C, H, W] in [0, 1].

    Content (and U-Net skips) come from the last observed frame and stay fixed (paper Section 3.1); the
    LSTM sees the observed poses, then feeds back its own predictions.
    """
    b, n_past = observed.shape[:2]
    poses = drnet.encode_pose(observed.flatten(0, 1)).view(b, n_past, -1)
    content, skips = drnet.encode_content(observed[:, -1])
    future = lstm.rollout(poses, content, length)  # [B, length, P]
    out = []
    for s in range(0, length, chunk):
        p = future[:, s:s + chunk]
        n = p.shape[1]
        c = content.repeat_interleave(n, dim=0)
        k = [x.repeat_interleave(n, dim=0) for x in skips] if skips is not None else None
        out.append(drnet.decode(c, p.flatten(0, 1), k).view(b, n, *observed.shape[2:]))
    return torch.cat(out, dim=1)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float [..., C, H, W] in [0, 1] -> uint8 [..., H, W, 3] (grey expanded to RGB)."""
    arr = (x.clamp(0, 1) * 255 + 0.5).to(torch.uint8).movedim(-3, -1).cpu().numpy()
    return np.repeat(arr, 3, axis=-1) if arr.shape[-1] == 1 else arr


def tile(rows: list[list[np.ndarray]], pad: int = 2, value: int = 255) -> np.ndarray:
    """Grid of equal-size uint8 [H, W, 3] images, row-major, with ``pad`` pixels of ``value`` between them."""
    h, w = rows[0][0].shape[:2]
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    grid = np.full((n_rows * (h + pad) + pad, n_cols * (w + pad) + pad, 3), value, dtype=np.uint8)
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            y, x = pad + i * (h + pad), pad + j * (w + pad)
            grid[y:y + h, x:x + w] = img
    return grid


def save_png(path: str | Path, image: np.ndarray) -> Path:
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, image)
    return Path(path)


def save_video(path: str | Path, frames: np.ndarray, fps: int) -> Path:
    """frames uint8 [T, H, W, 3] -> animated GIF (or MP4 by suffix), written atomically."""
    with atomic_path(path) as tmp:
        if Path(path).suffix == ".gif":
            iio.imwrite(tmp, frames, duration=1000 / fps, loop=0)
        else:
            iio.imwrite(tmp, frames, fps=fps)
    return Path(path)
