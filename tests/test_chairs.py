import json
import random

import cv2
import numpy as np
import pytest

from drnet.data import render
from drnet.data.chairs.authors import import_authors_renders
from drnet.data.chairs.procedural import procedural_chair, write_procedural_meshes
from drnet.data.chairs.render import chair_renderer, render_mesh_folder
from drnet.data.chairs.stores import BACKGROUND, split_models
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.params import ChairsData
from stages import chairs_build, chairs_meshes

_OK, _WHY = render.available()
needs_gl = pytest.mark.skipif(not _OK, reason=f"no OpenGL context over EGL here ({_WHY}); install libegl1 "
                                               f"libegl-mesa0 libgl1-mesa-dri to run the render tests")
TINY = ChairsData(source="procedural", procedural_models=3, azimuths=6, elevations=[20.0, 40.0], image_size=64,
                  test_fraction=0.3, seed=1)


def _colours(mesh):
    return np.asarray(mesh.visual.face_colors)


def test_procedural_chair_is_deterministic_and_sane():
    a, b, c = procedural_chair(7), procedural_chair(7), procedural_chair(8)
    assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)
    assert np.array_equal(_colours(a), _colours(b))
    assert a.vertices.shape != c.vertices.shape or not np.allclose(a.vertices, c.vertices)
    for seed in range(20):
        mesh = procedural_chair(seed)
        assert len(mesh.faces) > 0 and np.isfinite(mesh.bounds).all()
        size = mesh.bounds[1] - mesh.bounds[0]
        assert (size > 0.2).all() and (size < 2.0).all()
        assert mesh.bounds[0][1] == pytest.approx(0.0, abs=1e-6)  # feet on the floor
        assert len(_colours(mesh)) == len(mesh.faces)
    assert len({len(procedural_chair(s).faces) for s in range(20)}) > 3  # the structure varies, not just sizes


def test_split_is_stable_seeded_and_complete():
    names = [f"model_{i:03d}" for i in range(20)]
    train, test = split_models(names, 0.2, seed=0)
    shuffled = names[:]
    random.Random(3).shuffle(shuffled)
    assert split_models(shuffled, 0.2, seed=0) == (train, test)
    assert len(test) == 4 and len(train) == 16 and not set(train) & set(test)
    assert sorted(train + test) == names
    assert split_models(names, 0.2, seed=1) != (train, test)
    tr, te = split_models(["a", "b"], 0.01, seed=0)  # clamped: both splits non-empty
    assert len(tr) == 1 and len(te) == 1
    tr, te = split_models(["a", "b", "c"], 0.99, seed=0)
    assert len(tr) == 1 and len(te) == 2
    with pytest.raises(DrnetError, match="at least 2"):
        split_models(["only"], 0.2, seed=0)


