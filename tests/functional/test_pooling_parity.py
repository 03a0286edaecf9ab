"""maxpool2d / avgpool2d forward and backward against torch.nn.functional + autograd."""

import numpy as np
import pytest

from convkit.functional import (
    adaptive_avgpool2d_backward,
    adaptive_avgpool2d_forward,
    avgpool2d_backward,
    avgpool2d_forward,
    global_avgpool2d_backward,
    global_avgpool2d_forward,
    global_maxpool2d_backward,
    global_maxpool2d_forward,
    maxpool2d_backward,
    maxpool2d_forward,
)

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional

# (x shape, pool_size, stride)
CASES = [
    ((2, 3, 6, 6), 2, None),
    ((2, 2, 7, 7), 2, None),  # windows do not tile the input: the last row/column is dropped
    ((1, 3, 7, 5), (3, 2), (2, 1)),  # overlapping, non-square
    ((2, 2, 8, 9), 3, 2),  # overlapping windows
    ((2, 2, 9, 9), 2, 3),  # stride larger than the window: some inputs belong to no window
    ((2, 1, 5, 4), 1, 1),  # 1x1 window: identity
    ((1, 2, 4, 5), (4, 5), None),  # one window covers the whole input
    ((3, 2, 10, 6), (3, 1), (3, 2)),
]
IDS = [f"x{x}-k{k}-s{s}".replace(" ", "") for x, k, s in CASES]

POOLS = {
    "max": (maxpool2d_forward, maxpool2d_backward, tF.max_pool2d),
    "avg": (avgpool2d_forward, avgpool2d_backward, tF.avg_pool2d),
}


@pytest.fixture(params=sorted(POOLS))
def pool(request):
    return POOLS[request.param]


