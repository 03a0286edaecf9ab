"""Dense and Conv2D with every activation against torch (forward, dx, every gradient); to_torch writes the
activation module after the layer, save/load keeps it."""

import numpy as np
import pytest

import convkit as ck
from convkit import layers
from convkit.interop import from_torch, to_torch
from convkit.layers.activations import ACTIVATIONS

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")
nn = torch.nn

UNFUSED = sorted(set(ACTIVATIONS) - {"relu"})
TORCH_ACTIVATIONS = {  # activation name -> the torch module convkit's layer (with its defaults) equals
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "softmax": lambda: nn.Softmax(dim=-1),
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
}


def test_every_activation_has_a_torch_module():
    assert set(TORCH_ACTIVATIONS) == set(ACTIVATIONS)
    assert UNFUSED  # the table is not empty


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_dense_with_activation_matches_torch(activation, dtype, rng, layer_parity):
    layer = layers.Dense(6, activation=activation, dtype=dtype, seed=0)
    module = nn.Sequential(nn.Linear(5, 6), TORCH_ACTIVATIONS[activation]())
    names = {"weight": "0.weight", "bias": "0.bias"}
    layer_parity(layer, module, rng.standard_normal((4, 5)), names=names, transposed=("weight",))


@pytest.mark.parametrize("activation", UNFUSED)
def test_conv2d_with_activation_matches_torch(activation, dtype, rng, layer_parity):
    layer = layers.Conv2D(3, 3, strides=2, padding=1, activation=activation, dtype=dtype, seed=0)
    module = nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=1), TORCH_ACTIVATIONS[activation]())
    names = {"weight": "0.weight", "bias": "0.bias"}
    layer_parity(layer, module, rng.standard_normal((2, 2, 6, 6)), names=names)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_to_torch_writes_the_activation_after_the_layer_and_save_keeps_it(activation, rng, tmp_path):
    model = ck.Sequential(
        [
            layers.Conv2D(2, 3, activation=activation, input_shape=(1, 5, 5), dtype="float64"),
            layers.Flatten(dtype="float64"),
            layers.Dense(3, activation=activation, dtype="float64"),
        ]
    )
    model.build(seed=0)
    module = to_torch(model)
    kinds = [type(m) for m in module]
    act = type(TORCH_ACTIVATIONS[activation]())
    assert kinds == [nn.Conv2d, act, nn.Flatten, nn.Linear, act]
    x = rng.standard_normal((4, 1, 5, 5))
    expected = module(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-12, atol=1e-14)
    model.save(tmp_path / "model.npz")
    loaded = ck.load_model(tmp_path / "model.npz")
    assert [layer.activation for layer in loaded.layers[::2]] == [activation, activation]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    np.testing.assert_allclose(from_torch(module, (1, 5, 5)).predict(x), expected, rtol=1e-12, atol=1e-14)
