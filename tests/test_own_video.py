"""Your own videos, end to end: a folder of MP4/AVI files -> stores -> tiny DrNet + LSTM through the usual train
stages -> content/pose swap and future generation from the command line and the Python API."""

import json

import cv2
import h5py
import numpy as np
import pytest

from drnet import api
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from stages import own_video, train_drnet, train_lstm, video_folder_ingest

TINY = ["--variant", "demo", "--set", "demo.runtime.num_workers=0", "--set", "demo.kth.model.width=4"]


def _write_video(path, frames, fps=10):
    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if path.suffix == ".mp4" else "MJPG"))
    writer = cv2.VideoWriter(str(path), fourcc, fps, (frames.shape[2], frames.shape[1]))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()


def _moving_square(n, size, seed):
    """BGR uint8 [n, size, size, 3]: a bright square moving over a seeded background tone."""
    rng = np.random.default_rng(seed)
    bg, speed = int(rng.integers(20, 90)), int(rng.integers(1, 4))
    frames = np.full((n, size, size, 3), bg, np.uint8)
    for t in range(n):
        x = (5 + speed * t) % (size - 20)
        frames[t, 20:40, x:x + 20] = 200 + 10 * (seed % 5)
    return frames


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    videos = root / "videos"
    videos.mkdir()
    for i in range(5):
        suffix = ".mp4" if i % 2 else ".avi"
        _write_video(videos / f"clip{i}{suffix}", _moving_square(64, 96, i))
    train, test = root / "train.h5", root / "test.h5"
    assert video_folder_ingest.main(["--folder", str(videos), "--train-out", str(train), "--test-out", str(test),
                                     "--summary-out", str(root / "own.json"), "--max-length", "32",
                                     "--min-length", "24", "--test-fraction", "0.2"]) == 0
    assert train_drnet.main([*TINY, "--dataset", "kth", "--train", str(train), "--model-out", str(root / "drnet.pt"),
                             "--checkpoint", str(root / "ck.pt"), "--metrics-out", str(root / "m.csv"),
                             "--summary-out", str(root / "s.json"), "--set", "demo.kth.train.steps=2",
                             "--set", "demo.kth.train.batch_size=4"]) == 0
    assert train_lstm.main([*TINY, "--dataset", "kth", "--drnet", str(root / "drnet.pt"), "--train", str(train),
                            "--model-out", str(root / "lstm.pt"), "--checkpoint", str(root / "lck.pt"),
                            "--metrics-out", str(root / "lm.csv"), "--summary-out", str(root / "ls.json"),
                            "--set", "demo.kth.lstm.steps=2", "--set", "demo.kth.lstm.batch_size=4",
                            "--set", "demo.kth.lstm_model.hidden=16"]) == 0
    return root, videos, train, test


def test_video_folder_becomes_kth_format_stores(trained):
    root, _, train, test = trained
    summary = json.loads((root / "own.json").read_text())
    assert summary["train"]["videos"] == 4 and summary["test"]["videos"] == 1
    store = VideoStore(train)
    assert store.frame_shape == (64, 64, 1) and not store.synthetic and store.attrs["source"] == "video_folder"
    assert len(store) == summary["train"]["clips"] == 8 and set(store.length) == {32}
    with h5py.File(test) as f:
        assert f["meta/video"].asstr()[0].startswith("clip")


def _frame_count(path):
    capture = cv2.VideoCapture(str(path))
    n = 0
    while capture.read()[0]:
        n += 1
    return n


def test_swap_from_the_command_line(trained, tmp_path):
    root, videos, _, _ = trained
    out = tmp_path / "swap"
    assert own_video.main(["swap", "--drnet", str(root / "drnet.pt"), "--content", str(videos / "clip1.mp4"),
                           "--pose", str(videos / "clip2.avi"), "--max-frames", "12", "--out", str(out)]) == 0
    assert _frame_count(out / "result.mp4") == 12
    assert cv2.imread(str(out / "grid.png")).shape[1] > 3 * 64
    assert (out / "result.gif").stat().st_size > 0


def test_generate_from_the_python_api(trained, tmp_path):
    root, videos, _, _ = trained
    model = api.load(root / "drnet.pt", lstm=root / "lstm.pt")
    assert model.image_size == 64 and model.channels == 1 and model.n_past == 10
    paths = api.generate(model, videos / "clip3.mp4", tmp_path / "gen", length=7)
    assert _frame_count(paths["mp4"]) == 10 + 7
    frames = api.read_video(videos / "clip3.mp4", 64, 1)
    assert api.generate_frames(model, frames, 5).shape == (5, 64, 64, 3)
    assert api.swap_frames(model, frames[:1], frames[:6]).shape == (6, 64, 64, 3)


def test_own_video_errors_are_one_line(trained, tmp_path, capsys):
    root, videos, _, _ = trained
    assert own_video.main(["swap", "--drnet", str(root / "drnet.pt"), "--content", str(tmp_path / "nope.mp4"),
                           "--pose", str(videos / "clip2.avi"), "--out", str(tmp_path / "x")]) == 2
    assert "nope.mp4 not found" in capsys.readouterr().err
    with pytest.raises(DrnetError, match="needs the pose LSTM"):
        api.generate_frames(api.load(root / "drnet.pt"), np.zeros((12, 64, 64, 1), np.uint8), 3)


def test_colour_models_read_colour_frames(trained):
    _, videos, _, _ = trained
    rgb = api.read_video(videos / "clip1.mp4", 32, 3, max_frames=5)
    grey = api.read_video(videos / "clip1.mp4", 32, 1, max_frames=5)
    assert rgb.shape == (5, 32, 32, 3) and grey.shape == (5, 32, 32, 1) and rgb.dtype == np.uint8
