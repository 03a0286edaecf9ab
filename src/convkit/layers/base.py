"""The Layer base class: lazy build from the input shape, forward/backward, params/grads, config."""

from __future__ import annotations

import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from .._validation import flag

_name_counter = itertools.count()


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


class Layer(ABC):
    """A differentiable step of a network, Keras style.

    Subclasses implement ``call(x, training)`` (compute the output, keep what backward needs),
    ``backward(dout)`` (fill ``self.grads``, return dx) and ``compute_output_shape``; layers with weights
    create them in ``build(input_shape)`` and then call ``super().build(input_shape)``. A layer that runs a
    functional pair keeps the forward op's cache in ``self._cache``, written by its ``call`` and read by
    its ``backward`` only.

    Shapes exclude the batch axis: ``input_shape=(1, 28, 28)`` for MNIST images.

    Attributes:
    - params: trainable arrays by name (e.g. ``"weight"``, ``"bias"``); optimizers update them in place.
    - grads: gradients with the same keys, written by ``backward``.
    - state: non-trainable arrays (BatchNorm's running statistics), saved with the model.
    - trainable: False freezes the layer (Keras' ``layer.trainable = False``): the optimizer leaves its
      params alone and a model's backward asks it for dx only (``backward_input``).
    """

    def __init__(
        self,
        *,
        input_shape: Sequence[int] | None = None,
        name: str | None = None,
        dtype="float32",
        trainable: bool = True,
    ):
        cls = type(self).__name__
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"{cls}: dtype must be float32 or float64. Received: dtype={dtype}")
        if input_shape is not None:
            input_shape = tuple(int(d) for d in input_shape)
            if any(d < 1 for d in input_shape):
                raise ValueError(
                    f"{cls}: input_shape must hold positive sizes. Received: input_shape={input_shape}"
                )
        self.name = name or f"{_snake_case(cls)}_{next(_name_counter)}"
        self.dtype = dtype
        self.input_shape: tuple[int, ...] | None = input_shape
        self.built = False
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.trainable = trainable

    # -- to implement -------------------------------------------------------------------------------------
    @abstractmethod
    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        """Output for a batch of the built input shape; keeps what ``backward`` needs."""

    @abstractmethod
    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradient w.r.t. the last forward's input; stores the parameter gradients in ``self.grads``."""

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Output shape (without batch) for an input shape (without batch); elementwise layers keep it."""
        return tuple(input_shape)

    def backward_weights(self, dout: np.ndarray) -> None:
        """Fill ``self.grads`` like ``backward`` when nothing needs the input gradient (a model's first
        layer with parameters). The default runs ``backward``; layers that can skip dx override it."""
        self.backward(dout)

    def backward_input(self, dout: np.ndarray) -> np.ndarray:
        """The input gradient alone, for a frozen layer: ``backward`` by default (its ``grads`` then go
        unused); the kernel layers override it to skip the weight gradient."""
        return self.backward(dout)

    # -- shared machinery ---------------------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        """Whether the optimizer updates this layer's params (and a model's backward computes their
        gradients)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = flag(value, "trainable", type(self).__name__)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the params then the state arrays, in Keras' order (Dense: kernel, bias; BatchNorm:
        gamma, beta, running mean, running variance)."""
        return [array.copy() for array in (*self.params.values(), *self.state.values())]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy arrays in ``get_weights`` order into the layer, in place (optimizers stay attached)."""
        targets = [*self.params.values(), *self.state.values()]
        if len(weights) != len(targets):
            raise ValueError(
                f"{self.name}.set_weights: expected {len(targets)} arrays. Received: {len(weights)} arrays"
            )
        values = [np.asarray(value) for value in weights]
        for i, (target, value) in enumerate(zip(targets, values)):
            if value.shape != target.shape:
                raise ValueError(
                    f"{self.name}.set_weights: array {i} must have shape {target.shape}. "
                    f"Received: {value.shape}"
                )
        for target, value in zip(targets, values):
            np.copyto(target, value, casting="same_kind")

    def build(self, input_shape: Sequence[int]) -> None:
        """Create the weights for ``input_shape`` (without batch). Subclasses call ``super().build`` last."""
        self.input_shape = tuple(int(d) for d in input_shape)
        self.built = True

    def forward(self, x, training: bool = False) -> np.ndarray:
        """Output for a batch ``x`` of shape (N, *input_shape); builds the layer on first use (from the
        declared ``input_shape`` if any, else from ``x``)."""
        return self.call(self.checked_input(x), training)

    def checked_input(self, x) -> np.ndarray:
        """``x`` as an array of the layer's dtype and input shape (building the layer on first use)."""
        x = np.asarray(x)
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        if not self.built:
            self.build(x.shape[1:] if self.input_shape is None else self.input_shape)
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"{self.name}: expected input of shape (N, {', '.join(map(str, self.input_shape))}). "
                f"Received: x.shape={x.shape}"
            )
        return x

    __call__ = forward

    def regularization_loss(self) -> float:
        """Penalty added to the training loss (L2 weight decay of the layer's kernel); 0 by default."""
        return 0.0

    def count_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def get_config(self) -> dict:
        """Hyperparameters only, so that ``type(layer)(**layer.get_config())`` rebuilds the layer."""
        config = {"name": self.name, "dtype": self.dtype.name}
        if self.input_shape is not None:
            config["input_shape"] = list(self.input_shape)
        if not self.trainable:
            config["trainable"] = False
        return config

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
