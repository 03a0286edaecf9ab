"""The Optimizer base class: owns the loop over parameters, the step counter and the optimizer state."""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np

from .._threads import get_num_threads
from .._validation import non_negative_float, positive_float

CLIP_OPTIONS = ("clipnorm", "clipvalue", "global_clipnorm")


class Optimizer(ABC):
    """Base optimizer with torch.optim's semantics.

    ``apply_gradients`` counts one step and, for every ``(key, param, grad)``, adds L2 weight decay to the
    gradient (``grad + weight_decay * param``, as torch's coupled ``weight_decay``; an optimizer with
    ``decoupled_weight_decay = True`` instead shrinks the parameter: ``param *= 1 - lr * weight_decay``)
    and calls ``update_step`` which changes ``param`` *in place*, so the arrays the layers hold stay the
    same objects.

    Before that, the gradients may be clipped, with Keras's arguments (at most one of them):

    - ``clipnorm``: each gradient ``g`` becomes ``g * clipnorm / max(||g||, clipnorm)`` (its own L2 norm);
    - ``clipvalue``: each element is clipped to ``[-clipvalue, clipvalue]`` (``clip_grad_value_``);
    - ``global_clipnorm``: every gradient is multiplied by ``min(1, global_clipnorm / (total + 1e-6))``,
      ``total`` the L2 norm of all of them together, as ``torch.nn.utils.clip_grad_norm_``.

    ``learning_rate`` is Keras's name of ``lr`` (pass one of them; ``get_config`` keeps ``lr``).

    Subclasses write their update rule in their docstring and implement only ``build_slots`` (the
    per-parameter state, e.g. moments) and ``update_step``; they pass ``**kwargs`` (``learning_rate`` and
    the clipping options) on to this class. One with a compiled kernel of its rule also returns it from
    ``compiled_step``: then every parameter whose arrays are C-contiguous takes that kernel, all of them in
    one call, and ``update_step`` (numpy's formula, whose roundings the kernel repeats) runs on the others.
    """

    decoupled_weight_decay = False

    def __init__(
        self,
        lr: float,
        weight_decay: float = 0.0,
        *,
        learning_rate: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        cls = type(self).__name__
        if learning_rate is not None:
            default = inspect.signature(type(self)).parameters.get("lr")
            if default is not None and lr != default.default:
                raise ValueError(
                    f"{cls}: pass lr or its alias learning_rate, not both. "
                    f"Received: lr={lr!r}, learning_rate={learning_rate!r}"
                )
            lr = learning_rate
        self.lr = lr
        self.weight_decay = non_negative_float(weight_decay, "weight_decay", cls)
        clipping = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = {name: value for name, value in clipping.items() if value is not None}
        if len(given) > 1:
            listed = ", ".join(f"{name}={value!r}" for name, value in given.items())
            raise ValueError(f"{cls}: pass at most one of {', '.join(CLIP_OPTIONS)}. Received: {listed}")
        self.clipnorm, self.clipvalue, self.global_clipnorm = (
            None if value is None else positive_float(value, name, cls) for name, value in clipping.items()
        )
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

    @property
    def learning_rate(self) -> float:
        """Keras's name of ``lr``."""
        return self.lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.lr = value

    # -- to implement -------------------------------------------------------------------------------------
    def build_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        """Per-parameter state arrays, created on the first step (none by default)."""
        return {}

    @abstractmethod
    def update_step(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        """Update ``param`` in place from ``grad``; ``self.iterations`` is the 1-based step number."""

    def compiled_step(self) -> CompiledStep | None:
        """This step's compiled kernel, or None (``update_step`` on every parameter)."""
        return None

    # -- shared machinery ---------------------------------------------------------------------------------
    def apply_gradients(self, items: Iterable[tuple[str, np.ndarray, np.ndarray]]) -> None:
        """One optimization step over ``(key, param, grad)`` triples; ``key`` names the parameter's state."""
        self.iterations += 1
        if self.clipnorm is not None or self.clipvalue is not None or self.global_clipnorm is not None:
            items = self.clip_gradients(items)
        compiled = self.compiled_step()
        operands: dict[np.dtype, list[tuple]] = {}  # the compiled kernel's, by float type
        waiting: set[int] = set()  # id() of the parameters in operands
        for key, param, grad in items:
            if id(param) in waiting:
                # one array under two keys (a layer used twice): one update, then the other
                _run(compiled, operands)
                waiting.clear()
            grad = self._checked_gradient(key, param, grad)
            if self.weight_decay:
                if self.decoupled_weight_decay:
                    param *= 1 - self.lr * self.weight_decay
                else:
                    grad = grad + self.weight_decay * param
            slots = self.slots.get(key)
            if slots is None:
                slots = self.slots[key] = self.build_slots(param)
            elif any(slot.shape != param.shape for slot in slots.values()):
                raise ValueError(
                    f"{type(self).__name__}.apply_gradients: the state of {key!r} was built for a parameter "
                    f"of another shape. Received: param.shape={param.shape}, state shapes "
                    f"{ {name: slot.shape for name, slot in slots.items()} }"
                )
            ready = None
            if compiled is not None:
                ready = compiled_operands(param, grad, *(slots.get(name) for name in compiled.slots))
            if ready is None:
                self.update_step(param, grad, slots)
            else:
                operands.setdefault(param.dtype, []).append(ready)
                waiting.add(id(param))
        _run(compiled, operands)

    def _checked_gradient(self, key: str, param, grad) -> np.ndarray:
        """``grad`` as an array of ``param``'s shape (the compiled steps read exactly that many elements)."""
        where = f"{type(self).__name__}.apply_gradients"
        if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
            raise TypeError(
                f"{where}: the parameter {key!r} must be a float ndarray. Received: {type(param).__name__}"
            )
        grad = np.asarray(grad)
        if grad.shape != param.shape:
            raise ValueError(
                f"{where}: the gradient of {key!r} must have its parameter's shape {param.shape}. "
                f"Received: grad.shape={grad.shape}"
            )
        return grad

    def clip_gradients(
        self, items: Iterable[tuple[str, np.ndarray, np.ndarray]]
    ) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """The triples with their gradients clipped (new arrays: the callers' gradients are not changed)."""
        items = list(items)
        if self.clipvalue is not None:
            return [
                (key, param, np.clip(grad, -self.clipvalue, self.clipvalue)) for key, param, grad in items
            ]
        if self.clipnorm is not None:
            clipped = []
            for key, param, grad in items:
                norm = float(np.linalg.norm(grad.reshape(-1)))
                clipped.append((key, param, grad * (self.clipnorm / max(norm, self.clipnorm))))
            return clipped
        # as torch.nn.utils.clip_grad_norm_: the norm of the per-parameter norms, then one factor for all
        total = math.sqrt(sum(float(np.linalg.norm(grad.reshape(-1))) ** 2 for _, _, grad in items))
        scale = min(self.global_clipnorm / (total + 1e-6), 1.0)
        return [(key, param, grad * grad.dtype.type(scale)) for key, param, grad in items]

    def get_config(self) -> dict:
        """Hyperparameters only, so that ``type(opt)(**opt.get_config())`` rebuilds the optimizer.

        The clipping options appear only when set, so a configuration without them reads as before.
        """
        config = {"lr": self.lr, "weight_decay": self.weight_decay}
        for name in CLIP_OPTIONS:
            if getattr(self, name) is not None:
                config[name] = getattr(self, name)
        return config

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


class CompiledStep(NamedTuple):
    """An optimizer's compiled step: ``kernel(operands, *scalars, n_threads)`` updates, in one call, every
    parameter of ``operands``, a list of ``(param, grad, *slots)`` tuples of C-contiguous arrays of any
    shape (``slots`` in the order of ``slots`` here; a slot the options leave off is None)."""

    kernel: Callable[..., None]
    slots: tuple[str, ...]
    scalars: tuple


def _run(compiled: CompiledStep, operands: dict[np.dtype, list[tuple]]) -> None:
    """The compiled step on ``operands`` (one call per float type), which it empties."""
    for group in operands.values():
        compiled.kernel(group, *compiled.scalars, get_num_threads())
    operands.clear()


def compiled_operands(param: np.ndarray, grad: np.ndarray, *slots: np.ndarray | None) -> tuple | None:
    """``(param, grad, *slots)`` for a compiled step (a slot may be None: an option that is off; the
    kernels read each array's elements in C order, whatever its shape), or None when ``param`` or a slot
    is not C-contiguous: then ``update_step`` runs its numpy formula, whose roundings the compiled step
    repeats (the same values either way). The slots have ``param``'s shape (``apply_gradients`` checks)."""
    if not param.flags.c_contiguous or not all(a is None or a.flags.c_contiguous for a in slots):
        return None
    return (param, np.ascontiguousarray(grad, dtype=param.dtype), *slots)


def flush_subnormal(state: np.ndarray) -> None:
    """Set the subnormal elements of an optimizer state (a moment, a momentum buffer) to +0, in place, as
    the compiled steps do with every state they store. A moment whose gradients stay 0 decays into the
    subnormal range after ~800 steps at beta 0.9, where every operation on it is many times slower on
    Intel CPUs (``normal_or_zero`` in ``_native/optimizers.h`` has the measurements); its contribution to
    the update there is far below the parameter's precision."""
    state[np.abs(state) < np.finfo(state.dtype).tiny] = 0
