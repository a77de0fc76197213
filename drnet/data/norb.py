"""small NORB: the binary matrix format, download, the azimuth videos and a synthetic NORB-format source.

The raw folder (``data/raw/norb`` for the official data, ``data/demo/raw/norb`` for the synthetic source) holds
the six files of norb-v1.0-small, ``smallnorb-5x46789x9x18x6x2x96x96-training-{dat,cat,info}.mat`` and
``smallnorb-5x01235x9x18x6x2x96x96-testing-{dat,cat,info}.mat``, each either decompressed (``.mat``, read
through a memory map) or as served by the mirror (``.mat.gz``; the ``.mat`` wins when both are there). A
``manifest.json`` records the sha256 of every raw file; ``"synthetic": true`` in it marks a synthetic source.

Binary matrix format: little-endian int32 magic (0x1E3D4C55 uint8, 0x1E3D4C54 int32, 0x1E3D4C51 float32,
0x1E3D4C53 float64, 0x1E3D4C56 int16), int32 ndim, max(3, ndim) int32 dims (unused trailing dims are 1), then
the data in C order. ``dat`` is uint8 [N, 2, 96, 96] (two stereo cameras), ``cat`` int32 [N] (0..4: animal,
human, airplane, truck, car), ``info`` int32 [N, 4]: instance (0..9), elevation index (0..8, 30 + 5e degrees),
azimuth code (0, 2, .., 34: times 10 for degrees), lighting (0..5). Training instances 4, 6, 7, 8, 9; testing
0, 1, 2, 3, 5.

The build turns every (category, instance, elevation, lighting) group into one 18-frame video sorted by azimuth
(one camera, resized to ``image_size`` with area interpolation): a store per split, frames uint8 [18, S, S, 1],
meta columns category (int), category_name (str), instance, elevation, lighting (ints) and per-frame azimuth
(int degrees).

The synthetic source (:func:`write_synthetic_norb`) writes the same six files in the same format from rendered
procedural objects (five categories of trimesh primitives, varied proportions per instance), so it goes through
exactly the same parse and build code.
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import sys
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from drnet.data.download import RemoteFile, download
from drnet.data.kth import MANIFEST_FILE, open_raw_folder, read_manifest
from drnet.data.store import VideoStoreWriter
from drnet.errors import DrnetError
from drnet.io import atomic_dir, atomic_path, atomic_paths, atomic_write_json, disk_full, ensure_dir, file_digest
from drnet.params import Download, NorbData, NorbSynthetic

log = logging.getLogger(__name__)

__all__ = [
    "AZIMUTHS", "CATEGORIES", "MANIFEST_FILE", "NORB_FILES", "NORB_SHA256", "NORB_TERMS", "SPLIT_PREFIX",
    "azimuth_videos", "build_norb", "category_mesh", "fetch_norb", "instance_split", "norb_file", "read_header",
    "read_matrix", "read_split", "write_matrix", "write_synthetic_norb",
]

CATEGORIES = ("animal", "human", "airplane", "truck", "car")
AZIMUTHS = 18  # 0, 20, .., 340 degrees: stored codes 0, 2, .., 34
SPLIT_PREFIX = {"train": "smallnorb-5x46789x9x18x6x2x96x96-training",
                "test": "smallnorb-5x01235x9x18x6x2x96x96-testing"}
KINDS = ("dat", "cat", "info")
NORB_FILES = tuple(f"{SPLIT_PREFIX[s]}-{k}.mat" for s in ("train", "test") for k in KINDS)
# The mirror does not publish checksums; fill these in (``sha256:<hex>`` of the .mat.gz as served) to verify.
NORB_SHA256: dict[str, str | None] = {f"{name}.gz": None for name in NORB_FILES}
NORB_TERMS = (
    "small NORB dataset (Y. LeCun, F.J. Huang, L. Bottou): for research use. Publications using it must cite: "
    "Y. LeCun, F.J. Huang and L. Bottou, 'Learning Methods for Generic Object Recognition with Invariance to Pose "
    "and Lighting', CVPR 2004. Source: https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
)
OFFICIAL_INSTANCES = {"train": (4, 6, 7, 8, 9), "test": (0, 1, 2, 3, 5)}

MAGIC = {
    0x1E3D4C55: np.dtype("<u1"),
    0x1E3D4C54: np.dtype("<i4"),
    0x1E3D4C51: np.dtype("<f4"),
    0x1E3D4C53: np.dtype("<f8"),
    0x1E3D4C56: np.dtype("<i2"),
}
_MAGIC_OF = {dtype.str: magic for magic, dtype in MAGIC.items()}
_DTYPE_NAME = {0x1E3D4C55: "uint8", 0x1E3D4C54: "int32", 0x1E3D4C51: "single float", 0x1E3D4C53: "double",
               0x1E3D4C56: "short"}
_MAX_NDIM = 16
# The largest official file (training dat, 24300x2x96x96 uint8) holds 448 MB: a header asking for more is refused
# before anything is allocated or inflated.
MAX_MATRIX_BYTES = 1 << 30


# --------------------------------------------------------------------------------------------------------------
# the binary matrix format


def norb_file(split: str, kind: str) -> str:
    """``smallnorb-...-training-dat.mat`` etc. for split train/test and kind dat/cat/info."""
    return f"{SPLIT_PREFIX[split]}-{kind}.mat"


def _header_bytes(magic: int, shape: tuple[int, ...]) -> bytes:
    dims = list(shape) + [1] * max(0, 3 - len(shape))
    return np.asarray([magic, len(shape), *dims], dtype="<i4").tobytes()


def write_matrix(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` (uint8, int32, float32, float64 or int16) in the NORB binary matrix format (atomic).

    A path ending in ``.gz`` is gzip-compressed, like the files on the official mirror.
    """
    path = Path(path)
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder("<") if array.dtype.itemsize > 1 else array.dtype
    magic = _MAGIC_OF.get(np.dtype(dtype).str)
    if magic is None or array.ndim == 0:
        raise ValueError(f"cannot write a {array.dtype} array of shape {list(array.shape)} as a NORB matrix")
    payload = _header_bytes(magic, array.shape) + np.ascontiguousarray(array, dtype=dtype).tobytes()
    with atomic_path(path) as tmp:
        if path.suffix == ".gz":
            with gzip.open(tmp, "wb", compresslevel=6) as out:
                out.write(payload)
        else:
            tmp.write_bytes(payload)
    return path


