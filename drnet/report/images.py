"""Raster images and animations: frames made displayable (RGB uint8), tiled into grids, written as PNG/GIF/MP4."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

from drnet.frames import to_uint8, uint8_array
from drnet.io import atomic_path


def rgb(frames: np.ndarray) -> np.ndarray:
    """uint8 [..., H, W, C] -> uint8 [..., H, W, 3] (grey expanded to RGB; colour frames as they are)."""
    return np.repeat(frames, 3, axis=-1) if frames.shape[-1] == 1 else frames


def rgb_frames(x: torch.Tensor) -> np.ndarray:
    """float [..., C, H, W] in [0, 1] -> uint8 [..., H, W, 3] (grey expanded to RGB)."""
    return rgb(to_uint8(x))


def rgb_image(image: np.ndarray) -> np.ndarray:
    """One frame [H, W, C], uint8 (0..255) or float in [0, 1] -> uint8 [H, W, 3]."""
    img = np.asarray(image)
    return rgb(img if img.dtype == np.uint8 else uint8_array(img))


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
    """uint8 [H, W, 3] -> PNG, written atomically."""
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
