"""Decoding a video file into grey frames resized to the store's size, the way every KTH-format ingest does it.

OpenCV (its bundled FFmpeg) reads the file; KTH stores grey content in colour frames, so one grey channel keeps
all the information; frames are resized with area interpolation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

# FFmpeg prints a line per damaged packet of a truncated AVI (the official person01_boxing_d4 is one); the ingest
# reports truncation itself in one warning, so FFmpeg is kept quiet unless the user asks otherwise.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402
import numpy as np

from drnet.errors import DrnetError


def open_video(path: str | os.PathLike, label: str | None = None) -> cv2.VideoCapture:
    """An open capture of ``path`` (one decoder thread); DrnetError naming ``label`` (default: the path) if it cannot
    be opened."""
    capture = cv2.VideoCapture(str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, 1])
    if not capture.isOpened():
        raise DrnetError(f"{label or path} cannot be opened as a video (unreadable or corrupt); delete it and download "
                         f"or extract it again")
    return capture


def read_frames(capture: cv2.VideoCapture, image_size: int, colour: bool = False,
                label: str = "the video") -> Iterator[np.ndarray]:
    """The capture's frames one at a time, resized to ``image_size`` (area interpolation): uint8 [S, S, 1] grey
    (KTH stores grey content in colour frames, so one grey channel keeps all the information) or, with
    ``colour``, [S, S, 3] RGB. Releases the capture when exhausted or closed; DrnetError naming ``label`` when the
    video yields no frame at all. Only the current frame is held: a video of any length streams."""
    count = 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if frame.ndim == 2:
                frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB) if colour else frame
            else:
                frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB if colour else cv2.COLOR_BGR2GRAY)
            frame = cv2.resize(frame, (image_size, image_size), interpolation=cv2.INTER_AREA)
            count += 1
            yield frame if colour else frame[..., None]
    finally:
        capture.release()
    if not count:
        raise DrnetError(f"{label} holds no decodable frames (corrupt or truncated); delete it and download or "
                         f"extract it again")


def decode_video(path: str | os.PathLike, image_size: int, label: str | None = None) -> tuple[np.ndarray, int]:
    """Decode a whole video into grey frames resized to ``image_size`` (``read_frames``).

    Returns (uint8 [T, S, S, 1], the frame count the container declares, 0 if unknown). Raises DrnetError naming
    ``label`` (default: the path) when the file cannot be opened or yields no frames.
    """
    label = label or str(path)
    capture = open_video(path, label)
    declared = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    return np.stack(list(read_frames(capture, image_size, label=label))), declared
