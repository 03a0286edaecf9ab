"""The one walk over a model's arrays, shared by saving, ``get_weights``/``set_weights`` and interop.

Layer by layer, first its trainable ``params`` then its non-trainable ``state`` (running statistics), each
in the layer's own key order; an array is named ``"params/{layer index}/{key}"`` or
``"state/{layer index}/{key}"``, the names of the saved file's members.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


def array_name(group: str, index: int, key: str) -> str:
    """``"params/0/weight"``: the name of array ``key`` of the ``group`` (``"params"`` or ``"state"``) of
    layer ``index``."""
    return f"{group}/{index}/{key}"


def named_arrays(layers: Sequence) -> Iterator[tuple[str, np.ndarray]]:
    """``(name, array)`` for every array of the built ``layers``, in order: the layers' own arrays."""
    for index, layer in enumerate(layers):
        for group, arrays in (("params", layer.params), ("state", layer.state)):
            for key, array in arrays.items():
                yield array_name(group, index, key), array
