"""Dropout: the identity in eval (as torch.nn.Dropout.eval()), inverted dropout in training, seeds, config."""

import json
import re

import numpy as np
import pytest

from convkit import layers


def test_eval_is_the_identity_like_torch(dtype, rng, layer_parity, torch):
    out, dx = layer_parity(
        layers.Dropout(0.5, dtype=dtype), torch.nn.Dropout(0.5), rng.standard_normal((4, 3, 2))
    )
    assert out.shape == (4, 3, 2)


def test_training_drops_and_rescales(rng):
    layer = layers.Dropout(0.25, seed=0, dtype="float64")
    x = rng.uniform(1, 2, (200, 50))
    out = layer.forward(x, training=True)
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out[kept], x[kept] / 0.75, rtol=1e-12)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(layer.backward(dout), dout * kept / 0.75, rtol=1e-12)


def test_seed_makes_masks_reproducible():
    x = np.ones((8, 16))
    a, b = layers.Dropout(0.5, seed=7), layers.Dropout(0.5, seed=7)
    first = a.forward(x, training=True)
    np.testing.assert_array_equal(first, b.forward(x, training=True))
    assert not np.array_equal(first, a.forward(x, training=True))  # a fresh mask on every step
    c = layers.Dropout(0.5)
    c.seed = 7  # as Sequential does before the build
    np.testing.assert_array_equal(first, c.forward(x, training=True))


def test_rate_zero_and_eval_pass_gradients_through(rng):
    dout = rng.standard_normal((3, 4))
    for layer, training in ((layers.Dropout(0.0), True), (layers.Dropout(0.9), False)):
        layer.forward(np.ones((3, 4)), training=training)
        np.testing.assert_array_equal(layer.backward(dout), dout.astype(np.float32))


def test_config_round_trip():
    layer = layers.Dropout(0.3, seed=5, name="drop")
    config = layer.get_config()
    assert config == {"rate": 0.3, "seed": 5, "name": "drop", "dtype": "float32"}
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(clone) is layers.Dropout and clone.get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 1.2}, "Dropout: rate must be a float in [0, 1]. Received: rate=1.2"),
        ({"rate": 0.5, "seed": -1}, "Dropout: seed must be None or a non-negative int. Received: seed=-1"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layers.Dropout(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": "0.5"}, "Dropout: rate must be a float in [0, 1]. Received: rate='0.5'"),
        ({"rate": 0.5, "seed": 1.5}, "Dropout: seed must be None or a non-negative int. Received: seed=1.5"),
    ],
)
def test_arguments_of_the_wrong_type(kwargs, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        layers.Dropout(**kwargs)
