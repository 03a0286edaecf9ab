"""RandomFlip and RandomCrop layers: training only, seeded, shapes, config and argument checks."""

import numpy as np
import pytest

import convkit as ck
from convkit import layers


def test_random_flip_is_the_identity_in_eval_and_seeded_in_training(rng):
    x = rng.normal(size=(16, 2, 4, 4)).astype(np.float32)
    a, b = layers.RandomFlip("horizontal", seed=3), layers.RandomFlip("horizontal", seed=3)
    np.testing.assert_array_equal(a.forward(x, training=False), x)
    out = a.forward(x, training=True)
    np.testing.assert_array_equal(out, b.forward(x, training=True))
    flipped = a._cache[0]
    np.testing.assert_array_equal(out[flipped], x[flipped][..., ::-1])
    np.testing.assert_array_equal(out[~flipped], x[~flipped])


def test_random_crop_output_shape_in_a_model(rng):
    model = ck.Sequential(
        [
            layers.RandomCrop(6, padding=2, input_shape=(1, 8, 8)),
            layers.RandomFlip("horizontal_and_vertical"),
            layers.Flatten(),
            layers.Dense(3),
        ]
    )
    model.compile(optimizer="sgd", loss="cross_entropy")
    x = rng.normal(size=(10, 1, 8, 8)).astype(np.float32)
    history = model.fit(x, np.arange(10) % 3, epochs=2, verbose=0, seed=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(x).shape == (10, 3)
    assert model.layers[0].compute_output_shape((1, 8, 8)) == (1, 6, 6)
    np.testing.assert_array_equal(model.layers[0].forward(x, training=False), x[:, :, 1:7, 1:7])


def test_cifar_pad_four_then_crop_32_is_the_identity_at_inference(rng):
    layer = layers.RandomCrop(32, padding=4, seed=0)
    x = rng.normal(size=(2, 3, 32, 32)).astype(np.float32)
    assert layer.forward(x, training=False) is x
    out = layer.forward(x, training=True)
    assert out.shape == x.shape and not np.array_equal(out, x)


@pytest.mark.parametrize(
    "make, error, text",
    [
        (lambda: layers.RandomFlip("horizontally"), ValueError, "RandomFlip: mode must be one of"),
        (lambda: layers.RandomFlip(seed=-1), ValueError, "seed=-1"),
        (lambda: layers.RandomCrop(0), ValueError, "RandomCrop: size must be an int >= 1"),
        (lambda: layers.RandomCrop(3, padding=-2), ValueError, "padding=-2"),
        (lambda: layers.RandomCrop(9).build((1, 8, 8)), ValueError, r"size must be at most the input's"),
        (lambda: layers.RandomCrop(2).build((8, 8)), ValueError, r"expects inputs of shape \(N, C, H, W\)"),
        (lambda: layers.RandomFlip().build((4,)), ValueError, r"expects inputs of shape \(N, C, H, W\)"),
    ],
)
def test_bad_arguments(make, error, text):
    with pytest.raises(error, match=text):
        make()


def test_save_and_load_keep_the_layers(tmp_path, rng):
    model = ck.Sequential(
        [
            layers.RandomCrop((3, 4), padding=1, input_shape=(2, 5, 5)),
            layers.RandomFlip("vertical"),
            layers.Rescaling(0.5, 0.1),
            layers.Normalization([0.1, 0.2], [1.0, 2.0]),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.build(seed=0)
    model.save(tmp_path / "m.npz")
    back = ck.load_model(tmp_path / "m.npz")
    assert back.get_config() == model.get_config()
    x = rng.normal(size=(3, 2, 5, 5)).astype(np.float32)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
