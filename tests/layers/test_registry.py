"""layers.get / serialize / deserialize / register: every layer round-trips through JSON by class name."""

import json
import re

import numpy as np
import pytest

from convkit import layers
from convkit.layers import registry

EXAMPLES = [
    layers.Dense(3, use_bias=False, kernel_regularizer=0.1),
    layers.Conv2D(4, 3, stride=2, padding=1, weight_scale=0.01, seed=3),
    layers.Conv2D(4, 2, padding="same", dilation=(1, 2), groups=2),
    layers.Conv2DTranspose(4, 4, stride=2, padding=1, output_padding=1, dilation=(1, 2), groups=2),
    layers.DepthwiseConv2D(3, stride=2, padding="same", depth_multiplier=2, dilation=(2, 1), seed=1),
    layers.SeparableConv2D(8, (3, 2), padding=1, depth_multiplier=3, use_bias=False, seed=2),
    layers.MaxPool2D(3, stride=2),
    layers.AvgPool2D((2, 1)),
    layers.GlobalAvgPool2D(),
    layers.BatchNorm(momentum=0.05),
    layers.Dropout(0.2, seed=1),
    layers.ReLU(),
    layers.LeakyReLU(0.1),
    layers.Sigmoid(),
    layers.Tanh(),
    layers.Softmax(),
    layers.Flatten(input_shape=(2, 3)),
    layers.RandomShift((1, 2), seed=4),
    layers.RandomFlip("vertical", seed=2),
    layers.RandomCrop((3, 2), padding=(1, 0), seed=6),
    layers.Rescaling(1 / 255, offset=-0.5),
    layers.Normalization((0.5, 0.25), 0.2),
    layers.Residual([layers.Dense(2), layers.ReLU()], layers.Dense(2), seed=5),
    layers.ELU(0.5),
    layers.GELU("tanh"),
    layers.SiLU(),
    layers.Softplus(beta=2.0, threshold=10.0),
    layers.PReLU(3, init=0.1),
    layers.LayerNorm(eps=1e-3),
    layers.GroupNorm(2, eps=1e-4),
    layers.GlobalMaxPool2D(),
    layers.AdaptiveAvgPool2D((2, 3)),
    layers.UpSampling2D((2, 3), "bilinear"),
    layers.ZeroPadding2D(((1, 0), (2, 1))),
    layers.Parallel([[layers.Dense(2)], [layers.Dense(3), layers.GELU()]], merge="concat", seed=2),
]


@pytest.mark.parametrize("layer", EXAMPLES, ids=lambda layer: type(layer).__name__)
def test_round_trip_through_json(layer):
    spec = layers.serialize(layer)
    assert spec == {"class_name": type(layer).__name__, "config": layer.get_config()}
    clone = layers.deserialize(json.loads(json.dumps(spec)))
    assert type(clone) is type(layer) and clone is not layer
    assert clone.get_config() == layer.get_config()
    rebuilt = type(layer)(**layer.get_config())
    assert rebuilt.get_config() == layer.get_config()


def test_every_exported_layer_is_registered():
    exported = {getattr(layers, name) for name in layers.__all__}
    layer_classes = {c for c in exported if isinstance(c, type) and c is not layers.Layer}
    assert layer_classes == set(registry._LAYER_CLASSES.values())
    for cls in layer_classes:
        assert layers.get(cls.__name__) is cls


def test_every_registered_layer_has_a_round_trip_example():
    assert {type(layer) for layer in EXAMPLES} == set(registry._LAYER_CLASSES.values())


def test_unknown_class_name():
    with pytest.raises(
        ValueError,
        match=re.escape("layers.get: unknown layer class 'Dens'. Known: AdaptiveAvgPool2D, AvgPool2D"),
    ):
        layers.get("Dens")


@pytest.mark.parametrize(
    "spec", [{"class_name": "Dense"}, ["Dense", {}], {"class_name": "ReLU", "config": {}, "x": 1}]
)
def test_deserialize_needs_class_name_and_config(spec):
    with pytest.raises(ValueError, match="expected a dict with the keys 'class_name' and 'config'"):
        layers.deserialize(spec)


def test_serialize_needs_a_layer():
    with pytest.raises(TypeError, match="layers.serialize: expected a Layer. Received: str"):
        layers.serialize("relu")


def test_register_a_custom_layer(monkeypatch):
    monkeypatch.setattr(registry, "_LAYER_CLASSES", dict(registry._LAYER_CLASSES))  # undone after the test

    @layers.register
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x, training):
            return x * self.factor

        def backward(self, dout):
            return dout * self.factor

        def get_config(self):
            return {"factor": self.factor, **super().get_config()}

    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(Scale(3.0)))))
    assert type(clone) is Scale and clone.factor == 3.0
    residual = layers.deserialize(layers.serialize(layers.Residual([Scale(0.5)])))
    np.testing.assert_array_equal(residual.forward(np.ones((1, 2))), np.full((1, 2), 1.5))

    class Other(layers.ReLU):
        pass

    Other.__name__ = "Scale"
    with pytest.raises(ValueError, match="another layer class is already registered as 'Scale'"):
        layers.register(Other)
    with pytest.raises(TypeError, match="register: expected a subclass of Layer"):
        layers.register(int)
