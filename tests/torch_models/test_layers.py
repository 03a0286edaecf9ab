"""Custom autograd layers: gradcheck of every hand-written backward in float64, and parity with the
torch.nn (or torchvision) counterpart in forward values and gradients."""

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.autograd import gradcheck

from torch_models.layers import (
    ChannelAttention,
    ChannelAttentionFunction,
    Mish,
    MishFunction,
    MixedPool2d,
    MixedPool2dFunction,
    Swish,
    SwishFunction,
    WSConv2d,
    WSConv2dFunction,
)


def _double(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64, requires_grad=True)


def _forward_and_grads(fn, inputs, grad_out):
    """fn(*inputs) and the gradients of <fn(*inputs), grad_out> w.r.t. every input."""
    out = fn(*inputs)
    return out, torch.autograd.grad(out, inputs, grad_out)


def _standardized(weight, eps):
    flat = weight.reshape(weight.shape[0], -1)
    mean = flat.mean(1, keepdim=True)
    var = flat.var(1, unbiased=False, keepdim=True)
    return ((flat - mean) / torch.sqrt(var + eps)).view_as(weight)


# -- weight-standardized convolution -------------------------------------------------------------------


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 1, 1, 1), (2, 0, 1, 2), (1, 2, 2, 1)])
def test_ws_conv_gradcheck(stride, padding, dilation, groups):
    x, w, b = _double(2, 4, 7, 7), _double(6, 4 // groups, 3, 3, seed=1), _double(6, seed=2)
    assert gradcheck(
        lambda x, w, b: WSConv2dFunction.apply(
            x, w, b, (stride,) * 2, (padding,) * 2, (dilation,) * 2, groups, 1e-5
        ),
        (x, w, b),
    )


def test_ws_conv_matches_conv2d_of_standardized_weights():
    torch.manual_seed(0)
    layer = WSConv2d(3, 5, kernel_size=3, stride=2, padding=1).double()
    x = _double(2, 3, 9, 9)
    grad_out = torch.randn(2, 5, 5, 5, dtype=torch.float64)
    params = (x, layer.weight, layer.bias)
    out, grads = _forward_and_grads(lambda x, w, b: layer(x), params, grad_out)
    expected, expected_grads = _forward_and_grads(
        lambda x, w, b: F.conv2d(x, _standardized(w, layer.eps), b, stride=2, padding=1), params, grad_out
    )
    assert out.grad_fn.name() == "WSConv2dFunctionBackward"
    torch.testing.assert_close(out, expected)
    for got, want in zip(grads, expected_grads):
        torch.testing.assert_close(got, want)


def test_ws_conv_is_invariant_to_affine_changes_of_its_filters():
    torch.manual_seed(0)
    layer = WSConv2d(2, 3, kernel_size=3, bias=False, eps=1e-12).double()
    x = _double(1, 2, 6, 6).detach()
    out = layer(x)
    with torch.no_grad():
        layer.weight.mul_(7.0).add_(3.0)  # an affine change of every filter is standardized away
    torch.testing.assert_close(layer(x), out)


def test_ws_conv_rejects_string_padding():
    with pytest.raises(
        ValueError, match=r"WSConv2d: padding must be an int or a pair\. Received: padding='same'"
    ):
        WSConv2d(2, 2, 3, padding="same")


# -- channel attention ---------------------------------------------------------------------------------


def test_channel_attention_gradcheck():
    x = _double(2, 6, 4, 5)
    w1, b1, w2, b2 = _double(3, 6, seed=1), _double(3, seed=2), _double(6, 3, seed=3), _double(6, seed=4)
    assert gradcheck(ChannelAttentionFunction.apply, (x, w1, b1, w2, b2))


def test_channel_attention_matches_torchvision_squeeze_excitation():
    torch.manual_seed(0)
    ours = ChannelAttention(8, reduction=4).double()
    theirs = torchvision.ops.SqueezeExcitation(8, 2).double()
    with torch.no_grad():
        theirs.fc1.weight.copy_(ours.squeeze.weight[:, :, None, None])
        theirs.fc1.bias.copy_(ours.squeeze.bias)
        theirs.fc2.weight.copy_(ours.excite.weight[:, :, None, None])
        theirs.fc2.bias.copy_(ours.excite.bias)
    x = _double(3, 8, 5, 5)
    grad_out = torch.randn(3, 8, 5, 5, dtype=torch.float64)
    out, (grad_x,) = _forward_and_grads(ours, (x,), grad_out)
    expected, (expected_grad_x,) = _forward_and_grads(theirs, (x,), grad_out)
    assert out.grad_fn.name() == "ChannelAttentionFunctionBackward"
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(grad_x, expected_grad_x)
    ours_w1 = torch.autograd.grad(ours(x), ours.squeeze.weight, grad_out)[0]
    theirs_w1 = torch.autograd.grad(theirs(x), theirs.fc1.weight, grad_out)[0]
    torch.testing.assert_close(ours_w1, theirs_w1[:, :, 0, 0])


# -- activations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [SwishFunction, MishFunction], ids=["swish", "mish"])
def test_activation_gradcheck(function):
    x = _double(4, 5) * 4  # covers the saturated ends
    assert gradcheck(function.apply, (x.detach().requires_grad_(),))


@pytest.mark.parametrize("ours, theirs", [(Swish(), nn.SiLU()), (Mish(), nn.Mish())], ids=["swish", "mish"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_activation_matches_torch(ours, theirs, dtype):
    x = (torch.linspace(-20, 20, 401, dtype=dtype)).requires_grad_()
    grad_out = torch.ones_like(x)
    out, (grad,) = _forward_and_grads(ours, (x,), grad_out)
    expected, (expected_grad,) = _forward_and_grads(theirs, (x,), grad_out)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(grad, expected_grad)


# -- mixed pooling -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (3, 1, 0)])
def test_mixed_pool_gradcheck(kernel, stride, padding):
    x, logit = _double(2, 3, 7, 7), _double((), seed=1)
    args = ((kernel, kernel), (stride, stride), (padding, padding))
    assert gradcheck(lambda x, logit: MixedPool2dFunction.apply(x, logit, *args), (x, logit))


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1)])
def test_mixed_pool_matches_max_and_avg_pool(kernel, stride, padding):
    x = _double(2, 3, 8, 8)
    grad_out = torch.randn(2, 3, *F.max_pool2d(x, kernel, stride, padding).shape[2:], dtype=torch.float64)
    maxpool, avgpool = nn.MaxPool2d(kernel, stride, padding), nn.AvgPool2d(kernel, stride, padding)
    for alpha in (0.0, 0.3, 1.0):
        pool = MixedPool2d(kernel, stride, padding, alpha=alpha, learnable=False)
        out, (grad_x,) = _forward_and_grads(pool, (x,), grad_out)
        expected, (expected_grad_x,) = _forward_and_grads(
            lambda x, a=alpha: a * maxpool(x) + (1 - a) * avgpool(x), (x,), grad_out
        )
        assert out.grad_fn.name() == "MixedPool2dFunctionBackward"
        torch.testing.assert_close(out, expected)
        torch.testing.assert_close(grad_x, expected_grad_x)


