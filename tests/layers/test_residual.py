"""Residual against an equivalent torch module (identity and 1x1 Conv2D + BatchNorm shortcuts), the fused
ReLU against a ReLU after it, merged params/grads/state, build checks, seeds, dtype, config round trips and
arguments."""

import json
import re

import numpy as np
import pytest

from convkit import functional as F
from convkit import layers
from convkit.layers.chain import inference, run_chain
from convkit.regularizers import L2

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")


class TorchResidual(torch.nn.Module):
    """out = block(x) + shortcut(x), the torch counterpart of layers.Residual."""

    def __init__(self, block, shortcut=None):
        super().__init__()
        self.block = block
        self.shortcut = shortcut if shortcut is not None else torch.nn.Identity()

    def forward(self, x):
        return self.block(x) + self.shortcut(x)


def _torch_names(residual):
    """convkit keys -> torch attribute paths: BatchNorm's gamma/beta are torch's weight/bias."""
    renamed = {"gamma": "weight", "beta": "bias"}
    names = {}
    for key in (*residual.params, *residual.state):
        group, index, name = key.split(".", 2)
        names[key] = f"{group}.{index}.{renamed.get(name, name)}"
    return names


def _basic_block(channels, stride=1):
    return [
        layers.Conv2D(channels, 3, stride=stride, padding=1),
        layers.BatchNorm(),
        layers.ReLU(),
        layers.Conv2D(channels, 3, padding="same"),
        layers.BatchNorm(),
    ]


def _torch_basic_block(in_channels, channels, stride=1):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1),
        nn.BatchNorm2d(channels),
        nn.ReLU(),
        nn.Conv2d(channels, channels, 3, padding=1),
        nn.BatchNorm2d(channels),
    )


def _randomize(residual, rng):
    """Non-trivial biases, BatchNorm affine parameters and running statistics."""
    for key, value in {**residual.params, **residual.state}.items():
        if key.endswith(("bias", "beta", "running_mean")):
            value[...] = rng.standard_normal(value.shape)
        elif key.endswith(("gamma", "running_var")):
            value[...] = rng.uniform(0.5, 1.5, value.shape)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_identity_shortcut_matches_torch(dtype, rng, layer_parity, training):
    residual = layers.Residual(_basic_block(3), dtype=dtype, seed=0)
    residual.build((3, 5, 5))
    _randomize(residual, rng)
    module = TorchResidual(_torch_basic_block(3, 3))
    x = rng.standard_normal((2, 3, 5, 5))
    layer_parity(residual, module, x, training=training, names=_torch_names(residual))


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_projection_shortcut_matches_torch(dtype, rng, layer_parity, training):
    shortcut = [layers.Conv2D(4, 1, stride=2, use_bias=False), layers.BatchNorm()]
    residual = layers.Residual(_basic_block(4, stride=2), shortcut, dtype=dtype, seed=1)
    residual.build((3, 6, 6))
    assert residual.compute_output_shape((3, 6, 6)) == (4, 3, 3)
    _randomize(residual, rng)
    module = TorchResidual(
        _torch_basic_block(3, 4, stride=2),
        torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1, stride=2, bias=False), torch.nn.BatchNorm2d(4)),
    )
    x = rng.standard_normal((2, 3, 6, 6))
    layer_parity(residual, module, x, training=training, names=_torch_names(residual))


