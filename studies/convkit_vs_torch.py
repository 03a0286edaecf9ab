"""Study 9: one LeNet trained by convkit and by PyTorch (CPU) from the same weights on the same batches."""

from __future__ import annotations

import time

import numpy as np

import convkit
from convkit import models, optimizers
from convkit.interop import to_torch

from . import plots
from .context import StudyContext
from .data import StudyData, load_study_data
from .registry import study
from .report import Report

TITLE = "convkit vs PyTorch: the same LeNet, weights and batches"
LR, BATCH_SIZE, INFERENCE_BATCH = 1e-2, 64, 256


def epoch_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    """The shuffled sample order of every epoch, shared by both frameworks."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


def train_convkit(model, data: StudyData, orders: list[np.ndarray]) -> tuple[list[float], list[float]]:
    """Adamax steps on the given batches; returns (test accuracy after each epoch, seconds of each epoch)."""
    model.compile(optimizers.Adamax(lr=LR), loss="cross_entropy", metrics=["accuracy"])
    accuracies, seconds = [], []
    for order in orders:
        start = time.perf_counter()
        for begin in range(0, len(order), BATCH_SIZE):
            index = order[begin : begin + BATCH_SIZE]
            model.train_on_batch(data.x_train[index], data.y_train[index])
        seconds.append(time.perf_counter() - start)
        predictions = model.predict(data.x_test, batch_size=INFERENCE_BATCH).argmax(axis=1)
        accuracies.append(float((predictions == data.y_test).mean()))
    return accuracies, seconds


def torch_predict(torch, module, x: np.ndarray) -> np.ndarray:
    """Logits of ``module`` in eval mode, in batches of ``INFERENCE_BATCH``."""
    module.eval()
    with torch.no_grad():
        return np.concatenate(
            [
                module(torch.from_numpy(x[i : i + INFERENCE_BATCH])).numpy()
                for i in range(0, len(x), INFERENCE_BATCH)
            ]
        )


def train_torch(torch, module, data: StudyData, orders: list[np.ndarray]) -> tuple[list[float], list[float]]:
    """The same loop in PyTorch (``torch.optim.Adamax``); returns (test accuracy, seconds) per epoch."""
    optimizer = torch.optim.Adamax(module.parameters(), lr=LR)
    x_train, y_train = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train.astype(np.int64))
    accuracies, seconds = [], []
    for order in orders:
        module.train()
        start = time.perf_counter()
        for begin in range(0, len(order), BATCH_SIZE):
            index = torch.from_numpy(order[begin : begin + BATCH_SIZE])
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(module(x_train[index]), y_train[index])
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
        predictions = torch_predict(torch, module, data.x_test).argmax(axis=1)
        accuracies.append(float((predictions == data.y_test).mean()))
    return accuracies, seconds


def images_per_second(predict, x: np.ndarray, repeats: int) -> float:
    """Inference throughput: the best of ``repeats`` timed passes over ``x`` (after one warm-up pass)."""
    predict(x)
    best = min(_timed(predict, x) for _ in range(repeats))
    return len(x) / max(best, 1e-9)


def _timed(predict, x: np.ndarray) -> float:
    start = time.perf_counter()
    predict(x)
    return time.perf_counter() - start


@study(9)
def run(ctx: StudyContext) -> Report:
    import torch

    report = Report("convkit_vs_torch", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=None, quick=3000, tiny=200), ctx.pick(full=None, quick=1000, tiny=100), ctx.seed
    )
    epochs, repeats = ctx.pick(10, 4, 1), ctx.pick(5, 3, 1)
    threads = convkit.get_num_threads()
    torch.set_num_threads(threads)

    model = models.lenet(
        num_classes=data.num_classes, in_channels=data.input_shape[0], image_size=data.input_shape[1]
    )
    model.build(seed=ctx.seed)
    module = to_torch(model)  # the same initial weights
    initial_logits = model.predict(data.x_test[:64])
    orders = epoch_orders(len(data.x_train), epochs, ctx.seed)
    report.settings.update(
        data=f"{data.name} (the test split is evaluated after every epoch)",
        model="LeNet (models.lenet, copied to torch with convkit.interop.to_torch)",
        optimizer=f"Adamax(lr={LR}) in both",
        epochs=epochs,
        batch_size=BATCH_SIZE,
        inference_batch=INFERENCE_BATCH,
        threads=f"{threads} (convkit.get_num_threads(); torch.set_num_threads({threads})), torch on CPU",
    )

    # convkit is trained and timed before torch computes anything: torch's idle OpenMP threads keep
    # spinning for a while after each call and would steal the (few) cores from convkit's.
    ck_curve, ck_seconds = train_convkit(model, data, orders)
    ck_infer = images_per_second(lambda x: model.predict(x, batch_size=INFERENCE_BATCH), data.x_test, repeats)
    initial_gap = float(np.abs(initial_logits - torch_predict(torch, module, data.x_test[:64])).max())
    torch_curve, torch_seconds = train_torch(torch, module, data, orders)
    torch_infer = images_per_second(lambda x: torch_predict(torch, module, x), data.x_test, repeats)
    # throughput of the fastest epoch: the machine is shared, and slow epochs are other processes' doing
    ck_train, torch_train = len(data.x_train) / min(ck_seconds), len(data.x_train) / min(torch_seconds)
    final_gap = float(np.abs(model.predict(data.x_test) - torch_predict(torch, module, data.x_test)).max())
    ck_params = model.count_params()
    torch_params = sum(p.numel() for p in module.parameters())

    report.headline = (
        f"test accuracy convkit {ck_curve[-1]:.1%} vs torch {torch_curve[-1]:.1%}; "
        f"training {ck_train / torch_train:.2f}x torch's speed"
    )
    report.text(
        f"LeNet is built once in convkit and copied into PyTorch with `convkit.interop.to_torch` (their "
        f"initial outputs differ by at most {initial_gap:.1e}); both are then trained with Adamax "
        f"(lr {LR}) on exactly the same batches in the same order, on the CPU with {threads} threads each. "
        f"On {data.name}, after {epochs} epochs convkit reaches {ck_curve[-1]:.1%} test accuracy and "
        f"PyTorch {torch_curve[-1]:.1%}; after training their logits differ by at most {final_gap:.2g} "
        "(float32 rounding grows over the steps). convkit trains at "
        f"{ck_train:,.0f} images/s against {torch_train:,.0f} for PyTorch "
        f"({ck_train / torch_train:.2f}x) and infers at {ck_infer:,.0f} against {torch_infer:,.0f} images/s "
        f"({ck_infer / torch_infer:.2f}x). Both have {ck_params:,} / {torch_params:,} parameters. The "
        "timings come from a shared 2-core machine and vary a lot from run to run (each figure is the "
        "fastest epoch or pass, to filter out other processes); treat them as rough."
    )
    report.table(
        ["", "test accuracy", "train images/s", "inference images/s", "parameters"],
        [
            ["convkit", ck_curve[-1], f"{ck_train:,.0f}", f"{ck_infer:,.0f}", f"{ck_params:,}"],
            [
                f"PyTorch {torch.__version__} (CPU)",
                torch_curve[-1],
                f"{torch_train:,.0f}",
                f"{torch_infer:,.0f}",
                f"{torch_params:,}",
            ],
        ],
        caption=f"After {epochs} epochs; training: the fastest epoch; inference: the fastest of {repeats} "
        "passes over the test split",
    )
    report.figure(
        "accuracy.png",
        plots.curves({"convkit": ck_curve, "PyTorch": torch_curve}, "Test accuracy", "accuracy"),
        "Test accuracy after each epoch, same initial weights and batches.",
    )
    report.figure(
        "throughput.png",
        plots.bar(
            ["convkit train", "PyTorch train", "convkit inference", "PyTorch inference"],
            [ck_train, torch_train, ck_infer, torch_infer],
            "Throughput (CPU)",
            "images/s",
        ),
        "Training and inference throughput, images per second.",
    )
    return report
