"""Chairs from meshes: render every mesh of a folder at fixed views into the train and test stores.

Sources ``procedural`` (the folder :mod:`drnet.data.chairs.procedural` writes, checked against its manifest) and
``meshes`` (any folder of OBJ/GLB/GLTF/PLY/STL/OFF meshes: ShapeNet, SUNCG chairs, ...), rendered offscreen by
:mod:`drnet.data.render` with a fixed light on white, the camera distance fitted to the mesh's bounding sphere.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from drnet.data.chairs.stores import BACKGROUND, Rendered, split_models, view_azimuths, write_stores
from drnet.data.parallel import ordered_map
from drnet.data.raw import MANIFEST_FILE, read_manifest
from drnet.data.render import MESH_SUFFIXES, Renderer, load_mesh, normalize_mesh
from drnet.errors import DrnetError
from drnet.io import file_digest, is_temp_name
from drnet.params import ChairsData

# Fixed light for every chair mesh rendered here.
LIGHT_DIR = (0.5, 1.0, 0.8)
LIGHT_INTENSITY = 0.7
AMBIENT = 0.35


def list_meshes(mesh_dir: str | os.PathLike) -> list[Path]:
    """Mesh files directly in ``mesh_dir`` (by suffix, case-insensitive), sorted by name."""
    mesh_dir = Path(mesh_dir)
    if not mesh_dir.is_dir():
        raise DrnetError(f"mesh folder {mesh_dir} not found; run the chairs_meshes stage (procedural) or put "
                         f"mesh files there")
    found = sorted((p for p in mesh_dir.iterdir()
                    if p.is_file() and p.suffix.lower() in MESH_SUFFIXES and not is_temp_name(p.name)),
                   key=lambda p: p.name)  # a killed writer's .tmp-* files are not meshes
    if not found:
        raise DrnetError(f"no mesh files ({'/'.join(s[1:] for s in MESH_SUFFIXES)}) in {mesh_dir}; run the "
                         f"chairs_meshes stage or point chairs.data.mesh_dir at a mesh folder")
    stems = [p.stem for p in found]
    dup = sorted({s for s in stems if stems.count(s) > 1})
    if dup:
        raise DrnetError(f"{mesh_dir} holds several meshes named {dup[0]!r} (different suffixes); keep one")
    return found


_WORKER_RENDERER: Renderer | None = None


def chair_renderer(size: int) -> Renderer:
    """The renderer of every chair view: ``size`` pixels, the fixed light, white background."""
    return Renderer(size=size, light_dir=LIGHT_DIR, light_intensity=LIGHT_INTENSITY, ambient=AMBIENT,
                    background=BACKGROUND)


def render_views(renderer: Renderer, mesh: trimesh.Trimesh, azimuths: Sequence[float],
                 elevations: Sequence[float]) -> tuple[list[tuple[float, np.ndarray, np.ndarray]], float]:
    """Render a normalized mesh at every (elevation, azimuth); return [(elevation, frames, azimuths)], seconds."""
    videos = []
    seconds = 0.0
    for elevation in elevations:
        frames = []
        for azimuth in azimuths:
            t0 = time.perf_counter()
            frames.append(renderer.render(mesh, azimuth_deg=float(azimuth), elevation_deg=float(elevation)))
            seconds += time.perf_counter() - t0
        videos.append((float(elevation), np.stack(frames), np.asarray(azimuths, dtype=np.float64)))
    return videos, seconds


def _render_model(path: Path, size: int, azimuths: Sequence[float], elevations: Sequence[float],
                  renderer: Renderer | None = None) -> Rendered:
    global _WORKER_RENDERER
    if renderer is None:  # in a worker process: one GL context per process, kept for its lifetime
        if _WORKER_RENDERER is None:
            _WORKER_RENDERER = chair_renderer(size)
        renderer = _WORKER_RENDERER
    mesh = load_mesh(path)
    try:
        mesh = normalize_mesh(mesh)
    except DrnetError:
        raise DrnetError(f"mesh {path} is empty or degenerate (zero size); check or remove the file") from None
    videos, seconds = render_views(renderer, mesh, azimuths, elevations)
    return Rendered(path.stem, videos, seconds, len(azimuths) * len(elevations))


def _check_procedural_folder(mesh_dir: Path, manifest: dict, meshes: list[Path], checksums: dict[str, str]) -> None:
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        return
    for path in meshes:
        expected = listed.get(path.name)
        if expected is None:
            raise DrnetError(f"{path} is not listed in {mesh_dir / MANIFEST_FILE}; remove it or re-run the "
                             f"chairs_meshes stage")
        if expected != checksums[path.name]:
            raise DrnetError(f"{path} does not match its checksum in {mesh_dir / MANIFEST_FILE}; re-run the "
                             f"chairs_meshes stage")


def render_mesh_folder(mesh_dir: str | os.PathLike, train_out: str | os.PathLike, test_out: str | os.PathLike,
                       data_cfg: ChairsData, threads: int = 1) -> dict[str, Any]:
    """Render every mesh of ``mesh_dir`` at ``azimuths`` x ``elevations`` into the train and test stores.

    ``threads`` > 1 renders models in that many worker processes (one GL context each); models are written in
    sorted name order, so the stores do not depend on it. Returns a summary with ``render_ms_per_frame`` (time
    spent in the renderer per frame, mean over all frames and workers).
    """
    mesh_dir = Path(mesh_dir)
    meshes = list_meshes(mesh_dir)
    manifest = read_manifest(mesh_dir)
    synthetic = bool(manifest.get("synthetic", False))
    if data_cfg.source == "procedural" and not synthetic:
        raise DrnetError(f"chairs.data.source is 'procedural' but {mesh_dir} has no manifest.json marking procedural "
                         f"meshes; run stages/chairs_meshes.py --out {mesh_dir} or set chairs.data.source: meshes")
    checksums = {p.name: f"sha256:{file_digest(p)}" for p in meshes}
    if synthetic:
        _check_procedural_folder(mesh_dir, manifest, meshes, checksums)
    source = "procedural" if data_cfg.source == "procedural" else "meshes"
    names = [p.stem for p in meshes]
    train, test = split_models(names, data_cfg.test_fraction, data_cfg.seed)
    split_of = {**{n: "train" for n in train}, **{n: "test" for n in test}}
    index_of = {n: i for i, n in enumerate(names)}
    azimuths = view_azimuths(data_cfg.azimuths)
    elevations = [float(e) for e in data_cfg.elevations]
    size = data_cfg.image_size
    attrs = {"params": data_cfg.model_dump(), "train_models": train, "test_models": test,
             "light": {"dir": list(LIGHT_DIR), "intensity": LIGHT_INTENSITY, "ambient": AMBIENT},
             "background": list(BACKGROUND)}

    def results(stack: ExitStack) -> Iterator[Rendered]:
        if threads <= 1:
            renderer = stack.enter_context(chair_renderer(size))
            for path in meshes:
                yield _render_model(path, size, azimuths, elevations, renderer)
        else:
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=threads, mp_context=get_context("spawn")))
            yield from ordered_map(pool, _ModelTask(size, azimuths, elevations), meshes, window=2 * threads)

    summary = write_stores(results, train_out, test_out, size, source, synthetic, checksums, attrs, split_of,
                            index_of, len(meshes), "chairs render")
    summary.update({"mesh_dir": str(mesh_dir), "models": len(meshes), "train_models": len(train),
                    "test_models": len(test), "threads": threads})
    return summary


@dataclass(frozen=True)
class _ModelTask:
    """Picklable task for worker processes."""

    size: int
    azimuths: Sequence[float]
    elevations: Sequence[float]

    def __call__(self, path: Path) -> Rendered:
        return _render_model(path, self.size, self.azimuths, self.elevations)
