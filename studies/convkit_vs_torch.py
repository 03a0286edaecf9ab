"""Study 9: one LeNet trained by convkit and by PyTorch (CPU) from the same weights on the same batches,
then both timed window by window (``studies.timing``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

import convkit
from convkit import models, optimizers
from convkit.interop import to_torch

from . import plots
from .context import StudyContext
from .data import StudyData, load_study_data
from .registry import study
from .report import Report
from .timing import MIN_REPEATS, MIN_WINDOW_S, Timing, time_interleaved

TITLE = "convkit vs PyTorch: the same LeNet, weights and batches"
LAB_ITEM = "Lab B, item 3: convkit vs a framework (PyTorch)"
LR, BATCH_SIZE, INFERENCE_BATCH = 1e-2, 64, 256
TIMED_BATCHES = 50  # training batches per timed call


def epoch_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    """The shuffled sample order of every epoch, shared by both frameworks."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


def batches(order: np.ndarray) -> list[np.ndarray]:
    """``order`` cut into index batches of ``BATCH_SIZE`` (the last one may be shorter)."""
    return [order[begin : begin + BATCH_SIZE] for begin in range(0, len(order), BATCH_SIZE)]


def convkit_predict(model, x: np.ndarray) -> np.ndarray:
    return model.predict(x, batch_size=INFERENCE_BATCH)


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


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return float((logits.argmax(axis=1) == y).mean())


def convkit_step(model) -> Callable[[np.ndarray, np.ndarray], float]:
    """One Adamax step on a batch; returns the batch's accuracy (before the step)."""
    model.compile(optimizers.Adamax(lr=LR), loss="cross_entropy", metrics=["accuracy"])
    return lambda x, y: model.train_on_batch(x, y)[1]


def torch_step(torch, module) -> Callable[[np.ndarray, np.ndarray], float]:
    """The same step in PyTorch (``torch.optim.Adamax``, cross-entropy on logits)."""
    optimizer = torch.optim.Adamax(module.parameters(), lr=LR)

    def step(x: np.ndarray, y: np.ndarray) -> float:
        module.train()
        optimizer.zero_grad()
        logits = module(torch.from_numpy(x))
        torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).backward()
        optimizer.step()
        return float((logits.argmax(1).numpy() == y).mean())

    return step


def train(step, predict, data: StudyData, orders: list[np.ndarray]) -> dict[str, list[float]]:
    """``step`` over each epoch's batches; per epoch the running train accuracy (weighted by batch size)
    and the test accuracy after the epoch."""
    curves = {"train": [], "test": []}
    for order in orders:
        correct = sum(step(data.x_train[i], data.y_train[i]) * len(i) for i in batches(order))
        curves["train"].append(correct / len(order))
        curves["test"].append(accuracy(predict(data.x_test), data.y_test))
    return curves


def timing_rows(task: str, timings: dict[str, Timing], items: int, unit: str) -> list[list]:
    """Table rows: framework, task, images/s, seconds per ``unit``, the timing's conditions."""
    return [
        [name, task, f"{t.per_second(items):,.0f}", f"{t.seconds * 1e3:,.1f} ms per {unit}", t.conditions()]
        for name, t in timings.items()
    ]


