"""Backward functions check their cache before any compiled code: its kind, then its arrays and shapes
(a cache from another op or modified by hand is a TypeError/ValueError naming cache)."""

import numpy as np
import pytest

from convkit import functional as F
from convkit.functional import _caches


def forward_caches(rng):
    """``{backward name: (backward, out, cache)}`` for every op with a cache."""
    x4 = rng.normal(size=(2, 3, 6, 6)).astype(np.float32)
    x2 = rng.normal(size=(4, 5)).astype(np.float32)
    w, b = rng.normal(size=(5, 3)).astype(np.float32), np.zeros(3, np.float32)
    w4 = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    b4 = np.zeros(4, np.float32)
    gamma, beta = np.ones(3, np.float32), np.zeros(3, np.float32)
    calls = {
        "relu_backward": (F.relu_backward, F.relu_forward(x2)),
        "leaky_relu_backward": (F.leaky_relu_backward, F.leaky_relu_forward(x2)),
        "sigmoid_backward": (F.sigmoid_backward, F.sigmoid_forward(x2)),
        "tanh_backward": (F.tanh_backward, F.tanh_forward(x2)),
        "softmax_backward": (F.softmax_backward, F.softmax_forward(x2)),
        "affine_backward": (F.affine_backward, F.affine_forward(x2, w, b)),
        "affine_backward_weights": (F.affine_backward_weights, F.affine_forward(x2, w, b)),
        "affine_relu_backward": (F.affine_relu_backward, F.affine_relu_forward(x2, w, b)),
        "affine_relu_backward_weights": (F.affine_relu_backward_weights, F.affine_relu_forward(x2, w, b)),
        "batchnorm_backward": (F.batchnorm_backward, F.batchnorm_forward(x4, gamma, beta, None, None)),
        "dropout_backward": (F.dropout_backward, F.dropout_forward(x2, 0.5, True, 0)),
        "maxpool2d_backward": (F.maxpool2d_backward, F.maxpool2d_forward(x4, 2)),
        "maxpool2d_backward[3x3]": (F.maxpool2d_backward, F.maxpool2d_forward(x4, 3, 1)),
        "avgpool2d_backward": (F.avgpool2d_backward, F.avgpool2d_forward(x4, 3, 1)),
        "global_avgpool2d_backward": (F.global_avgpool2d_backward, F.global_avgpool2d_forward(x4)),
        "random_shift_backward": (F.random_shift_backward, F.random_shift_forward(x4, 2, True, 0)),
        "rescaling_backward": (F.rescaling_backward, F.rescaling_forward(x2, 0.5, 1.0)),
        "normalization_backward": (
            F.normalization_backward,
            F.normalization_forward(x4, 0.5, [1.0, 2.0, 4.0]),
        ),
        "random_crop_backward": (F.random_crop_backward, F.random_crop_forward(x4, 4, 2, True, 0)),
        "random_flip_backward": (F.random_flip_backward, F.random_flip_forward(x4, "vertical", True, 0)),
        "affine_backward_input": (F.affine_backward_input, F.affine_forward(x2, w, b)),
        "affine_relu_backward_input": (F.affine_relu_backward_input, F.affine_relu_forward(x2, w, b)),
    }
    conv, conv_relu = F.conv2d_forward(x4, w4, b4, 2, 1), F.conv2d_relu_forward(x4, w4, b4, 1, 1)
    for suffix in ("", "_input", "_weights"):
        calls[f"conv2d_backward{suffix}"] = (getattr(F, f"conv2d_backward{suffix}"), conv)
        calls[f"conv2d_relu_backward{suffix}"] = (getattr(F, f"conv2d_relu_backward{suffix}"), conv_relu)
        calls[f"conv_transpose2d_backward{suffix}"] = (
            getattr(F, f"conv_transpose2d_backward{suffix}"),
            F.conv_transpose2d_forward(x4, rng.normal(size=(3, 2, 3, 3)).astype(np.float32), b4[:2], 2, 1, 1),
        )
    calls["conv2d_add_relu_backward"] = (
        F.conv2d_add_relu_backward,
        F.conv2d_add_relu_forward(x4, w4, b4, conv_relu[0], 1, 1),
    )
    return {name: (backward, out, cache) for name, (backward, (out, cache)) in calls.items()}


NAMES = list(forward_caches(np.random.default_rng(0)))
KINDS = {name: type(cache) for name, (_, _, cache) in forward_caches(np.random.default_rng(0)).items()}
FOREIGN = [(name, other) for name in NAMES for other in NAMES if KINDS[name] is not KINDS[other]]


