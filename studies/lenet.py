"""Study 8: LeNet on MNIST (embedded digits by default): accuracy curves, plain and with the demo recipe."""

from __future__ import annotations

import numpy as np

from convkit import models, optimizers
from convkit import plot as ck_plot
from convkit.schedules import cosine_schedule

from . import plots
from .context import StudyContext
from .data import load_study_data
from .registry import study
from .report import Report

TITLE = "LeNet: accuracy curves"
LR, BATCH_SIZE, MAX_SHIFT = 1e-2, 64, 2


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts (num_classes, num_classes): rows are true classes, columns predicted ones."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


@study(8)
def run(ctx: StudyContext) -> Report:
    report = Report("lenet", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=None, quick=5000, tiny=200), ctx.pick(full=None, quick=2000, tiny=100), ctx.seed
    )
    epochs = ctx.pick(30, 10, 1)
    variants = {
        "plain (Adamax, constant lr)": False,
        f"demo recipe (RandomShift({MAX_SHIFT}) + Adamax + cosine lr)": True,
    }
    report.settings.update(
        data=f"{data.name} (the test split is shown per epoch; nothing is tuned on it)",
        model="models.lenet (conv3x3 6 - pool - conv3x3 16 - pool - 120 - 84 - classes)",
        optimizer=f"Adamax(lr={LR})",
        epochs=epochs,
        batch_size=BATCH_SIZE,
        variants="; ".join(variants),
    )
    runs, trained_models = {}, {}
    for name, augment in variants.items():
        channels, size = data.input_shape[0], data.input_shape[1]
        shift = MAX_SHIFT if augment else 0
        model = models.lenet(data.num_classes, channels, size, max_shift=shift)
        model.compile(optimizers.Adamax(lr=LR), loss="cross_entropy", metrics=["accuracy"])
        model.build(seed=ctx.seed)
        runs[name] = model.fit(
            data.x_train,
            data.y_train,
            batch_size=BATCH_SIZE,
            epochs=epochs,
            validation_data=(data.x_test, data.y_test),
            callbacks=[cosine_schedule(LR, epochs)] if augment else [],
            seed=ctx.seed,
            verbose=0,
        ).history
        trained_models[name] = model

    plain, recipe = variants
    best = max(runs, key=lambda name: runs[name]["val_accuracy"][-1])
    best_accuracy = runs[best]["val_accuracy"][-1]
    predictions = trained_models[best].predict(data.x_test, batch_size=256).argmax(axis=1)
    cm = confusion_matrix(data.y_test, predictions, data.num_classes)
    off_diagonal = cm - np.diag(np.diag(cm))
    true_class, predicted_class = np.unravel_index(off_diagonal.argmax(), cm.shape)

    report.headline = f"test accuracy {best_accuracy:.1%} ({best.split(' (')[0]})"
    report.text(
        f"The lab trains LeNet on MNIST and plots its accuracy per epoch. On {data.name}, after {epochs} "
        f"epochs plain LeNet reaches {runs[plain]['val_accuracy'][-1]:.1%} test accuracy "
        f"({runs[plain]['accuracy'][-1]:.1%} train); with the demo recipe (random shifts of up to "
        f"{MAX_SHIFT} pixels and a cosine learning-rate schedule) it reaches "
        f"{runs[recipe]['val_accuracy'][-1]:.1%} ({runs[recipe]['accuracy'][-1]:.1%} train, measured on "
        f"shifted images). The most frequent confusion of the better model is a true {true_class} "
        f"predicted as {predicted_class} ({off_diagonal.max()} of {cm[true_class].sum()} test images)."
    )
    report.table(
        ["variant", "final train accuracy", "final test accuracy", "best test accuracy (epoch)"],
        [
            [
                name,
                h["accuracy"][-1],
                h["val_accuracy"][-1],
                f"{max(h['val_accuracy']):.4g} ({int(np.argmax(h['val_accuracy'])) + 1})",
            ]
            for name, h in runs.items()
        ],
        caption=f"After {epochs} epochs",
    )
    report.figure(
        "accuracy.png",
        plots.curves(
            {
                **{f"{name.split(' (')[0]} train": h["accuracy"] for name, h in runs.items()},
                **{f"{name.split(' (')[0]} test": h["val_accuracy"] for name, h in runs.items()},
            },
            "LeNet accuracy",
            "accuracy",
        ),
        "Training and test accuracy per epoch, plain and with the demo recipe.",
    )
    report.figure(
        "loss.png",
        plots.curves(
            {
                **{f"{name.split(' (')[0]} train": h["loss"] for name, h in runs.items()},
                **{f"{name.split(' (')[0]} test": h["val_loss"] for name, h in runs.items()},
            },
            "LeNet loss",
            "cross-entropy",
        ),
        "Training and test loss per epoch.",
    )
    report.figure(
        "confusion_matrix.png",
        plots.titled(ck_plot.confusion_matrix(cm), f"Confusion matrix ({best.split(' (')[0]})"),
        "Test confusion matrix of the better variant (rows: true digit, columns: predicted).",
    )
    return report
