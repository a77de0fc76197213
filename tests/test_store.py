from pathlib import Path

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
    from drnet.io import OWNER_FILE, atomic_dir

    out = tmp_path / "raw"
    with atomic_dir(out) as tmp:
        (tmp / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(out) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("killed mid-write")
    assert [p.name for p in tmp_path.iterdir()] == ["raw"] and (out / "old.txt").read_text() == "old"
    with atomic_dir(out) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]
    assert sorted(p.name for p in out.iterdir()) == sorted(["new.txt", OWNER_FILE])


def test_atomic_dir_refuses_a_folder_holding_files_it_did_not_write(tmp_path):
    from drnet.io import atomic_dir

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a user's file")
    with pytest.raises(DrnetError, match="holding notes.txt, which no stage wrote there"), atomic_dir(mine):
        pass
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("x")
    (out / ".snakemake_timestamp").touch()  # Snakemake stamps the directory() outputs it ran: not a user's file
    with atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("x")
    (out / "sub").mkdir()
    (out / "sub" / "added.txt").write_text("added by hand to the stage's folder")
    with pytest.raises(DrnetError, match="sub/added.txt"), atomic_dir(out):
        pass
    assert (mine / "notes.txt").exists() and (out / "sub" / "added.txt").exists() and (out / "a.txt").exists()


def _raw_store(path, frames_shape=(4, 8, 8, 1), start=(0,), length=(4,), dataset="t", fill=True, chunks=None):
    with h5py.File(path, "w") as f:
        d = f.create_dataset("frames", shape=frames_shape, dtype=np.uint8, chunks=chunks or (1, *frames_shape[1:]),
                             compression="gzip")
        if fill:
            d[:] = 7
        f["index/start"] = np.asarray(start, np.int64)
        f["index/length"] = np.asarray(length, np.int64)
        f.attrs["format_version"] = 1
        f.attrs["dataset"] = dataset


@pytest.mark.parametrize("kwargs, message", [
    ({"frames_shape": (4, 8, 6, 1)}, "frames are 8x6x1; expected square"),
    ({"frames_shape": (4, 12, 12, 1)}, "frames are 12x12x1"),
    ({"frames_shape": (4, 8, 8, 2)}, "1 or 3 channels"),
    ({"frames_shape": (2_000_000, 32, 32, 1), "fill": False, "start": (0,), "length": (4,)},
     "declares 2000000 frames .* but does not hold them"),
    ({"start": (-1,), "length": (4,)}, "sequence 0 has start -1"),
    ({"start": (2,), "length": (4,)}, "sequence 0 has start 2, length 4 for 4 frames"),
    ({"start": (0, 3), "length": (3, 1)}, "sequence 1 has start 3, length 1"),
    ({"start": (0,), "length": (-3,)}, "length -3"),
    ({"start": (), "length": ()}, "holds no sequences"),
    ({"frames_shape": (80, 512, 512, 1), "length": (80,), "chunks": (80, 512, 512, 1)},
     r"stored in chunks of \[80, 512, 512, 1\] \(20 MiB.*h5repack -l frames:CHUNK=1x512x512x1"),
])
def test_hostile_stores_give_one_line(tmp_path, kwargs, message):
    _raw_store(tmp_path / "s.h5", **kwargs)
    with pytest.raises(DrnetError, match=message) as err:
        VideoStore(tmp_path / "s.h5")
    assert "\n" not in str(err.value) and "s.h5" in str(err.value)


def test_a_crafted_store_asking_for_gigabytes_is_small_and_refused(tmp_path):
    _raw_store(tmp_path / "s.h5", frames_shape=(2_000_000, 32, 32, 1), fill=False)
    assert (tmp_path / "s.h5").stat().st_size < 64_000  # 2 GB declared in a few KB
    with pytest.raises(DrnetError, match="does not hold them"):
        VideoStore(tmp_path / "s.h5")


def test_missing_columns_and_attributes_give_one_line(tmp_path):
    _write(tmp_path / "s.h5")
    store = VideoStore(tmp_path / "s.h5")
    with pytest.raises(DrnetError, match=r"no 'meta/digit_0' column \(it holds \['action', 'person'\]\)"):
        store.meta("digit_0")
    with pytest.raises(DrnetError, match="no 'frame_meta/position' column"):
        store.frame_meta("position", 0)
    with pytest.raises(DrnetError, match="lacks the integer attribute 'seq_len' \\(it has none\\)"):
        store.int_attr("seq_len")
    _raw_store(tmp_path / "bare.h5")
    with pytest.raises(DrnetError, match="no 'meta/person' column \\(it holds none\\)"):
        VideoStore(tmp_path / "bare.h5").meta("person")


