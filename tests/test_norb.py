"""small NORB: the binary matrix format, azimuth videos, the synthetic source, download and the build stages."""

import gzip
import json
import re

import numpy as np
import pytest

from drnet.data import render
from drnet.data.norb.build import azimuth_videos, build_norb
from drnet.data.norb.download import fetch_norb
from drnet.data.norb.files import AZIMUTHS, CATEGORIES, NORB_FILES, norb_file, read_split
from drnet.data.norb.format import read_header, read_matrix, write_matrix
from drnet.data.norb.synthetic import instance_split, write_synthetic_norb
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.params import Download, NorbData, NorbSynthetic
from stages import norb_build, norb_download, norb_synth

_OK, _WHY = render.available()
needs_gl = pytest.mark.skipif(not _OK, reason=f"no OpenGL context over EGL here ({_WHY})")
OFFICIAL = NorbData(source="official", image_size=32, camera=0)


@pytest.mark.parametrize("suffix", [".mat", ".mat.gz"])
@pytest.mark.parametrize("array", [
    np.arange(3 * 2 * 5 * 5, dtype=np.uint8).reshape(3, 2, 5, 5),
    np.array([4, 0, 1, 3, 2], dtype=np.int32),
    np.arange(-10, 10, dtype=np.int32).reshape(5, 4),
    np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3),
    np.array([[1.5, -2.0]], dtype=np.float64),
    np.array([-7, 7], dtype=np.int16),
])
def test_matrix_round_trip(tmp_path, array, suffix):
    path = write_matrix(tmp_path / f"m{suffix}", array)
    back = read_matrix(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_matrix_header_layout(tmp_path):
    write_matrix(tmp_path / "cat.mat", np.array([1, 2], dtype=np.int32))
    raw = (tmp_path / "cat.mat").read_bytes()
    # magic, ndim=1, three dims (unused ones are 1), then the data: all little-endian int32
    assert np.frombuffer(raw, "<i4").tolist() == [0x1E3D4C54, 1, 2, 1, 1, 1, 2]
    write_matrix(tmp_path / "dat.mat", np.zeros((2, 2, 3, 3), np.uint8))
    h = read_header(tmp_path / "dat.mat")
    assert (h.dtype, h.shape, h.offset) == (np.uint8, (2, 2, 3, 3), 24)


def _one_line(err, name):
    text = str(err.value)
    assert "\n" not in text and name in text and "download it again" in text
    return text


def test_bad_matrix_files_give_one_line(tmp_path):
    path = write_matrix(tmp_path / "x-dat.mat", np.zeros((4, 2, 3, 3), np.uint8))
    raw = bytearray(path.read_bytes())
    raw[0] ^= 0xFF
    (tmp_path / "magic.mat").write_bytes(bytes(raw))
    with pytest.raises(DrnetError, match="not a NORB matrix file .magic 0x") as err:
        read_matrix(tmp_path / "magic.mat")
    _one_line(err, "magic.mat")
    (tmp_path / "short.mat").write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DrnetError, match="truncated") as err:
        read_matrix(tmp_path / "short.mat")
    _one_line(err, "short.mat")
    (tmp_path / "head.mat").write_bytes(path.read_bytes()[:6])
    with pytest.raises(DrnetError, match="truncated"):
        read_matrix(tmp_path / "head.mat")
    (tmp_path / "long.mat").write_bytes(path.read_bytes() + b"xx")
    with pytest.raises(DrnetError, match="2 bytes after"):
        read_matrix(tmp_path / "long.mat")
    gz = write_matrix(tmp_path / "x.mat.gz", np.zeros((4, 2, 3, 3), np.uint8))
    (tmp_path / "cut.mat.gz").write_bytes(gz.read_bytes()[:-12])
    with pytest.raises(DrnetError, match="not a complete gzip file") as err:
        read_matrix(tmp_path / "cut.mat.gz")
    _one_line(err, "cut.mat.gz")


def _tiny_split(categories=(0, 3), instances=(1, 2), size=8, seed=0):
    """Rows of 18 azimuths per group, shuffled; pixel value = 10 * azimuth code + camera, row 0 = instance."""
    rows = [(c, i, 0, a, 0) for c in categories for i in instances for a in range(0, 2 * AZIMUTHS, 2)]
    rows = [rows[k] for k in np.random.default_rng(seed).permutation(len(rows))]
    dat = np.zeros((len(rows), 2, size, size), np.uint8)
    for k, (c, i, _, a, _) in enumerate(rows):
        dat[k, 0], dat[k, 1] = 5 * a, 5 * a + 1
        dat[k, :, 0] = 10 * c + i
    cat = np.array([r[0] for r in rows], np.int32)
    info = np.array([r[1:] for r in rows], np.int32)
    return dat, cat, info


