import h5py
import numpy as np
import pytest

from drnet.data.store import VideoStore, VideoStoreWriter
from drnet.errors import DrnetError


def _write(path, n=3):
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 256, size=(5 + i, 8, 8, 1), dtype=np.uint8) for i in range(n)]
    with VideoStoreWriter(path, dataset="t", split="train", source="unit", synthetic=True, frame_shape=(8, 8, 1),
                          raw_checksums={"a.zip": "sha256:00"}) as w:
        for i, s in enumerate(seqs):
            w.add(s, frame_meta={"pos": np.arange(len(s))}, person=i + 1, action=f"act{i}")
    return seqs


def test_round_trip(tmp_path):
    seqs = _write(tmp_path / "s.h5")
    store = VideoStore(tmp_path / "s.h5")
    assert len(store) == 3 and store.frame_shape == (8, 8, 1) and store.synthetic
    assert list(store.length) == [5, 6, 7] and list(store.start) == [0, 5, 11]
    np.testing.assert_array_equal(store.frames(1), seqs[1])
    np.testing.assert_array_equal(store.frame(2, 3), seqs[2][3])
    assert list(store.meta("person")) == [1, 2, 3] and list(store.meta("action")) == ["act0", "act1", "act2"]
    np.testing.assert_array_equal(store.frame_meta("pos", 2), np.arange(7))
    assert store.attrs["raw_checksums"] == '{"a.zip": "sha256:00"}'
    with h5py.File(tmp_path / "s.h5") as f:
        assert f["frames"].chunks == (1, 8, 8, 1) and f["frames"].compression == "gzip"
    with pytest.raises(IndexError):
        store.frames(0, 3, 5)


def test_content_hash_is_deterministic(tmp_path):
    _write(tmp_path / "a.h5")
    _write(tmp_path / "b.h5")
    assert VideoStore(tmp_path / "a.h5").attrs["frames_sha256"] == VideoStore(tmp_path / "b.h5").attrs["frames_sha256"]


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with VideoStoreWriter(tmp_path / "s.h5", dataset="t", split="train", source="u", synthetic=True,
                              frame_shape=(8, 8, 1)) as w:
            w.add(np.zeros((2, 8, 8, 1), np.uint8))
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_wrong_frames_rejected(tmp_path):
    with VideoStoreWriter(tmp_path / "s.h5", dataset="t", split="x", source="u", synthetic=True,
                          frame_shape=(8, 8, 1)) as w:
        with pytest.raises(ValueError, match="uint8"):
            w.add(np.zeros((2, 8, 8, 1), np.float32))
        w.add(np.zeros((2, 8, 8, 1), np.uint8))


def test_bad_stores_give_one_line(tmp_path):
    with pytest.raises(DrnetError, match="not found"):
        VideoStore(tmp_path / "missing.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with pytest.raises(DrnetError, match="not a readable HDF5 file"):
        VideoStore(tmp_path / "junk.h5")
    with h5py.File(tmp_path / "nof.h5", "w") as f:
        f["index/start"] = np.zeros(1, np.int64)
    with pytest.raises(DrnetError, match="no 'frames' dataset"):
        VideoStore(tmp_path / "nof.h5")
    with h5py.File(tmp_path / "dtype.h5", "w") as f:
        f["frames"] = np.zeros((2, 4, 4, 1), np.float32)
        f["index/start"] = np.zeros(1, np.int64)
        f["index/length"] = np.ones(1, np.int64)
    with pytest.raises(DrnetError, match="must be uint8"):
        VideoStore(tmp_path / "dtype.h5")


def test_atomic_dir_swaps_in_whole_or_not_at_all(tmp_path):
    from drnet.io import atomic_dir

    out = tmp_path / "raw"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(out) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("killed mid-write")
    assert [p.name for p in tmp_path.iterdir()] == ["raw"] and (out / "old.txt").read_text() == "old"
    with atomic_dir(out) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"] and [p.name for p in out.iterdir()] == ["new.txt"]
