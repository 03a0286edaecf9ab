"""to_torch / from_torch: identical weights and running statistics, so outputs and gradients match."""

import subprocess
import sys

import numpy as np
import pytest

import convkit as ck
from convkit import _torch_converters, layers
from convkit.interop import from_torch, to_torch

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")


def convnet(dtype="float64"):
    return ck.Sequential(
        [
            layers.Conv2D(4, (3, 2), stride=(1, 2), padding=(1, 0), input_shape=(2, 9, 8), dtype=dtype),
            layers.BatchNorm(momentum=0.2, eps=1e-3, dtype=dtype),
            layers.LeakyReLU(0.1, dtype=dtype),
            layers.Residual(
                [layers.Conv2D(4, 3, padding="same", dtype=dtype), layers.ReLU(dtype=dtype)], dtype=dtype
            ),
            layers.Residual(
                [layers.Conv2D(6, 3, stride=2, padding=1, dtype=dtype), layers.Tanh(dtype=dtype)],
                shortcut=[layers.Conv2D(6, 1, stride=2, dtype=dtype), layers.BatchNorm(dtype=dtype)],
                dtype=dtype,
            ),
            layers.MaxPool2D(2, stride=1, dtype=dtype),
            layers.AvgPool2D((2, 1), dtype=dtype),
            layers.GlobalAvgPool2D(dtype=dtype),
            layers.Dense(7, dtype=dtype),
            layers.BatchNorm(dtype=dtype),
            layers.Sigmoid(dtype=dtype),
            layers.Dropout(0.3, dtype=dtype),
            layers.Dense(5, use_bias=False, dtype=dtype),
            layers.Softmax(dtype=dtype),
        ]
    )


def mlp_with_flatten(dtype="float32"):
    return ck.Sequential(
        [
            layers.Conv2D(3, 3, input_shape=(1, 6, 6), dtype=dtype),
            layers.ReLU(dtype=dtype),
            layers.Flatten(dtype=dtype),
            layers.Dense(4, dtype=dtype),
        ]
    )


def warm_up_running_stats(model, rng):
    """A few training-mode passes so the running statistics differ from their initial values."""
    for _ in range(3):
        model.forward(rng.normal(size=(6, *model.input_shape)), training=True)


@pytest.mark.parametrize(
    "make, dtype, tol", [(convnet, "float64", 1e-10), (mlp_with_flatten, "float32", 1e-5)]
)
def test_to_torch_gives_the_same_outputs(rng, make, dtype, tol):
    model = make(dtype)
    model.build(seed=0)
    warm_up_running_stats(model, rng)
    module = to_torch(model)
    x = rng.normal(size=(5, *model.input_shape)).astype(dtype)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=tol, atol=tol)
    assert not module.training


