"""Adam (and its AMSGrad variant), as ``torch.optim.Adam``."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._validation import betas_pair, flag, non_negative_float
from .base import CompiledStep, Optimizer, flush_subnormal
from .registry import register


@register
class Adam(Optimizer):
    r"""Adam: a step along bias-corrected running averages of the gradient and its square.

    The same update as ``torch.optim.Adam`` (Kingma & Ba, 2014). With ``g_t`` the gradient at step ``t``
    (plus ``weight_decay * theta`` when ``weight_decay > 0``) and ``(beta1, beta2) = betas``::

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        if amsgrad:
            v_t' = max(v_{t-1}', v_t)
        else:
            v_t' = v_t
        m_hat = m_t / (1 - beta1^t)
        theta_t = theta_{t-1} - lr * m_hat / (sqrt(v_t' / (1 - beta2^t)) + eps)

    with ``m_0 = v_0 = v_0' = 0``. (As torch computes it: ``sqrt(v_t') / sqrt(1 - beta2^t) + eps``.)

    Args:
        lr: learning rate.
        betas: decay rates ``(beta1, beta2)`` of the first and second moment averages, each in [0, 1).
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty coefficient, added to the gradient (``AdamW`` decouples it instead).
        amsgrad: use the running maximum ``v'`` of the second moment (Reddi et al., 2018).
        **kwargs: ``learning_rate`` (alias of ``lr``), ``clipnorm``, ``clipvalue``, ``global_clipnorm``
            (see ``Optimizer``).

    Slots: ``exp_avg`` (``m``), ``exp_avg_sq`` (``v``), ``max_exp_avg_sq`` (``v'``) when amsgrad.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        **kwargs,
    ):
        super().__init__(lr, weight_decay, **kwargs)
        cls = type(self).__name__
        self.betas = betas_pair(betas, cls)
        self.eps = non_negative_float(eps, "eps", cls)
        self.amsgrad = flag(amsgrad, "amsgrad", cls)

    def build_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        slots = {"exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if self.amsgrad:
            slots["max_exp_avg_sq"] = np.zeros_like(param)
        return slots

    def compiled_step(self) -> CompiledStep:
        beta1, beta2 = self.betas
        step_size, bias_correction2_sqrt = self._bias_corrections()
        scalars = (step_size, 1 - beta1, beta2, 1 - beta2, bias_correction2_sqrt, self.eps)
        return CompiledStep(_kernels.adam_update, ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), scalars)

    def _bias_corrections(self) -> tuple[float, float]:
        """``(lr / (1 - beta1^t), sqrt(1 - beta2^t))`` at this step ``t``."""
        beta1, beta2 = self.betas
        return self.lr / (1 - beta1**self.iterations), (1 - beta2**self.iterations) ** 0.5

    def update_step(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        beta1, beta2 = self.betas
        exp_avg, exp_avg_sq = slots["exp_avg"], slots["exp_avg_sq"]
        step_size, bias_correction2_sqrt = self._bias_corrections()
        exp_avg += (1 - beta1) * (grad - exp_avg)
        flush_subnormal(exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        flush_subnormal(exp_avg_sq)
        if self.amsgrad:
            second_moment = np.maximum(slots["max_exp_avg_sq"], exp_avg_sq, out=slots["max_exp_avg_sq"])
        else:
            second_moment = exp_avg_sq
        denom = np.sqrt(second_moment) / bias_correction2_sqrt
        denom += self.eps
        param -= step_size * exp_avg / denom

    def get_config(self) -> dict:
        return {**super().get_config(), "betas": self.betas, "eps": self.eps, "amsgrad": self.amsgrad}
