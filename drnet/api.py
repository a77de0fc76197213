"""Use a trained DrNet on your own videos: content/pose swap between two videos and future generation.

Three lines from model files to results (any video OpenCV reads: MP4, AVI, MOV, MKV, ...)::

    from drnet import api
    model = api.load("data/models/kth/drnet.pt", lstm="data/models/kth/lstm.pt")
    api.swap(model, "me.mp4", "dance.mp4", out="out/swap")        # my look, the dancer's pose
    api.generate(model, "me.mp4", out="out/future", length=50)   # 50 frames after the first n_past

Frames are decoded and resized the way the KTH ingest does it (``drnet.data.kth.decode.read_frames``: grey, area
interpolation) for one-channel models, in colour for three-channel ones, to the model's own image size (read
from the model file). Videos stream: ``CHUNK`` frames at a time are decoded, run through the model and encoded,
so a pose video of any length needs the same memory. Outputs: an MP4 of the result beside its sources (every
frame), a GIF of its first ``MAX_GIF_FRAMES`` frames and a PNG grid, written together or not at all. Every
refusal is a one-line ``DrnetError``.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import imageio.v3 as iio
import numpy as np
import torch

from drnet.checkpoint import load_model
from drnet.data.kth.decode import open_video, read_frames
from drnet.errors import DrnetError
from drnet.eval.generate import generate_chunks
from drnet.io import ensure_dir, output_set
from drnet.report.images import rgb, rgb_frames, tile

log = logging.getLogger(__name__)

CHUNK = 64  # frames decoded, run through the model and encoded at a time
MAX_LENGTH = 2000  # most frames one generation makes (the paper rolls out 100-500)
MAX_GIF_FRAMES = 300  # the GIF is a preview (a GIF encoder holds every frame): the MP4 holds them all
MAX_FPS = 100  # a GIF's frame delay is counted in 1/100 s
OUTPUTS = {"mp4": "result.mp4", "gif": "result.gif", "png": "grid.png"}


@dataclass
class Model:
    """A trained DrNet (and optionally its pose LSTM) with the frame format it expects."""

    drnet: torch.nn.Module
    lstm: torch.nn.Module | None
    image_size: int
    channels: int
    n_past: int | None  # frames the LSTM was trained to observe
    device: torch.device


def device_of(device: str) -> torch.device:
    """``device`` ("cpu", "cuda", "cuda:1", "mps") as a torch device this machine has; else one line."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise DrnetError(f"device {device!r} is not a torch device ({str(exc)[:80]}); use cpu or cuda") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DrnetError(f"device {device!r} asks for CUDA, but this torch sees no CUDA GPU (torch {torch.__version__}"
                         f", CUDA build: {torch.version.cuda or 'none'}); use --device cpu or a machine with a GPU")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise DrnetError(f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s); use cuda:0 "
                         f"to cuda:{torch.cuda.device_count() - 1}")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise DrnetError(f"device {device!r} (Apple GPU) is not available here; use --device cpu")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise DrnetError(f"device {device!r} is not supported here; use cpu or cuda")
    return dev


def load(drnet: str | os.PathLike, lstm: str | os.PathLike | None = None, device: str = "cpu") -> Model:
    """Load model files written by the train stages (``stages.train_drnet``, ``stages.train_lstm``).

    The LSTM must read and predict the poses of this DrNet (same pose and content sizes); else one line.
    """
    dev = device_of(device)
    model, state = load_model(drnet, kinds=("drnet", "ae"), device=dev)
    extra = state["extra"]
    if "image_size" not in extra or "channels" not in extra:
        raise DrnetError(f"{drnet} does not record its frame size; pass a DrNet model file from stages.train_drnet")
    pose_lstm, n_past = None, None
    if lstm is not None:
        pose_lstm, lstm_state = load_model(lstm, kinds=("lstm",), device=dev)
        sizes = lstm_state["extra"]["pose_dim"], lstm_state["extra"]["content_dim"]
        if sizes != (model.pose_dim, model.content_dim):
            raise DrnetError(f"{lstm} was trained over another DrNet: it predicts {sizes[0]}-d poses from "
                             f"{sizes[1]}-d content, {drnet} encodes {model.pose_dim}-d poses and {model.content_dim}"
                             f"-d content; pass the LSTM trained on this DrNet (stages.train_lstm --drnet {drnet})")
        n_past = int(lstm_state["extra"]["n_past"])
        if n_past < 1:
            raise DrnetError(f"{lstm} records n_past={n_past}; it is damaged: retrain it")
    return Model(model, pose_lstm, int(extra["image_size"]), int(extra["channels"]), n_past, dev)


