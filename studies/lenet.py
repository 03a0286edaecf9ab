"""Study 8: LeNet's accuracy curves, the lab's plain LeNet and the demo recipe (shifts + cosine lr)."""

from __future__ import annotations

import numpy as np

from convkit import models, optimizers
from convkit import plot as ck_plot
from convkit.schedules import cosine_schedule

from . import plots
from .context import StudyContext
from .data import load_study_data
from .published import compare_with_published
from .registry import study
from .report import Report

TITLE = "LeNet: accuracy curves"
LAB_ITEM = "Lab B, item 2: LeNet accuracy curves"
LR, BATCH_SIZE, MAX_SHIFT = 1e-2, 64, 2
PLAIN, RECIPE = "LeNet (plain)", "LeNet (demo recipe)"
LATE_EPOCHS = 10  # the last epochs whose test accuracies show how much one run moves
PUBLISHED_CLASSIFIER = "2 Conv+pooling"  # the Fashion-MNIST benchmark row LeNet matches


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts (num_classes, num_classes): rows are true classes, columns predicted ones."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


@study(8)
def run(ctx: StudyContext) -> Report:
    report = Report("lenet", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=None, quick=10000, tiny=200), ctx.pick(full=None, quick=2000, tiny=100), ctx.seed
    )
    epochs = ctx.pick(30, 15, 2)
    augmented = {PLAIN: False, RECIPE: True}
    report.uses(data)
    report.settings.update(
        data=f"{data.name} (the test split is shown per epoch; nothing is tuned on it)",
        model="models.lenet (conv3x3 6 - pool - conv3x3 16 - pool - 120 - 84 - classes)",
        optimizer=f"Adamax(lr={LR})",
        epochs=epochs,
        batch_size=BATCH_SIZE,
        variants=f"{PLAIN}: constant lr, no augmentation (the lab's); {RECIPE}: RandomShift({MAX_SHIFT}) "
        "on the training images and a cosine lr schedule",
    )
    runs, trained_models = {}, {}
    for name, augment in augmented.items():
        channels, size = data.input_shape[0], data.input_shape[1]
        model = models.lenet(data.num_classes, channels, size, max_shift=MAX_SHIFT if augment else 0)
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

    plain_accuracy, recipe_accuracy = runs[PLAIN]["val_accuracy"][-1], runs[RECIPE]["val_accuracy"][-1]
    predictions = trained_models[PLAIN].predict(data.x_test, batch_size=256).argmax(axis=1)
    cm = confusion_matrix(data.y_test, predictions, data.num_classes)
    off_diagonal = cm - np.diag(np.diag(cm))
    true_class, predicted_class = np.unravel_index(off_diagonal.argmax(), cm.shape)
    names = data.class_names

    report.headline = (
        f"plain LeNet test accuracy {plain_accuracy:.1%} after {epochs} epochs "
        f"(demo recipe {recipe_accuracy:.1%})"
    )
    report.text(
        f"The lab trains LeNet and plots its accuracy per epoch. On {data.name}, after {epochs} epochs the "
        f"lab's plain LeNet (Adamax, constant learning rate, no augmentation) classifies "
        f"{plain_accuracy:.1%} of the test images correctly (best epoch "
        f"{max(runs[PLAIN]['val_accuracy']):.1%}; running train accuracy of the last epoch "
        f"{runs[PLAIN]['accuracy'][-1]:.1%}). A second row shows the demo recipe (random shifts of up to "
        f"{MAX_SHIFT} pixels and a cosine learning-rate schedule): {recipe_accuracy:.1%} test "
        f"({runs[RECIPE]['accuracy'][-1]:.1%} running train accuracy, measured on shifted images). The "
        f"plain LeNet's most frequent confusion is a true {names[true_class]} predicted as "
        f"{names[predicted_class]} ({off_diagonal.max()} of {cm[true_class].sum()} test images)."
    )
    late = runs[PLAIN]["val_accuracy"][-LATE_EPOCHS:]
    late_train = runs[PLAIN]["accuracy"][-len(late) :]
    best_epoch = int(np.argmax(runs[PLAIN]["val_accuracy"])) + 1
    overfits = best_epoch <= epochs - len(late) and late_train[-1] > late_train[0]
    lead, spread = recipe_accuracy - plain_accuracy, float(np.std(late))
    side = "above" if lead >= 0 else "below"
    compared = "more" if abs(lead) > 2 * spread else "less"
    report.text(
        f"The plain LeNet's test accuracy peaks at epoch {best_epoch}; over its last {len(late)} epochs it "
        f"moves within {min(late):.1%}-{max(late):.1%} (std {spread:.1%}) while its running train accuracy "
        f"goes from {late_train[0]:.1%} to {late_train[-1]:.1%}"
        f"{': it has converged and overfits' if overfits else ''}. The demo recipe ends "
        f"{abs(lead) * 100:.1f} points {side} it, {compared} than twice that epoch-to-epoch spread "
        "(one seed)."
    )
    report.table(
        ["model", "final running train accuracy", "final test accuracy", "best test accuracy (epoch)"],
        [
            [
                name,
                h["accuracy"][-1],
                h["val_accuracy"][-1],
                f"{max(h['val_accuracy']):.4g} ({int(np.argmax(h['val_accuracy'])) + 1})",
            ]
            for name, h in runs.items()
        ],
        caption=f"After {epochs} epochs (the headline is the plain LeNet's final test accuracy)",
    )
    compare_with_published(
        report,
        data,
        [
            (PLAIN, plain_accuracy, PUBLISHED_CLASSIFIER),
            (RECIPE, recipe_accuracy, PUBLISHED_CLASSIFIER),
        ],
    )
    report.figure(
        "accuracy.png",
        plots.curves(
            {
                **{f"{name} train": h["accuracy"] for name, h in runs.items()},
                **{f"{name} test": h["val_accuracy"] for name, h in runs.items()},
            },
            "LeNet accuracy",
            "accuracy",
        ),
        "Running train accuracy and test accuracy per epoch, plain and with the demo recipe.",
    )
    report.figure(
        "loss.png",
        plots.curves(
            {
                **{f"{name} train": h["loss"] for name, h in runs.items()},
                **{f"{name} test": h["val_loss"] for name, h in runs.items()},
            },
            "LeNet loss",
            "cross-entropy",
        ),
        "Running train loss and test loss per epoch.",
    )
    report.figure(
        "confusion_matrix.png",
        plots.titled(ck_plot.confusion_matrix(cm, names), f"Confusion matrix ({PLAIN})"),
        f"Test confusion matrix of the plain LeNet (rows: true {data.item}, columns: predicted).",
    )
    return report
