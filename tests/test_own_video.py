"""Your own videos, end to end: a folder of MP4/AVI files -> stores -> tiny DrNet + LSTM through the usual train
stages -> content/pose swap and future generation from the command line and the Python API."""

import json

import cv2
import h5py
import imageio.v3 as iio
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


def _other_lstm(path, pose_dim=3, content_dim=128, **extra):
    """A real pose LSTM file for poses of ``pose_dim`` (another DrNet's), its description overridable."""
    from drnet.checkpoint import save_checkpoint
    from drnet.models.lstm import PoseLSTM

    description = {"kind": "lstm", "pose_dim": pose_dim, "content_dim": content_dim, "hidden": 4, "layers": 1,
                   "n_past": 2, "n_future": 2, **extra}
    save_checkpoint(path, modules={"lstm": PoseLSTM(pose_dim, content_dim, 4, 1)}, optimizers={}, step=0, params={},
                    params_hash="", extra=description)
    return path


def _declaring(source, path, **changes):
    """A copy of the model file ``source`` whose description declares ``changes`` (its weights unchanged)."""
    import torch

    state = torch.load(source, weights_only=True)
    state["extra"].update(changes)
    torch.save(state, path)
    return path


@pytest.mark.parametrize("argv, message", [
    (["generate", "--length", "1000000000"], "length must be an integer from 1 to 2000, got 1000000000"),
    (["generate", "--length", "0"], "length must be an integer from 1 to 2000, got 0"),
    (["generate", "--length", "-5"], "length must be an integer from 1 to 2000, got -5"),
    (["generate", "--n-past", "-3"], "n_past must be an integer from 1 to 2000, got -3"),
    (["generate", "--n-past", "0"], "n_past must be an integer from 1 to 2000, got 0"),
    (["generate", "--fps", "0"], "fps must be an integer from 1 to 100, got 0"),
    (["generate", "--lstm", "{other_lstm}"], "{other_lstm} was trained over another DrNet: it predicts 3-d poses "
                                              "from 128-d content, {drnet} encodes 24-d poses"),
    (["generate", "--video", "{out}/result.mp4"], "input video {out}/result.mp4 would be overwritten by the output"),
    (["generate", "--out", "{video}"], "output folder {video} is an existing file; pass a folder"),
    (["swap", "--content-frame", "999"], "content_index 999 is past the end of the content video (64 frames: 0 "
                                         "to 63)"),
    (["swap", "--content-frame", "-1"], "content_index must be a frame number >= 0, got -1"),
    (["swap", "--max-frames", "0"], "max_frames must be an integer >= 1, got 0"),
    (["swap", "--out", "{pose}"], "output folder {pose} is an existing file"),
    (["swap", "--pose", "{out}/grid.png"], "input video {out}/grid.png would be overwritten"),
    (["swap", "--device", "cuda"], "device 'cuda' asks for CUDA, but this torch sees no CUDA GPU"),
    (["swap", "--device", "gpu"], "device 'gpu' is not a torch device"),
    (["swap", "--drnet", "{huge_image}"], "{huge_image}: the 'drnet' model file describes a network that cannot be "
                                          "built (image_size must be a power of two from 32 to 128, got 65536)"),
    (["generate", "--lstm", "{huge_lstm}"], "{huge_lstm}: the model description is invalid (hidden: Input should "
                                            "be less than or equal to 8192)"),
])
def test_own_video_bad_arguments_are_one_line_and_write_nothing(trained, tmp_path, capsys, monkeypatch, argv,
                                                                message):
    import torch

    root, videos, _, _ = trained
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same answer on a machine with a GPU
    out = tmp_path / "out"
    out.mkdir()
    (out / "result.mp4").write_bytes((videos / "clip3.mp4").read_bytes())
    (out / "grid.png").write_bytes((videos / "clip2.avi").read_bytes())
    fill = {"out": out, "video": videos / "clip3.mp4", "pose": videos / "clip2.avi", "drnet": root / "drnet.pt",
            "other_lstm": _other_lstm(tmp_path / "other_lstm.pt"),
            "huge_image": _declaring(root / "drnet.pt", tmp_path / "huge_image.pt", image_size=65536),
            "huge_lstm": _declaring(root / "lstm.pt", tmp_path / "huge_lstm.pt", hidden=65536, layers=65536)}
    command, *options = [a.format(**fill) for a in argv]
    defaults = {"--drnet": str(root / "drnet.pt"), "--out": str(out)}
    defaults.update({"--lstm": str(root / "lstm.pt"), "--video": str(videos / "clip3.mp4")} if command == "generate"
                    else {"--content": str(videos / "clip1.mp4"), "--pose": str(videos / "clip2.avi")})
    defaults.update(dict(zip(options[::2], options[1::2])))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert own_video.main([command, *(x for kv in defaults.items() for x in kv)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: " + message.format(**fill)) and err.count("\n") == 1, err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_long_pose_video_streams_through_swap(trained, tmp_path, monkeypatch):
    """Frames are decoded, swapped and encoded a chunk at a time; the grid samples the whole video."""
    root, videos, _, _ = trained
    model = api.load(root / "drnet.pt")
    pose = np.concatenate([_moving_square(64, 96, 7)] * 5)  # 320 frames
    _write_video(tmp_path / "long.avi", pose)
    chunks = []
    original = api.swap_frames
    monkeypatch.setattr(api, "swap_frames", lambda m, c, p: chunks.append(len(p)) or original(m, c, p))
    paths = api.swap(model, videos / "clip1.mp4", tmp_path / "long.avi", tmp_path / "swap", content_index=63)
    assert max(chunks) == api.CHUNK and sum(chunks) == 320
    assert _frame_count(paths["mp4"]) == 320
    assert len(iio.imread(paths["gif"])) == api.MAX_GIF_FRAMES
    with pytest.raises(DrnetError, match="content_index 64 is past the end of the content video"):
        api.swap(model, videos / "clip1.mp4", tmp_path / "long.avi", tmp_path / "swap2", content_index=64)
    assert not (tmp_path / "swap2").exists()
    with pytest.raises(DrnetError, match="the video has 64 frames; generation observes the first 100"):
        api.generate(api.load(root / "drnet.pt", lstm=root / "lstm.pt"), videos / "clip1.mp4", tmp_path / "gen",
                     n_past=100)
    assert not (tmp_path / "gen").exists()


def test_a_model_file_declaring_a_giant_network_is_refused_before_allocating(trained, tmp_path, repo_root):
    """Its description is checked against its weights on the meta device; under a 6 GiB address-space limit the
    old way (build the 64k-pixel DCGAN, then compare) dies allocating."""
    import resource
    import subprocess
    import sys

    from drnet.checkpoint import save_checkpoint
    from drnet.models import DrNet
    from drnet.params import DrnetModel

    _, videos, _, _ = trained
    cfg = DrnetModel(width=2, content_dim=4, pose_dim=2, disc_hidden=2)
    model = DrNet(cfg, channels=1, image_size=64)
    save_checkpoint(tmp_path / "giant.pt", modules={"content_encoder": model.content_encoder,
                                                    "pose_encoder": model.pose_encoder, "decoder": model.decoder,
                                                    "discriminator": model.discriminator},
                    optimizers={}, step=0, params={}, params_hash="",
                    extra={"kind": "drnet", "model": cfg.model_dump(), "channels": 1, "image_size": 65536})

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

    out = subprocess.run([sys.executable, "-m", "stages.own_video", "swap", "--drnet", str(tmp_path / "giant.pt"),
                          "--content", str(videos / "clip1.mp4"), "--pose", str(videos / "clip2.avi"), "--out",
                          str(tmp_path / "out")], cwd=repo_root, capture_output=True, text=True, preexec_fn=limit)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith(f"error: {tmp_path / 'giant.pt'}: 'content_encoder' weights do not fit this "
                                 f"architecture") and out.stderr.count("\n") == 1, out.stderr


@pytest.mark.parametrize("option, value, message", [
    ("--max-length", "0", "max_length must be at least 2 frames"),
    ("--min-length", "1", "min_length must be at least 2 frames"),
    ("--test-fraction", "nan", "test_fraction must be a share of the videos between 0 and 1 (e.g. 0.2), got nan"),
    ("--test-fraction", "-1", "test_fraction must be a share of the videos between 0 and 1 (e.g. 0.2), got -1.0"),
    ("--test-fraction", "5", "test_fraction must be a share of the videos between 0 and 1 (e.g. 0.2), got 5.0"),
])
def test_video_folder_ingest_refuses_bad_sizes_in_one_line(trained, tmp_path, capsys, option, value, message):
    _, videos, _, _ = trained
    argv = ["--folder", str(videos), "--train-out", str(tmp_path / "train.h5"), "--test-out", str(tmp_path / "t.h5"),
            "--min-length", "2", option, value]
    assert video_folder_ingest.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []
