"""Figure 10: generated frames beside their nearest training frames (is generation memorisation?)."""

from __future__ import annotations

import numpy as np

from drnet.data.store import VideoStore
from drnet.eval.neighbours import nearest_neighbours
from drnet.frames import PIXEL_MAX
from drnet.report.annotate import annotate
from drnet.report.images import rgb_image, tile

NEAR_EMPTY_STD = 0.02  # a frame whose pixel std is below 2% of the range shows nothing (person out of view)


def neighbour_grid(queries: np.ndarray, bank: np.ndarray, indices: np.ndarray, pad: int = 2) -> np.ndarray:
    """One row per query: the query, then its neighbours ``bank[indices[q]]``, as uint8 [H', W', 3]."""
    rows = [[rgb_image(query)] + [rgb_image(bank[i]) for i in idx] for query, idx in zip(queries, indices)]
    return tile(rows, pad=pad)


def neighbours_figure(generated: np.ndarray, train: VideoStore, max_offset: int, *, stamp: str, k: int = 5
                      ) -> np.ndarray:
    """Fig. 10 from DrNet's generations uint8 [B, T, H, W, C]: frames at the first, middle and last offset of up
    to six clips, each beside its ``k`` nearest among every frame of the ``train`` store (read chunk by chunk,
    never all in memory). Near-empty generated frames are left out (the image says how many), or all shown and
    marked when every one is."""
    bank = train.file["frames"]
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
    grid = neighbour_grid(queries, bank, nearest_neighbours(queries, bank, k=k))
    return annotate(
        grid, title="KTH: DrNet's generated frames and their 5 nearest training frames (Fig. 10)",
        stamp="; ".join(x for x in (stamp, note) if x), cell=generated.shape[2], row_labels=[lb for lb, _ in kept],
        col_labels=["generated", *[f"nearest {j}" for j in range(1, k + 1)]],
        xlabel=f"nearest by pixel distance among all {len(bank)} training frames")
