"""Object assets for synthetic factor datasets: a seeded procedural catalog of 3D classes, or a folder of user meshes.

3D Warehouse objects (robustness-limits paper, section 3.1) are not available offline, so fovkit ships procedural
classes built from trimesh primitives. Each class is a registered builder, a pure function of a seeded
`numpy.random.Generator` that returns coloured parts; `make_instance` turns (class, instance index, seed) into the
same mesh, byte for byte, on every machine.

Conventions shared by every asset (procedural or loaded from a folder):

- Canonical frame: the object stands upright along +Y and its front faces +Z (a car's bonnet, a chair's seat edge,
  a clock's dial, a laptop's screen). Long tools stand on their grip (hammer head, blade, tip up); vehicles point
  their nose to +Z. The renderer rotates the asset for pose.
- Normalised: the axis-aligned bounding box is centred at the origin and its longest side is 1.0, so the object fits
  the cube [-0.5, 0.5]^3 in canonical pose and the sphere of radius sqrt(3)/2 in any pose.
- Colours: one RGBA uint8 colour per face (`mesh.visual.face_colors`, alpha 255); `Asset.face_colors` gives RGB.
  Meshes are triangle soups of closed or open parts, not one watertight solid: render them double-sided.

Layout: `classes` (the registry, `Part`, `Asset`, `make_instance`), `catalog` (procedural and folder catalogs),
`meshfiles` (reading user meshes), `shapes` and `palette` (helpers of the builders), and one module per object
family whose builders register their classes when this package is imported.
"""

from fovkit.render.assets import (  # noqa: F401  (imported to register their classes)
    appliances,
    buildings,
    furniture,
    handheld,
    nature,
    ornaments,
    outdoor,
    tableware,
    vehicles,
)
from fovkit.render.assets.catalog import Catalog, FolderCatalog, ProceduralCatalog, load_mesh_folder
from fovkit.render.assets.classes import (
    Asset,
    Builder,
    Color,
    Part,
    assemble_parts,
    get_class,
    instance_rng,
    list_classes,
    make_instance,
    normalize_mesh,
    register_class,
)
from fovkit.render.assets.meshfiles import DEFAULT_COLOR, load_mesh

__all__ = [
    "DEFAULT_COLOR",
    "Asset",
    "Builder",
    "Catalog",
    "Color",
    "FolderCatalog",
    "Part",
    "ProceduralCatalog",
    "assemble_parts",
    "get_class",
    "instance_rng",
    "list_classes",
    "load_mesh",
    "load_mesh_folder",
    "make_instance",
    "normalize_mesh",
    "register_class",
]
