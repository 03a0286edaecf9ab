"""Study 14: the hand-written autograd layers of ``torch_models.layers`` against torch's own modules (or the
same formula written with differentiable torch ops): outputs, gradients and forward+backward time.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import SqueezeExcitation

from torch_models.layers import ChannelAttention, Mish, MixedPool2d, Swish, WSConv2d
from torch_models.train import seed_everything

from . import plots
from .context import StudyContext
from .registry import study
from .report import Report
from .timing import MIN_WINDOW_S, time_interleaved

TITLE = "Custom autograd layers vs torch.nn: outputs, gradients, speed"
LAB_ITEM = "Lab D, item 1: custom autograd layers"
DATA = "random normal tensors (no data set)"


class StandardizedConv2d(nn.Conv2d):
    """Weight standardization written with differentiable torch ops: autograd derives the backward."""

    def __init__(self, *args, eps: float = 1e-5, **kwargs):
        super().__init__(*args, **kwargs)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        filters = self.weight.flatten(1)  # (O, I*KH*KW)
        mean = filters.mean(1, keepdim=True)
        var = filters.var(1, unbiased=False, keepdim=True)
        w_hat = ((filters - mean) / torch.sqrt(var + self.eps)).view_as(self.weight)
        return F.conv2d(x, w_hat, self.bias, self.stride, self.padding, self.dilation, self.groups)


class MaxAvgMix(nn.Module):
    """``sigmoid(mix_logit) * max_pool2d + (1 - sigmoid(mix_logit)) * avg_pool2d`` with torch ops."""

    def __init__(self, kernel_size: int):
        super().__init__()
        self.kernel_size = kernel_size
        self.mix_logit = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = torch.sigmoid(self.mix_logit)
        return a * F.max_pool2d(x, self.kernel_size) + (1 - a) * F.avg_pool2d(x, self.kernel_size)


@dataclasses.dataclass
class Pair:
    """A custom layer, its reference, and the input shape both take."""

    name: str
    reference_name: str
    custom: nn.Module
    reference: nn.Module
    input_shape: tuple[int, int, int, int]

    def tie(self) -> list[tuple[nn.Parameter, nn.Parameter]]:
        """Copy the custom layer's parameters into the reference (in order, reshaped); return the pairs."""
        pairs = list(zip(self.custom.parameters(), self.reference.parameters()))
        with torch.no_grad():
            for mine, theirs in pairs:
                theirs.copy_(mine.reshape(theirs.shape))
        return pairs


