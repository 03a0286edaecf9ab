"""Optimizers by name, Keras style: ``get("adam")``, ``serialize(opt)`` and ``deserialize(config)``.

Every optimizer class registers itself with ``@register`` (under its lower-case class name, e.g.
``"rmsprop"``); ``register_preset`` names a configured instance (``"momentum"`` is SGD with momentum=0.9).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from .._registry import add
from .base import Optimizer

OPTIMIZER_CLASSES: dict[str, type[Optimizer]] = {}  # lower-case class name -> class
_NAMED_OPTIMIZERS: dict[str, Callable[[], Optimizer]] = {}  # name -> factory with that name's defaults


def register(cls: type[Optimizer]) -> type[Optimizer]:
    """Class decorator: make ``cls`` known to ``get`` and ``deserialize`` under ``cls.__name__.lower()``."""
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise TypeError(f"register: expected a subclass of Optimizer. Received: {cls!r}")
    add(OPTIMIZER_CLASSES, cls.__name__.lower(), cls, "optimizer")
    add(_NAMED_OPTIMIZERS, cls.__name__.lower(), cls, "optimizer")
    return cls


def register_preset(name: str, cls: type[Optimizer], **config) -> None:
    """Make ``get(name)`` return ``cls(**config)`` (``name`` in lower case, taken by no other optimizer)."""
    add(_NAMED_OPTIMIZERS, name.lower(), functools.partial(cls, **config), "optimizer")


def _known(names) -> str:
    return ", ".join(repr(name) for name in sorted(names))


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": ..., "config": ...}``, which ``deserialize`` turns back into an equal optimizer.

    Hyperparameters only: the slots and step counter are ``optimizer.get_state()``.
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"serialize: expected an Optimizer. Received: {optimizer!r}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict) -> Optimizer:
    """A new optimizer from ``{"class_name": "Adam", "config": {...}}`` (the class name in any case)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f'deserialize: expected a dict {{"class_name": ..., "config": ...}}. Received: {config!r}'
        )
    class_name = config["class_name"]
    cls = OPTIMIZER_CLASSES.get(str(class_name).lower())
    if cls is None:
        known = _known(known_cls.__name__ for known_cls in OPTIMIZER_CLASSES.values())
        raise ValueError(f"Unknown optimizer class_name: {class_name!r}. Known classes: {known}")
    return cls(**config.get("config", {}))


def get(identifier: Optimizer | str | dict) -> Optimizer:
    """An optimizer from an instance (returned as is), a name or a ``serialize`` dict.

    Names, case-insensitive, give the defaults: ``"sgd"``, ``"momentum"`` (SGD with momentum=0.9),
    ``"rmsprop"``, ``"adam"``, ``"adamax"``, ``"adamw"``.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        factory = _NAMED_OPTIMIZERS.get(identifier.lower())
        if factory is None:
            known = _known(_NAMED_OPTIMIZERS)
            raise ValueError(f"Unknown optimizer: {identifier!r}. Known optimizers: {known}")
        return factory()
    raise TypeError(
        f"optimizers.get: expected an Optimizer, a name or a config dict. Received: {identifier!r}"
    )
