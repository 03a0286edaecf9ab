"""Moving models between convkit and PyTorch with identical weights: ``to_torch`` and ``from_torch``.

torch is imported inside the functions, so convkit works without it. Each layer converts through the
converters registered at the end of its module (see ``_torch_converters``). Layouts already agree (NCHW
inputs, OIHW conv weights); only Dense's weight is transposed, (in, out) here and (out, in) in
``torch.nn.Linear``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._model_arrays import array_name, named_arrays
from ._torch_converters import flatten_modules, layers_from_modules, modules_for
from .sequential import Sequential


def _import_torch():
    try:
        import torch
    except ImportError as err:
        raise ImportError("convkit.interop needs PyTorch: pip install 'convkit[torch]'") from err
    return torch


def to_torch(model: Sequential):
    """A ``torch.nn.Sequential`` computing the same function with copies of the weights and running stats.

    The torch module is in eval mode; call ``.train()`` on it to train.
    """
    torch = _import_torch()
    if not isinstance(model, Sequential):
        raise TypeError(f"to_torch: expected a convkit Sequential. Received: {type(model).__name__}")
    if not model.built:
        model.build()
    return torch.nn.Sequential(*modules_for(model.layers, torch)).eval()


def from_torch(module, input_shape: Sequence[int]) -> Sequential:
    """A convkit ``Sequential`` equal to ``module`` (an ``nn.Sequential`` of supported modules).

    Supported: Linear, Conv2d (no groups/dilation), BatchNorm1d/2d, MaxPool2d/AvgPool2d (no padding),
    AdaptiveAvgPool2d(1) + Flatten, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, Flatten, Dropout, and
    ``to_torch``'s Residual modules. ``input_shape`` excludes the batch axis. The dtype follows the
    module's parameters (float32 or float64).
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module. Received: {type(module).__name__}")
    first = next(module.parameters(), None)
    dtype = "float64" if first is not None and first.dtype == torch.float64 else "float32"
    converted = layers_from_modules(flatten_modules(module, torch), dtype, torch)
    model = Sequential([layer for layer, _, _ in converted])
    model.build(tuple(input_shape))
    arrays = {}
    for index, (_, params, state) in enumerate(converted):
        for group, values in (("params", params), ("state", state)):
            arrays.update({array_name(group, index, key): value for key, value in values.items()})
    model.set_weights([arrays[name] for name, _ in named_arrays(model.layers)])
    return model
