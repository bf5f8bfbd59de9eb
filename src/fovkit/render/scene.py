"""Turn design rows into images: assets, backgrounds and the GL renderer wired to the config's factor axes."""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np
import pandas as pd

from fovkit.render.assets import Asset, FolderCatalog, ProceduralCatalog
from fovkit.render.backgrounds import FolderBackgrounds, background
from fovkit.render.config import RenderConfig
from fovkit.render.sources import resolve_sources
from fovkit.store.codec import encode, extension

DEFAULTS = {"yaw": 0.0, "pitch": 0.0, "roll": 0.0, "position_x": 0.0, "position_y": 0.0, "size": 0.55}
"""Render parameters that no axis of the config sets take these values."""
CHECK_COLUMNS = ("bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1", "visible_fraction", "clipped", "blank")


class SceneRenderer:
    """Everything one process needs to render rows of a config: catalog, backgrounds and one GL context."""

    def __init__(self, config: RenderConfig) -> None:
        # Rasterise in the calling thread (one process per core renders), whatever the caller's environment says, so
        # that every process of a dataset uses the same rasteriser set-up.
        os.environ["LP_NUM_THREADS"] = "0"
        from fovkit.render.gl import Renderer  # the GL context is created here, in the rendering process

        self.config = config
        self.class_names = list(resolve_sources(config).class_names)
        if config.assets is not None:
            self.catalog = FolderCatalog(config.assets)
        else:
            self.catalog = ProceduralCatalog(self.class_names, config.instances_per_class, seed=config.seed)
        self.backgrounds = FolderBackgrounds(config.backgrounds) if config.backgrounds else background
        self.renderer = Renderer(config.image_size, config.image_size, config.samples)
        self.extension = extension(config.image_format)
        self._assets: OrderedDict[tuple[str, int], Asset] = OrderedDict()

    def render_rows(self, frame: pd.DataFrame) -> tuple[list[bytes], pd.DataFrame]:
        """Encoded images and render checks (box, visible fraction, clipped, blank) for rows of `design_table`."""
        parameters = {axis.parameter: name for name, axis in self.config.axes.items()}
        columns = {parameter: frame[name].to_numpy(dtype=np.float64) for parameter, name in parameters.items()}
        size = self.config.image_size
        images, checks = [], []
        for row in range(len(frame)):
            value = {name: columns[name][row] if name in columns else default for name, default in DEFAULTS.items()}
            class_name, instance = self.class_names[int(frame["label"].iat[row])], int(frame["instance"].iat[row])
            result = self.renderer.render(
                f"{class_name}/{instance}",
                self._asset(class_name, instance).mesh,
                pose=(value["yaw"], value["pitch"], value["roll"]),
                position=(value["position_x"], value["position_y"]),
                size=value["size"],
                light_hue=columns["light_hue"][row] if "light_hue" in columns else None,
                light_intensity=columns["light_intensity"][row] if "light_intensity" in columns else 1.0,
                background=self.backgrounds(
                    frame["background_type"].iat[row], int(frame["background_index"].iat[row]), size, self.config.seed
                ),
            )
            images.append(encode(result.image, self.config.image_format, self.config.jpeg_quality))
            box = result.bbox or (-1, -1, -1, -1)
            checks.append((*box, result.visible_fraction, result.clipped, result.blank))
        return images, pd.DataFrame(checks, columns=list(CHECK_COLUMNS), index=frame.index)

    def _asset(self, class_name: str, instance: int) -> Asset:
        key = (class_name, instance)
        if key not in self._assets:
            if len(self._assets) >= 64:
                self._assets.popitem(last=False)
            self._assets[key] = self.catalog.asset(class_name, instance)
        self._assets.move_to_end(key)
        return self._assets[key]