def _write_raw(raw, splits, gz=False):
    for split, (dat, cat, info) in splits.items():
        for kind, array in zip(("dat", "cat", "info"), (dat, cat, info)):
            write_matrix(raw / (norb_file(split, kind) + (".gz" if gz else "")), array)


def test_azimuth_videos_sorted_with_meta():
    dat, cat, info = _tiny_split()
    videos = list(azimuth_videos(dat, cat, info, camera=1, image_size=8))
    assert [(v.category, v.instance) for v in videos] == [(0, 1), (0, 2), (3, 1), (3, 2)]
    for v in videos:
        assert v.frames.shape == (AZIMUTHS, 8, 8, 1) and v.frames.dtype == np.uint8
        assert v.azimuth.tolist() == list(range(0, 360, 20))
        assert v.frames[:, 4, 4, 0].tolist() == [a // 20 * 10 + 1 for a in range(0, 360, 20)]  # camera 1, in order
        assert (v.frames[:, 0, :, 0] == 10 * v.category + v.instance).all()
        assert v.meta() == {"category": v.category, "category_name": CATEGORIES[v.category],
                            "instance": v.instance, "elevation": 0, "lighting": 0}
    with pytest.raises(DrnetError, match="camera 2 out of range"):
        next(azimuth_videos(dat, cat, info, camera=2, image_size=8))
    info[0, 2] = info[1, 2] if info[1, 2] != info[0, 2] else info[2, 2]  # one group loses an azimuth
    with pytest.raises(DrnetError, match="17 distinct azimuths, expected 18"):
        list(azimuth_videos(dat, cat, info, camera=0, image_size=8))


@pytest.mark.parametrize("gz", [False, True])
def test_build_splits_by_file_and_instance(tmp_path, gz):
    raw = tmp_path / "raw"
    _write_raw(raw, {"train": _tiny_split(instances=(4, 6)), "test": _tiny_split(instances=(0, 1), seed=1)}, gz=gz)
    summary = build_norb(raw, tmp_path / "train.h5", tmp_path / "test.h5", OFFICIAL)
    assert summary["train"]["instances"] == [4, 6] and summary["test"]["instances"] == [0, 1]
    assert summary["train"]["sequences"] == 4 and summary["train"]["frames"] == 4 * AZIMUTHS
    for split, instances in (("train", {4, 6}), ("test", {0, 1})):
        store = VideoStore(tmp_path / f"{split}.h5")
        assert (store.attrs["dataset"], store.attrs["split"], store.attrs["source"]) == ("norb", split, "official")
        assert not store.synthetic and store.frame_shape == (32, 32, 1)
        assert set(store.meta("instance")) == instances
        assert list(store.meta("category_name")) == ["animal", "animal", "truck", "truck"]
        assert (store.length == AZIMUTHS).all()
        assert store.frame_meta("azimuth", 0).tolist() == list(range(0, 360, 20))
        checksums = json.loads(store.attrs["raw_checksums"])
        assert sorted(checksums) == sorted(norb_file(split, k) + (".gz" if gz else "") for k in ("cat", "dat", "info"))


def test_build_refuses_bad_inputs(tmp_path):
    raw = tmp_path / "raw"
    outs = (tmp_path / "train.h5", tmp_path / "test.h5")
    with pytest.raises(DrnetError, match="not found; run the norb_download"):
        build_norb(raw, *outs, OFFICIAL)
    _write_raw(raw, {"train": _tiny_split()})
    with pytest.raises(DrnetError, match="testing-dat.mat .or .gz. not found"):
        build_norb(raw, *outs, OFFICIAL)
    dat, cat, info = _tiny_split()
    _write_raw(raw, {"test": (dat, cat[:-1], info)})
    with pytest.raises(DrnetError, match="testing-cat.mat has 71 rows"):
        build_norb(raw, *outs, OFFICIAL)
    write_matrix(raw / norb_file("test", "cat"), cat)
    write_matrix(raw / norb_file("test", "dat"), dat[:, 0])  # one camera only: wrong dims
    with pytest.raises(DrnetError, match=r"testing-dat.mat holds uint8 \[72, 8, 8\], expected"):
        read_split(raw, "test")
    with pytest.raises(DrnetError, match="norb.data.source is 'synthetic'"):
        build_norb(raw, *outs, NorbData(source="synthetic", image_size=32))
    assert not list(tmp_path.glob("*.h5"))


def test_instance_split():
    assert instance_split(10) == {"train": [4, 6, 7, 8, 9], "test": [0, 1, 2, 3, 5]}
    assert instance_split(4) == {"train": [1, 3], "test": [0, 2]}
    assert instance_split(2) == {"train": [1], "test": [0]}


@needs_gl
def test_synthetic_source_builds_synthetic_stores(tmp_path):
    raw = tmp_path / "raw"
    manifest = write_synthetic_norb(raw, NorbSynthetic(instances=2, elevations=1, lightings=2, seed=1))
    assert manifest["synthetic"] and sorted(manifest["files"]) == sorted(NORB_FILES)
    dat, cat, info, _ = read_split(raw, "train")
    assert dat.shape == (5 * 1 * 1 * 2 * AZIMUTHS, 2, 96, 96)
    assert set(info[:, 0]) == {1} and set(info[:, 3]) == {0, 1} and set(info[:, 2]) == set(range(0, 36, 2))
    assert not (dat[:, 0] == dat[:, 1]).all()  # the two cameras differ
    with pytest.raises(DrnetError, match="norb.data.source is 'official'"):
        build_norb(raw, tmp_path / "a.h5", tmp_path / "b.h5", OFFICIAL)
    summary = build_norb(raw, tmp_path / "train.h5", tmp_path / "test.h5", NorbData(source="synthetic",
                                                                                    image_size=32))
    assert summary["synthetic"] and summary["test"]["instances"] == [0] and summary["train"]["instances"] == [1]
    for split in ("train", "test"):
        store = VideoStore(tmp_path / f"{split}.h5")
        assert store.synthetic and store.attrs["source"] == "synthetic" and len(store) == 5 * 2
        assert set(store.meta("category_name")) == set(CATEGORIES)
        for seq in range(len(store)):
            frames = store.frames(seq)
            assert (frames > 0).mean() > 0.03 and frames.max() > 60  # the object stands out from the black
            assert len({f.tobytes() for f in frames}) == AZIMUTHS  # every azimuth looks different
    # the same seed gives the same files
    again = write_synthetic_norb(tmp_path / "again", NorbSynthetic(instances=2, elevations=1, lightings=2, seed=1))
    assert again["files"] == manifest["files"]


@needs_gl
def test_stage_commands(repo_root, tmp_path, capsys):
    common = ["--params", str(repo_root / "params.yaml"), "--variant", "demo", "--set",
              "norb.synthetic.instances=2", "--set", "norb.data.image_size=32"]
    raw = tmp_path / "raw"
    assert norb_synth.main([*common, "--out", str(raw), "--set", "norb.synthetic.elevations=1", "--set",
                            "norb.synthetic.lightings=1"]) == 0
    assert json.loads((raw / "manifest.json").read_text())["elevations"] == 1
    outs = ["--train-out", str(tmp_path / "train.h5"), "--test-out", str(tmp_path / "test.h5")]
    assert norb_build.main([*common, "--raw", str(raw), *outs, "--summary-out", str(tmp_path / "s.json")]) == 0
    assert VideoStore(tmp_path / "test.h5").synthetic
    assert json.loads((tmp_path / "s.json").read_text())["train"]["sequences"] == 5
    capsys.readouterr()
    assert norb_build.main([*common, "--raw", str(tmp_path / "nope"), *outs]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "nope not found" in err[-1]
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "keep.txt").write_text("mine")
    assert norb_synth.main([*common, "--out", str(tmp_path / "precious")]) == 2
    assert (tmp_path / "precious" / "keep.txt").exists()
    assert norb_synth.main([*common, "--out", str(raw), "--set", "norb.synthetic.elevations=10"]) == 2


@pytest.fixture
def server(http_server):
    return http_server


@pytest.fixture
def gz_files(tmp_path):
    """The six files gzipped, as the mirror serves them: {name.gz: bytes}."""
    src = tmp_path / "src"
    _write_raw(src, {"train": _tiny_split(instances=(4, 6)), "test": _tiny_split(instances=(0, 1))}, gz=True)
    return {p.name: p.read_bytes() for p in src.iterdir()}


def test_download_then_build(server, gz_files, tmp_path, capsys):
    server.files = gz_files
    cfg = Download(mirrors=["http://127.0.0.1:9/", server.url], retries=0, timeout_s=10)  # first mirror refuses
    raw = tmp_path / "raw"
    manifest = fetch_norb(raw, cfg, backoff=0)
    assert "Terms of use: small NORB" in capsys.readouterr().err
    assert not manifest["synthetic"] and sorted(manifest["files"]) == sorted([*NORB_FILES, *gz_files])
    for name in NORB_FILES:
        assert (raw / name).read_bytes() == gzip.decompress(gz_files[name + ".gz"])
    requests = len(server.requests)
    assert fetch_norb(raw, cfg, backoff=0)["files"] == manifest["files"]
    assert len(server.requests) == requests  # everything present and valid: no network
    summary = build_norb(raw, tmp_path / "train.h5", tmp_path / "test.h5", OFFICIAL)
    assert summary["source"] == "official" and summary["train"]["instances"] == [4, 6]
    assert not VideoStore(tmp_path / "train.h5").synthetic


def test_download_checks_digests_and_gzip(server, gz_files, tmp_path):
    name = NORB_FILES[0] + ".gz"
    cfg = Download(mirrors=[server.url], retries=0, timeout_s=10)
    server.files = {**gz_files, name: gz_files[name][:-12]}  # a truncated gzip stream, served whole
    with pytest.raises(DrnetError, match="not a complete gzip file") as err:
        fetch_norb(tmp_path / "a", cfg, backoff=0)
    assert "\n" not in str(err.value) and not (tmp_path / "a" / name).exists()
    assert not (tmp_path / "a" / NORB_FILES[0]).exists()
    server.files = gz_files
    with pytest.raises(DrnetError, match="failed its sha256 check"):
        fetch_norb(tmp_path / "b", cfg, backoff=0, digests={name: "sha256:" + "0" * 64})


def test_download_never_deletes_a_mat_it_did_not_write(gz_files, tmp_path):
    name = NORB_FILES[0]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / name).write_bytes(b"a user's half-copied matrix")  # placed by hand, not valid
    (raw / f"{name}.gz").write_bytes(gz_files[f"{name}.gz"][:-12])  # placed by hand, truncated
    cfg = Download(mirrors=["http://127.0.0.1:9/"], retries=0, timeout_s=1)
    with pytest.raises(DrnetError, match="not a complete gzip file"):
        fetch_norb(raw, cfg, backoff=0)
    assert (raw / name).read_bytes() == b"a user's half-copied matrix" and (raw / f"{name}.gz").exists()


