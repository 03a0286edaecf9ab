"""The ReLU fused into the convolution and the dense GEMM (``conv2d_relu_*``, ``affine_relu_*``, the
``activation="relu"`` argument of Conv2D and Dense), and a residual's sum and ReLU fused into the
convolution (``conv2d_add_relu_*``): against torch, bit-identical to the separate ops on every convolution
path, and the ``*_backward_weights`` halves equal to the full backward passes."""

import re

import numpy as np
import pytest

import convkit
from convkit import _kernels, interop, layers
from convkit import functional as F

# (x shape, w shape, stride, padding): LeNet's two convolutions (wide pixel grid), batch 1 on the wide grid
# (split into jobs that end mid-row), whole rows of vectors (16 output columns; batch 1 split into row
# blocks), many filters, strided (im2col)
CONV_CASES = [
    ((3, 1, 28, 28), (6, 1, 3, 3), 1, 0),
    ((2, 6, 13, 13), (16, 6, 3, 3), 1, 0),
    ((1, 2, 30, 30), (3, 2, 3, 3), 1, 0),
    ((2, 2, 18, 18), (5, 2, 3, 3), 1, 0),
    ((1, 3, 16, 16), (5, 3, 3, 3), 1, 1),
    ((2, 3, 9, 10), (17, 3, 3, 3), 1, 1),
    ((2, 2, 9, 8), (3, 2, 3, 3), 2, 1),
]
CONV_IDS = [f"x{x}-w{w}-s{s}-p{p}".replace(" ", "") for x, w, s, p in CONV_CASES]


@pytest.fixture
def force_path():
    saved = _kernels.force_conv_plan(None, None)
    yield lambda path: _kernels.force_conv_plan(path, saved[1])
    _kernels.force_conv_plan(*saved)


def _conv_inputs(x_shape, w_shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in (x_shape, w_shape, (w_shape[0],))]


