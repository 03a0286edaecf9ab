"""The main job (``make demo``): train LeNet on the embedded UCI digits with convkit and report.

Run as ``python -m convkit.demo [--epochs N] [--batch-size B] [--seed S]``.
"""

from __future__ import annotations

import argparse
import time

from . import optimizers, show_config
from .datasets import load_digits
from .models import lenet

VALIDATION_SPLIT = 0.1


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m convkit.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    show_config()
    (x_train, y_train), (x_test, y_test) = load_digits(size=28)
    print(f"\nUCI digits resized to 28x28: {len(x_train)} training and {len(x_test)} test images\n")
    model = lenet()
    model.compile(optimizer=optimizers.Adamax(lr=args.lr), loss="cross_entropy", metrics=["accuracy"])
    model.build(seed=args.seed)
    model.summary()

    start = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_split=VALIDATION_SPLIT,
        seed=args.seed,
    )
    train_seconds = time.perf_counter() - start
    fit_samples = len(x_train) - round(len(x_train) * VALIDATION_SPLIT)
    images = fit_samples * len(history.epoch)
    start = time.perf_counter()
    results = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    test_seconds = time.perf_counter() - start
    print(f"\nTest accuracy: {results['accuracy']:.2%} ({len(x_test)} images, loss {results['loss']:.4f})")
    print(
        f"Training: {images / train_seconds:,.0f} images/s incl. validation; inference: "
        f"{len(x_test) / test_seconds:,.0f} images/s"
    )
    return results


if __name__ == "__main__":
    main()
