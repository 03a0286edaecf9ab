"""The per-epoch record of a training run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields


@dataclass
class History:
    """Lists indexed by epoch (entry ``i`` is epoch ``i + 1``), under the keys of ``convkit.History``.

    - loss, accuracy, macro_f1: over the training set, measured while training.
    - val_loss, val_accuracy, val_macro_f1: on the validation loader after the epoch (None without one).
    - epoch_time: seconds of the training pass; images_per_second: training images (all processes) per
      second of it.
    - grad_norms: per epoch, layer name -> mean over steps of the L2 norm of that layer's gradient;
      filled only when ``fit(track_grad_norms=True)``.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    macro_f1: list[float] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    val_macro_f1: list[float | None] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    images_per_second: list[float] = field(default_factory=list)
    grad_norms: list[dict[str, float]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)

    def append(self, record: Mapping[str, object]) -> None:
        """Add one epoch; ``record`` has a value for every field but ``grad_norms``, which is optional."""
        for f in fields(self):
            if f.name in record:
                getattr(self, f.name).append(record[f.name])
            elif f.name != "grad_norms":
                raise KeyError(f"History.append: record has no {f.name!r}. Received keys: {sorted(record)}")

    def to_dict(self) -> dict[str, list]:
        """Plain lists (JSON and ``torch.load(weights_only=True)`` safe)."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, values: Mapping[str, list]) -> History:
        return cls(**{f.name: list(values.get(f.name, [])) for f in fields(cls)})
