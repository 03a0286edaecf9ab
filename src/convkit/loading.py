"""``load_model``: the ``Sequential`` a file describes, rebuilt without trusting the file."""

from __future__ import annotations

import os

import numpy as np

from . import optimizers, saving
from ._model_arrays import named_arrays
from .sequential import Sequential


def load_model(path) -> Sequential:
    """Rebuild the ``Sequential`` saved at ``path``: same layers, weights, optimizer and its state.

    Nothing of the file is trusted: the input shape and every layer's output shape must stay within
    ``saving.MAX_SAMPLE_ELEMENTS`` before any weight is allocated, and the file must hold exactly the arrays
    the architecture (and the optimizer's slots) make, each of their shape and dtype; otherwise
    ``ValueError`` naming the file.
    """
    path = os.fspath(path)
    header, arrays = saving.read(path)
    try:
        model = Sequential.from_config(header["config"])
        shape = saving.sample_shape(header["input_shape"], "input_shape")
        for layer in model.layers:
            shape = saving.sample_shape(layer.compute_output_shape(shape), f"the output of {layer.name}")
        model.build(header["input_shape"])
        expected = {name: array for name, array in named_arrays(model.layers)}
        compiled = header["compile"]
        if compiled is not None:
            model.compile(
                optimizers.deserialize(compiled["optimizer"]), compiled["loss"], compiled["metrics"]
            )
            expected.update(_optimizer_arrays(model, arrays))
        saving.check_arrays(arrays, expected)
        if compiled is not None and arrays["optimizer/iterations"] < 0:
            raise ValueError(f"a negative step count. Received: {arrays['optimizer/iterations']}")
        model.set_weights([arrays[name] for name, _ in named_arrays(model.layers)])
        if compiled is not None:
            prefix = "optimizer/"
            model.optimizer.set_state(
                {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}
            )
    except (KeyError, ValueError, TypeError, MemoryError) as err:
        raise ValueError(f"load_model: {path} does not describe a consistent model: {err!r}") from err
    return model


def _optimizer_arrays(model: Sequential, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What the file's ``optimizer/`` arrays must look like: the step counter and, for every parameter
    whose slots the file holds, all of the slots ``build_slots`` makes for it."""
    expected = {"optimizer/iterations": np.zeros((), np.int64)}
    for key, param, _ in model.named_parameters():
        slots = model.optimizer.build_slots(param)
        if any(f"optimizer/{key}/{slot}" in arrays for slot in slots):
            expected.update({f"optimizer/{key}/{slot}": value for slot, value in slots.items()})
    return expected
