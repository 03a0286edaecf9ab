"""Study 5: batch normalization in a six-layer net on 1,000 images, with and without, across batch sizes;
what small batches do to it, measured."""

from __future__ import annotations

import copy

import numpy as np

from convkit import models, optimizers
from convkit.sequential import Sequential

from . import plots
from .context import StudyContext
from .data import load_study_data
from .inference_accuracy import fit_measuring_train_accuracy
from .registry import study
from .report import Report
from .seed_stats import Spread, tied

TITLE = "Batch normalization: six-layer net with and without, and a batch-size sweep"
LAB_ITEM = "Lab A, item 5: batch normalization"
HIDDEN_DIMS = [100] * 5
WEIGHT_SCALE = 2e-2  # the lab's: small enough that the net without batch norm trains slowly
LR = 1e-3
BATCH_SIZES = (5, 10, 50)  # the lab's sweep; 50 is its batch size for the main comparison
NORMS = {"baseline": None, "batchnorm": "batchnorm"}


def train(split: tuple[np.ndarray, ...], normalization: str | None, epochs: int, batch_size: int, seed: int):
    """A fresh six-layer net (Adam) fitted on ``split``; returns (model, history), the history holding
    ``inference_accuracy`` (the training images measured in inference mode after each epoch)."""
    x_train, y_train, x_val, y_val = split
    model = models.fully_connected_net(
        HIDDEN_DIMS,
        num_classes=int(max(y_train.max(), y_val.max()) + 1),
        input_dim=x_train.shape[1],
        normalization=normalization,
        weight_scale=WEIGHT_SCALE,
    )
    model.compile(optimizers.Adam(lr=LR), loss="cross_entropy", metrics=["accuracy"])
    return model, fit_measuring_train_accuracy(model, split, batch_size, epochs, seed)


