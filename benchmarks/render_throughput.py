"""Benchmark: images per second per CPU core of fovkit's dataset renderer, beside pyrender on the same scene.

fovkit is timed end to end: `render_shard` designs the rows, renders them (EGL, Mesa llvmpipe, rasterising in the
calling thread: `LP_NUM_THREADS=0`), JPEG-encodes them (quality 90), checks boxes and visibility, and writes and
checksums a zstd Parquet shard. Shards are spread evenly over every design of a config of `--classes` classes
(spread over the catalog) x `--instances` instances, so rows mix designs, objects and factor values like the full
plan. One warm-up pass over the same shards builds the GL context, the assets and the uploaded meshes; then the
same shards are rendered `--repeats` times into fresh folders and the best pass counts (other jobs on the machine
make timings noisy). The process is pinned to one core (`--cpu`), so the rate is per core.

pyrender (what users would pick instead) renders the same rows in its own virtualenv, pinned to the same core: the
same meshes with their face colours (flat shaded, opaque, two-sided where fovkit draws them two-sided), the same
camera (30° vertical field of view, object at depth 4), the same model matrices, a spot light of the same hue,
position, direction and cone, a weak ambient and a white directional fill, drawn with `RenderFlags.RGBA` and
composited over the same background image with numpy (pyrender has no background image), then JPEG-encoded by
Pillow at the same quality. Its clock covers, per image: posing the mesh and light, render, composite, encode;
building the scene and uploading meshes (a first render of every mesh) happen before the clock. pyrender always
draws with 4x multisampling; for the samples=1 row its multisample renderbuffers are patched to single-sample.

The projection of the paper plan (`fovkit render plan paper`) is images / (rate per core x `--cores`), plus the
asset builds the plan's shards need (an upper bound: every shard builds each of its objects once).

Setup of the pyrender virtualenv (tested with Python 3.11.7, Mesa 22.3 EGL and llvmpipe; pyrender's own pin,
PyOpenGL 3.1.0, works with PYOPENGL_PLATFORM=egl, which the peer script sets):
    python3 -m venv /tmp/pyrender-venv
    /tmp/pyrender-venv/bin/pip install pyrender==0.1.45 PyOpenGL==3.1.0 trimesh==5.2.0 numpy==2.4.6 pillow==13.0.0

Usage (about three minutes; without the virtualenv it prints fovkit's numbers and why pyrender could not run):
    .venv/bin/python benchmarks/render_throughput.py --pyrender-python /tmp/pyrender-venv/bin/python
"""

from __future__ import annotations

import argparse
import colorsys
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET = 400.0
"""Images per second per core that the issue asks for at 224 px, JPEG, shards written."""

CASES = (("224 px, samples=4", 224, 4), ("224 px, samples=1", 224, 1), ("64 px, samples=4", 64, 4))

