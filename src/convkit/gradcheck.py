"""Numerical gradient checks (CS231n style) for any functional forward/backward pair."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / max(1e-12, ||a|| + ||b||) in the 2-norm over all elements.

    A norm-wise error, so that an element that happens to be near zero (where a centered difference has no
    correct digits relative to it) does not dominate; 0.0 when both are zero or empty.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(1e-12, np.linalg.norm(a) + np.linalg.norm(b)))


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, df, h: float = 1e-5
) -> np.ndarray:
    """Centered-difference gradient of sum(f(x) * df) w.r.t. x.

    ``f`` maps x (perturbed in place, one element at a time, then restored) to an array of df's shape;
    the result has x's shape: grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * df) / (2h).
    """
    grad = np.zeros_like(x, dtype=np.float64)
    df = np.asarray(df)
    flat = x.reshape(-1)  # a view: x is perturbed in place
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient: x must be contiguous so it can be perturbed in place.")
    grad_flat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.array(f(x), dtype=np.float64, copy=True)
        flat[i] = old - h
        minus = np.array(f(x), dtype=np.float64, copy=True)
        flat[i] = old
        grad_flat[i] = np.sum((plus - minus) * df) / (2 * h)
    return grad


def check_gradients(
    forward: Callable[..., tuple],
    backward: Callable[[np.ndarray, object], object],
    inputs: Sequence[np.ndarray],
    *,
    seed: int = 0,
    h: float = 1e-5,
    **kwargs,
) -> list[float]:
    """Relative errors between the analytic and numerical gradient of each differentiable input.

    ``forward(*inputs, **kwargs)`` must return ``(out, cache)`` and ``backward(dout, cache)`` the gradients
    of the leading inputs, as one array or a tuple (e.g. conv2d: dx, dw, db for x, w, b). Inputs are cast to
    float64 copies; a random upstream gradient ``dout`` (seeded) is used. Returns one error per gradient.
    """
    rng = np.random.default_rng(seed)
    arrays = [np.array(a, dtype=np.float64, order="C", copy=True) for a in inputs]  # perturbed in place
    out, cache = forward(*arrays, **kwargs)
    dout = rng.standard_normal(np.shape(out))
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    errors = []
    for index, analytic in enumerate(grads):

        def f(_, index=index):
            return forward(*arrays, **kwargs)[0]

        numeric = numerical_gradient(f, arrays[index], dout, h)
        errors.append(relative_error(analytic, numeric))
    return errors
