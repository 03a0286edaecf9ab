"""The main job (``make demo``): train LeNet on the embedded UCI digits with convkit and report.

Run as ``python -m convkit.demo [--epochs N] [--batch-size B] [--lr LR] [--seed S]``.

The recipe: LeNet behind a ``RandomShift(2)`` augmentation layer (1,438 training images are few; shifted
copies keep LeNet from memorising them), Adamax with a cosine learning-rate schedule, batch 64.
"""

from __future__ import annotations

import argparse
import time

from . import optimizers, show_config
from .callbacks import History
from .datasets import load_digits
from .models import lenet
from .schedules import cosine_schedule
from .sequential import Sequential

IMAGE_SIZE = 28
MAX_SHIFT = 2


def train_lenet_on_digits(
    epochs: int = 30, batch_size: int = 64, lr: float = 1e-2, seed: int = 0, verbose: int = 1
) -> tuple[Sequential, History, dict[str, float]]:
    """Train the demo model on the digits' training split; returns (model, history, test results).

    The test split is passed as validation data only to show its accuracy per epoch: nothing is tuned on it.
    """
    (x_train, y_train), (x_test, y_test) = load_digits(size=IMAGE_SIZE)
    model = lenet(image_size=IMAGE_SIZE, max_shift=MAX_SHIFT)
    model.compile(optimizer=optimizers.Adamax(lr=lr), loss="cross_entropy", metrics=["accuracy"])
    model.build(seed=seed)
    if verbose:
        size = f"{IMAGE_SIZE}x{IMAGE_SIZE}"
        print(f"UCI digits resized to {size}: {len(x_train)} training, {len(x_test)} test images")
        model.summary()
    history = model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(x_test, y_test),
        callbacks=[cosine_schedule(lr, epochs)],
        seed=seed,
        verbose=verbose,
    )
    results = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    return model, history, results


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m convkit.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    show_config()
    start = time.perf_counter()
    model, history, results = train_lenet_on_digits(args.epochs, args.batch_size, args.lr, args.seed)
    seconds = time.perf_counter() - start
    (x_train, _), (x_test, _) = load_digits(size=IMAGE_SIZE)
    start = time.perf_counter()
    model.predict(x_test, batch_size=256)
    inference_seconds = time.perf_counter() - start
    trained = len(x_train) * len(history.epoch)
    print(f"\nTest accuracy: {results['accuracy']:.2%} on {len(x_test)} images (loss {results['loss']:.4f})")
    print(
        f"Training: {trained / seconds:,.0f} images/s over {len(history.epoch)} epochs "
        f"({seconds:.1f} s, validation included); inference: {len(x_test) / inference_seconds:,.0f} images/s"
    )
    return results


if __name__ == "__main__":
    main()
