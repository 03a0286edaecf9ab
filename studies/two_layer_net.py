"""Study 1: CS231n's two-layer net (affine - ReLU - affine) trained with ``Sequential.fit``."""

from __future__ import annotations

from convkit import models, optimizers

from . import plots
from .context import StudyContext
from .data import load_study_data
from .published import compare_with_published
from .registry import study
from .report import Report

TITLE = "Two-layer net trained with fit"
LAB_ITEM = "Lab A, item 1: two-layer net"
PUBLISHED_MLP = "MLP 256-128-100"  # the Fashion-MNIST benchmark's only fully connected net


@study(1)
def run(ctx: StudyContext) -> Report:
    report = Report("two_layer_net", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=None, quick=10000, tiny=200), ctx.pick(full=None, quick=2000, tiny=100), ctx.seed
    )
    report.uses(data)  # the images as loaded (1x28x28); the nets see them flattened
    data = data.flattened()
    x_train, y_train, x_val, y_val = data.split_validation(0.2, ctx.seed)
    hidden_dim, lr, momentum, epochs, batch_size = 100, 0.05, 0.9, ctx.pick(20, 10, 1), 64
    report.settings.update(
        split=f"{len(x_train):,} train / {len(x_val):,} validation (held out of the training split) / "
        f"{len(data.x_test):,} test (used once, after training)",
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
    best_epoch = max(range(epochs), key=lambda e: history["val_accuracy"][e])
    test_accuracy = model.evaluate(data.x_test, data.y_test, batch_size=500, verbose=0)["accuracy"]

    report.headline = f"test accuracy {test_accuracy:.1%} (val {val_accuracy:.1%})"
    report.text(
        "The lab trains CS231n's TwoLayerNet (affine - ReLU - affine, 100 hidden units, weights drawn with "
        f"scale 1e-3) with a solver. Here the same net is trained with `Sequential.fit` on {len(x_train):,} "
        f"{data.dataset} training images, {len(x_val):,} more held out of the training split for "
        f"validation: after {epochs} epochs it classifies {val_accuracy:.1%} of the validation images as the "
        f"right {data.item} ({history['accuracy'][-1]:.1%} on its training images, the running mean over the "
        f"last epoch's batches; best validation {history['val_accuracy'][best_epoch]:.1%} at epoch "
        f"{best_epoch + 1}). The test split, evaluated once at the end, gives {test_accuracy:.1%}."
    )
    compare_with_published(report, data, [("two-layer net (100 hidden)", test_accuracy, PUBLISHED_MLP)])
    if data.is_fashion_mnist:
        report.text(
            f"The benchmark's only fully connected net, {PUBLISHED_MLP}, has three hidden layers (256, 128 "
            "and 100 units); it is the nearest published row, not the same model."
        )
    report.table(
        ["epoch", "train loss", "train accuracy", "val loss", "val accuracy"],
        [
            [epoch + 1, loss, acc, val_loss, val_acc]
            for epoch, (loss, acc, val_loss, val_acc) in enumerate(
                zip(history["loss"], history["accuracy"], history["val_loss"], history["val_accuracy"])
            )
        ],
        caption="Per epoch (train: the running mean over the epoch's batches)",
    )
    report.figure(
        "loss.png",
        plots.curves(
            {"two-layer net train": history["loss"], "two-layer net val": history["val_loss"]},
            "Loss",
            "cross-entropy",
        ),
        "Training and validation loss per epoch.",
    )
    report.figure(
        "accuracy.png",
        plots.curves(
            {"two-layer net train": history["accuracy"], "two-layer net val": history["val_accuracy"]},
            "Accuracy",
            "accuracy",
        ),
        "Training and validation accuracy per epoch.",
    )
    return report
