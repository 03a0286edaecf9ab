"""Bad inputs raise TypeError/ValueError whose message names the argument and the value received;
integers and booleans are converted to float64."""

import re
from pathlib import Path

import numpy as np
import pytest

import convkit as ck
from convkit import _validation as V
from convkit import functional as F

X4 = np.zeros((2, 3, 5, 5))
W4 = np.zeros((4, 3, 3, 3))
B4 = np.zeros(4)
C3 = np.ones(3)


def _bn(x=None, gamma=C3, beta=C3, running_mean=None, running_var=None, **kwargs):
    x = np.arange(30.0).reshape(10, 3) if x is None else x
    return F.batchnorm_forward(x, gamma, beta, running_mean, running_var, **kwargs)


# (call, exception type, the message must contain this text)
BAD_ARGUMENTS = [
    # conv2d
    pytest.param(
        lambda: F.conv2d_forward(np.zeros((2, 3, 4)), W4, B4),
        ValueError,
        "conv2d_forward: x must be 4-D (N, C, H, W). Received: x.shape=(2, 3, 4)",
        id="conv-x-rank",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, np.zeros((4, 3, 3)), B4),
        ValueError,
        "w must be 4-D (F, C // groups, KH, KW). Received: w.shape=(4, 3, 3)",
        id="conv-w-rank",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, np.zeros((4, 2, 3, 3)), B4),
        ValueError,
        "w must have C=3 input channels to match x. Received: x.shape=(2, 3, 5, 5), w.shape=(4, 2, 3, 3)",
        id="conv-channels",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, W4, np.zeros(3)),
        ValueError,
        "b must have shape (4,). Received: b.shape=(3,)",
        id="conv-bias",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, np.zeros((4, 3, 6, 3)), B4),
        ValueError,
        "kernel (6, 3) must fit in the padded input (5, 5). "
        "Received: x.shape=(2, 3, 5, 5), w.shape=(4, 3, 6, 3), padding=0",
        id="conv-kernel-too-large",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, np.zeros((4, 3, 3, 8)), B4, padding=(1, 1)),
        ValueError,
        "kernel (3, 8) must fit in the padded input (7, 7)",
        id="conv-kernel-too-large-padded",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, W4, B4, stride=0),
        ValueError,
        "stride must be an int >= 1 or a pair of them. Received: stride=0",
        id="conv-stride-0",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, W4, B4, stride=(1, -2)),
        ValueError,
        "stride must be an int >= 1 or a pair of them. Received: stride=(1, -2)",
        id="conv-stride-negative",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, W4, B4, stride=1.5),
        TypeError,
        "stride must be an int >= 1 or a pair of them. Received: stride=1.5",
        id="conv-stride-float",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, W4, B4, stride=True),
        TypeError,
        "Received: stride=True",
        id="conv-stride-bool",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, W4, B4, padding=-1),
        ValueError,
        "padding must be an int >= 0 or a pair of them. Received: padding=-1",
        id="conv-padding-negative",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, W4, B4, padding=(0, 1, 2)),
        ValueError,
        "padding must be an int >= 0 or a pair of them. Received: padding=(0, 1, 2)",
        id="conv-padding-triple",
    ),
    pytest.param(
        lambda: F.conv2d_forward(X4, W4, B4, padding="1"),
        ValueError,
        "Received: padding='1'",
        id="conv-padding-str",
    ),
    # random shift
    pytest.param(
        lambda: F.random_shift_forward(X4, 1.5, True),
        TypeError,
        "random_shift_forward: max_shift must be an int >= 0 or a pair of them. Received: max_shift=1.5",
        id="shift-float",
    ),
    pytest.param(
        lambda: F.random_shift_forward(X4, (1, -1), True),
        ValueError,
        "random_shift_forward: max_shift must be an int >= 0 or a pair of them. Received: max_shift=(1, -1)",
        id="shift-negative",
    ),
    pytest.param(
        lambda: F.global_avgpool2d_forward(np.zeros((2, 3))),
        ValueError,
        "global_avgpool2d_forward: x must be 4-D (N, C, H, W). Received: x.shape=(2, 3)",
        id="global-avgpool-x-rank",
    ),
    # pooling
    pytest.param(
        lambda: F.maxpool2d_forward(np.zeros((5, 5))),
        ValueError,
        "maxpool2d_forward: x must be 4-D (N, C, H, W). Received: x.shape=(5, 5)",
        id="maxpool-x-rank",
    ),
    pytest.param(
        lambda: F.avgpool2d_forward(np.zeros((1, 5, 5))),
        ValueError,
        "avgpool2d_forward: x must be 4-D (N, C, H, W). Received: x.shape=(1, 5, 5)",
        id="avgpool-x-rank",
    ),
    pytest.param(
        lambda: F.maxpool2d_forward(X4, 0),
        ValueError,
        "pool_size must be an int >= 1 or a pair of them. Received: pool_size=0",
        id="maxpool-size-0",
    ),
    pytest.param(
        lambda: F.avgpool2d_forward(X4, (2, 6)),
        ValueError,
        "pool window (2, 6) must fit in the input (5, 5). Received: x.shape=(2, 3, 5, 5), pool_size=(2, 6)",
        id="avgpool-window-too-large",
    ),
    pytest.param(
        lambda: F.maxpool2d_forward(X4, 2, 0),
        ValueError,
        "stride must be an int >= 1 or a pair of them. Received: stride=0",
        id="maxpool-stride-0",
    ),
    pytest.param(
        lambda: F.avgpool2d_forward(X4, 2, 0.5), TypeError, "Received: stride=0.5", id="avgpool-stride-float"
    ),
    # batchnorm
    pytest.param(
        lambda: _bn(np.zeros((2, 3, 4))),
        ValueError,
        "x must be 2-D or 4-D (N, C) or (N, C, H, W). Received: x.shape=(2, 3, 4)",
        id="bn-x-rank",
    ),
    pytest.param(
        lambda: _bn(gamma=np.ones(2)),
        ValueError,
        "gamma must have shape (3,). Received: gamma.shape=(2,)",
        id="bn-gamma",
    ),
    pytest.param(
        lambda: _bn(beta=np.ones((3, 1))),
        ValueError,
        "beta must have shape (3,). Received: beta.shape=(3, 1)",
        id="bn-beta",
    ),
    pytest.param(
        lambda: _bn(running_mean=np.zeros(4), running_var=np.ones(3)),
        ValueError,
        "running_mean must have shape (3,). Received: running_mean.shape=(4,)",
        id="bn-running-mean-shape",
    ),
    pytest.param(
        lambda: _bn(running_mean=[0.0, 0, 0], running_var=np.ones(3)),
        TypeError,
        "running_mean must be a float32/float64 ndarray updated in place. Received: type list",
        id="bn-running-mean-list",
    ),
    pytest.param(
        lambda: _bn(running_mean=np.zeros(3), running_var=np.ones(3, dtype=int)),
        TypeError,
        "running_var must be a float32/float64 ndarray updated in place. Received: running_var.dtype=int64",
        id="bn-running-var-int",
    ),
    pytest.param(
        lambda: _bn(running_mean=np.zeros(3)),
        TypeError,
        "running_var must be a float32/float64 ndarray updated in place. Received: type NoneType",
        id="bn-running-var-missing",
    ),
    pytest.param(
        lambda: _bn(momentum=1.5),
        ValueError,
        "momentum must be a float in [0, 1]. Received: momentum=1.5",
        id="bn-momentum",
    ),
    pytest.param(
        lambda: _bn(eps=0), ValueError, "eps must be a positive float. Received: eps=0", id="bn-eps-0"
    ),
    pytest.param(
        lambda: _bn(eps=-1e-5),
        ValueError,
        "eps must be a positive float. Received: eps=-1e-05",
        id="bn-eps-negative",
    ),
    pytest.param(
        lambda: _bn(np.ones((1, 3))),
        ValueError,
        "training needs more than 1 value per channel to compute a variance. Received: x.shape=(1, 3)",
        id="bn-one-value-2d",
    ),
    pytest.param(
        lambda: _bn(np.ones((1, 3, 1, 1))),
        ValueError,
        "more than 1 value per channel to compute a variance. Received: x.shape=(1, 3, 1, 1)",
        id="bn-one-value-4d",
    ),
    pytest.param(
        lambda: _bn(np.ones((1, 3)), training=False),
        ValueError,
        "more than 1 value per channel to compute a variance. Received: x.shape=(1, 3)",
        id="bn-one-value-eval-untracked",
    ),
    # affine
    pytest.param(
        lambda: F.affine_forward(np.float64(1.0), np.ones((1, 2)), np.ones(2)),
        ValueError,
        "x must have a batch axis (N, d1, ..., dk). Received: x.shape=()",
        id="affine-x-scalar",
    ),
    pytest.param(
        lambda: F.affine_forward(np.ones((2, 3, 4)), np.ones(12), np.ones(1)),
        ValueError,
        "w must be 2-D (D, M). Received: w.shape=(12,)",
        id="affine-w-rank",
    ),
    pytest.param(
        lambda: F.affine_forward(np.ones((2, 3, 4)), np.ones((10, 3)), np.ones(3)),
        ValueError,
        "w must have D=12 rows, the size of one flattened sample of x with shape (2, 3, 4). "
        "Received: w.shape=(10, 3)",
        id="affine-w-rows",
    ),
    pytest.param(
        lambda: F.affine_forward(np.ones((2, 4)), np.ones((4, 3)), np.ones(4)),
        ValueError,
        "b must have shape (3,). Received: b.shape=(4,)",
        id="affine-b",
    ),
    # dropout
    pytest.param(
        lambda: F.dropout_forward(X4, -0.1, True),
        ValueError,
        "p must be a float in [0, 1]. Received: p=-0.1",
        id="dropout-p-negative",
    ),
    pytest.param(
        lambda: F.dropout_forward(X4, 1.5, True),
        ValueError,
        "p must be a float in [0, 1]. Received: p=1.5",
        id="dropout-p-above-1",
    ),
    pytest.param(
        lambda: F.dropout_forward(X4, "0.5", True), TypeError, "Received: p='0.5'", id="dropout-p-str"
    ),
    # losses
    pytest.param(
        lambda: F.softmax_cross_entropy(np.zeros((3, 4)), [0, 4, 1]),
        ValueError,
        "y must hold labels in [0, 4). Received: y[1]=4",
        id="ce-label-too-large",
    ),
    pytest.param(
        lambda: F.softmax_cross_entropy(np.zeros((3, 4)), [0, 1, -1]),
        ValueError,
        "y must hold labels in [0, 4). Received: y[2]=-1",
        id="ce-label-negative",
    ),
    pytest.param(
        lambda: F.softmax_cross_entropy(np.zeros((2, 4)), np.array([0.0, 1.0])),
        TypeError,
        "y must hold integer class labels. Received: y.dtype=float64",
        id="ce-label-float",
    ),
    pytest.param(
        lambda: F.softmax_cross_entropy(np.zeros((2, 4)), np.array([True, False])),
        TypeError,
        "y must hold integer class labels. Received: y.dtype=bool",
        id="ce-label-bool",
    ),
    pytest.param(
        lambda: F.softmax_cross_entropy(np.zeros((2, 4)), np.zeros((2, 1), dtype=int)),
        ValueError,
        "y must have shape (2,), one label per row. Received: y.shape=(2, 1)",
        id="ce-label-shape",
    ),
    pytest.param(
        lambda: F.softmax_cross_entropy(np.zeros(4), [0]),
        ValueError,
        "logits must be 2-D (N, K). Received: logits.shape=(4,)",
        id="ce-logits-rank",
    ),
    pytest.param(
        lambda: F.softmax_cross_entropy(np.zeros((0, 4)), []),
        ValueError,
        "logits must hold at least one row. Received: logits.shape=(0, 4)",
        id="ce-empty",
    ),
    pytest.param(
        lambda: F.mse_loss(np.zeros((2, 3)), np.zeros((3, 2))),
        ValueError,
        "target must have shape (2, 3). Received: target.shape=(3, 2)",
        id="mse-target-shape",
    ),
    pytest.param(
        lambda: F.mse_loss(np.zeros((0, 3)), np.zeros((0, 3))),
        ValueError,
        "pred must hold at least one element. Received: pred.shape=(0, 3)",
        id="mse-empty",
    ),
]


