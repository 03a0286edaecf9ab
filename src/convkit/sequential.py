"""``Sequential``: a Keras-like stack of layers with compile / fit / evaluate / predict / summary / save."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from . import optimizers, saving
from ._model_arrays import named_arrays
from ._running_mean import RunningMean
from ._validation import float_array, labels, positive_int, real
from .callbacks import Callback, CallbackList, History, ProgbarLogger
from .callbacks._raise_on_nan import RaiseOnNaN
from .epoch_iterator import EpochIterator, batch_slices
from .layers import Layer, deserialize, serialize
from .losses import get as get_loss
from .metrics import get as get_metric


class Sequential:
    """A linear stack of layers.

    >>> model = Sequential([layers.Dense(64, input_shape=(784,)), layers.ReLU(), layers.Dense(10)])
    >>> model.compile(optimizer="adamax", loss="cross_entropy", metrics=["accuracy"])
    >>> history = model.fit(x, y, epochs=5, batch_size=64, validation_split=0.1)

    Layers are built lazily: from the first layer's ``input_shape`` or from the first batch seen.
    Parameters are named ``"{layer index}.{param}"`` (``"0.weight"``) in the optimizer and in saved files.
    """

    def __init__(self, layers: Sequence[Layer] | None = None, name: str = "sequential"):
        self.name = name
        self.layers: list[Layer] = []
        for layer in layers or []:
            self.add(layer)
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: str | None = None
        self.metrics: list[str] = []
        self._loss_fn = None
        self._metric_fns: dict = {}
        self.stop_training = False
        self.history: History | None = None

    # -- structure ----------------------------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a convkit Layer. Received: {type(layer).__name__}")
        self.layers.append(layer)

    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        return self.layers[0].input_shape if self.layers else None

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].dtype if self.layers else np.dtype(np.float32)

    def build(self, input_shape: Sequence[int] | None = None, seed: int | None = None) -> None:
        """Create every layer's weights for ``input_shape`` (without batch; default: the first layer's).

        With ``seed``, every layer still unseeded gets a seed derived from it, so weights (and dropout masks)
        are reproducible.
        """
        if not self.layers:
            raise ValueError("Sequential.build: the model has no layers; add some first.")
        shape = input_shape if input_shape is not None else self.input_shape
        if shape is None:
            raise ValueError(
                "Sequential.build: the input shape is unknown. Pass input_shape=... to the first layer, "
                "call build(input_shape), or call fit/predict on data."
            )
        shape = tuple(int(d) for d in shape)
        if seed is not None:
            self._seed_layers(seed)
        for layer in self.layers:
            if not layer.built:
                layer.build(shape)
            elif layer.input_shape != shape:
                raise ValueError(
                    f"Sequential.build: layer {layer.name} was built for input shape {layer.input_shape} "
                    f"but receives {shape}."
                )
            shape = tuple(layer.compute_output_shape(shape))

    def _seed_layers(self, seed: int) -> None:
        children = np.random.SeedSequence(seed).spawn(len(self.layers))
        for layer, child in zip(self.layers, children):
            if getattr(layer, "seed", 0) is None:
                layer.seed = int(child.generate_state(1)[0])

    def _output_shape(self) -> tuple[int, ...]:
        shape = self.input_shape
        for layer in self.layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    # -- parameters ---------------------------------------------------------------------------------------
    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
        """``(name, param, grad)`` for every trainable array, in layer order; grad is None before backward."""
        items = []
        for index, layer in enumerate(self.layers):
            grads = layer.grads
            for key, param in layer.params.items():
                items.append((f"{index}.{key}", param, grads.get(key)))
        return items

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's parameters then its state (running statistics), in layer order."""
        return [array.copy() for _, array in named_arrays(self.layers)]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Write arrays in ``get_weights`` order into the layers (in place, so optimizers stay attached)."""
        targets = [array for _, array in named_arrays(self.layers)]
        if len(weights) != len(targets):
            raise ValueError(
                f"Sequential.set_weights: expected {len(targets)} arrays. Received: {len(weights)} arrays"
            )
        for i, (target, value) in enumerate(zip(targets, weights)):
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(
                    f"Sequential.set_weights: array {i} must have shape {target.shape}. "
                    f"Received: {value.shape}"
                )
            np.copyto(target, value, casting="same_kind")

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    # -- forward / backward -------------------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    __call__ = forward

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def _backward_to_first_parameters(self, dout: np.ndarray) -> None:
        """``backward`` for a training step: the gradient w.r.t. the model's input is never needed, so it
        stops at the first layer with parameters, which fills only its own grads (no dx)."""
        first = next((i for i, layer in enumerate(self.layers) if layer.params), None)
        if first is None:
            return
        for layer in reversed(self.layers[first + 1 :]):
            dout = layer.backward(dout)
        self.layers[first].backward_weights(dout)

    def regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for layer in self.layers))

    # -- training -----------------------------------------------------------------------------------------
    def compile(
        self, optimizer="adam", loss: str = "cross_entropy", metrics: Sequence[str] | None = None
    ) -> None:
        """Choose the optimizer (instance, name such as ``"adamax"``, or config dict), the loss
        (``"cross_entropy"`` on logits + integer labels, or ``"mse"``) and the metrics
        (``"accuracy"``, ``"top5"``)."""
        loss_fn = get_loss(loss)
        metric_names = list(metrics or [])
        metric_fns = {}
        for metric in metric_names:
            metric_fns[metric] = get_metric(metric)
            if loss != "cross_entropy":
                raise ValueError(
                    f"Sequential.compile: metric {metric!r} needs class labels, i.e. loss='cross_entropy'. "
                    f"Received: loss={loss!r}"
                )
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.metrics = metric_names
        self._loss_fn = loss_fn
        self._metric_fns = metric_fns

    def _require_compiled(self, where: str) -> None:
        if self.optimizer is None:
            raise RuntimeError(f"Sequential.{where}: call compile(optimizer, loss, metrics) first.")

    def _prepare_inputs(self, x, where: str) -> np.ndarray:
        x = float_array(x, "x", where, self.dtype)
        if x.ndim < 2:
            raise ValueError(f"{where}: x must have a batch axis (N, ...). Received: x.shape={x.shape}")
        expected = self.input_shape
        if expected is not None and x.shape[1:] != tuple(expected):
            raise ValueError(
                f"{where}: the model expects inputs of shape (N, {', '.join(map(str, expected))}). "
                f"Received: x.shape={x.shape}"
            )
        return np.ascontiguousarray(x)

    def _prepare_targets(self, y, n: int, where: str) -> np.ndarray:
        if len(y) != n:
            raise ValueError(
                f"{where}: x and y must have the same length. Received: len(x)={n}, len(y)={len(y)}"
            )
        if self.loss == "cross_entropy":
            return labels(y, self._output_shape()[-1], n, where)
        y = float_array(y, "y", where, self.dtype)
        if y.shape[1:] != self._output_shape():
            raise ValueError(
                f"{where}: targets must have shape (N, {', '.join(map(str, self._output_shape()))}) for "
                f"loss='mse'. Received: y.shape={y.shape}"
            )
        return y

    def _prepare(self, x, y, where: str, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        x = self._prepare_inputs(x, where)
        if not self.built:
            self.build(x.shape[1:], seed=seed)
        return x, self._prepare_targets(y, len(x), where)

    def _train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """One optimizer step on a checked batch; returns (loss incl. regularization, the outputs).

        A batch whose loss or any gradient is NaN or infinite is not applied: the weights, the running
        statistics and the optimizer (state and step counter) stay as they were before it.
        """
        state = [(array, array.copy()) for layer in self.layers for array in layer.state.values()]
        out = self.forward(x, training=True)
        data_loss, dout = self._loss_fn(out, y)
        self._backward_to_first_parameters(dout)
        loss = data_loss + self.regularization_loss()
        items = self.named_parameters()
        if math.isfinite(loss) and all(np.isfinite(grad).all() for _, _, grad in items):
            self.optimizer.apply_gradients(items)
        else:
            for array, before in state:
                np.copyto(array, before)
        return loss, out

    def _batch_logs(self, loss: float, out: np.ndarray, y: np.ndarray) -> dict[str, float]:
        return {"loss": loss, **{name: metric(out, y) for name, metric in self._metric_fns.items()}}

    def train_on_batch(self, x, y, return_dict: bool = False) -> float | list[float] | dict[str, float]:
        """One optimizer step on the batch (x, y), checked as ``fit`` checks its data (the model is built
        from x if needed). Returns, as Keras does, the loss (incl. regularization) alone when no metric
        was compiled, else ``[loss, *metrics]``; with ``return_dict``, ``{"loss": ..., metric: ...}``.
        A batch with a non-finite loss or gradient changes nothing and returns its non-finite loss."""
        where = "train_on_batch"
        self._require_compiled(where)
        x, y = self._prepare(x, y, where)
        if len(x) == 0:
            raise ValueError(f"{where}: x holds no samples.")
        logs = self._batch_logs(*self._train_step(x, y), y)
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())

    def fit(
        self,
        x,
        y,
        batch_size: int = 32,
        epochs: int = 1,
        validation_data: tuple | None = None,
        validation_split: float = 0.0,
        shuffle: bool = True,
        callbacks: Sequence[Callback] | None = None,
        verbose: int = 1,
        seed: int | None = None,
        initial_epoch: int = 0,
    ) -> History:
        """Train for ``epochs - initial_epoch`` epochs; returns a ``History`` (``loss``, metrics, ``val_*``).

        ``validation_split`` holds out the *last* fraction of (x, y) before shuffling, as Keras does.
        ``seed`` makes weights (if not yet built), shuffling and dropout reproducible.
        A batch with a non-finite loss or gradient is not applied (weights, running statistics and optimizer
        state stay as before it); then ``fit`` raises ``ValueError`` unless a callback (``TerminateOnNaN``)
        stops training.
        The callbacks run in the order given, then ``History`` and, with ``verbose``, ``ProgbarLogger``.
        """
        where = "fit"
        self._require_compiled(where)
        batch_size = positive_int(batch_size, "batch_size", where)
        epochs = positive_int(epochs, "epochs", where)
        validation_split = real(validation_split, "validation_split", where, low=0.0, high=1.0)
        x, y = self._prepare(x, y, where, seed=seed)
        x, y, validation_data = self._validation_data(x, y, validation_data, validation_split, where)
        if len(x) == 0:
            raise ValueError(f"{where}: x holds no samples.")

        iterator = EpochIterator(x, y, batch_size, shuffle, seed)
        self.history = History()
        progbar = [ProgbarLogger(epochs, len(x), batch_size)] if verbose else []
        callback_list = CallbackList([*(callbacks or []), RaiseOnNaN(), self.history, *progbar], model=self)
        self.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            logs = self._train_epoch(iterator, callback_list)
            if validation_data is not None and not self.stop_training:
                val = self.evaluate(*validation_data, batch_size=batch_size, verbose=0)
                logs.update({f"val_{key}": value for key, value in val.items()})
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def _validation_data(self, x, y, validation_data, validation_split: float, where: str):
        """``(x, y, (x_val, y_val) or None)``: the checked ``validation_data``, else the last
        ``validation_split`` of (x, y) held out."""
        if validation_data is None and validation_split > 0:
            n_val = int(round(len(x) * validation_split))
            if n_val == 0 or n_val == len(x):
                raise ValueError(
                    f"{where}: validation_split={validation_split} leaves no training or validation sample "
                    f"for {len(x)} samples."
                )
            return x[:-n_val], y[:-n_val], (x[-n_val:], y[-n_val:])
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError(f"{where}: validation_data must be a pair (x_val, y_val).")
            x_val = self._prepare_inputs(validation_data[0], where)
            validation_data = (x_val, self._prepare_targets(validation_data[1], len(x_val), where))
        return x, y, validation_data

    def _train_epoch(self, iterator: EpochIterator, callback_list: CallbackList) -> dict[str, float]:
        """One epoch of training steps; returns the epoch's logs (the batch logs' running mean)."""
        mean = RunningMean()
        logs: dict[str, float] = {}
        for step, x_batch, y_batch in iterator.enumerate_epoch():
            callback_list.on_batch_begin(step)
            loss, out = self._train_step(x_batch, y_batch)
            batch_logs = self._batch_logs(loss, out, y_batch)
            callback_list.on_batch_end(step, batch_logs)
            logs = mean.update(batch_logs, len(y_batch))
            if self.stop_training:
                break
        return logs

    # -- inference ----------------------------------------------------------------------------------------
    def predict(self, x, batch_size: int = 32) -> np.ndarray:
        """The last layer's output for every sample, in eval mode (dropout off, running BN statistics)."""
        batch_size = positive_int(batch_size, "batch_size", "predict")
        x = self._prepare_inputs(x, "predict")
        if not self.built:
            self.build(x.shape[1:])
        outputs = [self.forward(x[batch], training=False) for batch in batch_slices(len(x), batch_size)]
        if not outputs:
            return np.empty((0, *self._output_shape()), dtype=self.dtype)
        return np.concatenate(outputs)

    def evaluate(self, x, y, batch_size: int = 32, verbose: int = 1) -> dict[str, float]:
        """Loss (incl. regularization, as in fit) and metrics over (x, y), in eval mode."""
        where = "evaluate"
        self._require_compiled(where)
        batch_size = positive_int(batch_size, "batch_size", where)
        x, y = self._prepare(x, y, where)
        if len(x) == 0:
            raise ValueError(f"{where}: x holds no samples.")
        start = time.perf_counter()
        out = self.predict(x, batch_size=batch_size)
        seconds = time.perf_counter() - start
        data_loss, _ = self._loss_fn(out, y)
        results = self._batch_logs(data_loss + self.regularization_loss(), out, y)
        if verbose:
            shown = " - ".join(f"{k}: {v:.4f}" for k, v in results.items())
            print(f"{len(x)} samples - {shown} - {len(x) / max(seconds, 1e-9):,.0f} img/s")
        return results

    # -- description and persistence ---------------------------------------------------------------------
    def summary(self, print_fn=print) -> None:
        """Print each layer with its output shape and parameter count, then the totals."""
        if not self.built:
            self.build()
        rows = [("Layer (type)", "Output Shape", "Param #")]
        shape = self.input_shape
        for layer in self.layers:
            shape = tuple(layer.compute_output_shape(shape))
            rows.append(
                (f"{layer.name} ({type(layer).__name__})", str((None, *shape)), f"{layer.count_params():,}")
            )
        widths = [max(len(row[i]) for row in rows) + 2 for i in range(3)]
        rule = "=" * sum(widths)
        trainable = self.count_params()
        non_trainable = sum(int(sum(s.size for s in layer.state.values())) for layer in self.layers)
        lines = [f'Model: "{self.name}"', rule]
        for i, row in enumerate(rows):
            lines.append("".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
            lines.append(rule if i == 0 else "-" * sum(widths))
        lines[-1] = rule
        lines += [
            f"Total params: {trainable + non_trainable:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {non_trainable:,}",
        ]
        print_fn("\n".join(lines))

    def get_config(self) -> dict:
        """The architecture: ``{"name": ..., "layers": [{"class_name", "config"}, ...]}``."""
        return {"name": self.name, "layers": [serialize(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict) -> Sequential:
        return cls([deserialize(layer) for layer in config["layers"]], name=config.get("name", "sequential"))

    def save(self, path) -> None:
        """Architecture, weights, running statistics and optimizer state in one ``.npz`` (atomic write)."""
        if not self.built:
            self.build()
        arrays = dict(named_arrays(self.layers))
        compiled = None
        if self.optimizer is not None:
            compiled = {
                "optimizer": optimizers.serialize(self.optimizer),
                "loss": self.loss,
                "metrics": self.metrics,
            }
            arrays.update({f"optimizer/{key}": value for key, value in self.optimizer.get_state().items()})
        content = {"config": self.get_config(), "input_shape": list(self.input_shape), "compile": compiled}
        saving.write(path, content, arrays)
