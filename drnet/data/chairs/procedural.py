"""Procedural chairs: coloured chair meshes built from the mesh kit, written as a PLY folder with a manifest.

Seat, solid or slatted back, four legs or a pedestal base, optional arms; proportions and part colours drawn
from a seed (:func:`procedural_chair`). :func:`write_procedural_meshes` writes ``chair_XXXX.ply`` plus a
``manifest.json`` marked ``"synthetic": true`` (stage ``chairs_meshes``); the chairs build then renders the
folder like any mesh folder (:mod:`drnet.data.chairs.render`).
"""

from __future__ import annotations

import logging
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from tqdm import tqdm

from drnet.data.primitives import box, cylinder
from drnet.data.raw import MANIFEST_FILE
from drnet.errors import DrnetError
from drnet.io import atomic_path, atomic_write_json, ensure_dir, file_digest, remove_stale_temps

log = logging.getLogger(__name__)

PROCEDURAL_PREFIX = "chair_"
# The generator's name recorded in manifest.json, from before the data sources were split (issue 12): kept so that
# procedural mesh folders stay byte-identical.
GENERATOR = "drnet.data.chairs.procedural_chair"


def _colour(rng: np.random.Generator, palette: str) -> np.ndarray:
    """An RGBA uint8 colour: wood-like browns, fabric colours or metal greys."""
    if palette == "wood":
        base = np.array([150, 100, 60]) * rng.uniform(0.6, 1.3)
    elif palette == "metal":
        base = np.full(3, rng.uniform(90, 200))
    else:
        base = rng.uniform(30, 230, size=3)
    return np.append(np.clip(base + rng.normal(0, 12, size=3), 0, 255), 255).astype(np.uint8)


def procedural_chair(seed: int) -> trimesh.Trimesh:
    """A coloured chair mesh (y up, front towards +z, feet on y=0, units ~ metres), deterministic for ``seed``.

    Parts (each a closed box or cylinder with one face colour): a seat; a back, either a solid panel or 2-5
    vertical slats under a top rail, tilted backwards 0-20 degrees; either four legs (boxes or cylinders, some
    splayed) or a pedestal (column plus a disc or a five-spoke star); armrests on supports in about a third of the
    chairs. Seat width/depth/height/thickness, back height, leg thickness and the part colours vary with the seed.
    """
    rng = np.random.default_rng(seed)
    width, depth = rng.uniform(0.38, 0.62), rng.uniform(0.36, 0.56)
    height, thick = rng.uniform(0.36, 0.52), rng.uniform(0.03, 0.09)
    back_h, back_t, tilt = rng.uniform(0.3, 0.7), rng.uniform(0.02, 0.06), rng.uniform(0.0, 20.0)
    leg_t = rng.uniform(0.025, 0.07)
    base = "pedestal" if rng.random() < 0.2 else "legs"
    leg_shape = "cylinder" if rng.random() < 0.4 else "box"
    back_style = "slats" if rng.random() < 0.35 else "solid"
    arms = rng.random() < 0.35
    frame_palette = "metal" if base == "pedestal" or rng.random() < 0.3 else "wood"
    seat_rgba = _colour(rng, "fabric" if rng.random() < 0.6 else "wood")
    back_rgba = seat_rgba if rng.random() < 0.6 else _colour(rng, "fabric")
    leg_rgba = _colour(rng, frame_palette)
    arm_rgba = leg_rgba if rng.random() < 0.5 else seat_rgba

    parts: list[trimesh.Trimesh] = []
    seat_y = height - thick / 2
    parts.append(box([width, thick, depth], [0, seat_y, 0], seat_rgba))

    # back: rises from the rear edge of the seat, tilted backwards about that edge
    z_back = -depth / 2 + back_t / 2
    pivot = [0, height, z_back]
    if back_style == "solid":
        parts.append(box([width, back_h, back_t], [0, height + back_h / 2, z_back], back_rgba, tilt_x_deg=tilt,
                         pivot=pivot))
    else:
        rail_h = rng.uniform(0.05, 0.12)
        parts.append(box([width, rail_h, back_t], [0, height + back_h - rail_h / 2, z_back], back_rgba,
                         tilt_x_deg=tilt, pivot=pivot))
        n_slats = int(rng.integers(2, 6))
        slat_w = min(rng.uniform(0.025, 0.06), width / (2 * n_slats))
        slat_h = back_h - rail_h
        for x in np.linspace(-width / 2 + slat_w / 2, width / 2 - slat_w / 2, n_slats):
            parts.append(box([slat_w, slat_h, back_t * 0.8], [x, height + slat_h / 2, z_back], back_rgba,
                             tilt_x_deg=tilt, pivot=pivot))

    # base
    floor_top = height - thick
    if base == "legs":
        splay = rng.uniform(0.0, 0.06) if rng.random() < 0.4 else 0.0
        inset = rng.uniform(0.0, 0.04)
        for sx in (-1, 1):
            for sz in (-1, 1):
                top = np.array([sx * (width / 2 - leg_t / 2 - inset), floor_top, sz * (depth / 2 - leg_t / 2 - inset)])
                bottom = top + np.array([sx * splay, -floor_top, sz * splay])
                if leg_shape == "cylinder" or splay:
                    parts.append(cylinder(leg_t / 2, bottom, top, leg_rgba))
                else:
                    parts.append(box([leg_t, floor_top, leg_t], [top[0], floor_top / 2, top[2]], leg_rgba))
        if rng.random() < 0.4:  # stretchers between the legs
            y = rng.uniform(0.08, 0.2) * floor_top / 0.4
            for z in (depth / 2 - inset - leg_t, -depth / 2 + inset + leg_t):
                parts.append(box([width - 2 * inset, leg_t * 0.6, leg_t * 0.6], [0, y, z], leg_rgba))
    else:
        col_r = rng.uniform(0.025, 0.05)
        foot_h = rng.uniform(0.02, 0.05)
        parts.append(cylinder(col_r, [0, foot_h, 0], [0, floor_top, 0], leg_rgba))
        reach = rng.uniform(0.22, 0.32)
        if rng.random() < 0.5:
            parts.append(cylinder(reach, [0, 0, 0], [0, foot_h, 0], leg_rgba, sections=24))
        else:
            for k in range(5):
                angle = 2 * math.pi * k / 5
                spoke = box([0.05, foot_h, reach], [0, foot_h / 2, reach / 2], leg_rgba)
                spoke.apply_transform(trimesh.transformations.rotation_matrix(angle, [0, 1, 0]))
                parts.append(spoke)

    if arms:
        arm_y = height + rng.uniform(0.15, 0.28)
        arm_w, arm_t = rng.uniform(0.04, 0.08), rng.uniform(0.02, 0.05)
        arm_d = depth * rng.uniform(0.7, 1.0)
        for sx in (-1, 1):
            x = sx * (width / 2 - arm_w / 2)
            parts.append(box([arm_w, arm_t, arm_d], [x, arm_y, -depth / 2 + arm_d / 2], arm_rgba))
            sup_h = arm_y - height
            parts.append(box([arm_w * 0.6, sup_h, arm_w * 0.6], [x, height + sup_h / 2, -depth / 2 + arm_d - arm_w],
                             arm_rgba))

    chair = trimesh.util.concatenate(parts)
    chair.apply_translation([0.0, -chair.bounds[0][1], 0.0])  # splayed legs' caps dip below y=0: back on the floor
    return chair