@pytest.mark.parametrize("call, error, message", BAD_ARGUMENTS)
def test_bad_arguments_raise_with_a_precise_message(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# every op, called with its primary input replaced by `x`; the name the message must use for it
OPS = {
    "relu": (lambda x: F.relu_forward(x), "x"),
    "leaky_relu": (lambda x: F.leaky_relu_forward(x), "x"),
    "sigmoid": (lambda x: F.sigmoid_forward(x), "x"),
    "tanh": (lambda x: F.tanh_forward(x), "x"),
    "softmax": (lambda x: F.softmax_forward(x), "x"),
    "affine": (lambda x: F.affine_forward(x, np.ones((3, 2)), np.ones(2)), "x"),
    "affine_w": (lambda x: F.affine_forward(np.ones((3, 3)), x, np.ones(3)), "w"),
    "conv2d": (lambda x: F.conv2d_forward(x.reshape(1, 1, 3, 3), np.ones((2, 1, 2, 2)), np.ones(2)), "x"),
    "conv2d_w": (lambda x: F.conv2d_forward(np.ones((1, 1, 4, 4)), x.reshape(1, 1, 3, 3), np.ones(1)), "w"),
    "maxpool2d": (lambda x: F.maxpool2d_forward(x.reshape(1, 1, 3, 3)), "x"),
    "avgpool2d": (lambda x: F.avgpool2d_forward(x.reshape(1, 1, 3, 3)), "x"),
    "global_avgpool2d": (lambda x: F.global_avgpool2d_forward(x.reshape(1, 1, 3, 3)), "x"),
    "random_shift": (lambda x: F.random_shift_forward(x.reshape(1, 1, 3, 3), 1, True, 0), "x"),
    "batchnorm": (lambda x: F.batchnorm_forward(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3)), "x"),
    "batchnorm_gamma": (
        lambda x: F.batchnorm_forward(np.ones((3, 3)), x[0], np.zeros(3), None, None),
        "gamma",
    ),
    "dropout": (lambda x: F.dropout_forward(x, 0.5, True, 0), "x"),
    "cross_entropy": (lambda x: F.softmax_cross_entropy(x, [0, 1, 2]), "logits"),
    "mse": (lambda x: F.mse_loss(x, np.ones((3, 3))), "pred"),
    "mse_target": (lambda x: F.mse_loss(np.ones((3, 3)), x), "target"),
}
GOOD = np.array([[0.5, -1.0, 2.0], [1.0, 3.0, -2.0], [0.0, 1.5, -0.5]])
BAD_DTYPES = {
    "complex": GOOD.astype(np.complex128),
    "object": GOOD.astype(object),
    "string": GOOD.astype(str),
    "float16": GOOD.astype(np.float16),
}


