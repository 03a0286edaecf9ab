"""Training losses, by name or as objects: each maps (prediction, target, sample_weight=None) to (loss,
gradient w.r.t. the prediction).

- By name: the functional losses (``convkit.functional.losses``), each registered there beside its code with
  ``@register("name")``: ``"cross_entropy"`` (logits), ``"sparse_categorical_crossentropy"``
  (probabilities, as Keras), ``"mse"``, ``"bce_with_logits"`` (multi-label logits), ``"l1"``, ``"huber"``;
  a user-defined loss registers itself the same way.
- As objects, configured: ``CrossEntropy(label_smoothing=0.0)``, ``SparseCategoricalCrossentropy(
  from_logits=False)``, ``MSE()``, ``BCEWithLogits()``, ``L1()``, ``Huber(delta=1.0)``; each class
  registers itself with ``@register_class`` so that ``serialize``/``deserialize`` (and
  ``save``/``load_model``) round-trip it through its ``get_config``.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod

import numpy as np

from ._registry import add
from ._validation import flag, real
from .functional.losses import (
    LOSS_KINDS,
    LOSSES,
    LossFn,
    LossKind,
    bce_with_logits,
    huber_loss,
    l1_loss,
    mse_loss,
    register,
    softmax_cross_entropy,
    sparse_categorical_crossentropy,
)
from .layers.activations import Softmax

__all__ = [
    "L1",
    "LOSSES",
    "MSE",
    "BCEWithLogits",
    "CrossEntropy",
    "Huber",
    "Loss",
    "LossFn",
    "LossKind",
    "SparseCategoricalCrossentropy",
    "deserialize",
    "get",
    "kind",
    "register",
    "register_class",
    "serialize",
    "warn_softmax_before_logits",
]


class Loss(ABC):
    """A configured loss: ``loss(prediction, target, sample_weight=None) -> (loss, dprediction)``.

    ``labels``: its targets are integer class labels; ``from_logits``: its predictions are logits.
    ``get_config()`` holds the arguments, so that ``type(loss)(**loss.get_config())`` rebuilds it.
    """

    labels = False
    from_logits = False

    @abstractmethod
    def __call__(self, pred, target, sample_weight=None) -> tuple[float, np.ndarray]:
        """(loss, gradient w.r.t. ``pred``); with ``sample_weight`` (N,): sum(weight * loss) / N."""

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.get_config().items()))))


LOSS_CLASSES: dict[str, type[Loss]] = {}  # class name -> Loss subclass


def register_class(cls: type[Loss]) -> type[Loss]:
    """Class decorator: make ``cls`` known to ``deserialize`` under its class name."""
    if not (isinstance(cls, type) and issubclass(cls, Loss)):
        raise TypeError(f"register_class: expected a subclass of Loss. Received: {cls!r}")
    add(LOSS_CLASSES, cls.__name__, cls, "loss class", "register_class")
    return cls


@register_class
class CrossEntropy(Loss):
    """Softmax cross-entropy on logits (N, K) and integer labels (N,), as ``torch.nn.CrossEntropyLoss``.

    ``label_smoothing`` in [0, 1]: the target is ``(1 - label_smoothing) * one_hot(y) + label_smoothing / K``
    (torch's argument). With 0 it is the ``"cross_entropy"`` loss.
    """

    labels = True
    from_logits = True

    def __init__(self, label_smoothing: float = 0.0):
        self.label_smoothing = real(
            label_smoothing, "label_smoothing", "CrossEntropy", low=0.0, high=1.0, high_inclusive=True
        )

    def __call__(self, pred, target, sample_weight=None) -> tuple[float, np.ndarray]:
        return softmax_cross_entropy(pred, target, sample_weight, label_smoothing=self.label_smoothing)

    def get_config(self) -> dict:
        return {"label_smoothing": self.label_smoothing}


@register_class
class SparseCategoricalCrossentropy(Loss):
    """Keras's sparse categorical cross-entropy: probabilities (N, K) (a ``Softmax`` layer's output) unless
    ``from_logits=True``, and integer labels (N,). Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras
    does. The string ``"sparse_categorical_crossentropy"`` is ``SparseCategoricalCrossentropy()``."""

    labels = True

    def __init__(self, from_logits: bool = False):
        self.from_logits = flag(from_logits, "from_logits", "SparseCategoricalCrossentropy")

    def __call__(self, pred, target, sample_weight=None) -> tuple[float, np.ndarray]:
        return sparse_categorical_crossentropy(pred, target, sample_weight, from_logits=self.from_logits)

    def get_config(self) -> dict:
        return {"from_logits": self.from_logits}


@register_class
class MSE(Loss):
    """Mean squared error over every element (``torch.nn.MSELoss``); the ``"mse"`` loss as an object."""

    def __call__(self, pred, target, sample_weight=None) -> tuple[float, np.ndarray]:
        return mse_loss(pred, target, sample_weight)


@register_class
class BCEWithLogits(Loss):
    """Sigmoid + binary cross-entropy on every element (``torch.nn.BCEWithLogitsLoss``): logits and
    multi-label targets in {0, 1} of the same shape; the ``"bce_with_logits"`` loss as an object."""

    from_logits = True

    def __call__(self, pred, target, sample_weight=None) -> tuple[float, np.ndarray]:
        return bce_with_logits(pred, target, sample_weight)


@register_class
class L1(Loss):
    """Mean absolute error over every element (``torch.nn.L1Loss``); the ``"l1"`` loss as an object."""

    def __call__(self, pred, target, sample_weight=None) -> tuple[float, np.ndarray]:
        return l1_loss(pred, target, sample_weight)


@register_class
class Huber(Loss):
    """Huber loss (``torch.nn.HuberLoss(delta=delta)``): quadratic where |pred - target| < delta, linear
    beyond. With delta 1.0 it is the ``"huber"`` loss."""

    def __init__(self, delta: float = 1.0):
        self.delta = real(delta, "delta", "Huber", low=0.0, low_inclusive=False, wanted="a positive float")

    def __call__(self, pred, target, sample_weight=None) -> tuple[float, np.ndarray]:
        return huber_loss(pred, target, sample_weight, delta=self.delta)

    def get_config(self) -> dict:
        return {"delta": self.delta}


def get(identifier: str | Loss | dict) -> LossFn:
    """The loss registered under a name, a ``Loss`` object (returned as is) or one from a ``serialize``
    dict."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier not in LOSSES:
            raise ValueError(f"Unknown loss. Expected one of {sorted(LOSSES)}. Received: loss={identifier!r}")
        return LOSSES[identifier]
    raise TypeError(
        "losses.get: loss must be a name, a convkit.losses.Loss or a serialized loss dict. "
        f"Received: loss={identifier!r}"
    )


