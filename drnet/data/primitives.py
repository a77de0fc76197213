"""The kit of coloured mesh primitives the procedural sources build from (NORB's objects, the chairs).

Every part is a closed trimesh solid with one face colour (uint8 RGBA): boxes, cylinders placed between two points
or by centre and axis, capsules and balls. A source concatenates its parts (``trimesh.util.concatenate``) and the
renderer (:mod:`drnet.data.render`) shades them per face.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import trimesh


def rgba(rgb: Sequence[float] | np.ndarray) -> np.ndarray:
    """Opaque uint8 RGBA [4] of a float RGB in [0, 1] (clipped)."""
    return np.array([*(np.clip(rgb, 0, 1) * 255).astype(np.uint8), 255], dtype=np.uint8)


def paint(mesh: trimesh.Trimesh, colour: np.ndarray) -> trimesh.Trimesh:
    """Give every face of ``mesh`` the uint8 RGBA ``colour`` (in place); returns ``mesh``."""
    mesh.visual.face_colors = np.tile(colour, (len(mesh.faces), 1))
    return mesh


def box(extents: Sequence[float], centre: Sequence[float], colour: np.ndarray, *, tilt_x_deg: float = 0.0,
        pivot: Sequence[float] | None = None) -> trimesh.Trimesh:
    """A box of ``extents`` at ``centre``, optionally tilted about the x axis through ``pivot`` (default: centre)."""
    part = trimesh.creation.box(extents=extents)
    part.apply_translation(centre)
    if tilt_x_deg:
        part.apply_transform(trimesh.transformations.rotation_matrix(
            math.radians(tilt_x_deg), [1, 0, 0], point=pivot if pivot is not None else centre))
    return paint(part, colour)


def cylinder(radius: float, p0: Sequence[float], p1: Sequence[float], colour: np.ndarray,
             sections: int = 12) -> trimesh.Trimesh:
    """A cylinder from point ``p0`` to point ``p1``."""
    part = trimesh.creation.cylinder(radius=radius, segment=np.array([p0, p1], dtype=float), sections=sections)
    return paint(part, colour)


def rod(radius: float, length: float, centre: Sequence[float], axis: Sequence[float], colour: np.ndarray, *,
        capsule: bool = False, sections: int = 16) -> trimesh.Trimesh:
    """A cylinder (or capsule) of ``length`` along ``axis`` (a 3-vector, any length) centred at ``centre``."""
    axis = np.asarray(axis, dtype=float)
    axis = axis / np.linalg.norm(axis)
    if capsule:
        part = trimesh.creation.capsule(height=max(length - 2 * radius, 1e-3), radius=radius, count=[12, 12])
        part.apply_translation(-part.bounds.mean(axis=0))
    else:
        part = trimesh.creation.cylinder(radius=radius, height=length, sections=sections)
    part.apply_transform(trimesh.geometry.align_vectors([0, 0, 1], axis))
    part.apply_translation(centre)
    return paint(part, colour)


def ball(radius: float, centre: Sequence[float], colour: np.ndarray) -> trimesh.Trimesh:
    """A sphere (icosphere, 2 subdivisions)."""
    part = trimesh.creation.icosphere(subdivisions=2, radius=radius)
    part.apply_translation(centre)
    return paint(part, colour)
