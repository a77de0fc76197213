"""Chairs from the authors' renders: already-rendered PNGs ``<renders_dir>/<model>/<elevation>/<azimuth>.png``.

Source ``authors_renders`` (Aubry et al.'s "Seeing 3D Chairs" renders are the public set closest to the authors'
data): the layout is checked and ordered (:func:`scan_authors_renders`), every image read on white, padded square
and resized (:func:`read_render`), and the models written into the same stores as the rendered sources.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from drnet.data.chairs.stores import BACKGROUND, Rendered, split_models, view_azimuths, write_stores
from drnet.data.parallel import ordered_map
from drnet.data.raw import read_manifest
from drnet.errors import DrnetError
from drnet.io import file_digest, is_temp_name
from drnet.params import ChairsData

PNG_SUFFIXES = (".png",)
# Order of the azimuth images inside one elevation folder:
#   1. a tag ``_t<number>`` in the file stem (``image_012_p020_t030_r096.png``) is the azimuth in degrees;
#   2. otherwise the last run of digits in the stem (``image_012.png``, ``view-7.png``, ``012.png``) is the order,
#      and the azimuths are taken as evenly spaced, 360 * k / n degrees for the k-th file.
# The elevation of a folder is its ``_p<number>`` tag, else the last number in its name (``20``, ``elev_20``,
# ``p020``), else its rank among the model's elevation folders. Images directly in the model folder whose stems
# carry ``_p<number>`` tags (the flat layout of the "Seeing 3D chairs" renders) are grouped by that tag.
AZIMUTH_TAG = re.compile(r"_t(\d+(?:\.\d+)?)")
ELEVATION_TAG = re.compile(r"_p(\d+(?:\.\d+)?)")
LAST_NUMBER = re.compile(r"(\d+(?:\.\d+)?)(?!.*\d)")


def _order_key(path: Path) -> tuple[float, bool]:
    """(sort key, whether it is an azimuth in degrees) of one render file; DrnetError if it has no digits."""
    match = AZIMUTH_TAG.search(path.stem)
    if match:
        return float(match.group(1)), True
    match = LAST_NUMBER.search(path.stem)
    if not match:
        raise DrnetError(f"{path}: no number in the file name to order the azimuths by (expected e.g. image_012.png "
                         f"or ..._t030...png); rename it or remove it")
    return float(match.group(1)), False


def _elevation_groups(model_dir: Path) -> dict[str, tuple[Path, list[Path]]]:
    """The model's render files grouped by elevation folder (or ``_p<elev>`` tag): name -> (folder, files)."""
    groups: dict[str, tuple[Path, list[Path]]] = {}
    for path in sorted(model_dir.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in PNG_SUFFIXES or is_temp_name(path.name):
            continue
        tag = ELEVATION_TAG.search(path.stem)
        if tag:
            key = f"{path.parent.relative_to(model_dir).as_posix()}:p{tag.group(1)}"
        elif path.parent != model_dir:
            key = path.parent.relative_to(model_dir).as_posix()
        else:
            raise DrnetError(f"{path} is directly in the model folder and its name has no _p<elevation> tag; put "
                             f"the renders of each elevation in their own folder (<model>/<elevation>/<azimuth>.png)")
        groups.setdefault(key, (path.parent, []))[1].append(path)
    return groups


def _elevation_value(key: str) -> float | None:
    key = key.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    match = ELEVATION_TAG.search("_" + key) or LAST_NUMBER.search(key)
    return float(match.group(1)) if match else None


@dataclass(frozen=True)
class RenderedModel:
    """One model of an authors' render folder: its elevations, each with its files in azimuth order."""

    name: str
    elevations: tuple[float, ...]
    files: tuple[tuple[Path, ...], ...]
    azimuths: tuple[tuple[float, ...], ...]


def scan_authors_renders(renders_dir: str | os.PathLike, n_azimuths: int) -> list[RenderedModel]:
    """Check and order the layout ``<renders_dir>/<model>/<elevation>/<azimuth>.png``; models sorted by name.

    Every elevation folder must hold exactly ``n_azimuths`` images with distinct order numbers and every model the
    same number of elevations, else a one-line DrnetError names the folder.
    """
    renders_dir = Path(renders_dir)
    if not renders_dir.is_dir():
        raise DrnetError(f"renders folder {renders_dir} not found; extract the chair renders there or set "
                         f"chairs.data.renders_dir")
    model_dirs = sorted((p for p in renders_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
                        key=lambda p: p.name)
    if not model_dirs:
        raise DrnetError(f"no model folders in {renders_dir}; expected <model>/<elevation>/<azimuth>.png")
    models = []
    for model_dir in model_dirs:
        groups = _elevation_groups(model_dir)
        if not groups:
            raise DrnetError(f"{model_dir} holds no PNG renders; remove the folder or add its renders")
        values = {key: _elevation_value(key) for key in groups}
        ranked = sorted(groups, key=lambda k: (values[k] is None, values[k] or 0.0, k))
        elevations, files, azimuths = [], [], []
        for rank, key in enumerate(ranked):
            where, paths = groups[key]
            if len(paths) != n_azimuths:
                raise DrnetError(f"{where} holds {len(paths)} renders, expected chairs.data.azimuths={n_azimuths}; "
                                 f"complete the folder or set chairs.data.azimuths")
            keyed = sorted((_order_key(p), p) for p in paths)
            orders = [k for (k, _), _ in keyed]
            if len(set(orders)) != len(orders):
                dup = next(p for (k, _), p in keyed if orders.count(k) > 1)
                raise DrnetError(f"{where}: two renders share the order number of {dup.name}; rename or remove one")
            tagged = keyed[0][0][1]
            if any(t != tagged for (_, t), _ in keyed):
                raise DrnetError(f"{where}: some render names carry a _t<azimuth> tag and some do not; use one "
                                 f"naming scheme per folder")
            elevations.append(values[key] if values[key] is not None else float(rank))
            files.append(tuple(p for _, p in keyed))
            azimuths.append(tuple(orders) if tagged else tuple(float(a) for a in view_azimuths(n_azimuths)))
        models.append(RenderedModel(model_dir.name, tuple(elevations), tuple(files), tuple(azimuths)))
    counts = {len(m.elevations) for m in models}
    if len(counts) > 1:
        first = models[0]
        odd = next(m for m in models if len(m.elevations) != len(first.elevations))
        raise DrnetError(f"{renders_dir / odd.name} has {len(odd.elevations)} elevation folders but "
                         f"{renders_dir / first.name} has {len(first.elevations)}; every model needs the same views")
    return models


MAX_RENDER_SIDE = 4096  # the authors' renders are 600x600; a larger PNG is refused before it is decoded
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, read without decoding; DrnetError if it is not a PNG."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError as exc:
        raise DrnetError(f"cannot read image {path}: {exc.strerror}; replace or remove it") from None
    if len(head) < 24 or not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
        raise DrnetError(f"cannot read image {path}; it is corrupt or not a PNG: replace or remove it")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def read_render(path: Path, size: int) -> np.ndarray:
    """One render as uint8 RGB [size, size, 3]: alpha composited on white, padded square with white, area-resized.

    The PNG header's size is checked first: an image larger than MAX_RENDER_SIDE a side, or empty, is refused
    in one line before any pixel is decoded.
    """
    width, height = png_size(path)
    if not 0 < width <= MAX_RENDER_SIDE or not 0 < height <= MAX_RENDER_SIDE:
        raise DrnetError(f"image {path} is {width}x{height} pixels; renders must be 1..{MAX_RENDER_SIDE} a side (the "
                         f"authors' are 600x600): replace or remove it")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise DrnetError(f"cannot read image {path}; it is corrupt or not a PNG: replace or remove it")
    if image.dtype == np.uint16:
        image = (image // 257).astype(np.uint8)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        image = (image[:, :, :3] * alpha + np.array(BACKGROUND, np.float32) * (1 - alpha)).round().astype(np.uint8)
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    h, w = image.shape[:2]
    if h != w:
        side = max(h, w)
        top, left = (side - h) // 2, (side - w) // 2
        image = cv2.copyMakeBorder(image, top, side - h - top, left, side - w - left, cv2.BORDER_CONSTANT,
                                   value=BACKGROUND)
    if image.shape[0] != size:
        interp = cv2.INTER_AREA if image.shape[0] > size else cv2.INTER_LINEAR
        image = cv2.resize(image, (size, size), interpolation=interp)
    return np.ascontiguousarray(image)


def _model_digest(model: RenderedModel, root: Path) -> str:
    """sha256 over the sorted lines '<relative path> <sha256 of the file>' of one model's renders."""
    lines = sorted(f"{p.relative_to(root).as_posix()} {file_digest(p)}" for group in model.files for p in group)
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def import_authors_renders(renders_dir: str | os.PathLike, train_out: str | os.PathLike, test_out: str | os.PathLike,
                           data_cfg: ChairsData, threads: int = 1) -> dict[str, Any]:
    """Read the authors' chair renders (see :func:`scan_authors_renders`) into the train and test stores.

    raw_checksums holds one digest per model (see ``_model_digest``): a per-file list of ~86k renders would
    make the store's attributes megabytes long. Returns a summary with ``read_ms_per_frame``.
    """
    renders_dir = Path(renders_dir)
    models = scan_authors_renders(renders_dir, data_cfg.azimuths)
    names = [m.name for m in models]
    train, test = split_models(names, data_cfg.test_fraction, data_cfg.seed)
    split_of = {**{n: "train" for n in train}, **{n: "test" for n in test}}
    index_of = {n: i for i, n in enumerate(names)}
    size = data_cfg.image_size
    manifest = read_manifest(renders_dir)
    synthetic = bool(manifest.get("synthetic", False))

    def read_model(model: RenderedModel) -> Rendered:
        t0 = time.perf_counter()
        videos = [(elevation, np.stack([read_render(p, size) for p in paths]), np.asarray(az, dtype=np.float64))
                  for elevation, paths, az in zip(model.elevations, model.files, model.azimuths)]
        return Rendered(model.name, videos, time.perf_counter() - t0, sum(len(p) for p in model.files))

    with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        checksums = dict(zip(names, pool.map(lambda m: _model_digest(m, renders_dir), models)))
    attrs = {"params": data_cfg.model_dump(), "train_models": train, "test_models": test}

    def results(stack: ExitStack) -> Iterator[Rendered]:
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=max(threads, 1)))
        yield from ordered_map(pool, read_model, models, window=2 * max(threads, 1))

    summary = write_stores(results, train_out, test_out, size, "authors_renders", synthetic, checksums, attrs,
                            split_of, index_of, len(models), "chairs import")
    summary["read_ms_per_frame"] = summary.pop("render_ms_per_frame")
    summary.update({"renders_dir": str(renders_dir), "models": len(models), "train_models": len(train),
                    "test_models": len(test), "threads": threads})
    return summary
