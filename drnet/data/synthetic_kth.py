"""A synthetic KTH-format source: real AVI files and an official-format sequences file, generated offline.

Each video shows an articulated figure (head, torso, two-segment arms and legs drawn with thick lines) doing one
of the six KTH actions, written as ``personNN_<action>_dK_uncomp.avi`` (160x120, 25 fps, grey content in a
3-channel frame) so that it goes through exactly the same ingest code as the official videos. Most videos are
MJPG; about a third are MPEG-4 Part 2 written with the XVID fourcc (the codec of the official DivX/XviD files;
OpenCV's FFmpeg tags them FMP4), falling back to MJPG with a note where this OpenCV cannot write it. One video
(``person01_boxing_d4``, or the person's last scenario) is cut mid-stream after writing, like the official one,
while its header still declares every frame: about 80% of its frames decode. Every other file is re-opened and
its frames counted, since OpenCV's writer reports nothing when the disk fills.

- Actions: boxing (side view, fists punch forward alternately), handclapping (front view, hands meet in front of
  the chest), handwaving (front view, both hands wave above the head), walking / jogging / running (side view,
  crossing the frame at increasing speed with growing leg and arm swing, leaving it and re-entering the other way).
- Persons: body height, limb thickness, head size and the grey levels of shirt, trousers and skin.
- Scenarios: d1 plain outdoor background; d2 the same scene with the camera zooming in and out (scale
  variation); d3 different clothes (the shirt's grey inverted and a coat down to the knees); d4 indoors, a darker
  textured wall and floor.

Everything is deterministic from ``kth.synthetic.seed``. The sequences file carries every irregularity of the
official one: CRLF line endings, a ~20-line prose header that names persons (a classification split), one or
four spaces before the tabs on some lines and a single tab on others, three ranges instead of four, ranges out
of order, overlapping ranges, blank lines between persons, and one video listed as ``*missing*`` (no
``frames`` field) and not written. ``manifest.json`` marks the folder as synthetic, which ingest checks against
``kth.data.source``.
"""

from __future__ import annotations

import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from drnet.data.kth import MANIFEST_FILE, SEQUENCES_FILE, KthVideo, read_manifest
from drnet.errors import DrnetError
from drnet.io import atomic_dir, atomic_write_json, file_digest
from drnet.params import KTH_ACTIONS, KthSynthetic

log = logging.getLogger(__name__)

