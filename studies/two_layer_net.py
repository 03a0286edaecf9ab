"""Study 1: CS231n's two-layer net (affine - ReLU - affine) trained with ``Sequential.fit``."""

from __future__ import annotations

from convkit import models, optimizers

from . import plots
from .context import StudyContext
from .data import load_study_data
from .registry import study
from .report import Report

TITLE = "Two-layer net trained with fit"
LAB_BAR = 0.50  # the lab's validation accuracy bar (on CIFAR-10)


@study(1)
def run(ctx: StudyContext) -> Report:
    report = Report("two_layer_net", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=None, quick=10000, tiny=200), ctx.pick(full=None, quick=2000, tiny=100), ctx.seed
    )
    data = data.flattened()
    x_train, y_train, x_val, y_val = data.split_validation(0.2, ctx.seed)
    hidden_dim, lr, momentum, epochs, batch_size = 100, 0.05, 0.9, ctx.pick(20, 10, 1), 64
    report.settings.update(
        data=data.name,
        split=f"{len(x_train)} train / {len(x_val)} validation (held out of train) / {len(data.x_test)} test",
        model=f"two_layer_net(hidden_dim={hidden_dim}, weight_scale=1e-3)",
        optimizer=f"SGD(lr={lr}, momentum={momentum})",
        epochs=epochs,
        batch_size=batch_size,
    )

    model = models.two_layer_net(
        input_dim=x_train.shape[1], hidden_dim=hidden_dim, num_classes=data.num_classes, weight_scale=1e-3
    )
    model.compile(optimizers.SGD(lr=lr, momentum=momentum), loss="cross_entropy", metrics=["accuracy"])
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_val, y_val),
        seed=ctx.seed,
        verbose=0,
    ).history
    val_accuracy = history["val_accuracy"][-1]
    test_accuracy = model.evaluate(data.x_test, data.y_test, batch_size=256, verbose=0)["accuracy"]

    verdict = "clears" if val_accuracy >= LAB_BAR else "misses"
    report.headline = f"val accuracy {val_accuracy:.1%} (lab bar: {LAB_BAR:.0%})"
    report.text(
        f"The lab trains CS231n's TwoLayerNet with a solver and asks for at least {LAB_BAR:.0%} validation "
        f"accuracy (on CIFAR-10). Here the same net is trained with `Sequential.fit` on {data.name}: after "
        f"{epochs} epochs it reaches {val_accuracy:.1%} validation accuracy ({history['accuracy'][-1]:.1%} "
        f"on its training images) and {test_accuracy:.1%} on the test split, so it {verdict} the lab's bar. "
        "Handwritten digits are far easier than CIFAR-10, so the bar is a sanity check here, not a challenge."
    )
    report.table(
        ["epoch", "train loss", "train accuracy", "val loss", "val accuracy"],
        [
            [epoch + 1, loss, acc, val_loss, val_acc]
            for epoch, (loss, acc, val_loss, val_acc) in enumerate(
                zip(history["loss"], history["accuracy"], history["val_loss"], history["val_accuracy"])
            )
        ],
        caption="Per epoch",
    )
    report.figure(
        "loss.png",
        plots.curves({"train": history["loss"], "validation": history["val_loss"]}, "Loss", "cross-entropy"),
        "Training and validation loss per epoch.",
    )
    report.figure(
        "accuracy.png",
        plots.curves(
            {"train": history["accuracy"], "validation": history["val_accuracy"]}, "Accuracy", "accuracy"
        ),
        "Training and validation accuracy per epoch.",
    )
    return report