def test_decompressed_local_copies_are_used(gz_files, tmp_path):
    raw, local = tmp_path / "raw", tmp_path / "local"
    local.mkdir()
    for name in NORB_FILES:
        (local / name).write_bytes(gzip.decompress(gz_files[f"{name}.gz"]))
    cfg = Download(mirrors=["http://127.0.0.1:9/"], retries=0, timeout_s=1)
    manifest = fetch_norb(raw, cfg, backoff=0, local_dir=local)
    assert sorted(manifest["files"]) == sorted(NORB_FILES)
    assert all((raw / n).read_bytes() == (local / n).read_bytes() for n in NORB_FILES)
    (raw / NORB_FILES[0]).unlink()
    (local / NORB_FILES[0]).write_bytes(b"not a matrix")
    with pytest.raises(DrnetError, match=re.escape(str(local / NORB_FILES[0]))):
        fetch_norb(raw, cfg, backoff=0, local_dir=local)
    assert (local / NORB_FILES[0]).read_bytes() == b"not a matrix" and not (raw / NORB_FILES[0]).exists()


def test_download_stage_writes_only_below_data(server, gz_files, repo_root, tmp_path, monkeypatch, capsys):
    server.files = gz_files
    monkeypatch.chdir(tmp_path)
    common = ["--params", str(repo_root / "params.yaml"), "--set", f"norb.download.mirrors=['{server.url}']"]
    assert norb_download.main([*common, "--out", str(tmp_path / "elsewhere")]) == 2
    assert "outside" in capsys.readouterr().err and not (tmp_path / "elsewhere").exists()
    assert norb_download.main([*common, "--out", "data/raw/norb"]) == 0
    manifest = json.loads((tmp_path / "data/raw/norb/manifest.json").read_text())
    assert set(manifest["files"]) == {*NORB_FILES, *gz_files}


