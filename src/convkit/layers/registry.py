"""Layer classes by name, so that a layer round-trips through ``{"class_name": ..., "config": ...}``.

Every convkit layer registers itself with ``@register``; a user-defined layer does the same to be saved and
loaded by name.
"""

from __future__ import annotations

from .._registry import add
from .base import Layer

_LAYER_CLASSES: dict[str, type[Layer]] = {}


def register(cls: type[Layer]) -> type[Layer]:
    """Class decorator: make ``cls`` known to ``get``/``deserialize`` under its class name."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register: expected a subclass of Layer. Received: {cls!r}")
    add(_LAYER_CLASSES, cls.__name__, cls, "layer class")
    return cls


def get(class_name: str) -> type[Layer]:
    """The registered layer class named ``class_name`` (e.g. ``"Conv2D"``)."""
    if class_name not in _LAYER_CLASSES:
        raise ValueError(
            f"layers.get: unknown layer class {class_name!r}. Known: {', '.join(sorted(_LAYER_CLASSES))}"
        )
    return _LAYER_CLASSES[class_name]


def serialize(layer: Layer) -> dict:
    """``{"class_name": "Dense", "config": layer.get_config()}``: JSON-ready, weights not included."""
    if not isinstance(layer, Layer):
        raise TypeError(f"layers.serialize: expected a Layer. Received: {type(layer).__name__}")
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec: dict) -> Layer:
    """A new, unbuilt layer from ``serialize``'s output."""
    if not isinstance(spec, dict) or set(spec) != {"class_name", "config"}:
        raise ValueError(
            f"layers.deserialize: expected a dict with the keys 'class_name' and 'config'. Received: {spec!r}"
        )
    return get(spec["class_name"])(**spec["config"])