def test_training_step_matches_through_to_torch(rng):
    """Same weights: the training-mode forward and the input gradient agree (batch statistics, no dropout)."""
    model = ck.Sequential(
        [
            layers.Conv2D(3, 3, padding=1, input_shape=(2, 5, 5), dtype="float64"),
            layers.BatchNorm(dtype="float64"),
            layers.ReLU(dtype="float64"),
            layers.Flatten(dtype="float64"),
            layers.Dense(4, dtype="float64"),
        ]
    )
    model.build(seed=1)
    module = to_torch(model).train()
    x = rng.normal(size=(4, 2, 5, 5))
    xt = torch.tensor(x, requires_grad=True)
    out_t = module(xt)
    dout = rng.normal(size=out_t.shape)
    out_t.backward(torch.from_numpy(dout))
    out = model.forward(x, training=True)
    dx = model.backward(dout)
    np.testing.assert_allclose(out, out_t.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(model.layers[0].grads["weight"], module[0].weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(model.layers[4].grads["weight"], module[4].weight.grad.numpy().T, atol=1e-10)
    np.testing.assert_allclose(
        model.layers[1].state["running_mean"], module[1].running_mean.numpy(), atol=1e-12
    )


@pytest.mark.parametrize("make, dtype", [(convnet, "float64"), (mlp_with_flatten, "float32")])
def test_round_trip_convkit_torch_convkit(rng, make, dtype):
    model = make(dtype)
    model.build(seed=2)
    warm_up_running_stats(model, rng)
    back = from_torch(to_torch(model), model.input_shape)
    assert [type(a) for a in back.layers] == [type(b) for b in model.layers]
    for a, b in zip(back.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = rng.normal(size=(3, *model.input_shape)).astype(dtype)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert back.dtype == np.dtype(dtype)


def test_from_torch_of_a_plain_torch_model(rng):
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 3 * 3, 10),
        torch.nn.Tanh(),
        torch.nn.Linear(10, 3),
    ).eval()
    model = from_torch(module, (1, 8, 8))
    x = rng.normal(size=(4, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_unsupported_modules_are_named():
    with pytest.raises(TypeError, match="unsupported module Mish"):
        from_torch(torch.nn.Sequential(torch.nn.Mish()), (3,))
    with pytest.raises(TypeError, match="padding_mode"):
        from_torch(torch.nn.Sequential(torch.nn.Conv2d(2, 2, 3, padding_mode="reflect")), (2, 5, 5))
    with pytest.raises(TypeError, match="expected a convkit Sequential"):
        to_torch(torch.nn.Linear(2, 2))


def test_from_torch_of_a_model_with_the_newer_modules(rng):
    """Norms other than BatchNorm, the smooth activations, padding, upsampling and adaptive pooling."""
    torch.manual_seed(0)
    nn = torch.nn
    module = nn.Sequential(
        nn.ZeroPad2d((1, 0, 2, 1)),
        nn.Conv2d(2, 4, 3),
        nn.GroupNorm(2, 4),
        nn.GELU(approximate="tanh"),
        nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.Conv2d(4, 4, 3, padding=1),
        nn.LayerNorm((4, 12, 10)),
        nn.PReLU(4),
        nn.ELU(0.5),
        nn.AdaptiveAvgPool2d((3, 2)),
        nn.SiLU(),
        nn.AdaptiveMaxPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 3),
        nn.Softplus(beta=2.0),
    ).double()
    with torch.no_grad():
        module[2].weight.uniform_(0.5, 1.5)
        module[6].bias.normal_()
        module[7].weight.uniform_(0.0, 0.5)
    model = from_torch(module, (2, 5, 6))
    x = rng.normal(size=(3, 2, 5, 6))
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-10, atol=1e-10)
    back = to_torch(model)
    with torch.no_grad():
        np.testing.assert_allclose(back(torch.from_numpy(x)).numpy(), expected, rtol=1e-10, atol=1e-10)


def test_random_shift_becomes_the_identity_in_torch(rng):
    model = ck.Sequential([layers.RandomShift(2, input_shape=(1, 6, 6)), layers.Flatten(), layers.Dense(3)])
    model.build(seed=0)
    module = to_torch(model)
    assert isinstance(module[0], torch.nn.Identity)
    x = rng.normal(size=(2, 1, 6, 6)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(
            model.predict(x), module(torch.from_numpy(x)).numpy(), rtol=1e-6, atol=1e-6
        )


def _layer_classes():
    classes = [getattr(layers, name) for name in layers.__all__]
    return [cls for cls in classes if isinstance(cls, type) and cls is not layers.Layer]


@pytest.mark.parametrize("layer_class", _layer_classes(), ids=lambda cls: cls.__name__)
def test_every_layer_registers_a_torch_converter(layer_class):
    assert any(cls in _torch_converters._TO_TORCH for cls in layer_class.__mro__)


def test_a_new_layer_converts_once_it_registers_its_converters(rng):
    class Double(layers.Layer):
        def call(self, x, training):
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    model = ck.Sequential([layers.Dense(3, input_shape=(4,), dtype="float64"), Double(dtype="float64")])
    model.build(seed=0)
    with pytest.raises(TypeError, match=r"no torch counterpart for layer .* \(Double\)"):
        to_torch(model)

    class TorchDouble(torch.nn.Module):
        def forward(self, x):
            return 2 * x

    to_converters, from_converters = dict(_torch_converters._TO_TORCH), dict(_torch_converters._FROM_TORCH)
    try:
        _torch_converters.to_torch_converter(Double)(lambda layer, torch: TorchDouble())
        _torch_converters.from_torch_converter("TorchDouble")(
            lambda module, following, dtype, torch: (Double(dtype=dtype), {}, {})
        )
        with pytest.raises(ValueError, match="Double already has a converter"):
            _torch_converters.to_torch_converter(Double)(lambda layer, torch: TorchDouble())
        module = to_torch(model)
        assert isinstance(module[1], TorchDouble)
        back = from_torch(module, (4,))
    finally:
        _torch_converters._TO_TORCH.clear()
        _torch_converters._TO_TORCH.update(to_converters)
        _torch_converters._FROM_TORCH.clear()
        _torch_converters._FROM_TORCH.update(from_converters)
    x = rng.normal(size=(5, 4))
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


def test_subclasses_of_torch_modules_convert_like_their_base(rng):
    class MyLinear(torch.nn.Linear):
        pass

    module = torch.nn.Sequential(MyLinear(4, 2, dtype=torch.float64))
    model = from_torch(module, (4,))
    x = rng.normal(size=(3, 4))
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-12, atol=1e-12)


def test_convkit_and_its_converters_import_without_torch():
    code = "import sys; sys.modules['torch'] = None; import convkit, convkit.interop; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "ok"


def test_convkit_interop_is_reachable_without_importing_it():
    """``ck.interop.to_torch`` works after ``import convkit`` alone, which loads neither interop nor torch."""
    code = (
        "import sys; import convkit as ck; "
        "assert 'convkit.interop' not in sys.modules and 'torch' not in sys.modules; "
        "m = ck.Sequential([ck.layers.Dense(2, input_shape=(3,))]); ck.interop.to_torch(m); "
        "assert 'torch' in sys.modules; print(ck.interop.__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "convkit.interop"
    with pytest.raises(AttributeError, match="module 'convkit' has no attribute 'interop2'"):
        ck.interop2  # noqa: B018
