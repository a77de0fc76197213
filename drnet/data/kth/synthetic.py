"""A synthetic KTH-format source: real AVI files and an official-format sequences file, generated offline.

Each video shows the stick figure of :mod:`drnet.data.kth.figure` doing one of the six KTH actions, written as
``personNN_<action>_dK_uncomp.avi`` (160x120, 25 fps, grey content in a 3-channel frame) so that it goes through
exactly the same ingest code as the official videos. Most videos are MJPG; about a third are MPEG-4 Part 2 written
with the XVID fourcc (the codec of the official DivX/XviD files; OpenCV's FFmpeg tags them FMP4), falling back to
MJPG with a note where this OpenCV cannot write it. One video (``person01_boxing_d4``, or the person's last
scenario) is cut mid-stream after writing, like the official one, while its header still declares every frame:
about 80% of its frames decode. Every other file is re-opened and its frames counted, since OpenCV's writer
reports nothing when the disk fills.

Everything is deterministic from ``kth.synthetic.seed``. The sequences file carries every irregularity of the
official one: CRLF line endings, a ~20-line prose header that names persons (a classification split), one or
four spaces before the tabs on some lines and a single tab on others, three ranges instead of four, ranges out
of order, overlapping ranges, blank lines between persons, and one video listed as ``*missing*`` (no
``frames`` field) and not written. ``manifest.json`` marks the folder as synthetic, which ingest checks against
``kth.data.source``.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from drnet.data.kth.figure import HEIGHT, WIDTH, render_video
from drnet.data.kth.sequences import SEQUENCES_FILE, KthVideo
from drnet.data.raw import MANIFEST_FILE
from drnet.errors import DrnetError
from drnet.io import atomic_dir, atomic_write_json, file_digest, refuse_foreign
from drnet.params import KTH_ACTIONS, KthSynthetic

log = logging.getLogger(__name__)

# The generator's name recorded in manifest.json and the sequences file's header: the module's name before the
# data sources were split (issue 12), kept so that synthetic raw folders stay byte-identical.
GENERATOR = "drnet.data.synthetic_kth"
FPS = 25
CODEC = "MJPG"
XVID = "XVID"
TRUNCATE_AT = 0.8  # the cut video keeps this fraction of its bytes (the official one decodes ~304 of ~370)
HEADER = f"""\
Synthetic KTH-format sequences file written by {GENERATOR} (not the official data).

This file mirrors the layout of the official 00sequences.txt of the KTH Actions dataset
(C. Schuldt, I. Laptev, B. Caputo, ICPR 2004): a few lines of prose, then one line per video
with the name of the video, the word "frames" and the subsequences as 1-based inclusive frame
ranges. The subsequences cut a video into repetitions of the action.

The videos are stick figures drawn by a program; see the module docstring for what varies with
the person (body proportions, clothes) and the scenario:
   d1 - plain outdoor background
   d2 - outdoors with scale variation (the camera zooms in and out)
   d3 - outdoors with different clothes
   d4 - indoors (darker textured background)

As in the official file the whitespace between the fields is irregular, some videos have three
subsequences instead of four, some ranges are listed out of order, a few overlap, persons are
separated by blank lines, the lines end in CRLF, and one listed video is marked *missing*.

The official file states its own classification split in this header, naming persons:
   Training:   person11, person12, person13, person14, person15, person16, person17, person18
   Validation: person19, person20, person21, person23, person24, person25, person01, person04
   Test:       person22, person02, person03, person05, person06, person07, person08, person09, person10
This pipeline splits by params.yaml instead (kth.data.train_persons / test_persons).