@pytest.mark.parametrize("op", OPS.values(), ids=OPS.keys())
@pytest.mark.parametrize("bad", BAD_DTYPES.values(), ids=BAD_DTYPES.keys())
def test_non_real_dtypes_raise_type_error(op, bad):
    call, name = op
    with pytest.raises(
        TypeError,
        match=re.escape(f"{name} must be a real array")
        + ".*"
        + re.escape(f"Received: {name}.dtype={bad.dtype}"),
    ):
        call(bad)


@pytest.mark.parametrize("op", OPS.values(), ids=OPS.keys())
@pytest.mark.parametrize("int_dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_and_bool_inputs_become_float64(op, int_dtype):
    call, _ = op
    values = np.abs(GOOD) if int_dtype in (np.uint8, np.bool_) else GOOD
    ints = values.astype(int_dtype)
    out, other = call(ints)  # (out, cache) of an op, (loss, gradient) of a loss
    expected, expected_other = call(ints.astype(np.float64))
    if isinstance(expected, float):
        assert isinstance(out, float)
    else:
        assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)
    if isinstance(other, np.ndarray):
        assert other.dtype == np.float64
        np.testing.assert_array_equal(other, expected_other)


def _forward_backward_pairs():
    rng = np.random.default_rng(0)
    x4 = rng.standard_normal((2, 3, 6, 6))
    return {
        "relu": (F.relu_forward(x4), F.relu_backward),
        "leaky_relu": (F.leaky_relu_forward(x4), F.leaky_relu_backward),
        "sigmoid": (F.sigmoid_forward(x4), F.sigmoid_backward),
        "tanh": (F.tanh_forward(x4), F.tanh_backward),
        "softmax": (F.softmax_forward(x4), F.softmax_backward),
        "affine": (F.affine_forward(x4, np.ones((108, 5)), np.ones(5)), F.affine_backward),
        "conv2d": (F.conv2d_forward(x4, np.ones((4, 3, 3, 3)), np.ones(4), 2, 1), F.conv2d_backward),
        "maxpool2d": (F.maxpool2d_forward(x4, 3, 2), F.maxpool2d_backward),
        "avgpool2d": (F.avgpool2d_forward(x4, 3, 2), F.avgpool2d_backward),
        "global_avgpool2d": (F.global_avgpool2d_forward(x4), F.global_avgpool2d_backward),
        "random_shift": (F.random_shift_forward(x4, 2, True, 0), F.random_shift_backward),
        "random_shift_eval": (F.random_shift_forward(x4, 2, False), F.random_shift_backward),
        "batchnorm": (F.batchnorm_forward(x4, np.ones(3), np.zeros(3), None, None), F.batchnorm_backward),
        "dropout": (F.dropout_forward(x4, 0.5, True, 0), F.dropout_backward),
        "dropout_eval": (F.dropout_forward(x4, 0.5, False), F.dropout_backward),
    }