def batch_statistics_predictions(
    model: Sequential, x: np.ndarray, batch_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(index, predicted)``: the predicted classes of the images ``x[index]`` (all of ``x`` but the last
    partial batch) when batch norm normalizes with the statistics of random batches of ``batch_size``
    images (training mode, as during training); run on a copy, so the running statistics stay as they are."""
    clone = copy.deepcopy(model)
    n_batches = len(x) // batch_size
    index = np.random.default_rng(seed).permutation(len(x))[: n_batches * batch_size]
    predicted = np.concatenate(
        [clone.forward(x[batch], training=True).argmax(axis=1) for batch in index.reshape(n_batches, -1)]
    )
    return index, predicted


def batch_mean_noise(model: Sequential, x: np.ndarray, batch_size: int, seed: int) -> float:
    """How far the batch mean of a first-layer unit wanders from batch to batch, in units of that unit's
    standard deviation over all of ``x`` (averaged over units): the noise batch norm normalizes with."""
    features = model.layers[0].forward(x)  # (N, 100): the first affine layer, the input of the first BN
    order = np.random.default_rng(seed).permutation(len(x))
    n_batches = len(x) // batch_size
    batches = features[order[: n_batches * batch_size]].reshape(n_batches, batch_size, -1)  # (B, b, 100)
    spread_of_means = batches.mean(axis=1).std(axis=0)  # (100,)
    return float(np.mean(spread_of_means / (features.std(axis=0) + 1e-12)))


def small_batch_verdict(small: Spread, large: Spread, small_size: int, large_size: int) -> str:
    """What the smallest batch does to batch norm's validation accuracy (running statistics), in words."""
    if tied(small, large):
        return (
            f"Batch norm's validation accuracy at batch {small_size} ({small.percent()}) ties that at batch "
            f"{large_size} ({large.percent()}): at this budget the noise costs no measurable accuracy once "
            "the running statistics are used; it shows when the net meets batch statistics."
        )
    change = "loses" if small.mean < large.mean else "gains"
    return (
        f"Batch norm {change} validation accuracy at batch {small_size} ({small.percent()} against "
        f"{large.percent()} at batch {large_size}), a difference beyond the spread."
    )


@study(5)
def run(ctx: StudyContext) -> Report:
    report = Report("batchnorm", TITLE, ctx)
    # the lab's sizes in every mode but tiny: 1,000 training images, 1,000 for validation
    data = load_study_data(ctx).subset(ctx.pick(2000, 2000, 200), None, ctx.seed)
    report.uses(data)  # the images as loaded (1x28x28); the nets see them flattened
    data = data.flattened()
    split = data.split_validation(0.5, ctx.seed)
    x_train, _, x_val, y_val = split
    epochs = ctx.pick(10, 10, 1)
    sizes = ctx.pick(BATCH_SIZES, BATCH_SIZES, (10, 50))
    main_size = max(sizes)
    seeds = [ctx.seed + i for i in range(ctx.pick(3, 2, 2))]
    report.settings.update(
        split=f"{len(x_train)} train / {len(x_val)} validation images, both from the training split; the "
        "test split is not used",
        model=f"fully_connected_net(hidden_dims={HIDDEN_DIMS}, weight_scale={WEIGHT_SCALE}, "
        "normalization=None or 'batchnorm')",
        optimizer=f"Adam(lr={LR})",
        budget=f"{epochs} epochs at every batch size, with and without batch norm (same learning rate, same "
        "initial scale, same batches for a given seed): "
        f"{', '.join(f'batch {b}: {epochs * (len(x_train) // b)} updates' for b in sizes)}",
        seeds=seeds,
    )
    runs = {
        (name, size): [train(split, norm, epochs, size, seed) for seed in seeds]
        for name, norm in NORMS.items()
        for size in sizes
    }

    def spread(name: str, size: int, value) -> Spread:
        return Spread.of(value(model, history) for model, history in runs[(name, size)])

    val = {key: spread(*key, lambda m, h: h["val_accuracy"][-1]) for key in runs}
    train_acc = {key: spread(*key, lambda m, h: h["inference_accuracy"][-1]) for key in runs}
    loss = {key: spread(*key, lambda m, h: h["loss"][-1]) for key in runs}
    gain = {
        size: Spread.of(
            hb["val_accuracy"][-1] - h0["val_accuracy"][-1]
            for (_, hb), (_, h0) in zip(runs[("batchnorm", size)], runs[("baseline", size)])
        )
        for size in sizes
    }

    def batch_stat_effects(size: int) -> tuple[Spread, Spread, Spread]:
        """Over the BN nets trained at ``size``: validation accuracy with batch statistics of ``size``
        images, the share of predictions that differ from inference mode's, and the batch-mean noise."""
        accuracy, disagreement, noise = [], [], []
        for seed, (model, _) in zip(seeds, runs[("batchnorm", size)]):
            index, predicted = batch_statistics_predictions(model, x_val, size, seed)
            inference = model.predict(x_val[index], batch_size=500).argmax(axis=1)
            accuracy.append(np.mean(predicted == y_val[index]))
            disagreement.append(np.mean(predicted != inference))
            noise.append(batch_mean_noise(model, x_val, size, seed))
        return Spread.of(accuracy), Spread.of(disagreement), Spread.of(noise)

    effects = {size: batch_stat_effects(size) for size in sizes}
    smallest = min(sizes)
    base, bn = ("baseline", main_size), ("batchnorm", main_size)
    report.headline = (
        f"val accuracy at batch {main_size}: batch norm {val[bn].percent()} vs without "
        f"{val[base].percent()}; "
        f"at batch {smallest}: {val[('batchnorm', smallest)].percent()} vs "
        f"{val[('baseline', smallest)].percent()} "
        f"({len(seeds)} seeds, {epochs} epochs)"
    )

    def effect_of_bn(size: int) -> str:
        if tied(val[("batchnorm", size)], val[("baseline", size)]):
            return f"batch {size}: {gain[size].points()}, a tie within the spread"
        return f"batch {size}: {gain[size].points()}"

    report.text(
        "The lab trains a six-layer net (five hidden layers of 100, weights drawn with the small scale "
        f"{WEIGHT_SCALE}) on 1,000 images with and without batch normalization, then repeats the comparison "
        "at several batch sizes, expecting batch norm to speed training up and to suffer at small batches. "
        f"Here the images are {len(x_train):,} {data.dataset} training images, {len(x_val):,} more held out "
        f"for validation, and every net gets the same budget of {epochs} epochs; {len(seeds)} seeds (mean ± "
        f"std). At the lab's batch of {main_size}, batch norm reaches {val[bn].percent()} validation "
        f"accuracy ({train_acc[bn].percent()} on the training images, measured in inference mode; final "
        f"training loss {loss[bn].plain()}) against {val[base].percent()} ({train_acc[base].percent()}; loss "
        f"{loss[base].plain()}) without. What batch norm adds to validation accuracy, per batch size: "
        + "; ".join(effect_of_bn(size) for size in sizes)
        + " (a difference within the spread, the two standard deviations added, is a tie)."
    )
    noise_small, noise_large = effects[smallest][2], effects[main_size][2]
    report.text(
        "What small batches do to batch norm. During training each unit is normalized with the mean and "
        "variance of the current batch only; at inference with running averages of them. The smaller the "
        f"batch, the noisier those statistics: the batch mean of a first-layer unit wanders by "
        f"{noise_small.plain(2)} of the unit's standard deviation from batch to batch at batch {smallest}, "
        f"{noise_large.plain(2)} at batch {main_size} (about 1/sqrt(batch size)). The net is thus trained on "
        "outputs that differ from those it produces at inference, a train/inference mismatch: run in "
        "training mode on the validation images with batches of its own size, the net trained at batch "
        f"{smallest} changes its predicted {data.item} for {effects[smallest][1].percent()} of the images "
        f"compared with inference mode (batch {main_size}: {effects[main_size][1].percent()}), and its "
        f"accuracy with batch statistics is {effects[smallest][0].percent()} against "
        f"{val[('batchnorm', smallest)].percent()} with the running ones (batch {main_size}: "
        f"{effects[main_size][0].percent()} against {val[bn].percent()}). "
        + small_batch_verdict(val[("batchnorm", smallest)], val[bn], smallest, main_size)
        + " Small batches also mean more updates for the same epochs "
        f"({epochs * (len(x_train) // smallest):,} "
        f"at batch {smallest}, {epochs * (len(x_train) // main_size):,} at batch {main_size}); comparing "
        "each batch-norm net with the baseline at the same batch size keeps that apart."
    )
    report.table(
        [
            "batch size",
            "updates",
            "val without",
            "val with batch norm",
            "batch norm - without",
            "train with BN (inference mode)",
            "BN val with batch statistics",
            "BN predictions changed by batch statistics",
            "batch-mean noise (unit std)",
        ],
        [
            [
                size,
                epochs * (len(x_train) // size),
                val[("baseline", size)].percent(),
                val[("batchnorm", size)].percent(),
                gain[size].points(),
                train_acc[("batchnorm", size)].percent(),
                effects[size][0].percent(),
                effects[size][1].percent(),
                effects[size][2].plain(2),
            ]
            for size in sizes
        ],
        caption=f"Batch-size sweep, {epochs} epochs each, mean ± std over {len(seeds)} seeds",
    )
    mean = lambda key, metric: list(np.mean([h[metric] for _, h in runs[key]], axis=0))  # noqa: E731
    report.figure(
        "loss.png",
        plots.curves(
            {f"{name} train": mean((name, main_size), "loss") for name in NORMS},
            f"Training loss, batch {main_size} (mean of {len(seeds)} seeds)",
            "cross-entropy",
        ),
        f"Training loss per epoch (running mean over the epoch's batches), with and without batch norm, "
        f"batch {main_size}.",
    )
    report.figure(
        "accuracy.png",
        plots.curves(
            {
                **{f"{name} train": mean((name, main_size), "inference_accuracy") for name in NORMS},
                **{f"{name} val": mean((name, main_size), "val_accuracy") for name in NORMS},
            },
            f"Accuracy, batch {main_size} (mean of {len(seeds)} seeds)",
            "accuracy",
        ),
        "Training (solid, inference mode) and validation (dashed) accuracy per epoch, with and without "
        "batch norm.",
    )
    report.figure(
        "batch_size_sweep.png",
        plots.curves(
            {f"{name}, batch {size}": mean((name, size), "val_accuracy") for (name, size) in runs},
            f"Validation accuracy across batch sizes (mean of {len(seeds)} seeds)",
            "accuracy",
        ),
        "Validation accuracy per epoch for each batch size, with and without batch norm.",
    )
    return report