@pytest.mark.parametrize("residual", [False, True], ids=["relu", "add_relu"])
@pytest.mark.parametrize("path", ["direct", "im2col"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES, ids=CONV_IDS)
def test_conv2d_relu_matches_torch(
    x_shape, w_shape, stride, padding, path, residual, dtype, force_path, check_parity, torch
):
    """conv2d_relu_* and conv2d_add_relu_* (whose residual is a fourth input, with its own gradient)."""
    tF = torch.nn.functional
    force_path(path if path == "im2col" else None)
    inputs = _conv_inputs(x_shape, w_shape, dtype)
    if residual:
        out_shape = F.conv2d_forward(*inputs, stride, padding)[0].shape
        inputs.append(np.random.default_rng(1).standard_normal(out_shape).astype(dtype))
    forward, backward = (
        (F.conv2d_add_relu_forward, F.conv2d_add_relu_backward)
        if residual
        else (F.conv2d_relu_forward, F.conv2d_relu_backward)
    )
    check_parity(
        lambda x, w, b, *r: forward(x, w, b, *r, stride=stride, padding=padding),
        backward,
        lambda x, w, b, *r: tF.relu(tF.conv2d(x, w, b, stride=stride, padding=padding) + sum(r)),
        inputs,
    )


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("path", ["direct", "im2col"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CONV_CASES, ids=CONV_IDS)
def test_fused_conv_equals_conv_then_relu_bit_for_bit(
    x_shape, w_shape, stride, padding, path, n_threads, force_path, restore_threads
):
    force_path(path if path == "im2col" else None)
    convkit.set_num_threads(n_threads)
    x, w, b = _conv_inputs(x_shape, w_shape, np.float32)
    x[0, 0, 0, 0] = np.nan  # NaN stays NaN through the fused ReLU, as through relu_forward
    fused, _ = F.conv2d_relu_forward(x, w, b, stride, padding)
    separate, _ = F.relu_forward(F.conv2d_forward(x, w, b, stride, padding)[0])
    np.testing.assert_array_equal(fused, separate)
    assert (fused == 0).any() and np.isnan(fused).any()


# the kernel's paths with the sum in their epilogue: direct rows / wide grid, im2col, strided phases,
# Winograd F(2x2) and F(4x4) 3x3 (jobs that end mid-image), F(2x2) 5x5; grouped and depthwise add apart
ADD_RELU_CASES = [
    *((x, w, s, p, 1) for x, w, s, p in CONV_CASES),
    ((3, 16, 12, 12), (16, 16, 3, 3), 1, 1, 1),
    ((2, 32, 29, 29), (32, 32, 3, 3), 1, 1, 1),
    ((2, 32, 14, 14), (64, 32, 5, 5), 1, 2, 1),
    ((3, 8, 13, 11), (12, 8, 3, 3), 2, 1, 1),
    ((2, 8, 10, 10), (8, 4, 3, 3), 1, 1, 2),
    ((2, 8, 10, 10), (8, 1, 3, 3), 1, 1, 8),
]


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("path", [None, "direct", "im2col", "winograd"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, groups", ADD_RELU_CASES)
def test_conv2d_add_relu_is_conv_then_add_relu_bit_for_bit(
    x_shape, w_shape, stride, padding, groups, path, n_threads, force_path, restore_threads
):
    force_path(path)
    convkit.set_num_threads(n_threads)
    x, w, b = _conv_inputs(x_shape, w_shape, np.float32)
    conv, _ = F.conv2d_forward(x, w, b, stride, padding, 1, groups)
    residual = np.random.default_rng(1).standard_normal(conv.shape).astype(np.float32)
    residual[0, 0, 0, 0] = np.nan  # NaN stays NaN through the sum's ReLU, as through add_relu_forward
    fused, _ = F.conv2d_add_relu_forward(x, w, b, residual, stride, padding, 1, groups)
    separate, _ = F.add_relu_forward(conv, residual)
    np.testing.assert_array_equal(fused, separate)
    assert (fused == 0).any() and np.isnan(fused).any()


def test_conv2d_add_relu_rejects_a_residual_of_another_shape():
    x, w, b = _conv_inputs((2, 3, 8, 8), (4, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"residual must have shape \(2, 4, 6, 6\)"):
        F.conv2d_add_relu_forward(x, w, b, np.zeros((2, 4, 8, 8), np.float32))


def test_affine_relu_matches_torch(dtype, layout, check_parity, torch):
    tF = torch.nn.functional
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(s).astype(dtype) for s in ((70, 3, 5), (15, 200), (200,))]
    check_parity(
        F.affine_relu_forward,
        F.affine_relu_backward,
        lambda x, w, b: tF.relu(tF.linear(x.reshape(len(x), -1), w.T, b)).reshape(len(x), -1),
        inputs,
        layout,
    )


def test_gemm_relu_without_k_is_the_clamped_bias():
    out = np.full((3, 4), 7.0)
    _kernels.gemm(np.empty((3, 0)), np.empty((0, 4)), out, np.array([-1.0, 2.0, -0.5, 0.0]), True, 2)
    np.testing.assert_array_equal(out, np.tile([0.0, 2.0, 0.0, 0.0], (3, 1)))


@pytest.mark.parametrize(
    "forward, backward, backward_weights, inputs",
    [
        (F.conv2d_forward, F.conv2d_backward, F.conv2d_backward_weights, [(2, 3, 9, 9), (4, 3, 3, 3), (4,)]),
        (F.conv2d_relu_forward, F.conv2d_relu_backward, F.conv2d_relu_backward_weights,
         [(2, 3, 9, 9), (4, 3, 3, 3), (4,)]),
        (F.affine_forward, F.affine_backward, F.affine_backward_weights, [(5, 2, 3), (6, 4), (4,)]),
        (F.affine_relu_forward, F.affine_relu_backward, F.affine_relu_backward_weights,
         [(5, 2, 3), (6, 4), (4,)]),
    ],
    ids=["conv2d", "conv2d_relu", "affine", "affine_relu"],
)  # fmt: skip
def test_backward_weights_equals_the_parameter_half_of_backward(forward, backward, backward_weights, inputs):
    rng = np.random.default_rng(0)
    out, cache = forward(*(rng.standard_normal(shape) for shape in inputs))
    dout = rng.standard_normal(out.shape)
    _, dw, db = backward(dout, cache)
    dw_only, db_only = backward_weights(dout, cache)
    np.testing.assert_array_equal(dw_only, dw)
    np.testing.assert_array_equal(db_only, db)
    with pytest.raises(ValueError, match=r"dout must have shape"):
        backward_weights(dout[:1], cache)


def test_conv2d_layer_with_relu_matches_torch(dtype, rng, layer_parity, torch):
    nn = torch.nn
    layer = layers.Conv2D(4, (3, 2), stride=(1, 2), padding=1, activation="relu", dtype=dtype, seed=0)
    names = {"weight": "0.weight", "bias": "0.bias"}
    layer_parity(layer, nn.Sequential(nn.Conv2d(3, 4, (3, 2), stride=(1, 2), padding=1), nn.ReLU()),
                 rng.standard_normal((2, 3, 7, 8)), names=names)  # fmt: skip


def test_dense_layer_with_relu_matches_torch(dtype, rng, layer_parity, torch):
    nn = torch.nn
    layer = layers.Dense(7, activation="ReLU", dtype=dtype, seed=0)
    assert layer.activation == "relu"
    names = {"weight": "0.weight", "bias": "0.bias"}
    layer_parity(layer, nn.Sequential(nn.Linear(5, 7), nn.ReLU()), rng.standard_normal((4, 5)), names=names,
                 transposed=("weight",))  # fmt: skip


@pytest.mark.parametrize("cls, args", [(layers.Conv2D, (2, 3)), (layers.Dense, (2,))])
def test_activation_argument(cls, args):
    assert cls(*args).activation is None
    assert cls(*args, activation="linear").activation is None
    assert cls(*args, activation="Tanh").activation == "tanh"
    name = cls.__name__
    message = (
        f"{name}: activation must be None, 'linear' or one of "
        "['elu', 'gelu', 'leaky_relu', 'relu', 'sigmoid', 'silu', 'softmax', 'softplus', 'tanh']. "
        "Received: activation='mish'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(*args, activation="mish")
    with pytest.raises(TypeError, match=re.escape("Received: activation=1")):
        cls(*args, activation=1)


def test_to_torch_writes_the_fused_relu_as_a_module(rng, torch):
    model = convkit.Sequential(
        [layers.Conv2D(3, 3, activation="relu", input_shape=(2, 6, 6)), layers.Flatten(), layers.Dense(4)]
    )
    model.build(seed=0)
    module = interop.to_torch(model)
    assert [type(m).__name__ for m in module] == ["Conv2d", "ReLU", "Flatten", "Linear"]
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def _unfused_lenet(dtype="float64"):
    """models.lenet with separate ReLU layers."""
    fused = convkit.models.lenet(dtype=dtype)
    unfused = []
    for layer in fused.layers:
        config = layer.get_config()
        if config.pop("activation", None) == "relu":
            unfused += [type(layer)(**config), layers.ReLU(dtype=dtype)]
        else:
            unfused.append(type(layer)(**config))
    return fused, convkit.Sequential(unfused)


def test_fused_lenet_trains_exactly_like_separate_relu_layers(rng):
    fused, unfused = _unfused_lenet()
    fused.build(seed=0)
    unfused.build()
    unfused.set_weights(fused.get_weights())
    for model in (fused, unfused):
        model.compile(optimizer="adamax", loss="cross_entropy")
    x = rng.standard_normal((8, 1, 28, 28))
    y = rng.integers(0, 10, 8)
    for _ in range(3):
        loss_fused = fused.train_on_batch(x, y)
        loss_unfused = unfused.train_on_batch(x, y)
        assert loss_fused == loss_unfused
    for a, b in zip(fused.get_weights(), unfused.get_weights()):
        np.testing.assert_array_equal(a, b)
