"""Moving models between convkit and PyTorch with identical weights: ``to_torch`` and ``from_torch``.

torch is imported inside the functions, so convkit works without it. Layouts already agree (NCHW inputs,
OIHW conv weights); only Dense's weight is transposed, (in, out) here and (out, in) in ``torch.nn.Linear``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import layers as L
from .sequential import Sequential


def _import_torch():
    try:
        import torch
    except ImportError as err:
        raise ImportError("convkit.interop needs PyTorch: pip install 'convkit[torch]'") from err
    return torch


def _residual_module_class(torch):
    """The torch counterpart of ``layers.Residual``: out = block(x) + shortcut(x)."""

    class Residual(torch.nn.Module):
        def __init__(self, block, shortcut=None):
            super().__init__()
            self.block = block
            self.shortcut = shortcut if shortcut is not None else torch.nn.Identity()

        def forward(self, x):
            return self.block(x) + self.shortcut(x)

    return Residual


def _copy(tensor, array: np.ndarray) -> None:
    torch = _import_torch()
    with torch.no_grad():
        tensor.copy_(torch.from_numpy(np.ascontiguousarray(array)))


def _layer_to_torch(layer: L.Layer, torch):
    nn = torch.nn
    dtype = torch.float64 if layer.dtype == np.float64 else torch.float32
    if isinstance(layer, L.Dense):
        module = nn.Linear(layer.input_shape[0], layer.units, bias="bias" in layer.params, dtype=dtype)
        _copy(module.weight, layer.params["weight"].T)  # (in, out) -> (out, in)
    elif isinstance(layer, L.Conv2D):
        module = nn.Conv2d(
            layer.input_shape[0],
            layer.filters,
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            bias="bias" in layer.params,
            dtype=dtype,
        )
        _copy(module.weight, layer.params["weight"])
    elif isinstance(layer, L.BatchNorm):
        cls = nn.BatchNorm1d if len(layer.input_shape) == 1 else nn.BatchNorm2d
        module = cls(layer.input_shape[0], eps=layer.eps, momentum=layer.momentum, dtype=dtype)
        _copy(module.weight, layer.params["gamma"])
        _copy(module.bias, layer.params["beta"])
        _copy(module.running_mean, layer.state["running_mean"])
        _copy(module.running_var, layer.state["running_var"])
        return module
    elif isinstance(layer, L.MaxPool2D):
        return nn.MaxPool2d(layer.pool_size, stride=layer.stride)
    elif isinstance(layer, L.AvgPool2D):
        return nn.AvgPool2d(layer.pool_size, stride=layer.stride)
    elif isinstance(layer, L.GlobalAvgPool2D):
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    elif isinstance(layer, L.Residual):
        block = nn.Sequential(*_modules_for(layer.block_layers, torch))
        shortcut = (
            nn.Sequential(*_modules_for(layer.shortcut_layers, torch))
            if layer.shortcut_layers
            else None
        )
        return _residual_module_class(torch)(block, shortcut)
    else:
        simple = {
            L.ReLU: nn.ReLU,
            L.Sigmoid: nn.Sigmoid,
            L.Tanh: nn.Tanh,
            L.Flatten: nn.Flatten,
            L.RandomShift: nn.Identity,  # a training-time augmentation: the identity at inference
        }
        if type(layer) in simple:
            return simple[type(layer)]()
        if isinstance(layer, L.LeakyReLU):
            return nn.LeakyReLU(layer.negative_slope)
        if isinstance(layer, L.Softmax):
            return nn.Softmax(dim=-1)
        if isinstance(layer, L.Dropout):
            return nn.Dropout(layer.rate)
        raise TypeError(f"to_torch: no torch counterpart for layer {layer.name} ({type(layer).__name__}).")
    if "bias" in layer.params:
        _copy(module.bias, layer.params["bias"])
    return module


def _modules_for(layers: Sequence[L.Layer], torch) -> list:
    """The torch modules of a list of layers, in order; a fused activation becomes its own module after
    its layer (``Conv2D(..., activation="relu")`` -> ``Conv2d``, ``ReLU``), as torch models write it."""
    modules = []
    for layer in layers:
        modules.append(_layer_to_torch(layer, torch))
        if getattr(layer, "activation", None) == "relu":
            modules.append(torch.nn.ReLU())
    return modules


def to_torch(model: Sequential):
    """A ``torch.nn.Sequential`` computing the same function with copies of the weights and running stats.

    The torch module is in eval mode; call ``.train()`` on it to train.
    """
    torch = _import_torch()
    if not isinstance(model, Sequential):
        raise TypeError(f"to_torch: expected a convkit Sequential. Received: {type(model).__name__}")
    if not model.built:
        model.build()
    return torch.nn.Sequential(*_modules_for(model.layers, torch)).eval()


def _numpy(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _flatten_modules(module, torch) -> list:
    """Children of nested ``nn.Sequential``s, in order."""
    if isinstance(module, torch.nn.Sequential):
        return [leaf for child in module for leaf in _flatten_modules(child, torch)]
    return [module]


def _layers_from_torch(modules: Sequence, torch, dtype: str) -> list[tuple[L.Layer, dict, dict]]:
    """convkit layers for torch modules, each with the params and state to copy in once built."""
    nn = torch.nn
    converted = []
    for i, module in enumerate(modules):
        params: dict[str, np.ndarray] = {}
        state: dict[str, np.ndarray] = {}
        if isinstance(module, nn.Linear):
            layer = L.Dense(module.out_features, use_bias=module.bias is not None, dtype=dtype)
            params["weight"] = _numpy(module.weight).T  # (out, in) -> (in, out)
        elif isinstance(module, nn.Conv2d):
            if (
                module.groups != 1
                or _pair(module.dilation) != (1, 1)
                or module.padding_mode != "zeros"
                or isinstance(module.padding, str)
            ):
                raise TypeError(
                    f"from_torch: Conv2d with groups, dilation or string padding is not supported: {module}"
                )
            layer = L.Conv2D(
                module.out_channels,
                module.kernel_size,
                stride=module.stride,
                padding=module.padding,
                use_bias=module.bias is not None,
                dtype=dtype,
            )
            params["weight"] = _numpy(module.weight)
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            if not module.affine or not module.track_running_stats or module.momentum is None:
                raise TypeError(
                    f"from_torch: only affine BatchNorm with running stats and a momentum: {module}"
                )
            layer = L.BatchNorm(momentum=module.momentum, eps=module.eps, dtype=dtype)
            params.update(gamma=_numpy(module.weight), beta=_numpy(module.bias))
            state.update(running_mean=_numpy(module.running_mean), running_var=_numpy(module.running_var))
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            if (
                _pair(module.padding) != (0, 0)
                or module.ceil_mode
                or (isinstance(module, nn.MaxPool2d) and _pair(module.dilation) != (1, 1))
            ):
                raise TypeError(
                    f"from_torch: pooling with padding, dilation or ceil_mode is not supported: {module}"
                )
            cls = L.MaxPool2D if isinstance(module, nn.MaxPool2d) else L.AvgPool2D
            stride = module.stride if module.stride is not None else module.kernel_size
            layer = cls(module.kernel_size, stride=stride, dtype=dtype)
        elif isinstance(module, nn.AdaptiveAvgPool2d) and _pair(module.output_size) == (1, 1):
            following = modules[i + 1] if i + 1 < len(modules) else None
            if not isinstance(following, nn.Flatten):
                raise TypeError(
                    "from_torch: AdaptiveAvgPool2d(1) is supported when followed by Flatten "
                    "(convkit's GlobalAvgPool2D outputs (N, C))."
                )
            layer = L.GlobalAvgPool2D(dtype=dtype)
        elif isinstance(module, nn.Flatten) and i > 0 and isinstance(modules[i - 1], nn.AdaptiveAvgPool2d):
            continue  # folded into GlobalAvgPool2D
        elif isinstance(module, nn.LeakyReLU):
            layer = L.LeakyReLU(module.negative_slope, dtype=dtype)
        elif isinstance(module, nn.Softmax):
            if module.dim not in (-1, 1):
                raise TypeError(f"from_torch: Softmax must be over the last axis. Received: {module}")
            layer = L.Softmax(dtype=dtype)
        elif isinstance(module, nn.Dropout):
            layer = L.Dropout(module.p, dtype=dtype)
        elif type(module).__name__ == "Residual" and hasattr(module, "block"):
            block = _layers_from_torch(_flatten_modules(module.block, torch), torch, dtype)
            shortcut_modules = [
                m for m in _flatten_modules(module.shortcut, torch) if not isinstance(m, nn.Identity)
            ]
            shortcut = _layers_from_torch(shortcut_modules, torch, dtype)
            layer = L.Residual(
                [sub for sub, _, _ in block], [sub for sub, _, _ in shortcut] or None, dtype=dtype
            )
            for prefix, parts in (("block", block), ("shortcut", shortcut)):
                for j, (_, sub_params, sub_state) in enumerate(parts):
                    params.update({f"{prefix}.{j}.{k}": v for k, v in sub_params.items()})
                    state.update({f"{prefix}.{j}.{k}": v for k, v in sub_state.items()})
        else:
            simple = {nn.ReLU: L.ReLU, nn.Sigmoid: L.Sigmoid, nn.Tanh: L.Tanh, nn.Flatten: L.Flatten}
            if type(module) not in simple:
                raise TypeError(f"from_torch: unsupported module {type(module).__name__}: {module}")
            layer = simple[type(module)](dtype=dtype)
        if getattr(module, "bias", None) is not None and not isinstance(
            module, (nn.BatchNorm1d, nn.BatchNorm2d)
        ):
            params["bias"] = _numpy(module.bias)
        converted.append((layer, params, state))
    return converted


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
    converted = _layers_from_torch(_flatten_modules(module, torch), torch, dtype)
    model = Sequential([layer for layer, _, _ in converted])
    model.build(tuple(input_shape))
    for layer, params, state in converted:
        for key, value in params.items():
            np.copyto(layer.params[key], value)
        for key, value in state.items():
            np.copyto(layer.state[key], value)
    return model
