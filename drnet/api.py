"""Use a trained DrNet on your own videos: content/pose swap between two videos and future generation.

Three lines from model files to results (any video OpenCV reads: MP4, AVI, MOV, MKV, ...)::

    from drnet import api
    model = api.load("data/models/kth/drnet.pt", lstm="data/models/kth/lstm.pt")
    api.swap(model, "me.mp4", "dance.mp4", out="out/swap")        # my look, the dancer's pose
    api.generate(model, "me.mp4", out="out/future", length=50)   # 50 frames after the first n_past

Frames are decoded and resized the way the KTH ingest does it (``drnet.data.kth.decode.decode_video``: grey, area
interpolation) for one-channel models, in colour for three-channel ones, to the model's own image size (read
from the model file). Outputs: an MP4 and a GIF of the result beside its sources, and a PNG grid.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from drnet.checkpoint import load_model
from drnet.errors import DrnetError
from drnet.eval.generate import generate as rollout
from drnet.io import atomic_path
from drnet.report.images import rgb_frames, save_png, save_video, tile


@dataclass
class Model:
    """A trained DrNet (and optionally its pose LSTM) with the frame format it expects."""

    drnet: torch.nn.Module
    lstm: torch.nn.Module | None
    image_size: int
    channels: int
    n_past: int | None  # frames the LSTM was trained to observe
    device: torch.device


def load(drnet: str | os.PathLike, lstm: str | os.PathLike | None = None, device: str = "cpu") -> Model:
    """Load model files written by the train stages (``stages.train_drnet``, ``stages.train_lstm``)."""
    model, state = load_model(drnet, kinds=("drnet", "ae"), device=device)
    extra = state["extra"]
    if "image_size" not in extra or "channels" not in extra:
        raise DrnetError(f"{drnet} does not record its frame size; pass a DrNet model file from stages.train_drnet")
    pose_lstm, n_past = None, None
    if lstm is not None:
        pose_lstm, lstm_state = load_model(lstm, kinds=("lstm",), device=device)
        n_past = int(lstm_state["extra"]["n_past"])
    return Model(model, pose_lstm, int(extra["image_size"]), int(extra["channels"]), n_past, torch.device(device))


def read_video(path: str | os.PathLike, image_size: int, channels: int, max_frames: int | None = None) -> np.ndarray:
    """Decode a video file -> uint8 [T, S, S, C] (C = 1 grey, as the KTH ingest, or 3 RGB)."""
    if not Path(path).exists():
        raise DrnetError(f"video {path} not found")
    if channels == 1:
        from drnet.data.kth.decode import decode_video

        frames, _ = decode_video(path, image_size)
        return frames[:max_frames]
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise DrnetError(f"{path} cannot be opened as a video (unreadable or corrupt)")
    frames = []
    try:
        while max_frames is None or len(frames) < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if frame.ndim == 3 else np.repeat(frame[..., None], 3, -1)
            frames.append(cv2.resize(rgb, (image_size, image_size), interpolation=cv2.INTER_AREA))
    finally:
        capture.release()
    if not frames:
        raise DrnetError(f"{path} holds no decodable frames (corrupt or truncated)")
    return np.stack(frames)


def _as_input(frames: np.ndarray, device) -> torch.Tensor:
    """uint8 [T, H, W, C] -> float [T, C, H, W] in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).to(device).movedim(-1, 1).float().div_(255.0)


def _rgb(frames: np.ndarray) -> np.ndarray:
    return np.repeat(frames, 3, axis=-1) if frames.shape[-1] == 1 else frames


def _video(frames: str | os.PathLike | np.ndarray, model: Model, max_frames: int | None = None) -> np.ndarray:
    if isinstance(frames, np.ndarray):
        if frames.ndim != 4 or frames.dtype != np.uint8 or frames.shape[1:] != (model.image_size,) * 2 + (
                model.channels,):
            raise DrnetError(f"frames must be uint8 [T, {model.image_size}, {model.image_size}, {model.channels}], "
                             f"got {frames.dtype} {list(frames.shape)}")
        return frames[:max_frames]
    return read_video(frames, model.image_size, model.channels, max_frames)


