"""Layer get_weights/set_weights, trainable=False (no update, no weight gradient), get_layer, pop, summary."""

import numpy as np
import pytest

import convkit as ck
from convkit import functional as F
from convkit import layers, optimizers


def small_model(seed=0):
    model = ck.Sequential(
        [
            layers.Conv2D(3, 3, activation="relu", input_shape=(1, 6, 6), name="conv"),
            layers.BatchNorm(name="bn"),
            layers.Flatten(name="flat"),
            layers.Dense(8, activation="relu", name="hidden"),
            layers.Dense(2, name="out"),
        ]
    )
    model.compile(optimizer=optimizers.SGD(lr=0.1, momentum=0.9), loss="cross_entropy")
    model.build(seed=seed)
    return model


def data(rng, n=16):
    return rng.normal(size=(n, 1, 6, 6)).astype(np.float32), rng.integers(0, 2, size=n)


def test_layer_weights_in_keras_order_and_set_in_place(rng):
    model = small_model()
    bn = model.get_layer("bn")
    weights = bn.get_weights()
    assert [w.shape for w in weights] == [(3,)] * 4  # gamma, beta, running mean, running variance
    np.testing.assert_array_equal(weights[0], bn.params["gamma"])
    np.testing.assert_array_equal(weights[3], bn.state["running_var"])
    weights[0] += 1  # a copy
    assert not np.array_equal(weights[0], bn.params["gamma"])
    gamma = bn.params["gamma"]
    bn.set_weights(weights)
    assert bn.params["gamma"] is gamma and np.array_equal(gamma, weights[0])
    dense = model.get_layer("hidden")
    assert [w.shape for w in dense.get_weights()] == [(48, 8), (8,)]  # kernel, bias
    with pytest.raises(ValueError, match=r"hidden.set_weights: expected 2 arrays. Received: 1 arrays"):
        dense.set_weights([np.zeros((48, 8))])
    with pytest.raises(ValueError, match=r"array 1 must have shape \(8,\). Received: \(7,\)"):
        dense.set_weights([np.zeros((48, 8)), np.zeros(7)])


def test_a_frozen_layer_is_not_updated_and_computes_no_weight_gradient(rng):
    x, y = data(rng)
    model, reference = small_model(), small_model()
    hidden = model.get_layer("hidden")
    hidden.trainable = False
    before = hidden.get_weights()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=1)
    for a, b in zip(hidden.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert hidden.grads == {}  # backward_input: dx only
    assert "3.weight" not in model.optimizer.slots
    reference.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=1)
    assert not np.array_equal(
        model.get_layer("conv").params["weight"], small_model().layers[0].params["weight"]
    )
    assert not np.array_equal(reference.get_layer("hidden").params["weight"], before[0])


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_backward_input_is_backwards_dx(rng, kind, activation):
    if kind == "dense":
        layer = layers.Dense(4, activation=activation, dtype="float64")
        x = rng.normal(size=(5, 6))
    else:
        layer = layers.Conv2D(2, 3, padding=1, stride=2, activation=activation, dtype="float64")
        x = rng.normal(size=(2, 3, 5, 5))
    out = layer.forward(x, training=True)
    dout = rng.normal(size=out.shape)
    np.testing.assert_array_equal(layer.backward_input(dout), layer.backward(dout))


def test_functional_backward_input(rng):
    x, w, b = rng.normal(size=(2, 3, 5, 5)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    out, cache = F.conv2d_relu_forward(x, w, b, padding=1)
    dout = rng.normal(size=out.shape)
    np.testing.assert_array_equal(
        F.conv2d_relu_backward_input(dout, cache), F.conv2d_relu_backward(dout, cache)[0]
    )
    out, cache = F.affine_forward(x, rng.normal(size=(75, 3)), rng.normal(size=3))
    dout = rng.normal(size=out.shape)
    np.testing.assert_array_equal(F.affine_backward_input(dout, cache), F.affine_backward(dout, cache)[0])


def test_a_frozen_first_layer_is_skipped_entirely(rng, monkeypatch):
    x, y = data(rng)
    model = small_model()
    conv = model.get_layer(index=0)
    conv.trainable = False
    for method in ("backward", "backward_input", "backward_weights"):
        monkeypatch.setattr(conv, method, lambda dout: pytest.fail("the frozen first layer ran backward"))
    bn_gamma = model.get_layer("bn").params["gamma"].copy()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.array_equal(model.get_layer("bn").params["gamma"], bn_gamma)


def test_trainable_in_config_and_checked():
    layer = layers.Dense(2, trainable=False)
    assert layer.get_config()["trainable"] is False
    assert layers.deserialize(layers.serialize(layer)).trainable is False
    assert "trainable" not in layers.Dense(2).get_config()
    with pytest.raises(TypeError, match="Dense: trainable must be a bool. Received: trainable=0"):
        layer.trainable = 0


def test_get_layer_and_pop():
    model = small_model()
    assert model.get_layer("flat") is model.layers[2]
    assert model.get_layer(index=-1) is model.layers[4]
    model.fit(np.zeros((4, 1, 6, 6), np.float32), np.zeros(4, int), verbose=0)
    assert "4.weight" in model.optimizer.slots
    out = model.pop()
    assert out.name == "out" and len(model.layers) == 4 and "4.weight" not in model.optimizer.slots
    assert "3.weight" in model.optimizer.slots
    model.add(layers.Dense(3))
    model.build()
    assert model.predict(np.zeros((2, 1, 6, 6), np.float32)).shape == (2, 3)
    for kwargs, error, text in [
        ({}, ValueError, "pass exactly one of name or index"),
        ({"name": "x", "index": 0}, ValueError, "pass exactly one of name or index"),
        ({"name": "nope"}, ValueError, "no layer named 'nope'. Layers: 'conv', 'bn'"),
        ({"index": 5}, ValueError, r"index must be in \[-5, 5\)"),
        ({"index": "0"}, TypeError, "index must be an int. Received: index='0'"),
    ]:
        with pytest.raises(error, match=text):
            model.get_layer(**kwargs)
    with pytest.raises(ValueError, match="Sequential.pop: the model has no layers"):
        ck.Sequential().pop()


def test_summary_shows_fused_activations_and_non_trainable_counts():
    model = small_model()
    model.get_layer("hidden").trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    assert (
        "conv (Conv2D + relu)" in text and "hidden (Dense + relu, frozen)" in text and "out (Dense)" in text
    )
    conv, bn, hidden, out = 3 * 9 + 3, 6, 48 * 8 + 8, 8 * 2 + 2
    assert f"Total params: {conv + bn + 6 + hidden + out:,}" in text
    assert f"Trainable params: {conv + bn + out:,}" in text
    assert f"Non-trainable params: {hidden + 6:,}" in text  # the frozen Dense and the running statistics
