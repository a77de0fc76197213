"""Decoding a video file into grey frames resized to the store's size, the way every KTH-format ingest does it.

OpenCV (its bundled FFmpeg) reads the file; KTH stores grey content in colour frames, so one grey channel keeps
all the information; frames are resized with area interpolation.
"""

from __future__ import annotations

import os

# FFmpeg prints a line per damaged packet of a truncated AVI (the official person01_boxing_d4 is one); the ingest
# reports truncation itself in one warning, so FFmpeg is kept quiet unless the user asks otherwise.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402
import numpy as np

from drnet.errors import DrnetError


def decode_video(path: str | os.PathLike, image_size: int, label: str | None = None) -> tuple[np.ndarray, int]:
    """Decode an AVI into grey frames resized to ``image_size`` (area interpolation).

    Returns (uint8 [T, S, S, 1], the frame count the container declares, 0 if unknown). KTH stores grey content
    in colour frames, so one grey channel keeps all the information. Raises DrnetError naming ``label`` (default:
    the path) when the file cannot be opened or yields no frames.
    """
    label = label or str(path)
    capture = cv2.VideoCapture(str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, 1])
    if not capture.isOpened():
        raise DrnetError(f"{label} cannot be opened as a video (unreadable or corrupt); delete it and download or "
                         f"extract it again")
    declared = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            frames.append(cv2.resize(grey, (image_size, image_size), interpolation=cv2.INTER_AREA))
    finally:
        capture.release()
    if not frames:
        raise DrnetError(f"{label} holds no decodable frames (corrupt or truncated); delete it and download or "
                         f"extract it again")
    return np.stack(frames)[..., None], declared
