"""Inference folds each convolution without activation and the batch norm after it into one convolution
(convkit.layers.chain): the same outputs as running both layers, in models, residual blocks and branches;
never outside inference(), where a backward pass may follow. The backward pass gates a fused ReLU on the
outputs of the max pool after it: the same gradients as each layer's own backward, bit for bit."""

import numpy as np
import pytest

import convkit
from convkit import layers
from convkit.layers.chain import backward_chain, inference, run_chain

TOLERANCE = {np.float64: 1e-10, np.float32: 1e-5}


def _chains(dtype):
    """Models whose convolutions are followed by batch norms in every place a chain runs."""
    return [
        convkit.models.resnet20(image_size=8, dtype=dtype),
        convkit.models.mobilenet_cifar(image_size=8, dtype=dtype),
        convkit.Sequential(
            [
                layers.Conv2D(4, 3, padding=1, input_shape=(3, 6, 6), dtype=dtype),  # with a bias
                layers.BatchNorm(dtype=dtype),
                layers.Parallel(
                    [
                        [layers.Conv2D(2, 1, groups=2, use_bias=False), layers.BatchNorm(activation="relu")],
                        [layers.DepthwiseConv2D(3, padding=1), layers.BatchNorm()],
                    ],
                    dtype=dtype,
                ),
                layers.Conv2D(3, 3, activation="relu", dtype=dtype),  # an activation: not folded
                layers.BatchNorm(dtype=dtype),
                layers.Flatten(dtype=dtype),
            ]
        ),
    ]


def _with_running_statistics(model, rng):
    """Random weights and running statistics, as after training."""
    model.build(model.layers[0].input_shape, seed=0)
    for layer in _all_layers(model.layers):
        if isinstance(layer, layers.BatchNorm):
            C = layer.params["gamma"].shape[0]
            layer.params["gamma"][...] = rng.uniform(0.5, 2, C)
            layer.params["beta"][...] = rng.standard_normal(C)
            layer.state["running_mean"][...] = rng.standard_normal(C)
            layer.state["running_var"][...] = rng.uniform(0.5, 2, C)
        elif "bias" in layer.params:
            layer.params["bias"][...] = rng.standard_normal(layer.params["bias"].shape)
    return model


def _all_layers(chain):
    """Every layer of a chain, those inside residual blocks and branches too."""
    for layer in chain:
        yield layer
        for attr in ("block_layers", "shortcut_layers"):
            yield from _all_layers(getattr(layer, attr, []))
        for branch in getattr(layer, "branches", []):
            yield from _all_layers(branch)


@pytest.mark.parametrize("index", [0, 1, 2], ids=["resnet20", "mobilenet", "parallel"])
def test_predict_folds_and_gives_what_the_layers_give(index, dtype, monkeypatch):
    rng = np.random.default_rng(index)
    model = _with_running_statistics(_chains(dtype)[index], rng)
    x = rng.standard_normal((3, *model.layers[0].input_shape)).astype(dtype)
    unfolded = model.forward(x, training=False)  # every layer runs outside inference()
    calls = []
    original = layers.BatchNorm.call
    monkeypatch.setattr(layers.BatchNorm, "call", lambda self, *a: calls.append(self) or original(self, *a))
    folded = model.predict(x, batch_size=3)
    np.testing.assert_allclose(folded, unfolded, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])
    batch_norms = [layer for layer in _all_layers(model.layers) if isinstance(layer, layers.BatchNorm)]
    after_activation = [model.layers[-2]] if index == 2 else []
    assert calls == after_activation  # every other batch norm was folded into its convolution
    assert len(batch_norms) > len(after_activation)


