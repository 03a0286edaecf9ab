"""conv_transpose2d_forward / backward against torch.nn.functional.conv_transpose2d + autograd."""

import numpy as np
import pytest

import convkit
from convkit.functional import (
    conv_transpose2d_backward,
    conv_transpose2d_backward_input,
    conv_transpose2d_backward_weights,
    conv_transpose2d_forward,
)

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional

# (x shape, w shape, stride, padding, output_padding, dilation, groups)
CASES = [
    ((2, 3, 5, 6), (3, 4, 3, 3), 1, 0, 0, 1, 1),  # stride 1: conv2d's direct path
    ((2, 3, 5, 6), (3, 4, 4, 4), 2, 1, 0, 1, 1),  # the DCGAN upsampling block
    ((2, 3, 16, 16), (3, 5, 4, 4), 2, 1, 0, 1, 1),  # ... with 16 columns: every pass on the phases path
    ((1, 4, 16, 9), (4, 3, 3, 5), (2, 3), (1, 2), (1, 0), 1, 1),  # kernels not a multiple of the stride
    ((2, 4, 5, 7), (4, 2, 3, 2), (2, 3), (1, 0), (1, 2), 1, 2),
    ((2, 3, 5, 6), (3, 2, 3, 3), 1, 1, 1, 2, 1),  # output_padding >= stride, allowed by the dilation
    ((1, 6, 4, 5), (6, 1, 3, 3), 2, 1, 1, (1, 2), 6),  # depthwise
    ((2, 3, 4, 3), (3, 5, 1, 1), 3, 0, 2, 1, 1),  # 1x1 kernel, stride 3: rows of zeros between
    ((3, 2, 6, 5), (2, 3, 5, 3), (1, 2), (2, 1), (0, 1), (2, 1), 1),
]


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, padding, output_padding, dilation, groups", CASES, ids=str
)
def test_forward_and_backward_match_torch(
    x_shape, w_shape, stride, padding, output_padding, dilation, groups, dtype, layout, rng, check_parity
):
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[1] * groups).astype(dtype)
    args = (stride, padding, output_padding)
    out, (dx, dw, db) = check_parity(
        lambda x, w, b: conv_transpose2d_forward(x, w, b, *args, dilation, groups),
        conv_transpose2d_backward,
        lambda x, w, b: tF.conv_transpose2d(x, w, b, *args, groups, dilation),
        [x, w, b],
        layout,
    )
    assert dx.shape == x_shape and dw.shape == w_shape and db.shape == b.shape
    assert dx.flags.c_contiguous and dw.flags.c_contiguous


def test_halves_equal_the_full_backward_and_any_thread_count(rng, restore_threads):
    x, w, b = rng.standard_normal((3, 4, 6, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(6)
    results = []
    for n_threads in (1, 2, 3):
        convkit.set_num_threads(n_threads)
        out, cache = conv_transpose2d_forward(x, w, b, 2, 1, 1, 1, 2)
        dout = np.random.default_rng(1).standard_normal(out.shape)
        results.append((out, *conv_transpose2d_backward(dout, cache)))
    for other in results[1:]:
        for a, b_ in zip(results[0], other):
            assert np.array_equal(a, b_)
    np.testing.assert_array_equal(conv_transpose2d_backward_input(dout, cache), results[-1][1])
    for a, b_ in zip(conv_transpose2d_backward_weights(dout, cache), results[-1][2:]):
        np.testing.assert_array_equal(a, b_)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"output_padding": 2, "stride": 2},
            ValueError,
            "output_padding must be smaller than stride or dilation",
        ),
        ({"groups": 2}, ValueError, "C divisible by groups"),
        ({"padding": 9}, ValueError, "the output would be empty"),
        ({"dilation": 0}, ValueError, "dilation must be an int >= 1"),
        ({"stride": "2"}, TypeError, "stride must be an int"),
    ],
)
def test_bad_arguments(kwargs, error, message, rng):
    x, w, b = rng.standard_normal((1, 3, 4, 4)), rng.standard_normal((3, 2, 3, 3)), np.zeros(2)
    with pytest.raises(error, match=message):
        conv_transpose2d_forward(x, w, b, **kwargs)
