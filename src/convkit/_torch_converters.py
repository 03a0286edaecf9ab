"""The converters between convkit layers and torch modules, registered beside each layer class.

Each layer module ends with its converters, registered with the two decorators below:
- ``@to_torch_converter(LayerClass)`` on ``f(layer, torch) -> torch.nn.Module``: the built layer's torch
  counterpart, holding copies of its arrays;
- ``@from_torch_converter("TorchClassName", ...)`` on ``f(module, following, dtype, torch) -> (layer,
  params, state)``: a new, unbuilt layer of ``dtype`` for the module and the arrays to copy into its
  ``params`` and ``state`` once built; ``following`` is the deque of the modules after it, from which a
  converter may take one it folds in (``AdaptiveAvgPool2d(1)`` takes its ``Flatten``).

A converter is found along the class's MRO, so a subclass converts like its base; torch classes are named
by their class name because torch is never imported here: the converters receive it as an argument, and
convkit imports without torch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import numpy as np

ToTorch = Callable[..., object]
FromTorch = Callable[..., tuple]

_TO_TORCH: dict[type, ToTorch] = {}
_FROM_TORCH: dict[str, FromTorch] = {}


def to_torch_converter(layer_class: type) -> Callable[[ToTorch], ToTorch]:
    """Decorator: ``f(layer, torch)`` converts the layers of ``layer_class`` (and its subclasses)."""

    def register(converter: ToTorch) -> ToTorch:
        if layer_class in _TO_TORCH:
            raise ValueError(f"to_torch_converter: {layer_class.__name__} already has a converter.")
        _TO_TORCH[layer_class] = converter
        return converter

    return register


def from_torch_converter(*module_names: str) -> Callable[[FromTorch], FromTorch]:
    """Decorator: ``f(module, following, dtype, torch)`` converts the torch modules of these class names."""

    def register(converter: FromTorch) -> FromTorch:
        for name in module_names:
            if name in _FROM_TORCH:
                raise ValueError(f"from_torch_converter: {name} already has a converter.")
            _FROM_TORCH[name] = converter
        return converter

    return register


def modules_for(layers: Sequence, torch) -> list:
    """The torch modules of built layers, in order; a layer's activation becomes its own module after it
    (``Conv2D(..., activation="relu")`` -> ``Conv2d``, ``ReLU``), as torch models write it."""
    modules = []
    for layer in layers:
        converter = next((_TO_TORCH[cls] for cls in type(layer).__mro__ if cls in _TO_TORCH), None)
        if converter is None:
            raise TypeError(
                f"to_torch: no torch counterpart for layer {layer.name} ({type(layer).__name__})."
            )
        modules.append(converter(layer, torch))
        activation = getattr(layer, "activation_layer", None)
        if activation is not None:
            modules.extend(modules_for([activation], torch))
    return modules


def layers_from_modules(modules: Sequence, dtype: str, torch) -> list[tuple]:
    """``(layer, params, state)`` for torch modules in order, as the converters return them."""
    following = deque(modules)
    converted = []
    while following:
        module = following.popleft()
        names = (cls.__name__ for cls in type(module).__mro__)
        converter = next((_FROM_TORCH[name] for name in names if name in _FROM_TORCH), None)
        if converter is None:
            raise TypeError(f"from_torch: unsupported module {type(module).__name__}: {module}")
        converted.append(converter(module, following, dtype, torch))
    return converted


def flatten_modules(module, torch) -> list:
    """Children of nested ``nn.Sequential``s, in order."""
    if isinstance(module, torch.nn.Sequential):
        return [leaf for child in module for leaf in flatten_modules(child, torch)]
    return [module]


def torch_dtype(layer, torch):
    """The torch dtype of a layer's arrays."""
    return torch.float64 if layer.dtype == np.float64 else torch.float32


def copy_into(tensor, array: np.ndarray, torch) -> None:
    """Copy ``array`` into a torch parameter or buffer of the same shape."""
    with torch.no_grad():
        tensor.copy_(torch.from_numpy(np.ascontiguousarray(array)))


def to_numpy(tensor) -> np.ndarray:
    """A numpy copy of a torch parameter or buffer."""
    return tensor.detach().cpu().numpy().copy()


def weight_and_bias(module) -> dict[str, np.ndarray]:
    """``{"weight": ..., "bias": ...}`` copied from a torch module (no "bias" when it has none)."""
    params = {"weight": to_numpy(module.weight)}
    if module.bias is not None:
        params["bias"] = to_numpy(module.bias)
    return params


def pair(value) -> tuple[int, int]:
    """torch's int-or-pair arguments as a pair."""
    return (value, value) if isinstance(value, int) else tuple(value)
