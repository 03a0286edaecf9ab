"""Study 11: a fully connected net, a CNN, a residual CNN and a regularized residual CNN on one task."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

import torch_models
from convkit import plot as ck_plot
from torch_models.train import confusion_matrix, fit, seed_everything

from . import plots
from .context import StudyContext
from .registry import study
from .report import Report
from .torch_data import digit_loaders, torch_device
from .torch_measure import accuracy_on, inference_ms_per_image, predictions

TITLE = "FC vs CNN vs residual CNN (+ regularization)"
WEIGHT_DECAY = 5e-4  # the regularized model's third regularizer, with BatchNorm and dropout 0.3


def _models(
    num_classes: int, in_channels: int, size: int
) -> dict[str, tuple[Callable[[], nn.Module], float]]:
    """name -> (model factory, weight decay)."""
    return {
        "FC (MLP 256-128)": (lambda: torch_models.mlp(num_classes, in_channels, size), 0.0),
        "CNN (2 conv)": (lambda: torch_models.simple_cnn(num_classes, in_channels), 0.0),
        "residual CNN": (lambda: torch_models.residual_cnn(num_classes, in_channels), 0.0),
        "residual + BN, dropout, WD": (
            lambda: torch_models.regularized_residual_cnn(num_classes, in_channels),
            WEIGHT_DECAY,
        ),
    }


@study(11)
def run(ctx: StudyContext) -> Report:
    report = Report("architectures", TITLE, ctx)
    device = torch_device()
    size = ctx.pick(full=28, quick=16, tiny=8)
    epochs = ctx.pick(full=15, quick=6, tiny=1)
    batch_size = 32
    lr = 2e-3
    n_train, n_test = ctx.pick(full=(None, None), quick=(600, None), tiny=(64, 32))
    data, arrays = digit_loaders(ctx, size=size, n_train=n_train, n_test=n_test, batch_size=batch_size)
    side = arrays.input_shape[-1]

    rows = []
    results = {}
    for name, (build, weight_decay) in _models(data.num_classes, data.in_channels, side).items():
        seed_everything(ctx.seed)
        model = build()
        history = fit(
            model,
            data.train,
            data.test,
            optimizer="adamax",
            lr=lr,
            epochs=epochs,
            weight_decay=weight_decay,
            seed=ctx.seed,
            device=device,
            track_grad_norms=True,
            progress=False,
        )
        train_acc = accuracy_on(model, data.train, device)
        test_acc = accuracy_on(model, data.test, device)
        results[name] = {"model": model, "history": history, "train": train_acc, "test": test_acc}
        rows.append(
            [
                name,
                f"{torch_models.count_parameters(model):,}",
                train_acc,
                test_acc,
                train_acc - test_acc,
                sum(history.epoch_time),
                inference_ms_per_image(model, data.test, device),
            ]
        )

    best = max(results, key=lambda n: results[n]["test"])
    gaps = {name: r["train"] - r["test"] for name, r in results.items()}
    widest = max(gaps, key=gaps.get)
    report.headline = f"best test accuracy {results[best]['test']:.1%} ({best})"
    regularized, plain = "residual + BN, dropout, WD", "residual CNN"
    effect = "narrows" if gaps[regularized] < gaps[plain] else "does not narrow"
    report.text(
        f"Four models trained the same way (Adamax, lr {lr:g}, {epochs} epochs, batch {batch_size}) on "
        f"{data.name}: a fully connected net on the flattened pixels, a two-layer CNN, a residual CNN of "
        "three two-conv blocks, and the same residual CNN with BatchNorm, dropout 0.3 and weight decay "
        f"{WEIGHT_DECAY:g}. The best test accuracy is {results[best]['test']:.1%} ({best}); the widest gap "
        f"between train and test accuracy (overfitting) is {gaps[widest]:+.1%} ({widest}). Regularization "
        f"{effect} the residual CNN's gap ({gaps[plain]:+.1%} without, {gaps[regularized]:+.1%} with)."
    )
    report.table(
        ["model", "parameters", "train acc", "test acc", "gap", "train time (s)", "inference (ms/img)"],
        rows,
        caption="Accuracies in eval mode after training; times on a shared 2-core machine: indicative only",
    )
    report.figure(
        "test_accuracy.png",
        plots.curves(
            {n: r["history"].val_accuracy for n, r in results.items()}, "Test accuracy per epoch", "accuracy"
        ),
        "Learning curves: test accuracy",
    )
    report.figure(
        "train_loss.png",
        plots.curves({n: r["history"].loss for n, r in results.items()}, "Training loss per epoch", "loss"),
        "Learning curves: training loss",
    )
    predicted, true = predictions(results[best]["model"], data.test, device)
    cm = confusion_matrix(torch.as_tensor(predicted), torch.as_tensor(true), data.num_classes).numpy()
    report.figure(
        "confusion_matrix.png",
        plots.titled(ck_plot.confusion_matrix(cm), f"{best}: test confusion matrix"),
        f"Confusion matrix of the best model ({best}) on the test set",
    )
    report.figure(
        "grad_norms.png",
        plots.layer_profile(
            {n: list(r["history"].grad_norms[-1].values()) for n, r in results.items()},
            "Gradient norm per layer (last epoch, mean over steps)",
            "L2 norm of the layer's gradient",
        ),
        "Gradient norms per layer, input side first",
    )
    report.settings.update(
        {
            "data": data.name,
            "input size": f"{side}x{side}",
            "optimizer": "adamax",
            "learning rate": lr,
            "epochs": epochs,
            "batch size": batch_size,
            "weight decay (regularized model)": WEIGHT_DECAY,
            "device": device,
        }
    )
    return report
