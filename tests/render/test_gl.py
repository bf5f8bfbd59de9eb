from __future__ import annotations

import itertools

import numpy as np
import pytest
import trimesh

from fovkit.errors import InputError
from fovkit.render.gl import (
    Renderer,
    decode_image,
    encode_image,
    mesh_arrays,
    rotation,
)

SIZE = 64


def _box(extents: tuple[float, float, float] = (0.5, 1.0, 0.3), rgb: tuple[int, int, int] = (230, 230, 230)):
    """A normalised box (largest side 1) with vertex colours."""
    mesh = trimesh.creation.box(extents=extents)
    mesh.apply_scale(1.0 / max(extents))
    mesh.visual.vertex_colors = np.tile([*rgb, 255], (len(mesh.vertices), 1)).astype(np.uint8)
    return mesh


@pytest.fixture(scope="module")
def renderer():
    try:
        instance = Renderer(SIZE, SIZE, samples=4)
    except Exception as error:  # no EGL/OpenGL on this machine
        pytest.skip(f"no headless OpenGL context: {error}")
    with instance:
        yield instance


@pytest.fixture(scope="module")
def box():
    return _box()


@pytest.fixture(scope="module")
def background():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)


def _far_from(mask: np.ndarray, margin: int = 2) -> np.ndarray:
    """Pixels at least `margin` pixels away from any mask pixel (square neighbourhood)."""
    grown = mask.copy()
    for dy in range(-margin, margin + 1):
        for dx in range(-margin, margin + 1):
            grown |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return ~grown


def test_box_is_drawn_over_the_background(renderer, box, background):
    result = renderer.render("box", box, size=0.6, background=background)
    assert result.image.shape == (SIZE, SIZE, 3) and result.image.dtype == np.uint8
    assert result.mask.shape == (SIZE, SIZE) and result.mask.dtype == bool
    assert not result.blank and not result.clipped and result.visible_fraction == 1.0
    x0, y0, x1, y1 = result.bbox
    assert abs((x0 + x1) / 2 - SIZE / 2) <= 2 and abs((y0 + y1) / 2 - SIZE / 2) <= 2
    assert 0.5 * SIZE <= y1 - y0 <= 0.75 * SIZE  # the box's 1-unit height covers about 60% of the frame
    ys, xs = np.nonzero(result.mask)
    assert (ys.min(), xs.min(), ys.max() + 1, xs.max() + 1) == (y0, x0, y1, x1)
    far = _far_from(result.mask)
    np.testing.assert_array_equal(result.image[far], background[far])
    assert np.abs(result.image[result.mask].astype(int) - background[result.mask]).mean() > 20


def test_position_moves_the_box(renderer, box, background):
    centre = renderer.render("box", box, size=0.4, background=background).bbox
    right = renderer.render("box", box, size=0.4, position=(0.5, 0.0), background=background).bbox
    up = renderer.render("box", box, size=0.4, position=(0.0, 0.5), background=background).bbox
    assert right[0] > centre[0] + 10 and right[2] > centre[2] + 10  # +x: right
    assert up[1] < centre[1] - 10 and up[3] < centre[3] - 10  # +y: up, towards row 0
    assert abs(right[1] - centre[1]) <= 1 and abs(up[0] - centre[0]) <= 1


def test_larger_size_covers_more_pixels(renderer, box, background):
    areas = [renderer.render("box", box, size=s, background=background).mask.sum() for s in (0.2, 0.4, 0.6, 0.8)]
    assert all(a < b for a, b in itertools.pairwise(areas))
    assert 3.0 < areas[3] / areas[1] < 5.0  # area grows with the square of the size


def test_light_hue_tints_the_object_only(renderer, box, background):
    red = renderer.render("box", box, size=0.6, light_hue=0.0, background=background)
    green = renderer.render("box", box, size=0.6, light_hue=120.0, background=background)
    np.testing.assert_array_equal(red.mask, green.mask)
    mask = red.mask
    r_mean, g_mean = red.image[mask].mean(axis=0), green.image[mask].mean(axis=0)
    assert r_mean[0] > r_mean[1] + 20 and g_mean[1] > g_mean[0] + 20
    far = _far_from(mask)
    np.testing.assert_array_equal(red.image[far], green.image[far])
    np.testing.assert_array_equal(red.image[far], background[far])
    # Hue is in degrees modulo 360; None is a white spot light (neutral on a white object).
    wrapped = renderer.render("box", box, size=0.6, light_hue=360.0, background=background)
    np.testing.assert_array_equal(wrapped.image, red.image)
    white = renderer.render("box", box, size=0.6, light_hue=None, background=background).image[mask].mean(axis=0)
    assert np.ptp(white) < 10


def test_light_intensity_brightens(renderer, box, background):
    dim = renderer.render("box", box, size=0.6, light_intensity=0.3, background=background)
    bright = renderer.render("box", box, size=0.6, light_intensity=1.0, background=background)
    assert bright.image[bright.mask].mean() > dim.image[dim.mask].mean() + 20
    assert dim.image[dim.mask].mean() > 30  # ambient and fill keep the object from going black


