"""A synthetic small-NORB source: the six raw files, in the official format, of rendered procedural objects.

Five categories of objects built from the mesh kit (:mod:`drnet.data.primitives`), proportions and grey levels
varied per instance, rendered offscreen (:mod:`drnet.data.render`) at every azimuth, elevation and lighting by
two cameras, and written as ``.mat`` files that go through exactly the same parse and build code as the official
ones. Sizes come from ``norb.synthetic`` (instances, elevations, lightings, seed).
"""

from __future__ import annotations

import logging
import math
import os
import time
from pathlib import Path

import cv2
import numpy as np
import trimesh

from drnet.data.norb.files import AZIMUTHS, CATEGORIES, NORB_FILES, OFFICIAL_INSTANCES, norb_file
from drnet.data.norb.format import header_bytes, write_matrix
from drnet.data.primitives import ball, box, rgba, rod
from drnet.data.raw import MANIFEST_FILE
from drnet.data.render import Renderer, normalize_mesh
from drnet.io import atomic_dir, atomic_write_json, file_digest, refuse_foreign
from drnet.params import NorbSynthetic

log = logging.getLogger(__name__)

# The generator's name recorded in manifest.json: the module's name before the data sources were split (issue 12),
# kept so that synthetic raw folders stay byte-identical.
GENERATOR = "drnet.data.norb"
LIGHTS = (  # (direction, intensity, ambient) per lighting index
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


def category_mesh(category: int, rng: np.random.Generator) -> trimesh.Trimesh:
    """A procedural mesh of one NORB category (y up, x forward), proportions drawn from ``rng``; normalized."""
    u = rng.uniform
    grey = np.array([u(0.45, 0.95)] * 3) * np.array([1.0, u(0.9, 1.1), u(0.85, 1.05)])
    base, dark, light = rgba(grey), rgba(grey * 0.6), rgba(np.clip(grey * 1.25, 0, 1))
    name = CATEGORIES[category]
    parts = []
    if name == "animal":  # quadruped: body, neck + head, four legs, tail
        length, radius, leg = u(1.2, 2.0), u(0.22, 0.38), u(0.35, 0.8)
        parts.append(rod(radius, length, (0, leg + radius, 0), (1, 0, 0), base, capsule=True))
        neck_up = u(0.1, 0.5)
        head = (length / 2 + u(0.05, 0.25), leg + radius + neck_up, 0)
        parts.append(rod(radius * 0.45, neck_up + 0.3, (length / 2 - 0.05, leg + radius + neck_up / 2, 0),
                         (0.5, 1, 0), base))
        parts.append(ball(radius * u(0.8, 1.2), head, light))
        for sx in (-1, 1):
            for sz in (-1, 1):
                parts.append(rod(radius * 0.3, leg + radius / 2, (sx * (length / 2 - radius * 0.6),
                                                                  (leg + radius / 2) / 2, sz * radius * 0.6),
                                 (0, 1, 0), dark))
        tail = u(0.3, 0.8)
        parts.append(rod(radius * 0.15, tail, (-length / 2 - tail * 0.35, leg + radius * 1.2, 0),
                         (-1, u(0.3, 1.2), 0), dark))
    elif name == "human":  # torso, head, arms, legs
        leg, torso, width = u(0.8, 1.1), u(0.6, 0.9), u(0.35, 0.55)
        spread = u(0.0, 0.5)
        parts.append(box((width * 0.5, torso, width), (0, leg + torso / 2, 0), base))
        parts.append(ball(u(0.14, 0.2), (0, leg + torso + 0.2, 0), light))
        for s in (-1, 1):
            parts.append(rod(0.06, leg, (0, leg / 2, s * width * 0.25), (0, 1, s * spread * 0.3), dark))
            arm, angle = torso * u(0.9, 1.2), u(0.1, 1.2)  # arm raised sideways by ``angle`` radians
            direction = np.array([0.0, -math.cos(angle), s * math.sin(angle)])
            shoulder = np.array([0.0, leg + torso * 0.95, s * (width / 2 + 0.05)])
            parts.append(rod(0.05, arm, shoulder + direction * arm / 2, direction, light))
    elif name == "airplane":  # fuselage, wings, tailplane, fin
        length, radius, span = u(1.6, 2.4), u(0.1, 0.18), u(1.4, 2.4)
        sweep = u(-0.2, 0.3)
        parts.append(rod(radius, length, (0, 0, 0), (1, 0, 0), base, capsule=True))
        parts.append(box((u(0.25, 0.45), 0.04, span), (sweep * 0.5, 0, 0), light))
        parts.append(box((0.2, 0.03, span * u(0.3, 0.45)), (-length / 2 + 0.12, 0, 0), light))
        fin = u(0.2, 0.45)
        parts.append(box((0.25, fin, 0.03), (-length / 2 + 0.15, fin / 2 + radius * 0.5, 0), dark))
    elif name in ("truck", "car"):
        wheel_r = u(0.14, 0.22)
        if name == "truck":  # cab, cargo box, six wheels
            width, cab_len, box_len = u(0.7, 0.9), u(0.45, 0.7), u(1.0, 1.8)
            box_h = u(0.6, 1.0)
            parts.append(box((cab_len, u(0.55, 0.8), width), (box_len / 2 + cab_len / 2 + 0.05, wheel_r + 0.33, 0),
                             light))
            parts.append(box((box_len, box_h, width * 1.05), (0, wheel_r + 0.05 + box_h / 2, 0), base))
            xs = (box_len / 2 + cab_len / 2, -box_len / 2 + wheel_r * 1.2, -box_len / 2 + wheel_r * 3.4)
        else:  # body, cabin, four wheels
            width, length = u(0.6, 0.8), u(1.3, 1.9)
            body_h = u(0.2, 0.35)
            parts.append(box((length, body_h, width), (0, wheel_r + body_h / 2, 0), base))
            cabin = length * u(0.35, 0.6)
            parts.append(box((cabin, u(0.18, 0.3), width * 0.85), (u(-0.2, 0.1), wheel_r + body_h + 0.1, 0), light))
            xs = (length / 2 - wheel_r * 1.5, -length / 2 + wheel_r * 1.5)
        for x in xs:
            for s in (-1, 1):
                parts.append(rod(wheel_r, 0.12, (x, wheel_r, s * width / 2), (0, 0, 1), rgba(grey * 0.6 * 0.5)))
    else:  # pragma: no cover - CATEGORIES is fixed
        raise ValueError(category)
    mesh = trimesh.util.concatenate(parts)
    # a small random yaw so that azimuth 0 differs a little between instances, as in the real turntable photos
    mesh.apply_transform(trimesh.transformations.rotation_matrix(math.radians(u(-15, 15)), [0, 1, 0]))
    return normalize_mesh(mesh)


def write_synthetic_norb(out_dir: str | os.PathLike, cfg: NorbSynthetic, size: int = 96) -> dict:
    """Write the six small-NORB ``.mat`` files (official binary format) from rendered procedural objects.

    ``cfg.instances`` instances of each of the five categories, 18 azimuths (0..340 step 20), ``cfg.elevations``
    elevation indices (30 + 5e degrees) and ``cfg.lightings`` lightings, two cameras (camera 1 shifted by 5
    degrees of azimuth), ``size`` x ``size`` grey. Rows are written in a seeded (``cfg.seed``) shuffled order,
    like the official files which are not sorted by azimuth. The folder is built next to ``out_dir`` and renamed
    onto it when complete; an existing ``out_dir`` holding anything this writer did not put there is refused.
    Returns the manifest.
    """
    elevations, lightings, seed = cfg.elevations, cfg.lightings, cfg.seed
    out_dir = Path(out_dir)
    refuse_foreign(out_dir)  # before any work; atomic_dir checks again
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
            header = header_bytes(0x1E3D4C55, (n, 2, size, size))
            with open(dat_path, "wb") as f:
                f.write(header)
                f.truncate(len(header) + n * 2 * size * size)
            dat = np.memmap(dat_path, dtype=np.uint8, mode="r+", offset=len(header), shape=(n, 2, size, size))
            where = {row: k for k, row in enumerate(rows)}
            for light in range(lightings):
                direction, intensity, ambient = LIGHTS[light]
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
        manifest = {"dataset": "norb", "synthetic": True, "generator": GENERATOR, "params": cfg.model_dump(),
                    "elevations": elevations, "lightings": lightings, "seed": seed, "image_size": size,
                    "instances": split_of, "categories": list(CATEGORIES), "files": dict(sorted(files.items()))}
        atomic_write_json(tmp / MANIFEST_FILE, manifest)
    log.info("wrote synthetic small-NORB files (%d categories x %d instances x %d elevations x %d lightings x %d "
             "azimuths x 2 cameras) to %s in %.1f s", len(CATEGORIES), cfg.instances, elevations, lightings,
             AZIMUTHS, out_dir, time.perf_counter() - start)
    return manifest
