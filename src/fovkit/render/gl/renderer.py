"""The `Renderer`: one offscreen context per process; per image, draw the object over its background and read back."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import moderngl
import numpy as np
import trimesh

from fovkit.errors import InputError
from fovkit.render.gl.camera import DISTANCE, NEAR_FRACTION, model_matrix, perspective
from fovkit.render.gl.context import build_pipeline, create_context
from fovkit.render.gl.lighting import Lighting, light_color
from fovkit.render.gl.meshes import mesh_arrays


@dataclass(frozen=True)
class RenderResult:
    """One rendered image and what is known about the object in it.

    Attributes:
        image: (H, W, 3) uint8, the object composited over the background, row 0 at the top.
        mask: (H, W) bool, the object's pixels.
        bbox: `(x0, y0, x1, y1)` pixel box of the mask (end-exclusive), or None when the mask is empty.
        visible_fraction: Share of the object's unclipped silhouette that lies inside the frame (1.0 when the
            object lies wholly inside it, 0.0 when wholly outside).
        clipped: Part (or all) of the object's silhouette lies outside the frame.
        blank: No pixel shows the object.

    """

    image: np.ndarray
    mask: np.ndarray
    bbox: tuple[int, int, int, int] | None
    visible_fraction: float
    clipped: bool
    blank: bool


@dataclass
class _MeshBuffers:
    vbo: moderngl.Buffer
    ibo: moderngl.Buffer
    vao: moderngl.VertexArray
    mask_vao: moderngl.VertexArray
    hull: np.ndarray  # (4, K) float64 homogeneous convex-hull points, for the screen box and the clipping test
    closed: bool  # back faces can be culled

    def release(self) -> None:
        self.vao.release()
        self.mask_vao.release()
        self.ibo.release()
        self.vbo.release()


class Renderer:
    """An offscreen OpenGL context that renders meshes over backgrounds; create one per process and reuse it.

    Per image: the background rows the object can reach are uploaded, and only the screen rectangle that the
    object's projected convex hull covers is cleared, drawn (background, then object), resolved and read (colour
    and coverage) straight into preallocated arrays; the rest of the image is the background, copied.

    Use a Renderer from the thread that created it (an OpenGL context is current per thread). Several Renderers
    in one thread work: each makes its context current again when it is used after another.

    Args:
        width: Image width in pixels.
        height: Image height in pixels.
        samples: Multisamples per pixel (anti-aliasing); 1 turns multisampling off.
        fov_deg: Vertical field of view of the camera, degrees.
        lighting: The light rig.
        max_meshes: How many uploaded meshes to keep (least recently used are released first).

    Example:
        >>> with Renderer(224, 224) as renderer:  # doctest: +SKIP
        ...     result = renderer.render("mug/0", mesh, pose=(30, 0, 0), size=0.5, light_hue=40, background=bg)

    """

    _active: moderngl.Context | None = None  # the context a Renderer made current last (one per thread of GL calls)

    def __init__(
        self,
        width: int = 224,
        height: int = 224,
        samples: int = 4,
        *,
        fov_deg: float = 30.0,
        lighting: Lighting | None = None,
        max_meshes: int = 256,
    ) -> None:
        if width < 1 or height < 1:
            raise InputError(f"image size must be positive, got width={width}, height={height}", field="size")
        if samples < 1:
            raise InputError(f"samples must be >= 1, got {samples}", field="samples")
        if not 1.0 <= fov_deg <= 120.0:
            raise InputError(f"fov_deg must lie in [1, 120], got {fov_deg}", field="fov_deg")
        if max_meshes < 1:
            raise InputError(f"max_meshes must be >= 1, got {max_meshes}", field="max_meshes")
        self.width, self.height, self.samples = int(width), int(height), int(samples)
        self.fov_deg = float(fov_deg)
        self.lighting = lighting or Lighting()
        self.max_meshes = int(max_meshes)
        self._meshes: OrderedDict[str, _MeshBuffers] = OrderedDict()
        self._proj = perspective(self.fov_deg, self.width / self.height, NEAR_FRACTION * DISTANCE, 4 * DISTANCE)
        self._frame = np.zeros(32, dtype=np.float32)  # std140 block: mat4 + 4 vec4
        self._rgb = np.empty(self.width * self.height * 3, dtype=np.uint8)
        self._coverage = np.empty(self.width * self.height, dtype=np.uint8)
        self._mask_size = (2 * self.width, 2 * self.height)
        self._mask_buf = np.empty(self._mask_size[0] * self._mask_size[1], dtype=np.uint8)
        self._culling = False
        self.ctx: moderngl.Context | None = create_context()
        Renderer._active = self.ctx  # a new context is current
        try:
            if self.samples > max(1, self.ctx.max_samples):
                raise InputError(
                    f"samples={self.samples} exceeds this device's maximum of {self.ctx.max_samples} "
                    f"({self.ctx.info['GL_RENDERER']}); use samples <= {self.ctx.max_samples}",
                    field="samples",
                )
            self._gl = build_pipeline(
                self.ctx,
                (self.width, self.height),
                self.samples,
                self._mask_size,
                self.lighting,
                self._proj,
                self._frame.nbytes,
            )
        except Exception:
            self.ctx.release()
            Renderer._active = self.ctx = None
            raise

    # Context management -------------------------------------------------------------------------------------------

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Free the meshes and the GL context; the renderer cannot be used afterwards."""
        if self.ctx is None:
            return
        self._context()
        for buffers in self._meshes.values():
            buffers.release()
        self._meshes.clear()
        self.ctx.release()
        Renderer._active = None
        self.ctx = None

    @property
    def shape(self) -> tuple[int, int]:
        """Image shape `(height, width)`, as `background(...)` takes it."""
        return self.height, self.width

    @property
    def info(self) -> dict[str, str]:
        """The GL vendor, renderer and version strings (e.g. to record which device rendered a dataset)."""
        return {key: str(self._context().info[key]) for key in ("GL_VENDOR", "GL_RENDERER", "GL_VERSION")}

    def _context(self) -> moderngl.Context:
        """The GL context, made current if another Renderer's context was used since."""
        if self.ctx is None:
            raise RuntimeError("this Renderer has been released; create a new one")
        if Renderer._active is not self.ctx:
            self.ctx.__enter__()  # eglMakeCurrent; the matching __exit__ is not needed
            Renderer._active = self.ctx
        return self.ctx

    # Meshes -------------------------------------------------------------------------------------------------------

    def upload(self, mesh_key: str, mesh: trimesh.Trimesh) -> None:
        """Upload `mesh` under `mesh_key` unless that key is already cached (keys must identify meshes)."""
        if mesh_key in self._meshes:
            self._meshes.move_to_end(mesh_key)
            return
        ctx = self._context()
        arrays = mesh_arrays(mesh, name=mesh_key)
        vbo, ibo = ctx.buffer(arrays.vertices.tobytes()), ctx.buffer(arrays.indices.tobytes())
        layout = [(vbo, "3f 3f 3f", "in_pos", "in_normal", "in_color")]
        vao = ctx.vertex_array(self._gl.program, layout, index_buffer=ibo, index_element_size=4)
        mask_vao = ctx.vertex_array(
            self._gl.mask_program, [(vbo, "3f 24x", "in_pos")], index_buffer=ibo, index_element_size=4
        )
        self._meshes[mesh_key] = _MeshBuffers(vbo, ibo, vao, mask_vao, arrays.hull, arrays.closed)
        while len(self._meshes) > self.max_meshes:
            self._meshes.popitem(last=False)[1].release()

    def cached_meshes(self) -> list[str]:
        """Keys of the uploaded meshes, least recently used first."""
        return list(self._meshes)

    # Rendering ----------------------------------------------------------------------------------------------------

    def render(
        self,
        mesh_key: str,
        mesh: trimesh.Trimesh,
        *,
        pose: tuple[float, float, float] = (0.0, 0.0, 0.0),
        position: tuple[float, float] = (0.0, 0.0),
        size: float = 0.5,
        light_hue: float | None = None,
        light_intensity: float = 1.0,
        background: np.ndarray,
    ) -> RenderResult:
        """Render `mesh` over `background` with the given factor values (conventions: see the module docstring).

        Args:
            mesh_key: Identifies the mesh in the upload cache; `mesh` is uploaded only the first time a key is seen.
            mesh: The normalised, coloured mesh.
            pose: `(yaw, pitch, roll)` in degrees.
            position: `(x, y)` of the object's centre in frame units, [-1, 1] spans the frame, y up.
            size: Fraction of the frame height covered by the object's largest extent.
            light_hue: Hue of the spot light in degrees (modulo 360), full saturation; None for white.
            light_intensity: Multiplier of the spot light's strength.
            background: (height, width, 3) uint8 image, row 0 at the top.

        Returns:
            The composited image, the object mask and the derived box, visibility and flags.

        """
        ctx = self._context()
        _check_background(background, self.shape)
        if not (math.isfinite(size) and size > 0):
            raise InputError(f"size must be a positive number, got {size}", field="size")
        if len(pose) != 3 or len(position) != 2 or not all(math.isfinite(v) for v in (*pose, *position)):
            raise InputError(
                f"pose must be 3 finite angles (yaw, pitch, roll) and position 2 finite numbers (x, y), "
                f"got pose={pose}, position={position}",
                field="pose",
            )
        self.upload(mesh_key, mesh)
        buffers = self._meshes[mesh_key]
        if buffers.closed != self._culling:  # the background triangle faces the camera, so culling spares it
            (ctx.enable if buffers.closed else ctx.disable)(moderngl.CULL_FACE)
            self._culling = buffers.closed
        model, scale = model_matrix(pose, position, size, self.fov_deg, self.width / self.height)
        u, v = self._project_hull(buffers.hull, model)
        width, height = self.width, self.height
        u_min, u_max, v_min, v_max = float(u.min()), float(u.max()), float(v.min()), float(v.max())
        # Pixel rectangle that can hold object pixels: the projected hull, one pixel of margin, inside the frame.
        x0, x1 = max(0, math.floor(u_min) - 1), min(width, math.ceil(u_max) + 1)
        y0, y1 = max(0, math.floor(v_min) - 1), min(height, math.ceil(v_max) + 1)

        image = background.copy()
        mask = np.zeros(self.shape, dtype=bool)
        bbox = None
        if x0 < x1 and y0 < y1:
            w, h = x1 - x0, y1 - y0
            rect = (x0, y0, w, h)  # window y == image row: the projection flips y
            self._write_frame(model, scale, light_hue, light_intensity, window=(1.0, -1.0, 0.0, 0.0))
            self._gl.background_texture.write(np.ascontiguousarray(background[y0:y1]), viewport=(0, y0, width, h))
            self._gl.msaa.scissor = rect
            self._gl.msaa.use()
            self._gl.msaa.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
            self._gl.background_vao.render(moderngl.TRIANGLES)
            buffers.vao.render(moderngl.TRIANGLES)
            if self._gl.msaa is not self._gl.fbo:
                self._gl.fbo.scissor = rect
                self._gl.fbo.use()
                ctx.copy_framebuffer(self._gl.fbo, self._gl.msaa)
            rgb, coverage = self._rgb[: w * h * 3], self._coverage[: w * h]
            self._gl.fbo.read_into(rgb, viewport=rect, components=3)
            self._gl.fbo.read_into(coverage, viewport=rect, components=1, attachment=1)
            image[y0:y1, x0:x1] = rgb.reshape(h, w, 3)
            covered = coverage.reshape(h, w) >= 128
            mask[y0:y1, x0:x1] = covered
            rows, cols = np.flatnonzero(covered.any(axis=1)), np.flatnonzero(covered.any(axis=0))
            if rows.size:
                bbox = (x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1)
        inside = u_min >= 0 and v_min >= 0 and u_max <= width and v_max <= height
        visible = 1.0 if inside else self._visible_fraction(buffers, model, scale, u, v)
        return RenderResult(image, mask, bbox, visible, visible < 1.0, bbox is None)

    def _project_hull(self, hull: np.ndarray, model: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image-pixel coordinates (u right, v down) of the hull points; raise if any is behind the near plane."""
        clip = (self._proj @ model) @ hull
        w = clip[3]
        if w.min() <= NEAR_FRACTION * DISTANCE * 1.001:
            raise InputError("the object reaches behind the camera's near plane; reduce size", field="size")
        u = (clip[0] / w + 1.0) * (0.5 * self.width)
        v = (1.0 - clip[1] / w) * (0.5 * self.height)
        return u, v

    def _write_frame(
        self,
        model: np.ndarray,
        scale: float,
        light_hue: float | None,
        light_intensity: float,
        window: tuple[float, float, float, float],
    ) -> None:
        """Fill and upload the per-image uniform block."""
        frame, light = self._frame, self.lighting
        centre = model[:3, 3]
        light_pos = centre + scale * np.asarray(light.spot_offset)
        frame[0:16] = model.T.ravel()
        frame[16:20] = window
        frame[20:23] = light_pos
        frame[24:27] = (centre - light_pos) / np.linalg.norm(centre - light_pos)
        frame[27] = math.cos(math.radians(light.spot_inner_deg))
        frame[28:31] = light_color(light_hue, light_intensity)
        frame[31] = math.cos(math.radians(light.spot_outer_deg))
        self._gl.ubo.write(frame)

    def _visible_fraction(
        self, buffers: _MeshBuffers, model: np.ndarray, scale: float, u: np.ndarray, v: np.ndarray
    ) -> float:
        """Share of the silhouette inside the frame, from a silhouette render of frame and object together.

        The silhouette is drawn (no multisampling) into a frame that covers both the image and the object's
        projected hull, at the image's pixel density where it fits (else uniformly shrunk); the object pixels inside
        the image's rectangle are divided by all object pixels.
        """
        width, height = self.width, self.height
        if u.max() <= 0 or v.max() <= 0 or u.min() >= width or v.min() >= height:
            return 0.0
        u0, u1 = math.floor(min(0.0, u.min())), math.ceil(max(width, u.max()))
        v0, v1 = math.floor(min(0.0, v.min())), math.ceil(max(height, v.max()))
        mask_w, mask_h = self._mask_size
        k = min(1.0, mask_w / (u1 - u0), mask_h / (v1 - v0))
        used_w, used_h = min(mask_w, math.ceil(k * (u1 - u0))), min(mask_h, math.ceil(k * (v1 - v0)))
        # Image pixel (u, v) -> mask pixel (k (u - u0), k (v - v0)); mask row 0 is read first, as in the image.
        window = (
            k * width / mask_w,
            -k * height / mask_h,
            k * (width - 2 * u0) / mask_w - 1.0,
            k * (height - 2 * v0) / mask_h - 1.0,
        )
        self._write_frame(model, scale, None, 1.0, window)
        self._gl.mask_fbo.scissor = (0, 0, used_w, used_h)
        self._gl.mask_fbo.use()
        self._gl.mask_fbo.clear()
        buffers.mask_vao.render(moderngl.TRIANGLES)
        silhouette = self._mask_buf[: used_w * used_h]
        self._gl.mask_fbo.read_into(silhouette, viewport=(0, 0, used_w, used_h), components=1)
        silhouette = silhouette.reshape(used_h, used_w)
        total = np.count_nonzero(silhouette)
        if total == 0:
            return 0.0
        x0, x1 = round(-k * u0), round(k * (width - u0))
        y0, y1 = round(-k * v0), round(k * (height - v0))
        return float(np.count_nonzero(silhouette[y0:y1, x0:x1]) / total)


# Pure helpers -----------------------------------------------------------------------------------------------------


def _check_background(background: np.ndarray, shape: tuple[int, int]) -> None:
    """Raise InputError unless `background` is a (height, width, 3) uint8 array."""
    expected = (*shape, 3)
    if not isinstance(background, np.ndarray) or background.shape != expected or background.dtype != np.uint8:
        got = (background.shape, background.dtype) if isinstance(background, np.ndarray) else type(background)
        raise InputError(
            f"background must be a uint8 array of shape {expected}, got {got}; "
            f"make one with fovkit.render.backgrounds.background(type, index, size={shape})",
            field="background",
        )
