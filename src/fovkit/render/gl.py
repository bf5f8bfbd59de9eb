"""Offscreen OpenGL (moderngl, EGL) renderer of one coloured mesh over a background image, with its object mask.

Conventions:

* Camera: perspective, at the origin, looking down -Z with +Y up, vertical field of view `fov_deg` (default 30°).
  The object's centre sits at depth `DISTANCE` (world units; only ratios matter).
* Mesh: a trimesh mesh, normalised (centred at the origin, largest bounding-box side 1, upright +Y, front +Z), with
  per-vertex or per-face RGB colours (uncoloured meshes are grey; textured ones are converted with `to_color`).
  Sharp edges (faces meeting at more than 30°) are shaded flat, the rest smooth. Closed meshes (every part
  watertight, consistently wound, normals outward) are drawn with back faces culled; others are drawn two-sided,
  the inside lit like the outside.
* Pose `(yaw, pitch, roll)` in degrees, applied as R = Ry(yaw) · Rx(pitch) · Rz(roll) to the object in its own
  frame (roll first): yaw turns about +Y (positive turns the object's front towards the viewer's right), pitch about
  +X (positive tips the top towards the viewer), roll about +Z (positive turns the object counter-clockwise as seen).
* Position `(x, y)` in frame units: the object's centre projects to normalised device coordinates (x, y); x = -1 is
  the left edge and +1 the right edge, y = -1 the bottom and +1 the top (y points up, unlike pixel rows).
* Size: the fraction of the frame height that the object's largest extent (1 in mesh units) covers at its depth.
  Perspective makes near parts a little larger; the object must stay in front of the camera's near plane.
* Lighting: one coloured spot light that moves and scales with the object (so appearance does not change with
  position or size), offset from the object's centre by `Lighting.spot_offset` object units and aimed at it, with a
  soft-edged cone; its colour is `colorsys.hsv_to_rgb(light_hue / 360, 1, 1)` (`light_hue` in degrees, taken modulo
  360; `None` gives a white spot), times `light_intensity`. A weak white ambient and a weak white fill light keep
  the object from ever going black. Shading is done in linear RGB and written back as sRGB, both approximated
  by gamma 2 (cheap square and square root on a CPU rasteriser).
* Output: `image` (H, W, 3) uint8 with row 0 at the top, `mask` (H, W) bool, pixels with at least half of their
  multisamples covered by the object. Bounding boxes are `(x0, y0, x1, y1)` in pixels, end-exclusive.

Speed: one context per process (`Renderer`); each distinct mesh is uploaded once (indexed, lit per vertex, back
faces culled when closed) and kept by key (LRU). Per image, only the rectangle that the object's projected convex
hull covers is cleared, drawn (background, then object), resolved and read (colour and mask) into preallocated
arrays; a silhouette pass runs only when the hull leaves the frame (for `visible_fraction`). With Mesa llvmpipe
(the CPU fallback), the rasteriser starts one thread per core unless the environment variable `LP_NUM_THREADS` is
set *before the first context of the process is created*; a dataset that renders one process per core should set
`os.environ["LP_NUM_THREADS"]` to "1" (one rasteriser thread) or "0" (rasterise in the calling thread, a little
faster) first. On llvmpipe, multisampling (`samples=4`) costs about 2-3x the time of `samples=1` for a mesh of a
few thousand triangles. With an NVIDIA driver the same code runs on the GPU.

Determinism: the same inputs give the same bytes on a given machine and driver; no state depends on time or
randomness, and every image is drawn from scratch (clear, background, object).
"""

from __future__ import annotations

import colorsys
import io
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

import moderngl
import numpy as np
import trimesh
from PIL import Image

from fovkit.errors import InputError

DISTANCE = 4.0
"""Depth of the object's centre in front of the camera, in world units."""

ImageFormat = Literal["jpeg", "png", "webp", "raw"]

_CREASE_DEG = 30.0
_MAX_HULL_POINTS = 2048
_NEAR_FRACTION = 0.05  # near plane at this fraction of DISTANCE