def test_mixed_pool_learns_its_mix():
    pool = MixedPool2d(2, alpha=0.5)
    assert isinstance(pool.mix_logit, nn.Parameter)
    x = torch.randn(4, 2, 6, 6)
    pool(x).sum().backward()
    # d/dlogit = sum(max - avg) * a (1 - a) > 0: max-pooling is never below the average
    expected = (F.max_pool2d(x, 2) - F.avg_pool2d(x, 2)).sum() * 0.25
    torch.testing.assert_close(pool.mix_logit.grad, expected)
    frozen = MixedPool2d(2, alpha=0.5, learnable=False)
    assert not list(frozen.parameters()) and "mix_logit" in dict(frozen.named_buffers())


def test_mixed_pool_bad_arguments():
    with pytest.raises(ValueError, match=r"MixedPool2d: padding must be between 0 and half the kernel size"):
        MixedPool2d(2, padding=2)
    with pytest.raises(
        ValueError, match=r"MixedPool2d: alpha must be a float in \[0\.0, 1\.0\]\. Received: alpha=1\.5"
    ):
        MixedPool2d(2, alpha=1.5)
    with pytest.raises(TypeError, match=r"MixedPool2d: kernel_size must be an int or a pair of ints"):
        MixedPool2d("2")


def test_layers_train_inside_a_network():
    torch.manual_seed(0)
    model = nn.Sequential(
        WSConv2d(1, 8, 3, padding=1),
        nn.GroupNorm(2, 8),
        Mish(),
        ChannelAttention(8, reduction=2),
        MixedPool2d(2),
        Swish(),
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 3),
    )
    x, y = torch.randn(12, 1, 8, 8), torch.arange(12) % 3
    x[y == 0, :, :4] += 2
    x[y == 1, :, 4:] += 2
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_layers_backpropagate_under_bf16_autocast():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 1),
        WSConv2d(8, 8, 3, padding=1),
        Mish(),
        ChannelAttention(8, reduction=2),
        MixedPool2d(2),
        Swish(),
    )
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(torch.randn(4, 1, 8, 8))
    assert out.dtype == torch.bfloat16
    out.float().square().sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.dtype == torch.float32 and torch.isfinite(p.grad).all(), name