WIDTH, HEIGHT, FPS = 160, 120, 25
CODEC = "MJPG"
XVID = "XVID"
TRUNCATE_AT = 0.8  # the cut video keeps this fraction of its bytes (the official one decodes ~304 of ~370)
GROUND = 108  # image row of the feet
# Locomotion: speed (px/frame at scale 1), step period (frames), leg and arm swing (rad), elbow bend, bounce, lean.
GAITS = {
    "walking": (1.8, 24, 0.45, 0.35, 0.3, 0.00, 0.00),
    "jogging": (3.2, 16, 0.65, 0.6, 1.3, 0.03, 0.10),
    "running": (5.0, 12, 0.85, 0.9, 1.6, 0.05, 0.22),
}
HEADER = """\
Synthetic KTH-format sequences file written by drnet.data.synthetic_kth (not the official data).

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


@dataclass(frozen=True)
class Appearance:
    """How one person looks: body height (px at scale 1), limb thickness, head radius and grey levels."""

    height: float
    limb: int
    head: int
    shirt: int
    trousers: int
    skin: int


def person_appearance(seed: int, person: int) -> Appearance:
    rng = np.random.default_rng([seed, person, 7])
    return Appearance(
        height=float(rng.uniform(62, 78)), limb=int(rng.integers(4, 8)), head=int(rng.integers(5, 8)),
        shirt=int(rng.choice([rng.integers(20, 90), rng.integers(215, 250)])), trousers=int(rng.integers(15, 110)),
        skin=int(rng.integers(110, 160)),
    )


def scenario_background(seed: int, scenario: str) -> np.ndarray:
    """The background of a scenario, uint8 [120, 160]."""
    rows = np.arange(HEIGHT, dtype=np.float32)[:, None]
    if scenario != "d4":
        sky = 185 - 0.15 * rows
        image = np.where(rows < GROUND - 14, sky, 160.0) + np.zeros((1, WIDTH), np.float32)
        return image.astype(np.uint8)
    rng = np.random.default_rng([seed, 4, 99])
    noise = cv2.resize(rng.normal(0, 14, (12, 16)).astype(np.float32), (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    cols = np.arange(WIDTH, dtype=np.float32)[None, :]
    tiles = 10 * ((np.floor(cols / 20) + np.floor(rows / 15)) % 2)
    wall = 85 + tiles + noise
    floor = 60 + 8 * np.sin(cols / 3.0) + 0.5 * noise
    image = np.where(rows < GROUND - 14, wall, floor)
    return np.clip(image, 0, 255).astype(np.uint8)


def _limb(joint: np.ndarray, angle: float, length: float) -> np.ndarray:
    """End point of a segment from ``joint`` at ``angle`` (0 = straight down, positive = forward), y up."""
    return joint + length * np.array([math.sin(angle), -math.cos(angle)])


def _reach(shoulder: np.ndarray, target: np.ndarray, upper: float, lower: float, bend: float) -> np.ndarray:
    """Elbow position of a two-segment arm reaching for ``target`` (bend = +1/-1 picks the side of the elbow)."""
    delta = target - shoulder
    dist = float(np.clip(np.hypot(*delta), 1e-3, upper + lower - 1e-3))
    cos_a = np.clip((upper**2 + dist**2 - lower**2) / (2 * upper * dist), -1, 1)
    base = math.atan2(delta[1], delta[0])
    a = base + bend * math.acos(cos_a)
    return shoulder + upper * np.array([math.cos(a), math.sin(a)])


@dataclass
class _Pose:
    """Joint positions in body units (feet centre at the origin, y up, body height 1)."""

    hip: np.ndarray
    neck: np.ndarray
    head: np.ndarray
    arms: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (shoulder, elbow, hand); far limb first
    legs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (hip, knee, foot); far limb first


def _pose(action: str, t: float, rate: float) -> _Pose:
    """The figure's joints at frame ``t`` (``rate`` scales the action's tempo)."""
    hip, neck = np.array([0.0, 0.5]), np.array([0.0, 0.8])
    upper, lower, thigh, shin = 0.17, 0.16, 0.25, 0.25
    stance = [(hip, hip + [-0.07, -0.25], np.array([-0.08, 0.0])), (hip, hip + [0.07, -0.25], np.array([0.08, 0.0]))]
    if action in GAITS:
        _, period, leg_amp, arm_amp, elbow, bounce, lean = GAITS[action]
        phase = 2 * math.pi * t * rate / period
        lift = bounce * abs(math.sin(phase))
        hip = np.array([0.0, 0.5 + lift])
        neck = hip + _limb(np.zeros(2), math.pi - lean, 0.3)
        legs, arms = [], []
        for side in (1, -1):  # far leg/arm first
            swing = side * math.sin(phase)
            knee = _limb(hip, leg_amp * swing, thigh)
            foot = _limb(knee, leg_amp * swing - max(0.0, -math.cos(phase) * side) * 1.2 * leg_amp, shin)
            legs.append((hip, knee, foot))
            arm = -arm_amp * swing
            elbow_pt = _limb(neck, arm, upper)
            arms.append((neck, elbow_pt, _limb(elbow_pt, arm + elbow, lower)))
        return _Pose(hip, neck, neck + [0.02 + lean * 0.3, 0.1], arms, legs)
    if action == "boxing":
        arms = []
        for side in (0, 1):  # far fist, near fist: alternate punches
            punch = max(0.0, math.sin(2 * math.pi * t * rate / 14 + side * math.pi)) ** 2
            target = np.array([0.12 + 0.26 * punch, 0.76 + 0.03 * punch])
            shoulder = neck + [0.02 * (side * 2 - 1), 0.0]
            arms.append((shoulder, _reach(shoulder, target, upper, lower, -1.0), target))
        legs = [(hip, hip + [-0.06, -0.25], np.array([-0.1, 0.0])), (hip, hip + [0.08, -0.24], np.array([0.12, 0.0]))]
        return _Pose(hip, neck, neck + [0.03, 0.1], arms, legs)
    arms = []
    for side in (-1, 1):
        shoulder = neck + [0.07 * side, -0.01]
        if action == "handclapping":
            open_ = 0.5 * (1 + math.sin(2 * math.pi * t * rate / 12))
            target = np.array([side * (0.02 + 0.26 * open_), 0.6 + 0.04 * open_])
            bend = float(side)  # elbows out
        else:  # handwaving: both hands above the head, swinging left and right together
            sway = math.sin(2 * math.pi * t * rate / 16)
            target = np.array([side * 0.16 + 0.12 * sway, 1.1 - 0.03 * abs(sway)])
            bend = -float(side)
        arms.append((shoulder, _reach(shoulder, target, upper, lower, bend), target))
    return _Pose(hip, neck, neck + [0.0, 0.1], arms, stance)


def render_video(seed: int, person: int, action: str, scenario: str, frames: int) -> np.ndarray:
    """Draw one synthetic video: uint8 [T, 120, 160] grey frames."""
    look = person_appearance(seed, person)
    rng = np.random.default_rng([seed, person, KTH_ACTIONS.index(action), int(scenario[1:])])
    background = scenario_background(seed, scenario)
    coat = scenario == "d3"
    shirt = 255 - look.shirt if coat else look.shirt
    rate = float(rng.uniform(0.85, 1.15))
    t0 = float(rng.uniform(0, 50))
    direction = 1 if rng.random() < 0.5 else -1
    centre = float(rng.uniform(0.35, 0.65) * WIDTH)
    ground = GROUND + int(rng.integers(-3, 4))
    speed = GAITS[action][0] * float(rng.uniform(0.9, 1.1)) if action in GAITS else 0.0
    margin, pause, waiting = 30.0, int(rng.integers(3, 10)), 0
    zoom_phase = float(rng.uniform(0, 2 * math.pi))
    out = np.empty((frames, HEIGHT, WIDTH), np.uint8)
    for t in range(frames):
        scale = 1.0 + (0.25 * math.sin(2 * math.pi * t / 60 + zoom_phase) if scenario == "d2" else 0.0)
        if speed:
            if waiting:
                waiting -= 1
            else:
                centre += direction * speed
                if not -margin <= centre <= WIDTH + margin:
                    direction, waiting = -direction, pause
        pose = _pose(action, t0 + t, rate)
        frame = background.copy()
        zoom_x = WIDTH / 2 + (centre - WIDTH / 2) * scale
        _draw(frame, pose, look, shirt, coat, zoom_x, ground, look.height * scale, direction, scale)
        out[t] = frame
    return out


def _draw(frame: np.ndarray, pose: _Pose, look: Appearance, shirt: int, coat: bool, x0: float, y0: float,
          height: float, direction: int, scale: float) -> None:
    """Draw ``pose`` into ``frame`` (uint8 [120, 160]) in place; ``coat`` lengthens the torso to the knees."""

    def px(p: np.ndarray) -> tuple[int, int]:
        return int(round(x0 + direction * p[0] * height)), int(round(y0 - p[1] * height))

    limb = max(2, int(round(look.limb * scale)))
    shade = [lambda g: int(g * 0.75), lambda g: g]  # far limb darker
    for i, (a, b, c) in enumerate(pose.legs):
        tone = shade[i](look.trousers)
        cv2.line(frame, px(a), px(b), tone, limb, cv2.LINE_AA)
        cv2.line(frame, px(b), px(c), tone, limb, cv2.LINE_AA)
    (far_s, far_e, far_h), near = pose.arms[0], pose.arms[1:]
    cv2.line(frame, px(far_s), px(far_e), shade[0](shirt), limb, cv2.LINE_AA)
    cv2.line(frame, px(far_e), px(far_h), shade[0](shirt), limb, cv2.LINE_AA)
    hip, neck = px(pose.hip), px(pose.neck)
    centre = ((hip[0] + neck[0]) // 2, (hip[1] + neck[1]) // 2)
    length = max(2, int(math.dist(hip, neck) / 2) + limb // 2)
    angle = math.degrees(math.atan2(neck[0] - hip[0], hip[1] - neck[1]))
    cv2.ellipse(frame, centre, (max(2, int(limb * 1.2)), length), angle, 0, 360, shirt, -1, cv2.LINE_AA)
    if coat:
        knees = [px(knee) for _, knee, _ in pose.legs]
        hem = ((knees[0][0] + knees[1][0]) // 2, (knees[0][1] + knees[1][1]) // 2)
        cv2.line(frame, centre, hem, shirt, int(limb * 2.2), cv2.LINE_AA)
    for s, e, h in near:
        cv2.line(frame, px(s), px(e), shirt, limb, cv2.LINE_AA)
        cv2.line(frame, px(e), px(h), shirt, limb, cv2.LINE_AA)
        cv2.circle(frame, px(h), max(2, limb // 2 + 1), look.skin, -1, cv2.LINE_AA)
    head, radius = px(pose.head), max(3, int(round(look.head * scale)))
    cv2.circle(frame, head, radius, look.skin, -1, cv2.LINE_AA)
    cv2.ellipse(frame, head, (radius, radius), 0, 180, 360, int(look.trousers * 0.5), -1, cv2.LINE_AA)  # hair


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
    replaced only if it is empty or itself synthetic (its manifest says so); anything else is refused.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not read_manifest(out_dir).get("synthetic"):
        raise DrnetError(f"{out_dir} exists and is not a synthetic KTH folder; refusing to replace it: choose "
                         f"another --out or remove it")
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
        manifest = {"dataset": "kth", "synthetic": True, "generator": __name__, "codecs": codecs,
                    "params": cfg.model_dump(), "files": dict(sorted(files.items())),
                    "listed_videos": len(videos), "available_videos": len(todo),
                    "missing_videos": [absent] if absent else [], "unlisted_videos": [],
                    "truncated_videos": [cut] if any(v.name == cut for v in todo) else []}
        atomic_write_json(tmp / MANIFEST_FILE, manifest)
    log.info("wrote %d synthetic KTH videos (%d persons x %d actions x %d scenarios, %d frames each; %s listed "
             "but absent) to %s", len(todo), cfg.persons, len(KTH_ACTIONS), cfg.scenarios, cfg.frames_per_video,
             absent or "none", out_dir)
    return manifest
