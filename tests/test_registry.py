from __future__ import annotations

import pytest

from fovkit.errors import InputError
from fovkit.registry import Registry


def test_register_list_get_and_errors():
    registry: Registry[int] = Registry("widget", "list_widgets()", "widget")
    registry.register("wine_glass")(1)
    registry.register("wheel")(2)
    assert registry.names() == ["wheel", "wine_glass"] and registry.names("wi*") == ["wine_glass"]
    assert registry.get("wheel") == 2 and "wheel" in registry and len(registry) == 2
    with pytest.raises(ValueError, match="already registered"):
        registry.register("wheel")(3)
    with pytest.raises(ValueError, match="lower-case identifiers"):
        registry.register("Wheel")
    with pytest.raises(
        InputError, match=r"unknown widget 'wheal'; closest matches: \['wheel'\]; list_widgets\(\)"
    ) as caught:
        registry.get("wheal")
    assert caught.value.field == "widget"