"""


def write_avi(path: str | os.PathLike, frames: np.ndarray, codec: str = CODEC) -> str:
    """Write grey frames (uint8 [T, 120, 160]) as a 25 fps AVI with 3-channel frames, like KTH's files.

    ``codec`` is a fourcc (MJPG, XVID); one this OpenCV cannot write falls back to MJPG with a note. Returns
    the codec used.
    """
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), FPS, (WIDTH, HEIGHT), True)
    if not writer.isOpened() and codec != CODEC:
        log.warning("OpenCV cannot write %s AVIs here; writing %s as %s instead", codec, path, CODEC)
        codec = CODEC
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), FPS, (WIDTH, HEIGHT), True)
    if not writer.isOpened():
        raise DrnetError(f"OpenCV cannot write {codec} AVI files here ({path}); install opencv-python-headless "
                         f"from pip (its bundled FFmpeg writes MJPG)")
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    finally:
        writer.release()
    return codec


def count_frames(path: str | os.PathLike) -> tuple[int, int]:
    """(frames that decode, frames the container declares) of a video file."""
    capture = cv2.VideoCapture(str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, 1])
    try:
        declared = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0) if capture.isOpened() else 0
        decoded = 0
        while capture.isOpened() and capture.grab():
            decoded += 1
    finally:
        capture.release()
    return decoded, declared


def truncate_mid_stream(path: str | os.PathLike, keep: float = TRUNCATE_AT) -> None:
    """Cut a written AVI to ``keep`` of its bytes: its header still declares every frame, the index is gone."""
    with open(path, "r+b") as f:
        f.truncate(int(os.fstat(f.fileno()).st_size * keep))


def video_codec(seed: int, video: KthVideo) -> str:
    """The fourcc a synthetic video is written with: XVID for about a third of them, else MJPG."""
    rng = np.random.default_rng([seed, video.person, KTH_ACTIONS.index(video.action), int(video.scenario[1:]), 5])
    return XVID if rng.random() < 0.35 else CODEC


def truncated_video(cfg: KthSynthetic) -> str:
    """The synthetic video cut mid-stream, like the official person01_boxing_d4."""
    return f"person01_boxing_d{min(4, cfg.scenarios)}"


def synthetic_videos(cfg: KthSynthetic) -> tuple[list[KthVideo], str]:
    """The videos of the synthetic dataset with their subsequences, and the one listed video left unwritten."""
    videos = []
    for person in range(1, cfg.persons + 1):
        for action in KTH_ACTIONS:
            for k in range(1, cfg.scenarios + 1):
                rng = np.random.default_rng([cfg.seed, person, KTH_ACTIONS.index(action), k, 1])
                n = 3 if rng.random() < 0.3 else 4
                cuts = np.linspace(0, cfg.frames_per_video, n + 1)
                cuts[1:-1] += rng.uniform(-0.15, 0.15, n - 1) * cfg.frames_per_video / n
                cuts[-1] -= int(rng.integers(0, 3))
                bounds = np.round(cuts).astype(int)
                ranges = [(int(a) + 1, int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
                # a few videos overlap two ranges, like the official file's 7 pairs ("225-365, 266-500");
                # person01_walking_d1 always does, so every synthetic file has at least one pair
                if rng.random() < 0.04 or (person, action, k) == (1, "walking", 1):
                    i = int(rng.integers(0, n - 1))
                    (a0, a1), (b0, b1) = ranges[i], ranges[i + 1]
                    ranges[i + 1] = (max(a0 + 1, b0 - max(2, (a1 - a0) // 3)), b1)
                videos.append(KthVideo(person, action, f"d{k}", tuple(ranges)))
    absent = f"person{min(13, cfg.persons):02d}_handclapping_d{min(3, cfg.scenarios)}" if cfg.scenarios > 1 else ""
    return videos, absent


def sequences_text(videos: list[KthVideo], seed: int, absent: str = "") -> str:
    """The sequences file of ``videos`` in the official layout, with its irregularities (CRLF line endings).

    ``absent`` is listed as ``<name><TAB>*missing*`` with no ``frames`` field, as the official file lists
    person13_handclapping_d3.
    """
    rng = np.random.default_rng([seed, 31])
    lines, person = [], None
    gaps = ["\t\t", "\t\t", " \t\t", "\t", "    \t"]  # tabs; one or four spaces before them; a single tab
    for index, video in enumerate(videos):
        if person is not None and video.person != person:
            lines.append("")
        person = video.person
        if video.name == absent:
            lines.append(f"{video.name}\t*missing*")
            continue
        ranges = list(video.ranges)
        if rng.random() < 0.15 or index == 1:
            ranges.reverse()  # out of order
        gap = gaps[index] if index < len(gaps) else str(rng.choice(gaps))  # every kind appears in every file
        sep = ", " if rng.random() < 0.8 else ","
        lines.append(f"{video.name}{gap}frames\t{sep.join(f'{a}-{b}' for a, b in ranges)}")
    return (HEADER + "\n".join(lines) + "\n").replace("\n", "\r\n")


def write_synthetic_kth(out_dir: str | os.PathLike, cfg: KthSynthetic, threads: int = 1) -> dict:
    """Generate the synthetic KTH-format raw folder ``out_dir``; return its manifest.

    The folder is built next to ``out_dir`` and renamed onto it when complete. An existing ``out_dir`` is
    replaced only if it is empty or holds only what this writer put there; anything else is refused.
    """
    out_dir = Path(out_dir)
    refuse_foreign(out_dir)  # before any work; atomic_dir checks again
    videos, absent = synthetic_videos(cfg)
    todo = [v for v in videos if v.name != absent]
    cut = truncated_video(cfg)
    with atomic_dir(out_dir) as tmp:
        (tmp / SEQUENCES_FILE).write_bytes(sequences_text(videos, cfg.seed, absent).encode())

        def make(video: KthVideo) -> tuple[str, str]:
            frames = render_video(cfg.seed, video.person, video.action, video.scenario, cfg.frames_per_video)
            path = tmp / video.filename
            codec = write_avi(path, frames, video_codec(cfg.seed, video))
            decoded, _ = count_frames(path)  # OpenCV's writer says nothing when the disk fills: count
            if decoded != len(frames):
                raise DrnetError(f"{path} holds {decoded} of the {len(frames)} frames written: out of disk space or "
                                 f"over a file-size limit (OpenCV's video writer does not report it); free space "
                                 f"and re-run (no partial output was kept)")
            if video.name == cut:
                truncate_mid_stream(path)
            return video.filename, codec

        with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
            made = dict(tqdm(pool.map(make, todo), total=len(todo), desc="kth synth", unit="video", disable=None))
        files = {name: "sha256:" + file_digest(tmp / name) for name in [SEQUENCES_FILE, *made]}
        codecs = {codec: sum(1 for c in made.values() if c == codec) for codec in sorted(set(made.values()))}
        manifest = {"dataset": "kth", "synthetic": True, "generator": GENERATOR, "codecs": codecs,
                    "params": cfg.model_dump(), "files": dict(sorted(files.items())),
                    "listed_videos": len(videos), "available_videos": len(todo),
                    "missing_videos": [absent] if absent else [], "unlisted_videos": [],
                    "truncated_videos": [cut] if any(v.name == cut for v in todo) else []}
        atomic_write_json(tmp / MANIFEST_FILE, manifest)
    log.info("wrote %d synthetic KTH videos (%d persons x %d actions x %d scenarios, %d frames each; %s listed "
             "but absent) to %s", len(todo), cfg.persons, len(KTH_ACTIONS), cfg.scenarios, cfg.frames_per_video,
             absent or "none", out_dir)
    return manifest