@dataclass(frozen=True)
class MatrixHeader:
    dtype: np.dtype
    shape: tuple[int, ...]
    offset: int  # bytes before the data

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize  # Python ints: crafted dims cannot overflow


def _fix(path: Path) -> str:
    """How to repair a bad raw file."""
    return "delete it and download it again (norb_download) or regenerate it (norb_synth)"


def _parse_header(head: bytes, path: Path) -> MatrixHeader:
    if len(head) < 8:
        raise DrnetError(f"{path} is truncated: {len(head)} bytes, shorter than a NORB matrix header; {_fix(path)}")
    magic, ndim = (int(v) for v in np.frombuffer(head[:8], dtype="<i4"))
    if magic not in MAGIC:
        raise DrnetError(f"{path} is not a NORB matrix file (magic 0x{magic & 0xFFFFFFFF:08X}, expected one of "
                         f"{', '.join(f'0x{m:08X}' for m in MAGIC)}); it is corrupt or not small-NORB: {_fix(path)}")
    if not 1 <= ndim <= _MAX_NDIM:
        raise DrnetError(f"{path} declares {ndim} dimensions (expected 1..{_MAX_NDIM}): corrupt header; {_fix(path)}")
    offset = 8 + 4 * max(3, ndim)
    if len(head) < offset:
        raise DrnetError(f"{path} is truncated inside its header ({len(head)} of {offset} bytes); {_fix(path)}")
    dims = np.frombuffer(head[8:offset], dtype="<i4")
    shape = tuple(int(d) for d in dims[:ndim])
    if any(d < 0 for d in shape):
        raise DrnetError(f"{path} declares negative dimensions {list(shape)}: corrupt header; {_fix(path)}")
    header = MatrixHeader(MAGIC[magic], shape, offset)
    if header.nbytes > MAX_MATRIX_BYTES:
        raise DrnetError(f"{path} declares {header.dtype.name} {list(shape)} ({header.nbytes} bytes, over the "
                         f"{MAX_MATRIX_BYTES}-byte cap; small NORB's largest file holds 447897600): corrupt header "
                         f"or not small NORB; {_fix(path)}")
    return header


