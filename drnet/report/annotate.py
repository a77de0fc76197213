"""Labels and stamps written on images: titles, axis and tile labels, and the scale stamp in red, so that a figure
or an animation says on itself what it shows and at what scale (``drnet.report.scale``)."""

from __future__ import annotations

import numpy as np


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
