"""KTH store build: decode, cut and resize every listed video into train and test video stores, split by person.

Reads the official raw folder (zips or extracted AVIs) or a synthetic one (:mod:`drnet.data.kth.synthetic`) with
the same code. Every listed video (160x120, 25 fps, grey content in a colour container) is decoded to one grey
channel resized to ``image_size``, and the subsequences of the sequences file are cut from it: frames uint8
[N, S, S, 1], meta columns person (int), action (str), scenario (str, d1..d4), subsequence (int: index of the
range in frame order) and video (str).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from drnet.data.kth.decode import decode_video
from drnet.data.kth.sequences import MISSING_MARK, SEQUENCES_FILE, KthVideo, parse_sequences
from drnet.data.kth.videos import VideoSource, extract_member, locate_videos
from drnet.data.parallel import ordered_map
from drnet.data.raw import open_raw_folder
from drnet.data.store import VideoStoreWriter
from drnet.errors import DrnetError
from drnet.io import ensure_dir, file_digest, output_set, remove_stale_temps, temp_name_pattern
from drnet.params import KTH_ACTIONS, KthData

log = logging.getLogger(__name__)


@dataclass
class _Decoded:
    video: KthVideo
    frames: np.ndarray  # uint8 [T, S, S, 1]
    seconds: float
    declared: int = 0  # frames the container declares (0: unknown)
    truncated: bool = False



def _decode_task(video: KthVideo, source: VideoSource, image_size: int, tmp_dir: Path) -> _Decoded:
    start = time.perf_counter()
    if source.member is None:
        frames, declared = decode_video(source.path, image_size)
    else:
        with tempfile.NamedTemporaryFile(suffix=".avi", dir=tmp_dir) as tmp:
            extract_member(source, tmp)
            tmp.flush()
            frames, declared = decode_video(tmp.name, image_size, label=source.label())
    truncated = declared > len(frames)
    if truncated:
        # a stream cut mid-frame may decode its last frame half-drawn: keep only the frames before it
        kept = max(len(frames) - 1, 1)
        log.warning("%s decodes to %d of the %d frames it declares (truncated, like the official "
                    "person01_boxing_d4); using its first %d frames: ranges past them are cut or dropped",
                    source.label(), len(frames), declared, kept)
        frames = frames[:kept]
    return _Decoded(video, frames, time.perf_counter() - start, declared, truncated)


def build_kth(raw_dir: str | os.PathLike, train_out: str | os.PathLike, test_out: str | os.PathLike,
               cfg: KthData, threads: int = 1) -> dict[str, Any]:
    """Decode, cut and resize every listed video of the split persons into the train and test stores.

    Videos are decoded by ``threads`` workers and written in sorted name order, so the stores do not depend on
    the thread count. Both stores appear only when everything succeeded. Returns a summary (sizes, timing).
    """
    raw_dir, synthetic = open_raw_folder(raw_dir, "kth", cfg.source, "synthetic videos")
    listed = parse_sequences(raw_dir / SEQUENCES_FILE)
    sources = locate_videos(raw_dir)
    missing = [v.name for v in listed if v.listed_missing or v.name not in sources]
    for name in missing:
        log.warning("%s lists %s but the video is not in %s (or is marked %s); skipping it", SEQUENCES_FILE, name,
                    raw_dir, MISSING_MARK)
    split_of = {**{p: "train" for p in cfg.train_persons}, **{p: "test" for p in cfg.test_persons}}
    todo = [v for v in listed if v.name not in set(missing) and v.person in split_of]
    unused = sorted({v.person for v in listed if v.person not in split_of})
    if unused:
        log.info("persons %s are in neither kth.data.train_persons nor test_persons; their videos are skipped", unused)
    for split in ("train", "test"):
        if not any(split_of[v.person] == split for v in todo):
            persons = cfg.train_persons if split == "train" else cfg.test_persons
            raise DrnetError(f"no videos of the {split} persons {persons} in {raw_dir}; check "
                             f"kth.data.{split}_persons against the persons the raw folder holds")
    raw_files = sorted({raw_dir / SEQUENCES_FILE, *(sources[v.name].path for v in todo)})
    with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        digests = pool.map(file_digest, raw_files)
        checksums = {f.relative_to(raw_dir).as_posix(): f"sha256:{d}" for f, d in zip(raw_files, digests)}
    size = cfg.image_size
    source_name = "synthetic" if synthetic else "official"
    attrs = {"params": cfg.model_dump(), "missing_videos": missing, "fps": 25, "actions": list(KTH_ACTIONS)}
    outs = {"train": Path(train_out), "test": Path(test_out)}
    counts = {split: {"sequences": 0, "frames": 0, "dropped_short": 0} for split in outs}
    truncated: dict[str, list[int]] = {}
    decode_seconds: list[float] = []
    start = time.perf_counter()
    work_dir = ensure_dir(outs["train"].parent)
    remove_stale_temps(work_dir, temp_name_pattern("kth"))  # extraction folder of a killed run
    # both stores are finished first, then renamed together: never a new test.h5 beside an old train.h5
    with output_set(list(outs.values())) as tmps, ExitStack() as stack:
        tmp_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".tmp-kth-", dir=work_dir)))
        writers = {split: stack.enter_context(VideoStoreWriter(
            tmp, dataset="kth", split=split, source=source_name, synthetic=synthetic, frame_shape=(size, size, 1),
            raw_checksums=checksums, attrs=attrs, atomic=False)) for split, tmp in zip(outs, tmps)}
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=max(threads, 1)))
        stack.enter_context(logging_redirect_tqdm())

        def task(video: KthVideo) -> _Decoded:
            return _decode_task(video, sources[video.name], size, tmp_dir)

        results = ordered_map(pool, task, todo, window=2 * max(threads, 1))
        for decoded in tqdm(results, total=len(todo), desc="kth ingest", unit="video", disable=None):
            video, frames = decoded.video, decoded.frames
            split = split_of[video.person]
            t0 = time.perf_counter()
            kept = _write_subsequences(writers[split], decoded, cfg.min_length, counts[split])
            decode_seconds.append(decoded.seconds)
            if decoded.truncated:
                truncated[video.name] = [len(frames), decoded.declared]
            log.info("%s: %d frames, %d/%d subsequences kept, decode %.3f s, write %.3f s", video.name, len(frames),
                     kept, len(video.ranges), decoded.seconds, time.perf_counter() - t0)
        for split in writers:
            if counts[split]["sequences"] == 0:
                raise DrnetError(f"no {split} subsequence has at least kth.data.min_length={cfg.min_length} frames; "
                                 f"lower kth.data.min_length")
    total = time.perf_counter() - start
    mean = total / len(todo)
    log.info("ingested %d videos in %.1f s: %.3f s per video (decode %.3f s mean on %d threads)", len(todo), total,
             mean, float(np.mean(decode_seconds)), threads)
    return {"source": source_name, "synthetic": synthetic, "image_size": size, "videos": len(todo),
            "missing_videos": missing, "truncated_videos": truncated, "seconds_per_video": round(mean, 4), **counts}


def _write_subsequences(writer: VideoStoreWriter, decoded: _Decoded, min_length: int, counts: dict) -> int:
    video, frames = decoded.video, decoded.frames
    n = len(frames)
    kept = 0
    for index, (first, last) in enumerate(video.ranges):
        if first > n:
            log.warning("%s: range %d-%d starts after the video's %d frames; skipped", video.name, first, last, n)
            continue
        if last > n:
            log.warning("%s: range %d-%d ends after the video's %d frames; cut to %d-%d", video.name, first, last,
                        n, first, n)
            last = n
        if last - first + 1 < min_length:
            counts["dropped_short"] += 1
            continue
        writer.add(frames[first - 1:last], person=video.person, action=video.action, scenario=video.scenario,
                   subsequence=index, video=video.name)
        counts["sequences"] += 1
        counts["frames"] += last - first + 1
        kept += 1
    return kept