@pytest.mark.parametrize(("name", "other"), FOREIGN)
def test_a_cache_from_another_op_is_a_type_error_naming_cache(name, other):
    caches = forward_caches(np.random.default_rng(0))
    backward, out, _ = caches[name]
    with pytest.raises(TypeError, match=r"cache"):
        backward(np.ones_like(out), caches[other][2])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("cache", [None, (), (1, 2, 3), "cache", np.zeros(3, np.int64)], ids=repr)
def test_a_cache_of_another_type_is_a_type_error_naming_cache(name, cache):
    backward, out, _ = forward_caches(np.random.default_rng(0))[name]
    with pytest.raises(TypeError, match=r"cache"):
        backward(np.ones_like(out), cache)


def test_a_maxpool_cache_pointing_outside_the_input_is_a_value_error():
    x = np.random.default_rng(0).normal(size=(1, 1, 64, 64)).astype(np.float32)
    out, cache = F.maxpool2d_forward(x)
    with pytest.raises(TypeError, match="cache must be the cache maxpool2d_forward returned"):
        F.maxpool2d_backward(np.ones_like(out), (cache.argmax, (1, 1, 2, 2), cache.dtype))  # segfaulted
    with pytest.raises(ValueError, match="cache.argmax's shape does not fit"):
        F.maxpool2d_backward(np.ones_like(out), cache._replace(x_shape=(1, 1, 2, 2)))
    bad = cache.argmax.copy()
    bad[0, 0, 3, 3] = 7  # a 2x2 window has 4 places: the kernel routes this window's gradient nowhere
    dx = F.maxpool2d_backward(np.ones_like(out), cache._replace(argmax=bad))
    expected = F.maxpool2d_backward(np.ones_like(out), cache).copy()
    expected[0, 0, 6:8, 6:8] = 0
    np.testing.assert_array_equal(dx, expected)
    out, cache = F.maxpool2d_forward(x, 3, 1)
    for value in (64 * 64, -1):
        bad = cache.argmax.copy()
        bad[0, 0, 0, 0] = value
        with pytest.raises(ValueError, match="cache.argmax points outside"):
            F.maxpool2d_backward(np.ones_like(out), cache._replace(argmax=bad))
    with pytest.raises(TypeError, match="cache.argmax must be of"):
        F.maxpool2d_backward(np.ones_like(out), cache._replace(argmax=cache.argmax.astype(np.int32)))


