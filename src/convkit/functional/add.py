"""The sum of two arrays of one shape (a residual block's merge), and that sum followed by a ReLU, fused:
one compiled, multi-threaded pass over the elements. ``add_relu_forward`` / ``add_relu_backward`` give
``relu_forward(a + b)`` / ``relu_backward`` bit for bit (the gate ``out > 0`` is ``a + b > 0``)."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import check_shape, float_array
from .activations import relu_gate


def add(a, b) -> np.ndarray:
    """a + b, both of one shape; b is converted to a's float dtype."""
    return _sum(a, b, False, "add")


def add_relu_forward(a, b) -> tuple[np.ndarray, np.ndarray]:
    """out = max(a + b, 0), NaN staying NaN. Returns (out, cache) with out of a's shape; cache: out."""
    out = _sum(a, b, True, "add_relu_forward")
    return out, out


def add_relu_backward(dout, cache) -> np.ndarray:
    """The gradient of the sum (the same for a and for b): dout where out > 0, else 0."""
    return relu_gate(dout, cache, "add_relu_forward", "add_relu_backward")


def _sum(a, b, relu: bool, where: str) -> np.ndarray:
    a = np.asarray(float_array(a, "a", where), order="C")
    b = np.asarray(float_array(b, "b", where, a.dtype), order="C")
    check_shape(b, a.shape, "b", where)
    out = workspace.empty_like(a)
    _kernels.add(a.reshape(-1), b.reshape(-1), out.reshape(-1), relu, get_num_threads())
    return out