# Shading runs per vertex (Gouraud): llvmpipe rasterises on the CPU, where per-pixel lighting cost twice the time of
# the whole draw. Both sides of every surface are shaded; the fragment shader picks the side that faces the camera.
# Schlick's rational form stands in for the Blinn-Phong power, gamma 2 (square / square root) for sRGB.
_FRAME_BLOCK = """
layout(std140) uniform Frame {
    mat4 model;
    vec4 window;       // clip-space affine: x' = window.x * x + window.z * w, y' = window.y * y + window.w * w
    vec4 light_pos;    // xyz: spot position (world)
    vec4 light_dir;    // xyz: spot direction (world, unit), w: cos of the inner (full-strength) half-angle
    vec4 light_color;  // rgb: spot colour (linear, times intensity), w: cos of the outer (zero) half-angle
};
uniform mat4 proj;
"""

_OBJECT_VS = (
    """
#version 330
"""
    + _FRAME_BLOCK
    + """
uniform vec3 ambient;
uniform vec3 fill_dir;
uniform float fill;
uniform float specular;
uniform float shininess;
in vec3 in_pos;
in vec3 in_normal;
in vec3 in_color;
out vec3 v_outside;
out vec3 v_inside;

vec3 shade(vec3 n, vec3 p, vec3 l, vec3 v, float cone, vec3 albedo) {
    float lambert = max(dot(n, l), 0.0);
    float h = max(dot(n, normalize(l + v)), 0.0);
    float spec = lambert > 0.0 ? specular * h / (shininess - shininess * h + h) : 0.0;
    vec3 color = albedo * (ambient + fill * max(dot(n, fill_dir), 0.0));
    color += light_color.rgb * cone * (lambert * albedo + spec);
    return sqrt(clamp(color, 0.0, 1.0));
}

void main() {
    vec4 world = model * vec4(in_pos, 1.0);
    vec3 n = normalize(mat3(model) * in_normal);
    vec3 l = normalize(light_pos.xyz - world.xyz);
    vec3 v = normalize(-world.xyz);
    float cone = smoothstep(light_color.w, light_dir.w, dot(-l, light_dir.xyz));
    v_outside = shade(n, world.xyz, l, v, cone, in_color);
    v_inside = shade(-n, world.xyz, l, v, cone, in_color);
    vec4 clip = proj * world;
    gl_Position = vec4(window.x * clip.x + window.z * clip.w, window.y * clip.y + window.w * clip.w, clip.z, clip.w);
}
"""
)

# The projection flips y, which flips the on-screen winding; with ctx.front_face "cw", front faces show their outside.
_OBJECT_FS = """
#version 330
in vec3 v_outside;
in vec3 v_inside;
layout(location = 0) out vec4 f_color;
layout(location = 1) out float f_mask;
void main() {
    f_color = vec4(gl_FrontFacing ? v_outside : v_inside, 1.0);
    f_mask = 1.0;
}
"""

# One triangle that covers the viewport, at the far plane, wound clockwise (front-facing for ctx.front_face "cw");
# texel (x, y) lands on window pixel (x, y).
_BACKGROUND_VS = """
#version 330
in vec2 in_pos;
void main() {
    gl_Position = vec4(in_pos, 1.0, 1.0);
}
"""

_BACKGROUND_FS = """
#version 330
uniform sampler2D background;
layout(location = 0) out vec4 f_color;
layout(location = 1) out float f_mask;
void main() {
    f_color = texelFetch(background, ivec2(gl_FragCoord.xy), 0);
    f_mask = 0.0;
}
"""

_MASK_VS = (
    """
#version 330
"""
    + _FRAME_BLOCK
    + """
in vec3 in_pos;
void main() {
    vec4 clip = proj * (model * vec4(in_pos, 1.0));
    gl_Position = vec4(window.x * clip.x + window.z * clip.w, window.y * clip.y + window.w * clip.w, clip.z, clip.w);
}
"""
)

_MASK_FS = """
#version 330
out vec4 f_color;
void main() {
    f_color = vec4(1.0);
}
"""


