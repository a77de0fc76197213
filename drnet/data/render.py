"""Offscreen mesh renderer: OpenGL 3.3 through moderngl over EGL (Mesa's llvmpipe on a CPU-only machine).

Used by the sources that render meshes: the chairs (:mod:`drnet.data.chairs.render`: any folder of OBJ/GLB/PLY/STL
meshes, e.g. ShapeNet or SUNCG chairs, or the procedural ones) and the synthetic NORB-format objects
(:mod:`drnet.data.norb.synthetic`); both build their procedural meshes from :mod:`drnet.data.primitives`.
One fixed directional light plus ambient, flat (per-face) shading, a perspective camera on a sphere around the
object at a distance that fits the object's bounding sphere, 4x multisampling.

>>> with Renderer(size=64) as r:
...     rgb = r.render(normalize_mesh(mesh), azimuth_deg=30, elevation_deg=20)     # uint8 [64, 64, 3]

Deterministic: the same mesh, pose and settings give the same pixels on the same machine and Mesa version.
Needs an EGL driver: on Debian/Ubuntu the packages libegl1, libegl-mesa0 and libgl1-mesa-dri (``make setup``
installs them when it runs as root).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import trimesh

from drnet.errors import DrnetError

MESH_SUFFIXES = (".obj", ".glb", ".gltf", ".ply", ".stl", ".off")

_VERTEX = """
#version 330
uniform mat4 mvp;
in vec3 in_position;
in vec3 in_normal;
in vec3 in_color;
out vec3 v_normal;
out vec3 v_color;
void main() {
    gl_Position = mvp * vec4(in_position, 1.0);
    v_normal = in_normal;
    v_color = in_color;
}
"""

_FRAGMENT = """
#version 330
uniform vec3 light_dir;
uniform vec3 view_dir;
uniform float light_intensity;
uniform float ambient;
in vec3 v_normal;
in vec3 v_color;
out vec4 f_color;
void main() {
    vec3 n = normalize(v_normal);
    if (dot(n, view_dir) < 0.0) n = -n;   // two-sided: meshes from the wild are not consistently oriented
    float diffuse = max(dot(n, normalize(light_dir)), 0.0);
    f_color = vec4(clamp(v_color * (ambient + light_intensity * diffuse), 0.0, 1.0), 1.0);
}
"""


@functools.cache
def available() -> tuple[bool, str]:
    """(True, renderer name) when an EGL OpenGL 3.3 context can be created here, else (False, why)."""
    try:
        import moderngl

        ctx = moderngl.create_context(standalone=True, backend="egl")
        name = ctx.info.get("GL_RENDERER", "unknown")
        ctx.release()
        return True, str(name)
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot render here"
        return False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def normalize_mesh(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """A copy centred at its bounding-box centre and scaled so its bounding sphere (about that centre) has radius 1."""
    out = mesh.copy()
    centre = out.bounds.mean(axis=0)
    out.apply_translation(-centre)
    radius = float(np.linalg.norm(out.vertices, axis=1).max())
    if not np.isfinite(radius) or radius <= 0:
        raise DrnetError("mesh is empty or degenerate (zero size); check the mesh file")
    out.apply_scale(1.0 / radius)
    return out


def load_mesh(path: str | os.PathLike) -> trimesh.Trimesh:
    """Load a mesh file (OBJ/GLB/GLTF/PLY/STL/OFF; scenes are concatenated) as one coloured triangle mesh."""
    path = Path(path)
    try:
        loaded = trimesh.load(path, force="mesh", process=False)
    except Exception as exc:  # noqa: BLE001 - trimesh raises many types for bad files
        raise DrnetError(f"cannot read mesh {path}: {type(exc).__name__}: {exc}; check or remove the file") from exc
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise DrnetError(f"{path} holds no triangles; check or remove the file")
    if loaded.visual.kind == "texture":
        loaded.visual = loaded.visual.to_color()
    return loaded


def _rgb_per_corner(mesh: trimesh.Trimesh) -> np.ndarray:
    """float32 [F*3, 3] colour of each triangle corner in [0, 1] (grey when the mesh has none)."""
    visual = mesh.visual
    kind = getattr(visual, "kind", None)
    if kind == "vertex":
        rgb = np.asarray(visual.vertex_colors)[:, :3][mesh.faces].reshape(-1, 3)
    elif kind == "face":
        rgb = np.repeat(np.asarray(visual.face_colors)[:, :3], 3, axis=0)
    else:
        rgb = np.full((len(mesh.faces) * 3, 3), 180, dtype=np.uint8)
    return rgb.astype(np.float32) / 255.0


def _look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray:
    f = target - eye
    f = f / np.linalg.norm(f)
    s = np.cross(f, up)
    if np.linalg.norm(s) < 1e-8:  # looking straight up/down
        s = np.cross(f, np.array([0.0, 0.0, 1.0]))
    s = s / np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m


def _perspective(fov_deg: float, near: float, far: float) -> np.ndarray:
    f = 1.0 / math.tan(math.radians(fov_deg) / 2)
    m = np.zeros((4, 4))
    m[0, 0] = m[1, 1] = f
    m[2, 2] = (far + near) / (near - far)
    m[2, 3] = 2 * far * near / (near - far)
    m[3, 2] = -1.0
    return m


def camera_position(azimuth_deg: float, elevation_deg: float, distance: float) -> np.ndarray:
    """Camera on a sphere around the origin, y up; azimuth 0 looks along -z, increasing counter-clockwise."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    return distance * np.array([math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)])


