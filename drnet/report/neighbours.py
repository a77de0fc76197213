"""Figure 10: generated frames beside their nearest training frames (is generation memorisation?). The search
is ``drnet.eval.neighbours.generated_neighbours``; this module only draws its result."""

from __future__ import annotations

import numpy as np

from drnet.report.annotate import annotate
from drnet.report.images import rgb_image, tile


def neighbour_grid(queries: np.ndarray, bank: np.ndarray, indices: np.ndarray, pad: int = 2) -> np.ndarray:
    """One row per query: the query, then its neighbours ``bank[indices[q]]``, as uint8 [H', W', 3]."""
    rows = [[rgb_image(query)] + [rgb_image(bank[i]) for i in idx] for query, idx in zip(queries, indices)]
    return tile(rows, pad=pad)


def neighbours_figure(labels: list[str], queries: np.ndarray, indices: np.ndarray, bank, *, note: str, stamp: str
                      ) -> np.ndarray:
    """Fig. 10: one row per generated frame ``queries`` [Q, H, W, C] (``labels``), then its nearest frames
    ``bank[indices[q]]`` (``indices`` int64 [Q, k]); ``note`` (frames left out) is stamped beside the scale."""
    k = indices.shape[1]
    return annotate(
        neighbour_grid(queries, bank, indices),
        title="KTH: DrNet's generated frames and their 5 nearest training frames (Fig. 10)",
        stamp="; ".join(x for x in (stamp, note) if x), cell=queries.shape[1], row_labels=labels,
        col_labels=["generated", *[f"nearest {j}" for j in range(1, k + 1)]],
        xlabel=f"nearest by pixel distance among all {len(bank)} training frames")
