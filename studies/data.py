"""The data a study trains on: MNIST when ``--data-root`` holds it, else convkit's embedded digits."""

from __future__ import annotations

import dataclasses

import numpy as np

from convkit.datasets import load_digits


@dataclasses.dataclass
class StudyData:
    name: str  # what the report says it used, e.g. "UCI digits (embedded, 28x28)"
    x_train: np.ndarray  # float32 (N, C, H, W) in [0, 1]
    y_train: np.ndarray  # int64 (N,)
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    def flattened(self) -> StudyData:
        """The same images as vectors (N, C*H*W), for the fully connected nets."""
        return StudyData(
            self.name,
            self.x_train.reshape(len(self.x_train), -1),  # (N, C*H*W)
            self.y_train,
            self.x_test.reshape(len(self.x_test), -1),  # (N, C*H*W)
            self.y_test,
        )

    def split_validation(
        self, fraction: float = 0.2, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(x_train, y_train, x_val, y_val)``: a random ``fraction`` of the training split held out for
        validation (hyperparameters are chosen on it); the test split is left untouched."""
        order = np.random.default_rng(seed).permutation(len(self.x_train))
        n_val = max(1, int(round(len(order) * fraction)))
        train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
        return self.x_train[train], self.y_train[train], self.x_train[val], self.y_train[val]

    def subset(self, n_train: int | None, n_test: int | None, seed: int = 0) -> StudyData:
        """A random class-mixed subset (sizes capped at what there is); None keeps a split whole."""
        rng = np.random.default_rng(seed)

        def pick(x, y, n):
            if n is None or n >= len(x):
                return x, y
            index = np.sort(rng.permutation(len(x))[:n])
            return x[index], y[index]

        x_train, y_train = pick(self.x_train, self.y_train, n_train)
        x_test, y_test = pick(self.x_test, self.y_test, n_test)
        label = f"{self.name}, {len(x_train)} train / {len(x_test)} test"
        return StudyData(label, x_train, y_train, x_test, y_test)


def load_study_data(ctx, size: int = 28) -> StudyData:
    """MNIST from ``ctx.data_root`` (no download) when it is there, otherwise the embedded UCI digits."""
    if ctx.data_root is not None:
        from convkit.datasets import load_mnist

        try:
            (x_train, y_train), (x_test, y_test) = load_mnist(ctx.data_root, download=False)
            return StudyData("MNIST", x_train, y_train, x_test, y_test)
        except FileNotFoundError:
            pass
    (x_train, y_train), (x_test, y_test) = load_digits(size=size)
    return StudyData(f"UCI digits (embedded, {size}x{size})", x_train, y_train, x_test, y_test)
