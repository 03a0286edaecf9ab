"""Adamax: Adam with the infinity norm, as ``torch.optim.Adamax``."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._validation import betas_pair, non_negative_float
from .base import CompiledStep, Optimizer, flush_subnormal
from .registry import register


@register
class Adamax(Optimizer):
    r"""Adamax: a variant of Adam whose second moment is an exponentially weighted infinity norm.

    The same update as ``torch.optim.Adamax`` (Kingma & Ba, 2014, section 7). With ``g_t`` the gradient
    at step ``t`` (plus ``weight_decay * theta`` when ``weight_decay > 0``) and
    ``(beta1, beta2) = betas``::

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        u_t = max(beta2 * u_{t-1}, |g_t| + eps)
        theta_t = theta_{t-1} - (lr / (1 - beta1^t)) * m_t / u_t

    with ``m_0 = u_0 = 0``. ``eps`` sits inside the maximum, as in torch, so ``u_t > 0``.

    Args:
        lr: learning rate.
        betas: decay rates ``(beta1, beta2)`` of the first moment and of the infinity norm, in [0, 1).
        eps: added to ``|g_t|`` for numerical stability.
        weight_decay: L2 penalty coefficient, added to the gradient.
        **kwargs: ``learning_rate`` (alias of ``lr``), ``clipnorm``, ``clipvalue``, ``global_clipnorm``
            (see ``Optimizer``).

    Slots: ``exp_avg`` (``m``), ``exp_inf`` (``u``).
    """

    def __init__(
        self,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        **kwargs,
    ):
        super().__init__(lr, weight_decay, **kwargs)
        cls = type(self).__name__
        self.betas = betas_pair(betas, cls)
        self.eps = non_negative_float(eps, "eps", cls)

    def build_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        return {"exp_avg": np.zeros_like(param), "exp_inf": np.zeros_like(param)}

    def compiled_step(self) -> CompiledStep:
        beta1, beta2 = self.betas
        return CompiledStep(
            _kernels.adamax_update, ("exp_avg", "exp_inf"), (self._step_size(), 1 - beta1, beta2, self.eps)
        )

    def _step_size(self) -> float:
        """``lr / (1 - beta1^t)`` at this step ``t``."""
        return self.lr / (1 - self.betas[0] ** self.iterations)

    def update_step(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        beta1, beta2 = self.betas
        exp_avg, exp_inf = slots["exp_avg"], slots["exp_inf"]
        step_size = self._step_size()
        exp_avg += (1 - beta1) * (grad - exp_avg)
        flush_subnormal(exp_avg)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + self.eps, out=exp_inf)
        flush_subnormal(exp_inf)
        param -= step_size * exp_avg / exp_inf

    def get_config(self) -> dict:
        return {**super().get_config(), "betas": self.betas, "eps": self.eps}
