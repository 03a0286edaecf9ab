"""Every convolution code path against torch: the direct (stride-1, shifted-row GEMM), Winograd
(stride-1 3x3 and 5x5: forward, dx and dW; F(2x2) and F(4x4) tiles), phases (strided, the same GEMM over
the input's stride phases) and im2col paths, each with both weight-gradient kernels ("reduce", vectorised
along pixels; "outer", vectorised along filters), at every SIMD level this machine has (the portable
baseline always), float32 and float64, strides, padding, non-square kernels, batch 1, few and many
channels; plus the path rule itself, inf/NaN in the direct weight gradient and on the Winograd path, and
bit-identical results for 1, 2 and 3 threads on each path. Paths and kernels are forced through the plan's
``_kernels.force_conv_plan`` (and the Winograd tile through ``_kernels.force_winograd_tile``)."""

import numpy as np
import pytest

import convkit
from convkit import _kernels
from convkit.functional import conv2d_backward, conv2d_forward

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional

# (x shape, w shape, stride, padding)
STRIDE_1 = [
    ((2, 1, 28, 28), (6, 1, 3, 3), 1, 0),  # LeNet conv1
    ((3, 6, 13, 13), (16, 6, 3, 3), 1, 0),  # LeNet conv2
    ((2, 3, 9, 10), (17, 3, 3, 3), 1, 1),  # 17 filters: a full register panel + a 1-row panel
    ((1, 5, 7, 6), (9, 5, 2, 4), 1, (1, 2)),  # batch 1, non-square kernel, asymmetric padding pair
    ((2, 4, 5, 6), (3, 4, 1, 1), 1, 0),  # 1x1 kernel
    ((2, 2, 3, 3), (2, 2, 5, 5), 1, 1),  # kernel as large as the padded input
    ((1, 2, 5, 5), (3, 2, 1, 1), 1, 3),  # padding larger than the kernel: dx crops the padded dout
    ((2, 3, 4, 11), (5, 3, 3, 3), 1, (3, 0)),
    ((9, 2, 6, 6), (4, 2, 3, 3), 1, 1),  # more images than weight-gradient chunks
    ((2, 40, 8, 8), (33, 40, 3, 3), 1, 1),  # many channels: K = 360, several column groups
    ((1, 3, 16, 16), (5, 3, 3, 3), 1, 1),  # 16 columns: whole output rows of vectors, batch 1 split in rows
    ((2, 2, 8, 32), (20, 2, 3, 3), 1, 1),  # 32 columns: rows for out, dx and dW
    ((2, 4, 18, 34), (9, 4, 3, 3), 1, 0),  # 32 output columns from 34 input columns
    ((2, 9, 7, 7), (10, 9, 3, 3), 1, 1),  # 7 columns, 8+ channels each way: column-shifted copies
    ((3, 32, 11, 13), (33, 32, 3, 3), 1, 1),  # Winograd by the rule (float64): 6 x 7 tiles, 2 panels of rows
    ((1, 33, 6, 38), (32, 33, 3, 3), 1, 0),  # Winograd: 18 tiles per row, more than a vector
    ((7, 32, 3, 4), (40, 32, 3, 3), 1, 2),  # Winograd: padding 2 (dx unpadded), several images per job
]
STRIDED = [
    ((2, 2, 9, 8), (3, 2, 3, 3), 2, 1),
    ((1, 3, 10, 11), (2, 3, 3, 2), (3, 2), (2, 1)),  # batch 1, stride pair
    ((2, 1, 8, 8), (1, 1, 3, 3), 3, 0),  # stride that does not tile the input
    ((2, 5, 12, 12), (20, 5, 3, 3), (1, 2), 1),  # stride 1 along h only
    ((3, 24, 9, 9), (40, 24, 3, 3), 2, 1),  # many channels
    ((2, 3, 32, 32), (5, 3, 3, 3), 2, 1),  # 16 output columns: the phases weight gradient on whole rows
    ((2, 4, 32, 34), (6, 4, 4, 4), 2, (1, 2)),  # 4x4 stride 2 (a transposed convolution's adjoint)
    ((1, 3, 35, 33), (4, 3, 5, 3), (3, 2), (4, 0)),  # padding beyond the stride, uneven phases
    ((2, 2, 17, 16), (3, 2, 2, 2), 2, 0),  # kernel = stride: one tap per phase
]
CASES = STRIDE_1 + STRIDED
IDS = [f"x{x}-w{w}-s{s}-p{p}".replace(" ", "") for x, w, s, p in CASES]
# 5x5 convolutions with enough channels for Winograd F(2x2, 5x5) (float32: AVX2's rule, float64 forced)
WINOGRAD_5X5 = [
    ((2, 32, 14, 14), (33, 32, 5, 5), 1, 2),  # the TensorFlow tutorial's conv2 ("same"), 33 filters
    ((1, 33, 9, 20), (32, 33, 5, 5), 1, 0),  # unpadded, batch 1: a job per tile row, dx padded by 4
    ((3, 32, 5, 7), (40, 32, 5, 5), 1, 4),  # padding 4: dx unpadded, 5 x 7 outputs from 5 x 7 inputs
    ((2, 16, 11, 9), (20, 16, 5, 5), 1, (2, 1)),  # 16 channels, odd sizes, an asymmetric padding pair
    ((9, 32, 6, 6), (32, 32, 5, 5), 1, 2),  # more images than weight-gradient chunks, several per job
]
IDS_5X5 = [f"x{x}-w{w}-p{p}".replace(" ", "") for x, w, _, p in WINOGRAD_5X5]
# 3x3 convolutions on F(4x4, 3x3) tiles (forced; the rule's wherever a row holds enough 4-wide tiles)
WINOGRAD_4X4 = [
    ((2, 16, 32, 32), (16, 16, 3, 3), 1, 1),  # ResNet-20's first stage: 8 tiles per row
    ((1, 17, 9, 13), (20, 17, 3, 3), 1, 0),  # unpadded, batch 1, odd sizes: partial tiles, dx padded by 2
    ((3, 16, 7, 30), (16, 16, 3, 3), 1, 2),  # padding 2: dx unpadded; 8 tiles of 32 columns for 32 outputs
    ((2, 16, 5, 70), (19, 16, 3, 3), 1, (1, 2)),  # 18 tiles per row (more than a vector), a padding pair
    ((9, 32, 8, 8), (33, 32, 3, 3), 1, 1),  # more images than weight-gradient chunks, several per job
]
IDS_4X4 = [f"x{x}-w{w}-p{p}".replace(" ", "") for x, w, _, p in WINOGRAD_4X4]
# F(2x2, 5x5) and F(4x4, 3x3), both on the six points 0, +-1, +-2 and infinity, are in float32 several times
# less exact than the direct sum: their transforms scale values by up to 25 (64 for F(4x4)'s output) before
# the channel sums and cancel them after. Each element is within 1e-4 of torch's, relative to itself or to
# 1e-5 of the array's largest magnitude (measured on these cases: up to 7.6e-6 of it for F(2x2, 5x5), 5.7e-6
# for F(4x4, 3x3); the direct sum 1.3e-6).
SIX_POINT_SCALE = 1e-5


