"""AdamW: Adam with decoupled weight decay, as ``torch.optim.AdamW``."""

from __future__ import annotations

from .adam import Adam
from .registry import register


@register
class AdamW(Adam):
    r"""Adam with weight decay decoupled from the gradient (Loshchilov & Hutter, 2019).

    The same update as ``torch.optim.AdamW``: the parameter first shrinks, then takes Adam's step on the
    raw gradient ``g_t`` (the decay enters neither moment)::

        theta_t' = theta_{t-1} * (1 - lr * weight_decay)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        v_t' = max(v_{t-1}', v_t) if amsgrad else v_t
        theta_t = theta_t' - lr * (m_t / (1 - beta1^t)) / (sqrt(v_t' / (1 - beta2^t)) + eps)

    The shrinking is done by ``Optimizer.apply_gradients`` (``decoupled_weight_decay = True``); the rest
    is ``Adam.update_step``. Arguments as ``Adam``, with torch's default ``weight_decay=1e-2``.
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        **kwargs,
    ):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, **kwargs)
