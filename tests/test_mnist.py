import gzip
import struct

import numpy as np
import pytest

from drnet.data.mnist.bouncing import BouncingMnist
from drnet.data.mnist.build import build_split
from drnet.data.mnist.digits import load_sklearn_digits
from drnet.data.mnist.idx import read_idx
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


def test_swapped_images_and_labels_are_refused_by_shape(tmp_path):
    from drnet.data.mnist.idx import MNIST_FILES, load_idx_digits

    images, labels = MNIST_FILES["test_images"].name, MNIST_FILES["test_labels"].name
    _idx(tmp_path / labels, 2051, (2, 28, 28), bytes(2 * 28 * 28))  # images under the labels name
    _idx(tmp_path / images, 2049, (2,), bytes(2))
    with pytest.raises(DrnetError, match="holds MNIST labels .* where images are expected") as err:
        load_idx_digits(tmp_path, "test", 32)
    assert "\n" not in str(err.value)
    _idx(tmp_path / images, 2051, (2, 28, 28), bytes(2 * 28 * 28))
    with pytest.raises(DrnetError, match="holds MNIST images .* where labels are expected"):
        load_idx_digits(tmp_path, "test", 32)
    _idx(tmp_path / labels, 2049, (3,), bytes(3))
    with pytest.raises(DrnetError, match="2 test images but 3 labels"):
        load_idx_digits(tmp_path, "test", 32)
    _idx(tmp_path / labels, 2049, (2,), bytes([3, 200]))
    with pytest.raises(DrnetError, match="label 200 at index 1 \\(1 labels outside 0-9\\)"):
        load_idx_digits(tmp_path, "test", 32)


@pytest.mark.parametrize("dims, message", [
    ((6_000_000, 280, 280), "over the .*-byte cap"),
    ((2**31 - 1, 2**31 - 1, 2**31 - 1), "28x28"),
    ((0, 28, 28), "every dim must be > 0"),
    ((5, 0, 0), "every dim must be > 0"),
    ((-5, 28, 28), "every dim must be > 0"),
])
def test_idx_headers_asking_for_too_much_are_refused_before_reading(tmp_path, dims, message):
    _idx(tmp_path / "x.gz", 2051, dims, bytes(10))
    with pytest.raises(DrnetError, match=message):
        read_idx(tmp_path / "x.gz")


def test_gzip_expanding_far_beyond_its_header_is_refused_without_inflating_it(tmp_path):
    import resource

    with gzip.open(tmp_path / "bomb.gz", "wb", compresslevel=1) as f:
        f.write(struct.pack(">ii", 2049, 3) + bytes(3))
        for _ in range(64):
            f.write(bytes(1 << 20))  # 64 MiB of zeros in ~64 KB
    assert (tmp_path / "bomb.gz").stat().st_size < 1 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DrnetError, match="holds more than the 3 bytes its dims \\[3\\] declare"):
        read_idx(tmp_path / "bomb.gz")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 32 << 10  # KiB: no 64 MiB buffer


def _official_files(folder, n=10, split="train"):
    from drnet.data.mnist.idx import MNIST_FILES

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    _idx(folder / MNIST_FILES[f"{split}_images"].name, 2051, (n, 28, 28), rng.integers(0, 256, n * 784, np.uint8)
         .tobytes())
    _idx(folder / MNIST_FILES[f"{split}_labels"].name, 2049, (n,), bytes(range(n)))


def test_build_failing_on_the_test_split_leaves_no_train_store(repo_root, tmp_path, capsys):
    from stages import mnist_build

    _official_files(tmp_path / "raw", split="train")  # test files absent: the test split fails
    out = tmp_path / "out"
    argv = ["--params", str(repo_root / "params.yaml"), "--variant", "demo", "--set", "mnist.data.source=idx",
            "--set", "mnist.data.train_sequences=16", "--set", "mnist.train.batch_size=4", "--raw",
            str(tmp_path / "raw"), "--train-out", str(out / "train.h5"), "--test-out", str(out / "test.h5"),
            "--summary-out", str(out / "s.json")]
    assert mnist_build.main(argv) == 2
    assert "t10k-images-idx3-ubyte.gz not found" in capsys.readouterr().err
    assert list(out.iterdir()) == []  # no train.h5 from the half that worked, no temporaries
    _official_files(tmp_path / "raw", split="test")
    assert mnist_build.main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["s.json", "test.h5", "train.h5"]


def test_mnist_download_writes_only_below_data_and_uses_local_copies(repo_root, tmp_path, monkeypatch, capsys):
    import hashlib

    from drnet.data.download import RemoteFile
    from drnet.data.mnist import idx
    from stages import mnist_download

    monkeypatch.chdir(tmp_path)
    common = ["--params", str(repo_root / "params.yaml"), "--set", "mnist.download.mirrors=['http://127.0.0.1:9/']",
              "--set", "mnist.download.retries=0"]
    assert mnist_download.main([*common, "--out", str(tmp_path / "elsewhere")]) == 2
    assert "outside" in capsys.readouterr().err and not (tmp_path / "elsewhere").exists()
    local = tmp_path / "data/local/mnist"  # the default --from folder
    _official_files(local, split="train")
    _official_files(local, split="test")
    files = {key: RemoteFile(f.name, "md5:" + hashlib.md5((local / f.name).read_bytes()).hexdigest())
             for key, f in idx.MNIST_FILES.items()}
    monkeypatch.setattr(mnist_download, "MNIST_FILES", files)
    assert mnist_download.main(common) == 0  # no network: every file comes from the local folder
    assert sorted(p.name for p in (tmp_path / "data/raw/mnist").iterdir()) == sorted(
        [*(f.name for f in files.values()), "manifest.json"])
    bad = files["test_labels"].name
    (local / bad).write_bytes(b"my own, different file")
    (tmp_path / "data/raw/mnist" / bad).unlink()
    assert mnist_download.main(common) == 2
    err = capsys.readouterr().err
    assert "your copy" in err and "left untouched" in err and (local / bad).read_bytes() == b"my own, different file"
