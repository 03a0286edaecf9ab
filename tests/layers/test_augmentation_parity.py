"""The augmentation and preprocessing layers against torchvision's transforms and through to_torch."""

import numpy as np
import pytest

import convkit as ck
from convkit import layers
from convkit.interop import from_torch, to_torch

torch = pytest.importorskip("torch", reason="torch and torchvision are the references here")
TF = pytest.importorskip("torchvision.transforms.functional", reason="torchvision's crop and flips")


def test_random_crop_is_torchvisions_pad_then_crop_at_the_drawn_offsets(rng):
    layer = layers.RandomCrop(32, padding=4, seed=0)
    x = rng.normal(size=(6, 3, 32, 32)).astype(np.float32)
    out = layer.forward(x, training=True)
    for i, (top, left) in enumerate(layer._cache[0]):
        expected = TF.crop(TF.pad(torch.from_numpy(x[i]), 4), int(top), int(left), 32, 32)
        np.testing.assert_array_equal(out[i], expected.numpy())


@pytest.mark.parametrize("shape, size", [((9, 8), (4, 5)), ((6, 6), (3, 3)), ((7, 7), 7)])
def test_eval_crop_is_torchvisions_center_crop(rng, shape, size):
    x = rng.normal(size=(2, 1, *shape)).astype(np.float32)
    out = layers.RandomCrop(size).forward(x)
    np.testing.assert_array_equal(out, TF.center_crop(torch.from_numpy(x), list(np.broadcast_to(size, 2))))


def test_random_flip_is_torchvisions_hflip_and_vflip(rng):
    layer = layers.RandomFlip(seed=1)
    x = rng.normal(size=(12, 2, 3, 4)).astype(np.float32)
    out = layer.forward(x, training=True)
    flip_w, flip_h = layer._cache[:2]
    for i in range(12):
        image = torch.from_numpy(x[i])
        image = TF.hflip(image) if flip_w[i] else image
        image = TF.vflip(image) if flip_h[i] else image
        np.testing.assert_array_equal(out[i], image.numpy())


def test_to_torch_and_back(rng):
    model = ck.Sequential(
        [
            layers.Rescaling(1 / 255, offset=-0.5, input_shape=(3, 9, 8)),
            layers.Normalization((0.1, 0.2, 0.3), (0.5, 0.25, 2.0)),
            layers.RandomFlip(),
            layers.RandomCrop((6, 5), padding=4),
            layers.Flatten(),
            layers.Dense(4),
        ]
    )
    model.build(seed=0)
    module = to_torch(model)
    x = (255 * rng.random(size=(3, 3, 9, 8))).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(
            model.predict(x), module(torch.from_numpy(x)).numpy(), rtol=1e-6, atol=1e-6
        )
    preprocessing = ck.Sequential(model.layers[:2])
    back = from_torch(to_torch(preprocessing), (3, 9, 8))
    assert back.get_config()["layers"][0]["config"]["scale"] == 1 / 255
    np.testing.assert_array_equal(back.predict(x), preprocessing.predict(x))
