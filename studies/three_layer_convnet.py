"""Study 7: CS231n's ThreeLayerConvNet: overfit 100 images, train on the whole set, show its filters."""

from __future__ import annotations

from convkit import models, optimizers
from convkit import plot as ck_plot

from . import plots
from .context import StudyContext
from .data import load_study_data
from .registry import study
from .report import Report

TITLE = "ThreeLayerConvNet: overfit 100 images, full training, first-layer filters"
NUM_FILTERS, FILTER_SIZE, HIDDEN_DIM = 32, 7, 100
WEIGHT_SCALE = 1e-2


def build(input_shape: tuple[int, ...], num_classes: int, lr: float):
    """A fresh, compiled ThreeLayerConvNet (Adam)."""
    model = models.three_layer_convnet(
        input_shape,
        num_filters=NUM_FILTERS,
        filter_size=FILTER_SIZE,
        hidden_dim=HIDDEN_DIM,
        num_classes=num_classes,
        weight_scale=WEIGHT_SCALE,
    )
    model.compile(optimizers.Adam(lr=lr), loss="cross_entropy", metrics=["accuracy"])
    return model


@study(7)
def run(ctx: StudyContext) -> Report:
    report = Report("three_layer_convnet", TITLE, ctx)
    data = load_study_data(ctx)
    full = data.subset(ctx.pick(full=None, quick=3000, tiny=100), ctx.pick(None, 1000, 50), ctx.seed)
    small = full.subset(ctx.pick(100, 100, 20), None, ctx.seed)
    lr, batch_size = 1e-3, 50
    overfit_epochs, full_epochs = ctx.pick(30, 30, 1), ctx.pick(5, 3, 1)
    overfit_batch_size = 25
    report.settings.update(
        data=f"{full.name} (the test split serves as validation)",
        model=f"three_layer_convnet(num_filters={NUM_FILTERS}, filter_size={FILTER_SIZE}, "
        f"hidden_dim={HIDDEN_DIM}, weight_scale={WEIGHT_SCALE})",
        optimizer=f"Adam(lr={lr})",
        full_training_batch_size=batch_size,
        overfit=f"{len(small.x_train)} images, {overfit_epochs} epochs, batch {overfit_batch_size}",
        full_training=f"{len(full.x_train)} images, {full_epochs} epochs",
    )

    overfit_model = build(full.input_shape, full.num_classes, lr)
    overfit = overfit_model.fit(
        small.x_train,
        small.y_train,
        batch_size=overfit_batch_size,
        epochs=overfit_epochs,
        validation_data=(full.x_test, full.y_test),
        seed=ctx.seed,
        verbose=0,
    ).history
    overfit_train = overfit_model.evaluate(small.x_train, small.y_train, batch_size=256, verbose=0)[
        "accuracy"
    ]

    model = build(full.input_shape, full.num_classes, lr)
    history = model.fit(
        full.x_train,
        full.y_train,
        batch_size=batch_size,
        epochs=full_epochs,
        validation_data=(full.x_test, full.y_test),
        seed=ctx.seed,
        verbose=0,
    ).history
    val_accuracy = history["val_accuracy"][-1]

    report.headline = (
        f"overfit train accuracy {overfit_train:.1%}; full training val accuracy {val_accuracy:.1%}"
    )
    report.text(
        "The lab first checks that ThreeLayerConvNet (conv 7x7 - ReLU - 2x2 max pool - affine - ReLU - "
        "affine) can overfit a small set, reaching 100% training accuracy with a much lower validation "
        f"accuracy, then trains it on the whole training set. On {full.name}: after {overfit_epochs} epochs "
        f"on {len(small.x_train)} images it classifies {overfit_train:.1%} of them correctly (evaluation "
        f"mode) against {overfit['val_accuracy'][-1]:.1%} on validation; trained for {full_epochs} epochs on "
        f"{len(full.x_train)} images it reaches {val_accuracy:.1%} validation accuracy. The first-layer "
        "filters after full training are shown below (each rescaled to its own range)."
    )
    report.table(
        ["run", "images", "epochs", "final train accuracy", "final val accuracy"],
        [
            ["overfit", len(small.x_train), overfit_epochs, overfit_train, overfit["val_accuracy"][-1]],
            ["full", len(full.x_train), full_epochs, history["accuracy"][-1], val_accuracy],
        ],
        caption="Overfitting a small set, then training on the whole set",
    )
    report.figure(
        "overfit.png",
        plots.curves(
            {"train": overfit["accuracy"], "validation": overfit["val_accuracy"]},
            f"Overfitting {len(small.x_train)} images",
            "accuracy",
        ),
        "Training and validation accuracy per epoch while overfitting the small set.",
    )
    report.figure(
        "full_training.png",
        plots.curves(
            {"train": history["accuracy"], "validation": history["val_accuracy"]},
            "Training on the whole set",
            "accuracy",
        ),
        "Training and validation accuracy per epoch on the whole training set.",
    )
    first = model.layers[0]
    report.figure(
        "filters.png",
        plots.titled(ck_plot.filters(first), "First-layer filters"),
        f"The {first.filters} first-layer {FILTER_SIZE}x{FILTER_SIZE} filters after full training.",
    )
    return report