PYRENDER = r"""
import io, json, os, sys, time
os.environ["PYOPENGL_PLATFORM"] = "egl"
import numpy as np
import pyrender
import trimesh
from PIL import Image

path, sample_path = sys.argv[1], sys.argv[5]
size, samples, repeats = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if samples != 4:  # pyrender hard-codes 4x multisampling; 0 samples gives single-sample renderbuffers
    original = pyrender.renderer.glRenderbufferStorageMultisample
    pyrender.renderer.glRenderbufferStorageMultisample = (
        lambda target, n, fmt, w, h: original(target, 0 if samples == 1 else samples, fmt, w, h)
    )
data = np.load(path)
start = time.perf_counter()
scene = pyrender.Scene(bg_color=[0.0, 0.0, 0.0, 0.0], ambient_light=data["ambient"])
camera = pyrender.PerspectiveCamera(yfov=float(data["yfov"]), znear=float(data["znear"]), zfar=float(data["zfar"]),
                                    aspectRatio=1.0)
scene.add(camera, pose=np.eye(4))
scene.add(pyrender.DirectionalLight(color=np.ones(3), intensity=float(data["fill"])), pose=data["fill_pose"])
spot = pyrender.SpotLight(color=np.ones(3), intensity=1.0, innerConeAngle=float(data["inner"]),
                          outerConeAngle=float(data["outer"]))
spot_node = scene.add(spot, pose=np.eye(4))
nodes = []
for index, closed in enumerate(data["closed"]):
    mesh = trimesh.Trimesh(data[f"vertices_{index}"], data[f"faces_{index}"], face_colors=data[f"colors_{index}"],
                           process=False)
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0,
                                                  roughnessFactor=0.7, alphaMode="OPAQUE", doubleSided=not closed)
    nodes.append(scene.add(pyrender.Mesh.from_trimesh(mesh, material=material, smooth=False), pose=np.eye(4)))
    nodes[-1].mesh.is_visible = False
renderer = pyrender.OffscreenRenderer(size, size)
flags = pyrender.RenderFlags.RGBA
for node in nodes:  # upload every mesh before the clock
    node.mesh.is_visible = True
    renderer.render(scene, flags=flags)
    node.mesh.is_visible = False
setup = time.perf_counter() - start
rows = data["mesh"]
models, light_poses, light_colors = data["model"], data["light_pose"], data["light_color"]
intensities, backgrounds, which = data["light_intensity"], data["backgrounds"], data["background"]
best, total_bytes = float("inf"), 0
for repeat in range(repeats):
    shown = None
    start = time.perf_counter()
    total_bytes = 0
    for row in range(len(rows)):
        node = nodes[rows[row]]
        if shown is not node:
            if shown is not None:
                shown.mesh.is_visible = False
            node.mesh.is_visible = True
            shown = node
        scene.set_pose(node, models[row])
        scene.set_pose(spot_node, light_poses[row])
        spot.color, spot.intensity = light_colors[row], float(intensities[row])
        rgba, _ = renderer.render(scene, flags=flags)
        alpha = rgba[..., 3:].astype(np.uint16)
        image = ((rgba[..., :3] * alpha + backgrounds[which[row]] * (255 - alpha) + 127) // 255).astype(np.uint8)
        out = io.BytesIO()
        Image.fromarray(image).save(out, "JPEG", quality=int(data["quality"]))
        total_bytes += out.tell()
        if repeat == 0 and row == 0 and sample_path:
            Image.fromarray(image).save(sample_path)
    best = min(best, time.perf_counter() - start)
renderer.delete()
import OpenGL
versions = {"pyrender": pyrender.__version__, "PyOpenGL": OpenGL.__version__, "trimesh": trimesh.__version__,
            "numpy": np.__version__}
print(json.dumps({"seconds": best, "images": int(len(rows)), "setup_seconds": setup,
                  "mean_jpeg_bytes": total_bytes / len(rows), "versions": versions}))
"""


def spread_classes(count: int) -> list[str]:
    """`count` class names spread evenly over the procedural catalog (the paper plan uses all of them)."""
    from fovkit.render.assets import list_classes

    names = list_classes()
    picks = np.linspace(0, len(names) - 1, min(count, len(names))).round().astype(int)
    return [names[i] for i in picks]


def bench_config(classes: list[str], instances: int, size: int, samples: int, shard_size: int):
    from fovkit.render.config import RenderConfig

    return RenderConfig(
        classes=classes,
        instances_per_class=instances,
        image_size=size,
        samples=samples,
        image_format="jpeg",
        jpeg_quality=90,
        shard_size=shard_size,
    )


def spread_tasks(config, count: int) -> list:
    """`count` shards spread evenly over every shard of every design of `config`."""
    from fovkit.render.dataset import shard_tasks

    tasks = shard_tasks(config)
    picks = sorted(set(np.linspace(0, len(tasks) - 1, min(count, len(tasks))).round().astype(int).tolist()))
    return [tasks[i] for i in picks]


def measure_fovkit(config, tasks: list, repeats: int) -> dict:
    """Best seconds over `repeats` passes of `render_shard` over `tasks`, after one warm-up pass."""
    from fovkit.render.dataset import render_shard

    images = sum(task.stop - task.start for task in tasks)
    with tempfile.TemporaryDirectory(prefix="fovkit-bench-") as tmp:
        passes = []
        for repeat in range(repeats + 1):
            out = Path(tmp) / f"pass{repeat}"
            out.mkdir()
            start = time.perf_counter()
            for task in tasks:
                render_shard(config, task, out)
            passes.append(time.perf_counter() - start)
        shard_bytes = sum(path.stat().st_size for path in out.glob("*.parquet"))
    best = min(passes[1:])
    return {
        "images": images,
        "seconds": best,
        "warmup_seconds": passes[0] - best,
        "shard_bytes": shard_bytes,
        "render_seconds": measure_fovkit_render(config, tasks, repeats),
    }


