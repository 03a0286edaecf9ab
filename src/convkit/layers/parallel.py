"""Parallel: several layer lists applied to the same input, their outputs concatenated along the channels
(Inception-style) or summed, so that such blocks fit in a Sequential like Residual does."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._validation import one_of, optional_seed
from ._container import Container, LayerSpec, layer_list
from .base import Layer
from .chain import run_chain
from .registry import register, serialize

MERGES = ("concat", "add")


def _branch(value, b: int) -> list[Layer]:
    """One branch's layers from a Layer, a ``serialize`` dict or a list of them."""
    layers = layer_list(value, f"branches[{b}]", "Parallel")
    if not layers:
        raise ValueError(f"Parallel: every branch needs at least one layer. Received: branches[{b}]=[]")
    return layers


@register
class Parallel(Container):
    """out = merge(branch_0(x), branch_1(x), ...): each branch's layers applied in sequence to the same
    input, then the outputs concatenated along axis 1, the channels or features (``merge="concat"``, an
    Inception block) or summed (``merge="add"``)::

        Parallel([[Conv2D(8, 1)], [Conv2D(8, 3, padding=1)], [MaxPool2D(3, stride=1), ZeroPadding2D(1)]])

    Arguments:
    - branches: a list of branches, each a list of Layers (or their ``serialize`` dicts), at least one
    - merge: "concat" (the outputs agree on every axis but the first) or "add" (the same shapes)
    - seed: if given, the build derives a seed for every sublayer whose ``seed`` is None

    The sublayers are built from the Parallel's input shape and take its dtype. ``params``, ``grads`` and
    ``state`` merge the sublayers' dicts with keys ``"{branch}.{i}.{key}"`` (the same arrays).
    """

    def __init__(
        self,
        branches: Sequence[Sequence[LayerSpec] | LayerSpec],
        merge: str = "concat",
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(branches, (list, tuple)):
            raise TypeError(f"Parallel: branches must be a list of branches. Received: branches={branches!r}")
        if not branches:
            raise ValueError("Parallel: branches must hold at least one branch. Received: branches=[]")
        self.branches: list[list[Layer]] = [_branch(branch, b) for b, branch in enumerate(branches)]
        self._check_distinct("branches")
        self.merge = one_of(merge, MERGES, "merge", "Parallel")
        self.seed = optional_seed(seed, "seed", "Parallel")

    def _groups(self) -> dict[str, list[Layer]]:
        return {str(b): branch for b, branch in enumerate(self.branches)}

    def _output_shape(self, input_shape: tuple[int, ...], build: bool) -> tuple[int, ...]:
        shapes = [self._chain_shape(branch, input_shape, build) for branch in self.branches]
        if self.merge == "add":
            if len(set(shapes)) != 1:
                raise ValueError(
                    f"Parallel: merge='add' needs branch outputs of one shape. Received: {shapes} "
                    f"(input_shape={input_shape})"
                )
            return shapes[0]
        if len({len(s) for s in shapes}) != 1 or len({s[1:] for s in shapes}) != 1 or not shapes[0]:
            raise ValueError(
                "Parallel: merge='concat' needs branch outputs that agree on every axis but the channels. "
                f"Received: {shapes} (input_shape={input_shape})"
            )
        return (sum(s[0] for s in shapes), *shapes[0][1:])

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        outs = [run_chain(branch, x, training) for branch in self.branches]
        self._widths = [out.shape[1] for out in outs]
        if self.merge == "add":
            return sum(outs[1:], outs[0])
        return np.concatenate(outs, axis=1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = np.asarray(dout, dtype=self.dtype)
        if self.merge == "add":
            parts = [dout] * len(self.branches)
        else:
            parts = np.split(dout, np.cumsum(self._widths)[:-1], axis=1)
        dx = None
        for branch, part in zip(self.branches, parts):
            grad = np.ascontiguousarray(part)
            for layer in reversed(branch):
                grad = layer.backward(grad)
            dx = grad if dx is None else dx + grad
        return dx

    def get_config(self) -> dict:
        return {
            "branches": [[serialize(layer) for layer in branch] for branch in self.branches],
            "merge": self.merge,
            "seed": self.seed,
            **super().get_config(),
        }


# -- torch interop ---------------------------------------------------------------------------------------
def _parallel_module_class(torch):
    """The torch counterpart of ``Parallel``: the branches' outputs concatenated on dim 1 or summed."""

    class Parallel(torch.nn.Module):
        def __init__(self, branches, merge="concat"):
            super().__init__()
            self.branches = torch.nn.ModuleList(branches)
            self.merge = merge

        def forward(self, x):
            outs = [branch(x) for branch in self.branches]
            return torch.cat(outs, dim=1) if self.merge == "concat" else sum(outs[1:], outs[0])

    return Parallel


@interop.to_torch_converter(Parallel)
def _parallel_to_torch(layer: Parallel, torch):
    branches = [torch.nn.Sequential(*interop.modules_for(branch, torch)) for branch in layer.branches]
    return _parallel_module_class(torch)(branches, layer.merge)


@interop.from_torch_converter("Parallel")
def _parallel_from_torch(module, following, dtype: str, torch):
    if not hasattr(module, "branches") or getattr(module, "merge", None) not in MERGES:
        raise TypeError(f"from_torch: unsupported module {type(module).__name__}: {module}")
    converted = [
        interop.layers_from_modules(interop.flatten_modules(branch, torch), dtype, torch)
        for branch in module.branches
    ]
    layer = Parallel([[sub for sub, _, _ in branch] for branch in converted], module.merge, dtype=dtype)
    params: dict[str, np.ndarray] = {}
    state: dict[str, np.ndarray] = {}
    for b, branch in enumerate(converted):
        for i, (_, sub_params, sub_state) in enumerate(branch):
            params.update({f"{b}.{i}.{k}": v for k, v in sub_params.items()})
            state.update({f"{b}.{i}.{k}": v for k, v in sub_state.items()})
    return layer, params, state
