"""Inverted dropout: mask statistics, 1/(1-p) scaling, the backward mask, identities and determinism."""

import numpy as np
import pytest

from convkit.functional import dropout_backward, dropout_forward

N = 100_000


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fraction_dropped_and_scaling(p, dtype):
    x = np.linspace(1.0, 2.0, N).astype(dtype)  # never zero: a zero output means a dropped element
    out, _ = dropout_forward(x, p, training=True, rng=np.random.default_rng(0))
    assert out.dtype == dtype and out.shape == x.shape
    dropped = out == 0
    assert abs(dropped.mean() - p) < 5 * np.sqrt(p * (1 - p) / N)
    np.testing.assert_allclose(out[~dropped], x[~dropped] / dtype(1 - p), rtol=1e-6)
    assert abs(out.mean() / x.mean() - 1) < 0.02  # the expectation is preserved


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4, 5)], ids=str)
def test_backward_uses_the_forward_mask(shape, layout, rng, as_layout):
    x = as_layout(rng.uniform(1.0, 2.0, shape), layout)
    p = 0.4
    out, cache = dropout_forward(x, p, training=True, rng=np.random.default_rng(3))
    dout = as_layout(rng.standard_normal(shape), layout)
    dx = dropout_backward(dout, cache)
    kept = out != 0
    assert 0 < kept.sum() < kept.size
    np.testing.assert_array_equal(dx == 0, ~kept)
    np.testing.assert_allclose(dx[kept], dout[kept] / (1 - p), rtol=1e-12)
    np.testing.assert_allclose(out[kept], x[kept] / (1 - p), rtol=1e-12)


@pytest.mark.parametrize("p, training", [(0.5, False), (0.0, True), (0.0, False)])
def test_eval_mode_and_p_zero_are_the_identity(p, training, rng, dtype):
    x = rng.standard_normal((4, 6)).astype(dtype)
    out, cache = dropout_forward(x, p, training=training, rng=0)
    dout = rng.standard_normal((4, 6)).astype(dtype)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)
    assert out.dtype == dtype


def test_p_one_drops_everything(rng):
    x = rng.standard_normal((3, 5))
    out, cache = dropout_forward(x, 1.0, training=True, rng=0)
    np.testing.assert_array_equal(out, np.zeros((3, 5)))  # torch.nn.functional.dropout's p=1 too
    np.testing.assert_array_equal(dropout_backward(np.ones((3, 5)), cache), np.zeros((3, 5)))


def test_seeded_generators_are_deterministic(rng):
    x = rng.standard_normal((8, 8))
    a, _ = dropout_forward(x, 0.5, True, np.random.default_rng(42))
    b, _ = dropout_forward(x, 0.5, True, np.random.default_rng(42))
    c, _ = dropout_forward(x, 0.5, True, np.random.default_rng(43))
    d, _ = dropout_forward(x, 0.5, True, 42)  # an int seed is the same as default_rng(seed)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, d)
    assert not np.array_equal(a, c)


def test_generator_advances_between_calls(rng):
    x = np.ones((8, 8))
    gen = np.random.default_rng(7)
    first, _ = dropout_forward(x, 0.5, True, gen)
    second, _ = dropout_forward(x, 0.5, True, gen)
    assert not np.array_equal(first, second)


def test_input_is_not_modified(rng):
    x = rng.standard_normal((5, 5))
    original = x.copy()
    dropout_forward(x, 0.5, True, 0)
    np.testing.assert_array_equal(x, original)


@pytest.mark.parametrize("p, training", [(0.5, True), (1.0, True), (0.5, False)])
def test_a_0d_input_gives_0d_arrays_forward_and_backward(p, training, dtype):
    for seed in range(8):  # both outcomes of the single draw
        x = dtype(-3)
        out, cache = dropout_forward(x, p, training=training, rng=seed)
        dx = dropout_backward(np.array(1.5, dtype), cache)
        for result in (out, dx):
            assert type(result) is np.ndarray and result.shape == () and result.dtype == dtype
        kept = not training or np.random.default_rng(seed).random(()) >= p
        scale = 1 / (1 - p) if training and kept else float(kept)
        np.testing.assert_allclose(out, dtype(x * scale), rtol=1e-6)
        np.testing.assert_allclose(dx, dtype(1.5 * scale), rtol=1e-6)