def read_header(path: str | os.PathLike) -> MatrixHeader:
    """The header of an uncompressed NORB matrix file; checks the file holds exactly the data it declares."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8 + 4 * _MAX_NDIM)
        size = path.stat().st_size
    except OSError as exc:
        raise DrnetError(f"cannot read {path}: {exc.strerror}; {_fix(path)}") from None
    header = _parse_header(head, path)
    _check_size(path, header, size - header.offset)
    return header


def _check_size(path: Path, header: MatrixHeader, have: int) -> None:
    if have < header.nbytes:
        raise DrnetError(f"{path} is truncated: {have} of the {header.nbytes} data bytes its header declares "
                         f"({header.dtype.name} {list(header.shape)}); {_fix(path)}")
    if have > header.nbytes:
        raise DrnetError(f"{path} has {have - header.nbytes} bytes after the {header.nbytes} its header declares "
                         f"({header.dtype.name} {list(header.shape)}): corrupt; {_fix(path)}")


def read_matrix(path: str | os.PathLike) -> np.ndarray:
    """Read a NORB matrix file: ``.mat`` as a read-only memory map, ``.mat.gz`` decompressed into memory."""
    path = Path(path)
    if path.suffix != ".gz":
        header = read_header(path)
        if header.nbytes == 0:
            return np.zeros(header.shape, dtype=header.dtype)
        return np.memmap(path, dtype=header.dtype, mode="r", offset=header.offset, shape=header.shape)
    try:
        with gzip.open(path, "rb") as f:
            header = _parse_header(_read_header_bytes(f), path)
            f.seek(header.offset)
            raw = f.read(header.nbytes + 1)  # capped by the (already capped) header: a gzip bomb is not inflated
    except (OSError, EOFError, zlib.error) as exc:
        if disk_full(exc):
            raise
        raise DrnetError(f"{path} is not a complete gzip file ({exc}): corrupt or truncated; {_fix(path)}") from None
    _check_size(path, header, len(raw))
    return np.frombuffer(raw, dtype=header.dtype, count=math.prod(header.shape)).reshape(header.shape)


def _read_header_bytes(f) -> bytes:
    """Up to the longest possible header from an open (gzip) stream."""
    return f.read(8 + 4 * _MAX_NDIM)


def _locate(raw_dir: Path, name: str) -> Path | None:
    for candidate in (raw_dir / name, raw_dir / f"{name}.gz"):
        if candidate.exists():
            return candidate
    return None


def split_paths(raw_dir: str | os.PathLike, split: str) -> dict[str, Path]:
    """The dat/cat/info files of ``split`` in ``raw_dir`` (``.mat`` preferred over ``.mat.gz``)."""
    raw_dir = Path(raw_dir)
    paths: dict[str, Path] = {}
    for kind in KINDS:
        found = _locate(raw_dir, norb_file(split, kind))
        if found is None:
            raise DrnetError(f"{raw_dir / norb_file(split, kind)} (or .gz) not found; run the norb_download "
                             f"(official) or norb_synth (synthetic) stage first")
        paths[kind] = found
    return paths


def read_split(raw_dir: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Path]]:
    """(dat uint8 [N, 2, H, W], cat int32 [N], info int32 [N, 4], paths) of one split, checked for consistency."""
    paths = split_paths(raw_dir, split)
    arrays = {kind: read_matrix(path) for kind, path in paths.items()}
    _expect(paths["dat"], arrays["dat"], np.uint8, "uint8 [N, 2, H, W] with square H = W > 0",
            lambda s: len(s) == 4 and s[1] == 2 and s[2] == s[3] > 0)
    _expect(paths["cat"], arrays["cat"], np.int32, "int32 [N]", lambda s: len(s) == 1)
    _expect(paths["info"], arrays["info"], np.int32, "int32 [N, 4]", lambda s: len(s) == 2 and s[1] == 4)
    n = len(arrays["dat"])
    for kind in ("cat", "info"):
        if len(arrays[kind]) != n:
            raise DrnetError(f"{paths[kind]} has {len(arrays[kind])} rows but {paths['dat'].name} has {n}: the files "
                             f"are from different sets; {_fix(paths[kind])}")
    cat = np.asarray(arrays["cat"])
    if n and (cat.min() < 0 or cat.max() >= len(CATEGORIES)):
        raise DrnetError(f"{paths['cat']} holds categories {int(cat.min())}..{int(cat.max())}, expected 0..4; "
                         f"{_fix(paths['cat'])}")
    return arrays["dat"], cat, np.asarray(arrays["info"]), paths


def _expect(path: Path, array: np.ndarray, dtype: type, what: str, shape_ok) -> None:
    if array.dtype != np.dtype(dtype) or not shape_ok(array.shape):
        raise DrnetError(f"{path} holds {array.dtype.name} {list(array.shape)}, expected {what}: wrong file or "
                         f"corrupt header; {_fix(path)}")


# --------------------------------------------------------------------------------------------------------------
# azimuth videos


@dataclass(frozen=True)
class AzimuthVideo:
    frames: np.ndarray  # uint8 [18, S, S, 1]
    category: int
    instance: int
    elevation: int
    lighting: int
    azimuth: np.ndarray  # int degrees [18], increasing

    def meta(self) -> dict[str, Any]:
        return {"category": self.category, "category_name": CATEGORIES[self.category], "instance": self.instance,
                "elevation": self.elevation, "lighting": self.lighting}


def azimuth_videos(dat: np.ndarray, cat: np.ndarray, info: np.ndarray, camera: int, image_size: int,
                   label: str = "NORB data") -> Iterator[AzimuthVideo]:
    """One video per (category, instance, elevation, lighting) group, frames sorted by azimuth.

    Groups come in sorted key order. A group without exactly 18 distinct azimuths raises DrnetError naming
    ``label`` and the group.
    """
    cat = np.asarray(cat, dtype=np.int64)
    info = np.asarray(info, dtype=np.int64)
    if not 0 <= camera < dat.shape[1]:
        raise DrnetError(f"camera {camera} out of range: {label} has {dat.shape[1]} cameras; set norb.data.camera")
    instance, elevation, azimuth, lighting = info.T
    order = np.lexsort((azimuth, lighting, elevation, instance, cat))
    keys = np.stack([cat, instance, elevation, lighting], axis=1)[order]
    starts = np.flatnonzero(np.r_[True, np.any(keys[1:] != keys[:-1], axis=1)])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts, ends):
        idx = order[start:end]
        c, i, e, light = (int(v) for v in keys[start])
        az = azimuth[idx]
        if end - start != AZIMUTHS or len(np.unique(az)) != AZIMUTHS:
            raise DrnetError(f"{label}: group category={c} instance={i} elevation={e} lighting={light} has "
                             f"{end - start} images with {len(np.unique(az))} distinct azimuths, expected "
                             f"{AZIMUTHS}: the files are incomplete or corrupt; {_fix(Path(label))}")
        rows = np.sort(idx)  # read the rows in file order, then put them in azimuth order
        images = np.asarray(dat[rows, camera])[np.searchsorted(rows, idx)]
        if images.shape[1:] != (image_size, image_size):
            images = np.stack([cv2.resize(im, (image_size, image_size), interpolation=cv2.INTER_AREA)
                               for im in images])
        yield AzimuthVideo(np.ascontiguousarray(images)[..., None], c, i, e, light, (az * 10).astype(np.int64))


def build_norb(raw_dir: str | os.PathLike, train_out: str | os.PathLike, test_out: str | os.PathLike,
               data_cfg: NorbData) -> dict[str, Any]:
    """Build the train store from the training files and the test store from the testing files.

    ``norb.data.source`` must match the raw folder (its manifest says whether it is synthetic). Both stores
    appear only when everything succeeded. Returns a summary (sizes, instances, timing).
    """
    raw_dir, synthetic = open_raw_folder(raw_dir, "norb", data_cfg.source, "a synthetic NORB-format source")
    source = "synthetic" if synthetic else "official"
    size, camera = data_cfg.image_size, data_cfg.camera
    outs = {"train": Path(train_out), "test": Path(test_out)}
    start = time.perf_counter()
    summary: dict[str, Any] = {"source": source, "synthetic": synthetic, "image_size": size, "camera": camera}
    writers: dict[str, VideoStoreWriter] = {}
    # both stores are finished first, then renamed together: never a new train.h5 beside an old test.h5
    with atomic_paths(list(outs.values())) as tmps:
        try:
            _build_splits(raw_dir, dict(zip(outs, tmps)), data_cfg, source, synthetic, summary, writers)
            for writer in writers.values():
                writer.close()
        except BaseException:
            for writer in writers.values():
                writer.abort()
            raise
    summary["seconds"] = round(time.perf_counter() - start, 3)
    return summary


def _build_splits(raw_dir: Path, tmps: dict[str, Path], data_cfg: NorbData, source: str, synthetic: bool,
                  summary: dict[str, Any], writers: dict[str, VideoStoreWriter]) -> None:
    """Write each split's videos to its temp store (``writers`` collects the open writers for the caller)."""
    size, camera = data_cfg.image_size, data_cfg.camera
    for split, out in tmps.items():
        dat, cat, info, paths = read_split(raw_dir, split)
        checksums = {p.name: "sha256:" + file_digest(p) for p in sorted(paths.values())}
        attrs = {"params": data_cfg.model_dump(), "categories": list(CATEGORIES), "camera": camera,
                 "azimuth_step_deg": 20, "elevation_deg": "30 + 5 * elevation"}
        writer = writers[split] = VideoStoreWriter(
            out, dataset="norb", split=split, source=source, synthetic=synthetic, frame_shape=(size, size, 1),
            raw_checksums=checksums, attrs=attrs, atomic=False)
        counts = {"sequences": 0, "frames": 0}
        for video in azimuth_videos(dat, cat, info, camera, size, label=str(paths["info"])):
            writer.add(video.frames, frame_meta={"azimuth": video.azimuth}, **video.meta())
            counts["sequences"] += 1
            counts["frames"] += len(video.frames)
        if counts["sequences"] == 0:
            raise DrnetError(f"{paths['dat']} holds no images; {_fix(paths['dat'])}")
        counts["instances"] = sorted(int(i) for i in np.unique(info[:, 0]))
        counts["categories"] = [CATEGORIES[c] for c in np.unique(cat)]
        counts["elevations"] = len(np.unique(info[:, 1]))
        counts["lightings"] = len(np.unique(info[:, 3]))
        summary[split] = counts
        log.info("norb %s: %d videos of %d frames from %s", split, counts["sequences"], AZIMUTHS,
                 paths["dat"].name)
    overlap = sorted(set(summary["train"]["instances"]) & set(summary["test"]["instances"]))
    if overlap and not synthetic:
        log.warning("instances %s are in both the training and the testing files", overlap)


