"""Crash fuzz of the functional API: every op, forward and backward, on degenerate inputs drawn by
hypothesis (zero sizes, 1x1 images, 0-d, huge ints, NaN/inf, wrong dtypes, non-contiguous, read-only,
misaligned and Fortran-ordered arrays, foreign or modified caches), in a child process. Convolutions get
shapes that fit together as often as random ones, so that the kernels run on the degenerate cases.

A signal (a segfault, an abort) or a hang in the child fails the test, naming the last input tried; so does
any exception other than ``ValueError``/``TypeError``, or one whose message names none of the op's
arguments. ``CONVKIT_FUZZ_EXAMPLES`` (default 100 per op) raises the count: ``make fuzz``.

Run as a script (``python test_fuzz.py EXAMPLES LOG``), this file is the child.
"""

import inspect
import json
import os
import re
import subprocess
import sys

import numpy as np

EXAMPLES = int(os.environ.get("CONVKIT_FUZZ_EXAMPLES", "100"))
TIMEOUT_SECONDS = 60 + EXAMPLES  # the child's whole run


def test_no_functional_op_crashes_hangs_or_raises_unclearly(tmp_path):
    log = tmp_path / "last_input.txt"
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    try:
        child = subprocess.run(
            [sys.executable, __file__, str(EXAMPLES), str(log)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the fuzz child hung; last input: {log.read_text()}") from None
    last = log.read_text() if log.exists() else "(none)"
    assert child.returncode >= 0, f"the fuzz child died of signal {-child.returncode}; last input: {last}"
    assert child.returncode == 0, f"fuzz failures:\n{child.stdout[-6000:]}\n{child.stderr[-3000:]}"
    report = json.loads(child.stdout.splitlines()[-1])
    assert report["calls"] >= EXAMPLES * len(report["ops"]) // 2


# -- the child -------------------------------------------------------------------------------------------
def _child(examples: int, log_path: str) -> int:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from convkit import functional as F

    DTYPES = [np.float32, np.float64, np.float16, np.int64, np.uint8, np.bool_, np.complex64, object]
    SPECIALS = [0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e38, -1e308, 5e-324]
    INTS = [0, 1, 2, 3, -1, 2**31 - 1, 2**31, 2**63, -(2**31), 10**30]

    SIZES = [0, 1, 1, 2, 3, 5]

    def make_array(draw, ndim=None, shape=None):
        if shape is None:
            ndim = draw(st.integers(0, 5)) if ndim is None else ndim
            shape = tuple(draw(st.lists(st.sampled_from(SIZES), min_size=ndim, max_size=ndim)))
        dtype = draw(st.sampled_from(DTYPES[:2] * 4 + DTYPES[2:]))
        size = int(np.prod(shape))
        values = np.array(draw(st.lists(st.sampled_from(SPECIALS), min_size=1, max_size=4)) * (size + 1))
        if dtype is object:
            arr = np.empty(shape, dtype=object)
        else:
            with np.errstate(all="ignore"):
                arr = np.nan_to_num(values[:size]) if np.dtype(dtype).kind in "iub" else values[:size]
                arr = arr.astype(dtype).reshape(shape)
        layout = draw(st.sampled_from(["c", "c", "strided", "fortran", "readonly", "misaligned"]))
        if layout == "strided" and ndim:
            arr = np.repeat(arr, 2, axis=-1)[..., ::2]
        elif layout == "fortran":
            arr = np.asfortranarray(arr)
        elif layout == "readonly":
            arr.flags.writeable = False
        elif layout == "misaligned" and dtype is not object and arr.dtype.itemsize > 1:
            buffer = np.zeros(arr.nbytes + 1, np.uint8)
            view = buffer[1:].view(arr.dtype).reshape(arr.shape)
            view[...] = arr
            arr = view
        return arr

    @st.composite
    def arrays(draw, ndim=None):
        return make_array(draw, ndim)

    def value(ndim=None):
        junk = st.sampled_from([None, "x", [1.0, 2.0], [[1, 2], [3]], 3.5, 7, (), {}, b"x"])
        return st.one_of(arrays(ndim), arrays(ndim), arrays(ndim), junk)

    @st.composite
    def fitting_conv(draw):
        """(x, w, b) of shapes (N, C, H, W), (F, C, KH, KW), (F,) that agree, any layout and dtype."""
        n, c, h, w, f, kh, kw = (draw(st.sampled_from(SIZES)) for _ in range(7))
        shapes = ((n, c, h, w), (f, c, kh, kw), (f,))
        return tuple(make_array(draw, shape=shape) for shape in shapes)

    ints = st.one_of(st.sampled_from(INTS), st.tuples(st.sampled_from(INTS), st.sampled_from(INTS)))
    int_args = st.one_of(ints, ints, st.sampled_from([None, 2.0, "2", (1, 2, 3), [2], True]))
    huge_paddings = st.sampled_from([40_000, (2**30, 0), (1, 2**30)])  # a padded plane beyond any allocation
    conv_args = st.tuples(
        st.one_of(fitting_conv(), st.tuples(value(4), value(4), value(1))),
        st.one_of(st.sampled_from([1, 2, (1, 2)]), int_args),  # strides the kernels run with, often
        st.one_of(int_args, huge_paddings, st.sampled_from(["same", "valid", "full", "SAME"])),
        st.one_of(st.just(1), int_args),  # dilation
        st.sampled_from([1, 1, 2, 3, 0, -1, 2.0, "3", None]),  # groups
    )
    # (x, w, b, stride, padding, dilation, groups)
    conv_args = conv_args.map(lambda args: (*args[0], *args[1:]))
    floats = st.one_of(st.sampled_from(SPECIALS), st.sampled_from([0.5, 0.01, None, "0.1", True, 2, -1]))
    flags = st.sampled_from([True, False, True, 1, None, "yes", np.bool_(True)])
    seeds = st.sampled_from([0, 1, None, -1, 2**70, 2.5, "s", np.random.default_rng(0)])
    modes = st.sampled_from(
        ["horizontal", "vertical", "horizontal_and_vertical", "x", None, 1, np.array(["a"])]
    )
    per_channel = st.one_of(value(1), floats, st.sampled_from([[0.5, 0.25, 2.0], [1.0] * 3, ["a"] * 3]))

    def genuine(rng):
        """(forward name, out, cache) of every op on a small valid input, for the backward's caches."""
        x4 = rng.normal(size=(2, 3, 4, 4))
        x2 = rng.normal(size=(3, 4))
        w, b = rng.normal(size=(4, 2)), np.zeros(2)
        g3, z3 = np.ones(3), np.zeros(3)
        w4 = rng.normal(size=(2, 3, 3, 3))
        calls = {
            "relu": F.relu_forward(x2),
            "add_relu": F.add_relu_forward(x2, x2),
            "leaky_relu": F.leaky_relu_forward(x2),
            "sigmoid": F.sigmoid_forward(x2),
            "tanh": F.tanh_forward(x2),
            "softmax": F.softmax_forward(x2),
            "affine": F.affine_forward(x2, w, b),
            "affine_relu": F.affine_relu_forward(x2, w, b),
            "batchnorm": F.batchnorm_forward(x4, g3, z3, np.zeros(3), np.ones(3)),
            "batchnorm_relu": F.batchnorm_relu_forward(x4, g3, z3, np.zeros(3), np.ones(3)),
            "batchnorm_add_relu": F.batchnorm_add_relu_forward(x4, x4, g3, z3, np.zeros(3), np.ones(3)),
            "dropout": F.dropout_forward(x2, 0.5, True, 0),
            "maxpool2x2": F.maxpool2d_forward(x4, 2),
            "maxpool3x3": F.maxpool2d_forward(x4, 3, 1),
            "avgpool": F.avgpool2d_forward(x4, 3, 1),
            "global_avgpool": F.global_avgpool2d_forward(x4),
            "random_shift": F.random_shift_forward(x4, 1, True, 0),
            "rescaling": F.rescaling_forward(x2, 0.5, 1.0),
            "normalization": F.normalization_forward(x4, [0.5, 0.25, 0.0], [1.0, 2.0, 0.5]),
            "random_crop": F.random_crop_forward(x4, 3, 2, True, 0),
            "random_crop[eval]": F.random_crop_forward(x4, 4, 0, False),
            "random_flip": F.random_flip_forward(x4, "horizontal_and_vertical", True, 0),
            "conv": F.conv2d_forward(x4, w4, b, 1, 1),
            "conv_strided": F.conv2d_forward(x4, w4, b, 2, 0),
            "conv_relu": F.conv2d_relu_forward(x4, w4, b, 1, 1),
            "conv_add_relu": F.conv2d_add_relu_forward(x4, w4, b, rng.normal(size=(2, 2, 4, 4)), 1, 1),
            # normalization, resampling, the smooth activations and the other pools
            "elu": F.elu_forward(x2),
            "gelu": F.gelu_forward(x2),
            "silu": F.silu_forward(x2),
            "softplus": F.softplus_forward(x2),
            "prelu": F.prelu_forward(x4, np.full(3, 0.25)),
            "layernorm": F.layernorm_forward(x4, np.ones((3, 4, 4)), np.zeros((3, 4, 4))),
            "groupnorm": F.groupnorm_forward(x4, g3, z3, 3),
            "global_maxpool": F.global_maxpool2d_forward(x4),
            "adaptive_avgpool": F.adaptive_avgpool2d_forward(x4, 3),
            "upsampling_nearest": F.upsampling2d_forward(x4, 2),
            "upsampling_bilinear": F.upsampling2d_forward(x4, (2, 3), "bilinear"),
            "zero_padding": F.zero_padding2d_forward(x4, ((1, 0), (2, 1))),
            "maxpool_padded": F.maxpool2d_forward(x4, 3, 2, 1, True),
            "avgpool_padded": F.avgpool2d_forward(x4, 3, 2, 1, True, False),
            "conv_dilated": F.conv2d_forward(x4, w4, b, 1, 2, 2),
            "conv_transpose": F.conv_transpose2d_forward(x4, rng.normal(size=(3, 2, 3, 3)), b, 2, 1, 1),
            "conv_grouped_same": F.conv2d_forward(x4, rng.normal(size=(3, 1, 2, 2)), z3, 1, "same", 1, 3),
        }
        return calls

    CACHES = genuine(np.random.default_rng(0))

    @st.composite
    def caches(draw, own: str):
        """The op's own cache (as is, or with one field replaced), another op's, or junk."""
        kind = draw(st.sampled_from(["own", "own", "modified", "foreign", "junk"]))
        if kind == "junk":
            return draw(st.sampled_from([None, (), (1, 2), "cache", np.zeros(3), (np.zeros(3),) * 6]))
        out, cache = CACHES[draw(st.sampled_from(sorted(CACHES))) if kind == "foreign" else own]
        if kind == "modified" and hasattr(cache, "_replace"):
            field = draw(st.sampled_from(cache._fields))
            replacement = draw(st.one_of(arrays(), st.sampled_from([None, (1, 1, 2, 2), (2**31, 1), 7, -1])))
            cache = cache._replace(**{field: replacement})
        return cache

    def upstream(own: str):
        out = CACHES[own][0]
        return st.one_of(st.just(np.ones_like(out)), st.just(np.full_like(out, np.nan)), value())

    def backward_args(own):
        return st.tuples(upstream(own), caches(own))

    OPS = {
        "relu_forward": (F.relu_forward, st.tuples(value())),
        "add": (F.add, st.tuples(value(), value())),
        "add_relu_forward": (F.add_relu_forward, st.tuples(value(), value())),
        "leaky_relu_forward": (F.leaky_relu_forward, st.tuples(value(), floats)),
        "sigmoid_forward": (F.sigmoid_forward, st.tuples(value())),
        "tanh_forward": (F.tanh_forward, st.tuples(value())),
        "softmax_forward": (F.softmax_forward, st.tuples(value())),
        "affine_forward": (F.affine_forward, st.tuples(value(), value(2), value(1))),
        "affine_relu_forward": (F.affine_relu_forward, st.tuples(value(), value(2), value(1))),
        "batchnorm_forward": (
            F.batchnorm_forward,
            st.tuples(value(4), value(1), value(1), value(1), value(1), flags, floats, floats),
        ),
        "batchnorm_relu_forward": (
            F.batchnorm_relu_forward,
            st.tuples(value(4), value(1), value(1), value(1), value(1), flags, floats, floats),
        ),
        "batchnorm_add_relu_forward": (
            F.batchnorm_add_relu_forward,
            st.one_of(
                st.tuples(value(4), value(4), value(1), value(1), value(1), value(1), flags, floats, floats),
                st.tuples(value(4), value(1), value(1), value(1), value(1), flags, floats, floats).map(
                    lambda args: (args[0], args[0], *args[1:])  # a residual of x's shape
                ),
            ),
        ),
        "dropout_forward": (F.dropout_forward, st.tuples(value(), floats, flags, seeds)),
        "maxpool2d_forward": (F.maxpool2d_forward, st.tuples(value(4), int_args, int_args)),
        "avgpool2d_forward": (F.avgpool2d_forward, st.tuples(value(4), int_args, int_args)),
        "global_avgpool2d_forward": (F.global_avgpool2d_forward, st.tuples(value(4))),
        "random_shift_forward": (F.random_shift_forward, st.tuples(value(4), int_args, flags, seeds)),
        "rescaling_forward": (F.rescaling_forward, st.tuples(value(), floats, floats)),
        "normalization_forward": (F.normalization_forward, st.tuples(value(), per_channel, per_channel)),
        "random_crop_forward": (
            F.random_crop_forward,
            st.tuples(value(4), int_args, int_args, flags, seeds),
        ),
        "random_flip_forward": (F.random_flip_forward, st.tuples(value(4), modes, flags, seeds)),
        "conv2d_forward": (F.conv2d_forward, conv_args),
        "conv2d_relu_forward": (F.conv2d_relu_forward, conv_args),
        "conv2d_add_relu_forward": (
            F.conv2d_add_relu_forward,
            st.one_of(
                st.tuples(value(4), value(4), value(1), value(4)),  # a residual of any shape
                conv_args.map(lambda args: (*args[:3], np.zeros((2, 2, 4, 4)), *args[3:])),
                fitting_conv().map(  # "same": a residual of out's shape (N, F, H, W)
                    lambda xwb: (*xwb, np.ones((len(xwb[0]), len(xwb[1]), *np.shape(xwb[0])[2:])), 1, "same")
                ),
            ),
        ),
        "conv_transpose2d_forward": (
            F.conv_transpose2d_forward,
            st.tuples(
                st.one_of(fitting_conv(), st.tuples(value(4), value(4), value(1))),
                st.one_of(st.sampled_from([1, 2, (1, 2)]), int_args),
                st.one_of(int_args, huge_paddings),
                st.one_of(st.just(0), int_args),  # output_padding
                st.one_of(st.just(1), int_args),  # dilation
                st.sampled_from([1, 1, 2, 3, 0, 2.0, None]),  # groups
            ).map(lambda args: (*args[0], *args[1:])),
        ),
        "softmax_cross_entropy": (F.softmax_cross_entropy, st.tuples(value(2), value(1))),
        "mse_loss": (F.mse_loss, st.tuples(value(), value())),
        "relu_backward": (F.relu_backward, backward_args("relu")),
        "add_relu_backward": (F.add_relu_backward, backward_args("add_relu")),
        "leaky_relu_backward": (F.leaky_relu_backward, backward_args("leaky_relu")),
        "sigmoid_backward": (F.sigmoid_backward, backward_args("sigmoid")),
        "tanh_backward": (F.tanh_backward, backward_args("tanh")),
        "softmax_backward": (F.softmax_backward, backward_args("softmax")),
        "affine_backward": (F.affine_backward, backward_args("affine")),
        "affine_backward_input": (F.affine_backward_input, backward_args("affine")),
        "affine_backward_weights": (F.affine_backward_weights, backward_args("affine")),
        "affine_relu_backward": (F.affine_relu_backward, backward_args("affine_relu")),
        "affine_relu_backward_input": (F.affine_relu_backward_input, backward_args("affine_relu")),
        "affine_relu_backward_weights": (F.affine_relu_backward_weights, backward_args("affine_relu")),
        "batchnorm_backward": (F.batchnorm_backward, backward_args("batchnorm")),
        "batchnorm_relu_backward": (F.batchnorm_relu_backward, backward_args("batchnorm_relu")),
        "batchnorm_add_relu_backward": (F.batchnorm_add_relu_backward, backward_args("batchnorm_add_relu")),
        "conv2d_add_relu_backward": (F.conv2d_add_relu_backward, backward_args("conv_add_relu")),
        "dropout_backward": (F.dropout_backward, backward_args("dropout")),
        "maxpool2d_backward[2x2]": (F.maxpool2d_backward, backward_args("maxpool2x2")),
        "maxpool2d_backward[3x3]": (F.maxpool2d_backward, backward_args("maxpool3x3")),
        "avgpool2d_backward": (F.avgpool2d_backward, backward_args("avgpool")),
        "global_avgpool2d_backward": (F.global_avgpool2d_backward, backward_args("global_avgpool")),
        "random_shift_backward": (F.random_shift_backward, backward_args("random_shift")),
        "rescaling_backward": (F.rescaling_backward, backward_args("rescaling")),
        "normalization_backward": (F.normalization_backward, backward_args("normalization")),
        "random_crop_backward": (F.random_crop_backward, backward_args("random_crop")),
        "random_crop_backward[eval]": (F.random_crop_backward, backward_args("random_crop[eval]")),
        "random_flip_backward": (F.random_flip_backward, backward_args("random_flip")),
        # normalization, resampling, the smooth activations and the other pools
        "elu_forward": (F.elu_forward, st.tuples(value(), floats)),
        "gelu_forward": (
            F.gelu_forward,
            st.tuples(value(), st.sampled_from(["none", "tanh", "erf", None, 1])),
        ),
        "silu_forward": (F.silu_forward, st.tuples(value())),
        "softplus_forward": (F.softplus_forward, st.tuples(value(), floats, floats)),
        "prelu_forward": (F.prelu_forward, st.tuples(value(), value(1))),
        "layernorm_forward": (F.layernorm_forward, st.tuples(value(), value(), value(), floats)),
        "groupnorm_forward": (F.groupnorm_forward, st.tuples(value(4), value(1), value(1), int_args, floats)),
        "global_maxpool2d_forward": (F.global_maxpool2d_forward, st.tuples(value(4))),
        "adaptive_avgpool2d_forward": (F.adaptive_avgpool2d_forward, st.tuples(value(4), int_args)),
        "upsampling2d_forward": (
            F.upsampling2d_forward,
            st.tuples(value(4), int_args, st.sampled_from(["nearest", "bilinear", "cubic", None])),
        ),
        "zero_padding2d_forward": (F.zero_padding2d_forward, st.tuples(value(4), int_args)),
        "bce_with_logits": (F.bce_with_logits, st.tuples(value(), value())),
        "l1_loss": (F.l1_loss, st.tuples(value(), value())),
        "huber_loss": (F.huber_loss, st.tuples(value(), value(), st.none(), floats)),
        "elu_backward": (F.elu_backward, backward_args("elu")),
        "gelu_backward": (F.gelu_backward, backward_args("gelu")),
        "silu_backward": (F.silu_backward, backward_args("silu")),
        "softplus_backward": (F.softplus_backward, backward_args("softplus")),
        "prelu_backward": (F.prelu_backward, backward_args("prelu")),
        "layernorm_backward": (F.layernorm_backward, backward_args("layernorm")),
        "groupnorm_backward": (F.groupnorm_backward, backward_args("groupnorm")),
        "global_maxpool2d_backward": (F.global_maxpool2d_backward, backward_args("global_maxpool")),
        "adaptive_avgpool2d_backward": (F.adaptive_avgpool2d_backward, backward_args("adaptive_avgpool")),
        "upsampling2d_backward[nearest]": (F.upsampling2d_backward, backward_args("upsampling_nearest")),
        "upsampling2d_backward[bilinear]": (F.upsampling2d_backward, backward_args("upsampling_bilinear")),
        "zero_padding2d_backward": (F.zero_padding2d_backward, backward_args("zero_padding")),
        "maxpool2d_forward[padded]": (
            F.maxpool2d_forward,
            st.tuples(value(4), int_args, int_args, int_args, flags),
        ),
        "avgpool2d_forward[padded]": (
            F.avgpool2d_forward,
            st.tuples(value(4), int_args, int_args, int_args, flags, flags),
        ),
        "maxpool2d_backward[padded]": (F.maxpool2d_backward, backward_args("maxpool_padded")),
        "avgpool2d_backward[padded]": (F.avgpool2d_backward, backward_args("avgpool_padded")),
    }
    for suffix in ("", "_input", "_weights"):
        backward, relu_backward = (
            getattr(F, f"conv2d_backward{suffix}"),
            getattr(F, f"conv2d_relu_backward{suffix}"),
        )
        OPS[f"conv2d_backward{suffix}"] = (backward, backward_args("conv"))
        OPS[f"conv2d_backward{suffix}[strided]"] = (backward, backward_args("conv_strided"))
        OPS[f"conv2d_relu_backward{suffix}"] = (relu_backward, backward_args("conv_relu"))
        OPS[f"conv2d_backward{suffix}[dilated]"] = (backward, backward_args("conv_dilated"))
        transposed = getattr(F, f"conv_transpose2d_backward{suffix}")
        OPS[f"conv_transpose2d_backward{suffix}"] = (transposed, backward_args("conv_transpose"))
        OPS[f"conv2d_backward{suffix}[grouped_same]"] = (backward, backward_args("conv_grouped_same"))
    # conv_output_size is the output-size formula on ints, not an op
    missing = {name for name in F.__all__ if callable(getattr(F, name)) and name != "conv_output_size"} - {
        name.split("[")[0] for name in OPS
    }
    assert not missing, f"ops without a fuzz entry: {missing}"

    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    failures, calls = [], [0]

    def describe(arg):
        if isinstance(arg, np.ndarray):
            flags = "".join(f for f, on in (("C", arg.flags.c_contiguous), ("W", arg.flags.writeable)) if on)
            return f"ndarray({arg.shape}, {arg.dtype}, {flags}, aligned={arg.flags.aligned})"
        if isinstance(arg, tuple) and hasattr(arg, "_fields"):
            return f"{type(arg).__name__}({', '.join(describe(a) for a in arg)})"
        return repr(arg)[:200]

    def run(name, op, args):
        text = f"{name}({', '.join(describe(a) for a in args)})"
        os.pwrite(log, text.encode().ljust(4096), 0)
        calls[0] += 1
        params = list(inspect.signature(op).parameters)
        try:
            with np.errstate(all="ignore"):
                op(*args)
        except (ValueError, TypeError) as err:
            message = str(err)
            if not any(re.search(rf"\b{re.escape(p)}\b", message) for p in params):
                failures.append(f"{text}: {type(err).__name__} naming no argument: {message}")
        except Exception as err:  # noqa: BLE001 - any other kind is what this fuzz reports
            failures.append(f"{text}: {type(err).__name__}: {err}")

    def fuzz(name, op, strategy):
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize="CONVKIT_FUZZ_EXAMPLES" not in os.environ,
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def one(args):
            run(name, op, args)

        one()

    for name, (op, strategy) in OPS.items():
        fuzz(name, op, strategy)
    unique = sorted(set(failures))
    for failure in unique[:100]:
        print(failure)
    print(json.dumps({"calls": calls[0], "ops": sorted(OPS), "failures": len(unique)}))
    return 1 if unique else 0


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1]), sys.argv[2]))