def model_seed(seed: int, index: int) -> int:
    """The seed of procedural model ``index`` of a set generated with ``seed`` (independent streams)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def write_procedural_meshes(out_dir: str | os.PathLike, n_models: int, seed: int) -> dict[str, Any]:
    """Write ``chair_0000.ply`` ... and ``manifest.json`` (``"synthetic": true``, sha256 of every file) to ``out_dir``.

    Stale ``chair_*.ply`` files of an earlier, larger run are removed; the manifest is written last.
    """
    if n_models < 1:
        raise DrnetError(f"need at least one procedural chair model, got {n_models}; "
                         f"raise chairs.data.procedural_models")
    out_dir = ensure_dir(out_dir)
    (out_dir / MANIFEST_FILE).unlink(missing_ok=True)  # the folder is incomplete until the manifest is back
    remove_stale_temps(out_dir, re.compile(rf"^\.tmp-({re.escape(PROCEDURAL_PREFIX)}\d+|manifest)-[a-z0-9_]{{8}}\."
                                           rf"(ply|json)$"))  # debris of a killed run, whatever its model count
    files: dict[str, str] = {}
    models: dict[str, int] = {}
    for index in tqdm(range(n_models), desc="chair meshes", unit="mesh", disable=None):
        name = f"{PROCEDURAL_PREFIX}{index:04d}.ply"
        models[Path(name).stem] = model_seed(seed, index)
        mesh = procedural_chair(models[Path(name).stem])
        with atomic_path(out_dir / name) as tmp:
            mesh.export(tmp, file_type="ply", encoding="binary")
        files[name] = f"sha256:{file_digest(out_dir / name)}"
    for stale in out_dir.glob(f"{PROCEDURAL_PREFIX}*.ply"):
        if stale.name not in files:
            stale.unlink()
    manifest = {"dataset": "chairs", "synthetic": True, "generator": GENERATOR,
                "seed": seed, "n_models": n_models, "model_seeds": models, "files": files}
    atomic_write_json(out_dir / MANIFEST_FILE, manifest)
    log.info("wrote %d procedural chair meshes to %s", n_models, out_dir)
    return manifest