@dataclass(frozen=True)
class Lighting:
    """The fixed light rig; the per-image spot colour and intensity are arguments of `Renderer.render`.

    Attributes:
        spot_offset: Spot position relative to the object's centre, in object units (scaled with the object);
            the spot is aimed at the centre. Default: above, right and in front.
        spot_inner_deg: Half-angle of the cone's full-strength core, degrees.
        spot_outer_deg: Half-angle at which the soft edge reaches zero, degrees.
        ambient: Strength of the white ambient light.
        fill: Strength of the white directional fill light.
        fill_dir: Direction towards the fill light (world; normalised here). Default: from the camera's left.
        specular: Strength of the spot's specular highlight.
        shininess: Blinn-Phong exponent of the highlight (Schlick's rational approximation of the power).

    """

    spot_offset: tuple[float, float, float] = (1.0, 1.5, 2.0)
    spot_inner_deg: float = 12.0
    spot_outer_deg: float = 28.0
    ambient: float = 0.16
    fill: float = 0.22
    fill_dir: tuple[float, float, float] = (-1.0, 0.4, 1.0)
    specular: float = 0.25
    shininess: float = 32.0


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
        self._proj = _perspective(self.fov_deg, self.width / self.height, _NEAR_FRACTION * DISTANCE, 4 * DISTANCE)
        self._frame = np.zeros(32, dtype=np.float32)  # std140 block: mat4 + 4 vec4
        self._rgb = np.empty(self.width * self.height * 3, dtype=np.uint8)
        self._coverage = np.empty(self.width * self.height, dtype=np.uint8)
        self._mask_size = (2 * self.width, 2 * self.height)
        self._mask_buf = np.empty(self._mask_size[0] * self._mask_size[1], dtype=np.uint8)
        try:
            self.ctx: moderngl.Context | None = moderngl.create_context(standalone=True, backend="egl")
        except Exception as error:
            raise RuntimeError(
                f"cannot create a headless OpenGL context (EGL): {error}; install Mesa's EGL and llvmpipe "
                "(e.g. apt-get install libegl1 libgl1-mesa-dri) or a GPU driver with EGL"
            ) from error
        Renderer._active = self.ctx  # a new context is current
        try:
            if self.samples > max(1, self.ctx.max_samples):
                raise InputError(
                    f"samples={self.samples} exceeds this device's maximum of {self.ctx.max_samples} "
                    f"({self.ctx.info['GL_RENDERER']}); use samples <= {self.ctx.max_samples}",
                    field="samples",
                )
            self._setup(self.ctx)
        except Exception:
            self.ctx.release()
            Renderer._active = self.ctx = None
            raise

    def _setup(self, ctx: moderngl.Context) -> None:
        size = (self.width, self.height)
        light = self.lighting
        proj = self._proj.T.astype(np.float32).tobytes()
        self._program = ctx.program(vertex_shader=_OBJECT_VS, fragment_shader=_OBJECT_FS)
        self._mask_program = ctx.program(vertex_shader=_MASK_VS, fragment_shader=_MASK_FS)
        for program in (self._program, self._mask_program):
            program["proj"].write(proj)
            program["Frame"].binding = 0
        fill_dir = np.asarray(light.fill_dir, dtype=np.float64)
        self._program["ambient"].value = (light.ambient,) * 3
        self._program["fill_dir"].value = tuple(fill_dir / np.linalg.norm(fill_dir))
        self._program["fill"].value = light.fill
        self._program["specular"].value = light.specular
        self._program["shininess"].value = light.shininess
        self._ubo = ctx.buffer(reserve=self._frame.nbytes)
        self._ubo.bind_to_uniform_block(0)
        self._bg_program = ctx.program(vertex_shader=_BACKGROUND_VS, fragment_shader=_BACKGROUND_FS)
        self._bg_program["background"].value = 0
        self._bg_vbo = ctx.buffer(np.array([-1, -1, -1, 3, 3, -1], dtype=np.float32).tobytes())
        self._bg_vao = ctx.vertex_array(self._bg_program, [(self._bg_vbo, "2f", "in_pos")])
        self._bg_tex = ctx.texture(size, 3, dtype="f1")
        self._bg_tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._bg_tex.use(0)
        # Attachment 0: colour; attachment 1: object coverage (the mask). Window row y is image row y.
        self._fbo = ctx.framebuffer(
            [ctx.renderbuffer(size, 4), ctx.renderbuffer(size, 1)], ctx.depth_renderbuffer(size)
        )
        if self.samples > 1:
            n = self.samples
            self._msaa = ctx.framebuffer(
                [ctx.renderbuffer(size, 4, samples=n), ctx.renderbuffer(size, 1, samples=n)],
                ctx.depth_renderbuffer(size, samples=n),
            )
        else:
            self._msaa = self._fbo
        self._mask_fbo = ctx.framebuffer(ctx.renderbuffer(self._mask_size, 1))
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.depth_func = "<="  # the background is drawn at the far plane, where the depth buffer is cleared
        ctx.front_face = "cw"  # the projection flips y, which flips the on-screen winding of outward faces
        self._culling = False

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
        vao = ctx.vertex_array(self._program, layout, index_buffer=ibo, index_element_size=4)
        mask_vao = ctx.vertex_array(
            self._mask_program, [(vbo, "3f 24x", "in_pos")], index_buffer=ibo, index_element_size=4
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
        model, scale = _model_matrix(pose, position, size, self.fov_deg, self.width / self.height)
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
            self._bg_tex.write(np.ascontiguousarray(background[y0:y1]), viewport=(0, y0, width, h))
            self._msaa.scissor = rect
            self._msaa.use()
            self._msaa.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
            self._bg_vao.render(moderngl.TRIANGLES)
            buffers.vao.render(moderngl.TRIANGLES)
            if self._msaa is not self._fbo:
                self._fbo.scissor = rect
                self._fbo.use()
                ctx.copy_framebuffer(self._fbo, self._msaa)
            rgb, coverage = self._rgb[: w * h * 3], self._coverage[: w * h]
            self._fbo.read_into(rgb, viewport=rect, components=3)
            self._fbo.read_into(coverage, viewport=rect, components=1, attachment=1)
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
        if w.min() <= _NEAR_FRACTION * DISTANCE * 1.001:
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
        frame[28:31] = _light_color(light_hue, light_intensity)
        frame[31] = math.cos(math.radians(light.spot_outer_deg))
        self._ubo.write(frame)

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
        self._mask_fbo.scissor = (0, 0, used_w, used_h)
        self._mask_fbo.use()
        self._mask_fbo.clear()
        buffers.mask_vao.render(moderngl.TRIANGLES)
        silhouette = self._mask_buf[: used_w * used_h]
        self._mask_fbo.read_into(silhouette, viewport=(0, 0, used_w, used_h), components=1)
        silhouette = silhouette.reshape(used_h, used_w)
        total = np.count_nonzero(silhouette)
        if total == 0:
            return 0.0
        x0, x1 = round(-k * u0), round(k * (width - u0))
        y0, y1 = round(-k * v0), round(k * (height - v0))
        return float(np.count_nonzero(silhouette[y0:y1, x0:x1]) / total)


# Pure helpers -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeshArrays:
    """A mesh prepared for drawing.

    Attributes:
        vertices: (N, 9) float32 rows of position, crease-aware normal and linear RGB colour.
        indices: (3 F,) uint32, three vertex indices per triangle.
        hull: (4, K) float64 homogeneous points whose convex hull contains the mesh.
        closed: Every connected part is watertight, consistently wound and faces outwards, so back faces can be
            culled (about half the drawing time); open or inconsistent meshes are drawn two-sided.

    """

    vertices: np.ndarray
    indices: np.ndarray
    hull: np.ndarray
    closed: bool


def mesh_arrays(mesh: trimesh.Trimesh, *, name: str = "mesh") -> MeshArrays:
    """Indexed vertex data of `mesh` for drawing, the points of its convex hull and whether it is closed.

    Args:
        mesh: A triangle mesh with vertex, face, texture or no colours.
        name: How to name the mesh in error messages.

    Returns:
        The arrays to upload and what the renderer needs to know about the mesh.

    """
    faces = np.asarray(getattr(mesh, "faces", np.empty((0, 3))), dtype=np.int64)
    vertices = np.asarray(getattr(mesh, "vertices", np.empty((0, 3))), dtype=np.float64)
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise InputError(f"mesh {name!r} has no triangle faces (faces shape {faces.shape})", field="mesh")
    if not np.isfinite(vertices).all():
        raise InputError(f"mesh {name!r} has non-finite vertex coordinates", field="mesh")
    colors = _corner_colors(mesh, faces)
    normals = _crease_normals(vertices, faces, _CREASE_DEG)
    corners = np.empty((len(faces) * 3, 9), dtype=np.float32)
    corners[:, 0:3] = vertices[faces].reshape(-1, 3)
    corners[:, 3:6] = normals.reshape(-1, 3)
    corners[:, 6:9] = (colors.reshape(-1, 3) / 255.0) ** 2  # sRGB -> linear, gamma 2 as in the shader
    # Share corners that agree in position, normal and colour, so the vertex cache shades each once.
    rows = corners.view(np.dtype((np.void, corners.itemsize * 9))).ravel()
    unique, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    order = np.argsort(first)  # keep first-use order (better locality than byte order)
    rank = np.empty(len(unique), dtype=np.int64)
    rank[order] = np.arange(len(unique))
    indices = rank[inverse.ravel()].astype(np.uint32)
    try:
        points = mesh.convex_hull.vertices if len(vertices) > 64 else vertices
    except Exception:  # degenerate (flat) meshes have no 3D hull; their vertices serve as well
        points = vertices
    if len(points) > _MAX_HULL_POINTS:  # projected every image: fall back to the (looser) bounding-box corners
        low, high = vertices.min(axis=0), vertices.max(axis=0)
        points = np.array([[(low, high)[(i >> axis) & 1][axis] for axis in range(3)] for i in range(8)])
    hull = np.vstack([np.asarray(points, dtype=np.float64).T, np.ones(len(points))])
    return MeshArrays(corners[first[order]], indices, hull, _closed_outward(mesh, vertices, faces))


def _closed_outward(mesh: trimesh.Trimesh, vertices: np.ndarray, faces: np.ndarray) -> bool:
    """Watertight, consistently wound, and every connected part encloses a positive volume (normals outward)."""
    try:
        if not (mesh.is_watertight and mesh.is_winding_consistent):
            return False
        labels = trimesh.graph.connected_component_labels(mesh.face_adjacency, node_count=len(faces))
    except Exception:  # meshes trimesh cannot analyse are drawn two-sided
        return False
    v0, v1, v2 = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    signed = np.einsum("ij,ij->i", v0, np.cross(v1, v2)) / 6.0
    return bool((np.bincount(labels, weights=signed) > 0).all())


def _corner_colors(mesh: trimesh.Trimesh, faces: np.ndarray) -> np.ndarray:
    """(F, 3, 3) RGB colour of every face corner, from face, vertex or texture colours; grey when uncoloured."""
    visual = mesh.visual
    kind = getattr(visual, "kind", None)
    if kind == "texture":
        visual = visual.to_color()
        kind = visual.kind
    if kind == "face":
        rgb = np.asarray(visual.face_colors)[:, :3].astype(np.float64)
        return np.repeat(rgb[:, None, :], 3, axis=1)
    rgb = np.asarray(visual.vertex_colors)[:, :3].astype(np.float64)
    if len(rgb) != len(mesh.vertices):
        rgb = np.full((len(mesh.vertices), 3), 160.0)
    return rgb[faces]


def _crease_normals(vertices: np.ndarray, faces: np.ndarray, crease_deg: float) -> np.ndarray:
    """(F, 3, 3) corner normals: area-weighted mean of the face normals around a vertex within `crease_deg`."""
    cross = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]])
    area = np.linalg.norm(cross, axis=1)
    unit = cross / np.maximum(area, 1e-20)[:, None]
    corner_vertex = faces.ravel()
    corner_face = np.repeat(np.arange(len(faces)), 3)
    order = np.argsort(corner_vertex, kind="stable")
    count = np.bincount(corner_vertex, minlength=len(vertices))
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    degree = count[corner_vertex]
    pair_corner = np.repeat(np.arange(len(corner_vertex)), degree)
    offset = np.arange(len(pair_corner)) - np.repeat(np.cumsum(degree) - degree, degree)
    pair_face = corner_face[order[start[corner_vertex[pair_corner]] + offset]]
    own = unit[corner_face[pair_corner]]
    other = unit[pair_face]
    weight = area[pair_face] * (np.einsum("ij,ij->i", own, other) >= math.cos(math.radians(crease_deg)))
    normals = np.zeros((len(corner_vertex), 3))
    for axis in range(3):
        normals[:, axis] = np.bincount(pair_corner, weights=weight * other[:, axis], minlength=len(corner_vertex))
    length = np.linalg.norm(normals, axis=1)
    fallback = unit[corner_face]
    normals = np.where(length[:, None] > 1e-12, normals / np.maximum(length, 1e-20)[:, None], fallback)
    return normals.reshape(-1, 3, 3)