@needs_gl
def test_render_is_deterministic_and_shows_the_object():
    mesh = render.normalize_mesh(procedural_chair(3))
    with chair_renderer(64) as r:
        a = r.render(mesh, azimuth_deg=30, elevation_deg=20)
        b = r.render(mesh, azimuth_deg=30, elevation_deg=20)
        c = r.render(mesh, azimuth_deg=120, elevation_deg=20)
    assert a.shape == (64, 64, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    background = np.all(a == np.array(BACKGROUND, np.uint8), axis=-1)
    assert 0.05 < (~background).mean() < 0.8  # an object, not an empty or full frame
    for corner in (a[0, 0], a[0, -1], a[-1, 0], a[-1, -1]):
        assert tuple(corner) == BACKGROUND


@needs_gl
def test_render_mesh_folder_writes_the_stores(tmp_path):
    manifest = write_procedural_meshes(tmp_path / "meshes", TINY.procedural_models, seed=5)
    assert manifest["synthetic"] is True and sorted(manifest["files"]) == [f"chair_000{i}.ply" for i in range(3)]
    summary = render_mesh_folder(tmp_path / "meshes", tmp_path / "train.h5", tmp_path / "test.h5", TINY)
    assert summary["render_ms_per_frame"] > 0 and summary["frames"] == 3 * 2 * 6
    train, test = VideoStore(tmp_path / "train.h5"), VideoStore(tmp_path / "test.h5")
    models = set()
    for store, split in ((train, "train"), (test, "test")):
        assert store.attrs["dataset"] == "chairs" and store.attrs["split"] == split
        assert store.synthetic and store.attrs["source"] == "procedural"
        assert store.frame_shape == (64, 64, 3)
        assert set(json.loads(store.attrs["raw_checksums"])) == set(manifest["files"])
        assert len(store) % 2 == 0 and (store.length == 6).all()
        assert sorted(store.meta("elevation")[:2]) == [20.0, 40.0]
        assert list(store.frame_meta("azimuth", 0)) == [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]
        names = set(store.meta("model"))
        assert all(f"chair_{i:04d}" == n for n, i in zip(store.meta("model"), store.meta("model_index")))
        assert not models & names
        models |= names
    assert len(train) + len(test) == 3 * 2 and len(test) >= 2 and len(train) >= 2
    assert models == {"chair_0000", "chair_0001", "chair_0002"}
    frames = train.frames(0)
    assert not np.array_equal(frames[0], frames[3])  # the chair rotates


@needs_gl
def test_meshes_source_and_errors(tmp_path):
    meshes = tmp_path / "meshes"
    write_procedural_meshes(meshes, 2, seed=0)
    (meshes / "manifest.json").unlink()
    with pytest.raises(DrnetError, match="chairs_meshes") as err:
        render_mesh_folder(meshes, tmp_path / "a.h5", tmp_path / "b.h5", TINY)  # procedural needs the manifest
    assert "\n" not in str(err.value)
    cfg = TINY.model_copy(update={"source": "meshes", "azimuths": 2, "elevations": [30.0]})
    procedural_chair(9).export(meshes / "extra.obj")
    render_mesh_folder(meshes, tmp_path / "a.h5", tmp_path / "b.h5", cfg)
    store = VideoStore(tmp_path / "a.h5")
    assert store.attrs["source"] == "meshes" and not store.synthetic
    (meshes / "broken.stl").write_bytes(b"solid nonsense\nthis is not an stl\n")
    with pytest.raises(DrnetError, match="broken.stl") as err:
        render_mesh_folder(meshes, tmp_path / "a.h5", tmp_path / "b.h5", cfg)
    assert "\n" not in str(err.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DrnetError, match="no mesh files"):
        render_mesh_folder(empty, tmp_path / "a.h5", tmp_path / "b.h5", cfg)


def _write_renders(root, models=("chair_a", "chair_b"), elevations=(20, 30), n=36, names=None):
    """Tiny authors-layout renders; each image's red channel encodes its azimuth index, green the elevation."""
    rng = random.Random(0)
    for model in models:
        for e, elevation in enumerate(elevations):
            folder = root / model / f"{elevation:03d}"
            folder.mkdir(parents=True)
            order = list(range(n))
            rng.shuffle(order)  # written in shuffled order; the names carry the order
            for k in order:
                image = np.zeros((24, 32, 3), np.uint8)  # not square: padded, then resized
                image[:, :, 2] = 5 * k  # BGR on disk: red
                image[:, :, 1] = 100 + 50 * e
                name = names(k) if names else f"image_{k:03d}.png"
                cv2.imwrite(str(folder / name), image)


def test_import_authors_renders_orders_by_azimuth(tmp_path):
    root = tmp_path / "renders"
    _write_renders(root)
    cfg = ChairsData(source="authors_renders", azimuths=36, image_size=64, test_fraction=0.5, seed=0)
    summary = import_authors_renders(root, tmp_path / "train.h5", tmp_path / "test.h5", cfg, threads=2)
    assert summary["train_models"] == 1 and summary["test_models"] == 1 and summary["frames"] == 2 * 2 * 36
    for split in ("train", "test"):
        store = VideoStore(tmp_path / f"{split}.h5")
        assert store.attrs["source"] == "authors_renders" and not store.synthetic
        assert len(store) == 2 and list(store.meta("elevation")) == [20.0, 30.0]
        assert store.frame_shape == (64, 64, 3)
        for seq in range(2):
            frames = store.frames(seq)
            centre = frames[:, 32, 32]
            assert list(centre[:, 0]) == [5 * k for k in range(36)]  # red: azimuth index, in order
            assert (centre[:, 1] == 100 + 50 * seq).all()
            assert tuple(frames[0, 0, 0]) == BACKGROUND  # padding of the non-square image
            assert store.frame_meta("azimuth", seq)[1] == pytest.approx(10.0)
        assert sorted(json.loads(store.attrs["raw_checksums"])) == ["chair_a", "chair_b"]  # one digest a model


def test_import_authors_renders_reads_azimuth_tags(tmp_path):
    root = tmp_path / "renders"
    # names whose last number is not the order: the _t<azimuth> tag wins
    _write_renders(root, elevations=(20,), n=4, names=lambda k: f"image_{3 - k:03d}_p020_t{90 * k:03d}_r096.png")
    cfg = ChairsData(source="authors_renders", azimuths=4, image_size=64, test_fraction=0.5, seed=0)
    import_authors_renders(root, tmp_path / "train.h5", tmp_path / "test.h5", cfg)
    store = VideoStore(tmp_path / "train.h5")
    assert list(store.frame_meta("azimuth", 0)) == [0.0, 90.0, 180.0, 270.0]
    assert list(store.frames(0)[:, 32, 32, 0]) == [0, 5, 10, 15]


def test_import_authors_renders_rejects_missing_views(tmp_path):
    root = tmp_path / "renders"
    _write_renders(root)
    (root / "chair_b" / "030" / "image_017.png").unlink()
    cfg = ChairsData(source="authors_renders", azimuths=36, image_size=64, test_fraction=0.5, seed=0)
    with pytest.raises(DrnetError, match=r"chair_b/030 holds 35 renders, expected chairs.data.azimuths=36") as err:
        import_authors_renders(root, tmp_path / "train.h5", tmp_path / "test.h5", cfg)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "train.h5").exists()