@pytest.mark.parametrize("x_shape, pool_size, stride", CASES, ids=IDS)
def test_forward_and_backward_match_torch(x_shape, pool_size, stride, pool, dtype, layout, rng, check_parity):
    forward, backward, torch_pool = pool
    x = rng.standard_normal(x_shape).astype(dtype)
    out, (dx,) = check_parity(
        lambda x: forward(x, pool_size, stride),
        backward,
        lambda x: torch_pool(x, pool_size, stride),
        [x],
        layout,
    )
    kh, kw = pool_size if isinstance(pool_size, tuple) else (pool_size, pool_size)
    sh, sw = (kh, kw) if stride is None else stride if isinstance(stride, tuple) else (stride, stride)
    assert out.shape == x_shape[:2] + ((x_shape[2] - kh) // sh + 1, (x_shape[3] - kw) // sw + 1)


def test_defaults_are_2x2_windows_with_stride_2(pool, rng):
    forward, _, torch_pool = pool
    x = rng.standard_normal((2, 3, 6, 5))
    out, _ = forward(x)
    np.testing.assert_allclose(out, torch_pool(torch.tensor(x), 2).numpy(), rtol=1e-12)
    assert out.shape == (2, 3, 3, 2)


def test_maxpool_ties_route_the_gradient_like_torch(rng, torch_run, assert_close):
    """Integer-valued inputs make many windows tie: both pick the first maximum of the window."""
    x = rng.integers(0, 3, size=(2, 3, 7, 7)).astype(np.float64)
    dout_shape = (2, 3, 3, 3)
    dout = rng.standard_normal(dout_shape)
    out, cache = maxpool2d_forward(x, 3, 2)
    dx = maxpool2d_backward(dout, cache)
    expected_out, (expected_dx,) = torch_run(lambda t: tF.max_pool2d(t, 3, 2), [x], dout)
    assert_close(out, expected_out, np.float64)
    assert_close(dx, expected_dx, np.float64)


@pytest.mark.parametrize(
    "values",
    [
        [np.nan, 1.0, 2.0, 3.0],
        [1.0, np.nan, np.nan, 3.0],  # two NaNs in one window
        [-np.inf, -np.inf, -np.inf, -np.inf],  # no element beats the initial -inf
        [np.inf, 1.0, np.nan, 0.0],
    ],
    ids=["nan", "two-nans", "all-minus-inf", "inf-and-nan"],
)
def test_maxpool_non_finite_window_like_torch(values, rng, torch_run, assert_close):
    x = rng.standard_normal((1, 2, 4, 4))
    x[0, 1, 2:, :2] = np.reshape(values, (2, 2))  # one 2x2 window
    dout = rng.standard_normal((1, 2, 2, 2))
    out, cache = maxpool2d_forward(x, 2)
    dx = maxpool2d_backward(dout, cache)
    expected_out, (expected_dx,) = torch_run(lambda t: tF.max_pool2d(t, 2), [x], dout)
    assert_close(out, expected_out, np.float64)
    assert_close(dx, expected_dx, np.float64)
    assert np.isfinite(np.delete(out.ravel(), 6)).all()  # the other windows are untouched


def test_avgpool_nan_propagates_like_torch(rng, assert_close):
    x = rng.standard_normal((1, 1, 4, 4))
    x[0, 0, 1, 1] = np.nan
    out, _ = avgpool2d_forward(x, 3, 1)
    assert_close(out, tF.avg_pool2d(torch.tensor(x), 3, 1).numpy(), np.float64)
    assert np.isnan(out).all()  # every 3x3 window covers (1, 1)


@pytest.mark.parametrize("x_shape", [(2, 3, 5, 4), (1, 1, 1, 1), (3, 2, 7, 7)], ids=str)
def test_global_avgpool_matches_torch(x_shape, dtype, layout, rng, check_parity):
    x = rng.standard_normal(x_shape).astype(dtype)
    check_parity(
        global_avgpool2d_forward,
        global_avgpool2d_backward,
        lambda t: tF.adaptive_avg_pool2d(t, 1).flatten(1),
        [x],
        layout,
    )


# -- global max and adaptive average pooling ---------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 2, 1, 1), (3, 1, 4, 9)], ids=str)
def test_global_maxpool_matches_torch(shape, dtype, layout, rng, check_parity):
    x = rng.standard_normal(shape).astype(dtype)
    check_parity(
        global_maxpool2d_forward,
        global_maxpool2d_backward,
        lambda t: tF.adaptive_max_pool2d(t, 1).flatten(1),
        [x],
        layout,
    )


@pytest.mark.parametrize(
    ("shape", "output_size"),
    [
        ((2, 3, 7, 5), (3, 2)),
        ((1, 2, 10, 10), 4),
        ((2, 2, 5, 3), (7, 4)),
        ((1, 1, 6, 6), 1),
        ((2, 1, 9, 8), (9, 8)),
    ],
    ids=str,
)
def test_adaptive_avgpool_matches_torch(shape, output_size, dtype, layout, rng, check_parity):
    x = rng.standard_normal(shape).astype(dtype)
    check_parity(
        lambda t: adaptive_avgpool2d_forward(t, output_size),
        adaptive_avgpool2d_backward,
        lambda t: tF.adaptive_avg_pool2d(t, output_size),
        [x],
        layout,
    )


def test_adaptive_avgpool_keeps_a_nan_in_its_windows(assert_close):
    x = np.zeros((1, 1, 6, 6))
    x[0, 0, 0, 0] = np.nan
    out, _ = adaptive_avgpool2d_forward(x, 3)
    assert_close(out, tF.adaptive_avg_pool2d(torch.from_numpy(x), 3).numpy(), np.float64)
    assert np.isnan(out).sum() == 1


# -- padding, ceil_mode, count_include_pad ------------------------------------------------------------------
# (x shape, pool_size, stride, padding, ceil_mode)
PADDED = [
    ((2, 3, 7, 6), 3, 2, 1, False),
    ((2, 3, 7, 6), 3, 2, 1, True),  # a last, partial window on each axis
    ((1, 2, 5, 5), 2, 2, 0, True),  # ceil_mode alone
    ((2, 2, 6, 9), (3, 2), (2, 3), (1, 1), True),
    ((1, 2, 8, 7), 2, 3, 1, True),  # the last window would start in the right padding: dropped, as torch
    ((2, 1, 4, 4), 2, 1, 1, False),
]
PADDED_IDS = [f"x{x}-k{k}-s{s}-p{p}-{'ceil' if c else 'floor'}".replace(" ", "") for x, k, s, p, c in PADDED]


@pytest.mark.parametrize(("shape", "pool_size", "stride", "padding", "ceil_mode"), PADDED, ids=PADDED_IDS)
def test_padded_maxpool_matches_torch(
    shape, pool_size, stride, padding, ceil_mode, dtype, layout, rng, check_parity
):
    x = rng.standard_normal(shape).astype(dtype) - 2  # negative: the -inf padding must never win
    check_parity(
        lambda t: maxpool2d_forward(t, pool_size, stride, padding, ceil_mode),
        maxpool2d_backward,
        lambda t: tF.max_pool2d(t, pool_size, stride, padding, ceil_mode=ceil_mode),
        [x],
        layout,
    )


@pytest.mark.parametrize("count_include_pad", [True, False], ids=["count_pad", "no_pad_count"])
@pytest.mark.parametrize(("shape", "pool_size", "stride", "padding", "ceil_mode"), PADDED, ids=PADDED_IDS)
def test_padded_avgpool_matches_torch(
    shape, pool_size, stride, padding, ceil_mode, count_include_pad, dtype, layout, rng, check_parity
):
    x = rng.standard_normal(shape).astype(dtype)
    check_parity(
        lambda t: avgpool2d_forward(t, pool_size, stride, padding, ceil_mode, count_include_pad),
        avgpool2d_backward,
        lambda t: tF.avg_pool2d(t, pool_size, stride, padding, ceil_mode, count_include_pad),
        [x],
        layout,
    )
