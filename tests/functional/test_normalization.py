"""layernorm_* and groupnorm_* against their defining formulas (NumPy), finite differences and argument
checks."""

import numpy as np
import pytest

from convkit import gradcheck
from convkit.functional import groupnorm_backward, groupnorm_forward, layernorm_backward, layernorm_forward


def _reference(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def test_layernorm_is_the_formula_over_every_non_batch_axis(rng):
    x = rng.standard_normal((3, 2, 4, 5)) * 4 + 2
    weight, bias = rng.standard_normal((2, 4, 5)), rng.standard_normal((2, 4, 5))
    out, _ = layernorm_forward(x, weight, bias, eps=1e-3)
    np.testing.assert_allclose(out, _reference(x, (1, 2, 3), 1e-3) * weight + bias, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_groupnorm_is_the_formula_over_each_group(groups, rng):
    x = rng.standard_normal((3, 6, 4, 5)) * 3 - 1
    weight, bias = rng.standard_normal(6), rng.standard_normal(6)
    out, _ = groupnorm_forward(x, weight, bias, groups)
    grouped = _reference(x.reshape(3, groups, -1), (2,), 1e-5).reshape(x.shape)
    expected = grouped * weight[:, None, None] + bias[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


CASES = {
    "layernorm": (
        lambda x, w, b: layernorm_forward(x, w, b),
        layernorm_backward,
        lambda rng: (
            rng.standard_normal((3, 2, 3, 2)),
            rng.standard_normal((2, 3, 2)),
            rng.standard_normal((2, 3, 2)),
        ),
    ),
    "layernorm_1d": (
        lambda x, w, b: layernorm_forward(x, w, b),
        layernorm_backward,
        lambda rng: (rng.standard_normal((4, 5)), rng.standard_normal(5), rng.standard_normal(5)),
    ),
    "groupnorm": (
        lambda x, w, b: groupnorm_forward(x, w, b, 2),
        groupnorm_backward,
        lambda rng: (rng.standard_normal((2, 4, 3, 2)), rng.standard_normal(4), rng.standard_normal(4)),
    ),
    "groupnorm_1d": (
        lambda x, w, b: groupnorm_forward(x, w, b, 3),
        groupnorm_backward,
        lambda rng: (rng.standard_normal((3, 6)), rng.standard_normal(6), rng.standard_normal(6)),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_finite_differences(name, rng):
    forward, backward, make = CASES[name]
    x, w, b = make(rng)
    out, cache = forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    for i, array in enumerate((x, w, b)):
        numeric = gradcheck.numerical_gradient(lambda _: forward(x, w, b)[0], array, dout)
        assert gradcheck.relative_error(grads[i], numeric) < 1e-7, (name, i)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_are_kept(dtype, rng):
    x = rng.standard_normal((2, 4, 3)).astype(dtype)
    for forward, backward, params in (
        (lambda x: layernorm_forward(x, np.ones((4, 3)), np.zeros((4, 3))), layernorm_backward, (4, 3)),
        (lambda x: groupnorm_forward(x, np.ones(4), np.zeros(4), 2), groupnorm_backward, (4,)),
    ):
        out, cache = forward(x)
        dx, dweight, dbias = backward(np.ones_like(out), cache)
        assert out.dtype == dx.dtype == dweight.dtype == dbias.dtype == dtype
        assert dweight.shape == dbias.shape == params


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: groupnorm_forward(np.zeros((2, 6, 3)), np.ones(6), np.zeros(6), 4),
            ValueError,
            "num_groups must divide the channels C=6",
        ),
        (
            lambda: groupnorm_forward(np.zeros((2, 6)), np.ones(6), np.zeros(6), 0),
            ValueError,
            "num_groups must be a positive int",
        ),
        (
            lambda: groupnorm_forward(np.zeros((2, 6)), np.ones(5), np.zeros(6), 2),
            ValueError,
            r"weight must have shape \(6,\)",
        ),
        (
            lambda: layernorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(4)),
            ValueError,
            r"bias must have shape \(3,\)",
        ),
        (lambda: layernorm_forward(np.zeros(3), np.ones(()), np.zeros(())), ValueError, "x must be"),
        (
            lambda: layernorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(3), eps=0),
            ValueError,
            "eps must be a positive float",
        ),
        (
            lambda: layernorm_backward(np.zeros((2, 3)), (1, 2)),
            TypeError,
            "cache must be the cache layernorm_forward returned",
        ),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