def _header(magic, dims):
    return np.asarray([magic, len(dims), *dims, *([1] * max(0, 3 - len(dims)))], dtype="<i4").tobytes()


@pytest.mark.parametrize("suffix", [".mat", ".mat.gz"])
@pytest.mark.parametrize("dims", [(2**31 - 1,) * 4, (2**20, 2, 2**10, 2**10)])
def test_headers_whose_size_overflows_or_exceeds_the_cap_are_refused(tmp_path, suffix, dims):
    data = _header(0x1E3D4C55, dims) + bytes(64)
    path = tmp_path / f"x-dat{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    with pytest.raises(DrnetError, match="over the 1073741824-byte cap") as err:
        read_matrix(path)
    _one_line(err, path.name)


def test_zero_size_images_are_refused(tmp_path):
    raw = tmp_path / "raw"
    dat, cat, info = _tiny_split()
    _write_raw(raw, {"train": (np.zeros((len(dat), 2, 0, 0), np.uint8), cat, info), "test": _tiny_split()})
    (raw / "manifest.json").write_text('{"synthetic": false}')
    with pytest.raises(DrnetError, match=r"holds uint8 \[72, 2, 0, 0\], expected .*H = W > 0") as err:
        build_norb(raw, tmp_path / "train.h5", tmp_path / "test.h5", OFFICIAL)
    _one_line(err, "training-dat.mat")
    assert not list(tmp_path.glob("*.h5"))


