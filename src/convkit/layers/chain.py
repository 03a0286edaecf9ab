"""A chain of layers applied in order: a model's, a residual block's, a branch's. Inside ``inference()``
(``predict``, ``evaluate``: no backward pass follows), each convolution without activation followed by a
batch norm runs as one convolution with the batch norm's running statistics folded into its kernel and
bias (and the batch norm's fused ReLU into the convolution): the same function up to rounding, with one or
two passes fewer over the activations. Elsewhere every layer runs, keeping what its backward needs (a
frozen batch norm's gradient after an eval-mode forward, say)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from .base import Layer
from .conv import Conv2D
from .normalization import BatchNorm

_inference = False  # inside inference(): forward passes that no backward pass follows


@contextmanager
def inference() -> Iterator[None]:
    """Forward passes inside are for inference only: ``run_chain`` may fold conv + batch norm pairs."""
    global _inference
    previous, _inference = _inference, True
    try:
        yield
    finally:
        _inference = previous


def run_chain(layers: Sequence[Layer], x, training: bool) -> np.ndarray:
    """``x`` through ``layers`` in order (``layer.forward(x, training)`` each), folding conv + batch norm
    pairs inside ``inference()``."""
    i = 0
    while i < len(layers):
        layer = layers[i]
        after = layers[i + 1] if i + 1 < len(layers) else None
        if _inference and not training and _folds(layer, after):
            x = layer.forward_folded(x, *after.inference_affine(), relu=after.activation == "relu")
            i += 2
        else:
            x = layer.forward(x, training)
            i += 1
    return x


def _folds(layer: Layer, after: Layer | None) -> bool:
    """Whether ``after`` (a built batch norm) folds into ``layer`` (a built convolution, no activation)."""
    return (
        isinstance(layer, Conv2D)
        and isinstance(after, BatchNorm)
        and layer.built
        and after.built
        and layer.activation is None
    )
