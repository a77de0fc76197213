"""small NORB's azimuth videos: the raw files of each split into a train and a test video store.

Every (category, instance, elevation, lighting) group becomes one 18-frame video sorted by azimuth (one camera,
resized to ``image_size`` with area interpolation): a store per split, frames uint8 [18, S, S, 1], meta columns
category (int), category_name (str), instance, elevation, lighting (ints) and per-frame azimuth (int degrees).
The official files and the synthetic ones (:mod:`drnet.data.norb.synthetic`) go through exactly this code.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from drnet.data.norb.files import AZIMUTHS, CATEGORIES, read_split
from drnet.data.norb.format import FIX
from drnet.data.raw import open_raw_folder
from drnet.data.store import VideoStoreWriter
from drnet.errors import DrnetError
from drnet.io import file_digest, output_set
from drnet.params import NorbData

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AzimuthVideo:
    frames: np.ndarray  # uint8 [18, S, S, 1]
    category: int
    instance: int
    elevation: int
    lighting: int
    azimuth: np.ndarray  # int degrees [18], increasing

    def meta(self) -> dict[str, Any]:
        return {"category": self.category, "category_name": CATEGORIES[self.category], "instance": self.instance,
                "elevation": self.elevation, "lighting": self.lighting}


def azimuth_videos(dat: np.ndarray, cat: np.ndarray, info: np.ndarray, camera: int, image_size: int,
                   label: str = "NORB data") -> Iterator[AzimuthVideo]:
    """One video per (category, instance, elevation, lighting) group, frames sorted by azimuth.

    Groups come in sorted key order. A group without exactly 18 distinct azimuths raises DrnetError naming
    ``label`` and the group.
    """
    cat = np.asarray(cat, dtype=np.int64)
    info = np.asarray(info, dtype=np.int64)
    if not 0 <= camera < dat.shape[1]:
        raise DrnetError(f"camera {camera} out of range: {label} has {dat.shape[1]} cameras; set norb.data.camera")
    instance, elevation, azimuth, lighting = info.T
    order = np.lexsort((azimuth, lighting, elevation, instance, cat))
    keys = np.stack([cat, instance, elevation, lighting], axis=1)[order]
    starts = np.flatnonzero(np.r_[True, np.any(keys[1:] != keys[:-1], axis=1)])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends):
        idx = order[start:end]
        c, i, e, light = (int(v) for v in keys[start])
        az = azimuth[idx]
        if end - start != AZIMUTHS or len(np.unique(az)) != AZIMUTHS:
            raise DrnetError(f"{label}: group category={c} instance={i} elevation={e} lighting={light} has "
                             f"{end - start} images with {len(np.unique(az))} distinct azimuths, expected "
                             f"{AZIMUTHS}: the files are incomplete or corrupt; {FIX}")
        rows = np.sort(idx)  # read the rows in file order, then put them in azimuth order
        images = np.asarray(dat[rows, camera])[np.searchsorted(rows, idx)]
        if images.shape[1:] != (image_size, image_size):
            images = np.stack([cv2.resize(im, (image_size, image_size), interpolation=cv2.INTER_AREA)
                               for im in images])
        yield AzimuthVideo(np.ascontiguousarray(images)[..., None], c, i, e, light, (az * 10).astype(np.int64))


def build_norb(raw_dir: str | os.PathLike, train_out: str | os.PathLike, test_out: str | os.PathLike,
               data_cfg: NorbData) -> dict[str, Any]:
    """Build the train store from the training files and the test store from the testing files.

    ``norb.data.source`` must match the raw folder (its manifest says whether it is synthetic). Both stores
    appear only when everything succeeded. Returns a summary (sizes, instances, timing).
    """
    raw_dir, synthetic = open_raw_folder(raw_dir, "norb", data_cfg.source, "a synthetic NORB-format source")
    source = "synthetic" if synthetic else "official"
    size, camera = data_cfg.image_size, data_cfg.camera
    outs = {"train": Path(train_out), "test": Path(test_out)}
    start = time.perf_counter()
    summary: dict[str, Any] = {"source": source, "synthetic": synthetic, "image_size": size, "camera": camera}
    writers: dict[str, VideoStoreWriter] = {}
    # both stores are finished first, then renamed together: never a new train.h5 beside an old test.h5
    with output_set(list(outs.values())) as tmps:
        try:
            _build_splits(raw_dir, dict(zip(outs, tmps)), data_cfg, source, synthetic, summary, writers)
            for writer in writers.values():
                writer.close()
        except BaseException:
            for writer in writers.values():
                writer.abort()
            raise
    summary["seconds"] = round(time.perf_counter() - start, 3)
    return summary


def _build_splits(raw_dir: Path, tmps: dict[str, Path], data_cfg: NorbData, source: str, synthetic: bool,
                  summary: dict[str, Any], writers: dict[str, VideoStoreWriter]) -> None:
    """Write each split's videos to its temp store (``writers`` collects the open writers for the caller)."""
    size, camera = data_cfg.image_size, data_cfg.camera
    for split, out in tmps.items():
        dat, cat, info, paths = read_split(raw_dir, split)
        checksums = {p.name: "sha256:" + file_digest(p) for p in sorted(paths.values())}
        attrs = {"params": data_cfg.model_dump(), "categories": list(CATEGORIES), "camera": camera,
                 "azimuth_step_deg": 20, "elevation_deg": "30 + 5 * elevation"}
        writer = writers[split] = VideoStoreWriter(
            out, dataset="norb", split=split, source=source, synthetic=synthetic, frame_shape=(size, size, 1),
            raw_checksums=checksums, attrs=attrs, atomic=False)
        counts = {"sequences": 0, "frames": 0}
        for video in azimuth_videos(dat, cat, info, camera, size, label=str(paths["info"])):
            writer.add(video.frames, frame_meta={"azimuth": video.azimuth}, **video.meta())
            counts["sequences"] += 1
            counts["frames"] += len(video.frames)
        if counts["sequences"] == 0:
            raise DrnetError(f"{paths['dat']} holds no images; {FIX}")
        counts["instances"] = sorted(int(i) for i in np.unique(info[:, 0]))
        counts["categories"] = [CATEGORIES[c] for c in np.unique(cat)]
        counts["elevations"] = len(np.unique(info[:, 1]))
        counts["lightings"] = len(np.unique(info[:, 3]))
        summary[split] = counts
        log.info("norb %s: %d videos of %d frames from %s", split, counts["sequences"], AZIMUTHS,
                 paths["dat"].name)
    overlap = sorted(set(summary["train"]["instances"]) & set(summary["test"]["instances"]))
    if overlap and not synthetic:
        log.warning("instances %s are in both the training and the testing files", overlap)
