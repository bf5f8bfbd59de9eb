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

Layout: `renderer` (the `Renderer`: per-image drawing and read-back), `context` (the EGL context and the GL objects
it holds), `shaders` (GLSL sources), `camera` (projection and object placement), `lighting` (the light rig),
`meshes` (mesh -> vertex arrays). Images are encoded by the one codec of stored datasets, `fovkit.store.codec`
(re-exported here as `encode_image` and `decode_image`).
"""

from fovkit.render.gl.camera import DISTANCE, rotation
from fovkit.render.gl.lighting import Lighting
from fovkit.render.gl.meshes import MeshArrays, mesh_arrays
from fovkit.render.gl.renderer import Renderer, RenderResult
from fovkit.store.codec import ImageFormat
from fovkit.store.codec import decode as decode_image
from fovkit.store.codec import encode as encode_image

__all__ = [
    "DISTANCE",
    "ImageFormat",
    "Lighting",
    "MeshArrays",
    "RenderResult",
    "Renderer",
    "decode_image",
    "encode_image",
    "mesh_arrays",
    "rotation",
]