# --------------------------------------------------------------------------------------------------------------
# download


def _decompress(gz: Path, mat: Path) -> None:
    """Gunzip ``gz`` to ``mat`` (atomic), no further than its header declares (+1 byte to notice extra data).

    A corrupt gzip raises DrnetError; a full disk raises the OSError untouched, so the caller keeps the valid
    ``.gz`` and the CLI reports the disk, not a corrupt download.
    """
    try:
        with gzip.open(gz, "rb") as src:
            head = _read_header_bytes(src)
            header = _parse_header(head, gz)
            src.seek(0)
            with atomic_path(mat) as tmp, open(tmp, "wb") as dst:
                left = header.offset + header.nbytes + 1
                while left > 0 and (block := src.read(min(left, 1 << 20))):
                    try:
                        dst.write(block)
                    except OSError as exc:
                        raise _WriteError(exc) from exc
                    left -= len(block)
    except _WriteError as exc:
        raise exc.error from None
    except (OSError, EOFError, zlib.error) as exc:
        if disk_full(exc):
            raise
        raise DrnetError(f"{gz} is not a complete gzip file ({exc}): corrupt or truncated; delete it and run the "
                         f"download again") from None


class _WriteError(Exception):
    """An error writing the decompressed file (the disk, not the download)."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


def _valid_mat(path: Path) -> bool:
    try:
        read_header(path)
        return True
    except DrnetError as exc:
        log.warning("%s", exc)
        return False


def fetch_norb(raw_dir: str | os.PathLike, cfg: Download, manifest_path: str | os.PathLike | None = None,
               backoff: float = 1.0, digests: Mapping[str, str | None] | None = None,
               local_dir: str | os.PathLike | None = None) -> dict:
    """Make ``raw_dir`` hold the six small-NORB ``.mat`` files; write and return its manifest.

    Each ``.mat.gz`` is fetched from ``cfg.mirrors`` (resumable, retried), checked against ``digests``
    (default :data:`NORB_SHA256`; unknown digests are recorded, not checked), gunzipped (gzip's CRC catches a
    corrupt transfer) and its ``.mat`` checked against the format. A valid ``.mat`` already present is used
    without the network; a ``.mat.gz`` already present and verified is not fetched again; a ``.mat.gz`` in
    ``local_dir`` (the user's own copy) is copied in instead of downloaded.
    """
    raw_dir = ensure_dir(raw_dir)
    digests = {**NORB_SHA256, **(digests or {})}
    announced = False
    files: dict[str, str] = {}
    for name in NORB_FILES:
        mat, gz = raw_dir / name, raw_dir / f"{name}.gz"
        if mat.exists() and not gz.exists() and _valid_mat(mat):
            log.info("using %s (already present, no .gz)", mat)
            files[name] = "sha256:" + file_digest(mat)
            continue
        fresh = not gz.exists()
        if fresh and not announced and not (local_dir and (Path(local_dir) / gz.name).exists()):
            print(f"Terms of use: {NORB_TERMS}", file=sys.stderr)
            announced = True
        path, digest = download(RemoteFile(gz.name, digests.get(gz.name)), cfg.mirrors, raw_dir,
                                retries=cfg.retries, timeout=cfg.timeout_s, backoff=backoff, local_dir=local_dir)
        files[gz.name] = digest
        if fresh or not mat.exists() or not _valid_mat(mat):
            try:
                _decompress(path, mat)
                read_header(mat)
            except DrnetError:  # the download is corrupt (a full disk raises OSError and keeps the .gz)
                mat.unlink(missing_ok=True)
                if fresh:
                    path.unlink(missing_ok=True)
                raise
        files[name] = "sha256:" + file_digest(mat)
    manifest = {"dataset": "norb", "synthetic": False, "files": dict(sorted(files.items())), "terms": NORB_TERMS,
                "mirrors": list(cfg.mirrors)}
    atomic_write_json(manifest_path or raw_dir / MANIFEST_FILE, manifest)
    return manifest


# --------------------------------------------------------------------------------------------------------------
# synthetic NORB-format source

_LIGHTS = (  # (direction, intensity, ambient) per lighting index
    ((0.4, 0.8, 0.6), 0.75, 0.30),
    ((-0.6, 0.7, 0.4), 0.85, 0.25),
    ((0.0, 1.0, 0.1), 0.65, 0.35),
    ((0.8, 0.3, -0.5), 0.90, 0.20),
    ((-0.3, 0.5, -0.8), 0.70, 0.30),
    ((0.2, 0.9, 0.9), 0.55, 0.45),
)
CAMERA_SHIFT_DEG = 5.0  # camera 1 sees the object from a slightly larger azimuth (the stereo pair)


def instance_split(instances: int) -> dict[str, list[int]]:
    """Instances of each split: the official split for 10, else alternating (odd train, even test)."""
    if instances == 10:
        return {split: list(ids) for split, ids in OFFICIAL_INSTANCES.items()}
    return {"train": list(range(1, instances, 2)), "test": list(range(0, instances, 2))}


def _part(mesh, rgb: tuple[float, float, float]):
    mesh.visual.face_colors = np.array([*(np.clip(rgb, 0, 1) * 255).astype(np.uint8), 255], dtype=np.uint8)
    return mesh


def _box(extents, centre, rgb):
    import trimesh

    m = trimesh.creation.box(extents=extents)
    m.apply_translation(centre)
    return _part(m, rgb)


def _rod(radius, length, centre, axis, rgb, capsule=False):
    """A cylinder (or capsule) of ``length`` along ``axis`` (a 3-vector) centred at ``centre``."""
    import trimesh

    axis = np.asarray(axis, dtype=float)
    axis = axis / np.linalg.norm(axis)
    if capsule:
        m = trimesh.creation.capsule(height=max(length - 2 * radius, 1e-3), radius=radius, count=[12, 12])
        m.apply_translation(-m.bounds.mean(axis=0))
    else:
        m = trimesh.creation.cylinder(radius=radius, height=length, sections=16)
    m.apply_transform(trimesh.geometry.align_vectors([0, 0, 1], axis))
    m.apply_translation(centre)
    return _part(m, rgb)


def _ball(radius, centre, rgb):
    import trimesh

    m = trimesh.creation.icosphere(subdivisions=2, radius=radius)
    m.apply_translation(centre)
    return _part(m, rgb)


def category_mesh(category: int, rng: np.random.Generator):
    """A procedural mesh of one NORB category (y up, x forward), proportions drawn from ``rng``; normalised."""
    import trimesh

    from drnet.render import normalise

    u = rng.uniform
    base = np.array([u(0.45, 0.95)] * 3) * np.array([1.0, u(0.9, 1.1), u(0.85, 1.05)])
    dark, light = base * 0.6, np.clip(base * 1.25, 0, 1)
    name = CATEGORIES[category]
    parts = []
    if name == "animal":  # quadruped: body, neck + head, four legs, tail
        length, radius, leg = u(1.2, 2.0), u(0.22, 0.38), u(0.35, 0.8)
        parts.append(_rod(radius, length, (0, leg + radius, 0), (1, 0, 0), base, capsule=True))
        neck_up = u(0.1, 0.5)
        head = (length / 2 + u(0.05, 0.25), leg + radius + neck_up, 0)
        parts.append(_rod(radius * 0.45, neck_up + 0.3, (length / 2 - 0.05, leg + radius + neck_up / 2, 0),
                          (0.5, 1, 0), base))
        parts.append(_ball(radius * u(0.8, 1.2), head, light))
        for sx in (-1, 1):
            for sz in (-1, 1):
                parts.append(_rod(radius * 0.3, leg + radius / 2, (sx * (length / 2 - radius * 0.6),
                                                                   (leg + radius / 2) / 2, sz * radius * 0.6),
                                  (0, 1, 0), dark))
        tail = u(0.3, 0.8)
        parts.append(_rod(radius * 0.15, tail, (-length / 2 - tail * 0.35, leg + radius * 1.2, 0),
                          (-1, u(0.3, 1.2), 0), dark))
    elif name == "human":  # torso, head, arms, legs
        leg, torso, width = u(0.8, 1.1), u(0.6, 0.9), u(0.35, 0.55)
        spread = u(0.0, 0.5)
        parts.append(_box((width * 0.5, torso, width), (0, leg + torso / 2, 0), base))
        parts.append(_ball(u(0.14, 0.2), (0, leg + torso + 0.2, 0), light))
        for s in (-1, 1):
            parts.append(_rod(0.06, leg, (0, leg / 2, s * width * 0.25), (0, 1, s * spread * 0.3), dark))
            arm, angle = torso * u(0.9, 1.2), u(0.1, 1.2)  # arm raised sideways by ``angle`` radians
            direction = np.array([0.0, -math.cos(angle), s * math.sin(angle)])
            shoulder = np.array([0.0, leg + torso * 0.95, s * (width / 2 + 0.05)])
            parts.append(_rod(0.05, arm, shoulder + direction * arm / 2, direction, light))
    elif name == "airplane":  # fuselage, wings, tailplane, fin
        length, radius, span = u(1.6, 2.4), u(0.1, 0.18), u(1.4, 2.4)
        sweep = u(-0.2, 0.3)
        parts.append(_rod(radius, length, (0, 0, 0), (1, 0, 0), base, capsule=True))
        parts.append(_box((u(0.25, 0.45), 0.04, span), (sweep * 0.5, 0, 0), light))
        parts.append(_box((0.2, 0.03, span * u(0.3, 0.45)), (-length / 2 + 0.12, 0, 0), light))
        fin = u(0.2, 0.45)
        parts.append(_box((0.25, fin, 0.03), (-length / 2 + 0.15, fin / 2 + radius * 0.5, 0), dark))
    elif name in ("truck", "car"):
        wheel_r = u(0.14, 0.22)
        if name == "truck":  # cab, cargo box, six wheels
            width, cab_len, box_len = u(0.7, 0.9), u(0.45, 0.7), u(1.0, 1.8)
            box_h = u(0.6, 1.0)
            parts.append(_box((cab_len, u(0.55, 0.8), width), (box_len / 2 + cab_len / 2 + 0.05, wheel_r + 0.33, 0),
                              light))
            parts.append(_box((box_len, box_h, width * 1.05), (0, wheel_r + 0.05 + box_h / 2, 0), base))
            xs = (box_len / 2 + cab_len / 2, -box_len / 2 + wheel_r * 1.2, -box_len / 2 + wheel_r * 3.4)
        else:  # body, cabin, four wheels
            width, length = u(0.6, 0.8), u(1.3, 1.9)
            body_h = u(0.2, 0.35)
            parts.append(_box((length, body_h, width), (0, wheel_r + body_h / 2, 0), base))
            cabin = length * u(0.35, 0.6)
            parts.append(_box((cabin, u(0.18, 0.3), width * 0.85), (u(-0.2, 0.1), wheel_r + body_h + 0.1, 0), light))
            xs = (length / 2 - wheel_r * 1.5, -length / 2 + wheel_r * 1.5)
        for x in xs:
            for s in (-1, 1):
                parts.append(_rod(wheel_r, 0.12, (x, wheel_r, s * width / 2), (0, 0, 1), dark * 0.5))
    else:  # pragma: no cover - CATEGORIES is fixed
        raise ValueError(category)
    mesh = trimesh.util.concatenate(parts)
    # a small random yaw so that azimuth 0 differs a little between instances, as in the real turntable photos
    mesh.apply_transform(trimesh.transformations.rotation_matrix(math.radians(u(-15, 15)), [0, 1, 0]))
    return normalise(mesh)


def write_synthetic_norb(out_dir: str | os.PathLike, cfg: NorbSynthetic, *, elevations: int | None = None,
                         lightings: int | None = None, seed: int | None = None, size: int = 96) -> dict:
    """Write the six small-NORB ``.mat`` files (official binary format) from rendered procedural objects.

    ``cfg.instances`` instances of each of the five categories, 18 azimuths (0..340 step 20), ``elevations``
    elevation indices (30 + 5e degrees) and ``lightings`` lightings (defaults: the cfg's), two cameras (camera 1
    shifted by 5 degrees of azimuth), ``size`` x ``size`` grey. Rows are written in a seeded shuffled order, like
    the official files which are not sorted by azimuth. The folder is built next to ``out_dir`` and renamed onto
    it when complete; an existing non-synthetic ``out_dir`` is refused. Returns the manifest.
    """
    from drnet.render import Renderer

    elevations = cfg.elevations if elevations is None else int(elevations)
    lightings = cfg.lightings if lightings is None else int(lightings)
    seed = cfg.seed if seed is None else int(seed)
    if not 1 <= elevations <= 9 or not 1 <= lightings <= 6:
        raise DrnetError(f"elevations must be 1..9 and lightings 1..6 (got {elevations}, {lightings}); fix "
                         f"norb.synthetic or the --elevations/--lightings options")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not read_manifest(out_dir).get("synthetic"):
        raise DrnetError(f"{out_dir} exists and is not a synthetic NORB folder; refusing to replace it: choose "
                         f"another --out or remove it")
    split_of = instance_split(cfg.instances)
    rng = np.random.default_rng(seed)
    meshes = {(c, i): category_mesh(c, np.random.default_rng([seed, c, i]))
              for c in range(len(CATEGORIES)) for i in range(cfg.instances)}
    azimuth_codes = np.arange(AZIMUTHS) * 2
    start = time.perf_counter()
    with atomic_dir(out_dir) as tmp:
        rows_of: dict[str, list[tuple[int, int, int, int, int]]] = {}
        for split, ids in split_of.items():
            rows = [(c, i, e, a, light) for c in range(len(CATEGORIES)) for i in ids for e in range(elevations)
                    for a in azimuth_codes for light in range(lightings)]
            rows_of[split] = [rows[k] for k in rng.permutation(len(rows))]
        for split, rows in rows_of.items():
            n = len(rows)
            cat = np.array([r[0] for r in rows], dtype=np.int32)
            info = np.array([(r[1], r[2], r[3], r[4]) for r in rows], dtype=np.int32)
            dat_path = tmp / norb_file(split, "dat")
            header = _header_bytes(0x1E3D4C55, (n, 2, size, size))
            with open(dat_path, "wb") as f:
                f.write(header)
                f.truncate(len(header) + n * 2 * size * size)
            dat = np.memmap(dat_path, dtype=np.uint8, mode="r+", offset=len(header), shape=(n, 2, size, size))
            where = {row: k for k, row in enumerate(rows)}
            for light in range(lightings):
                direction, intensity, ambient = _LIGHTS[light]
                with Renderer(size=size, light_dir=direction, light_intensity=intensity, ambient=ambient) as r:
                    for c in range(len(CATEGORIES)):
                        for i in split_of[split]:
                            mesh = meshes[c, i]
                            for e in range(elevations):
                                for a in azimuth_codes:
                                    k = where[(c, i, e, int(a), light)]
                                    for cam in (0, 1):
                                        rgb = r.render(mesh, azimuth_deg=10.0 * a + CAMERA_SHIFT_DEG * cam,
                                                       elevation_deg=30.0 + 5.0 * e)
                                        dat[k, cam] = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            dat.flush()
            del dat
            write_matrix(tmp / norb_file(split, "cat"), cat)
            write_matrix(tmp / norb_file(split, "info"), info)
        files = {name: "sha256:" + file_digest(tmp / name) for name in NORB_FILES}
        manifest = {"dataset": "norb", "synthetic": True, "generator": __name__, "params": cfg.model_dump(),
                    "elevations": elevations, "lightings": lightings, "seed": seed, "image_size": size,
                    "instances": split_of, "categories": list(CATEGORIES), "files": dict(sorted(files.items()))}
        atomic_write_json(tmp / MANIFEST_FILE, manifest)
    log.info("wrote synthetic small-NORB files (%d categories x %d instances x %d elevations x %d lightings x %d "
             "azimuths x 2 cameras) to %s in %.1f s", len(CATEGORIES), cfg.instances, elevations, lightings,
             AZIMUTHS, out_dir, time.perf_counter() - start)
    return manifest
