"""The small models: LeNet's exact layout, MLP, simple and residual CNNs."""

import numpy as np
import pytest
import torch
from torch import nn

import torch_models
from torch_models import ConvBlock


def test_lenet_layout_matches_convkit_order():
    model = torch_models.lenet(num_classes=10, in_channels=1)
    kinds = [type(m).__name__ for m in model]
    expected = "Conv2d ReLU MaxPool2d Conv2d ReLU MaxPool2d Flatten Linear ReLU Linear ReLU Linear"
    assert kinds == expected.split()
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [
        (6, 1, 3, 3),
        (6,),
        (16, 6, 3, 3),
        (16,),
        (120, 400),
        (120,),
        (84, 120),
        (84,),
        (10, 84),
        (10,),
    ]


def test_lenet_takes_convkit_lenet_weights():
    from convkit import interop
    from convkit import models as convkit_models

    reference = convkit_models.lenet(num_classes=10, in_channels=1, image_size=28)
    reference.build(seed=0)
    ours = torch_models.lenet(num_classes=10, in_channels=1, image_size=28)
    ours.load_state_dict(interop.to_torch(reference).state_dict(), strict=True)
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(
            ours(torch.from_numpy(x)).numpy(), reference.forward(x), rtol=1e-4, atol=1e-5
        )


def test_lenet_feature_sizes():
    model = torch_models.lenet(num_classes=10, in_channels=1)
    x = torch.randn(2, 1, 28, 28)
    sides = []
    for layer in model[:6]:
        x = layer(x)
        sides.append(x.shape[-1])
    assert sides == [26, 26, 13, 11, 11, 5]
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    rgb32 = torch_models.lenet(num_classes=4, in_channels=3, image_size=32)
    assert rgb32[7].in_features == 16 * 6 * 6
    assert rgb32(torch.randn(1, 3, 32, 32)).shape == (1, 4)


def test_lenet_rejects_inputs_too_small():
    with pytest.raises(ValueError, match=r"lenet: image_size must be an int >= 10\. Received: image_size=9"):
        torch_models.lenet(image_size=9)


@pytest.mark.parametrize("hidden_sizes, linears", [((256, 128), 3), ((512, 256, 128), 4)])
def test_mlp_depth(hidden_sizes, linears):
    model = torch_models.mlp(10, 1, 28, hidden_sizes=hidden_sizes, dropout=0.2)
    assert sum(isinstance(m, nn.Linear) for m in model) == linears
    assert sum(isinstance(m, nn.Dropout) for m in model) == linears - 1
    assert model[1].in_features == 28 * 28
    assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize("num_conv", [2, 3])
def test_simple_cnn(num_conv):
    model = torch_models.simple_cnn(10, 1, num_conv=num_conv, width=8)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8 * 2**i for i in range(num_conv)]
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_conv_block_skip_is_the_only_difference():
    torch.manual_seed(0)
    residual = ConvBlock(4, 4, residual=True)
    plain = ConvBlock(4, 4, residual=False)
    plain.load_state_dict(residual.state_dict())
    x = torch.rand(2, 4, 6, 6)
    with torch.no_grad():
        nn.init.zeros_(residual.conv2.weight)
        nn.init.zeros_(residual.conv2.bias)
        torch.testing.assert_close(residual(x), x)  # the branch adds 0: identity on non-negative inputs
    assert isinstance(ConvBlock(4, 8, residual=True).shortcut[0], nn.Conv2d)  # projection when widening
    assert plain.shortcut is None


def test_residual_cnns():
    plain_residual = torch_models.residual_cnn(10, 1, widths=(8, 16))
    regularized = torch_models.regularized_residual_cnn(10, 1, widths=(8, 16), dropout=0.4)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain_residual.modules())
    assert (
        sum(isinstance(m, nn.BatchNorm2d) for m in regularized.modules()) == 6
    )  # 2 per block, 1 per projection
    assert regularized.dropout.p == 0.4
    for model in (plain_residual, regularized):
        assert all(block.shortcut is not None for block in model.modules() if isinstance(block, ConvBlock))
        assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_bad_widths_follow_the_one_contract():
    with pytest.raises(TypeError, match=r"BlockCNN: widths must be a non-empty sequence of positive ints\. "):
        torch_models.residual_cnn(widths=(8, 2.5))  # wrong type: TypeError
    with pytest.raises(ValueError, match=r"BlockCNN: widths must be .*Received: widths=\(8, 0\)"):
        torch_models.residual_cnn(widths=(8, 0))  # wrong value: ValueError
    with pytest.raises(ValueError, match=r"Received: widths=\(\)"):
        torch_models.residual_cnn(widths=())
