"""Residual: a skip connection around a list of layers, so that ResNet blocks fit in a Sequential."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._validation import optional_seed
from ..functional.add import add, add_relu_backward, add_relu_forward
from ._container import Container, LayerSpec, layer_list
from .activations import ReLU
from .base import Layer
from .chain import folding, folds_last_pair, run_chain
from .normalization import BatchNorm
from .registry import register, serialize


@register
class Residual(Container):
    """out = block(x) + shortcut(x): the block's layers applied in sequence, plus the input carried by the
    shortcut (the identity by default, or e.g. ``[Conv2D(filters, 1, stride=2), BatchNorm()]`` when the
    block changes the shape). A ResNet basic block ends with a ReLU of the sum: ``activation="relu"``
    fuses it into the sum (the same values and gradients as a ``ReLU()`` after the Residual, one pass
    fewer each way), and where the block ends with a batch norm without activation, the sum and the ReLU
    into that batch norm's pass (``BatchNorm.forward_add_relu``: bit for bit, one pass fewer again), or
    inside ``inference()``, where that batch norm folds into the convolution before it, into the
    convolution's pass (``Conv2D.forward_folded`` with the residual)::

        Residual([Conv2D(16, 3, padding="same"), BatchNorm(activation="relu"),
                  Conv2D(16, 3, padding="same"), BatchNorm()], activation="relu"),

    Arguments:
    - block_layers: a list of Layers (or their ``serialize`` dicts), at least one
    - shortcut: None (identity), a Layer or a list of Layers (or their dicts)
    - activation: None (or "linear") or "relu", applied to the sum
    - seed: if given, the build derives a seed for every sublayer whose ``seed`` is None; like the
      ``seed`` of Dense or Conv2D it may be set before the build

    The sublayers are built in sequence from the Residual's input shape and take its dtype.
    ``params``, ``grads`` and ``state`` merge the sublayers' dicts with keys ``"block.{i}.{key}"`` and
    ``"shortcut.{i}.{key}"`` (the same arrays, so in-place optimizer updates reach the sublayers).
    """

    def __init__(
        self,
        block_layers: Sequence[LayerSpec],
        shortcut: LayerSpec | Sequence[LayerSpec] | None = None,
        seed: int | None = None,
        activation: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if activation not in (None, "linear", "relu"):
            raise ValueError(
                "Residual: activation must be None, 'linear' or 'relu' (fused into the sum). "
                f"Received: activation={activation!r}"
            )
        self.activation = None if activation == "linear" else activation
        self.block_layers: list[Layer] = layer_list(block_layers, "block_layers", "Residual")
        if not self.block_layers:
            raise ValueError("Residual: block_layers must hold at least one layer. Received: block_layers=[]")
        self.shortcut_layers: list[Layer] = (
            [] if shortcut is None else layer_list(shortcut, "shortcut", "Residual")
        )
        self._check_distinct("block_layers and shortcut")
        self.seed = optional_seed(seed, "seed", "Residual")
        self._fused_tail = False  # whether the last forward pass ended in BatchNorm.forward_add_relu

    def _groups(self) -> dict[str, list[Layer]]:
        return {"block": self.block_layers, "shortcut": self.shortcut_layers}

    def _output_shape(self, input_shape: tuple[int, ...], build: bool) -> tuple[int, ...]:
        block_shape = self._chain_shape(self.block_layers, input_shape, build)
        shortcut_shape = self._chain_shape(self.shortcut_layers, input_shape, build)
        if block_shape != shortcut_shape:
            raise ValueError(
                f"Residual: the block's output shape {block_shape} must match the shortcut's "
                f"{shortcut_shape} to be added (input_shape={input_shape}). Give a shortcut that maps one "
                "to the other, "
                "e.g. shortcut=[Conv2D(filters, 1, stride=stride), BatchNorm()]."
            )
        return block_shape

    @property
    def activation_layer(self) -> Layer | None:
        """The fused ReLU as a layer of its own (what ``to_torch`` writes after the Residual), or None."""
        if self.activation is None:
            return None
        return ReLU(name=f"{self.name}_relu", dtype=self.dtype)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        last = self.block_layers[-1]
        ends_in_norm = self.activation == "relu" and isinstance(last, BatchNorm) and last.activation is None
        if ends_in_norm and folds_last_pair(self.block_layers, training):  # inference: into the folded conv
            self._fused_tail = False
            conv = self.block_layers[-2]
            block = run_chain(self.block_layers[:-2], x, training)
            shortcut = run_chain(self.shortcut_layers, x, training)
            return conv.forward_folded(block, *last.inference_affine(), relu=True, residual=shortcut)
        self._fused_tail = ends_in_norm and not folding(training)
        body = self.block_layers[:-1] if self._fused_tail else self.block_layers
        block = run_chain(body, x, training)
        shortcut = run_chain(self.shortcut_layers, x, training)
        if self._fused_tail:
            return last.forward_add_relu(block, shortcut, training)
        if self.activation is None:
            return add(block, shortcut)
        out, self._cache = add_relu_forward(block, shortcut)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = np.asarray(dout, dtype=self.dtype)
        body = self.block_layers
        if self._fused_tail:  # dout becomes the sum's gradient: the shortcut's, and the last batch norm's
            dblock, dout = self.block_layers[-1].backward_add_relu(dout)
            body = self.block_layers[:-1]
        elif self.activation is not None:
            dblock = dout = add_relu_backward(dout, self._cache)
        else:
            dblock = dout
        for layer in reversed(body):
            dblock = layer.backward(dblock)
        dshortcut = dout
        for layer in reversed(self.shortcut_layers):
            dshortcut = layer.backward(dshortcut)
        return add(dblock, dshortcut)

    def get_config(self) -> dict:
        return {
            "block_layers": [serialize(layer) for layer in self.block_layers],
            "shortcut": [serialize(layer) for layer in self.shortcut_layers] or None,
            "seed": self.seed,
            "activation": self.activation,
            **super().get_config(),
        }


# -- torch interop ---------------------------------------------------------------------------------------
def _residual_module_class(torch):
    """The torch counterpart of ``Residual``: out = block(x) + shortcut(x)."""

    class Residual(torch.nn.Module):
        def __init__(self, block, shortcut=None):
            super().__init__()
            self.block = block
            self.shortcut = shortcut if shortcut is not None else torch.nn.Identity()

        def forward(self, x):
            return self.block(x) + self.shortcut(x)

    return Residual


@interop.to_torch_converter(Residual)
def _residual_to_torch(layer: Residual, torch):
    block = torch.nn.Sequential(*interop.modules_for(layer.block_layers, torch))
    shortcut = None
    if layer.shortcut_layers:
        shortcut = torch.nn.Sequential(*interop.modules_for(layer.shortcut_layers, torch))
    return _residual_module_class(torch)(block, shortcut)


@interop.from_torch_converter("Residual")
def _residual_from_torch(module, following, dtype: str, torch):
    if not hasattr(module, "block"):
        raise TypeError(f"from_torch: unsupported module {type(module).__name__}: {module}")
    block = interop.layers_from_modules(interop.flatten_modules(module.block, torch), dtype, torch)
    shortcut_modules = [
        m for m in interop.flatten_modules(module.shortcut, torch) if not isinstance(m, torch.nn.Identity)
    ]
    shortcut = interop.layers_from_modules(shortcut_modules, dtype, torch)
    layer = Residual([sub for sub, _, _ in block], [sub for sub, _, _ in shortcut] or None, dtype=dtype)
    params: dict[str, np.ndarray] = {}
    state: dict[str, np.ndarray] = {}
    for prefix, parts in (("block", block), ("shortcut", shortcut)):
        for j, (_, sub_params, sub_state) in enumerate(parts):
            params.update({f"{prefix}.{j}.{k}": v for k, v in sub_params.items()})
            state.update({f"{prefix}.{j}.{k}": v for k, v in sub_state.items()})
    return layer, params, state