@needs_gl
def test_stages_end_to_end(tmp_path, repo_root):
    meshes = tmp_path / "meshes"
    sets = ["--params", str(repo_root / "params.yaml"), "--set", "chairs.data.procedural_models=3",
            "--set", "chairs.data.azimuths=4", "--set", "chairs.data.elevations=[10.0]"]
    assert chairs_meshes.main([*sets, "--out", str(meshes)]) == 0
    assert len(list(meshes.glob("chair_*.ply"))) == 3
    out = [*sets, "--mesh-dir", str(meshes), "--train-out", str(tmp_path / "tr.h5"), "--test-out",
           str(tmp_path / "te.h5"), "--summary-out", str(tmp_path / "s.json")]
    assert chairs_build.main(out) == 0
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["source"] == "procedural" and summary["frames"] == 12 and "params_hash" in summary
    # a wrong folder is one line and exit status 2
    assert chairs_build.main([*out[:-6], "--train-out", str(tmp_path / "x.h5"), "--test-out", str(tmp_path / "y.h5"),
                              "--set", "chairs.data.source=authors_renders", "--renders-dir",
                              str(tmp_path / "none")]) == 2


def _png_header(width, height):
    """The first bytes of a PNG declaring ``width`` x ``height`` (signature + IHDR chunk with its CRC)."""
    import struct
    import zlib

    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))


@pytest.mark.parametrize("width, height, message", [
    (30000, 30000, "is 30000x30000 pixels; renders must be 1..4096 a side"),
    (0, 0, "is 0x0 pixels"),
])
def test_huge_or_empty_png_is_refused_from_its_header(tmp_path, width, height, message):
    root = tmp_path / "renders"
    _write_renders(root)
    (root / "chair_b" / "030" / "image_017.png").write_bytes(_png_header(width, height) + bytes(1000))
    cfg = ChairsData(source="authors_renders", azimuths=36, image_size=64, test_fraction=0.5, seed=0)
    with pytest.raises(DrnetError, match=message) as err:
        import_authors_renders(root, tmp_path / "train.h5", tmp_path / "test.h5", cfg)
    assert "\n" not in str(err.value) and "image_017.png" in str(err.value)
    assert not list(tmp_path.glob("*.h5"))


def test_a_store_failing_at_its_final_flush_takes_the_other_store_with_it(tmp_path, monkeypatch):

    from drnet.data.chairs import stores
    from drnet.data.store import VideoStoreWriter

    class FlushFailsForTrain(VideoStoreWriter):
        def close(self):
            if "train" in self.path.name:
                self.abort()
                raise RuntimeError("Can't write data (file write failed: errno = 27, error message = 'File too "
                                   "large')")  # how h5py reports it
            return super().close()

    root = tmp_path / "renders"
    _write_renders(root)
    monkeypatch.setattr(stores, "VideoStoreWriter", FlushFailsForTrain)
    out = tmp_path / "out"
    out.mkdir()
    (out / "train.h5").write_text("old train")
    (out / "test.h5").write_text("old test")
    cfg = ChairsData(source="authors_renders", azimuths=36, image_size=64, test_fraction=0.5, seed=0)
    with pytest.raises(RuntimeError):
        import_authors_renders(root, out / "train.h5", out / "test.h5", cfg)
    assert (out / "train.h5").read_text() == "old train" and (out / "test.h5").read_text() == "old test"
    assert sorted(p.name for p in out.iterdir()) == ["test.h5", "train.h5"]


def test_chairs_build_on_a_full_disk_is_one_line(tmp_path, repo_root):
    import signal
    import subprocess
    import sys

    def limit():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    root = tmp_path / "renders"
    _write_renders(root)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "stages.chairs_build", "--params", str(repo_root / "params.yaml"),
                           "--set", "chairs.data.source=authors_renders", "--set", "chairs.data.azimuths=36",
                           "--set", "chairs.data.test_fraction=0.5", "--renders-dir", str(root), "--train-out",
                           str(out / "train.h5"), "--test-out", str(out / "test.h5")],
                          cwd=repo_root, capture_output=True, text=True, preexec_fn=limit)
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower() or "Traceback" in line]
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(errors) == 1 and "out of disk space" in errors[0], proc.stderr[-2000:]
    assert list(out.iterdir()) == []


def test_debris_of_a_killed_mesh_writer_is_ignored_and_cleaned(tmp_path):
    from drnet.data.chairs.render import list_meshes

    meshes = tmp_path / "meshes"
    write_procedural_meshes(meshes, 2, seed=0)
    debris = [meshes / ".tmp-chair_0007-abcd1234.ply", meshes / ".tmp-manifest-abcd1234.json"]
    for path in debris:
        path.write_bytes(b"half a file")
    assert [p.name for p in list_meshes(meshes)] == ["chair_0000.ply", "chair_0001.ply"]
    user_file = meshes / ".tmp-notes.ply"  # not our temp-name pattern: left alone
    user_file.write_bytes(b"x")
    write_procedural_meshes(meshes, 2, seed=0)
    assert not any(p.exists() for p in debris) and user_file.exists()