def iter_video(path: str | os.PathLike, image_size: int, channels: int, max_frames: int | None = None,
               chunk: int = CHUNK) -> Iterator[np.ndarray]:
    """Decode a video file ``chunk`` frames at a time -> uint8 [<=chunk, S, S, C] (C = 1 grey, as the KTH ingest,
    or 3 RGB), at most ``max_frames`` in all; only one chunk is held."""
    _positive("max_frames", max_frames)
    if not Path(path).is_file():
        raise DrnetError(f"video {path} not found" if not Path(path).exists() else f"video {path} is not a file")
    frames = read_frames(open_video(path), image_size, colour=channels == 3, label=str(path))
    left = max_frames
    try:
        while left is None or left > 0:
            block = list(itertools.islice(frames, chunk if left is None else min(chunk, left)))
            if not block:
                return
            left = None if left is None else left - len(block)
            yield np.stack(block)
    finally:
        frames.close()


def read_video(path: str | os.PathLike, image_size: int, channels: int, max_frames: int | None = None) -> np.ndarray:
    """Decode a video file -> uint8 [T, S, S, C] (C = 1 grey, as the KTH ingest, or 3 RGB), held whole."""
    return np.concatenate(list(iter_video(path, image_size, channels, max_frames)))


def _as_input(frames: np.ndarray, device) -> torch.Tensor:
    """uint8 [T, H, W, C] -> float [T, C, H, W] in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).to(device).movedim(-1, 1).float().div_(255.0)


def _chunks(video: str | os.PathLike | np.ndarray, model: Model, max_frames: int | None = None
            ) -> Iterator[np.ndarray]:
    """A path or a uint8 [T, S, S, C] array as chunks of at most ``CHUNK`` frames, at most ``max_frames`` in all."""
    if not isinstance(video, np.ndarray):
        yield from iter_video(video, model.image_size, model.channels, max_frames)
        return
    if video.ndim != 4 or video.dtype != np.uint8 or video.shape[1:] != (model.image_size,) * 2 + (model.channels,):
        raise DrnetError(f"frames must be uint8 [T, {model.image_size}, {model.image_size}, {model.channels}], "
                         f"got {video.dtype} {list(video.shape)}")
    video = video[:max_frames]
    if not len(video):
        raise DrnetError("the frames array holds no frames")
    for s in range(0, len(video), CHUNK):
        yield video[s:s + CHUNK]


def _positive(name: str, value: int | None, limit: int | None = None) -> None:
    """Refuse ``value`` (when given) unless it is an integer >= 1 (and <= ``limit``)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1 or (limit and value > limit):
        bound = f"from 1 to {limit}" if limit else ">= 1"
        raise DrnetError(f"{name} must be an integer {bound}, got {value!r}")


@torch.no_grad()
def swap_frames(model: Model, content: np.ndarray, pose: np.ndarray, content_index: int = 0,
                batch: int = CHUNK) -> np.ndarray:
    """content uint8 [Tc, S, S, C], pose uint8 [Tp, S, S, C] -> uint8 [Tp, S, S, 3]: frame t shows the content
    (look, background) of ``content[content_index]`` in the pose of ``pose[t]``."""
    if not 0 <= content_index < len(content):
        raise DrnetError(f"content_index {content_index} is outside the {len(content)} content frames (0 to "
                         f"{len(content) - 1})")
    c, skips = model.drnet.encode_content(_as_input(content[content_index:content_index + 1], model.device))
    out = []
    for s in range(0, len(pose), batch):
        p = model.drnet.encode_pose(_as_input(pose[s:s + batch], model.device))
        n = len(p)
        k = [x.expand(n, *x.shape[1:]) for x in skips] if skips is not None else None
        out.append(rgb_frames(model.drnet.decode(c.expand(n, -1), p, k)))
    return np.concatenate(out)