def test_expected_dataset_is_checked(tmp_path):
    _write(tmp_path / "s.h5")
    assert len(VideoStore(tmp_path / "s.h5", dataset="t")) == 3
    with pytest.raises(DrnetError, match="is a 't' store but this stage needs a 'kth' one"):
        VideoStore(tmp_path / "s.h5", dataset="kth")


def test_output_set_commits_all_or_nothing(tmp_path, monkeypatch):
    from drnet import io

    (tmp_path / "train.h5").write_text("old train")
    (tmp_path / "test.h5").write_text("old test")
    outs = [tmp_path / "train.h5", tmp_path / "test.h5"]
    with pytest.raises(OSError), io.output_set(outs) as (a, b):
        a.write_text("new train")
        b.write_text("new test")
        raise OSError(28, "No space left on device")  # the second output's final flush fails
    assert (tmp_path / "train.h5").read_text() == "old train" and (tmp_path / "test.h5").read_text() == "old test"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.h5", "train.h5"]
    real_replace = io.os.replace

    def fail_on_test(src, dst):  # the second rename fails: the first new output must be taken back
        if Path(src).name == "test.h5":
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(io.os, "replace", fail_on_test)
    with pytest.raises(OSError, match="Input/output"), io.output_set(outs) as (a, b):
        a.write_text("new train")
        b.write_text("new test")
    monkeypatch.undo()
    assert (tmp_path / "train.h5").read_text() == "old train" and (tmp_path / "test.h5").read_text() == "old test"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.h5", "train.h5"]
    with pytest.raises(DrnetError, match="did not write"), io.output_set(outs) as (a, b):
        a.write_text("new train")  # a writer that forgot one output replaces none
    with io.output_set(outs) as (a, b):
        a.write_text("new train")
        b.write_text("new test")
    assert (tmp_path / "train.h5").read_text() == "new train" and (tmp_path / "test.h5").read_text() == "new test"
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "mine.txt").write_text("a user's file")
    with pytest.raises(DrnetError, match="mine.txt"), io.output_set([tmp_path / "results"]):
        pass  # a file output given as a user's folder is refused before any work
    assert (tmp_path / "results" / "mine.txt").exists()


def test_stale_temporaries_of_a_killed_run_are_removed(tmp_path):
    from drnet.io import atomic_path, atomic_write_text

    stale = tmp_path / ".tmp-ckpt-abc12_yz.pt"
    stale.write_text("half a checkpoint")
    other = tmp_path / ".tmp-other-abc12_yz.pt"  # another output's temporary: not ours to remove
    other.write_text("live")
    lookalike = tmp_path / ".tmp-ckpt-notrandom-name.pt"
    lookalike.write_text("a user's file")
    nested = tmp_path / ".tmp-.tmp-ckpt-abc12_yz-k2j4h5g6.pt"  # a writer's own temp inside an atomic_paths temp
    nested.write_text("half")
    with atomic_path(tmp_path / "ckpt.pt") as tmp:
        tmp.write_text("new")
    assert not stale.exists() and not nested.exists() and other.exists() and lookalike.exists()
    (tmp_path / ".tmp-out-k2j4h5g6").mkdir()
    from drnet.io import atomic_dir

    with atomic_dir(tmp_path / "out") as tmp:
        atomic_write_text(tmp / "a.txt", "x")
    assert not (tmp_path / ".tmp-out-k2j4h5g6").exists()


def test_stages_refuse_another_datasets_store(tmp_path, repo_root, capsys):
    from stages import kth_classifier

    _write(tmp_path / "mnist_like.h5")  # dataset "t": not a KTH store
    argv = ["--params", str(repo_root / "params.yaml"), "--variant", "demo", "--train", str(tmp_path / "mnist_like.h5"),
            "--test", str(tmp_path / "mnist_like.h5"), "--model-out", str(tmp_path / "m.pt"), "--summary-out",
            str(tmp_path / "s.json")]
    assert kth_classifier.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "is a 't' store but this stage needs a 'kth' one" in err[-1]