def _perspective(fov_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    """OpenGL perspective projection matrix (row-major, column vectors)."""
    f = 1.0 / math.tan(math.radians(fov_deg) / 2)
    return np.array(
        [
            [f / aspect, 0, 0, 0],
            [0, f, 0, 0],
            [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
            [0, 0, -1, 0],
        ]
    )


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """3x3 rotation Ry(yaw) · Rx(pitch) · Rz(roll), angles in degrees (see the module docstring)."""
    cy, sy = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    cp, sp = math.cos(math.radians(pitch)), math.sin(math.radians(pitch))
    cr, sr = math.cos(math.radians(roll)), math.sin(math.radians(roll))
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return ry @ rx @ rz


def _model_matrix(
    pose: tuple[float, float, float], position: tuple[float, float], size: float, fov_deg: float, aspect: float
) -> tuple[np.ndarray, float]:
    """4x4 object-to-world matrix and the object's world scale for the given factor values."""
    half_height = DISTANCE * math.tan(math.radians(fov_deg) / 2)
    scale = size * 2 * half_height
    model = np.eye(4)
    model[:3, :3] = scale * rotation(*pose)
    model[:3, 3] = (position[0] * half_height * aspect, position[1] * half_height, -DISTANCE)
    return model, scale


def _light_color(hue: float | None, intensity: float) -> tuple[float, float, float]:
    """Linear RGB of the spot: fully saturated `hue` (degrees) or white, times `intensity`."""
    if not (math.isfinite(intensity) and intensity >= 0):
        raise InputError(f"light_intensity must be a non-negative number, got {intensity}", field="light_intensity")
    if hue is None:
        return (intensity,) * 3
    if not math.isfinite(hue):
        raise InputError(f"light_hue must be a finite number of degrees, got {hue}", field="light_hue")
    rgb = colorsys.hsv_to_rgb((hue % 360.0) / 360.0, 1.0, 1.0)
    return tuple(intensity * channel**2 for channel in rgb)


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


# Encoding ---------------------------------------------------------------------------------------------------------

_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


def encode_image(image: np.ndarray, format: ImageFormat = "jpeg", quality: int = 90) -> bytes:
    """Encode an (H, W, 3) uint8 image as JPEG, PNG, WebP (PIL) or raw array bytes.

    Args:
        image: The image.
        format: `jpeg`, `png`, `webp` or `raw` (C-order bytes of the array; keep the shape to decode).
        quality: JPEG/WebP quality (1-100); ignored by PNG and raw.

    Returns:
        The encoded bytes.

    """
    if format == "raw":
        return np.ascontiguousarray(image, dtype=np.uint8).tobytes()
    if format not in _PIL_FORMATS:
        raise InputError(f"unknown image format {format!r}; expected one of {['raw', *_PIL_FORMATS]}", field="format")
    out = io.BytesIO()
    options = {} if format == "png" else {"quality": int(quality)}
    Image.fromarray(np.ascontiguousarray(image)).save(out, _PIL_FORMATS[format], **options)
    return out.getvalue()


def decode_image(data: bytes, format: ImageFormat = "jpeg", shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Decode bytes from `encode_image` back to an (H, W, 3) uint8 array.

    Args:
        data: The encoded bytes.
        format: The format they were encoded with.
        shape: The image shape; needed for `raw`, checked for the other formats when given.

    Returns:
        The decoded image.

    """
    if format == "raw":
        if shape is None:
            raise InputError("decoding raw image bytes needs the image shape", field="shape")
        return np.frombuffer(data, dtype=np.uint8).reshape(shape).copy()
    if format not in _PIL_FORMATS:
        raise InputError(f"unknown image format {format!r}; expected one of {['raw', *_PIL_FORMATS]}", field="format")
    with Image.open(io.BytesIO(data)) as opened:
        image = np.asarray(opened.convert("RGB"))
    if shape is not None and image.shape != tuple(shape):
        raise InputError(f"decoded image has shape {image.shape}, expected {tuple(shape)}", field="shape")
    return image
