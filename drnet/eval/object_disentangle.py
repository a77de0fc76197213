"""Disentanglement by swapping on NORB and chairs: each clip is one object seen over its azimuths (frame t =
azimuth index t). An object reader (trained on real test frames: the test split's objects) and an azimuth reader
(trained on them and on the training split's real frames: many more objects per azimuth) (``drnet.eval.readers``)
read ``D(Ec(A), Ep(B))`` for clips of different objects: content transfer = A's object, pose transfer = B's azimuth.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from drnet.data.store import VideoStore
from drnet.eval.classifiers import predict_proba
from drnet.eval.readers import SwapFn, all_items, train_frame_reader
from drnet.frames import store_frames
from drnet.runtime.context import module_device


def object_model_swap(drnet, store: VideoStore) -> SwapFn:
    """DrNet's swap D(Ec(A_tA), Ep(B_tB)) on an object store, for rows (A, tA, B, tB), on the model's device."""
    device = module_device(drnet)

    @torch.no_grad()
    def swap(pairs: np.ndarray) -> torch.Tensor:
        content, skips = drnet.encode_content(store_frames(store, pairs[:, :2], device))
        return drnet.decode(content, drnet.encode_pose(store_frames(store, pairs[:, 2:], device)),
                            skips).float().clamp(0, 1)
    return swap


class ObjectReaders(NamedTuple):
    """The object and azimuth readers of one test store, with their accuracy on held-out real frames."""

    objects: nn.Module
    objects_ceiling: float
    azimuths: nn.Module
    azimuths_ceiling: float
    n_azimuths: int


def object_readers(store: VideoStore, content_column: str, seed: int, width: int = 16, max_epochs: int = 15,
                   pose_store: VideoStore | None = None, max_pose_frames: int = 20000,
                   device: str | torch.device = "cpu") -> ObjectReaders:
    """Train the readers once per store, on ``device`` (every model's swaps are read by the same two).

    Both train on a seeded 80% of the real test frames, the azimuth reader also on ``pose_store``'s (the training
    split: at most ``max_pose_frames``, seeded), and are read on the other 20% (the ceilings).
    """
    items = all_items(store)
    objects = np.unique(store.meta(content_column), return_inverse=True)[1]
    n_az = int(store.length.max())
    obj_reader, obj_ceiling = train_frame_reader(store, items, objects[items[:, 0]], int(objects.max()) + 1, seed,
                                                 width, max_epochs, device=device)
    extra = None
    if pose_store is not None:
        pose_items = all_items(pose_store)
        if len(pose_items) > max_pose_frames:
            keep = np.random.default_rng([seed, 23]).choice(len(pose_items), max_pose_frames, replace=False)
            pose_items = pose_items[np.sort(keep)]
        n_az = max(n_az, int(pose_store.length.max()))
        extra = (pose_store, pose_items, pose_items[:, 1])
    az_reader, az_ceiling = train_frame_reader(store, items, items[:, 1], n_az, seed + 1, width, max_epochs,
                                               extra=extra, device=device)
    return ObjectReaders(obj_reader, obj_ceiling, az_reader, az_ceiling, n_az)


def object_swap_table(swap: SwapFn, store: VideoStore, content_column: str, n_pairs: int, seed: int,
                      width: int = 16, max_epochs: int = 15, pose_store: VideoStore | None = None,
                      readers: ObjectReaders | None = None) -> dict[str, float]:
    """Swap content and pose between clips of an object dataset with ``swap`` and read the result.

    Content transfer: an object reader (``content_column``: NORB ``category``, chairs ``model``) trained on real
    test frames reads D(Ec(A_tA), Ep(B_tB)) as A's object; pose transfer: an azimuth reader reads it as B's
    azimuth tB (``readers``, or trained here by ``object_readers``). Returns both, what each would score reading
    the other clip, chance levels and the readers' accuracy on held-out real frames (the ceilings).
    """
    if readers is None:
        readers = object_readers(store, content_column, seed, width, max_epochs, pose_store)
    objects = np.unique(store.meta(content_column), return_inverse=True)[1]
    rng = np.random.default_rng([seed, 22])
    a, b = (rng.integers(len(store), size=4 * n_pairs) for _ in range(2))
    keep = np.flatnonzero(objects[a] != objects[b])[:n_pairs]  # different objects, or a swap shows nothing
    a, b = a[keep], b[keep]
    ta, tb = (rng.integers(store.length[q]) for q in (a, b))
    if not len(a):
        raise ValueError(f"{store.path}: every clip shows the same {content_column}; a swap needs two objects")
    swapped = swap(np.stack([a, ta, b, tb], 1))
    obj = predict_proba(readers.objects, swapped).argmax(1)
    az = predict_proba(readers.azimuths, swapped).argmax(1)
    return {
        "content_transfer": float((obj == objects[a]).mean()),
        "content_from_pose_clip": float((obj == objects[b]).mean()),
        "pose_transfer": float((az == tb).mean()), "pose_from_content_clip": float((az == ta).mean()),
        "content_chance": float(np.mean(objects[a][:, None] == objects[None, :])),  # a clip's object at random
        "pose_chance": 1.0 / readers.n_azimuths, "content_reader_ceiling": readers.objects_ceiling,
        "pose_reader_ceiling": readers.azimuths_ceiling,
        "n_pairs": int(len(a)),
    }


def object_rows(name: str, r: dict, content_column: str) -> list[dict]:
    """The table rows (model, measure, value, chance, ceiling) of one model's ``object_swap_table`` result."""
    return [
        {"model": name, "measure": f"content transfer ({content_column} of the content clip)",
         "value": r["content_transfer"], "chance": r["content_chance"], "ceiling": r["content_reader_ceiling"]},
        {"model": name, "measure": f"{content_column} of pose clip (content through pose)",
         "value": r["content_from_pose_clip"], "chance": r["content_chance"], "ceiling": None},
        {"model": name, "measure": "pose transfer (azimuth of pose clip)", "value": r["pose_transfer"],
         "chance": r["pose_chance"], "ceiling": r["pose_reader_ceiling"]},
    ]