class Renderer:
    """Offscreen renderer of coloured triangle meshes; one GL context, reused for every frame."""

    def __init__(self, size: int = 64, *, fov_deg: float = 30.0, margin: float = 1.05,
                 light_dir: Sequence[float] = (0.4, 0.8, 0.6), light_intensity: float = 0.75, ambient: float = 0.35,
                 background: Sequence[int] = (0, 0, 0), samples: int = 4):
        ok, why = available()
        if not ok:
            raise DrnetError(f"no OpenGL context over EGL ({why}); install libegl1 libegl-mesa0 libgl1-mesa-dri "
                             f"(apt-get) or run `make setup` as root")
        import moderngl

        self.size = int(size)
        self.fov_deg = float(fov_deg)
        # distance at which a unit sphere fills the view (with a small margin)
        self.distance = margin / math.sin(math.radians(fov_deg) / 2)
        self.light_dir = np.asarray(light_dir, dtype=np.float32)
        self.light_intensity = float(light_intensity)
        self.ambient = float(ambient)
        self.background = tuple(float(c) / 255.0 for c in background)
        self.ctx = moderngl.create_context(standalone=True, backend="egl")
        self.prog = self.ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
        shape = (self.size, self.size)
        samples = min(samples, self.ctx.max_samples)
        self._msaa = self.ctx.framebuffer(color_attachments=[self.ctx.renderbuffer(shape, 4, samples=samples)],
                                          depth_attachment=self.ctx.depth_renderbuffer(shape, samples=samples))
        self._resolve = self.ctx.framebuffer(color_attachments=[self.ctx.renderbuffer(shape, 4)])
        self._cache: tuple[trimesh.Trimesh, object, object] | None = None

    def _vao(self, mesh: trimesh.Trimesh):
        if self._cache is not None and self._cache[0] is mesh:  # holds the mesh, so identity cannot be reused
            return self._cache[2]
        if self._cache is not None:
            self._cache[1].release()
            self._cache[2].release()
        corners = np.asarray(mesh.vertices, dtype=np.float32)[mesh.faces].reshape(-1, 3)
        normals = np.repeat(np.asarray(mesh.face_normals, dtype=np.float32), 3, axis=0)
        data = np.hstack([corners, normals, _rgb_per_corner(mesh)]).astype("f4")
        vbo = self.ctx.buffer(data.tobytes())
        vao = self.ctx.vertex_array(self.prog, [(vbo, "3f 3f 3f", "in_position", "in_normal", "in_color")])
        self._cache = (mesh, vbo, vao)
        return vao

    def render(self, mesh: trimesh.Trimesh, azimuth_deg: float, elevation_deg: float) -> np.ndarray:
        """uint8 [size, size, 3] image of ``mesh`` (expected normalized to the unit sphere) from the given view."""
        eye = camera_position(azimuth_deg, elevation_deg, self.distance)
        view = _look_at(eye, np.zeros(3), np.array([0.0, 1.0, 0.0]))
        proj = _perspective(self.fov_deg, max(self.distance - 1.5, 0.05), self.distance + 1.5)
        mvp = (proj @ view).astype("f4")
        self.prog["mvp"].write(mvp.T.copy().tobytes())  # GLSL matrices are column-major
        self.prog["light_dir"].value = tuple(float(v) for v in self.light_dir)
        self.prog["view_dir"].value = tuple(float(v) for v in eye / np.linalg.norm(eye))
        self.prog["light_intensity"].value = self.light_intensity
        self.prog["ambient"].value = self.ambient
        vao = self._vao(mesh)
        self._msaa.use()
        self.ctx.enable(self.ctx.DEPTH_TEST)
        self._msaa.clear(*self.background, 1.0, depth=1.0)
        vao.render()
        self.ctx.copy_framebuffer(self._resolve, self._msaa)
        raw = self._resolve.read(components=3, alignment=1)
        image = np.frombuffer(raw, dtype=np.uint8).reshape(self.size, self.size, 3)
        return np.ascontiguousarray(image[::-1])  # GL's origin is bottom-left

    def close(self) -> None:
        if self._cache is not None:
            self._cache[1].release()
            self._cache[2].release()
            self._cache = None
        self.ctx.release()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
