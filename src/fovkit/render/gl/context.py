"""The rasteriser set-up: a headless EGL context and the GL objects a `Renderer` draws with (programs, buffers)."""

from __future__ import annotations

from dataclasses import dataclass

import moderngl
import numpy as np

from fovkit.render.gl.lighting import Lighting
from fovkit.render.gl.shaders import BACKGROUND_FS, BACKGROUND_VS, MASK_FS, MASK_VS, OBJECT_FS, OBJECT_VS


def create_context() -> moderngl.Context:
    """A standalone headless OpenGL context (EGL); RuntimeError saying what to install when none can be made."""
    try:
        return moderngl.create_context(standalone=True, backend="egl")
    except Exception as error:
        raise RuntimeError(
            f"cannot create a headless OpenGL context (EGL): {error}; install Mesa's EGL and llvmpipe "
            "(e.g. apt-get install libegl1 libgl1-mesa-dri) or a GPU driver with EGL"
        ) from error


@dataclass
class Pipeline:
    """The GL objects of one context, made once and reused for every image.

    Attributes:
        program: The lit object; writes colour (attachment 0) and coverage (attachment 1).
        mask_program: The object's silhouette, for the visible fraction.
        ubo: The per-image uniform block `Frame` (model matrix, window transform, spot light).
        background_vao: One triangle covering the frame, textured with `background_texture`.
        background_texture: The image's background (RGB uint8, texture unit 0).
        fbo: Single-sampled colour + coverage + depth, read back.
        msaa: The multisampled framebuffer drawn into (`fbo` itself when samples is 1).
        mask_fbo: Single channel silhouette framebuffer (`mask_size`).

    """

    program: moderngl.Program
    mask_program: moderngl.Program
    ubo: moderngl.Buffer
    background_vao: moderngl.VertexArray
    background_texture: moderngl.Texture
    fbo: moderngl.Framebuffer
    msaa: moderngl.Framebuffer
    mask_fbo: moderngl.Framebuffer


def build_pipeline(
    ctx: moderngl.Context,
    size: tuple[int, int],
    samples: int,
    mask_size: tuple[int, int],
    lighting: Lighting,
    projection: np.ndarray,
    frame_bytes: int,
) -> Pipeline:
    """Compile the programs, set the fixed uniforms (projection, light rig) and make the buffers and framebuffers.

    Args:
        ctx: The current context.
        size: Image `(width, height)` in pixels.
        samples: Multisamples per pixel; 1 draws straight into the read-back framebuffer.
        mask_size: `(width, height)` of the silhouette framebuffer.
        lighting: The light rig.
        projection: 4x4 projection matrix (row-major, column vectors).
        frame_bytes: Size of the per-image uniform block.

    Returns:
        The GL objects; depth test, depth function and front-face winding are set on `ctx`.

    """
    proj = projection.T.astype(np.float32).tobytes()
    program = ctx.program(vertex_shader=OBJECT_VS, fragment_shader=OBJECT_FS)
    mask_program = ctx.program(vertex_shader=MASK_VS, fragment_shader=MASK_FS)
    for each in (program, mask_program):
        each["proj"].write(proj)
        each["Frame"].binding = 0
    fill_dir = np.asarray(lighting.fill_dir, dtype=np.float64)
    program["ambient"].value = (lighting.ambient,) * 3
    program["fill_dir"].value = tuple(fill_dir / np.linalg.norm(fill_dir))
    program["fill"].value = lighting.fill
    program["specular"].value = lighting.specular
    program["shininess"].value = lighting.shininess
    ubo = ctx.buffer(reserve=frame_bytes)
    ubo.bind_to_uniform_block(0)
    background_program = ctx.program(vertex_shader=BACKGROUND_VS, fragment_shader=BACKGROUND_FS)
    background_program["background"].value = 0
    background_vbo = ctx.buffer(np.array([-1, -1, -1, 3, 3, -1], dtype=np.float32).tobytes())
    background_vao = ctx.vertex_array(background_program, [(background_vbo, "2f", "in_pos")])
    background_texture = ctx.texture(size, 3, dtype="f1")
    background_texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
    background_texture.use(0)
    # Attachment 0: colour; attachment 1: object coverage (the mask). Window row y is image row y.
    fbo = ctx.framebuffer([ctx.renderbuffer(size, 4), ctx.renderbuffer(size, 1)], ctx.depth_renderbuffer(size))
    msaa = fbo
    if samples > 1:
        msaa = ctx.framebuffer(
            [ctx.renderbuffer(size, 4, samples=samples), ctx.renderbuffer(size, 1, samples=samples)],
            ctx.depth_renderbuffer(size, samples=samples),
        )
    mask_fbo = ctx.framebuffer(ctx.renderbuffer(mask_size, 1))
    ctx.enable(moderngl.DEPTH_TEST)
    ctx.depth_func = "<="  # the background is drawn at the far plane, where the depth buffer is cleared
    ctx.front_face = "cw"  # the projection flips y, which flips the on-screen winding of outward faces
    return Pipeline(program, mask_program, ubo, background_vao, background_texture, fbo, msaa, mask_fbo)
