import gzip
import struct

import numpy as np
import pytest

from drnet.data.mnist import BouncingMnist, build_split, load_sklearn_digits, read_idx
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.params import section


def _idx(path, magic, dims, data):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(f">i{len(dims)}i", magic, *dims) + data)


def test_idx_parse_and_refusals(tmp_path):
    _idx(tmp_path / "img.gz", 2051, (2, 28, 28), bytes(range(256)) * 6 + bytes(32))
    assert read_idx(tmp_path / "img.gz").shape == (2, 28, 28)
    _idx(tmp_path / "lab.gz", 2049, (3,), bytes([1, 2, 3]))
    assert list(read_idx(tmp_path / "lab.gz")) == [1, 2, 3]
    _idx(tmp_path / "magic.gz", 1234, (3,), bytes(3))
    with pytest.raises(DrnetError, match="IDX magic 1234, expected 2051"):
        read_idx(tmp_path / "magic.gz")
    _idx(tmp_path / "short.gz", 2051, (2, 28, 28), bytes(100))
    with pytest.raises(DrnetError, match="truncated or corrupt"):
        read_idx(tmp_path / "short.gz")
    (tmp_path / "cut.gz").write_bytes((tmp_path / "img.gz").read_bytes()[:30])
    with pytest.raises(DrnetError, match="corrupt or truncated"):
        read_idx(tmp_path / "cut.gz")
    with pytest.raises(DrnetError, match="not found"):
        read_idx(tmp_path / "nope.gz")


def _stepped_positions(p0: np.ndarray, vel: np.ndarray, steps: int, limit: int) -> np.ndarray:
    """Reference trajectory: move frame by frame and bounce off the walls."""
    pos, vel, out = p0.copy(), vel.copy(), []
    for _ in range(steps):
        out.append(pos.copy())
        pos = pos + vel
        low, high = pos < 0, pos > limit
        pos[low], pos[high] = -pos[low], 2 * limit - pos[high]
        vel[low | high] *= -1
    return np.stack(out)


def test_bouncing_clips_colours_bounds_occlusion_and_direct_frames():
    source = BouncingMnist(np.full((5, 32, 32), 200, np.uint8), np.arange(5), 64, 2, 4)
    fronts = set()
    for i in range(20):
        clip = source.draw(np.random.default_rng(i))
        fronts.add(clip["front"])
        frames, pos = source.render(clip, np.arange(40))
        assert frames.shape == (40, 64, 64, 3) and frames.dtype == np.uint8
        assert pos.min() >= 0 and pos.max() <= 32 and (np.abs(np.diff(pos, axis=0)) <= 4).all()
        assert frames[..., 2].max() == 0  # two digits: red and green channels only
        assert not ((frames[..., 0] > 0) & (frames[..., 1] > 0)).any()  # the front digit occludes the other
        front = frames[..., clip["front"]]
        assert (front.reshape(40, -1) > 0).sum(1).min() == 32 * 32  # ...and is never occluded itself
        # any frame directly (the triangle wave) equals stepping frame by frame and bouncing
        np.testing.assert_array_equal(pos, _stepped_positions(clip["p0"], clip["velocity"], 40, 32))
        late, late_pos = source.render(clip, np.array([39, 7]))
        np.testing.assert_array_equal(late, frames[[39, 7]])
    assert fronts == {0, 1}  # the front digit is drawn per clip (authors)


def test_sklearn_digits_split_is_disjoint_and_fixed():
    tr, ytr = load_sklearn_digits("train", 32)
    te, yte = load_sklearn_digits("test", 32)
    assert tr.shape[1:] == (32, 32) and len(tr) + len(te) == 1797
    assert set(ytr) == set(yte) == set(range(10))


def test_build_is_reproducible_and_labelled(tmp_path, demo_params):
    cfg = section(demo_params, "mnist").data.model_copy(update={"train_sequences": 5, "test_sequences": 4})
    build_split(tmp_path / "a.h5", "test", cfg, seed=0)
    build_split(tmp_path / "b.h5", "test", cfg, seed=0)
    build_split(tmp_path / "c.h5", "test", cfg, seed=1)
    a, b, c = (VideoStore(tmp_path / f"{n}.h5") for n in "abc")
    assert a.attrs["frames_sha256"] == b.attrs["frames_sha256"] != c.attrs["frames_sha256"]
    assert a.synthetic and a.attrs["source"] == "sklearn_digits" and len(a) == 4
    assert a.frame_meta("position").shape == (4 * cfg.seq_len, 2, 2)
    assert set(a.meta_columns) >= {"digit_0", "digit_1"}


def test_idx_source_needs_raw_folder(demo_params):
    cfg = section(demo_params, "mnist").data.model_copy(update={"source": "idx"})
    with pytest.raises(DrnetError, match="no raw folder"):
        build_split("/tmp/never.h5", "train", cfg, seed=0)