def test_outside_inference_every_layer_runs_and_backward_follows(rng):
    conv, bn = layers.Conv2D(2, 3, use_bias=False, dtype="float64"), layers.BatchNorm(dtype="float64")
    x = rng.standard_normal((2, 3, 5, 5))
    out = run_chain([conv, bn], x, training=False)
    assert bn._cache is not None
    dx = conv.backward(bn.backward(np.ones_like(out)))  # the gradient through a frozen batch norm
    assert dx.shape == x.shape
    with inference():
        np.testing.assert_allclose(run_chain([conv, bn], x, training=False), out, rtol=1e-10, atol=1e-12)
        with pytest.raises(ValueError, match="a convolution with an activation folds no affine map"):
            layers.Conv2D(2, 3, activation="relu").forward_folded(x, np.ones(2), np.zeros(2), False)


# -- the backward pass: a fused ReLU gated on the max pool after it --------------------------------------
POOLS = {
    "2x2": {},
    "3x3-stride-2": {"pool_size": 3, "stride": 2},  # overlapping windows: an element can win twice
    "padded-ceil": {"pool_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
}


def _conv_relu_pool_chain(dtype, pool, trainable=True):
    """conv(relu) -> pool -> conv(relu) -> pool -> flatten -> dense, with biases that leave many ReLU
    outputs at 0, so that whole pool windows are 0 (their gradient must not pass the gate)."""
    chain = [
        layers.Conv2D(4, 3, activation="relu", input_shape=(2, 13, 13), dtype=dtype, trainable=trainable),
        layers.MaxPool2D(**pool, dtype=dtype),
        layers.Conv2D(3, 3, padding=1, activation="relu", dtype=dtype),
        layers.MaxPool2D(**pool, dtype=dtype),
        layers.Flatten(dtype=dtype),
        layers.Dense(5, dtype=dtype),
    ]
    model = convkit.Sequential(chain)
    model.build((2, 13, 13), seed=0)
    for layer in chain[:3:2]:
        layer.params["bias"][...] = -0.5
    return model


def _each_layers_backward(chain, dout, input_gradient=True):
    """The backward pass layer by layer, each with its own ReLU gate (what backward_chain must equal)."""
    for i in range(len(chain) - 1, -1, -1):
        layer = chain[i]
        if i == 0 and not input_gradient:
            layer.backward_weights(dout)
            return None
        dout = layer.backward(dout) if layer.trainable else layer.backward_input(dout)
    return dout


@pytest.mark.parametrize("pool", POOLS.values(), ids=POOLS.keys())
@pytest.mark.parametrize("input_gradient", [True, False], ids=["with-dx", "weights-only"])
@pytest.mark.parametrize("trainable_first", [True, False], ids=["trainable", "frozen-first"])
def test_the_relu_gate_on_the_pooled_outputs_gives_each_layers_gradients(
    pool, input_gradient, trainable_first, dtype
):
    rng = np.random.default_rng(3)
    model = _conv_relu_pool_chain(dtype, pool, trainable_first)
    chain = model.layers if trainable_first or input_gradient else model.layers[2:]
    x = rng.standard_normal((4, 2, 13, 13)).astype(dtype)
    x[0, :, :6] = np.nan  # NaN stays NaN through the ReLU: its gradient is gated to 0
    out = model.forward(x, training=True)
    dout = rng.standard_normal(out.shape).astype(dtype)
    pooled = [layer._out for layer in model.layers if isinstance(layer, layers.MaxPool2D)]
    assert all((p == 0).any() for p in pooled)  # windows whose ReLU outputs are all 0: the gate matters

    dx = backward_chain(chain, dout, input_gradient)
    grads = {name: grad.copy() for name, _, grad in model.named_parameters() if grad is not None}
    expected_dx = _each_layers_backward(chain, dout, input_gradient)
    for name, _, grad in model.named_parameters():
        if grad is not None:
            np.testing.assert_array_equal(grads[name], grad, err_msg=name)
    if input_gradient:
        np.testing.assert_array_equal(dx, expected_dx)
    else:
        assert dx is None


def test_a_gated_backward_needs_a_fused_relu():
    layer = layers.Conv2D(2, 3, activation="tanh", input_shape=(1, 5, 5))
    out = layer.forward(np.ones((1, 1, 5, 5), np.float32), training=True)
    with pytest.raises(ValueError, match="gated=True needs a fused ReLU"):
        layer.backward(np.ones_like(out), gated=True)