def test_pose_changes_the_silhouette(renderer, box, background):
    front = renderer.render("box", box, size=0.6, background=background).mask
    yawed = renderer.render("box", box, size=0.6, pose=(90.0, 0.0, 0.0), background=background).mask
    rolled = renderer.render("box", box, size=0.6, pose=(0.0, 0.0, 90.0), background=background)
    assert (front ^ yawed).sum() > 0.2 * front.sum()  # side on, the box is narrower
    x0, y0, x1, y1 = rolled.bbox  # rolled a quarter turn, the tall box lies on its side
    assert x1 - x0 > 1.5 * (y1 - y0)


def test_object_out_of_frame_is_blank(renderer, box, background):
    result = renderer.render("box", box, size=0.4, position=(3.0, 0.0), background=background)
    assert result.blank and result.bbox is None and not result.mask.any()
    assert result.clipped and result.visible_fraction == 0.0
    np.testing.assert_array_equal(result.image, background)


def _visible_reference(box: trimesh.Trimesh, position: tuple[float, float], size: float, zoom: int = 3) -> float:
    """Share of the silhouette inside the frame, from a `zoom` times wider camera that sees the whole object.

    The same camera with a `zoom` times larger field of view, the object's position and size divided by `zoom`,
    places the object at the same world position and scale, so the central 1/zoom of that image is the frame.
    """
    tan = np.tan(np.radians(30.0) / 2) * zoom
    fov = float(np.degrees(2 * np.arctan(tan)))
    with Renderer(SIZE * zoom, SIZE * zoom, samples=1, fov_deg=fov) as wide:
        bg = np.zeros((SIZE * zoom, SIZE * zoom, 3), dtype=np.uint8)
        mask = wide.render("box", box, position=(position[0] / zoom, position[1] / zoom), size=size / zoom,
                           background=bg).mask  # fmt: skip
    lo, hi = SIZE * (zoom - 1) // 2, SIZE * (zoom + 1) // 2
    return mask[lo:hi, lo:hi].sum() / mask.sum()


@pytest.mark.parametrize(("position", "size"), [((1.0, 0.0), 0.5), ((0.2, -0.9), 0.6), ((-1.1, 1.1), 0.8)])
def test_partly_out_of_frame_is_clipped(renderer, box, background, position, size):
    result = renderer.render("box", box, size=size, position=position, background=background)
    assert result.clipped and not result.blank
    assert 0.0 < result.visible_fraction < 1.0
    assert result.visible_fraction == pytest.approx(_visible_reference(box, position, size), abs=0.03)


def test_renders_are_deterministic(renderer, box, background):
    kwargs = dict(pose=(20.0, 10.0, 5.0), position=(0.1, -0.2), size=0.5, light_hue=200.0, background=background)
    first = renderer.render("box", box, **kwargs)
    renderer.render("other", _box((1.0, 0.2, 0.2), (200, 40, 40)), size=0.9, background=background)
    second = renderer.render("box", box, **kwargs)
    assert first.image.tobytes() == second.image.tobytes()
    np.testing.assert_array_equal(first.mask, second.mask)
    with Renderer(SIZE, SIZE, samples=4) as fresh:
        assert fresh.render("box", box, **kwargs).image.tobytes() == first.image.tobytes()


def test_single_sample_rendering(box, background):
    with Renderer(SIZE, SIZE, samples=1) as plain:
        result = plain.render("box", box, size=0.6, background=background)
    assert not result.blank and result.bbox is not None
    far = _far_from(result.mask, margin=1)
    np.testing.assert_array_equal(result.image[far], background[far])


def test_face_colours_and_uncoloured_meshes(renderer, background):
    faces = _box()
    faces.visual.face_colors = np.tile([40, 40, 220, 255], (len(faces.faces), 1)).astype(np.uint8)
    blue = renderer.render("face-coloured", faces, size=0.6, background=background)
    assert blue.image[blue.mask].mean(axis=0).argmax() == 2
    grey = renderer.render("uncoloured", trimesh.creation.box(), size=0.6, background=background)
    assert np.ptp(grey.image[grey.mask].mean(axis=0)) < 10


def test_meshes_are_cached_by_key_with_lru_bound(box, background):
    with Renderer(SIZE, SIZE, samples=1, max_meshes=2) as small:
        for key in ("a", "b", "a", "c"):
            small.render(key, box, background=background)
        assert small.cached_meshes() == ["a", "c"]
        # A cached key is not uploaded again: the mesh argument is not looked at.
        small.render("a", _box((1.0, 1.0, 1.0)), background=background)
        assert small.cached_meshes() == ["c", "a"]


def test_bad_inputs_raise(renderer, box, background):
    with pytest.raises(InputError, match="background must be a uint8 array of shape"):
        renderer.render("box", box, background=background[:32])
    with pytest.raises(InputError, match="background"):
        renderer.render("box", box, background=background.astype(np.float32))
    with pytest.raises(InputError, match="size"):
        renderer.render("box", box, size=0.0, background=background)
    with pytest.raises(InputError, match="near plane"):
        renderer.render("box", box, size=30.0, background=background)
    with pytest.raises(InputError, match="pose"):
        renderer.render("box", box, pose=(1.0, 2.0), background=background)
    with pytest.raises(InputError, match="no triangle faces"):
        renderer.render("empty", trimesh.Trimesh(vertices=np.zeros((3, 3)), faces=np.zeros((0, 3))),
                        background=background)  # fmt: skip


