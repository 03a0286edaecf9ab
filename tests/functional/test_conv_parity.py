"""conv2d_forward / conv2d_backward against torch.nn.functional.conv2d + autograd."""

import numpy as np
import pytest

from convkit import _kernels
from convkit.functional import conv2d_backward, conv2d_forward, conv_output_size
from convkit.functional.conv import same_padding

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional

# (x shape, w shape, stride, padding)
CASES = [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0),
    ((2, 3, 6, 6), (4, 3, 3, 3), 1, 1),  # "same" padding
    ((2, 3, 8, 9), (5, 3, 2, 4), 1, (1, 2)),  # non-square kernel, asymmetric padding pair
    ((2, 2, 9, 8), (3, 2, 3, 3), 2, 1),
    ((1, 3, 10, 11), (2, 3, 3, 2), (3, 2), (2, 1)),  # batch 1, stride pair incl. 3
    ((2, 1, 8, 8), (1, 1, 3, 3), 3, 0),  # stride 3 that does not tile: last rows/cols unused
    ((1, 4, 5, 6), (3, 4, 1, 1), 1, 0),  # 1x1 kernel
    ((2, 3, 5, 5), (2, 3, 1, 1), 2, 0),  # 1x1 kernel, stride 2
    ((2, 2, 3, 3), (2, 2, 5, 5), 1, 1),  # kernel as large as the padded input: 1x1 output
    ((3, 2, 4, 7), (2, 2, 4, 1), (1, 3), (0, 2)),
]
IDS = [f"x{x}-w{w}-s{s}-p{p}".replace(" ", "") for x, w, s, p in CASES]


def _torch_conv(stride, padding):
    return lambda x, w, b: tF.conv2d(x, w, b, stride=stride, padding=padding)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CASES, ids=IDS)
def test_forward_and_backward_match_torch(
    x_shape, w_shape, stride, padding, dtype, layout, rng, check_parity
):
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    out, (dx, dw, db) = check_parity(
        lambda x, w, b: conv2d_forward(x, w, b, stride=stride, padding=padding),
        conv2d_backward,
        _torch_conv(stride, padding),
        [x, w, b],
        layout,
    )
    sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
    ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
    expected_shape = (
        x_shape[0],
        w_shape[0],
        conv_output_size(x_shape[2], w_shape[2], sh, ph),
        conv_output_size(x_shape[3], w_shape[3], sw, pw),
    )
    assert out.shape == expected_shape
    assert dx.flags.c_contiguous and dw.flags.c_contiguous


def test_padding_and_stride_accept_lists_and_numpy_ints(rng, assert_close):
    x, w, b = rng.standard_normal((1, 2, 6, 7)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(3)
    out, _ = conv2d_forward(x, w, b, stride=[np.int64(2), 1], padding=[1, np.int32(2)])
    expected = tF.conv2d(*map(torch.tensor, (x, w, b)), stride=(2, 1), padding=(1, 2))
    assert_close(out, expected.numpy(), np.float64)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_propagates_like_torch(bad, rng, assert_close):
    x = rng.standard_normal((2, 2, 6, 6))
    x[1, 0, 2, 3] = bad
    w = rng.standard_normal((3, 2, 3, 3))
    b = rng.standard_normal(3)
    out, _ = conv2d_forward(x, w, b, stride=1, padding=1)
    expected = tF.conv2d(*map(torch.tensor, (x, w, b)), padding=1).numpy()
    assert_close(out, expected, np.float64)
    assert np.isfinite(out[0]).all()  # the other sample is untouched
    assert not np.isfinite(out[1, :, 1:4, 2:5]).any()  # every window that covers the bad value


# (x shape, w shape, stride, padding, dilation, groups)
OPTION_CASES = [
    ((2, 3, 9, 8), (4, 3, 3, 3), 1, 2, 2, 1),
    ((2, 3, 11, 10), (5, 3, 3, 2), (2, 3), (1, 2), (3, 2), 1),
    ((2, 6, 7, 9), (4, 3, 3, 3), 1, 1, 1, 2),
    ((1, 6, 8, 7), (6, 1, 3, 3), 2, 1, 1, 6),  # depthwise
    ((2, 6, 9, 9), (12, 2, 3, 2), 1, 2, (2, 1), 3),  # grouped and dilated, channel multiplier 4
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, "same", 2, 1),
    ((2, 4, 7, 6), (4, 2, 2, 3), 1, "same", 1, 2),  # even kernel: the extra zero below
    ((2, 3, 7, 6), (4, 3, 3, 3), 2, "same", 1, 1),  # Keras's rule: (1, 1) rows, (0, 1) columns
    ((2, 3, 9, 10), (2, 3, 3, 4), (3, 2), "same", (2, 1), 1),
    ((2, 3, 5, 5), (2, 3, 3, 3), 1, "valid", 1, 1),
]


def _torch_padded(x, w, b, stride, padding, dilation, groups):
    """torch's conv2d, "same" for any stride through an explicit F.pad (torch's own "same" needs stride 1)."""
    if padding == "same":
        s = stride if isinstance(stride, tuple) else (stride, stride)
        d = dilation if isinstance(dilation, tuple) else (dilation, dilation)
        (t, bo), (le, r) = (same_padding(n, k, a, e) for n, k, a, e in zip(x.shape[2:], w.shape[2:], s, d))
        x, padding = tF.pad(x, (le, r, t, bo)), 0
    return tF.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", OPTION_CASES, ids=str)
def test_dilation_groups_and_same_match_torch(
    x_shape, w_shape, stride, padding, dilation, groups, dtype, layout, rng, check_parity
):
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    out, (dx, dw, db) = check_parity(
        lambda x, w, b: conv2d_forward(x, w, b, stride, padding, dilation, groups),
        conv2d_backward,
        lambda x, w, b: _torch_padded(x, w, b, stride, padding, dilation, groups),
        [x, w, b],
        layout,
    )
    assert dx.shape == x_shape and dw.shape == w_shape
    assert dx.flags.c_contiguous and dw.flags.c_contiguous
    if padding == "same":
        s = stride if isinstance(stride, tuple) else (stride, stride)
        assert out.shape[2:] == (-(-x_shape[2] // s[0]), -(-x_shape[3] // s[1]))


def test_torch_same_rule_for_stride_one():
    torch.manual_seed(0)
    for k, d in ((2, 1), (3, 2), (4, 3), (5, 1)):
        module = torch.nn.Conv2d(1, 1, k, padding="same", dilation=d, bias=False)
        total = d * (k - 1)
        assert same_padding(9, k, 1, d) == (total // 2, total - total // 2)
        x = np.random.default_rng(k).standard_normal((1, 1, 9, 9))
        out, _ = conv2d_forward(x, module.weight.detach().double().numpy(), np.zeros(1), 1, "same", d)
        with torch.no_grad():
            np.testing.assert_allclose(
                out, module.double()(torch.from_numpy(x)).numpy(), rtol=1e-10, atol=1e-12
            )


def test_dilation_keeps_the_path_of_its_stride():
    info = _kernels.conv_plan_info
    assert info((2, 3, 9, 9), (4, 3, 3, 3), (1, 1), (1, 1), 8)["path"] == "direct"
    assert info((2, 3, 9, 9), (4, 3, 3, 3), (1, 1), (1, 1), 8, (2, 1))["path"] == "direct"
    assert info((2, 3, 9, 9), (4, 3, 3, 3), (2, 1), (1, 1), 8, (2, 1))["path"] == "im2col"