def _n_past(model: Model, n_past: int | None) -> int:
    if model.lstm is None:
        raise DrnetError("generation needs the pose LSTM: load(drnet, lstm=...)")
    _positive("n_past", n_past, MAX_LENGTH)
    return model.n_past if n_past is None else int(n_past)


@torch.no_grad()
def generate_frames(model: Model, observed: np.ndarray, length: int, n_past: int | None = None) -> np.ndarray:
    """observed uint8 [T, S, S, C] (its first n_past frames are used) -> generated uint8 [length, S, S, 3]."""
    return np.concatenate(list(_generated(model, observed, length, _n_past(model, n_past))))


def _generated(model: Model, observed: np.ndarray, length: int, n_past: int) -> Iterator[np.ndarray]:
    """Generated frames uint8 [<=CHUNK, S, S, 3], in order, after the first ``n_past`` of ``observed``."""
    _positive("length", length, MAX_LENGTH)
    if len(observed) < n_past:
        raise DrnetError(f"the video has {len(observed)} frames; generation observes the first {n_past} (n_past)")
    x = _as_input(observed[:n_past], model.device)[None]
    for block in generate_chunks(model.drnet, model.lstm, x, length, CHUNK):
        yield rgb_frames(block)[0]


class _EvenFrames:
    """Up to ``k`` evenly spaced items of a stream of unknown length, the first and last included: every
    stride-th item is kept, the stride doubling whenever more than 2k are kept (only those are held)."""

    def __init__(self, k: int = 8):
        self.k, self.stride, self.n = k, 1, 0
        self.kept: dict[int, object] = {}
        self.last: tuple[int, object] | None = None

    def add(self, item: object) -> None:
        if self.n % self.stride == 0:
            self.kept[self.n] = item
            if len(self.kept) > 2 * self.k:
                self.stride *= 2
                self.kept = {t: x for t, x in self.kept.items() if t % self.stride == 0}
        self.last = (self.n, item)
        self.n += 1

    def picks(self) -> list:
        items = {**self.kept, **dict([self.last])} if self.last else {}
        times = sorted(items)
        return [items[times[i]] for i in _picks(len(times), self.k)]


def _picks(n: int, k: int = 8) -> list[int]:
    return sorted({int(i) for i in np.linspace(0, n - 1, min(k, n))})


