"""Layers made of sublayers (``Residual``, ``Parallel``): what they share.

The sublayers sit in named groups (``Residual``: ``"block"`` and ``"shortcut"``; ``Parallel``: one group per
branch, ``"0"``, ``"1"``, ...), each a chain applied in sequence. ``params``, ``grads`` and ``state`` merge
the sublayers' dicts under ``"{group}.{i}.{key}"``, holding the sublayers' own arrays, so the optimizer's
in-place updates reach them. The build gives every sublayer the container's dtype and, with ``seed``, a
seed derived for each sublayer whose ``seed`` is None.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from typing import Union

import numpy as np

from .base import Layer
from .registry import deserialize

LayerSpec = Union[Layer, dict]


def layer_list(value, description: str, where: str) -> list[Layer]:
    """Layers from a Layer, a ``serialize`` dict, or a list of them; ``description`` names the argument."""
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    layers = []
    for item in items:
        if isinstance(item, dict):
            item = deserialize(item)
        if not isinstance(item, Layer):
            raise TypeError(
                f"{where}: {description} must hold Layers or their serialize() dicts. "
                f"Received: an item of type {type(item).__name__}"
            )
        layers.append(item)
    return layers


def _merged(attr: str) -> property:
    """The sublayers' ``attr`` dicts as one dict keyed ``"{group}.{i}.{key}"``; assigning a dict sets the
    named entries."""

    def get_merged(self) -> dict[str, np.ndarray]:
        return {
            f"{group}.{i}.{key}": array
            for group, i, layer in self._indexed_layers()
            for key, array in getattr(layer, attr).items()
        }

    def set_entries(self, value: dict[str, np.ndarray]) -> None:
        if not value:  # Layer.__init__ assigns {} before the subclass has its sublayers
            return
        groups = self._groups()
        for full_key, array in value.items():
            parts = full_key.split(".", 2)
            if len(parts) != 3 or parts[0] not in groups or not parts[1].isdigit():
                example = f"{next(iter(groups))}.0.weight"
                raise KeyError(f"{self.name}: {attr} keys look like {example!r}. Received: {full_key!r}")
            group, index, key = parts
            getattr(groups[group][int(index)], attr)[key] = array

    return property(get_merged, set_entries, doc=f"The sublayers' {attr} keyed '{{group}}.{{i}}.{{key}}'.")


class Container(Layer):
    """A layer of sublayer chains; a subclass says what its groups are (``_groups``) and how their output
    shapes combine (``_output_shape``), and owns ``call``/``backward``/``get_config``."""

    # Layer.__init__ assigns {} to each: that sets no entry (see set_entries)
    params = _merged("params")
    grads = _merged("grads")
    state = _merged("state")

    @abstractmethod
    def _groups(self) -> dict[str, list[Layer]]:
        """The sublayer chains by group name, in order."""

    @abstractmethod
    def _output_shape(self, input_shape: tuple[int, ...], build: bool) -> tuple[int, ...]:
        """The container's output shape for ``input_shape``; builds the sublayers if ``build``."""

    def _indexed_layers(self) -> Iterator[tuple[str, int, Layer]]:
        for group, layers in self._groups().items():
            for i, layer in enumerate(layers):
                yield group, i, layer

    def _check_distinct(self, what: str) -> None:
        sublayers = [layer for _, _, layer in self._indexed_layers()]
        if len({id(layer) for layer in sublayers}) != len(sublayers):
            raise ValueError(f"{type(self).__name__}: a layer object can appear only once in {what}.")

    def _chain_shape(self, layers: Sequence[Layer], shape: tuple[int, ...], build: bool) -> tuple[int, ...]:
        """The output shape of ``layers`` applied in sequence to ``shape``; builds them if ``build``."""
        for layer in layers:
            if layer.input_shape is not None and layer.input_shape != shape:
                raise ValueError(
                    f"{type(self).__name__}: {layer.name} expects input_shape {layer.input_shape} but "
                    f"receives {shape} in {self.name}"
                )
            if build and not layer.built:
                layer.build(shape)
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        sublayers = [layer for _, _, layer in self._indexed_layers()]
        seeds = None
        if self.seed is not None:
            seeds = np.random.SeedSequence(self.seed).generate_state(len(sublayers))
        for i, layer in enumerate(sublayers):
            if layer.built and layer.dtype != self.dtype:
                raise ValueError(
                    f"{type(self).__name__}: {layer.name} is already built with dtype {layer.dtype}, "
                    f"not {self.name}'s {self.dtype}"
                )
            layer.dtype = self.dtype
            if seeds is not None and hasattr(layer, "seed") and layer.seed is None:
                layer.seed = int(seeds[i])
        self._output_shape(input_shape, build=True)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return self._output_shape(tuple(input_shape), build=False)

    def regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for _, _, layer in self._indexed_layers()))
