"""A folder of your own videos as a dataset: decoded like the KTH ingest into the same HDF5 video store.

Every file OpenCV reads (``VIDEO_SUFFIXES``) below the folder is one source video; it is cut into clips of at
most ``max_length`` frames (clips shorter than ``min_length`` are dropped) and whole videos go to train or test
(sorted names, then a seeded shuffle; the test split holds ``test_fraction`` of the videos, at least one).
The stores record ``source: video_folder``, ``synthetic: false``, the files' sha256s and per-clip ``video``
and ``start_frame`` columns, and train with the same stages as KTH (``--dataset kth``, README).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from drnet.data.kth.decode import open_video, read_frames
from drnet.data.store import VideoStoreWriter
from drnet.errors import DrnetError
from drnet.io import file_digest, output_set

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


def find_videos(folder: str | os.PathLike) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise DrnetError(f"video folder {folder} not found; pass a folder of video files")
    videos = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        raise DrnetError(f"{folder} holds no video files ({', '.join(VIDEO_SUFFIXES)})")
    return videos


def split_videos(videos: list[Path], test_fraction: float, seed: int) -> tuple[list[Path], list[Path]]:
    if len(videos) < 2:
        raise DrnetError("a video folder needs at least 2 videos (one for train, one for test)")
    order = np.random.default_rng(seed).permutation(len(videos))
    n_test = min(len(videos) - 1, max(1, round(test_fraction * len(videos))))
    test = sorted(videos[i] for i in order[:n_test])
    return sorted(set(videos) - set(test)), test


def _clips(video: Path, image_size: int, max_length: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first frame, uint8 [<=max_length, S, S, 1]) for consecutive clips of ``video``, decoded as it goes."""
    frames = read_frames(open_video(video), image_size, label=str(video))
    start = 0
    while clip := list(itertools.islice(frames, max_length)):
        yield start, np.stack(clip)
        start += len(clip)


def ingest_video_folder(folder: str | os.PathLike, train_out: str | os.PathLike, test_out: str | os.PathLike, *,
                        image_size: int = 64, min_length: int = 30, max_length: int = 300,
                        test_fraction: float = 0.2, seed: int = 0) -> dict:
    """Write the train and test stores; return a summary (clips, frames and videos per split).

    Each video streams: at most one clip of frames is held at a time.
    """
    for name, value in (("max_length", max_length), ("min_length", min_length)):
        if value < 2:
            raise DrnetError(f"{name} must be at least 2 frames (training draws pairs of frames from a clip), got "
                             f"{value}")
    if min_length > max_length:
        raise DrnetError(f"min_length ({min_length}) must be <= max_length ({max_length})")
    if not 0 < test_fraction < 1:
        raise DrnetError(f"test_fraction must be a share of the videos between 0 and 1 (e.g. 0.2), got {test_fraction}")
    folder = Path(folder)
    train, test = split_videos(find_videos(folder), test_fraction, seed)
    summary = {"source": "video_folder", "synthetic": False, "folder": str(folder), "image_size": image_size}
    # both stores are finished first, then renamed together: never a new train.h5 beside an old test.h5, and a
    # split without clips leaves the previous stores as they were
    with output_set([train_out, test_out]) as tmps:
        for split, videos, out in (("train", train, tmps[0]), ("test", test, tmps[1])):
            summary[split] = _write_split(folder, videos, out, split, image_size, min_length, max_length)
    return summary


def _write_split(folder: Path, videos: list[Path], out: Path, split: str, image_size: int, min_length: int,
                 max_length: int) -> dict:
    """One split's store at ``out`` (a temporary path); its videos, clips and frames."""
    checksums = {str(v.relative_to(folder)): "sha256:" + file_digest(v) for v in videos}
    clips = frames_total = 0
    # KTH-format stores (person/action columns): the kth stages take them; ``source`` says where they came from
    with VideoStoreWriter(out, dataset="kth", split=split, source="video_folder", synthetic=False,
                          frame_shape=(image_size, image_size, 1), raw_checksums=checksums,
                          attrs={"min_length": min_length, "max_length": max_length}, atomic=False) as writer:
        for video in videos:
            for start, clip in _clips(video, image_size, max_length):
                if len(clip) >= min_length:
                    writer.add(clip, video=str(video.relative_to(folder)), start_frame=start)
                    clips += 1
                    frames_total += len(clip)
        if clips == 0:
            raise DrnetError(f"no {split} video has {min_length} frames (min_length); lower it or add longer videos")
    return {"videos": len(videos), "clips": clips, "frames": frames_total}