@pytest.mark.parametrize(
    ("name", "field", "value", "message"),
    [
        ("affine_backward", "w", np.zeros((4, 3), np.float32), "does not hold one affine_forward's arrays"),
        ("affine_backward", "w", np.zeros((5, 3), np.float64), "cache.w must be of float32"),
        ("affine_backward", "x_shape", (4, 6), "does not hold one affine_forward's arrays"),
        ("batchnorm_backward", "mean", np.zeros(2), r"cache.mean must have shape \(3,\)"),
        ("batchnorm_backward", "gamma", np.zeros(3, np.float64), "cache.gamma must be of float32"),
        ("batchnorm_backward", "beta", np.zeros(2, np.float32), r"cache.beta must have shape \(3,\)"),
        ("batchnorm_backward", "x_shape", (2, 3, 6, 5), "cache.x_shape must be x3's shape"),
        ("dropout_backward", "mask", np.zeros((4, 4), np.float32), r"cache.mask must have shape \(4, 5\)"),
        ("avgpool2d_backward", "stride", (2**31, 1), "cache.stride must be at most"),
        ("avgpool2d_backward", "out_shape", (2, 3, 9, 9), "cache's windows and shapes disagree"),
        ("avgpool2d_backward", "pool_size", (7, 7), "cache's windows and shapes disagree"),
        ("global_avgpool2d_backward", "x_shape", (2, 3, 6), "cache.x_shape must be a 4-D shape"),
        ("global_avgpool2d_backward", "dtype", np.float16, "cache.dtype must be float32 or float64"),
        ("random_shift_backward", "shifts", np.full((2, 2), 3), "cache.shifts must hold integer shifts"),
        ("random_shift_backward", "shifts", np.zeros((3, 2), np.int64), r"cache.shifts must have shape"),
        ("random_shift_backward", "max_shift", (7, 0), "cache.max_shift must be at most"),
        ("rescaling_backward", "scale", float("nan"), "cache.scale must be a finite float"),
        ("rescaling_backward", "x_shape", None, "cache.x_shape must be a shape"),
        ("normalization_backward", "std", np.ones((1, 2, 1, 1), np.float32), "cache.std must have shape"),
        ("normalization_backward", "std", np.ones((3, 1, 1), np.float32), "cache.std must be 4-D"),
        ("normalization_backward", "std", -np.ones((1, 3, 1, 1), np.float32), "cache.std must be positive"),
        ("random_crop_backward", "offsets", np.full((2, 2), 9), "cache.offsets must hold integer offsets"),
        ("random_crop_backward", "offsets", np.full((2, 2), -1), "cache.offsets must hold integer offsets"),
        ("random_crop_backward", "offsets", np.zeros((3, 2), np.int64), r"cache.offsets must have shape"),
        ("random_crop_backward", "offsets", None, "equal to it when nothing was cropped"),
        ("random_crop_backward", "size", (7, 7), "cache.size must be at most"),
        ("random_crop_backward", "padding", -1, "cache.padding must be an int >= 0"),
        ("random_flip_backward", "flip_h", np.zeros(3, bool), r"cache.flip_h must have shape \(2,\)"),
        ("random_flip_backward", "flip_h", np.zeros(2), "cache.flip_h must be of bool"),
        ("conv2d_backward", "w", np.zeros((4, 2, 3, 3), np.float32), "cache.w must have C=3 input channels"),
        ("conv2d_backward", "groups", 2, "cache.groups must divide the input channels C=3"),
        ("conv2d_backward_input", "dilation", 0, "cache.dilation must be an int >= 1"),
        ("conv2d_backward_weights", "dilation", 9, "dilated to"),
        ("conv2d_backward", "extra", (2, 0), "cache.extra must be at most 1"),
        ("conv_transpose2d_backward", "out_size", (9, 9), "must fit together"),
        ("conv_transpose2d_backward_input", "in_size", (7, 6), "must fit together"),
        ("conv_transpose2d_backward_weights", "groups", 2, "cache.groups must divide"),
        ("conv_transpose2d_backward", "w", np.zeros((2, 2, 3, 3), np.float32), "one row per channel"),
        ("conv2d_backward_input", "w", np.zeros((4, 3, 3, 3)), "cache.w must be of float32"),
        ("conv2d_backward_weights", "x", np.zeros((2, 3, 6)), "cache.x must be 4-D"),
        ("conv2d_backward", "x", np.zeros((2, 3, 0, 0), np.float32), "must fit in the padded input"),
        ("conv2d_backward_input", "stride", 0, "cache.stride must be an int >= 1"),
        ("conv2d_backward_weights", "padding", (2**31, 0), "cache.padding must be at most"),
        ("conv2d_backward", "padding", 2**20, "cache.padding makes the zero-padded input too large"),
        ("conv2d_relu_backward", "out", np.zeros((2, 4, 5, 5), np.float32), "cache.out must have shape"),
        ("conv2d_relu_backward_input", "out", np.zeros((2, 4, 6, 6)), "cache.out must be of float32"),
        ("conv2d_relu_backward_weights", "conv", (1, 2, 3, 4), "cache must be the cache conv2d_forward"),
    ],
)
def test_a_cache_whose_arrays_disagree_is_a_value_or_type_error(name, field, value, message):
    backward, out, cache = forward_caches(np.random.default_rng(0))[name]
    with pytest.raises((ValueError, TypeError), match=message):
        backward(np.ones_like(out), cache._replace(**{field: value}))


def test_the_caches_still_unpack_as_tuples():
    out, cache = F.maxpool2d_forward(np.zeros((1, 1, 4, 4), np.float32))
    argmax, x_shape, dtype = cache
    assert isinstance(cache, _caches.MaxPoolCache) and x_shape == (1, 1, 4, 4) and argmax.shape == out.shape
    out, cache = F.conv2d_relu_forward(np.zeros((1, 1, 4, 4)), np.zeros((2, 1, 3, 3)), np.zeros(2), 1, 1)
    (x, w, stride, padding, dilation, groups, extra), relu_out = cache
    assert isinstance(cache, _caches.ConvReluCache) and relu_out is out
    assert (stride, padding, dilation, groups, extra) == ((1, 1), (1, 1), (1, 1), 1, (0, 0))


@pytest.mark.parametrize("name", [name for name in NAMES if name.startswith("conv2d")])
def test_a_conv_dout_that_disagrees_with_the_cache_is_a_value_error(name):
    backward, out, cache = forward_caches(np.random.default_rng(0))[name]
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 4, \d, \d\)"):
        backward(np.ones((2, 4, 7, 7), np.float32), cache)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: F.maxpool2d_forward(x, 2, 2**31),
        lambda x: F.avgpool2d_forward(x, (1, 2), (2**40, 1)),
        lambda x: F.maxpool2d_forward(x, 2**31),
        lambda x: F.random_shift_forward(x, 2**31, True, 0),
        lambda x: F.random_shift_forward(x, (5, 0), True, 0),
        lambda x: F.conv2d_forward(x, np.ones((1, 1, 1, 1), np.float32), np.zeros(1, np.float32), 2**31),
        lambda x: F.conv2d_relu_forward(
            x, np.ones((1, 1, 1, 1), np.float32), np.zeros(1, np.float32), 1, 2**31
        ),
    ],
)
def test_a_huge_int_argument_is_a_value_error_naming_it(call):
    with pytest.raises(ValueError, match="(stride|pool_size|max_shift|padding) must be at most|must fit"):
        call(np.zeros((1, 1, 4, 4), np.float32))


