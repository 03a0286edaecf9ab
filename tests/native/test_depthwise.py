"""The depthwise kernels (groups = C: one plane per job, no im2col) against torch at every SIMD level, the
path rule that picks them, their agreement with the group-by-group path, and bit-identical results for 1, 2
and 3 threads."""

import numpy as np
import pytest

import convkit
from convkit import _kernels
from convkit.functional import conv2d_backward, conv2d_forward, conv2d_relu_backward, conv2d_relu_forward

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional

# (x shape, depth multiplier, kernel, stride, padding, dilation)
CASES = [
    ((2, 3, 9, 10), 1, 3, 1, 1, 1),
    ((2, 4, 11, 9), 2, (3, 2), (2, 3), (1, 0), 1),
    ((1, 5, 8, 8), 3, 3, 1, 2, 2),
    ((3, 2, 7, 13), 1, (5, 3), 1, (4, 3), (1, 2)),  # padding wider than the dilated kernel's half
    ((2, 6, 4, 4), 1, 1, 2, 0, 1),
    ((2, 3, 20, 21), 1, 3, 1, 1, 1),  # planes longer than a chunk of the stride-1 dW sums
    ((2, 4, 5, 6), 1, 3, 1, 3, 1),  # padding beyond the kernel's reach: dx crops the padded dout
    ((2, 3, 8, 8), 2, (2, 4), 1, (0, 2), (2, 1)),  # even kernels, uneven dilation
    ((3, 16, 8, 8), 1, 3, 1, 1, 1),  # MobileNet's late small planes
    ((2, 3, 9, 10), 2, (5, 3), 1, 1, 1),  # the flat path (W == OW) with fewer output rows than input rows
    ((1, 2, 65, 64), 1, 3, 1, 1, 1),  # a plane just past the flat path's largest
    ((17, 4, 8, 8), 1, 3, 1, 1, 1),  # more images than one lane partial sum of the flat dW takes
    ((3, 16, 16, 16), 1, 3, 2, 1, 1),  # MobileNet's stride 2: the flat path over phase planes
    ((2, 3, 7, 9), 2, 3, 2, 1, 1),  # ... of odd sizes
    ((2, 3, 9, 10), 1, 3, 2, 0, 1),  # stride 2 where OW != ceil(W / 2): the per-row kernels
]


def _run(x, w, b, stride, padding, dilation, relu=False):
    forward, backward = (
        (conv2d_relu_forward, conv2d_relu_backward) if relu else (conv2d_forward, conv2d_backward)
    )
    out, cache = forward(x, w, b, stride, padding, dilation, x.shape[1])
    dout = np.random.default_rng(1).standard_normal(out.shape).astype(x.dtype)
    return (out, *backward(dout, cache)), dout


@pytest.mark.parametrize("x_shape, mult, kernel, stride, padding, dilation", CASES, ids=str)
def test_matches_torch_and_the_grouped_path(x_shape, mult, kernel, stride, padding, dilation, simd, dtype):
    rng = np.random.default_rng(0)
    C = x_shape[1]
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((C * mult, 1, kh, kw)).astype(dtype)
    b = rng.standard_normal(C * mult).astype(dtype)
    assert _kernels.grouped_conv_path(C, C) == "depthwise"
    ours, dout = _run(x, w, b, stride, padding, dilation)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ot = tF.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=C)
    ot.backward(torch.tensor(dout))
    tol = {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}
    for a, t in zip(ours, (ot, xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(a, t.detach().numpy(), **tol)
    previous = _kernels.force_conv_plan("im2col", None)
    try:
        assert _kernels.grouped_conv_path(C, C) == "groups"
        grouped, _ = _run(x, w, b, stride, padding, dilation)
    finally:
        _kernels.force_conv_plan(*previous)
    for a, g in zip(ours, grouped):
        np.testing.assert_allclose(a, g, **tol)


def test_fused_relu(rng):
    x, w, b = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((3, 1, 3, 3)), rng.standard_normal(3)
    (out, dx, dw, db), dout = _run(x, w, b, 1, 1, 1, relu=True)
    plain, cache = conv2d_forward(x, w, b, 1, 1, 1, 3)
    np.testing.assert_array_equal(out, np.maximum(plain, 0))
    for a, e in zip((dx, dw, db), conv2d_backward(dout * (plain > 0), cache)):
        np.testing.assert_array_equal(a, e)


def test_bit_identical_for_any_thread_count(restore_threads):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 8, 12, 11)), rng.standard_normal((16, 1, 3, 3)), rng.standard_normal(16)
    # big enough for several threads: 20 channels are 3 weight-gradient blocks of the flat path, 17 images
    # one more than the 16 of a lane partial sum of 8x8 planes
    xs, ws = rng.standard_normal((17, 20, 8, 8)), rng.standard_normal((20, 1, 3, 3))
    bs = rng.standard_normal(20)
    results = []
    for n_threads in (1, 2, 3):
        convkit.set_num_threads(n_threads)
        results.append(
            _run(x, w, b, (1, 2), 1, 2)[0]
            + _run(x, w, b, 1, 1, 1)[0]
            + _run(xs, ws, bs, 1, 1, 1)[0]
            + _run(xs, ws, bs, 2, 1, 1)[0]
        )
    for other in results[1:]:
        for a, b_ in zip(results[0], other):
            assert np.array_equal(a, b_)


def test_one_channel_per_group_only():
    assert _kernels.grouped_conv_path(8, 4) == "groups"
