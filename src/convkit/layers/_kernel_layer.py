"""What Dense and Conv2D share: a kernel and an optional bias, their initialization, seed and L2 penalty."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from .. import initializers
from .._validation import flag, optional_seed, positive_float
from ..regularizers import L2
from .activations import ACTIVATIONS
from .base import Layer


class KernelOps(NamedTuple):
    """The functional pair of a kernel layer for one activation (None or a fused one)."""

    forward: Callable  # (x, weight, bias, **layer.forward_arguments()) -> (out, cache)
    backward: Callable  # (dout, cache) -> (dx, dweight, dbias)
    backward_weights: Callable  # (dout, cache) -> (dweight, dbias), no dx
    backward_input: Callable  # (dout, cache) -> dx, no parameter gradients (a frozen layer)


def activation_name(value, where: str) -> str | None:
    """None (also for ``"linear"``) or the name of an activation in ``ACTIVATIONS``, in lower case."""
    if value is None or value == "linear":
        return None
    if not isinstance(value, str):
        raise TypeError(f"{where}: activation must be None or a name. Received: activation={value!r}")
    if value.lower() not in ACTIVATIONS:
        raise ValueError(
            f"{where}: activation must be None, 'linear' or one of {sorted(ACTIVATIONS)}. "
            f"Received: activation={value!r}"
        )
    return value.lower()


class KernelLayer(Layer):
    """A layer with ``params = {"weight": kernel, "bias": (out,)}`` (no ``"bias"`` when ``use_bias=False``).

    A subclass names its functional ops in ``ops`` (a ``KernelOps`` per activation), gives the forward op's
    extra keyword arguments in ``forward_arguments`` and builds its kernel with ``build_weights``; this
    class runs the ops (``call``, ``backward``, ``backward_weights``) and owns their cache.

    Arguments:
    - activation: None (or ``"linear"``) or the name of an activation layer: ``"relu"`` is max(output, 0)
      fused into the kernel (the same values and gradients as a ``ReLU()`` layer after it, one pass fewer
      over memory); the others (``"leaky_relu"``, ``"sigmoid"``, ``"tanh"``, ``"softmax"``) run their
      layer (with its defaults) after the kernel, forward and backward
    - use_bias: add a bias, initialized to zeros
    - kernel_initializer: ``"he_normal"`` (default, for ReLU networks), ``"glorot_uniform"``, ``"zeros"``
      or a callable(shape, rng, dtype) -> array
    - weight_scale: if given, the kernel is N(0, weight_scale^2) (CS231n), overriding the initializer
    - kernel_regularizer: None, a float l2 or ``convkit.regularizers.L2(l2)``: adds l2 * sum(weight**2) to
      ``regularization_loss()`` and 2 * l2 * weight to ``grads["weight"]``
    - seed: the build draws the kernel from ``np.random.default_rng(seed)``; ``self.seed`` may be set
      before the build (Sequential does, to make a model deterministic)
    """

    def __init__(
        self,
        *,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer: str | initializers.Initializer = "he_normal",
        weight_scale: float | None = None,
        kernel_regularizer: float | L2 | None = None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.use_bias = flag(use_bias, "use_bias", cls)
        if not (isinstance(kernel_initializer, str) or callable(kernel_initializer)):
            raise TypeError(self._initializer_message(kernel_initializer))
        if isinstance(kernel_initializer, str) and kernel_initializer not in initializers.BY_NAME:
            raise ValueError(self._initializer_message(kernel_initializer))
        self.kernel_initializer = kernel_initializer
        self.kernel_regularizer = self._regularizer(kernel_regularizer)
        self.activation = activation_name(activation, cls)
        fused = self.activation in self.ops  # None, or an activation the subclass's kernel fuses
        self._fused = self.activation if fused else None  # the key of the kernel's ops
        self._activation_after = None if fused else self._new_activation_layer()
        self.weight_scale = (
            None if weight_scale is None else positive_float(weight_scale, "weight_scale", cls)
        )
        self.seed = optional_seed(seed, "seed", cls)

    def _initializer_message(self, value) -> str:
        return (
            f"{type(self).__name__}: kernel_initializer must be one of {sorted(initializers.BY_NAME)} or a "
            f"callable(shape, rng, dtype). Received: kernel_initializer={value!r}"
        )

    def _regularizer(self, value) -> L2 | None:
        """None, an ``L2``, or an ``L2`` made from a float factor."""
        cls = type(self).__name__
        if value is None or isinstance(value, L2):
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{cls}: kernel_regularizer must be None, a float (the L2 factor) or a "
                f"convkit.regularizers.L2. Received: kernel_regularizer={value!r}"
            )
        try:
            return L2(value)
        except ValueError:
            raise ValueError(
                f"{cls}: kernel_regularizer must be a non-negative L2 factor. "
                f"Received: kernel_regularizer={value!r}"
            ) from None

    def build_weights(self, kernel_shape: Sequence[int], out_size: int | None = None) -> None:
        """Create ``params["weight"]`` of ``kernel_shape`` and ``params["bias"]`` of ``out_size``: by default
        kernel_shape[-1] for a Dense kernel (in, out), kernel_shape[0] for a Conv2D kernel (out, in, KH, KW)
        """
        kernel_shape = tuple(kernel_shape)
        rng = np.random.default_rng(self.seed)
        if self.weight_scale is not None:
            weight = self.weight_scale * rng.standard_normal(kernel_shape)
        else:
            weight = initializers.get(self.kernel_initializer)(kernel_shape, rng, self.dtype)
        weight = np.ascontiguousarray(weight, dtype=self.dtype)
        if weight.shape != kernel_shape:
            raise ValueError(
                f"{self.name}: kernel_initializer returned shape {weight.shape}, expected {kernel_shape}"
            )
        if out_size is None:
            out_size = kernel_shape[-1] if len(kernel_shape) == 2 else kernel_shape[0]
        self.params = {"weight": weight}
        if self.use_bias:
            self.params["bias"] = np.zeros(out_size, dtype=self.dtype)
        self.zero_bias = np.zeros(out_size, dtype=self.dtype)  # what the functional ops get without a bias

    @property
    def fuses_relu(self) -> bool:
        """Whether the ReLU runs inside the kernel's ops (``activation="relu"``)."""
        return self._fused == "relu"

    @property
    def bias(self) -> np.ndarray:
        """The bias, or zeros when ``use_bias=False`` (the functional ops always take one)."""
        return self.params["bias"] if self.use_bias else self.zero_bias

    @property
    def activation_layer(self) -> Layer | None:
        """The activation as a layer of its own (what ``to_torch`` writes after the kernel), or None."""
        if self.activation is None:
            return None
        return self._activation_after or self._new_activation_layer()

    def _new_activation_layer(self) -> Layer:
        # named after this layer, so that it takes no number from the automatic layer names
        return ACTIVATIONS[self.activation](name=f"{self.name}_{self.activation}", dtype=self.dtype)

    # The functional ops by activation (None or a fused one); each subclass names its own.
    ops: dict[str | None, KernelOps]

    def forward_arguments(self) -> dict:
        """Keyword arguments of the forward op beyond (x, weight, bias), e.g. Conv2D's stride and padding."""
        return {}

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        # the op's cache is what backward gives back to the same op: written and read here only
        out, self._cache = self.ops[self._fused].forward(
            x, self.params["weight"], self.bias, **self.forward_arguments()
        )
        if self._activation_after is not None:
            out = self._activation_after.call(out, training)
        return out

    def backward(self, dout: np.ndarray, gated: bool = False) -> np.ndarray:
        """dx, with ``grads`` filled. ``gated``: ``dout`` is already the gradient through the fused ReLU,
        gated on a max pool's outputs (``chain.backward_chain``); the kernel's own backward runs on it."""
        ops, cache, dout = self._backward_operands(dout, gated)
        dx, dweight, dbias = ops.backward(dout, cache)
        self.store_grads(dweight, dbias)
        return dx

    def backward_weights(self, dout: np.ndarray, gated: bool = False) -> None:
        """``backward`` without dx, for a network's first layer."""
        ops, cache, dout = self._backward_operands(dout, gated)
        self.store_grads(*ops.backward_weights(dout, cache))

    def backward_input(self, dout: np.ndarray, gated: bool = False) -> np.ndarray:
        """``backward``'s dx alone, for a frozen layer."""
        ops, cache, dout = self._backward_operands(dout, gated)
        return ops.backward_input(dout, cache)

    def _backward_operands(self, dout: np.ndarray, gated: bool) -> tuple[KernelOps, tuple, np.ndarray]:
        """(the ops, their cache, the upstream gradient) of a backward pass: through the activation layer
        after the kernel, if any; ``gated`` skips the fused ReLU (the kernel's cache is the first field of
        the fused op's (cache, out))."""
        if gated:
            if not self.fuses_relu:
                raise ValueError(f"{self.name}: gated=True needs a fused ReLU. Received: {self.activation=}")
            return self.ops[None], self._cache[0], dout
        if self._activation_after is not None:
            dout = self._activation_after.backward(dout)
        return self.ops[self._fused], self._cache, dout

    def store_grads(self, dweight: np.ndarray, dbias: np.ndarray) -> None:
        """``grads`` from the op's gradients, plus the regularizer's gradient on the kernel."""
        if self.kernel_regularizer is not None:
            dweight = dweight + self.kernel_regularizer.gradient(self.params["weight"])
        self.grads["weight"] = dweight
        if self.use_bias:
            self.grads["bias"] = dbias

    def regularization_loss(self) -> float:
        if self.kernel_regularizer is None or not self.built:
            return 0.0
        return self.kernel_regularizer(self.params["weight"])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            activation=self.activation,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            weight_scale=self.weight_scale,
            kernel_regularizer=None if self.kernel_regularizer is None else self.kernel_regularizer.l2,
            seed=self.seed,
        )
        return config
