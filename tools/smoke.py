"""The installed wheel's smoke job: its configuration, a few LeNet steps on the embedded digits, save/load.

Run with the interpreter of a fresh environment (``make wheels-test``), from outside the source tree, so the
convkit it imports is the installed one."""

from __future__ import annotations

import os
import sys
import tempfile

import numpy as np

import convkit
from convkit import optimizers
from convkit.datasets import load_digits
from convkit.models import lenet


def main() -> None:
    source = os.path.dirname(convkit.__file__)
    if "site-packages" not in source:
        sys.exit(f"smoke: convkit imported from {source}, not from an installed wheel")
    convkit.show_config()
    (x_train, y_train), (x_test, _) = load_digits(size=28)
    model = lenet(image_size=28, max_shift=2)
    model.compile(optimizer=optimizers.Adamax(lr=1e-2), loss="cross_entropy", metrics=["accuracy"])
    model.build(seed=0)
    history = model.fit(x_train[:256], y_train[:256], batch_size=64, epochs=2, verbose=0, seed=0)
    losses = history.history["loss"]
    if not (np.all(np.isfinite(losses)) and losses[-1] < losses[0]):
        sys.exit(f"smoke: the loss did not go down in 8 steps: {losses}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "lenet.npz")
        model.save(path)
        restored = convkit.load_model(path)
    before, after = model.predict(x_test[:32]), restored.predict(x_test[:32])
    if not np.array_equal(before, after):
        sys.exit("smoke: the loaded model predicts differently from the saved one")
    print(f"smoke: ok (loss {losses[0]:.4f} -> {losses[-1]:.4f}, save/load identical)")


if __name__ == "__main__":
    main()