@torch.no_grad()
def swap_frames(model: Model, content: np.ndarray, pose: np.ndarray, content_index: int = 0,
                batch: int = 64) -> np.ndarray:
    """content uint8 [Tc, S, S, C], pose uint8 [Tp, S, S, C] -> uint8 [Tp, S, S, 3]: frame t shows the content
    (look, background) of ``content[content_index]`` in the pose of ``pose[t]``."""
    c, skips = model.drnet.encode_content(_as_input(content[content_index:content_index + 1], model.device))
    out = []
    for s in range(0, len(pose), batch):
        p = model.drnet.encode_pose(_as_input(pose[s:s + batch], model.device))
        n = len(p)
        k = [x.expand(n, *x.shape[1:]) for x in skips] if skips is not None else None
        out.append(rgb_frames(model.drnet.decode(c.expand(n, -1), p, k)))
    return np.concatenate(out)


@torch.no_grad()
def generate_frames(model: Model, observed: np.ndarray, length: int, n_past: int | None = None) -> np.ndarray:
    """observed uint8 [T, S, S, C] (its first n_past frames are used) -> generated uint8 [length, S, S, 3]."""
    if model.lstm is None:
        raise DrnetError("generation needs the pose LSTM: load(drnet, lstm=...)")
    n_past = n_past or model.n_past
    if len(observed) < n_past:
        raise DrnetError(f"the video has {len(observed)} frames; generation observes the first {n_past}")
    x = _as_input(observed[:n_past], model.device)[None]
    return rgb_frames(rollout(model.drnet, model.lstm, x, length))[0]


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: int) -> Path:
    """uint8 [T, H, W, 3] -> MP4 (OpenCV, mp4v) or GIF by suffix, written atomically."""
    path = Path(path)
    if path.suffix.lower() != ".mp4":
        return save_video(path, frames, fps)
    with atomic_path(path) as tmp:
        h, w = frames.shape[1:3]
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        if not writer.isOpened():
            raise DrnetError(f"OpenCV cannot write MP4 here; write a .gif instead ({path})")
        try:
            for frame in frames:
                writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        finally:
            writer.release()
    return path


def _write(out: str | os.PathLike, movie: np.ndarray, grid: np.ndarray, fps: int) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return {"mp4": write_video(out / "result.mp4", movie, fps), "gif": write_video(out / "result.gif", movie, fps),
            "png": save_png(out / "grid.png", grid)}


def _picks(n: int, k: int = 8) -> list[int]:
    return sorted({int(i) for i in np.linspace(0, n - 1, min(k, n))})


def swap(model: Model, content_video, pose_video, out: str | os.PathLike, *, content_index: int = 0,
         max_frames: int | None = None, fps: int = 10) -> dict[str, Path]:
    """Content from ``content_video`` (its frame ``content_index``), pose from every frame of ``pose_video``.

    Videos are paths or uint8 [T, S, S, C] arrays. Writes OUT/result.{mp4,gif} (content frame | pose video |
    result, side by side) and OUT/grid.png (row 1: pose frames, row 2: results); returns the paths.
    """
    content = _video(content_video, model)
    pose = _video(pose_video, model, max_frames)
    result = swap_frames(model, content, pose, content_index)
    still = np.repeat(_rgb(content[content_index:content_index + 1]), len(pose), axis=0)
    movie = np.concatenate([still, _rgb(pose), result], axis=2)
    picks = _picks(len(pose))
    grid = tile([[_rgb(content[content_index:content_index + 1])[0]] + [_rgb(pose)[t] for t in picks],
                 [np.full_like(result[0], 255)] + [result[t] for t in picks]])
    return _write(out, movie, grid, fps)


def generate(model: Model, video, out: str | os.PathLike, *, length: int = 50, n_past: int | None = None,
             fps: int = 10) -> dict[str, Path]:
    """Observe the first n_past frames of ``video`` (default: the LSTM's own), generate ``length`` more.

    Writes OUT/result.{mp4,gif} (observed then generated; the real continuation beside it where the video has
    one) and OUT/grid.png (row 1: observed + real frames, row 2: observed + generated); returns the paths.
    """
    n_past = n_past or model.n_past
    frames = _video(video, model, None)
    generated = generate_frames(model, frames, length, n_past)
    observed = _rgb(frames[:n_past])
    ours = np.concatenate([observed, generated])
    real = _rgb(frames[:n_past + length])
    real = np.concatenate([real, np.full((len(ours) - len(real), *real.shape[1:]), 255, np.uint8)])
    movie = np.concatenate([real, ours], axis=2)
    picks = list(range(n_past)) + [n_past + t for t in _picks(length)]
    grid = tile([[real[t] for t in picks], [ours[t] for t in picks]])
    return _write(out, movie, grid, fps)