def measure_fovkit_render(config, tasks: list, repeats: int) -> float:
    """Best seconds of `SceneRenderer.render_rows` (render, JPEG, checks; no shard) over the rows of `tasks`."""
    from fovkit.render.design import design_table
    from fovkit.render.scene import SceneRenderer

    frames = [design_table(config, task.design, task.start, task.stop) for task in tasks]
    scene = SceneRenderer(config)
    try:
        for frame in frames:  # warm-up: assets and uploads
            scene.render_rows(frame)
        passes = []
        for _ in range(repeats):
            start = time.perf_counter()
            for frame in frames:
                scene.render_rows(frame)
            passes.append(time.perf_counter() - start)
    finally:
        scene.renderer.release()
    return min(passes)


def asset_seconds(classes: list[str], instances: int) -> float:
    """Mean seconds to build one procedural asset (mesh and colours) of these classes."""
    from fovkit.render.assets import make_instance

    start = time.perf_counter()
    for name in classes:
        for index in range(instances):
            make_instance(name, index, seed=0)
    return (time.perf_counter() - start) / (len(classes) * instances)


def export_scene(config, tasks: list, path: Path) -> None:
    """Write the rows of `tasks` as pyrender inputs: meshes, model matrices, spot lights and backgrounds (.npz)."""
    from fovkit.render.assets import ProceduralCatalog
    from fovkit.render.backgrounds import background
    from fovkit.render.design import design_table
    from fovkit.render.gl import DISTANCE, Lighting, mesh_arrays, rotation
    from fovkit.render.scene import DEFAULTS

    fov = 30.0  # Renderer's default, used by SceneRenderer
    light = Lighting()
    half_height = DISTANCE * math.tan(math.radians(fov) / 2)
    catalog = ProceduralCatalog(config.classes, config.instances_per_class, seed=config.seed)
    class_names = catalog.classes()
    parameters = {axis.parameter: name for name, axis in config.axes.items()}
    meshes: dict[tuple[str, int], int] = {}
    arrays: dict[str, np.ndarray] = {}
    closed: list[bool] = []
    backgrounds: dict[tuple[str, int], int] = {}
    images: list[np.ndarray] = []
    rows: dict[str, list] = {key: [] for key in ("mesh", "model", "light_pose", "light_color", "light_intensity")}
    rows["background"] = []
    for task in tasks:
        frame = design_table(config, task.design, task.start, task.stop)
        for row in range(len(frame)):
            value = {
                name: float(frame[parameters[name]].iat[row]) if name in parameters else default
                for name, default in DEFAULTS.items()
            }
            key = (class_names[int(frame["label"].iat[row])], int(frame["instance"].iat[row]))
            if key not in meshes:
                mesh = catalog.asset(*key).mesh
                index = meshes[key] = len(meshes)
                arrays[f"vertices_{index}"] = np.asarray(mesh.vertices, dtype=np.float64)
                arrays[f"faces_{index}"] = np.asarray(mesh.faces, dtype=np.int64)
                arrays[f"colors_{index}"] = np.asarray(mesh.visual.face_colors, dtype=np.uint8)
                closed.append(bool(mesh_arrays(mesh).closed))
            backdrop = (str(frame["background_type"].iat[row]), int(frame["background_index"].iat[row]))
            if backdrop not in backgrounds:
                backgrounds[backdrop] = len(images)
                images.append(background(*backdrop, config.image_size, config.seed))
            scale = value["size"] * 2 * half_height
            model = np.eye(4)
            model[:3, :3] = scale * rotation(value["yaw"], value["pitch"], value["roll"])
            model[:3, 3] = (value["position_x"] * half_height, value["position_y"] * half_height, -DISTANCE)
            offset = scale * np.asarray(light.spot_offset)
            hue = float(frame[parameters["light_hue"]].iat[row]) if "light_hue" in parameters else None
            strength = float(frame[parameters["light_intensity"]].iat[row]) if "light_intensity" in parameters else 1.0
            rgb = (1.0, 1.0, 1.0) if hue is None else colorsys.hsv_to_rgb((hue % 360.0) / 360.0, 1.0, 1.0)
            rows["mesh"].append(meshes[key])
            rows["model"].append(model)
            rows["light_pose"].append(_look_from(model[:3, 3] + offset, model[:3, 3]))
            rows["light_color"].append(np.square(rgb))  # fovkit's spot colour is linear: sRGB approximated by gamma 2
            # pyrender divides the spot's radiance by distance squared and the diffuse term by pi; fovkit does neither
            rows["light_intensity"].append(strength * math.pi * float(offset @ offset))
            rows["background"].append(backgrounds[backdrop])
    fill = np.asarray(light.fill_dir, dtype=np.float64)
    np.savez(
        path,
        **arrays,
        **{key: np.asarray(values) for key, values in rows.items()},
        closed=np.asarray(closed),
        backgrounds=np.stack(images),
        ambient=np.full(3, light.ambient),
        fill=np.float64(light.fill * math.pi),
        fill_pose=_look_from(fill, np.zeros(3)),
        inner=np.float64(math.radians(light.spot_inner_deg)),
        outer=np.float64(math.radians(light.spot_outer_deg)),
        yfov=np.float64(math.radians(fov)),
        znear=np.float64(0.05 * DISTANCE),
        zfar=np.float64(4 * DISTANCE),
        quality=np.int64(config.jpeg_quality),
    )


