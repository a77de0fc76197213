"""What every chairs source shares: the split by model, the view azimuths and writing the train/test stores.

Every (model, elevation) becomes one video of ``azimuths`` frames sorted by azimuth, so a video rotates the chair
once. Stores: frames uint8 [N, S, S, 3]; meta columns model (str), model_index (int, index in the sorted model
list), elevation (float degrees); frame_meta azimuth (float degrees). Train and test are split by model with
:func:`split_models` (sorted names, then a seeded permutation), the same rule for every source.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from drnet.data.store import VideoStoreWriter
from drnet.errors import DrnetError
from drnet.io import output_set

log = logging.getLogger(__name__)

BACKGROUND = (255, 255, 255)  # every chair source is on white, like the published chair renders


def split_models(names: Sequence[str], test_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(train, test) model names, each sorted: sort the unique names, then take a seeded permutation.

    The test split has ``round(n * test_fraction)`` models, clamped so both splits hold at least one; the result
    depends only on the set of names, the fraction and the seed (not on the listing order).
    """
    unique = sorted(set(names))
    n = len(unique)
    if n < 2:
        raise DrnetError(f"need at least 2 chair models to split into train and test, found {n}; add models")
    n_test = min(max(int(round(n * test_fraction)), 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    test = sorted(unique[i] for i in order[:n_test])
    train = sorted(unique[i] for i in order[n_test:])
    return train, test



def view_azimuths(n: int) -> np.ndarray:
    """``n`` evenly spaced azimuths in degrees, starting at 0."""
    return np.arange(n, dtype=np.float64) * (360.0 / n)


@dataclass
class Rendered:
    """One model's videos, as rendered from a mesh or read from the authors' renders."""

    model: str
    videos: list[tuple[float, np.ndarray, np.ndarray]]  # (elevation, frames [A, S, S, 3], azimuths [A] degrees)
    render_seconds: float
    frames: int


def write_stores(results: Callable[[ExitStack], Iterator[Rendered]], train_out, test_out, size: int, source: str,
                 synthetic: bool, checksums: dict[str, str], attrs: dict, split_of: dict[str, str],
                 index_of: dict[str, int], total: int, desc: str) -> dict[str, Any]:
    """Write the models ``results(stack)`` yields into the train and test stores (both or neither); a summary.

    ``results`` gets the ExitStack that outlives the writing, to hold its pool or renderer.
    """
    outs = {"train": Path(train_out), "test": Path(test_out)}
    counts = {split: {"sequences": 0, "frames": 0, "models": 0} for split in outs}
    render_seconds, n_frames = 0.0, 0
    start = time.perf_counter()
    # both stores are finished first, then renamed together: never a new train.h5 beside an old test.h5
    with output_set(list(outs.values())) as tmps, ExitStack() as stack:
        writers = {split: stack.enter_context(VideoStoreWriter(
            tmp, dataset="chairs", split=split, source=source, synthetic=synthetic, frame_shape=(size, size, 3),
            raw_checksums=checksums, attrs=attrs, atomic=False)) for split, tmp in zip(outs, tmps)}
        for item in tqdm(results(stack), total=total, desc=desc, unit="model", disable=None):
            split = split_of[item.model]
            for elevation, frames, azimuths in item.videos:
                writers[split].add(frames, frame_meta={"azimuth": azimuths}, model=item.model,
                                   model_index=index_of[item.model], elevation=float(elevation))
                counts[split]["sequences"] += 1
                counts[split]["frames"] += len(frames)
            counts[split]["models"] += 1
            render_seconds += item.render_seconds
            n_frames += item.frames
    total_s = time.perf_counter() - start
    ms = 1000.0 * render_seconds / max(n_frames, 1)
    log.info("%s: %d models, %d frames in %.1f s (%.2f ms per frame in the renderer/reader)", desc, total, n_frames,
             total_s, ms)
    return {"source": source, "synthetic": synthetic, "image_size": size, "frames": n_frames,
            "seconds": round(total_s, 3), "render_ms_per_frame": round(ms, 3), **counts}
