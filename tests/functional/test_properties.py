"""Property tests over random shapes: conv2d, pooling and batchnorm agree with torch (float64) and give
the documented output shapes."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convkit import functional as F

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional

SETTINGS = settings(max_examples=30, deadline=None)
small = st.integers(1, 3)
layouts = st.sampled_from(["C", "F", "strided"])
seeds = st.integers(0, 2**32 - 1)


def _pair(strategy):
    return st.tuples(strategy, strategy)


@SETTINGS
@given(
    n=st.integers(1, 2),
    c=small,
    f=small,
    size=_pair(st.integers(1, 9)),
    kernel=_pair(st.integers(1, 4)),
    stride=_pair(small),
    padding=_pair(st.integers(0, 2)),
    layout=layouts,
    seed=seeds,
)
def test_conv2d_shape_and_parity(n, c, f, size, kernel, stride, padding, layout, seed, check_parity):
    (h, w), (kh, kw), (sh, sw), (ph, pw) = size, kernel, stride, padding
    assume(kh <= h + 2 * ph and kw <= w + 2 * pw)
    rng = np.random.default_rng(seed)
    x, wt, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, kh, kw)), rng.standard_normal(f)
    out, _ = check_parity(
        lambda x, wt, b: F.conv2d_forward(x, wt, b, stride, padding),
        F.conv2d_backward,
        lambda x, wt, b: tF.conv2d(x, wt, b, stride, padding),
        [x, wt, b],
        layout,
        seed,
    )
    assert out.shape == (n, f, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)
    assert out.shape[2] == F.conv_output_size(h, kh, sh, ph) >= 1


@SETTINGS
@given(
    n=st.integers(1, 2),
    c=small,
    size=_pair(st.integers(1, 9)),
    pool=_pair(st.integers(1, 4)),
    stride=st.none() | _pair(small),
    kind=st.sampled_from(["max", "avg"]),
    layout=layouts,
    seed=seeds,
)
def test_pooling_shape_and_parity(n, c, size, pool, stride, kind, layout, seed, check_parity):
    (h, w), (kh, kw) = size, pool
    assume(kh <= h and kw <= w)
    forward, backward, torch_pool = {
        "max": (F.maxpool2d_forward, F.maxpool2d_backward, tF.max_pool2d),
        "avg": (F.avgpool2d_forward, F.avgpool2d_backward, tF.avg_pool2d),
    }[kind]
    x = np.random.default_rng(seed).standard_normal((n, c, h, w))
    out, _ = check_parity(
        lambda x: forward(x, pool, stride), backward, lambda x: torch_pool(x, pool, stride), [x], layout, seed
    )
    sh, sw = pool if stride is None else stride
    assert out.shape == (n, c, (h - kh) // sh + 1, (w - kw) // sw + 1)
    if kind == "avg":  # every window spreads exactly its gradient over its inputs
        _, cache = forward(x, pool, stride)
        assert np.isclose(backward(np.ones(out.shape), cache).sum(), out.size)


@SETTINGS
@given(
    shape=st.one_of(
        st.tuples(st.integers(1, 6), small),
        st.tuples(st.integers(1, 3), small, st.integers(1, 4), st.integers(1, 4)),
    ),
    training=st.booleans(),
    momentum=st.floats(0.0, 1.0),
    eps=st.sampled_from([1e-5, 1e-3, 0.1]),
    layout=layouts,
    seed=seeds,
)
def test_batchnorm_parity(shape, training, momentum, eps, layout, seed, check_parity, assert_close):
    assume(not training or np.prod(shape) // shape[1] >= 2)
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3) + rng.uniform(-2, 2)
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    running_mean, running_var = rng.standard_normal(C), rng.uniform(0.2, 2.0, C)
    torch_mean, torch_var = torch.tensor(running_mean), torch.tensor(running_var)
    out, _ = check_parity(
        lambda x, g, b: F.batchnorm_forward(x, g, b, running_mean, running_var, training, momentum, eps),
        F.batchnorm_backward,
        lambda x, g, b: tF.batch_norm(x, torch_mean, torch_var, g, b, training, momentum, eps),
        [x, gamma, beta],
        layout,
        seed,
    )
    assert out.shape == shape
    assert_close(running_mean, torch_mean.numpy(), np.float64)
    assert_close(running_var, torch_var.numpy(), np.float64)
