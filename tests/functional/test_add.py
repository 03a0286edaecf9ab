"""add, add_relu_forward / add_relu_backward: the sum of two arrays, with a fused ReLU, against NumPy and
relu_forward / relu_backward bit for bit (inf, NaN and -0.0 included), against torch, and bad arguments."""

import numpy as np
import pytest

from convkit import functional as F

SHAPES = [(), (7,), (3, 5), (2, 3, 40, 41)]  # 0-d to several compiled jobs (> 16K elements)


def _special(rng, shape, dtype):
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    flat[: min(flat.size, 5)] = [np.inf, -np.inf, np.nan, -0.0, 0.0][: min(flat.size, 5)]
    return a


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_add_is_numpys_sum_bit_for_bit(shape, dtype, rng):
    a, b = _special(rng, shape, dtype), rng.standard_normal(shape).astype(dtype)
    out = F.add(a, b)
    assert out.shape == a.shape and out.dtype == a.dtype
    np.testing.assert_array_equal(out, a + b)
    assert np.array_equal(np.signbit(out), np.signbit(a + b))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_add_relu_is_relu_of_the_sum_bit_for_bit(shape, dtype, rng):
    a, b = _special(rng, shape, dtype), rng.standard_normal(shape).astype(dtype)
    out, cache = F.add_relu_forward(a, b)
    ref, ref_cache = F.relu_forward(a + b)
    assert out.tobytes() == ref.tobytes()  # -0.0 -> +0.0 and NaN kept, as the ReLU does
    dout = _special(rng, shape, dtype)
    assert F.add_relu_backward(dout, cache).tobytes() == F.relu_backward(dout, ref_cache).tobytes()


def test_add_relu_matches_torch(dtype, rng, assert_close):
    torch = pytest.importorskip("torch", reason="torch is the reference of this parity test")
    a, b, dout = (rng.standard_normal((4, 3, 6, 5)).astype(dtype) for _ in range(3))
    out, cache = F.add_relu_forward(a, b)
    at, bt = (torch.tensor(v, requires_grad=True) for v in (a, b))
    ot = torch.relu(at + bt)
    ot.backward(torch.tensor(dout))
    assert_close(out, ot.detach().numpy(), dtype)
    grad = F.add_relu_backward(dout, cache)
    assert_close(grad, at.grad.numpy(), dtype)
    assert_close(grad, bt.grad.numpy(), dtype)


def test_b_takes_the_dtype_of_a(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    out = F.add(a, np.ones((3, 4)))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, a + np.float32(1))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.add(np.ones((2, 3)), np.ones((3, 2))), ValueError, "add: b must have shape (2, 3)"),
        (lambda: F.add_relu_forward(np.ones(3), "x"), TypeError, "add_relu_forward: b must be a real array"),
        (lambda: F.add_relu_backward(np.ones(3), [1.0]), TypeError, "add_relu_backward: cache must be"),
        (
            lambda: F.add_relu_backward(np.ones(2), np.ones(3)),
            ValueError,
            "add_relu_backward: dout must have shape (3,)",
        ),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
