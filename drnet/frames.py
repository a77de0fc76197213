"""Frames as stored and as the networks see them: the one place where uint8 pixels and unit floats meet.

Stores, images and videos hold uint8 frames ``[..., H, W, C]`` (0..255); the networks take float32
``[..., C, H, W]`` in [0, 1]. Every conversion between the two goes through here, so that each one scales by
255, rounds to nearest (``+ 0.5``, then truncation) and clips to [0, 1] the same way. Tensors stay in torch and
arrays in numpy, so a conversion computes exactly what it did where it was written before.
"""

from __future__ import annotations

import numpy as np
import torch

PIXEL_MAX = 255.0  # the brightest uint8 value: 1.0 in unit intensity


def to_float(frames: np.ndarray | torch.Tensor, device=None) -> torch.Tensor:
    """uint8 frames [..., H, W, C] (numpy or torch) -> float32 [..., C, H, W] in [0, 1], on ``device``."""
    x = torch.from_numpy(frames) if isinstance(frames, np.ndarray) else frames
    if x.dtype != torch.uint8:
        raise ValueError(f"frames must be uint8 (0..255), got {x.dtype}")
    if device is not None:
        x = x.to(device)
    return x.movedim(-1, -3).float().div_(PIXEL_MAX)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float [..., C, H, W] in [0, 1] (clipped) -> uint8 numpy [..., H, W, C], rounded to nearest."""
    return (x.clamp(0, 1) * 255 + 0.5).to(torch.uint8).movedim(-3, -1).cpu().numpy()


def unit_array(frames: np.ndarray, dtype=np.float32) -> np.ndarray:
    """uint8 numpy (any layout) -> ``dtype`` numpy in [0, 1], the same layout."""
    return np.asarray(frames).astype(dtype) / PIXEL_MAX


def uint8_array(x: np.ndarray) -> np.ndarray:
    """float numpy in [0, 1] (clipped; any layout) -> uint8 numpy, rounded to nearest, the same layout."""
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def store_frames(store, items, device=None) -> torch.Tensor:
    """Frames ``items`` int [N, 2] of (sequence, t) of a store (anything with ``frame(seq, t)``, e.g.
    ``drnet.data.store.VideoStore``) -> float32 [N, C, H, W] in [0, 1]."""
    return to_float(np.stack([store.frame(int(q), int(t)) for q, t in items]), device)
