"""RMSprop, as ``torch.optim.RMSprop``."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._validation import flag, non_negative_float, unit_interval_float
from .base import CompiledStep, Optimizer, flush_subnormal
from .registry import register


@register
class RMSprop(Optimizer):
    r"""Divides the gradient by a running root mean square of recent gradients (Hinton's RMSprop).

    The same update as ``torch.optim.RMSprop``. With ``g_t`` the gradient at step ``t`` (plus
    ``weight_decay * theta`` when ``weight_decay > 0``)::

        v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2
        if centered:
            a_t = alpha * a_{t-1} + (1 - alpha) * g_t
            d_t = sqrt(v_t - a_t^2) + eps
        else:
            d_t = sqrt(v_t) + eps
        if momentum > 0:
            b_t = momentum * b_{t-1} + g_t / d_t
            theta_t = theta_{t-1} - lr * b_t
        else:
            theta_t = theta_{t-1} - lr * g_t / d_t

    with ``v_0 = a_0 = b_0 = 0``.

    Args:
        lr: learning rate.
        alpha: smoothing constant of the running averages, in [0, 1].
        eps: added to the denominator for numerical stability.
        momentum: momentum factor (0 disables momentum and its buffer).
        weight_decay: L2 penalty coefficient, added to the gradient.
        centered: normalize by an estimate of the gradient's variance instead of its second moment.
        **kwargs: ``learning_rate`` (alias of ``lr``), ``clipnorm``, ``clipvalue``, ``global_clipnorm``
            (see ``Optimizer``).

    Slots: ``square_avg`` (``v``), ``grad_avg`` (``a``) when centered, ``momentum_buffer`` (``b``) when
    ``momentum > 0``.
    """

    def __init__(
        self,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        centered: bool = False,
        **kwargs,
    ):
        super().__init__(lr, weight_decay, **kwargs)
        cls = type(self).__name__
        self.alpha = unit_interval_float(alpha, "alpha", cls)
        self.eps = non_negative_float(eps, "eps", cls)
        self.momentum = non_negative_float(momentum, "momentum", cls)
        self.centered = flag(centered, "centered", cls)

    def build_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        slots = {"square_avg": np.zeros_like(param)}
        if self.centered:
            slots["grad_avg"] = np.zeros_like(param)
        if self.momentum:
            slots["momentum_buffer"] = np.zeros_like(param)
        return slots

    def compiled_step(self) -> CompiledStep:
        scalars = (self.lr, self.alpha, 1 - self.alpha, self.eps, self.momentum)
        return CompiledStep(_kernels.rmsprop_update, ("square_avg", "grad_avg", "momentum_buffer"), scalars)

    def update_step(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        square_avg = slots["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * grad * grad
        flush_subnormal(square_avg)
        if self.centered:
            grad_avg = slots["grad_avg"]
            grad_avg += (1 - self.alpha) * (grad - grad_avg)
            flush_subnormal(grad_avg)
            denom = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            denom = np.sqrt(square_avg)
        denom += self.eps
        if self.momentum:
            buf = slots["momentum_buffer"]
            buf *= self.momentum
            buf += grad / denom
            flush_subnormal(buf)
            param -= self.lr * buf
        else:
            param -= self.lr * grad / denom

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha": self.alpha,
            "eps": self.eps,
            "momentum": self.momentum,
            "centered": self.centered,
        }
