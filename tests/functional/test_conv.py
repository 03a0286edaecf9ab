"""conv2d_forward / conv2d_backward against a direct NumPy loop over output positions (float64), on
strides, padding pairs and non-square kernels; the output-size rule; dtype handling."""

import os
import subprocess
import sys

import numpy as np
import pytest

from convkit.functional import conv2d_backward, conv2d_forward, conv_output_size

# (x shape, w shape, stride, padding)
CASES = [
    ((2, 3, 6, 6), (4, 3, 3, 3), (1, 1), (1, 1)),
    ((1, 2, 7, 8), (3, 2, 2, 4), (1, 1), (1, 2)),
    ((2, 2, 9, 8), (3, 2, 3, 3), (2, 2), (1, 1)),
    ((1, 3, 10, 11), (2, 3, 3, 2), (3, 2), (2, 1)),
    ((2, 4, 5, 6), (3, 4, 1, 1), (1, 1), (0, 0)),
]
IDS = [f"x{x}-w{w}-s{s}-p{p}".replace(" ", "") for x, w, s, p in CASES]


def _conv_reference(x, w, b, dout, stride, padding):
    """(out, dx, dw, db) of a cross-correlation, one output position at a time."""
    (sh, sw), (ph, pw) = stride, padding
    F, _, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    OH, OW = (xp.shape[2] - KH) // sh + 1, (xp.shape[3] - KW) // sw + 1
    out = np.empty((x.shape[0], F, OH, OW))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(OH):
        for j in range(OW):
            window = (slice(None), slice(None), slice(i * sh, i * sh + KH), slice(j * sw, j * sw + KW))
            out[:, :, i, j] = np.einsum("nckl,fckl->nf", xp[window], w) + b
            dxp[window] += np.einsum("nf,fckl->nckl", dout[:, :, i, j], w)
            dw += np.einsum("nf,nckl->fckl", dout[:, :, i, j], xp[window])
    dx = dxp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return out, dx, dw, dout.sum(axis=(0, 2, 3))


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CASES, ids=IDS)
def test_forward_and_backward_match_numpy(x_shape, w_shape, stride, padding, rng):
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    out, cache = conv2d_forward(x, w, b, stride=stride, padding=padding)
    dout = rng.standard_normal(out.shape)
    expected = _conv_reference(x, w, b, dout, stride, padding)
    assert out.shape == expected[0].shape
    for ours, theirs in zip((out, *conv2d_backward(dout, cache)), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "size, kernel, stride, padding, expected",
    [(28, 3, 1, 0, 26), (6, 3, 1, 1, 6), (8, 3, 3, 0, 2), (9, 3, 2, 1, 5)],
)
def test_output_size(size, kernel, stride, padding, expected):
    assert conv_output_size(size, kernel, stride, padding) == expected


def test_mixed_dtypes_follow_x(rng):
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3))  # float64, cast to x's dtype
    out, cache = conv2d_forward(x, w, np.zeros(3))
    dx, dw, db = conv2d_backward(np.ones(out.shape), cache)  # float64 dout, cast too
    assert out.dtype == dx.dtype == dw.dtype == db.dtype == np.float32


@pytest.mark.parametrize("stride", [1, 2, (1, 3)], ids=str)
@pytest.mark.parametrize("op", ["conv2d_forward", "conv2d_relu_forward"])
def test_zero_input_channels_raise_value_error_not_a_signal(op, stride):
    # in a child process: a crash in compiled code (SIGFPE once) fails the test instead of killing pytest
    code = f"""
import numpy as np
from convkit import functional as F
x, w, b = np.zeros((1, 0, 4, 4), np.float32), np.zeros((1, 0, 2, 2), np.float32), np.ones(1, np.float32)
try:
    F.{op}(x, w, b, stride={stride!r})
except ValueError as err:
    print(err)
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == (
        f"{op}: x must have at least one input channel. Received: x.shape=(1, 0, 4, 4)"
    )
