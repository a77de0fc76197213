"""The offscreen renderer: deterministic pixels, the object where it should be, one-line errors for bad meshes."""

import numpy as np
import pytest
import trimesh

from drnet.data.render import Renderer, available, load_mesh, normalize_mesh
from drnet.errors import DrnetError

OK, WHY = available()
needs_gl = pytest.mark.skipif(not OK, reason=f"no EGL OpenGL context: {WHY} (run tools/ensure-egl.sh)")


def _object() -> trimesh.Trimesh:
    body = trimesh.creation.box((1.0, 0.4, 0.3))
    body.visual.face_colors = [220, 40, 40, 255]
    mast = trimesh.creation.box((0.1, 0.8, 0.1))
    mast.apply_translation((0.4, 0.5, 0.0))
    mast.visual.face_colors = [40, 40, 220, 255]
    return normalize_mesh(trimesh.util.concatenate([body, mast]))


def test_normalize_mesh_fits_unit_sphere():
    mesh = trimesh.creation.box((4.0, 2.0, 1.0))
    mesh.apply_translation((10.0, -3.0, 2.0))
    out = normalize_mesh(mesh)
    assert np.allclose(out.bounds.mean(axis=0), 0.0, atol=1e-9)
    assert np.isclose(np.linalg.norm(out.vertices, axis=1).max(), 1.0)


@needs_gl
def test_render_is_deterministic_with_object_on_background():
    mesh = _object()
    with Renderer(size=64, background=(255, 255, 255)) as r:
        a = r.render(mesh, azimuth_deg=30, elevation_deg=20)
        b = r.render(mesh, azimuth_deg=30, elevation_deg=20)
        c = r.render(mesh, azimuth_deg=120, elevation_deg=20)
    assert a.shape == (64, 64, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    corners = np.stack([a[0, 0], a[0, -1], a[-1, 0], a[-1, -1]])
    assert (corners == 255).all(), "background outside the object"
    obj = (a != 255).any(axis=2)
    assert 0.05 < obj.mean() < 0.9, "object covers part of the frame"
    ys, xs = np.nonzero(obj)
    assert abs(ys.mean() - 31.5) < 12 and abs(xs.mean() - 31.5) < 12, "object roughly centred"
    red = (a[..., 0] > 120) & (a[..., 2] < 80)
    assert red.sum() > 20, "face colours reach the image"


@needs_gl
def test_load_mesh_round_trip_keeps_colours(tmp_path):
    path = tmp_path / "thing.ply"
    _object().export(path)
    mesh = load_mesh(path)
    assert len(mesh.faces) == len(_object().faces)
    with Renderer(size=32) as r:
        img = r.render(normalize_mesh(mesh), 0, 30)
    assert (img[..., 0] > 100).any()


def test_load_mesh_refuses_garbage(tmp_path):
    bad = tmp_path / "broken.obj"
    bad.write_text("this is not a mesh\n")
    with pytest.raises(DrnetError, match="broken.obj"):
        load_mesh(bad)
