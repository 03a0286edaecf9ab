"""Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._validation import flag, non_negative_float, unit_interval_float
from .base import CompiledStep, Optimizer, flush_subnormal
from .registry import register, register_preset


@register
class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum, dampening and Nesterov momentum.

    The same update as ``torch.optim.SGD``. With ``g_t`` the gradient at step ``t`` (plus
    ``weight_decay * theta`` when ``weight_decay > 0``), ``mu = momentum`` and ``tau = dampening``::

        if mu > 0:
            b_t = g_t                                 if t == 1
            b_t = mu * b_{t-1} + (1 - tau) * g_t      otherwise
            g_t = g_t + mu * b_t                      if nesterov
            g_t = b_t                                 otherwise
        theta_t = theta_{t-1} - lr * g_t

    Args:
        lr: learning rate (torch 2.x default 1e-3).
        momentum: momentum factor ``mu`` (0 disables momentum and its buffer).
        dampening: fraction ``tau`` of the gradient withheld from the momentum buffer, in [0, 1].
        weight_decay: L2 penalty coefficient, added to the gradient.
        nesterov: use Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
        **kwargs: ``learning_rate`` (alias of ``lr``), ``clipnorm``, ``clipvalue``, ``global_clipnorm``
            (see ``Optimizer``).

    Slots: ``momentum_buffer`` (``b``) when ``momentum > 0``.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        **kwargs,
    ):
        super().__init__(lr, weight_decay, **kwargs)
        cls = type(self).__name__
        self.momentum = non_negative_float(momentum, "momentum", cls)
        self.dampening = unit_interval_float(dampening, "dampening", cls)
        self.nesterov = flag(nesterov, "nesterov", cls)
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"{cls}: nesterov=True requires momentum > 0 and dampening=0. "
                f"Received: momentum={momentum!r}, dampening={dampening!r}"
            )

    def build_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        return {"momentum_buffer": np.zeros_like(param)} if self.momentum else {}

    def compiled_step(self) -> CompiledStep:
        scalars = (self.lr, self.momentum, 1 - self.dampening, self.iterations == 1, self.nesterov)
        return CompiledStep(_kernels.sgd_update, ("momentum_buffer",), scalars)

    def update_step(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        if self.momentum:
            buf = slots["momentum_buffer"]
            if self.iterations == 1:
                buf[...] = grad
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            flush_subnormal(buf)
            grad = grad + self.momentum * buf if self.nesterov else buf
        param -= self.lr * grad

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "dampening": self.dampening,
            "nesterov": self.nesterov,
        }


register_preset("momentum", SGD, momentum=0.9)