def _gzip_bomb(path, header_dims=(3,), mib=64):
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(_header(0x1E3D4C54, header_dims) + bytes(4 * int(np.prod(header_dims))))
        for _ in range(mib):
            f.write(bytes(1 << 20))


def test_a_gzip_bomb_is_refused_without_inflating_it(server, gz_files, tmp_path):
    import resource

    _gzip_bomb(tmp_path / "bomb.mat.gz")
    assert (tmp_path / "bomb.mat.gz").stat().st_size < 1 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DrnetError, match="bytes after the 12 its header declares"):
        read_matrix(tmp_path / "bomb.mat.gz")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 32 << 10  # KiB
    name = NORB_FILES[1] + ".gz"  # training-cat
    server.files = {**gz_files, name: (tmp_path / "bomb.mat.gz").read_bytes()}
    with pytest.raises(DrnetError, match="bytes after"):
        fetch_norb(tmp_path / "raw", Download(mirrors=[server.url], retries=0, timeout_s=10), backoff=0)
    assert not (tmp_path / "raw" / name).exists() and not (tmp_path / "raw" / NORB_FILES[1]).exists()
    assert not [p for p in (tmp_path / "raw").iterdir() if p.stat().st_size > 1 << 20]  # nothing inflated on disk


def test_disk_full_while_gunzipping_keeps_the_valid_download(server, gz_files, repo_root, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    def limit():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8000, 8000))

    assert max(len(v) for v in gz_files.values()) < 8000  # the .gz downloads fit, the 18 KB .mat does not
    server.files = gz_files
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    proc = subprocess.run([sys.executable, "-m", "stages.norb_download", "--params", str(repo_root / "params.yaml"),
                           "--set", f"norb.download.mirrors=['{server.url}']", "--set", "norb.download.retries=0"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, preexec_fn=limit)
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower() or "Traceback" in line]
    assert len(errors) == 1 and "out of disk space" in errors[0], proc.stderr[-2000:]
    raw = tmp_path / "data/raw/norb"
    assert (raw / (NORB_FILES[0] + ".gz")).read_bytes() == gz_files[NORB_FILES[0] + ".gz"]  # not deleted as corrupt
    assert not (raw / NORB_FILES[0]).exists() and not list(raw.glob(".tmp-*"))


def test_debris_of_a_killed_gunzip_is_removed_and_local_copies_are_used(gz_files, tmp_path):
    raw, local = tmp_path / "raw", tmp_path / "local"
    local.mkdir()
    for name, data in gz_files.items():
        (local / name).write_bytes(data)
    raw.mkdir()
    debris = raw / f".tmp-{NORB_FILES[0].removesuffix('.mat')}-k1l2m3n4.mat"  # a kill -9 mid-gunzip
    debris.write_bytes(b"half a matrix")
    cfg = Download(mirrors=["http://127.0.0.1:9/"], retries=0, timeout_s=1)
    manifest = fetch_norb(raw, cfg, backoff=0, local_dir=local)
    assert not debris.exists() and sorted(manifest["files"]) == sorted([*NORB_FILES, *gz_files])
    assert sorted(p.name for p in local.iterdir()) == sorted(gz_files)  # the user's copies stay
