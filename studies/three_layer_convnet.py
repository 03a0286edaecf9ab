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
LAB_ITEM = "Lab A, item 7: ThreeLayerConvNet"
NUM_FILTERS, FILTER_SIZE, HIDDEN_DIM = 32, 7, 100
WEIGHT_SCALE = 1e-2
BATCH_SIZE = 50  # the lab's, for both runs
LR = 1e-3  # the lab's, for the full training
# The small set is memorised faster at a higher rate: at 1e-3 it stalls near 90% train accuracy.
OVERFIT_LR = 1e-2
OVERFIT_PASS = 0.99  # the check passes at this train accuracy or more ("~100%")


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


def overfit_verdict(train_accuracy: float) -> str:
    """ "overfit check passed: 100.0% train" or "overfit check FAILED: 90.0% train"."""
    verdict = "passed" if train_accuracy >= OVERFIT_PASS else "FAILED"
    return f"overfit check {verdict}: {train_accuracy:.1%} train"


@study(7)
def run(ctx: StudyContext) -> Report:
    report = Report("three_layer_convnet", TITLE, ctx)
    data = load_study_data(ctx)
    full = data.subset(ctx.pick(full=None, quick=20000, tiny=200), ctx.pick(None, 2000, 100), ctx.seed)
    small = full.subset(ctx.pick(100, 100, 20), None, ctx.seed)
    overfit_epochs, full_epochs = ctx.pick(50, 50, 2), ctx.pick(10, 5, 2)
    report.uses(full)
    report.settings.update(
        data=f"{full.name} (the test split is shown per epoch; nothing is tuned on it)",
        model=f"three_layer_convnet(num_filters={NUM_FILTERS}, filter_size={FILTER_SIZE}, "
        f"hidden_dim={HIDDEN_DIM}, weight_scale={WEIGHT_SCALE})",
        batch_size=BATCH_SIZE,
        overfit=f"{len(small.x_train)} training images, {overfit_epochs} epochs, Adam(lr={OVERFIT_LR}); "
        f"passes at >= {OVERFIT_PASS:.0%} train accuracy",
        full_training=f"{len(full.x_train)} images, {full_epochs} epochs, Adam(lr={LR})",
    )

    overfit_model = build(full.input_shape, full.num_classes, OVERFIT_LR)
    overfit = overfit_model.fit(
        small.x_train,
        small.y_train,
        batch_size=BATCH_SIZE,
        epochs=overfit_epochs,
        validation_data=(full.x_test, full.y_test),
        seed=ctx.seed,
        verbose=0,
    ).history
    overfit_train = overfit_model.evaluate(small.x_train, small.y_train, batch_size=256, verbose=0)[
        "accuracy"
    ]
    verdict = overfit_verdict(overfit_train)

    model = build(full.input_shape, full.num_classes, LR)
    history = model.fit(
        full.x_train,
        full.y_train,
        batch_size=BATCH_SIZE,
        epochs=full_epochs,
        validation_data=(full.x_test, full.y_test),
        seed=ctx.seed,
        verbose=0,
    ).history
    test_accuracy = history["val_accuracy"][-1]

    report.headline = (
        f"{verdict} ({len(small.x_train)} images); full training test accuracy {test_accuracy:.1%}"
    )
    report.text(
        "The lab first checks that ThreeLayerConvNet (conv 7x7 - ReLU - 2x2 max pool - affine - ReLU - "
        "affine) can overfit a small set, reaching ~100% training accuracy with a much lower test "
        f"accuracy, then trains it on the whole training set. The small set is trained with Adam at lr "
        f"{OVERFIT_LR}, higher than the full training's {LR}, so that it is memorised within the epochs. "
        f"**The {verdict}** (evaluated after "
        f"{overfit_epochs} epochs on {len(small.x_train)} {full.dataset} images, against "
        f"{overfit['val_accuracy'][-1]:.1%} on the {len(full.x_test):,} test images; the check passes at "
        f">= {OVERFIT_PASS:.0%}). Trained for {full_epochs} epochs on {len(full.x_train):,} images it "
        f"classifies {test_accuracy:.1%} of the test images correctly (running train accuracy of the last "
        f"epoch {history['accuracy'][-1]:.1%})."
    )
    report.text(
        "The model has a single convolution, so none of the published Fashion-MNIST CNN rows (all with two"
        " or more convolutions) matches it; no published figure is shown. The first-layer filters after the "
        "full training are shown below (each rescaled to its own range)."
    )
    report.table(
        ["run", "images", "epochs", "Adam lr", "train accuracy", "test accuracy"],
        [
            [
                "overfit",
                len(small.x_train),
                overfit_epochs,
                OVERFIT_LR,
                overfit_train,
                overfit["val_accuracy"][-1],
            ],
            ["full", len(full.x_train), full_epochs, LR, history["accuracy"][-1], test_accuracy],
        ],
        caption="Overfitting a small set, then training on the whole set (train accuracy: overfit run "
        "evaluated after training, full run the running accuracy of the last epoch)",
    )
    report.figure(
        "overfit.png",
        plots.curves(
            {"overfit train": overfit["accuracy"], "overfit test": overfit["val_accuracy"]},
            f"Overfitting {len(small.x_train)} images",
            "accuracy",
        ),
        "Running train accuracy and test accuracy per epoch while overfitting the small set.",
    )
    report.figure(
        "full_training.png",
        plots.curves(
            {"full train": history["accuracy"], "full test": history["val_accuracy"]},
            f"Training on {len(full.x_train):,} images",
            "accuracy",
        ),
        "Running train accuracy and test accuracy per epoch on the whole training set.",
    )
    first = model.layers[0]
    report.figure(
        "filters.png",
        plots.titled(ck_plot.filters(first), "First-layer filters"),
        f"The {first.filters} first-layer {FILTER_SIZE}x{FILTER_SIZE} filters after full training.",
    )
    return report
