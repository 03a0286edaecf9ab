"""upsampling2d_* and zero_padding2d_* against torch's interpolate (align_corners=False) and pad, on odd
shapes."""

import pytest

from convkit.functional import (
    upsampling2d_backward,
    upsampling2d_forward,
    zero_padding2d_backward,
    zero_padding2d_forward,
)

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize(
    ("shape", "size"),
    [((2, 3, 5, 7), 2), ((1, 2, 3, 4), (3, 2)), ((2, 1, 1, 5), 3), ((1, 1, 4, 3), 1)],
    ids=str,
)
def test_upsampling_matches_torch(interpolation, shape, size, dtype, layout, rng, check_parity):
    x = rng.standard_normal(shape).astype(dtype)
    check_parity(
        lambda t: upsampling2d_forward(t, size, interpolation),
        upsampling2d_backward,
        lambda t: torch.nn.Upsample(scale_factor=size, mode=interpolation)(t),
        [x],
        layout,
    )


@pytest.mark.parametrize("padding", [1, (2, 0), ((0, 3), (2, 1))], ids=str)
def test_zero_padding_matches_torch(padding, dtype, layout, rng, check_parity):
    x = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
    if isinstance(padding, int):
        torch_padding = (padding,) * 4
    elif isinstance(padding[0], int):
        torch_padding = (padding[1], padding[1], padding[0], padding[0])
    else:
        torch_padding = (*padding[1], *padding[0])
    check_parity(
        lambda t: zero_padding2d_forward(t, padding),
        zero_padding2d_backward,
        lambda t: tF.pad(t, torch_padding),
        [x],
        layout,
    )
