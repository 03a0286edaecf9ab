"""RaiseOnNaN: fit's rule for a non-finite loss, as the callback that ``fit`` always runs."""

from __future__ import annotations

import math

from .callback import Callback


class RaiseOnNaN(Callback):
    """Raises ``ValueError`` at a batch whose ``"loss"`` is NaN or infinite, unless a callback before it
    (``TerminateOnNaN``) has already stopped training."""

    def __init__(self):
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {})["loss"]
        if not math.isfinite(loss) and not self.model.stop_training:
            raise ValueError(
                f"fit: the training loss became {loss} at epoch {self.epoch + 1}, batch {batch + 1}. "
                "Lower the learning rate, check the inputs for NaN/inf, "
                "or add callbacks.TerminateOnNaN()."
            )
