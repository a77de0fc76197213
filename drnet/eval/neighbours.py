"""Nearest neighbours in pixel space: are generated frames copies of training frames? (paper, Fig. 10; the figure
is drawn by ``drnet.report.neighbours``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from drnet.frames import PIXEL_MAX

NEAR_EMPTY_STD = 0.02  # a frame whose pixel std is below 2% of the range shows nothing (person out of view)


def _as_unit_float(images: np.ndarray, name: str) -> torch.Tensor:
    """uint8 [N, H, W, C] (0..255) or float [N, H, W, C] in [0, 1] -> float64 [N, H*W*C] in [0, 1]."""
    arr = np.asarray(images)
    if arr.ndim != 4:
        raise ValueError(f"{name} must be images [N, H, W, C], got shape {arr.shape}")
    x = torch.from_numpy(np.ascontiguousarray(arr)).reshape(len(arr), -1).double()
    return x / PIXEL_MAX if arr.dtype == np.uint8 else x


def nearest_neighbours(queries: np.ndarray, bank: np.ndarray, k: int = 5, chunk: int = 4096,
                       device: str | torch.device = "cpu") -> np.ndarray:
    """Indices int64 [Q, k] of the k frames of ``bank`` [N, H, W, C] closest (L2) to each query [Q, H, W, C].

    Images are uint8 (0..255) or float in [0, 1]; both are compared on the [0, 1] scale, so uint8 training
    frames and float generations mix. Nearest first. ``bank`` may be any array sliceable along its first axis
    (numpy, an h5py dataset); it is read and compared ``chunk`` frames at a time, so memory stays
    O((Q + chunk) * H * W * C). Distances are computed in float64 so that exact duplicates come first, on
    ``device`` (each chunk is sent there).
    """
    device = torch.device(device)
    q = _as_unit_float(queries, "queries").to(device)
    if tuple(bank.shape[1:]) != tuple(np.shape(queries)[1:]):
        raise ValueError(f"queries {np.shape(queries)[1:]} and bank {tuple(bank.shape[1:])} frames differ in shape")
    if not 1 <= k <= len(bank):
        raise ValueError(f"k must be between 1 and the bank size ({len(bank)}), got {k}")
    q_sq = (q * q).sum(dim=1, keepdim=True)
    best_d = torch.empty(len(q), 0, dtype=torch.float64, device=device)
    best_i = torch.empty(len(q), 0, dtype=torch.long, device=device)
    for s in range(0, len(bank), chunk):
        part = _as_unit_float(bank[s:s + chunk], "bank").to(device)
        d = (q_sq - 2 * q @ part.T + (part * part).sum(dim=1)).clamp_min_(0)
        idx = torch.arange(s, s + len(part), device=device).expand(len(q), -1)
        d, idx = torch.cat([best_d, d], dim=1), torch.cat([best_i, idx], dim=1)
        best_d, pick = d.topk(min(k, d.shape[1]), dim=1, largest=False, sorted=True)
        best_i = idx.gather(1, pick)
    return best_i.cpu().numpy()


@dataclass(frozen=True)
class GeneratedNeighbours:
    """Fig. 10's search: generated frames ``queries`` [Q, H, W, C], one ``label`` each, and the ``indices`` int64
    [Q, k] of their nearest frames in the bank; ``note`` says which near-empty frames were left out or marked."""

    labels: list[str]
    queries: np.ndarray
    indices: np.ndarray
    note: str


def generated_neighbours(generated: np.ndarray, bank, max_offset: int, k: int = 5,
                         device: str | torch.device = "cpu") -> GeneratedNeighbours:
    """The frames at the first, middle and last offset of up to six generated clips uint8 [B, T, H, W, C], each
    with its ``k`` nearest in ``bank`` (e.g. every frame of a training store, read chunk by chunk, compared on
    ``device``). Near-empty generated frames are left out, or all kept and marked when every one is."""
    picks = [0, max_offset // 2, max_offset - 1]
    candidates = [(f"clip {i + 1}, t+{t + 1}", clip[t]) for i, clip in enumerate(generated[:6]) for t in picks]
    kept = [(label, frame) for label, frame in candidates if frame.std() >= NEAR_EMPTY_STD * PIXEL_MAX]
    empty = len(candidates) - len(kept)
    criterion = f"pixel std < {NEAR_EMPTY_STD:.0%} of the range: nothing in view"
    if kept:
        note = f"{empty} near-empty generated frames ({criterion}) left out" if empty else ""
    else:
        kept = [(f"{label} (near-empty)", frame) for label, frame in candidates]
        note = f"EVERY generated frame is near-empty ({criterion}), so all are shown, marked"
    queries = np.stack([frame for _, frame in kept])
    return GeneratedNeighbours([label for label, _ in kept], queries,
                               nearest_neighbours(queries, bank, k=k, device=device), note)