def test_dense_block_matches_torch(dtype, rng, layer_parity):
    residual = layers.Residual([layers.Dense(6), layers.Tanh(), layers.Dense(6)], dtype=dtype, seed=2)
    residual.build((6,))
    module = TorchResidual(torch.nn.Sequential(torch.nn.Linear(6, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6)))
    layer_parity(
        residual, module, rng.standard_normal((3, 6)), transposed=("block.0.weight", "block.2.weight")
    )


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_gradients_match_finite_differences(rng, layer_gradient_errors, training):
    # no bias before a BatchNorm: in training its exact gradient is 0, which a relative error cannot check
    shortcut = [layers.Conv2D(3, 1, stride=2, use_bias=False), layers.BatchNorm()]
    block = [
        layers.Conv2D(3, 3, stride=2, padding=1, use_bias=False),
        layers.BatchNorm(),
        layers.ReLU(),
        layers.Conv2D(3, 1),
    ]
    residual = layers.Residual(block, shortcut, dtype="float64", seed=3)
    residual.build((2, 4, 4))
    _randomize(residual, rng)
    errors = layer_gradient_errors(residual, rng.standard_normal((3, 2, 4, 4)), training=training)
    assert set(errors) == {"x", *residual.params}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("shortcut", ["identity", "projection"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_fused_relu_equals_a_relu_after_it_bit_for_bit(dtype, rng, training, shortcut, monkeypatch):
    """Both ways the block's last batch norm takes the sum and the ReLU (BatchNorm.forward_add_relu)."""
    channels, stride = (3, 1) if shortcut == "identity" else (4, 2)

    def build(activation):
        projection = [layers.Conv2D(4, 1, stride=2, use_bias=False), layers.BatchNorm()]
        residual = layers.Residual(
            _basic_block(channels, stride=stride),
            projection if shortcut == "projection" else None,
            activation=activation,
            seed=5,
        )
        residual.build((3, 6, 6))
        return residual

    fused, separate, relu = build("relu"), build(None), layers.ReLU()
    for key, value in fused.params.items():
        value[...] = separate.params[key]
    fused_tails = []
    forward_add_relu = layers.BatchNorm.forward_add_relu
    monkeypatch.setattr(
        layers.BatchNorm,
        "forward_add_relu",
        lambda bn, *args: fused_tails.append(bn) or forward_add_relu(bn, *args),
    )
    x = rng.standard_normal((2, 3, 6, 6)).astype(dtype)
    out = fused.forward(x, training=training)
    assert fused_tails == [fused.block_layers[-1]]
    assert out.tobytes() == relu.forward(separate.forward(x, training=training)).tobytes()
    dout = rng.standard_normal(out.shape).astype(dtype)
    dout[0, 0, 0, 0] = np.inf  # a select: never inf * 0
    assert fused.backward(dout).tobytes() == separate.backward(relu.backward(dout)).tobytes()
    for key, grad in fused.grads.items():
        assert grad.tobytes() == separate.grads[key].tobytes(), key
    assert fused.activation_layer.name == f"{fused.name}_relu" and separate.activation_layer is None


@pytest.mark.parametrize("shortcut", ["identity", "projection"])
def test_inference_adds_the_shortcut_in_the_folded_convolution_bit_for_bit(dtype, rng, shortcut, monkeypatch):
    """Inside inference() the last conv + batch norm pair folds, and that convolution's pass takes the sum
    and the ReLU (Conv2D.forward_folded with the residual): what the folded chain and add_relu give."""
    channels, stride = (3, 1) if shortcut == "identity" else (4, 2)
    projection = [layers.Conv2D(4, 1, stride=2, use_bias=False), layers.BatchNorm()]
    residual = layers.Residual(
        _basic_block(channels, stride=stride),
        projection if shortcut == "projection" else None,
        activation="relu",
        dtype=dtype,
        seed=5,
    )
    residual.build((3, 6, 6))
    _randomize(residual, rng)
    x = rng.standard_normal((2, 3, 6, 6)).astype(dtype)
    with_residual = []
    forward_folded = layers.Conv2D.forward_folded

    def spy(conv, *args, **kwargs):
        with_residual.append(kwargs.get("residual") is not None)
        return forward_folded(conv, *args, **kwargs)

    monkeypatch.setattr(layers.Conv2D, "forward_folded", spy)
    with inference():
        fused = residual.forward(x, training=False)
        assert with_residual.count(True) == 1
        block = run_chain(residual.block_layers, x, training=False)
        shortcut_out = run_chain(residual.shortcut_layers, x, training=False)
    separate, _ = F.add_relu_forward(block, shortcut_out)
    assert fused.tobytes() == separate.tobytes()
    np.testing.assert_allclose(fused, residual.forward(x, training=False), rtol=1e-4, atol=1e-4)


def test_activation_argument():
    assert layers.Residual([layers.ReLU()], activation="linear").activation is None
    assert layers.Residual([layers.ReLU()], activation="relu").get_config()["activation"] == "relu"
    with pytest.raises(ValueError, match=r"Residual: activation must be None, 'linear' or 'relu'.*'tanh'"):
        layers.Residual([layers.ReLU()], activation="tanh")


def test_params_grads_state_are_the_sublayers_arrays(rng):
    conv, bn = layers.Conv2D(2, 3, padding=1), layers.BatchNorm()
    short = layers.Conv2D(2, 1)
    residual = layers.Residual([conv, bn], short)
    assert residual.params == {} and residual.count_params() == 0
    residual.build((1, 4, 4))
    assert list(residual.params) == [
        "block.0.weight",
        "block.0.bias",
        "block.1.gamma",
        "block.1.beta",
        "shortcut.0.weight",
        "shortcut.0.bias",
    ]
    assert list(residual.state) == ["block.1.running_mean", "block.1.running_var"]
    assert residual.params["block.0.weight"] is conv.params["weight"]
    assert residual.state["block.1.running_var"] is bn.state["running_var"]
    assert residual.count_params() == conv.count_params() + bn.count_params() + short.count_params()
    residual.params["shortcut.0.weight"] -= 1.0  # an optimizer's in-place update reaches the sublayer
    assert residual.params["shortcut.0.weight"] is short.params["weight"]

    x = rng.standard_normal((2, 1, 4, 4))
    for step in range(2):
        out = residual.forward(x, training=True)
        residual.backward(np.full(out.shape, step + 1.0))
        assert set(residual.grads) == set(residual.params)
        assert residual.grads["block.1.beta"] is bn.grads["beta"]  # read fresh after each backward
        np.testing.assert_allclose(bn.grads["beta"], 2 * 16 * (step + 1.0))


def test_assigning_params_sets_the_sublayer_entries():
    dense = layers.Dense(2)
    residual = layers.Residual([dense])
    residual.build((2,))
    weight = np.eye(2, dtype=np.float32)
    residual.params = {"block.0.weight": weight}
    assert dense.params["weight"] is weight
    with pytest.raises(KeyError, match="keys look like 'block.0.weight'"):
        residual.params = {"weight": weight}


def test_shape_mismatch_is_a_clear_error():
    residual = layers.Residual([layers.Conv2D(8, 3, padding=1)])
    message = "Residual: the block's output shape (8, 5, 5) must match the shortcut's (3, 5, 5)"
    with pytest.raises(ValueError, match=re.escape(message)):
        residual.build((3, 5, 5))
    with pytest.raises(ValueError, match=re.escape(message)):
        residual.compute_output_shape((3, 5, 5))


def test_sublayer_declared_input_shape_must_match():
    residual = layers.Residual([layers.Dense(4, input_shape=(3,))])
    with pytest.raises(ValueError, match=re.escape("expects input_shape (3,) but receives (4,)")):
        residual.build((4,))


def test_builds_lazily_with_its_dtype(rng):
    residual = layers.Residual([layers.Dense(3), layers.ReLU()], dtype="float64")
    out = residual.forward(rng.standard_normal((2, 3)))
    assert out.dtype == np.float64 and residual.built
    assert all(layer.built and layer.dtype == np.float64 for layer in residual.block_layers)
    assert residual.params["block.0.weight"].dtype == np.float64
    built32 = layers.Dense(3)
    built32.build((3,))
    with pytest.raises(ValueError, match="already built with dtype float32"):
        layers.Residual([built32], dtype="float64").build((3,))


def test_seed_derives_sublayer_seeds():
    def weights(**kwargs):
        residual = layers.Residual([layers.Dense(4), layers.Dense(4)], **kwargs)
        residual.build((4,))
        return [residual.params["block.0.weight"], residual.params["block.1.weight"]]

    a, b, c = weights(seed=1), weights(seed=1), weights(seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[0], c[0])
    explicit = layers.Dense(4, seed=9)
    layers.Residual([explicit], seed=1).build((4,))
    assert explicit.seed == 9  # an explicit sublayer seed is kept


def test_regularization_loss_sums_the_sublayers():
    block = [
        layers.Dense(3, kernel_regularizer=0.1),
        layers.ReLU(),
        layers.Dense(3, kernel_regularizer=L2(0.2)),
    ]
    residual = layers.Residual(block)
    residual.build((3,))
    expected = block[0].regularization_loss() + block[2].regularization_loss()
    assert expected > 0 and residual.regularization_loss() == pytest.approx(expected)


def test_config_round_trip_through_json(rng):
    residual = layers.Residual(
        _basic_block(4, stride=2),
        [layers.Conv2D(4, 1, stride=2), layers.BatchNorm()],
        seed=4,
        activation="relu",
        name="res",
    )
    residual.build((2, 6, 6))
    config = json.loads(json.dumps(layers.serialize(residual)))
    assert config["class_name"] == "Residual"
    assert [sub["class_name"] for sub in config["config"]["block_layers"]] == [
        "Conv2D",
        "BatchNorm",
        "ReLU",
        "Conv2D",
        "BatchNorm",
    ]
    assert [sub["class_name"] for sub in config["config"]["shortcut"]] == ["Conv2D", "BatchNorm"]
    clone = layers.deserialize(config)
    assert type(clone) is layers.Residual and not clone.built and clone.name == "res"
    assert clone.get_config() == residual.get_config()
    clone.build((2, 6, 6))
    for key, value in residual.params.items():
        np.testing.assert_array_equal(clone.params[key], value)
    x = rng.standard_normal((2, 2, 6, 6))
    np.testing.assert_array_equal(clone.forward(x), residual.forward(x))
    assert layers.Residual([layers.ReLU()]).get_config()["shortcut"] is None


def test_accepts_a_single_shortcut_layer_and_dicts():
    residual = layers.Residual([layers.serialize(layers.Dense(2))], shortcut=layers.Dense(2))
    assert type(residual.block_layers[0]) is layers.Dense
    assert len(residual.shortcut_layers) == 1


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (([],), ValueError, "Residual: block_layers must hold at least one layer"),
        (
            ([layers.ReLU(), "relu"],),
            TypeError,
            "Residual: block_layers must hold Layers or their serialize()",
        ),
        (
            ([layers.ReLU()], [3]),
            TypeError,
            "Residual: shortcut must hold Layers or their serialize() dicts",
        ),
        (([{"class_name": "Nope", "config": {}}],), ValueError, "layers.get: unknown layer class 'Nope'"),
    ],
)
def test_bad_arguments(args, error, message):
    with pytest.raises(error, match=re.escape(message)):
        layers.Residual(*args)


def test_a_layer_object_appears_once():
    relu = layers.ReLU()
    with pytest.raises(ValueError, match="a layer object can appear only once"):
        layers.Residual([relu], [relu])