def _out_folder(out: str | os.PathLike, inputs: Iterable[object], create: bool = True) -> Path:
    """``out`` as a folder to write the outputs in (created unless ``create`` is false: a check before the inputs
    are read), refused if it is a file or an output would replace an input."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DrnetError(f"output folder {out} is an existing file; pass a folder (it gets "
                         f"{', '.join(OUTPUTS.values())})")
    outputs = {(out / name).resolve() for name in OUTPUTS.values()}
    for video in inputs:
        if isinstance(video, (str, os.PathLike)) and Path(video).resolve() in outputs:
            raise DrnetError(f"input video {video} would be overwritten by the output {out / Path(video).name}; pass "
                             f"another output folder")
    return ensure_dir(out) if create else out


def _write(out: Path, movie: Iterable[np.ndarray], fps: int, grid: Callable[[], np.ndarray]) -> dict[str, Path]:
    """Stream ``movie`` (chunks uint8 [n, H, W, 3]) into OUT/result.mp4 (all frames) and OUT/result.gif (the first
    ``MAX_GIF_FRAMES``), then ``grid()`` into OUT/grid.png; the three appear together or not at all."""
    paths = {key: out / name for key, name in OUTPUTS.items()}
    with output_set(list(paths.values())) as (mp4, gif, png):
        writer, preview, frames = None, [], 0
        try:
            for chunk in movie:
                if writer is None:
                    h, w = chunk.shape[1:3]
                    writer = cv2.VideoWriter(str(mp4), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
                    if not writer.isOpened():
                        raise DrnetError(f"OpenCV cannot write MP4 here ({paths['mp4']}): its FFmpeg lacks the mp4v "
                                         f"encoder; install opencv-python-headless from requirements.lock")
                for frame in chunk:
                    writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
                preview.append(chunk[:max(MAX_GIF_FRAMES - frames, 0)])
                frames += len(chunk)
        finally:
            if writer is not None:
                writer.release()
        iio.imwrite(gif, np.concatenate(preview), duration=1000 / fps, loop=0)
        iio.imwrite(png, grid())
    if frames > MAX_GIF_FRAMES:
        log.info("%s holds all %d frames; %s the first %d", paths["mp4"], frames, paths["gif"], MAX_GIF_FRAMES)
    return paths


def swap(model: Model, content_video, pose_video, out: str | os.PathLike, *, content_index: int = 0,
         max_frames: int | None = None, fps: int = 10) -> dict[str, Path]:
    """Content from ``content_video`` (its frame ``content_index``), pose from every frame of ``pose_video``.

    Videos are paths or uint8 [T, S, S, C] arrays; the pose video streams. Writes OUT/result.{mp4,gif} (content
    frame | pose video | result, side by side) and OUT/grid.png (row 1: pose frames, row 2: results); returns the
    paths.
    """
    if isinstance(content_index, bool) or not isinstance(content_index, (int, np.integer)) or content_index < 0:
        raise DrnetError(f"content_index must be a frame number >= 0, got {content_index!r}")
    _positive("max_frames", max_frames)
    _positive("fps", fps, MAX_FPS)
    _out_folder(out, (content_video, pose_video), create=False)
    content, seen = None, 0
    for block in _chunks(content_video, model, content_index + 1):  # only the chosen frame is kept
        seen += len(block)
        content = block[-1:]
    if seen <= content_index:
        raise DrnetError(f"content_index {content_index} is past the end of the content video ({seen} frames: 0 to "
                         f"{seen - 1})")
    folder = _out_folder(out, (content_video, pose_video))
    still = rgb(content)
    samples = _EvenFrames()

    def movie() -> Iterator[np.ndarray]:
        for pose in _chunks(pose_video, model, max_frames):
            result, shown = swap_frames(model, content, pose), rgb(pose)
            for pair in zip(shown, result):
                samples.add(pair)
            yield np.concatenate([np.repeat(still, len(pose), axis=0), shown, result], axis=2)

    def grid() -> np.ndarray:
        picks = samples.picks()
        return tile([[still[0]] + [p for p, _ in picks], [np.full_like(still[0], 255)] + [r for _, r in picks]])

    return _write(folder, movie(), fps, grid)


def generate(model: Model, video, out: str | os.PathLike, *, length: int = 50, n_past: int | None = None,
             fps: int = 10) -> dict[str, Path]:
    """Observe the first n_past frames of ``video`` (default: the LSTM's own), generate ``length`` more (at most
    ``MAX_LENGTH``).

    Reads only the first n_past + length frames. Writes OUT/result.{mp4,gif} (observed then generated; the real
    continuation beside it where the video has one) and OUT/grid.png (row 1: observed + real frames, row 2:
    observed + generated); returns the paths.
    """
    n_past = _n_past(model, n_past)
    _positive("length", length, MAX_LENGTH)
    _positive("fps", fps, MAX_FPS)
    _out_folder(out, (video,), create=False)
    frames = np.concatenate(list(_chunks(video, model, n_past + length)))
    if len(frames) < n_past:
        raise DrnetError(f"the video has {len(frames)} frames; generation observes the first {n_past} (n_past)")
    folder = _out_folder(out, (video,))
    generated = _generated(model, frames, length, n_past)
    observed = rgb(frames[:n_past])
    real = rgb(frames)
    blank = np.full((1, *real.shape[1:]), 255, np.uint8)
    picks = set(range(n_past)) | {n_past + t for t in _picks(length)}
    rows: tuple[list, list] = ([], [])

    def movie() -> Iterator[np.ndarray]:
        t = 0
        for ours in itertools.chain([observed], generated):
            n = len(ours)
            truth = np.concatenate([real[t:t + n], np.repeat(blank, max(t + n - len(real), 0), axis=0)])
            for i in sorted(p - t for p in picks if t <= p < t + n):
                rows[0].append(truth[i])
                rows[1].append(ours[i])
            t += n
            yield np.concatenate([truth, ours], axis=2)

    return _write(folder, movie(), fps, lambda: tile(list(rows)))