def kind(identifier: str | Loss) -> LossKind:
    """What the loss expects: ``LossKind(labels, logits)``."""
    if isinstance(identifier, Loss):
        return LossKind(identifier.labels, identifier.from_logits)
    get(identifier)  # the name check and its message
    return LOSS_KINDS[identifier]


def serialize(loss: str | Loss) -> str | dict:
    """A name as is, a ``Loss`` as ``{"class_name": ..., "config": ...}``; ``deserialize`` inverts it."""
    if isinstance(loss, str):
        return loss
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    raise TypeError(f"losses.serialize: expected a name or a Loss. Received: loss={loss!r}")


def deserialize(config: str | dict) -> str | Loss:
    """A name as is, or a new ``Loss`` from ``{"class_name": ..., "config": ...}``."""
    if isinstance(config, str):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            'losses.deserialize: expected a name or {"class_name": ..., "config": ...}. '
            f"Received: {config!r}"
        )
    cls = LOSS_CLASSES.get(config["class_name"])
    if cls is None:
        raise ValueError(
            f"losses.deserialize: unknown loss class {config['class_name']!r}. "
            f"Known: {', '.join(sorted(LOSS_CLASSES))}"
        )
    return cls(**config.get("config", {}))


def warn_softmax_before_logits(last_layer, loss: str | Loss, where: str) -> None:
    """A ``UserWarning`` when a model ending in ``last_layer`` (a ``Softmax``, or a layer with
    ``activation="softmax"``) is trained with a loss on logits: it would apply softmax twice."""
    is_softmax = isinstance(last_layer, Softmax) or getattr(last_layer, "activation", None) == "softmax"
    if is_softmax and kind(loss).logits:
        warnings.warn(
            f"{where}: the model ends in a softmax ({last_layer.name}) but loss={loss!r} takes logits, so "
            "training would apply softmax twice. Remove the softmax, or use "
            "loss='sparse_categorical_crossentropy' (probabilities).",
            UserWarning,
            stacklevel=3,
        )
