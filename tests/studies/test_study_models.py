"""The models of the kernel-size, depth and residual-block studies: equal parameter counts, plain vs
residual sets, one block kind per residual net."""

import pytest

pytest.importorskip("torch")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from studies.depth_cnns import depth_study  # noqa: E402
from studies.kernel_cnns import KERNEL_SIZES, kernel_size_study  # noqa: E402
from studies.residual_cnns import BLOCKS, residual_block_study, stage_widths  # noqa: E402
from torch_models import ConvBlock, count_parameters, receptive_field  # noqa: E402


def test_kernel_size_study_has_equal_parameter_counts():
    models = kernel_size_study(num_classes=10, in_channels=1, param_budget=100_000)
    assert list(models) == list(KERNEL_SIZES)
    counts = [count_parameters(m) for m in models.values()]
    assert max(counts) <= 1.05 * min(counts)
    assert all(abs(c - 100_000) <= 5_000 for c in counts)
    kernels = {
        name: {m.kernel_size for m in model.modules() if isinstance(m, nn.Conv2d)}
        for name, model in models.items()
    }
    assert kernels == {"3x3": {(3, 3)}, "5x5": {(5, 5)}, "7x7": {(7, 7)}, "1x1+3x3": {(1, 1), (3, 3)}}
    with torch.no_grad():
        for model in models.values():
            assert model.eval()(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_kernel_size_study_rejects_budgets_too_small_to_match():
    with pytest.raises(ValueError, match=r"kernel_size_study: param_budget is too small.*param_budget=1000"):
        kernel_size_study(param_budget=1000)


def test_depth_study():
    models = depth_study(10, 1, depths=(2, 4, 6), width=8)
    assert sorted(models) == sorted(f"{k}_{d}" for k in ("plain", "residual") for d in (2, 4, 6))
    for name, build in models.items():
        model = build()
        depth = int(name.split("_")[1])
        convs3x3 = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
        assert len(convs3x3) == depth
        skips = [b.shortcut is not None for b in model.modules() if isinstance(b, ConvBlock)]
        assert all(skips) if name.startswith("residual") else not any(skips)
        assert model.eval()(torch.randn(1, 1, 28, 28)).shape == (1, 10)
    with pytest.raises(ValueError, match=r"depth_study: depths must be even"):
        depth_study(depths=(3,))


def test_skips_add_no_receptive_field():
    depth = depth_study(depths=(4,), width=4)
    assert receptive_field(depth["residual_4"](), 28) == receptive_field(depth["plain_4"](), 28) == (14, 14)


def test_depth_nets_start_from_he_weights():
    torch.manual_seed(0)
    x = torch.randn(64, 1, 28, 28)
    models = depth_study(depths=(16,))
    plain = models["plain_16"]()
    assert all(bool((m.bias == 0).all()) for m in plain.modules() if isinstance(m, nn.Conv2d))
    with torch.no_grad():
        # PyTorch's default init shrinks a 16-conv plain stack's output to ~0.03 of the input's scale
        assert plain.features(x).std() > 0.1
        assert models["residual_16"]().eval()(x).shape == (64, 10)


def test_residual_block_study_has_equal_parameter_counts_and_one_block_kind_each():
    models = residual_block_study(num_classes=10, in_channels=1, param_budget=40_000)
    assert list(models) == list(BLOCKS)
    counts = [count_parameters(m) for m in models.values()]
    assert max(counts) <= 1.05 * min(counts) and all(abs(c - 40_000) <= 2_000 for c in counts)
    for name, model in models.items():
        kinds = {type(m) for m in model.modules() if isinstance(m, tuple(BLOCKS.values()))}
        assert kinds == {BLOCKS[name]}
        assert model.eval()(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    fields = {name: receptive_field(model, 160) for name, model in models.items()}
    assert fields["bottleneck"] < fields["basic"] == fields["wide"]  # one 3x3 conv per block, not two
    assert stage_widths(64) == (8, 16, 32, 64)
    with pytest.raises(ValueError, match=r"residual_block_study: param_budget is too small"):
        residual_block_study(param_budget=1000)