@pytest.fixture
def force():
    """Force a path / weight-gradient kernel / SIMD level / Winograd tile; everything comes back after the
    test."""
    saved = _kernels.force_conv_plan(None, None), _kernels.simd_level(), _kernels.force_winograd_tile(None)

    def set_(path=None, dw=None, level=None, tile=None):
        _kernels.force_conv_plan(path, dw)
        _kernels.force_winograd_tile(tile)
        if level is not None:
            assert _kernels.set_simd_level(level) == level

    yield set_
    _kernels.force_conv_plan(*saved[0])
    _kernels.set_simd_level(saved[1])
    _kernels.force_winograd_tile(saved[2])


def _inputs(x_shape, w_shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return x, w, b


def _pair(value):
    return value if isinstance(value, tuple) else (value, value)


def _plan(x_shape, w_shape, stride=1, padding=0, itemsize=8):
    return _kernels.conv_plan_info(x_shape, w_shape, _pair(stride), _pair(padding), itemsize)


def _winograd_min_channels(itemsize=8, weight_grad=False, kernel=3, wider=0):
    """The rule's: Winograd for 3x3 or 5x5 stride 1 with this many channels in and out (16 float32 channels,
    32 float64, and 2 vectors of them). The weight gradient on F(2x2) tiles: on vectors of at most 32 bytes
    3x3 from 32 channels, 64 with fewer than 128 on the wider side (`wider`; then both with a whole vector
    of tiles per row: _f2_dw_rows), 5x5 as the forward; on wider ones 3x3 from 8 vectors, 5x5 never
    (None)."""
    lanes = _plan((1, 1, 8, 8), (1, 1, 1, 1), itemsize=itemsize)["forward"]["VL"]
    channels = max(4 * itemsize, 2 * lanes)
    if weight_grad and lanes * itemsize > 32:
        return None if kernel == 5 else max(channels, 8 * lanes)
    if weight_grad and kernel == 3:
        return max(channels, 32 if wider >= 128 else 64)
    return channels


def _f2_dw_rows(width, itemsize=8, wider=0):
    """Whether the rule's weight gradient on F(2x2) tiles takes output rows `width` long: on vectors of at
    most 32 bytes with fewer than 128 channels on the wider side a whole vector of 2-wide tiles per row; any
    rows otherwise."""
    lanes = _lanes(itemsize)
    return lanes * itemsize > 32 or wider >= 128 or -(-width // 2) >= lanes


def _wide_tiles(plan):
    """Whether a pass of this plan runs on F(4x4, 3x3) tiles (float32: the six-point tolerance)."""
    passes = ("forward", "input_grad", "weight_grad")
    return any(plan[p]["path"] == "winograd" and plan[p]["tile"] == 4 for p in passes)


def _lanes(itemsize):
    return _plan((1, 1, 8, 8), (1, 1, 1, 1), itemsize=itemsize)["forward"]["VL"]


def _wide_min_tiles(itemsize, weight_grad=False):
    """The rule's F(4x4, 3x3) for a 3x3 pass with few channels: output rows of at least 3 tiles of 4 and half
    a vector of them, the fewest that _wide_tile takes; the weight gradient on vectors of at most 32 bytes a
    whole vector of them."""
    lanes = _lanes(itemsize)
    if weight_grad and lanes * itemsize <= 32:
        return max(3, lanes)
    return next(t for t in range(max(3, -(-lanes // 2)), 4 * lanes) if _wide_tile(4 * t, itemsize))


def _wide_dw_min_channels(itemsize):
    """The rule's weight gradient on F(4x4, 3x3) tiles: the forward's channels and at least 24 on vectors of
    at most 32 bytes, 4 vectors of them on wider ones."""
    lanes = _lanes(itemsize)
    return max(_winograd_min_channels(itemsize), 24 if lanes * itemsize <= 32 else 4 * lanes)


def _wide_tile(width, itemsize, weight_grad=False, channels=0, wider=0):
    """Whether the rule gives a 3x3 pass with output rows `width` long F(4x4, 3x3) tiles: at least 3 tiles
    and half a vector of them (on vectors of at most 32 bytes not where the row's 2-wide tiles fill whole
    vectors and its 4-wide ones do not), or with 8 vectors of channels 3 tiles (on narrow vectors 2); a
    weight gradient on narrow vectors a whole vector of tiles and 24 channels, or with 128 channels on the
    wider side (`wider`) 4 tiles and half a vector with 32; on wider vectors half a vector of tiles and 4
    vectors of channels, or 4 tiles and 8 vectors."""
    lanes, tiles = _lanes(itemsize), -(-width // 4)
    half, many, narrow = max(3, -(-lanes // 2)), channels >= 8 * lanes, lanes * itemsize <= 32
    if not weight_grad and many and tiles >= (2 if narrow else 3):
        return True
    if tiles < 3:
        return False
    if not weight_grad:
        return tiles >= half and not (narrow and -(-width // 2) % lanes == 0 and tiles % lanes != 0)
    if narrow:
        return (tiles >= lanes and channels >= 24) or (
            wider >= 128 and tiles >= max(4, half) and channels >= 32
        )
    return (tiles >= half and channels >= 4 * lanes) or (tiles >= 4 and many)


def _winograd_fits(w_shape, stride):
    return _pair(stride) == (1, 1) and w_shape[2:] in ((3, 3), (5, 5))


def _rule_path(stride, w_shape):
    """The path the rule gives every case here (float64): all strided ones have dilation 1 and kernels >=
    stride."""
    if _winograd_fits(w_shape, stride) and min(w_shape[:2]) >= _winograd_min_channels():
        return "winograd"
    return "direct" if _pair(stride) == (1, 1) else "phases"


def _expected_path(path, stride, w_shape):
    """The forward pass's path with `path` forced ("rule": none)."""
    if path == "im2col":
        return "im2col"
    if path == "winograd" and _winograd_fits(w_shape, stride):
        return "winograd"
    return _rule_path(stride, w_shape)


@pytest.mark.parametrize("dw_kernel", ["reduce", "outer"])
@pytest.mark.parametrize("path", ["rule", "im2col", "winograd"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CASES, ids=IDS)
def test_every_path_matches_torch(
    x_shape, w_shape, stride, padding, path, dw_kernel, simd, dtype, force, check_parity
):
    force(None if path == "rule" else path, dw_kernel, simd)
    expected_path = _expected_path(path, stride, w_shape)
    plan = _plan(x_shape, w_shape, stride, padding)
    assert (plan["path"], plan["dw_kernel"]) == (expected_path, dw_kernel)
    if expected_path == "winograd":  # dx too, where dout's padding K - 1 - p is one; dW with more channels
        dx_path = "winograd" if max(_pair(padding)) <= w_shape[2] - 1 else "direct"
        out_width = x_shape[3] + 2 * _pair(padding)[1] - w_shape[3] + 1
        wider = max(w_shape[:2])
        if path == "winograd":
            dw_channels = 0
        elif w_shape[2] == 3 and _wide_tile(out_width, 8, True, min(w_shape[:2]), wider):
            dw_channels = _winograd_min_channels()
        elif _f2_dw_rows(out_width, wider=wider):
            dw_channels = _winograd_min_channels(weight_grad=True, kernel=w_shape[2], wider=wider)
        else:
            dw_channels = None
        dw_path = "winograd" if dw_channels is not None and min(w_shape[:2]) >= dw_channels else "direct"
        assert (plan["input_grad"]["path"], plan["weight_grad"]["path"]) == (dx_path, dw_path)
    wide = dtype == np.float32 and _wide_tiles(_plan(x_shape, w_shape, stride, padding, 4))
    check_parity(
        lambda x, w, b: conv2d_forward(x, w, b, stride=stride, padding=padding),
        conv2d_backward,
        lambda x, w, b: tF.conv2d(x, w, b, stride=stride, padding=padding),
        list(_inputs(x_shape, w_shape, dtype)),
        atol_scale=SIX_POINT_SCALE if wide else 0.0,
    )


@pytest.mark.parametrize("path", ["rule", "winograd"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding", WINOGRAD_5X5, ids=IDS_5X5)
def test_winograd_5x5_matches_torch(
    x_shape, w_shape, stride, padding, path, simd, dtype, force, torch_run, assert_close
):
    """F(2x2, 5x5) on every pass (forced, or as the rule gives it) against torch: float64 to the usual
    tolerance, float32 to SIX_POINT_SCALE of each array's largest magnitude."""
    force(None if path == "rule" else path, None, simd)
    itemsize = np.dtype(dtype).itemsize
    plan = _plan(x_shape, w_shape, stride, padding, itemsize)
    channels = min(w_shape[:2])
    on_winograd = path == "winograd" or channels >= _winograd_min_channels(itemsize)
    c_dw = _winograd_min_channels(itemsize, weight_grad=True, kernel=5)
    out_width = x_shape[3] + 2 * _pair(padding)[1] - 4
    dw_on_winograd = path == "winograd" or (
        c_dw is not None and channels >= c_dw and _f2_dw_rows(out_width, itemsize, max(w_shape[:2]))
    )
    expected = ["winograd" if on_winograd else "direct"] * 2 + ["winograd" if dw_on_winograd else "direct"]
    assert [plan["path"], plan["input_grad"]["path"], plan["weight_grad"]["path"]] == expected
    x, w, b = _inputs(x_shape, w_shape, dtype)
    out, cache = conv2d_forward(x, w, b, stride=stride, padding=padding)
    dout = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    ours = (out, *conv2d_backward(dout, cache))
    theirs, grads = torch_run(
        lambda x, w, b: tF.conv2d(x, w, b, stride=stride, padding=padding), [x, w, b], dout
    )
    for actual, wanted in zip(ours, (theirs, *grads)):
        assert_close(actual, wanted, dtype, SIX_POINT_SCALE if dtype == np.float32 else 0.0)


@pytest.mark.parametrize("tile", ["rule", 4])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding", WINOGRAD_4X4, ids=IDS_4X4)
def test_winograd_4x4_matches_torch(
    x_shape, w_shape, stride, padding, tile, simd, dtype, force, check_parity
):
    """F(4x4, 3x3) tiles on every pass (forced, or where the rule gives them) against torch: float64 to the
    usual tolerance, float32 to SIX_POINT_SCALE of each array's largest magnitude."""
    force("winograd", None, simd, None if tile == "rule" else tile)
    itemsize = np.dtype(dtype).itemsize
    plan = _plan(x_shape, w_shape, stride, padding, itemsize)
    dx_width = x_shape[3]
    out_width = dx_width + 2 * _pair(padding)[1] - 2
    channels = min(w_shape[:2])
    wide = [
        tile == 4 or _wide_tile(width, itemsize, weight_grad, channels, max(w_shape[:2]))
        for width, weight_grad in ((out_width, False), (dx_width, False), (out_width, True))
    ]
    tiles = [plan[p]["tile"] for p in ("forward", "input_grad", "weight_grad")]
    assert tiles == [4 if w else 2 for w in wide]
    assert plan["forward"]["tiles_w"] == -(-out_width // plan["forward"]["tile"])
    check_parity(
        lambda x, w, b: conv2d_forward(x, w, b, stride=stride, padding=padding),
        conv2d_backward,
        lambda x, w, b: tF.conv2d(x, w, b, stride=stride, padding=padding),
        list(_inputs(x_shape, w_shape, dtype)),
        atol_scale=SIX_POINT_SCALE if dtype == np.float32 and any(wide) else 0.0,
    )


def test_path_rule(simd):
    """The plan rule at every SIMD level this machine runs (the mirrors above read its vector width)."""
    x = (2, 3, 8, 8)
    assert _plan(x, (4, 3, 3, 3))["path"] == "direct"
    for itemsize in (4, 8):
        c = _winograd_min_channels(itemsize)
        many, w = (2, c, 8, 8), (c, c, 3, 3)
        assert _plan(many, w, 1, 1, itemsize)["path"] == "winograd"
        assert _plan(many, (c - 1, c, 3, 3), 1, 1, itemsize)["path"] == "direct"
        assert _plan((2, c - 1, 8, 8), (c, c - 1, 3, 3), 1, 1, itemsize)["path"] == "direct"
    assert _winograd_min_channels(4) >= 16 and _winograd_min_channels(8) >= 32
    for itemsize in (4, 8):
        c, lanes = _winograd_min_channels(itemsize, weight_grad=True), _lanes(itemsize)
        assert c >= max(32, _winograd_min_channels(itemsize))
        width = 8 if lanes * itemsize > 32 else max(8, 2 * lanes)  # narrow vectors: a vector of 2-wide tiles
        assert _plan((2, c, 8, width), (c, c, 3, 3), 1, 1, itemsize)["weight_grad"]["path"] == "winograd"
        assert _plan((2, c, 8, width), (c - 1, c, 3, 3), 1, 1, itemsize)["weight_grad"]["path"] == "direct"
        if lanes * itemsize <= 32:
            short = _plan((2, c, 8, 2 * lanes - 2), (c, c, 3, 3), 1, 1, itemsize)["weight_grad"]
            assert short["path"] == "direct"
    for itemsize in (4, 8):  # 5x5: the same channels as 3x3 forward; dW by the vector width
        c = _winograd_min_channels(itemsize)
        five = _plan((2, c, 8, 8), (c, c, 5, 5), 1, 2, itemsize)
        assert (five["path"], five["input_grad"]["path"]) == ("winograd", "winograd")
        assert _plan((2, c, 8, 8), (c - 1, c, 5, 5), 1, 2, itemsize)["path"] == "direct"
        c_dw, lanes = _winograd_min_channels(itemsize, weight_grad=True, kernel=5), _lanes(itemsize)
        width = max(8, 2 * lanes)
        if c_dw is None:
            assert _plan((2, 128, 8, 8), (128, 128, 5, 5), 1, 2, itemsize)["weight_grad"]["path"] == "direct"
        else:
            assert (
                _plan((2, c_dw, 8, width), (c_dw, c_dw, 5, 5), 1, 2, itemsize)["weight_grad"]["path"]
                == "winograd"
            )
            assert (
                _plan((2, c_dw, 8, width), (c_dw - 1, c_dw, 5, 5), 1, 2, itemsize)["weight_grad"]["path"]
                == "direct"
            )
            if lanes * itemsize <= 32:  # narrow vectors: not without a whole vector of 2-wide tiles per row
                short = _plan((2, c_dw, 8, 2 * lanes - 2), (c_dw, c_dw, 5, 5), 1, 2, itemsize)["weight_grad"]
                assert short["path"] == "direct"
    for itemsize in (4, 8):  # F(4x4, 3x3) for wide rows of 3x3 passes; 5x5 keeps F(2x2)
        lanes, width = _lanes(itemsize), 4 * _wide_min_tiles(itemsize)
        narrow_vectors, c = lanes * itemsize <= 32, _winograd_min_channels(itemsize)
        wide = _plan((2, c, 6, width), (c, c, 3, 3), 1, 1, itemsize)
        assert [wide[p]["tile"] for p in ("forward", "input_grad")] == [4, 4]
        assert (wide["forward"]["tiles_h"], wide["forward"]["tiles_w"]) == (2, width // 4)
        if c < 8 * lanes:  # fewer than 8 vectors of channels (float64 on narrow vectors has 8: 2 tiles do)
            narrow = _plan((2, c, 6, width - 4), (c, c, 3, 3), 1, 1, itemsize)
            assert [narrow[p]["tile"] for p in ("forward", "input_grad")] == [2, 2]
            unpadded = _plan((2, c, 6, width - 2), (c, c, 3, 3), 1, 0, itemsize)  # out narrower than dx
            assert [unpadded[p]["tile"] for p in ("forward", "input_grad")] == [2, 4]
        assert _plan((2, c, 6, width), (c, c, 5, 5), 1, 2, itemsize)["forward"]["tile"] == 2
        # 8 vectors of channels (and the Winograd minimum): 3 tiles suffice, on narrow vectors 2
        many = max(8 * lanes, c)
        assert _plan((2, many, 6, 12), (many, many, 3, 3), 1, 1, itemsize)["forward"]["tile"] == 4
        two = _plan((2, many, 6, 8), (many, many, 3, 3), 1, 1, itemsize)["forward"]["tile"]
        assert two == (4 if narrow_vectors else 2)
        assert _plan((2, many, 6, 4), (many, many, 3, 3), 1, 1, itemsize)["forward"]["tile"] == 2
        if width > 12:
            assert _plan((2, many, 6, 12), (many - 1, many, 3, 3), 1, 1, itemsize)["forward"]["tile"] != 4
        # the weight gradient: its own width and channels
        c, width = _wide_dw_min_channels(itemsize), 4 * _wide_min_tiles(itemsize, weight_grad=True)
        dw = _plan((2, c, 6, width), (c, c, 3, 3), 1, 1, itemsize)["weight_grad"]
        assert (dw["path"], dw["tile"]) == ("winograd", 4)
        assert _plan((2, c, 6, width - 4), (c, c, 3, 3), 1, 1, itemsize)["weight_grad"]["tile"] != 4
        assert _plan((2, c, 6, width), (c - 1, c, 3, 3), 1, 1, itemsize)["weight_grad"]["tile"] != 4
        # ... or, on wider vectors, 4 tiles with 8 vectors of channels; on narrow ones with 128 channels on
        # the wider side 4 tiles and half a vector with 32 (and F(2x2) from 32 channels on any rows)
        if narrow_vectors:
            if lanes > 4:
                many_dw = _plan((2, many, 6, 16), (many, many, 3, 3), 1, 1, itemsize)["weight_grad"]
                assert many_dw["tile"] != 4
            assert _plan((2, 32, 6, 16), (128, 32, 3, 3), 1, 1, itemsize)["weight_grad"]["tile"] == 4
            eight = _plan((2, 32, 8, 8), (128, 32, 3, 3), 1, 1, itemsize)["weight_grad"]
            assert (eight["path"], eight["tile"]) == ("winograd", 2)
        else:
            assert _plan((2, many, 6, 16), (many, many, 3, 3), 1, 1, itemsize)["weight_grad"]["tile"] == 4
            if _wide_min_tiles(itemsize, weight_grad=True) > 3:
                assert _plan((2, many, 6, 12), (many, many, 3, 3), 1, 1, itemsize)["weight_grad"]["tile"] != 4
    c = _winograd_min_channels()
    many = (2, c, 8, 8)
    assert _plan(many, (c, c, 7, 7), 1, 3)["path"] == "direct"
    assert _plan(many, (c, c, 5, 3), 1, 1)["path"] == "direct"
    padded5 = _plan(many, (c, c, 5, 5), 1, 5)
    assert (padded5["path"], padded5["input_grad"]["path"]) == ("winograd", "direct")  # dx: padding -1
    assert _plan(many, (c, c, 3, 3), 2, 1)["path"] == "phases"
    dilated = _kernels.conv_plan_info(many, (c, c, 3, 3), (1, 1), (2, 2), 8, (2, 2))
    assert dilated["path"] == "direct"
    padded = _plan(many, (c, c, 3, 3), 1, 3)
    assert (padded["path"], padded["input_grad"]["path"]) == ("winograd", "direct")  # dx: padding -1
    assert _plan(x, (4, 3, 3, 3), 2)["path"] == _plan(x, (4, 3, 3, 3), (1, 2))["path"] == "phases"
    assert _plan(x, (4, 3, 1, 1), 2)["path"] == "im2col"  # a kernel smaller than the stride
    assert _kernels.conv_plan_info(x, (4, 3, 3, 3), (2, 2), (1, 1), 8, (2, 1))["path"] == "im2col"  # dilated
    lanes = _plan(x, (4, 3, 3, 3))["forward"]["VL"]
    whole_rows = _plan((2, 3, 4 * lanes, 4 * lanes), (4, 3, 3, 3), 2, 1)
    assert whole_rows["weight_grad"]["path"] == whole_rows["input_grad"]["path"] == "phases"
    short_rows = _plan((2, 3, 4 * lanes + 2, 4 * lanes + 2), (4, 3, 3, 3), 2, 1)  # 2 * lanes + 1 outputs
    assert short_rows["weight_grad"]["path"] == "im2col"  # the phases weight gradient needs whole rows
    assert short_rows["input_grad"]["path"] == "phases"
    assert _plan((2, 1, 8, 8), (6, 1, 3, 3))["dw_kernel"] == "reduce"
    assert _plan(x, (64, 3, 3, 3))["dw_kernel"] == "reduce"  # 3 -> 64 channels: too few taps to transpose
    assert _plan((2, 2, 8, 8), (16, 2, 4, 4))["dw_kernel"] == "outer"  # 16 filters, 32 taps
    assert _plan((2, 2, 8, 8), (15, 2, 4, 4))["dw_kernel"] == "reduce"
    assert _plan((2, 1, 8, 8), (16, 1, 4, 7))["dw_kernel"] == "reduce"  # 28 taps


def test_plan_grid_and_jobs():
    """Whole output rows where a row is whole vectors, else the wide grid, which alone needs the inf/NaN
    check in the weight gradient; job counts depend on the shapes only."""
    lanes = _plan((1, 1, 8, 8), (1, 1, 1, 1))["forward"]["VL"]
    rows = _plan((1, 3, 2 * lanes, 2 * lanes), (5, 3, 3, 3), 1, 1)
    wide = _plan((1, 3, 2 * lanes + 1, 2 * lanes + 1), (5, 3, 3, 3), 1, 1)
    assert rows["forward"]["rows"] and rows["input_grad"]["rows"] and rows["weight_grad"]["rows"]
    assert not wide["forward"]["rows"] and not wide["input_grad"]["rows"]
    assert not rows["weight_grad"]["check_finite"] and wide["weight_grad"]["check_finite"]
    outer = _plan((1, 3, 2 * lanes + 1, 2 * lanes + 1), (16, 3, 4, 4), 1, 1)  # the outer dW kernel
    assert outer["dw_kernel"] == "outer" and outer["weight_grad"]["rows"]  # reads rows of any length
    assert not outer["weight_grad"]["check_finite"]
    assert rows["forward"]["n_jobs"] == rows["forward"]["parts"] == 8  # batch 1 split in 8 jobs
    # not whole rows: KW column-shifted copies of the image, no dropped columns, given 8 channels to write
    # (out's for the forward, dx's for the input gradient) and a kernel more than 1 wide
    shifted = _plan((1, 8, 2 * lanes + 1, 2 * lanes + 1), (8, 8, 3, 3), 1, 1)
    assert shifted["forward"]["shifted"] and shifted["input_grad"]["shifted"]
    assert shifted["forward"]["q_end"] == (2 * lanes + 1) ** 2
    assert not wide["forward"]["shifted"] and not wide["input_grad"]["shifted"]  # 5 and 3 channels
    assert not rows["forward"]["shifted"]
    one_wide = _plan((1, 3, 2 * lanes + 1, 2 * lanes + 1), (5, 3, 3, 1), 1, 1)  # rows 2*lanes + 3 apart
    assert not one_wide["forward"]["shifted"] and one_wide["forward"]["q_end"] == (2 * lanes + 1) * (
        2 * lanes + 3
    )
    strided = _plan((3, 3, 9, 9), (5, 3, 1, 1), 2)
    assert strided["forward"]["n_jobs"] == 3 * strided["forward"]["blocks"]
    assert not strided["weight_grad"]["check_finite"]
    phases = _plan((3, 3, 9, 9), (5, 3, 3, 3), (2, 3))
    assert phases["input_grad"]["n_jobs"] == 3 * 2  # one row phase of one image's dx


def test_winograd_jobs(force):
    """Whole rows of 2x2 (4x4) tiles per job, within the scratch budget (and at least 8 jobs where the batch
    has the tile rows), their columns a whole number of GEMM panels; the job count depends on the shapes
    only."""
    force("winograd", tile=2)
    small = _plan((64, 32, 8, 8), (32, 32, 3, 3), 1, 1, 4)["forward"]  # 4 x 4 tiles per image
    assert (small["tiles_h"], small["tiles_w"]) == (4, 4)
    assert small["n_jobs"] == -(-64 * 4 // small["per"]) >= 8
    assert small["per"] > 4  # a job spans images
    assert small["block"] >= small["per"] * 4 and small["block"] % 8 == 0
    one = _plan((1, 32, 9, 31), (40, 32, 3, 3), 1, 0, 8)
    assert (one["forward"]["tiles_h"], one["forward"]["tiles_w"]) == (4, 15)
    assert one["forward"]["n_jobs"] == 4 and one["forward"]["per"] == 1  # batch 1: a tile row per job
    assert (one["input_grad"]["tiles_h"], one["input_grad"]["tiles_w"]) == (5, 16)  # dx: 9 x 31
    force("winograd", tile=4)
    wide = _plan((1, 32, 9, 31), (40, 32, 3, 3), 1, 0, 8)
    assert (wide["forward"]["tiles_h"], wide["forward"]["tiles_w"]) == (2, 8)  # 7 x 29 outputs
    assert (wide["input_grad"]["tiles_h"], wide["input_grad"]["tiles_w"]) == (3, 8)
    assert (wide["weight_grad"]["tile"], wide["weight_grad"]["tiles_w"]) == (4, 8)


def test_force_winograd_tile(force):
    with pytest.raises(ValueError, match=r"force_winograd_tile: tile must be 2, 4 or None. Received: 3"):
        _kernels.force_winograd_tile(3)
    force("winograd", tile=4)
    assert _kernels.force_winograd_tile(2) == 4
    assert _plan((2, 32, 8, 8), (32, 32, 3, 3), 1, 1)["forward"]["tile"] == 2
    assert _kernels.force_winograd_tile(None) == 2


def test_force_conv_plan_checks_its_arguments():
    with pytest.raises(ValueError, match=r"force_conv_plan: path must be one of .*Received: 'wide'"):
        _kernels.force_conv_plan("wide")
    with pytest.raises(ValueError, match=r"force_conv_plan: dw_kernel must be one of .*Received: 'inner'"):
        _kernels.force_conv_plan(None, "inner")


def test_force_conv_plan_returns_the_previous_setting(force):
    force("im2col", "outer")
    assert _kernels.force_conv_plan(None, "reduce") == ("im2col", "outer")
    assert _plan((2, 3, 8, 8), (4, 3, 3, 3))["path"] == "direct"
    assert _kernels.force_conv_plan(None, None) == (None, "reduce")


@pytest.mark.parametrize("dw_kernel", ["reduce", "outer"])
@pytest.mark.parametrize("path", ["rule", "im2col"])
@pytest.mark.parametrize(
    "width",
    [3, 8, 18, 34],
    ids=["rows-shorter-than-a-vector", "wide-grid", "whole-rows", "16-columns-at-stride-2"],
)
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_input_gradients_match_torch(bad, stride, width, path, dw_kernel, simd, force):
    """The direct weight gradient runs on a wide pixel grid whose dropped columns hold zeros; an inf or
    NaN there must not turn into NaN where torch has a finite value (that image takes the im2col path).
    Rows of 3 are shorter than a vector (but for the baseline's float64): the masked row copy finds it too.
    At stride 2 the phases path runs (34 columns: 16 output columns, its weight gradient on whole rows)."""
    force(path if path == "im2col" else None, dw_kernel, simd)
    x, w, b = _inputs((3, 2, 7, width), (20, 2, 3, 3), np.float64)
    x[1, 0, 3, width - 1] = bad  # last column: only some taps of the kernel ever see it
    x[2, 1, 0, 0] = bad
    out, cache = conv2d_forward(x, w, b, stride, 0)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tF.conv2d(xt, wt, bt, stride=stride).backward(torch.tensor(dout))
    for ours, theirs in ((dw, wt.grad), (db, bt.grad), (dx, xt.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-10)  # NaN == NaN, inf == inf


@pytest.mark.parametrize("kernel, tile", [(3, 2), (3, 4), (5, 2)], ids=["3x3", "3x3-tile4", "5x5"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("where", ["x", "w", "dout"])
def test_winograd_with_non_finite_operands_runs_the_direct_path(bad, where, kernel, tile, simd, force):
    """Winograd's transforms take differences of neighbouring values: inf - inf would be NaN where the direct
    sum is inf, and a NaN would spread over its whole tile. A pass whose operands (input, filter or
    upstream gradient) hold inf/NaN is computed on the direct path instead: the same values, bit for bit."""
    x, w, b = _inputs((2, 32, 6, 7), (32, 32, kernel, kernel), np.float64)
    dout = np.random.default_rng(1).standard_normal((2, 32, 6, 7))
    operand, index = {"x": (x, (1, 2, 3, 4)), "w": (w, (1, 2, 0, 2)), "dout": (dout, (0, 5, 5, 6))}[where]
    operand[index] = bad
    results = {}
    for path in ("winograd", "direct"):
        force(path, None, simd, tile)
        out, cache = conv2d_forward(x, w, b, 1, kernel // 2)
        results[path] = (out, *conv2d_backward(dout, cache))
    affected = {"x": [0, 2], "w": [0, 1], "dout": [1, 2, 3]}[where]  # out: x, w; dx: dout, w; dW, db: x, dout
    for i in affected:
        np.testing.assert_array_equal(results["winograd"][i], results["direct"][i])  # NaN == NaN


@pytest.mark.parametrize("dw_kernel", ["reduce", "outer"])
@pytest.mark.parametrize(
    "path, tile",
    [("rule", None), ("im2col", None), ("winograd", None), ("winograd", 4)],
    ids=["rule", "im2col", "winograd", "winograd-tile4"],
)
@pytest.mark.parametrize(
    "x_shape, w_shape, stride, padding",
    [CASES[1], CASES[9], CASES[3], CASES[11], CASES[14], CASES[16], STRIDED[4], STRIDED[5], STRIDED[6]]
    + [WINOGRAD_5X5[0], WINOGRAD_5X5[4], WINOGRAD_4X4[1], WINOGRAD_4X4[4]],
)
def test_bit_identical_for_any_thread_count(
    x_shape, w_shape, stride, padding, path, tile, dw_kernel, dtype, force, restore_threads
):
    force(None if path == "rule" else path, dw_kernel, None, tile)
    x, w, b = _inputs(x_shape, w_shape, dtype)
    results = []
    for n_threads in (1, 2, 3):
        convkit.set_num_threads(n_threads)
        out, cache = conv2d_forward(x, w, b, stride, padding)
        dout = np.random.default_rng(2).standard_normal(out.shape).astype(dtype)
        results.append((out, *conv2d_backward(dout, cache)))
    for other in results[1:]:
        for a, b_ in zip(results[0], other):
            assert np.array_equal(a, b_)


# 1x1, stride 1, no padding: the pointwise weight gradient (a GEMM per image, chunks of images)
POINTWISE = [
    ((2, 4, 5, 6), (3, 4, 1, 1)),  # fewer rows and columns than a register tile, 30 pixels
    ((9, 17, 7, 9), (33, 17, 1, 1)),  # more images than chunks, tiles plus a remainder each way
    ((1, 3, 40, 41), (70, 3, 1, 1)),  # batch 1: one chunk; 1,640 pixels, several K blocks
    ((3, 130, 2, 2), (5, 130, 1, 1)),  # 4 pixels, fewer than a vector; many channels
    ((2, 300, 4, 4), (2, 300, 1, 1)),  # columns past the GEMM's column block
]


POINTWISE_IDS = [f"x{x}-w{w}".replace(" ", "") for x, w in POINTWISE]


@pytest.mark.parametrize("x_shape, w_shape", POINTWISE, ids=POINTWISE_IDS)
def test_pointwise_weight_gradient_matches_torch_and_any_thread_count(
    x_shape, w_shape, simd, dtype, force, check_parity, restore_threads
):
    assert _plan(x_shape, w_shape, 1, 0)["weight_grad"]["path"] == "pointwise"
    for forced in ("direct", "im2col"):  # the other paths keep it off, as does a forced dW kernel
        force(forced)
        assert _plan(x_shape, w_shape, 1, 0)["weight_grad"]["path"] != "pointwise"
    force(None, "outer")
    assert _plan(x_shape, w_shape, 1, 0)["weight_grad"]["path"] == "direct"
    force(None)
    assert _plan(x_shape, w_shape, 1, 1)["weight_grad"]["path"] == "direct"  # padded: not pointwise
    check_parity(
        lambda x, w, b: conv2d_forward(x, w, b),
        conv2d_backward,
        lambda x, w, b: tF.conv2d(x, w, b),
        list(_inputs(x_shape, w_shape, dtype)),
    )
    x, w, b = _inputs(x_shape, w_shape, dtype)
    dout = np.random.default_rng(3).standard_normal((x_shape[0], w_shape[0], *x_shape[2:])).astype(dtype)
    _, cache = conv2d_forward(x, w, b)
    results = []
    for n_threads in (1, 2, 3):
        convkit.set_num_threads(n_threads)
        results.append(conv2d_backward(dout, cache)[1:])
    for other in results[1:]:
        for a, b_ in zip(results[0], other):
            assert np.array_equal(a, b_)


def test_large_batch_and_image_use_tiles(force, assert_close):
    """An im2col tile is at most ~256 KB: a 40x40 image with 32 channels needs several per image."""
    force("im2col", None)
    x, w, b = _inputs((2, 32, 40, 40), (8, 32, 3, 3), np.float32)
    out, cache = conv2d_forward(x, w, b, 1, 1)
    dout = np.random.default_rng(3).standard_normal(out.shape).astype(np.float32)
    dx, dw, db = conv2d_backward(dout, cache)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ot = tF.conv2d(xt, wt, bt, padding=1)
    ot.backward(torch.tensor(dout))
    assert_close(out, ot.detach().numpy(), np.float32)
    for ours, theirs in ((dx, xt.grad), (dw, wt.grad), (db, bt.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-3, atol=1e-3)  # long float32 sums


def test_simd_level_control():
    assert _kernels.simd_level() in ("baseline", "avx2", "avx512")
    assert _kernels.best_simd_level() in ("baseline", "avx2", "avx512")
    with pytest.raises(ValueError, match="set_simd_level: name must be one of"):
        _kernels.set_simd_level("sse9")


# (x shape, w shape, stride, padding, dilation, groups): the dilated im2col gather/scatter and the groups
DILATED_GROUPED = [
    ((2, 3, 12, 11), (5, 3, 3, 3), 1, 2, 2, 1),
    ((2, 3, 9, 16), (17, 3, 3, 3), 1, (1, 2), (1, 2), 1),  # 16 output columns: whole rows of vectors
    ((1, 2, 7, 9), (3, 2, 2, 3), 1, (5, 4), (3, 2), 1),  # padding wider than the dilated kernel: dx crops
    ((9, 4, 10, 10), (20, 4, 3, 3), 1, 0, (2, 3), 1),  # more images than dW chunks, the outer dW kernel
    ((2, 40, 10, 10), (33, 40, 3, 3), 2, 2, (2, 3), 1),  # many channels: the outer dW kernel, column groups
    ((9, 8, 7, 7), (16, 2, 3, 2), 1, 1, 1, 4),
    ((2, 16, 9, 9), (16, 1, 3, 3), 1, 2, 2, 16),  # depthwise, dilated
    ((2, 8, 32, 32), (6, 4, 4, 4), 2, 1, 1, 2),  # strided groups: the phases path per group
    ((2, 8, 9, 11), (9, 8, 3, 3), 1, 2, 2, 1),  # column-shifted copies of a dilated kernel
]


@pytest.mark.parametrize("path", ["rule", "im2col"])
@pytest.mark.parametrize("dw_kernel", ["reduce", "outer"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", DILATED_GROUPED, ids=str)
def test_dilated_and_grouped_paths_match_torch_and_any_thread_count(
    x_shape, w_shape, stride, padding, dilation, groups, dw_kernel, path, simd, force, restore_threads
):
    force(path if path == "im2col" else None, dw_kernel)
    x, w, b = _inputs(x_shape, w_shape, np.float64)
    results = []
    for n_threads in (1, 2, 3):
        convkit.set_num_threads(n_threads)
        out, cache = conv2d_forward(x, w, b, stride, padding, dilation, groups)
        dout = np.random.default_rng(2).standard_normal(out.shape)
        results.append((out, *conv2d_backward(dout, cache)))
    for other in results[1:]:
        for a, b_ in zip(results[0], other):
            assert np.array_equal(a, b_)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ot = tF.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    ot.backward(torch.tensor(dout))
    for ours, theirs in zip(results[0], (ot, xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)