@pytest.mark.parametrize("padding", [2**31 - 1, 2**30, (0, 2**30), 40_000], ids=repr)
@pytest.mark.parametrize("stride", [1, 2**31 - 1])
def test_a_padding_making_the_padded_input_enormous_is_a_value_error_before_allocating(padding, stride):
    # 2**31 - 1 and 2**30 were numpy's "array is too big", 40_000 a MemoryError for a 24 GB output (after
    # the kernels had sized their scratch by the overflowing plane)
    x, w, b = np.ones((1, 1, 2, 2), np.float32), np.ones((1, 1, 1, 1), np.float32), np.zeros(1, np.float32)
    with pytest.raises(ValueError, match=r"padding makes the zero-padded input too large.*padding="):
        F.conv2d_forward(x, w, b, stride, padding)


def test_a_random_crop_with_huge_padding_allocates_no_padded_image():
    # was a MemoryError or numpy's "array is too big" for the zero-padded copy
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    out, cache = F.random_crop_forward(x, 4, 2**31 - 1, True, 0)
    top, left = (int(v) - (2**31 - 1) for v in cache.offsets[0])
    expected = np.zeros((4, 4), np.float32)
    rows, cols = slice(max(top, 0), max(min(top + 4, 4), 0)), slice(max(left, 0), max(min(left + 4, 4), 0))
    expected[rows.start - top : rows.stop - top, cols.start - left : cols.stop - left] = x[0, 0, rows, cols]
    np.testing.assert_array_equal(out[0, 0], expected)
    assert F.random_crop_backward(np.ones_like(out), cache).shape == x.shape


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda x: F.leaky_relu_forward(x, "0.1"), TypeError, "negative_slope"),
        (lambda x: F.leaky_relu_forward(x, float("nan")), ValueError, "negative_slope"),
        (lambda x: F.dropout_forward(x, 0.5, 1), TypeError, "training"),
        (lambda x: F.dropout_forward(x, 0.5, True, -1), ValueError, "rng"),
        (lambda x: F.random_shift_forward(x, 1, "yes"), TypeError, "training"),
        (lambda x: F.random_shift_forward(x, 1, True, 2.5), TypeError, "rng"),
        (lambda x: F.rescaling_forward(x, "0.5"), TypeError, "scale"),
        (lambda x: F.rescaling_forward(x, float("nan")), ValueError, "scale"),
        (lambda x: F.rescaling_forward(x, 1.0, float("inf")), ValueError, "offset"),
        (lambda x: F.normalization_forward(x, "a", 1.0), TypeError, "mean"),
        (lambda x: F.normalization_forward(x, 0.0, [[1.0], [2.0, 3.0]]), TypeError, "std"),
        (lambda x: F.random_flip_forward(x, np.array(["horizontal"]), True), TypeError, "mode"),
        (lambda x: F.random_flip_forward(x, "horizontal", 1), TypeError, "training"),
        (lambda x: F.random_flip_forward(x, "horizontal", True, 2.5), TypeError, "rng"),
        (lambda x: F.random_crop_forward(x, 2, 0, "yes"), TypeError, "training"),
        (lambda x: F.random_crop_forward(x, 2, 0, True, -1), ValueError, "rng"),
        (
            lambda x: F.batchnorm_forward(x, np.ones(1), np.zeros(1), None, None, training=None),
            TypeError,
            "training",
        ),
    ],
)
def test_scalar_arguments_are_checked(call, error, name):
    with pytest.raises(error, match=f"{name} must be"):
        call(np.zeros((2, 1, 4, 4), np.float32))


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: F.softmax_forward(np.zeros((2, 0))), ValueError, "x"),
        (lambda: F.softmax_forward(np.float64(1.0)), ValueError, "x"),
        (lambda: F.relu_forward([[1.0, 2.0], [3.0]]), TypeError, "x"),
        (lambda: F.softmax_cross_entropy(np.ones((2, 2)), [[1, 0], [1]]), TypeError, "y"),
    ],
    ids=["softmax-empty-axis", "softmax-0d", "ragged-x", "ragged-labels"],
)
def test_inputs_found_by_the_fuzz_raise_errors_naming_them(call, error, name):
    with pytest.raises(error, match=rf"\b{name} must"):
        call()