@study(9)
def run(ctx: StudyContext) -> Report:
    import torch

    report = Report("convkit_vs_torch", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=None, quick=10000, tiny=200), ctx.pick(full=None, quick=2000, tiny=100), ctx.seed
    )
    epochs = ctx.pick(20, 5, 2)
    window_s, repeats = ctx.pick(MIN_WINDOW_S, MIN_WINDOW_S, 0.05), ctx.pick(5, MIN_REPEATS, 1)
    threads = convkit.get_num_threads()
    torch.set_num_threads(threads)

    model = models.lenet(
        num_classes=data.num_classes, in_channels=data.input_shape[0], image_size=data.input_shape[1]
    )
    model.build(seed=ctx.seed)
    module = to_torch(model)  # the same initial weights
    initial_gap = float(
        np.abs(
            convkit_predict(model, data.x_test[:64]) - torch_predict(torch, module, data.x_test[:64])
        ).max()
    )
    orders = epoch_orders(len(data.x_train), epochs, ctx.seed)
    report.uses(data)
    report.settings.update(
        data=f"{data.name} (the test split is evaluated after every epoch)",
        model="LeNet (models.lenet, copied to torch with convkit.interop.to_torch)",
        optimizer=f"Adamax(lr={LR}) in both",
        epochs=epochs,
        batch_size=BATCH_SIZE,
        inference_batch=INFERENCE_BATCH,
        threads=f"{threads} (convkit.get_num_threads(); torch.set_num_threads({threads})), torch on CPU",
        timing=f"interleaved windows of >= {window_s} s, median of {repeats}; training calls of "
        f"{TIMED_BATCHES} batches of {BATCH_SIZE}, inference calls over the test split",
    )

    ck_step, th_step = convkit_step(model), torch_step(torch, module)
    ck_predict, th_predict = partial(convkit_predict, model), partial(torch_predict, torch, module)
    ck_curves = train(ck_step, ck_predict, data, orders)
    th_curves = train(th_step, th_predict, data, orders)
    final_gap = float(np.abs(ck_predict(data.x_test) - th_predict(data.x_test)).max())

    # Timed after the curves are recorded (the timed steps train both models further, alike).
    timed = batches(orders[0])[:TIMED_BATCHES]
    timed_x = [np.ascontiguousarray(data.x_train[i]) for i in timed]
    timed_y = [data.y_train[i] for i in timed]
    timed_images = sum(len(i) for i in timed)

    def stepping(step) -> Callable[[], None]:
        def steps() -> None:
            for x, y in zip(timed_x, timed_y):
                step(x, y)

        return steps

    training = time_interleaved(
        {"convkit": stepping(ck_step), "PyTorch": stepping(th_step)}, window_s, repeats
    )
    inference = time_interleaved(
        {"convkit": lambda: ck_predict(data.x_test), "PyTorch": lambda: th_predict(data.x_test)},
        window_s,
        repeats,
    )
    epoch_s = {name: len(data.x_train) / t.per_second(timed_images) for name, t in training.items()}
    ck_params = model.count_params()
    torch_params = sum(p.numel() for p in module.parameters())
    ck_test, th_test = ck_curves["test"][-1], th_curves["test"][-1]
    epoch_gap = float(np.abs(np.subtract(ck_curves["test"], th_curves["test"])).max())

    report.headline = (
        f"test accuracy convkit {ck_test:.1%} vs PyTorch {th_test:.1%} after {epochs} epochs; one training "
        f"epoch of {len(data.x_train):,} images {epoch_s['convkit']:.2f} s vs {epoch_s['PyTorch']:.2f} s "
        "(conditions in the report)"
    )
    report.text(
        f"LeNet is built once in convkit and copied into PyTorch with `convkit.interop.to_torch` (their "
        f"initial outputs differ by at most {initial_gap:.1e}); both are then trained with Adamax "
        f"(lr {LR}) on exactly the same batches in the same order, on the CPU with {threads} threads each. "
        f"On {data.name}, after {epochs} epochs convkit classifies {ck_test:.1%} of the test images "
        f"correctly and PyTorch {th_test:.1%}; after training their logits differ by at most "
        f"{final_gap:.2g} (float32 rounding differs, and the differences grow over the steps), and their "
        f"test accuracies differ by up to {epoch_gap:.1%} from epoch to epoch: a gap of that size is the "
        f"two runs drifting apart, not one framework learning better. Both have {ck_params:,} / "
        f"{torch_params:,} parameters."
    )
    report.text(
        f"Speed: each framework runs windows of at least {window_s} s of the same work (training: "
        f"{len(timed)} Adamax steps on the same {timed_images:,} images; inference: a pass over the "
        f"{len(data.x_test):,} test images in batches of {INFERENCE_BATCH}), the two alternating window by "
        f"window so that a load spike hits both; each figure is the median of {repeats} windows, with the "
        f"range, threads and machine load beside it. At that speed one training epoch of "
        f"{len(data.x_train):,} images takes {epoch_s['convkit']:.2f} s in convkit and "
        f"{epoch_s['PyTorch']:.2f} s in PyTorch {torch.__version__}."
    )
    report.table(
        ["framework", "task", "images/s", "median time", "conditions"],
        timing_rows("training", training, timed_images, f"{len(timed)} steps")
        + timing_rows("inference", inference, len(data.x_test), "test pass"),
        caption="Throughput (studies.timing: median of interleaved windows)",
    )
    report.table(
        ["framework", "final running train accuracy", "final test accuracy", "parameters"],
        [
            ["convkit", ck_curves["train"][-1], ck_test, f"{ck_params:,}"],
            [f"PyTorch {torch.__version__} (CPU)", th_curves["train"][-1], th_test, f"{torch_params:,}"],
        ],
        caption=f"After {epochs} epochs on the same batches",
    )
    report.figure(
        "accuracy.png",
        plots.curves(
            {
                **{f"convkit {split}": values for split, values in ck_curves.items()},
                **{f"PyTorch {split}": values for split, values in th_curves.items()},
            },
            "LeNet accuracy, same weights and batches",
            "accuracy",
        ),
        "Running train accuracy and test accuracy after each epoch, convkit and PyTorch (where the two "
        "agree, PyTorch's curves hide convkit's).",
    )
    report.figure(
        "throughput.png",
        plots.bar(
            ["convkit train", "PyTorch train", "convkit inference", "PyTorch inference"],
            [
                training["convkit"].per_second(timed_images),
                training["PyTorch"].per_second(timed_images),
                inference["convkit"].per_second(len(data.x_test)),
                inference["PyTorch"].per_second(len(data.x_test)),
            ],
            f"Throughput (CPU; {training['convkit'].threads}; load <= "
            f"{max(t.load for t in (*training.values(), *inference.values())):.2f})",
            "images/s",
        ),
        "Training and inference throughput, images per second (median windows; conditions in the "
        "throughput table).",
    )
    return report
