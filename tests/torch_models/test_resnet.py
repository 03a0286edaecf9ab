"""ResNet family: torchvision parity of ResNet-50, shapes of every factory and block, argument checks."""

import pytest
import torch
import torchvision
from torch import nn

import torch_models
from torch_models import BasicBlock, Bottleneck, WideBasicBlock, conv1x1, count_parameters


def _randomize_batchnorm(model: nn.Module) -> None:
    """Non-trivial BatchNorm scales, shifts and running statistics, so that eval outputs depend on them."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


def test_resnet50_matches_torchvision():
    torch.manual_seed(0)
    ours = torch_models.resnet50(num_classes=1000, in_channels=3)
    theirs = torchvision.models.resnet50()
    _randomize_batchnorm(theirs)

    assert count_parameters(ours) == count_parameters(theirs) == 25_557_032
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in theirs.state_dict().items()
    }
    ours.load_state_dict(theirs.state_dict(), strict=True)

    ours.eval()
    theirs.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=0)

    ours.train()
    theirs.train()
    x.requires_grad_(True)
    (grad_ours,) = torch.autograd.grad(ours(x).square().sum(), x)
    (grad_theirs,) = torch.autograd.grad(theirs(x).square().sum(), x)
    torch.testing.assert_close(grad_ours, grad_theirs)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (torch_models.resnet18, torchvision.models.resnet18),
        (torch_models.resnet50, torchvision.models.resnet50),
    ],
    ids=["basic", "bottleneck"],
)
def test_zero_init_residual_as_torchvision(ours, theirs):
    def zeroed(model):
        return {k for k, v in model.state_dict().items() if k.endswith("weight") and not v.any()}

    mine = zeroed(ours(zero_init_residual=True))
    assert mine == zeroed(theirs(zero_init_residual=True))
    assert mine  # the last BatchNorm of every block
    assert not zeroed(ours())


FACTORIES = [
    (torch_models.resnet18, 512),
    (torch_models.resnet34, 512),
    (torch_models.resnet50, 2048),
    (torch_models.resnet101, 2048),
    (torch_models.wide_resnet18, 512),
]


@pytest.mark.parametrize("factory, features", FACTORIES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_factory_output_shapes(factory, features):
    model = factory(num_classes=7, in_channels=1).eval()
    assert model.fc.in_features == features
    with torch.no_grad():
        assert model(torch.randn(2, 1, 64, 64)).shape == (2, 7)


@pytest.mark.parametrize("factory, features", FACTORIES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_small_input_stem(factory, features):
    model = factory(num_classes=10, in_channels=3, small_input=True).eval()
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1)
    assert isinstance(model.maxpool, nn.Identity)
    stages = nn.Sequential(
        model.conv1, model.bn1, model.relu, model.layer1, model.layer2, model.layer3, model.layer4
    )
    with torch.no_grad():
        x = torch.randn(1, 3, 16, 16)
        assert stages(x).shape == (1, features, 2, 2)  # only the three stride-2 stages shrink: 16 / 8
        assert model(x).shape == (1, 10)


@pytest.mark.parametrize("block", [BasicBlock, Bottleneck, WideBasicBlock])
def test_block_shapes(block):
    planes = 16
    out_channels = planes * block.expansion
    with torch.no_grad():
        keep = block(out_channels, planes).eval()
        assert keep(torch.randn(2, out_channels, 8, 8)).shape == (2, out_channels, 8, 8)
        downsample = nn.Sequential(conv1x1(8, out_channels, stride=2), nn.BatchNorm2d(out_channels))
        shrink = block(8, planes, 2, downsample).eval()
        assert shrink(torch.randn(2, 8, 8, 8)).shape == (2, out_channels, 4, 4)


def test_bottleneck_strides_on_the_3x3_conv():
    downsample = nn.Sequential(conv1x1(64, 128, stride=2), nn.BatchNorm2d(128))
    block = Bottleneck(64, 32, stride=2, downsample=downsample)
    assert block.conv1.stride == (1, 1) and block.conv3.stride == (1, 1)
    assert block.conv2.stride == (2, 2) and block.conv2.kernel_size == (3, 3)


def test_wide_block_widens_inside_only():
    block = WideBasicBlock(32, 32, widen_factor=4, dropout=0.5)
    assert block.conv1.out_channels == 128 and block.conv2.in_channels == 128
    assert block.conv2.out_channels == 32
    assert block.dropout.p == 0.5
    narrow = count_parameters(torch_models.resnet18(10))
    assert count_parameters(torch_models.wide_resnet18(10, widen_factor=2)) > 1.8 * narrow


def test_stage_widths():
    model = torch_models.ResNet(Bottleneck, [1, 1, 1, 1], 10, 1, small_input=True, widths=(8, 16, 24, 32))
    assert model.conv1.out_channels == 8 and model.layer1[0].conv1.in_channels == 8
    assert [
        stage[0].conv2.out_channels for stage in (model.layer1, model.layer2, model.layer3, model.layer4)
    ] == [8, 16, 24, 32]
    assert model.fc.in_features == 32 * Bottleneck.expansion
    with torch.no_grad():
        assert model.eval()(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match=r"ResNet: widths must hold 4 stage widths"):
        torch_models.ResNet(BasicBlock, [1, 1, 1, 1], widths=(8, 16))


def test_residual_block_with_zeroed_branch_is_identity():
    block = BasicBlock(8, 8).eval()
    nn.init.zeros_(block.last_bn.weight)
    nn.init.zeros_(block.last_bn.bias)
    x = torch.rand(2, 8, 5, 5)  # non-negative, so the final ReLU keeps it
    with torch.no_grad():
        torch.testing.assert_close(block(x), x)


def test_bad_arguments_are_checked_once_by_the_class_that_uses_them():
    with pytest.raises(
        ValueError, match=r"^ResNet: num_classes must be a positive int\. Received: num_classes=0$"
    ):
        torch_models.resnet50(num_classes=0)
    with pytest.raises(
        TypeError, match=r"ResNet: in_channels must be a positive int\. Received: in_channels='3'"
    ):
        torch_models.resnet18(in_channels="3")
    with pytest.raises(ValueError, match=r"WideBasicBlock: dropout must be a float in \[0\.0, 1\.0\)"):
        torch_models.wide_resnet18(dropout=1.0)
    with pytest.raises(ValueError, match=r"ResNet: layers must hold 4 stage depths"):
        torch_models.ResNet(BasicBlock, [2, 2, 2])
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'small_inputs'"):
        torch_models.resnet34(small_inputs=True)  # a misspelt option reaches ResNet and is refused there
