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


def annotate(image: np.ndarray, *, title: str, stamp: str = "", xlabel: str = "", ylabel: str = "",
             col_labels: list[str] | None = None, row_labels: list[str] | None = None,
             cell: int | None = None, pad: int = 2, scale: int | None = None) -> np.ndarray:
    """A uint8 [H, W, 3] grid -> uint8 [H', W', 3] with a title, axis labels, per-row/column labels and, in red,
    the scale stamp (``drnet.report.scale.scale_note``) written on the image itself.

    ``cell``: the tile size of the grid (``tile``'s images are cell x cell with ``pad`` between), used to place
    row and column labels at tile centres. The grid is drawn at ``scale`` screen pixels per image pixel (default:
    2 for grids up to 500 pixels wide, else 1, so that labels stay readable when the page shrinks the image).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h, w = image.shape[:2]
    scale = scale or (2 if w <= 500 else 1)
    dpi = 100
    left = 1.6 if (ylabel or row_labels) else 0.2
    top = 0.5 + (0.25 * (1 + stamp.count("; ")) if stamp else 0) + (0.9 if col_labels else 0)
    bottom = 0.45 if xlabel else 0.15
    img_w, img_h = w * scale / dpi, h * scale / dpi
    fig_w, fig_h = max(img_w + left + 0.2, 6.5), img_h + top + bottom
    fig = plt.figure(figsize=(fig_w, fig_h), dpi=dpi)
    ax = fig.add_axes((left / fig_w, bottom / fig_h, img_w / fig_w, img_h / fig_h))
    ax.imshow(image, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.tick_params(length=0)
    if cell is not None and col_labels:
        ax.set_xticks([pad + j * (cell + pad) + cell / 2 for j in range(len(col_labels))])
        ax.set_xticklabels(col_labels, rotation=60, fontsize=7, ha="left")
        ax.xaxis.tick_top()
    if cell is not None and row_labels:
        ax.set_yticks([pad + i * (cell + pad) + cell / 2 for i in range(len(row_labels))])
        ax.set_yticklabels(row_labels, fontsize=7)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=8)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8)
    y = 1 - 0.12 / fig_h
    fig.text(0.01, y, title, fontsize=10, weight="bold", va="top")
    if stamp:
        for k, line in enumerate(stamp.split("; ")):
            fig.text(0.01, y - (0.25 + 0.22 * k) / fig_h, line, fontsize=8, color="#c00000", weight="bold", va="top")
    fig.canvas.draw()
    out = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return out


def stamp_frames(frames: np.ndarray, stamp: str) -> np.ndarray:
    """uint8 [T, H, W, 3] -> the same with a white banner on top carrying, in red, a short form of the scale stamp
    ("REDUCED SCALE, SYNTHETIC DATA"), so that an animation carries it too. No stamp, no banner."""
    import cv2

    words = [w for w, key in (("REDUCED SCALE", "REDUCED SCALE"), ("SYNTHETIC DATA", "SYNTHETIC")) if key in stamp]
    if not words:
        return frames
    text, width = ", ".join(words), frames.shape[2]
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.5
    while cv2.getTextSize(text, font, size, 1)[0][0] > width - 4 and size > 0.25:
        size -= 0.05
    (tw, th), base = cv2.getTextSize(text, font, size, 1)
    banner = np.full((th + base + 4, width, 3), 255, np.uint8)
    cv2.putText(banner, text, (2, th + 2), font, size, (200, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([np.broadcast_to(banner, (len(frames), *banner.shape)), frames], axis=1)