PAIRS = _forward_backward_pairs()


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
@pytest.mark.parametrize(
    "change",
    [lambda s: s[:-1], lambda s: s[:-1] + (s[-1] + 1,), lambda s: s[::-1]],
    ids=["rank", "size", "reversed"],
)
def test_backward_rejects_a_dout_of_the_wrong_shape(pair, change):
    (out, cache), backward = pair
    bad_shape = change(out.shape)
    assert bad_shape != out.shape
    message = f"dout must have shape {out.shape}. Received: dout.shape={bad_shape}"
    with pytest.raises(ValueError, match=re.escape(message)):
        backward(np.zeros(bad_shape), cache)


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
def test_backward_rejects_a_complex_dout(pair):
    (out, cache), backward = pair
    with pytest.raises(TypeError, match=re.escape("Received: dout.dtype=complex128")):
        backward(np.zeros(out.shape, dtype=complex), cache)


def test_batchnorm_eval_with_running_stats_accepts_one_value_per_channel():
    out, _ = F.batchnorm_forward(np.ones((1, 3)), C3, np.zeros(3), np.zeros(3), np.ones(3), training=False)
    np.testing.assert_allclose(out, 1 / np.sqrt(1 + 1e-5) * np.ones((1, 3)))


# -- the scalar helpers: one contract, TypeError for a wrong type and ValueError for a wrong value ----------
# helper called as helper(value, "arg", "where") -> (accepted value and result, wrong types, wrong values)
SCALAR_HELPERS = {
    "positive_int": (V.positive_int, (np.int32(3), 3), ["3", 3.0, True, None], [0, -2]),
    "non_negative_int": (V.non_negative_int, (0, 0), [0.0, False], [-1]),
    "optional_seed": (V.optional_seed, (None, None), [1.5, "1"], [-1]),
    "non_negative_float": (
        V.non_negative_float,
        (2, 2.0),
        ["1", None, True],
        [-0.1, float("inf"), float("nan")],
    ),
    "positive_float": (
        V.positive_float,
        (np.float32(0.5), 0.5),
        ["1", np.bool_(True)],
        [0, -1.0, float("inf")],
    ),
    "unit_interval_float": (V.unit_interval_float, (1, 1.0), ["0.5", None], [-0.1, 1.5, float("nan")]),
    "flag": (V.flag, (np.bool_(True), True), [1, "yes", None], []),
    "path_like": (V.path_like, ("data", Path("data")), [3, None, b"data"], []),
    "int_pair_1": (
        lambda v, n, w: V.int_pair(v, n, w, 1),
        ([2, 3], (2, 3)),
        [2.0, (2, 1.5), "2"],
        [0, (1,), (1, 2, 3)],
    ),
    "positive_ints": (V.positive_ints, ([1, 2], (1, 2)), [3, "12", [1, 2.0]], [[], [1, 0]]),
}