def _pairs(channels: int, side: int, batch: int) -> list[Pair]:
    shape = (batch, channels, side, side)
    return [
        Pair("Swish", "nn.SiLU", Swish(), nn.SiLU(), shape),
        Pair("Mish", "nn.Mish", Mish(), nn.Mish(), shape),
        Pair(
            "ChannelAttention",
            "torchvision SqueezeExcitation",
            ChannelAttention(channels, reduction=4),
            SqueezeExcitation(channels, channels // 4),
            shape,
        ),
        Pair(
            "WSConv2d",
            "Conv2d on standardized weights (torch ops)",
            WSConv2d(channels, channels, 3, padding=1),
            StandardizedConv2d(channels, channels, 3, padding=1),
            shape,
        ),
        Pair("MixedPool2d", "max/avg pool mix (torch ops)", MixedPool2d(2), MaxAvgMix(2), shape),
    ]


def _max_differences(pair: Pair, dtype: torch.dtype) -> tuple[float, float, float]:
    """Max |difference| of outputs, input gradients and parameter gradients for one random input and
    one random upstream gradient."""
    pair.custom.to(dtype)
    pair.reference.to(dtype)
    params = pair.tie()
    x = torch.randn(pair.input_shape, dtype=dtype)
    results = []
    for module in (pair.custom, pair.reference):
        module.zero_grad(set_to_none=True)
        xi = x.clone().requires_grad_(True)
        y = module(xi)
        results.append((y, xi))
    upstream = torch.randn_like(results[0][0])
    for y, _ in results:
        y.backward(upstream)
    (y_custom, x_custom), (y_ref, x_ref) = results
    output = float((y_custom - y_ref).detach().abs().max())
    grad_x = float((x_custom.grad - x_ref.grad).abs().max())
    grad_params = max(
        (float((mine.grad.reshape(-1) - theirs.grad.reshape(-1)).abs().max()) for mine, theirs in params),
        default=0.0,
    )
    return output, grad_x, grad_params


def _gradcheck(pair: Pair) -> bool:
    """``torch.autograd.gradcheck`` of the custom layer in float64 on a random input of the pair's shape,
    with respect to the input and every parameter.
    """
    module = pair.custom.to(torch.float64)
    names = [name for name, _ in module.named_parameters()]
    weights = [p.detach().clone().requires_grad_(True) for p in module.parameters()]
    x = torch.randn(pair.input_shape, dtype=torch.float64, requires_grad=True)

    def layer(x: torch.Tensor, *weights: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(module, dict(zip(names, weights)), (x,))

    return bool(torch.autograd.gradcheck(layer, (x, *weights)))


def _forward_backward(module: nn.Module, x: torch.Tensor):
    """One forward + backward of ``module`` on a copy of ``x`` (gradients reset first), for timing."""
    x = x.clone().requires_grad_(True)

    def step() -> None:
        module.zero_grad(set_to_none=True)
        x.grad = None
        module(x).sum().backward()

    return step


@study(14)
def run(ctx: StudyContext) -> Report:
    report = Report("custom_layers", TITLE, ctx)
    channels = 32
    side = ctx.pick(full=32, quick=32, tiny=8)
    batch = ctx.pick(full=64, quick=32, tiny=4)
    window = ctx.pick(full=MIN_WINDOW_S, quick=MIN_WINDOW_S, tiny=0.01)
    seed_everything(ctx.seed)
    pairs = _pairs(channels, side, batch)

    rows, speed_rows, ratios = [], [], {}
    worst: dict[str, float] = {}
    # gradcheck perturbs every input and weight: a 4-channel copy of each layer keeps that cheap
    for pair, small in zip(pairs, _pairs(channels=4, side=4, batch=2)):
        seed_everything(ctx.seed)
        diffs = {dtype: _max_differences(pair, dtype) for dtype in (torch.float32, torch.float64)}
        worst[pair.name] = max(diffs[torch.float64])
        rows.append(
            [pair.name, pair.reference_name, *diffs[torch.float32], *diffs[torch.float64], _gradcheck(small)]
        )
        pair.custom.float()
        pair.reference.float()
        pair.tie()
        x = torch.randn(pair.input_shape)
        timing = time_interleaved(
            {"custom": _forward_backward(pair.custom, x), "reference": _forward_backward(pair.reference, x)},
            min_window_s=window,
        )
        custom, reference = timing["custom"], timing["reference"]
        ratios[pair.name] = custom.seconds / reference.seconds
        speed_rows.append(
            [
                pair.name,
                1e3 * custom.seconds,
                1e3 * reference.seconds,
                ratios[pair.name],
                f"custom: {custom.conditions()}; reference: {reference.conditions()}",
            ]
        )
        windows = custom.windows

    largest = max(worst, key=worst.get)
    slowest = max(ratios, key=ratios.get)
    fastest = min(ratios, key=ratios.get)
    passed = all(row[-1] for row in rows)
    report.headline = (
        f"largest float64 difference from the reference {worst[largest]:.1e} ({largest}); gradcheck "
        f"{'passes for all' if passed else 'FAILS for some'} of {len(pairs)} layers; forward+backward "
        "times in the table, with their conditions"
    )
    report.text(
        f"Data: {DATA}; the layers are checked and timed, not trained. "
        f"Each of the {len(pairs)} layers of torch_models.layers is a torch.autograd.Function with a "
        "hand-written backward. Each runs beside a reference with the same parameters: torch's own module "
        "where there is one, otherwise the same formula in differentiable torch ops (autograd then derives "
        f"the backward). On one random input of shape {pairs[0].input_shape} and one random upstream "
        f"gradient the largest difference in float64 (outputs, input gradients or parameter gradients) is "
        f"{worst[largest]:.1e}, for {largest}; gradcheck (finite differences, float64) "
        f"{'passes for every layer' if passed else 'fails for some layer'}. "
        f"Forward + backward on the CPU (float32, median of {windows} windows of at least {window:g} s, "
        f"custom and reference interleaved) takes {ratios[fastest]:.2g} "
        f"times the reference's time for {fastest} and {ratios[slowest]:.2g} times for {slowest}; the "
        "table gives every time with the threads and machine load it was measured under. "
        "Operations this small take well under a millisecond to a few milliseconds, and their time depends "
        "on which CPU kernel torch dispatches each op to on this machine: a ratio far from 1 says more about "
        "those kernels (a slow elementwise op or a small-convolution path) than about the backward formula."
    )
    report.table(
        [
            "layer",
            "reference",
            "out f32",
            "grad x f32",
            "grad params f32",
            "out f64",
            "grad x f64",
            "grad params f64",
            "gradcheck",
        ],
        rows,
        caption="Max absolute difference from the reference",
    )
    report.table(
        [
            "layer",
            "custom (ms)",
            "reference (ms)",
            "custom / reference",
            "conditions",
        ],
        speed_rows,
        caption=f"Forward + backward time, float32, input {pairs[0].input_shape}",
    )
    report.figure(
        "speed.png",
        plots.bar(list(ratios), list(ratios.values()), "Custom / reference forward+backward time", "ratio"),
        "Time of the custom layer relative to its reference (1 = as fast)",
    )
    report.settings.update(
        {
            "data": f"{DATA}, inputs of shape {pairs[0].input_shape}",
            "timing": f"studies.timing.time_interleaved, windows >= {window:g} s, median of 3",
            "dtypes": "float32 and float64 (differences), float32 (time)",
            "device": "cpu",
        }
    )
    return report
