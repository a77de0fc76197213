"""The HDF5 video store: the one processed format for every dataset and split.

Layout of one file::

    /frames            uint8 [N, H, W, C]   all frames of all sequences, chunked per frame, gzip-compressed
    /index/start       int64 [S]            first frame of each sequence in /frames
    /index/length      int64 [S]            number of frames of each sequence
    /meta/<column>     [S]                  per-sequence metadata (ints, floats or UTF-8 strings)
    /frame_meta/<col>  [N, ...]             optional per-frame metadata (e.g. digit positions)
    attrs: format_version, dataset, split, source, synthetic, image_size, channels, raw_checksums (JSON),
           frames_sha256 (hash of all frames in order: the content identity of the split), params

Writers write to a temporary file and rename it on close, so a killed ingest never leaves a store that looks
complete. Readers open lazily (one handle per DataLoader worker) and validate the layout with one-line errors.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from drnet.errors import DrnetError
from drnet.io import atomic_path

FORMAT_VERSION = 1
MAX_IMAGE_SIZE = 1024  # frames are square, a power of two, at most this many pixels a side
MAX_CHUNK_BYTES = 16 << 20  # every read inflates whole chunks: a frames chunk larger than this makes reads crawl
_STR = h5py.string_dtype("utf-8")


class VideoStoreWriter:
    """Append sequences, then ``close()`` to finalise (atomic). Use as a context manager.

    >>> with VideoStoreWriter("train.h5", dataset="mnist", split="train", source="sklearn_digits",
    ...                       synthetic=True, frame_shape=(64, 64, 3)) as w:
    ...     w.add(frames, digit_a=3, digit_b=7)          # frames: uint8 [T, H, W, C]
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        dataset: str,
        split: str,
        source: str,
        synthetic: bool,
        frame_shape: tuple[int, int, int],
        raw_checksums: Mapping[str, str] | None = None,
        attrs: Mapping[str, Any] | None = None,
        compression: int = 4,
        atomic: bool = True,
    ):
        """``atomic=False`` writes ``path`` itself: for a temp path of :func:`drnet.io.output_set`, whose owner
        renames it together with the other outputs of the stage."""
        self.path = Path(path)
        self._ctx = atomic_path(self.path) if atomic else None
        self._tmp = self._ctx.__enter__() if self._ctx is not None else self.path
        self._file = h5py.File(self._tmp, "w")
        h, w, c = frame_shape
        self._frames = self._file.create_dataset(
            "frames", shape=(0, h, w, c), maxshape=(None, h, w, c), dtype=np.uint8,
            chunks=(1, h, w, c), compression="gzip", compression_opts=compression, shuffle=True,
        )
        self.frame_shape = (h, w, c)
        self._starts: list[int] = []
        self._lengths: list[int] = []
        self._meta: dict[str, list] = {}
        self._frame_meta: dict[str, list[np.ndarray]] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self._n = 0
        self._digest = hashlib.sha256()
        a = self._file.attrs
        a["format_version"] = FORMAT_VERSION
        a["dataset"] = dataset
        a["split"] = split
        a["source"] = source
        a["synthetic"] = bool(synthetic)
        a["image_size"] = h
        a["channels"] = c
        a["raw_checksums"] = json.dumps(dict(raw_checksums or {}), sort_keys=True)
        for key, value in (attrs or {}).items():
            a[key] = value if isinstance(value, (int, float, str, bool)) else json.dumps(value, sort_keys=True)

    def add(self, frames: np.ndarray, frame_meta: Mapping[str, np.ndarray] | None = None, **meta: Any) -> int:
        """Append one sequence ``frames`` (uint8 [T, H, W, C]); return its sequence index."""
        frames = np.asarray(frames)
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[1:] != self.frame_shape:
            raise ValueError(f"frames must be uint8 [T, {', '.join(map(str, self.frame_shape))}], "
                             f"got {frames.dtype} {list(frames.shape)}")
        t = len(frames)
        if t == 0:
            raise ValueError("cannot store an empty sequence")
        if self._starts and set(meta) != set(self._meta):
            raise ValueError(f"metadata columns changed: {sorted(meta)} vs {sorted(self._meta)}")
        self._frames.resize(self._n + t, axis=0)
        self._frames[self._n:self._n + t] = frames
        self._digest.update(np.ascontiguousarray(frames).tobytes())
        self._starts.append(self._n)
        self._lengths.append(t)
        for key, value in meta.items():
            self._meta.setdefault(key, []).append(value)
        for key, value in (frame_meta or {}).items():
            value = np.asarray(value)
            if len(value) != t:
                raise ValueError(f"frame_meta[{key!r}] has {len(value)} rows for {t} frames")
            self._frame_meta.setdefault(key, []).append(value)
        self._n += t
        return len(self._starts) - 1

    def add_array(self, name: str, data: np.ndarray) -> None:
        """Store a named side array (e.g. MNIST's digit bank) under ``arrays/<name>``, written at ``close()``; it
        counts in the store's content hash, so a resume keyed by ``frames_sha256`` sees it change."""
        data = np.ascontiguousarray(data)
        self._arrays[name] = data
        self._digest.update(name.encode() + str(data.dtype).encode() + str(data.shape).encode() + data.tobytes())

    def close(self) -> Path:
        """Write the index and metadata, then rename into place; on any failure (disk full...) abort instead."""
        try:
            f = self._file
            f.create_dataset("index/start", data=np.asarray(self._starts, dtype=np.int64))
            f.create_dataset("index/length", data=np.asarray(self._lengths, dtype=np.int64))
            for key, values in self._meta.items():
                if all(isinstance(v, str) for v in values):
                    f.create_dataset(f"meta/{key}", data=np.asarray(values, dtype=object), dtype=_STR)
                else:
                    f.create_dataset(f"meta/{key}", data=np.asarray(values))
            for key, chunks in self._frame_meta.items():
                f.create_dataset(f"frame_meta/{key}", data=np.concatenate(chunks), compression="gzip")
            for key, data in self._arrays.items():
                f.create_dataset(f"arrays/{key}", data=data, compression="gzip")
            f.attrs["num_sequences"] = len(self._starts)
            f.attrs["num_frames"] = self._n
            f.attrs["frames_sha256"] = self._digest.hexdigest()
            f.close()
        except BaseException as exc:
            self._abort(type(exc), exc)
            raise
        if self._ctx is not None:
            self._ctx.__exit__(None, None, None)
        return self.path

    def abort(self) -> None:
        self._abort(RuntimeError, RuntimeError("aborted"))

    def _abort(self, exc_type, exc) -> None:
        """Close the HDF5 handle whatever state it is in (a failed flush must not crash at exit) and drop the temp."""
        try:
            self._file.close()
        except Exception:  # noqa: BLE001 - the original error is what the user must see
            pass
        if self._ctx is not None:
            self._ctx.__exit__(exc_type, exc, None)
        else:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoStoreWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class VideoStore:
    """Read-only view of a store. Opens the HDF5 file lazily so it can be pickled into DataLoader workers."""

    def __init__(self, path: str | os.PathLike, dataset: str | None = None):
        """Open and validate the store at ``path``; ``dataset`` (e.g. ``"kth"``), when given, must match the
        store's ``dataset`` attribute, so a stage never trains or evaluates on another dataset's store."""
        self.path = Path(path)
        self._file: h5py.File | None = None
        if not self.path.exists():
            raise DrnetError(f"video store {self.path} not found; run the stage that builds it first")
        with self._open() as f:
            self._check(f)
            found = _plain(f.attrs.get("dataset"))
            if dataset is not None and found != dataset:
                raise DrnetError(f"{self.path} is a {found!r} store but this stage needs a {dataset!r} one; pass the "
                                 f"{dataset} store (check the --train/--test paths)")
            self.start = f["index/start"][:]
            self.length = f["index/length"][:]
            self.attrs = {k: _plain(v) for k, v in f.attrs.items()}
            self.frame_shape = tuple(f["frames"].shape[1:])
            self.meta_columns = sorted(f["meta"].keys()) if "meta" in f else []
            self.frame_meta_columns = sorted(f["frame_meta"].keys()) if "frame_meta" in f else []
            self.arrays = sorted(f["arrays"].keys()) if "arrays" in f else []

    def _open(self) -> h5py.File:
        try:
            return h5py.File(self.path, "r")
        except OSError as exc:
            raise DrnetError(f"{self.path} is not a readable HDF5 file ({exc}); delete it and rebuild it") from None

    def _check(self, f: h5py.File) -> None:
        for name in ("frames", "index/start", "index/length"):
            if name not in f:
                raise DrnetError(f"{self.path} has no '{name}' dataset; it is not a drnet video store, rebuild it")
        frames = f["frames"]
        if frames.dtype != np.uint8 or frames.ndim != 4:
            raise DrnetError(f"{self.path}: /frames must be uint8 [N, H, W, C], found {frames.dtype} "
                             f"{list(frames.shape)}; rebuild the store")
        if f["index/start"].shape != f["index/length"].shape:
            raise DrnetError(f"{self.path}: index/start and index/length differ in length; rebuild the store")
        if f.attrs.get("format_version") != FORMAT_VERSION:
            raise DrnetError(f"{self.path} has format version {f.attrs.get('format_version')}, expected "
                             f"{FORMAT_VERSION}; rebuild the store")
        n, h, w, c = (int(d) for d in frames.shape)
        if h != w or h < 4 or h > MAX_IMAGE_SIZE or h & (h - 1) or c not in (1, 3):
            raise DrnetError(f"{self.path}: frames are {h}x{w}x{c}; expected square frames with a power-of-two side "
                             f"4..{MAX_IMAGE_SIZE} and 1 or 3 channels: rebuild the store")
        if n and not _holds_last_frame(frames):
            raise DrnetError(f"{self.path} declares {n} frames of {h}x{w}x{c} ({n * h * w * c} bytes) but does not "
                             f"hold them (a {self.path.stat().st_size}-byte file): corrupt or truncated, rebuild it")
        chunk_bytes = int(np.prod(frames.chunks)) if frames.chunks is not None else 0
        if chunk_bytes > MAX_CHUNK_BYTES:
            raise DrnetError(f"{self.path}: /frames is stored in chunks of {list(frames.chunks)} "
                             f"({chunk_bytes >> 20} MiB; every frame read inflates a whole chunk); rebuild the store "
                             f"with the drnet stages (one frame per chunk) or re-chunk it: h5repack -l "
                             f"frames:CHUNK=1x{h}x{w}x{c} {self.path.name} rechunked.h5")
        self._check_index(f["index/start"], f["index/length"], n)

    def _check_index(self, start_ds: h5py.Dataset, length_ds: h5py.Dataset, n: int) -> None:
        """Every sequence has >= 2 frames (pairs, windows) and lies inside /frames."""
        if start_ds.ndim != 1 or start_ds.dtype.kind not in "iu" or length_ds.dtype.kind not in "iu":
            raise DrnetError(f"{self.path}: index/start and index/length must be 1-D integer arrays, found "
                             f"{start_ds.dtype} {list(start_ds.shape)}; rebuild the store")
        start, length = start_ds[:].astype(np.int64), length_ds[:].astype(np.int64)
        if len(start) == 0:
            raise DrnetError(f"{self.path} holds no sequences; rebuild the store")
        bad = np.flatnonzero((start < 0) | (length < 2) | (start > n - length))
        if len(bad):
            i = int(bad[0])
            raise DrnetError(f"{self.path}: sequence {i} has start {start[i]}, length {length[i]} for {n} frames "
                             f"({len(bad)} such); every sequence needs >= 2 frames inside /frames: rebuild the store")

    @property
    def file(self) -> h5py.File:
        if self._file is None:
            self._file = self._open()
        return self._file

    def __len__(self) -> int:
        return len(self.start)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_file"] = None  # every worker opens its own handle
        return state

    @property
    def synthetic(self) -> bool:
        return bool(self.attrs.get("synthetic"))

    def int_attr(self, name: str) -> int:
        """An integer attribute the store's builder records (e.g. MNIST's ``seq_len``); one line if absent."""
        value = self.attrs.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            found = "has none" if value is None else f"has {str(value)[:40]!r}"
            raise DrnetError(f"{self.path} lacks the integer attribute '{name}' (it {found}); it was not built by "
                             f"this stage's builder: rebuild the store")
        return int(value)

    def _column(self, group: str, column: str) -> h5py.Dataset:
        """The dataset ``group/column``; one line naming what the store holds if it is absent."""
        if column not in self.file.get(group, {}):
            held = sorted(self.file[group].keys()) if group in self.file else []
            raise DrnetError(f"{self.path} has no '{group}/{column}' column (it holds {held or 'none'}); this stage "
                             f"needs a store built by its own dataset's builder: rebuild the store")
        return self.file[f"{group}/{column}"]

    def meta(self, column: str) -> np.ndarray:
        """Per-sequence metadata column [S] (strings decoded)."""
        data = self._column("meta", column)
        if h5py.check_string_dtype(data.dtype):
            return data.asstr()[:]
        return data[:]

    def frame_meta(self, column: str, seq: int | None = None) -> np.ndarray:
        """Per-frame metadata column [N, ...], or one sequence's rows [T, ...]."""
        data = self._column("frame_meta", column)
        if seq is None:
            return data[:]
        s = int(self.start[seq])
        return data[s:s + int(self.length[seq])]

    def array(self, name: str) -> np.ndarray:
        """A side array stored with ``VideoStoreWriter.add_array``."""
        if name not in self.arrays:
            raise DrnetError(f"{self.path} has no '{name}' array (it holds {self.arrays}); rebuild the store")
        return self.file[f"arrays/{name}"][:]

    def frame(self, seq: int, t: int) -> np.ndarray:
        """One frame, uint8 [H, W, C]."""
        if not 0 <= t < self.length[seq]:
            raise IndexError(f"frame {t} out of range for sequence {seq} of length {self.length[seq]}")
        return self.file["frames"][int(self.start[seq]) + t]

    def frames(self, seq: int, t0: int = 0, n: int | None = None) -> np.ndarray:
        """Consecutive frames of one sequence, uint8 [T, H, W, C]."""
        n = int(self.length[seq]) - t0 if n is None else n
        if t0 < 0 or t0 + n > self.length[seq]:
            raise IndexError(f"frames {t0}..{t0 + n} out of range for sequence {seq} of length {self.length[seq]}")
        s = int(self.start[seq]) + t0
        return self.file["frames"][s:s + n]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _holds_last_frame(frames: h5py.Dataset) -> bool:
    """Whether the storage behind the last declared frame exists (a crafted header cannot ask for gigabytes)."""
    if frames.chunks is None:
        return frames.id.get_storage_size() >= frames.size * frames.dtype.itemsize
    last = (frames.shape[0] - 1, 0, 0, 0)
    return frames.id.get_chunk_info_by_coord(tuple(d - d % k for d, k in zip(last, frames.chunks))).size > 0


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode()
    return value