@pytest.mark.parametrize("helper", SCALAR_HELPERS.values(), ids=SCALAR_HELPERS.keys())
def test_scalar_helpers_keep_one_contract(helper):
    check, (good, result), wrong_types, wrong_values = helper
    assert check(good, "arg", "where") == result
    for value, error in [(v, TypeError) for v in wrong_types] + [(v, ValueError) for v in wrong_values]:
        with pytest.raises(
            error, match=re.escape("where: arg must be ") + ".*" + re.escape("Received: arg=")
        ):
            check(value, "arg", "where")


def test_real_words_its_interval():
    assert V.real(0.5, "rate", "f", low=0.0, high=1.0) == 0.5
    with pytest.raises(
        ValueError, match=re.escape("f: rate must be a float in [0.0, 1.0). Received: rate=1.0")
    ):
        V.real(1.0, "rate", "f", low=0.0, high=1.0)
    with pytest.raises(ValueError, match=re.escape("f: rate must be a float >= 2. Received: rate=1")):
        V.real(1, "rate", "f", low=2)
    with pytest.raises(TypeError, match=re.escape("f: rate must be a float in (0, 1]. Received: rate='x'")):
        V.real("x", "rate", "f", low=0, high=1, low_inclusive=False, high_inclusive=True)


def test_betas_pair_and_one_of():
    assert V.betas_pair([0.5, 0.9], "Adam") == (0.5, 0.9)
    with pytest.raises(
        TypeError, match=re.escape("Adam: betas must be two floats in [0, 1). Received: betas=0.9")
    ):
        V.betas_pair(0.9, "Adam")
    with pytest.raises(ValueError, match=re.escape("Received: betas=(0.9, 1.0)")):
        V.betas_pair((0.9, 1.0), "Adam")
    assert V.one_of("min", ("min", "max"), "mode", "f") == "min"
    with pytest.raises(
        ValueError, match=re.escape("f: mode must be one of 'min', 'max'. Received: mode='up'")
    ):
        V.one_of("up", ("min", "max"), "mode", "f")


