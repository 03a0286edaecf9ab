"""Study 5: batch normalization in a six-layer net on 1,000 images, then across batch sizes."""

from __future__ import annotations

from convkit import models, optimizers

from . import plots
from .context import StudyContext
from .data import StudyData, load_study_data
from .registry import study
from .report import Report

TITLE = "Batch normalization: six-layer net with and without, and a batch-size sweep"
HIDDEN_DIMS = [100] * 5
WEIGHT_SCALE = 2e-2  # the lab's: small enough that the net without batch norm trains slowly
LR = 1e-3


def train(
    data: StudyData, normalization: str | None, epochs: int, batch_size: int, seed: int
) -> dict[str, list[float]]:
    """Fit a fresh six-layer net (Adam) on the flattened ``data``, the test split as validation."""
    model = models.fully_connected_net(
        HIDDEN_DIMS,
        num_classes=data.num_classes,
        input_dim=data.x_train.shape[1],
        normalization=normalization,
        weight_scale=WEIGHT_SCALE,
    )
    model.compile(optimizers.Adam(lr=LR), loss="cross_entropy", metrics=["accuracy"])
    return model.fit(
        data.x_train,
        data.y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(data.x_test, data.y_test),
        seed=seed,
        verbose=0,
    ).history


@study(5)
def run(ctx: StudyContext) -> Report:
    report = Report("batchnorm", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=1000, quick=1000, tiny=100), ctx.pick(full=1000, quick=None, tiny=100), ctx.seed
    )
    data = data.flattened()
    epochs, batch_size = ctx.pick(10, 5, 1), 50
    sweep_sizes, sweep_epochs = ctx.pick([5, 10, 50], [5, 10, 50], [10, 50]), ctx.pick(10, 3, 1)
    report.settings.update(
        data=f"{data.name} (the test split serves as validation)",
        model=f"fully_connected_net(hidden_dims={HIDDEN_DIMS}, weight_scale={WEIGHT_SCALE}, "
        "normalization=None or 'batchnorm')",
        optimizer=f"Adam(lr={LR})",
        epochs=epochs,
        batch_size=batch_size,
        batch_size_sweep=f"batch sizes {sweep_sizes}, {sweep_epochs} epochs each",
    )

    runs = {
        name: train(data, norm, epochs, batch_size, ctx.seed)
        for name, norm in [("baseline", None), ("batchnorm", "batchnorm")]
    }
    base_val, bn_val = runs["baseline"]["val_accuracy"][-1], runs["batchnorm"]["val_accuracy"][-1]
    base_train, bn_train = runs["baseline"]["accuracy"][-1], runs["batchnorm"]["accuracy"][-1]

    sweep = {
        (norm, size): train(data, norm, sweep_epochs, size, ctx.seed)
        for norm in (None, "batchnorm")
        for size in sweep_sizes
    }

    def sweep_val(norm: str | None, size: int) -> float:
        return sweep[(norm, size)]["val_accuracy"][-1]

    gains = {size: sweep_val("batchnorm", size) - sweep_val(None, size) for size in sweep_sizes}
    smallest = min(sweep_sizes)
    report.headline = f"val accuracy with batch norm {bn_val:.1%} vs without {base_val:.1%}"
    helps = "helps" if bn_val > base_val else "does not help"
    report.text(
        "The lab trains a six-layer net (weights drawn with a small scale, "
        f"{WEIGHT_SCALE}) on 1,000 images with and without batch normalization, then repeats the comparison "
        "at several batch sizes, expecting batch norm to speed training up and to suffer at small batches "
        f"(whose statistics are noisy). On {data.name}, after {epochs} epochs batch norm {helps}: "
        f"{bn_val:.1%} validation accuracy ({bn_train:.1%} train) against {base_val:.1%} ({base_train:.1%} "
        f"train) without. In the sweep ({sweep_epochs} epochs each) batch norm changes validation accuracy "
        + ", ".join(f"by {100 * gains[size]:+.1f} points at batch {size}" for size in sweep_sizes)
        + f"; at batch {smallest} it reaches {sweep_val('batchnorm', smallest):.1%}."
    )
    report.table(
        ["", "train loss", "train accuracy", "val accuracy"],
        [[name, h["loss"][-1], h["accuracy"][-1], h["val_accuracy"][-1]] for name, h in runs.items()],
        caption=f"After {epochs} epochs, batch {batch_size}",
    )
    report.table(
        ["batch size", "val accuracy without", "val accuracy with batch norm", "difference (points)"],
        [
            [size, sweep_val(None, size), sweep_val("batchnorm", size), f"{100 * gains[size]:+.1f}"]
            for size in sweep_sizes
        ],
        caption=f"Batch-size sweep, {sweep_epochs} epochs each",
    )
    report.figure(
        "loss.png",
        plots.curves({name: h["loss"] for name, h in runs.items()}, "Training loss", "cross-entropy"),
        "Training loss per epoch, with and without batch norm.",
    )
    report.figure(
        "accuracy.png",
        plots.curves(
            {
                **{f"{name} train": h["accuracy"] for name, h in runs.items()},
                **{f"{name} val": h["val_accuracy"] for name, h in runs.items()},
            },
            "Accuracy",
            "accuracy",
        ),
        "Training and validation accuracy per epoch, with and without batch norm.",
    )
    report.figure(
        "batch_size_sweep.png",
        plots.curves(
            {
                f"{'batchnorm' if norm else 'baseline'}, batch {size}": h["val_accuracy"]
                for (norm, size), h in sweep.items()
            },
            "Validation accuracy across batch sizes",
            "accuracy",
        ),
        "Validation accuracy per epoch for each batch size, with and without batch norm.",
    )
    return report