def test_released_renderer_refuses_to_render(box, background):
    renderer = Renderer(16, 16, samples=1)
    renderer.release()
    with pytest.raises(RuntimeError, match="released"):
        renderer.render("box", box, background=background[:16, :16])


def test_rotation_conventions():
    front, top, right = np.array([0, 0, 1.0]), np.array([0, 1.0, 0]), np.array([1.0, 0, 0])
    np.testing.assert_allclose(rotation(90, 0, 0) @ front, right, atol=1e-12)  # yaw: front turns to the right
    np.testing.assert_allclose(rotation(0, 90, 0) @ top, front, atol=1e-12)  # pitch: top tips towards the viewer
    np.testing.assert_allclose(rotation(0, 0, 90) @ right, top, atol=1e-12)  # roll: counter-clockwise as seen
    # Roll is applied first, in the object's frame: yaw after roll still turns about the world's vertical.
    np.testing.assert_allclose(rotation(90, 0, 90) @ right, top, atol=1e-12)


def test_mesh_arrays_normals():
    arrays = mesh_arrays(_box())
    assert arrays.vertices.dtype == np.float32 and arrays.indices.dtype == np.uint32 and len(arrays.indices) == 36
    assert len(arrays.vertices) == 24  # 6 faces x 4 corners: sharp edges split the normals
    assert arrays.hull.shape[0] == 4 and arrays.closed
    corners = arrays.vertices[arrays.indices].reshape(-1, 3, 9)
    cross = np.cross(corners[:, 1, :3] - corners[:, 0, :3], corners[:, 2, :3] - corners[:, 0, :3])
    face_normals = cross / np.linalg.norm(cross, axis=1, keepdims=True)
    for corner in range(3):
        np.testing.assert_allclose(corners[:, corner, 3:6], face_normals, atol=1e-6)
    sphere = trimesh.creation.icosphere(subdivisions=2)
    smooth = mesh_arrays(sphere)
    assert len(smooth.vertices) == len(sphere.vertices)  # smooth: one normal per vertex
    positions, normals = smooth.vertices[:, :3], smooth.vertices[:, 3:6]
    cosine = np.einsum("ij,ij->i", normals, positions / np.linalg.norm(positions, axis=1, keepdims=True))
    assert cosine.min() > 0.99


def test_closed_meshes_are_detected():
    assert mesh_arrays(trimesh.util.concatenate([_box(), _box().apply_translation((2, 0, 0))])).closed
    inside_out = _box()
    inside_out.invert()
    assert not mesh_arrays(inside_out).closed
    open_box = _box()
    open_box.update_faces(np.arange(len(open_box.faces)) != 0)
    assert not mesh_arrays(open_box).closed


def test_open_and_closed_meshes_render_alike(renderer, background):
    """Back-face culling (closed meshes) and two-sided drawing (open ones) show the same outside."""
    closed = _box()
    two_sided = _box()
    two_sided.faces = two_sided.faces[:, ::-1]  # inside out: not closed, drawn two-sided, normals flipped back
    a = renderer.render("closed", closed, pose=(30, 20, 0), size=0.6, light_hue=50, background=background)
    b = renderer.render("two-sided", two_sided, pose=(30, 20, 0), size=0.6, light_hue=50, background=background)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert np.abs(a.image.astype(int) - b.image).max() <= 2


@pytest.mark.parametrize("fmt", ["raw", "png", "jpeg", "webp"])
def test_encode_decode_round_trip(fmt):
    image = (np.indices((SIZE, SIZE * 2)).sum(axis=0)[..., None] * np.array([1, 2, 3]) % 256).astype(np.uint8)
    data = encode_image(image, fmt, quality=90)
    decoded = decode_image(data, fmt, shape=image.shape)
    assert decoded.shape == image.shape and decoded.dtype == np.uint8
    if fmt in ("raw", "png"):
        np.testing.assert_array_equal(decoded, image)
    else:
        assert np.abs(decoded.astype(int) - image).mean() < 12


def test_encode_decode_errors():
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    with pytest.raises(InputError, match="unknown image format"):
        encode_image(image, "gif")
    with pytest.raises(InputError, match="shape"):
        decode_image(encode_image(image, "raw"), "raw")
    with pytest.raises(InputError, match="expected"):
        decode_image(encode_image(image, "png"), "png", shape=(8, 8, 3))


def test_too_many_samples_raise():
    with pytest.raises(InputError, match="samples=64 exceeds"):
        Renderer(16, 16, samples=64)


def test_dense_convex_meshes_fall_back_to_box_corners():
    arrays = mesh_arrays(trimesh.creation.icosphere(subdivisions=5))  # 10242 hull points
    assert arrays.hull.shape == (4, 8)
    np.testing.assert_allclose(np.abs(arrays.hull[:3]), 1.0, atol=1e-9)