# -- errors that say what to do ----------------------------------------------------------------------------
def _convnet():
    from convkit import layers

    model = ck.Sequential([layers.Conv2D(2, 3, input_shape=(3, 8, 8)), layers.Flatten(), layers.Dense(4)])
    model.compile(metrics=["acc"])
    return model


@pytest.mark.parametrize("where", ["fit", "predict", "evaluate"])
def test_channels_last_input_names_the_transpose(where):
    model = _convnet()
    x, y = np.zeros((5, 8, 8, 3)), np.zeros(5, dtype=int)
    call = {"fit": lambda: model.fit(x, y, verbose=0), "predict": lambda: model.predict(x),
            "evaluate": lambda: model.evaluate(x, y, verbose=0)}[where]  # fmt: skip
    message = "looks channels-last (N, H, W, C); convkit wants (N, C, H, W): x.transpose(0, 3, 1, 2)"
    with pytest.raises(ValueError, match=re.escape(message) + r"\. Received: x.shape=\(5, 8, 8, 3\)"):
        call()
    model.fit(x.transpose(0, 3, 1, 2), y, verbose=0)  # what the message says works


def test_channels_last_hint_only_when_it_fits():
    assert V.channels_last_hint((8, 8, 3), (3, 8, 8))
    assert V.channels_last_hint((8, 8, 2), (2, 8, 8)) == ""  # 2 channels: not an image layout
    assert V.channels_last_hint((8, 8, 3), (3, 8, 9)) == ""
    assert V.channels_last_hint((3, 8, 8), (3, 8, 8)) == ""


def test_one_hot_labels_suggest_argmax_in_fit():
    model = _convnet()
    x = np.zeros((5, 3, 8, 8))
    with pytest.raises(TypeError, match=re.escape("y looks one-hot: pass y.argmax(axis=1)")):
        model.fit(x, np.eye(4)[[0, 1, 2, 3, 0]], verbose=0)


@pytest.mark.parametrize("where", ["predict", "evaluate"])
def test_a_generator_says_what_is_supported(where):
    model = _convnet()
    batches = ((np.zeros((2, 3, 8, 8)), np.zeros(2, dtype=int)) for _ in range(3))
    call = model.predict if where == "predict" else lambda x: model.evaluate(x, np.zeros(6, dtype=int))
    message = f"{where}: x must be an array, not a generator (an iterable). {where} takes arrays (N, ...)"
    with pytest.raises(TypeError, match=re.escape(message)):
        call(batches)


def test_an_iterable_with_a_length_is_not_an_array(torch):
    """A torch DataLoader has a length but is no array: the message says so too."""
    dataset = torch.utils.data.TensorDataset(torch.zeros(4, 3, 8, 8), torch.zeros(4, dtype=torch.long))
    loader = torch.utils.data.DataLoader(dataset, batch_size=2)
    with pytest.raises(TypeError, match="predict: x must be an array, not a DataLoader"):
        _convnet().predict(loader)
    tensor_output = _convnet().predict(torch.zeros(2, 3, 8, 8))  # a tensor is array-like
    assert tensor_output.shape == (2, 4)


def test_predict_verbose_and_acc(capsys):
    model = _convnet()
    x, y = np.zeros((5, 3, 8, 8)), np.zeros(5, dtype=int)
    assert model.predict(x, batch_size=2, verbose=0).shape == (5, 4)
    assert capsys.readouterr().out == ""
    model.predict(x, batch_size=2, verbose=1)
    assert re.fullmatch(r"5 samples - [\d,]+ img/s\n", capsys.readouterr().out)
    assert list(model.fit(x, y, verbose=0).history) == ["loss", "acc"]
