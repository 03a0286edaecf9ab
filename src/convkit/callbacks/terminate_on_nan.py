"""TerminateOnNaN: stop training at the first non-finite batch loss."""

from __future__ import annotations

import math
import warnings

from .callback import Callback


class TerminateOnNaN(Callback):
    """Stops training (``model.stop_training = True``) as soon as a batch's ``"loss"`` is NaN or infinite."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            warnings.warn(
                f"TerminateOnNaN: batch {batch} has loss {float(loss)}; stopping training.",
                RuntimeWarning,
                stacklevel=2,
            )
            self.model.stop_training = True
