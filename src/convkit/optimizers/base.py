"""The Optimizer base class: owns the loop over parameters, the step counter and the optimizer state."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy as np

from .._validation import non_negative_float


class Optimizer(ABC):
    """Base optimizer with torch.optim's semantics.

    ``apply_gradients`` counts one step and, for every ``(key, param, grad)``, adds L2 weight decay to the
    gradient (``grad + weight_decay * param``, as torch's coupled ``weight_decay``; an optimizer with
    ``decoupled_weight_decay = True`` instead shrinks the parameter: ``param *= 1 - lr * weight_decay``)
    and calls ``update_step`` which changes ``param`` *in place*, so the arrays the layers hold stay the
    same objects.

    Subclasses write their update rule in their docstring and implement only ``build_slots`` (the
    per-parameter state, e.g. moments) and ``update_step``.
    """

    decoupled_weight_decay = False

    def __init__(self, lr: float, weight_decay: float = 0.0):
        self.lr = lr
        self.weight_decay = non_negative_float(weight_decay, "weight_decay", type(self).__name__)
        self.iterations = 0
        self.slots: dict[str, dict[str, np.ndarray]] = {}

    @property
    def lr(self) -> float:
        """The learning rate; callbacks (schedules) may set it between steps."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        # Kept a Python float, so that ``lr * grad`` stays in the parameter's dtype (float32 stays float32).
        self._lr = non_negative_float(value, "lr", type(self).__name__)

    # -- to implement -------------------------------------------------------------------------------------
    def build_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        """Per-parameter state arrays, created on the first step (none by default)."""
        return {}

    @abstractmethod
    def update_step(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        """Update ``param`` in place from ``grad``; ``self.iterations`` is the 1-based step number."""

    # -- shared machinery ---------------------------------------------------------------------------------
    def apply_gradients(self, items: Iterable[tuple[str, np.ndarray, np.ndarray]]) -> None:
        """One optimization step over ``(key, param, grad)`` triples; ``key`` names the parameter's state."""
        self.iterations += 1
        for key, param, grad in items:
            if self.weight_decay:
                if self.decoupled_weight_decay:
                    param *= 1 - self.lr * self.weight_decay
                else:
                    grad = grad + self.weight_decay * param
            slots = self.slots.get(key)
            if slots is None:
                slots = self.slots[key] = self.build_slots(param)
            self.update_step(param, grad, slots)

    def get_config(self) -> dict:
        """Hyperparameters only, so that ``type(opt)(**opt.get_config())`` rebuilds the optimizer."""
        return {"lr": self.lr, "weight_decay": self.weight_decay}

    def get_state(self) -> dict[str, np.ndarray]:
        """The step counter and a copy of every slot, flat: ``{"iterations": ..., "<key>/<slot>": array}``.

        Copies, so the snapshot does not change as training goes on (slots are updated in place).
        """
        state = {"iterations": np.array(self.iterations, dtype=np.int64)}
        for key, slots in self.slots.items():
            for slot, value in slots.items():
                state[f"{key}/{slot}"] = value.copy()
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore what ``get_state`` returned (copies, so the caller's arrays are not aliased)."""
        self.iterations = int(state["iterations"])
        self.slots = {}
        for flat_key, value in state.items():
            if flat_key == "iterations":
                continue
            key, _, slot = flat_key.rpartition("/")
            self.slots.setdefault(key, {})[slot] = np.array(value, copy=True)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
