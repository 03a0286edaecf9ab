"""Flatten against torch.nn.Flatten, shapes and config."""

import json
import re

import numpy as np
import pytest

from convkit import layers


@pytest.mark.parametrize("shape", [(3, 2, 4, 5), (3, 7), (2, 3, 4)])
def test_matches_torch_flatten(dtype, rng, layer_parity, shape, torch):
    layer = layers.Flatten(dtype=dtype)
    out, dx = layer_parity(layer, torch.nn.Flatten(), rng.standard_normal(shape))
    assert out.shape == (shape[0], int(np.prod(shape[1:])))
    assert layer.compute_output_shape(shape[1:]) == out.shape[1:]


def test_flattens_in_c_order():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2)
    np.testing.assert_array_equal(layers.Flatten().forward(x), x.reshape(2, 12))


def test_rejects_a_wrong_dout():
    layer = layers.Flatten()
    layer.forward(np.zeros((2, 3, 4)))
    with pytest.raises(
        ValueError, match=re.escape("dout must have shape (2, 12). Received: dout.shape=(2, 3, 4)")
    ):
        layer.backward(np.zeros((2, 3, 4)))


def test_config_round_trip():
    layer = layers.Flatten(input_shape=(2, 3, 3), name="flat")
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(clone) is layers.Flatten
    assert clone.get_config() == {"name": "flat", "dtype": "float32", "input_shape": [2, 3, 3]}
