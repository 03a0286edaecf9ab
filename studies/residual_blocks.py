"""Study 15: ResNets built from basic, bottleneck and wide residual blocks at one parameter budget, at
28x28, each trained from 3 seeds on one equal budget."""

from __future__ import annotations

import numpy as np

import torch_models

from .comparison import (
    add_comparison,
    field_method,
    headline,
    mode_setup,
    protocol,
    train_variant,
)
from .context import StudyContext
from .published import compare_with_published
from .registry import study
from .report import Report
from .residual_cnns import BLOCKS, STAGES, WIDEN_FACTOR, residual_block_study, residual_net, stage_widths
from .torch_data import torch_device

TITLE = "Residual blocks: basic vs bottleneck vs wide at equal parameter count, over 3 seeds"
LAB_ITEM = "Lab D, item 2: residual blocks (basic, bottleneck, wide)"
SEEDS = 3
PARAM_BUDGET = 40_000
UNCLIPPED_SIDE = 160  # an input larger than any field here: the field before clipping to 28x28


@study(15)
def run(ctx: StudyContext) -> Report:
    report = Report("residual_blocks", TITLE, ctx)
    device = torch_device()
    data, schedule = mode_setup(ctx)
    report.uses(data.data)
    side = data.data.input_shape[-1]
    seeds = [ctx.seed + i for i in range(SEEDS)]

    matched = residual_block_study(data.num_classes, data.in_channels, param_budget=PARAM_BUDGET)
    widths = {block: model.layer4[0].conv2.out_channels for block, model in matched.items()}
    results = [
        train_variant(
            block,
            lambda block=block: residual_net(block, data.num_classes, data.in_channels, widths[block]),
            data,
            schedule,
            seeds,
            device,
        )
        for block in BLOCKS
    ]

    report.headline = headline(results)
    counts = [r.parameters for r in results]
    report.text(
        "Three ResNets in the ResNet-10 layout (one residual block in each of four stages, stride 2 at "
        "stages 2-4, a 3x3 stride-1 stem without max-pool for small images, global average pool, linear "
        "head) that differ only in the block: basic (two 3x3 convs), bottleneck (1x1-3x3-1x1, the last "
        f"1x1 expanding 4x) and wide (basic with the inner width x{WIDEN_FACTOR}). Their stage widths are "
        f"chosen so that each has about {PARAM_BUDGET:,} parameters ({min(counts):,} to {max(counts):,}). "
        + protocol(data, schedule, seeds, SEEDS * len(results))
    )
    report.table(
        [
            "block",
            "stage widths",
            "parameters",
            f"receptive field at {side}x{side}",
            "unclipped field",
            "test acc (mean ± std)",
            "test acc per seed",
            "train acc",
        ],
        [
            [
                r.name,
                "-".join(str(w) for w in stage_widths(widths[r.name])),
                f"{r.parameters:,}",
                "x".join(map(str, torch_models.receptive_field(r.runs[0].model, side))),
                "x".join(map(str, torch_models.receptive_field(r.runs[0].model, UNCLIPPED_SIDE))),
                f"{r.mean:.4f} ± {r.std:.4f}",
                ", ".join(f"{a:.4f}" for a in r.test_accuracies),
                f"{np.mean([run.history.accuracy[-1] for run in r.runs]):.4f}",
            ]
            for r in results
        ],
        caption=f"After {schedule.epochs} epochs; train accuracy of the last epoch, measured while training. "
        "The bottleneck block's output has 4x its stage width",
    )
    report.text(
        field_method(side, UNCLIPPED_SIDE)
        + " A bottleneck block has one 3x3 convolution where the basic and wide blocks have two, so its "
        "field is the smallest."
    )
    add_comparison(report, results, schedule, data.num_classes)
    basic = next(r for r in results if r.name == "basic")
    compare_with_published(
        report,
        data.data,
        [
            (
                f"basic ({basic.parameters:,} parameters, 1 block per stage) - reference only: ResNet18 is a "
                "different, larger model (2 blocks per stage, 11 M parameters, augmented training)",
                basic.mean,
                "ResNet18",
            )
        ],
    )
    report.settings.update(
        {
            "input size": f"{side}x{side}",
            "parameter budget": PARAM_BUDGET,
            "stages": STAGES,
            "widen factor (wide)": WIDEN_FACTOR,
            "schedule": schedule.description(),
            "seeds": seeds,
            "device": device,
        }
    )
    return report
