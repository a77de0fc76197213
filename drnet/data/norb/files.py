"""The six raw files of small NORB (norb-v1.0-small): names, categories, and a split's three arrays, checked.

``smallnorb-5x46789x9x18x6x2x96x96-training-{dat,cat,info}.mat`` and
``smallnorb-5x01235x9x18x6x2x96x96-testing-{dat,cat,info}.mat``, each either decompressed (``.mat``, read
through a memory map) or as served by the mirror (``.mat.gz``; the ``.mat`` wins when both are there).
``dat`` is uint8 [N, 2, 96, 96] (two stereo cameras), ``cat`` int32 [N] (0..4: animal, human, airplane, truck,
car), ``info`` int32 [N, 4]: instance (0..9), elevation index (0..8, 30 + 5e degrees), azimuth code (0, 2, .., 34:
times 10 for degrees), lighting (0..5). Training instances 4, 6, 7, 8, 9; testing 0, 1, 2, 3, 5.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from drnet.data.norb.format import FIX, read_matrix
from drnet.errors import DrnetError

CATEGORIES = ("animal", "human", "airplane", "truck", "car")
AZIMUTHS = 18  # 0, 20, .., 340 degrees: stored codes 0, 2, .., 34
SPLIT_PREFIX = {"train": "smallnorb-5x46789x9x18x6x2x96x96-training",
                "test": "smallnorb-5x01235x9x18x6x2x96x96-testing"}
KINDS = ("dat", "cat", "info")
NORB_FILES = tuple(f"{SPLIT_PREFIX[s]}-{k}.mat" for s in ("train", "test") for k in KINDS)
OFFICIAL_INSTANCES = {"train": (4, 6, 7, 8, 9), "test": (0, 1, 2, 3, 5)}


def norb_file(split: str, kind: str) -> str:
    """``smallnorb-...-training-dat.mat`` etc. for split train/test and kind dat/cat/info."""
    return f"{SPLIT_PREFIX[split]}-{kind}.mat"


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
                             f"are from different sets; {FIX}")
    cat = np.asarray(arrays["cat"])
    if n and (cat.min() < 0 or cat.max() >= len(CATEGORIES)):
        raise DrnetError(f"{paths['cat']} holds categories {int(cat.min())}..{int(cat.max())}, expected 0..4; "
                         f"{FIX}")
    return arrays["dat"], cat, np.asarray(arrays["info"]), paths


def _expect(path: Path, array: np.ndarray, dtype: type, what: str, shape_ok) -> None:
    if array.dtype != np.dtype(dtype) or not shape_ok(array.shape):
        raise DrnetError(f"{path} holds {array.dtype.name} {list(array.shape)}, expected {what}: wrong file or "
                         f"corrupt header; {FIX}")
