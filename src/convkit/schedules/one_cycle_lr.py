"""OneCycleLR: warm up to ``max_lr``, then anneal far below the start (Smith's 1cycle policy)."""

from __future__ import annotations

import math

from .._validation import flag, one_of, positive_float, positive_int, real
from .schedule import Schedule


class OneCycleLR(Schedule):
    """torch's ``OneCycleLR`` without momentum cycling (the optimizer's momentum/betas stay as they are).

    The rate starts at ``initial_lr = max_lr / div_factor``, rises to ``max_lr`` by step
    ``pct_start * total_steps - 1``, then falls to ``initial_lr / final_div_factor`` at step
    ``total_steps - 1`` (with ``three_phase``: back to ``initial_lr`` by ``2 * pct_start * total_steps - 2``
    first), along a cosine (``anneal_strategy="cos"``) or a line (``"linear"``). The optimizer's own lr is
    not used. As in torch, a step past ``total_steps`` raises ``ValueError``.
    """

    def __init__(
        self,
        max_lr: float,
        total_steps: int,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        interval: str = "epoch",
    ):
        super().__init__(interval)
        where = "OneCycleLR"
        self.max_lr = positive_float(max_lr, "max_lr", where)
        self.total_steps = positive_int(total_steps, "total_steps", where)
        self.pct_start = real(pct_start, "pct_start", where, low=0.0, high=1.0, high_inclusive=True)
        self.anneal_strategy = one_of(anneal_strategy, ("cos", "linear"), "anneal_strategy", where)
        self.div_factor = positive_float(div_factor, "div_factor", where)
        self.final_div_factor = positive_float(final_div_factor, "final_div_factor", where)
        self.three_phase = flag(three_phase, "three_phase", where)
        initial = self.max_lr / self.div_factor
        final = initial / self.final_div_factor
        warm_end = float(self.pct_start * self.total_steps) - 1
        if self.three_phase:
            self.phases = [
                (warm_end, initial, self.max_lr),
                (float(2 * self.pct_start * self.total_steps) - 2, self.max_lr, initial),
                (self.total_steps - 1, initial, final),
            ]
        else:
            self.phases = [(warm_end, initial, self.max_lr), (self.total_steps - 1, self.max_lr, final)]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def lr_at(self, step: int) -> float:
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step} times, past total_steps={self.total_steps}; raise total_steps "
                "to the number of epochs (interval='epoch') or batches (interval='batch') trained."
            )
        start_step = 0.0
        for end_step, start_lr, end_lr in self.phases[:-1]:
            if step <= end_step:
                return self._anneal(start_lr, end_lr, (step - start_step) / (end_step - start_step))
            start_step = end_step
        end_step, start_lr, end_lr = self.phases[-1]
        return self._anneal(start_lr, end_lr, (step - start_step) / (end_step - start_step))

    def get_config(self) -> dict:
        return {
            "max_lr": self.max_lr,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "anneal_strategy": self.anneal_strategy,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "three_phase": self.three_phase,
            **super().get_config(),
        }
