"""A chain of layers applied in order: a model's, a residual block's, a branch's. Inside ``inference()``
(``predict``, ``evaluate``: no backward pass follows), each convolution without activation followed by a
batch norm runs as one convolution with the batch norm's running statistics folded into its kernel and
bias (and the batch norm's fused ReLU into the convolution): the same function up to rounding, with one or
two passes fewer over the activations. Elsewhere every layer runs, keeping what its backward needs (a
frozen batch norm's gradient after an eval-mode forward, say).

``backward_chain`` runs the backward pass; where a max pool follows a kernel layer with a fused ReLU, the
ReLU's gate runs on the pool's outputs instead of its inputs (``MaxPool2D.backward_through_relu``): the
same gradients, over a quarter of the elements for 2x2 windows (LeNet at batch 256 trained ~8% faster)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from ._kernel_layer import KernelLayer
from .base import Layer
from .conv import Conv2D
from .normalization import BatchNorm
from .pooling import MaxPool2D

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


def folding(training: bool) -> bool:
    """Whether a forward pass in this mode folds conv + batch norm pairs (inside ``inference()``)."""
    return _inference and not training


def run_chain(layers: Sequence[Layer], x, training: bool) -> np.ndarray:
    """``x`` through ``layers`` in order (``layer.forward(x, training)`` each), folding conv + batch norm
    pairs inside ``inference()``."""
    i = 0
    while i < len(layers):
        layer = layers[i]
        after = layers[i + 1] if i + 1 < len(layers) else None
        if folding(training) and _folds(layer, after):
            x = layer.forward_folded(x, *after.inference_affine(), relu=after.activation == "relu")
            i += 2
        else:
            x = layer.forward(x, training)
            i += 1
    return x


def folds_last_pair(layers: Sequence[Layer], training: bool) -> bool:
    """Whether ``run_chain`` in this mode runs the last two of ``layers`` as one folded convolution (it
    takes the pairs front to back, and a last pair's convolution cannot close the pair before it)."""
    return folding(training) and len(layers) >= 2 and _folds(layers[-2], layers[-1])


def _folds(layer: Layer, after: Layer | None) -> bool:
    """Whether ``after`` (a built batch norm) folds into ``layer`` (a built convolution, no activation)."""
    return (
        isinstance(layer, Conv2D)
        and isinstance(after, BatchNorm)
        and layer.built
        and after.built
        and layer.activation is None
    )


def backward_chain(
    layers: Sequence[Layer], dout: np.ndarray, input_gradient: bool = True
) -> np.ndarray | None:
    """``dout`` back through ``layers`` after ``run_chain``: each trainable layer fills its grads, a frozen
    one computes dx only. Returns the gradient w.r.t. the chain's input; without ``input_gradient``, the
    first layer fills its grads but computes no dx, and None is returned."""
    i = len(layers) - 1
    while i >= 0:
        layer, gated = layers[i], False
        if i > 0 and _gate_moves_to_pool(layers[i - 1], layer):
            dout = layer.backward_through_relu(dout)
            i -= 1
            layer, gated = layers[i], True
        kwargs = {"gated": True} if gated else {}  # only kernel layers take it
        if i == 0 and not input_gradient:
            layer.backward_weights(dout, **kwargs)
            return None
        dout = layer.backward(dout, **kwargs) if layer.trainable else layer.backward_input(dout, **kwargs)
        i -= 1
    return dout


def _gate_moves_to_pool(layer: Layer, after: Layer) -> bool:
    """Whether ``layer``'s fused ReLU gates its gradient on ``after``'s outputs: ``after`` is a max pool."""
    return isinstance(after, MaxPool2D) and isinstance(layer, KernelLayer) and layer.fuses_relu