def _look_from(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pose of a pyrender light at `eye` whose -Z axis points at `target`."""
    z = eye - target
    z = z / np.linalg.norm(z)
    up = np.array([0.0, 1.0, 0.0]) if abs(z[1]) < 0.99 else np.array([1.0, 0.0, 0.0])
    x = np.cross(up, z)
    x /= np.linalg.norm(x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, np.cross(z, x), z, eye
    return pose


def measure_pyrender(python: str, scene: Path, size: int, samples: int, repeats: int, sample: str) -> dict:
    """Run the pyrender peer in its own interpreter; its JSON line, or {"error": why}."""
    if not Path(python).exists():
        return {"error": f"no interpreter at {python}; create the virtualenv (see this file's docstring)"}
    command = [python, "-c", PYRENDER, str(scene), str(size), str(samples), str(repeats), sample]
    env = {**os.environ, "PYOPENGL_PLATFORM": "egl", "LP_NUM_THREADS": "0"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=env, timeout=1800)
    except subprocess.TimeoutExpired:
        return {"error": "pyrender ran past 30 minutes"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"error": f"pyrender exited {done.returncode}: {lines[-1] if lines else 'no message'}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def paper_plan() -> tuple[int, int]:
    """Images of the paper plan and its asset builds (every shard builds each of its objects once, at most)."""
    from fovkit.render.dataset import shard_tasks
    from fovkit.render.design import design_sizes
    from fovkit.render.presets import load_render_config

    config = load_render_config("paper")
    per_object = {size.design: size.per_object for size in design_sizes(config)}
    builds = sum(
        (task.stop - 1) // per_object[task.design] - task.start // per_object[task.design] + 1
        for task in shard_tasks(config)
    )
    return sum(size.total for size in design_sizes(config)), builds


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=10, help="classes, spread over the catalog")
    parser.add_argument("--instances", type=int, default=2, help="instances per class")
    parser.add_argument("--shard-size", type=int, default=100, help="images per timed shard")
    parser.add_argument("--shards", type=int, default=16, help="timed shards, spread over every design")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the best counts")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="cores for the paper-plan projection")
    parser.add_argument("--cpu", type=int, default=-2, help="core to pin to (-1: no pinning; default: the last)")
    parser.add_argument("--pyrender-python", default="/tmp/pyrender-venv/bin/python", help="interpreter with pyrender")
    parser.add_argument("--samples-dir", type=Path, help="write each tool's first 224 px samples=4 image here")
    args = parser.parse_args()
    os.environ["LP_NUM_THREADS"] = "0"  # before any GL context: rasterise in the calling thread, one process per core

    if args.cpu != -1 and hasattr(os, "sched_setaffinity"):
        cpu = sorted(os.sched_getaffinity(0))[-1] if args.cpu == -2 else args.cpu
        os.sched_setaffinity(0, {cpu})  # the pyrender subprocess inherits the pinning
        print(f"pinned to CPU {cpu}; LP_NUM_THREADS=0", file=sys.stderr)

    classes = spread_classes(args.classes)
    builds = asset_seconds(classes, args.instances)
    plan_images, plan_builds = paper_plan()
    results = []
    for label, size, samples in CASES:
        config = bench_config(classes, args.instances, size, samples, args.shard_size)
        tasks = spread_tasks(config, args.shards)
        print(f"{label}: fovkit, {sum(t.stop - t.start for t in tasks)} images ...", file=sys.stderr)
        fovkit = measure_fovkit(config, tasks, args.repeats)
        sample = ""
        if args.samples_dir is not None and (size, samples) == (224, 4):
            args.samples_dir.mkdir(parents=True, exist_ok=True)
            sample = str(args.samples_dir / "pyrender.png")
            _save_fovkit_sample(config, tasks[0], args.samples_dir / "fovkit.png")
        print(f"{label}: pyrender ...", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="pyrender-bench-") as tmp:
            scene = Path(tmp) / "scene.npz"
            export_scene(config, tasks, scene)
            peer = measure_pyrender(args.pyrender_python, scene, size, samples, args.repeats, sample)
        results.append((label, size, samples, fovkit, peer))

    print(f"\nScene: {len(classes)} classes x {args.instances} instances, {args.shards} shards of {args.shard_size}")
    print("spread over the single/paired/all designs; JPEG quality 90; one process on one core; best of")
    print(f"{args.repeats} passes after a warm-up. fovkit: render_shard (render, encode, checks, Parquet shard).")
    print("(no shard): fovkit's SceneRenderer.render_rows alone (render, encode, checks), for reference.")
    print("pyrender: render (RGBA) + numpy composite over the background + JPEG encode, no shard.")
    print("fovkit/pyrender and the 400/s target use fovkit's full rate (shards written).\n")
    header = (
        f"{'case':<18} {'fovkit img/s':>13} {'(no shard)':>11} {'pyrender img/s':>15} {'fovkit/pyrender':>16}"
        f" {'>= 400/s':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, size, _, fovkit, peer in results:
        rate = fovkit["images"] / fovkit["seconds"]
        if "error" in peer:
            peer_rate, ratio = "n/a", "n/a"
        else:
            peer_value = peer["images"] / peer["seconds"]
            peer_rate, ratio = f"{peer_value:.0f}", f"{rate / peer_value:.1f}x"
        target = ("yes" if rate >= TARGET else "no") if size == 224 else "-"
        no_shard = fovkit["images"] / fovkit["render_seconds"]
        print(f"{label:<18} {rate:>13.0f} {no_shard:>11.0f} {peer_rate:>15} {ratio:>16} {target:>9}")
    errors = {peer["error"] for *_, peer in results if "error" in peer}
    for error in sorted(errors):
        print(f"\npyrender could not run: {error}")
    versions = next((peer["versions"] for *_, peer in results if "versions" in peer), None)
    if versions:
        print(f"\npyrender peer: {', '.join(f'{k} {v}' for k, v in versions.items())} (EGL, llvmpipe)")
    objects = len(classes) * args.instances
    print(f"fovkit warm-up (GL context, {objects} assets, uploads, first pass) over a timed pass:")
    for label, *_, fovkit, _ in results:
        print(f"  {label}: +{fovkit['warmup_seconds']:.2f} s")

    print(
        f"\nPaper plan: {plan_images:,} images; {plan_builds:,} asset builds at most ({builds * 1e3:.1f} ms each); "
        f"{args.cores} cores at the measured rate per core:"
    )
    for label, _, _, fovkit, peer in results:
        rate = fovkit["images"] / fovkit["seconds"]
        wall = (plan_images / rate + plan_builds * builds) / args.cores
        line = f"  {label:<18} fovkit {hours(wall):>9}"
        if "error" not in peer:
            peer_wall = plan_images / (peer["images"] / peer["seconds"]) / args.cores
            line += f"   pyrender {hours(peer_wall):>9}"
        print(line)


def _save_fovkit_sample(config, task, path: Path) -> None:
    """Decode the first image of `task`'s shard into `path` (for a side-by-side look at the two renderers)."""
    import io

    import pyarrow.parquet as pq
    from PIL import Image

    from fovkit.render.dataset import render_shard

    with tempfile.TemporaryDirectory() as tmp:
        record = render_shard(config, task, Path(tmp))
        image = pq.read_table(Path(tmp) / record.name, columns=["image"]).column("image")[0].as_py()
    Image.open(io.BytesIO(image["bytes"])).save(path)


if __name__ == "__main__":
    main()
