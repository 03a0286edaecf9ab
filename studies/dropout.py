"""Study 6: dropout 0.25 against no dropout in two-layer nets trained on 500 images."""

from __future__ import annotations

from convkit import models, optimizers

from . import plots
from .context import StudyContext
from .data import load_study_data
from .registry import study
from .report import Report

TITLE = "Dropout 0.25 vs none: two-layer nets on 500 images"
HIDDEN_DIM = 512
RATES = (0.0, 0.25)  # the probability of dropping a unit


@study(6)
def run(ctx: StudyContext) -> Report:
    report = Report("dropout", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=500, quick=500, tiny=100), ctx.pick(full=1000, quick=None, tiny=100), ctx.seed
    )
    data = data.flattened()
    lr, epochs, batch_size = 5e-4, ctx.pick(25, 25, 1), 100
    report.settings.update(
        data=f"{data.name} (the test split serves as validation)",
        model=f"fully_connected_net(hidden_dims=[{HIDDEN_DIM}], dropout=rate), rate in {list(RATES)}",
        optimizer=f"Adam(lr={lr})",
        epochs=epochs,
        batch_size=batch_size,
    )
    runs = {}
    for rate in RATES:
        model = models.fully_connected_net(
            [HIDDEN_DIM], num_classes=data.num_classes, input_dim=data.x_train.shape[1], dropout=rate
        )
        model.compile(optimizers.Adam(lr=lr), loss="cross_entropy", metrics=["accuracy"])
        runs[rate] = model.fit(
            data.x_train,
            data.y_train,
            batch_size=batch_size,
            epochs=epochs,
            validation_data=(data.x_test, data.y_test),
            seed=ctx.seed,
            verbose=0,
        ).history

    def final(rate: float, key: str) -> float:
        return runs[rate][key][-1]

    gaps = {rate: final(rate, "accuracy") - final(rate, "val_accuracy") for rate in RATES}
    none, drop = RATES
    report.headline = (
        f"val accuracy dropout {drop}: {final(drop, 'val_accuracy'):.1%} "
        f"vs none: {final(none, 'val_accuracy'):.1%}"
    )
    narrower = "narrows" if gaps[drop] < gaps[none] else "does not narrow"
    report.text(
        f"The lab trains two-layer nets on only {len(data.x_train)} images, with and without dropout, and "
        "expects dropout to act as a regularizer: lower training accuracy, a smaller gap to validation "
        f"accuracy. On {data.name}, after {epochs} epochs the net without dropout reaches "
        f"{final(none, 'accuracy'):.1%} train / {final(none, 'val_accuracy'):.1%} validation accuracy, the "
        f"one with dropout {drop} {final(drop, 'accuracy'):.1%} / {final(drop, 'val_accuracy'):.1%}: dropout "
        f"{narrower} the train-validation gap ({100 * gaps[drop]:.1f} vs {100 * gaps[none]:.1f} points). "
        "Training accuracy is the running average over each epoch's batches, measured with dropout active."
    )
    report.table(
        ["dropout", "train accuracy", "val accuracy", "train - val", "val loss"],
        [
            [rate, final(rate, "accuracy"), final(rate, "val_accuracy"), gaps[rate], final(rate, "val_loss")]
            for rate in RATES
        ],
        caption=f"After {epochs} epochs",
    )
    report.figure(
        "accuracy.png",
        plots.curves(
            {
                **{f"dropout {rate} train": runs[rate]["accuracy"] for rate in RATES},
                **{f"dropout {rate} val": runs[rate]["val_accuracy"] for rate in RATES},
            },
            "Train vs validation accuracy",
            "accuracy",
        ),
        "Training and validation accuracy per epoch, with and without dropout.",
    )
    report.figure(
        "loss.png",
        plots.curves(
            {
                **{f"dropout {rate} train": runs[rate]["loss"] for rate in RATES},
                **{f"dropout {rate} val": runs[rate]["val_loss"] for rate in RATES},
            },
            "Train vs validation loss",
            "cross-entropy",
        ),
        "Training and validation loss per epoch, with and without dropout.",
    )
    return report
