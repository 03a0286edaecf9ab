"""``Sequential``: a Keras-like stack of layers with compile / fit / evaluate / predict / summary / save."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from . import _fit_data as fit_data
from . import _kernels, losses, optimizers, saving
from . import _model_inputs as model_inputs
from ._model_arrays import named_arrays
from ._running_mean import RunningMean
from ._summary import summary_text
from ._threads import get_num_threads, training_step_threads
from ._validation import one_of, positive_int, real
from .callbacks import Callback, CallbackList, History, ProgbarLogger
from .callbacks._raise_on_nan import RaiseOnNaN
from .epoch_iterator import EpochIterator, batch_slices
from .layers import Layer, deserialize, serialize
from .layers.chain import backward_chain, inference, run_chain
from .metrics import EpochCounts
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
        self.loss: str | losses.Loss | None = None
        self.metrics: list[str] = []
        self._loss_fn = None
        self._loss_kind = losses.LossKind()
        self._metric_fns: dict = {}
        self.stop_training = False
        self.history: History | None = None

    # -- structure ----------------------------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a convkit Layer. Received: {type(layer).__name__}")
        self.layers.append(layer)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer named ``name`` or at position ``index`` (negative counts from the end), as Keras'."""
        where = "Sequential.get_layer"
        if (name is None) == (index is None):
            raise ValueError(
                f"{where}: pass exactly one of name or index. Received: name={name!r}, index={index!r}"
            )
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"{where}: index must be an int. Received: index={index!r}")
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"{where}: index must be in [{-len(self.layers)}, {len(self.layers)}) for a model of "
                    f"{len(self.layers)} layers. Received: index={index}"
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = ", ".join(repr(layer.name) for layer in self.layers) or "none"
        raise ValueError(f"{where}: no layer named {name!r}. Layers: {names}")

    def pop(self) -> Layer:
        """Remove and return the last layer (its optimizer state is dropped, so a layer added in its
        place starts afresh)."""
        if not self.layers:
            raise ValueError("Sequential.pop: the model has no layers to remove.")
        index = len(self.layers) - 1
        if self.optimizer is not None:
            for key in [key for key in self.optimizer.slots if key.startswith(f"{index}.")]:
                del self.optimizer.slots[key]
        return self.layers.pop()

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
        """``(name, param, grad)`` for every array of a trainable layer, in layer order (the optimizer's
        list: a frozen layer is left out); grad is None before backward."""
        items = []
        for index, layer in enumerate(self.layers):
            if not layer.trainable:
                continue
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
        """The model's output (inside ``layers.chain.inference()``, with conv + batch norm pairs folded)."""
        return run_chain(self.layers, x, training)

    __call__ = forward

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """The gradient w.r.t. the model's input; fills the grads of the trainable layers (a frozen
        layer computes dx only)."""
        return backward_chain(self.layers, dout)

    def _backward_to_first_parameters(self, dout: np.ndarray) -> None:
        """``backward`` for a training step: the gradient w.r.t. the model's input is never needed, so it
        stops at the first trainable layer with parameters, which fills only its own grads (no dx); the
        layers before it (frozen ones among them) are skipped."""
        first = next((i for i, layer in enumerate(self.layers) if layer.params and layer.trainable), None)
        if first is not None:
            backward_chain(self.layers[first:], dout, input_gradient=False)

    def regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for layer in self.layers))

    # -- training -----------------------------------------------------------------------------------------
    def compile(
        self,
        optimizer="adam",
        loss: str | losses.Loss = "cross_entropy",
        metrics: Sequence[str] | None = None,
    ) -> None:
        """Choose the optimizer (instance, name such as ``"adamax"``, or config dict), the loss (a name:
        ``"cross_entropy"`` on logits + integer labels, ``"sparse_categorical_crossentropy"`` on
        probabilities, ``"mse"``; or a ``convkit.losses`` object, e.g. ``CrossEntropy(label_smoothing=0.1)``)
        and the metrics (``"accuracy"`` or ``"acc"``, ``"top5"``, ``"precision"``, ``"recall"``, ``"f1"``).

        A model ending in a softmax with a loss on logits warns: it would train on a double softmax.
        """
        if isinstance(loss, dict):
            loss = losses.deserialize(loss)
        loss_fn = losses.get(loss)
        loss_kind = losses.kind(loss)
        metric_names = list(metrics or [])
        metric_fns = {}
        for metric in metric_names:
            metric_fns[metric] = get_metric(metric)
            if not loss_kind.labels:
                raise ValueError(
                    f"Sequential.compile: metric {metric!r} needs class labels, i.e. a classification loss "
                    f"such as 'cross_entropy'. Received: loss={loss!r}"
                )
        if self.layers:
            losses.warn_softmax_before_logits(self.layers[-1], loss, "Sequential.compile")
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.metrics = metric_names
        self._loss_fn = loss_fn
        self._loss_kind = loss_kind
        self._metric_fns = metric_fns

    def _require_compiled(self, where: str) -> None:
        if self.optimizer is None:
            raise RuntimeError(f"Sequential.{where}: call compile(optimizer, loss, metrics) first.")

    def _loss(self, out: np.ndarray, y: np.ndarray, weights: np.ndarray | None) -> tuple[float, np.ndarray]:
        """The compiled loss; ``sample_weight`` is passed only when there are weights."""
        if weights is None:
            return self._loss_fn(out, y)
        return self._loss_fn(out, y, sample_weight=weights)

    def _train_step(
        self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """One optimizer step on a checked batch (with per-sample loss ``weights``); returns (loss incl.
        regularization, the outputs).

        A batch whose loss or any gradient is NaN or infinite is not applied: the weights, the running
        statistics and the optimizer (state and step counter) stay as they were before it.
        """
        with training_step_threads():  # fewer threads while other processes hold the cores
            state = [(array, array.copy()) for layer in self.layers for array in layer.state.values()]
            out = self.forward(x, training=True)
            data_loss, dout = self._loss(out, y, weights)
            self._backward_to_first_parameters(dout)
            loss = data_loss + self.regularization_loss()
            items = self.named_parameters()
            if math.isfinite(loss) and all(_finite(grad) for _, _, grad in items):
                self.optimizer.apply_gradients(items)
            else:
                for array, before in state:
                    np.copyto(array, before)
        return loss, out

    def _batch_logs(self, loss: float, out: np.ndarray, y: np.ndarray) -> dict[str, float]:
        return {"loss": loss, **{name: metric(out, y) for name, metric in self._metric_fns.items()}}

    def train_on_batch(
        self, x, y, sample_weight=None, class_weight: dict | None = None, return_dict: bool = False
    ) -> float | list[float] | dict[str, float]:
        """One optimizer step on the batch (x, y), checked as ``fit`` checks its data (the model is built
        from x if needed); ``sample_weight`` and ``class_weight`` weigh the loss as in ``fit``. Returns, as
        Keras does, the loss (incl. regularization) alone when no metric was compiled, else
        ``[loss, *metrics]``; with ``return_dict``, ``{"loss": ..., metric: ...}``.
        A batch with a non-finite loss or gradient changes nothing and returns its non-finite loss."""
        where = "train_on_batch"
        self._require_compiled(where)
        x, y = model_inputs.inputs_and_targets(self, x, y, where)
        if len(x) == 0:
            raise ValueError(f"{where}: x holds no samples.")
        weights = model_inputs.loss_weights(self, sample_weight, class_weight, y, where)
        logs = self._batch_logs(*self._train_step(x, y, weights), y)
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())

    def fit(
        self,
        x,
        y=None,
        batch_size: int = 32,
        epochs: int = 1,
        validation_data=None,
        validation_split: float = 0.0,
        shuffle: bool = True,
        callbacks: Sequence[Callback] | None = None,
        verbose: int = 1,
        seed: int | None = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        sample_weight=None,
        class_weight: dict | None = None,
    ) -> History:
        """Train for ``epochs - initial_epoch`` epochs; returns a ``History`` (``loss``, metrics, ``val_*``).

        ``x`` and ``y`` are arrays, or ``x`` alone is an iterable of ``(x_batch, y_batch)`` (a generator, a
        list, a torch DataLoader; see ``epoch_iterator.BatchIterator``), with ``steps_per_epoch`` batches
        per epoch (default: one pass; required for a generator over several epochs). ``validation_data``
        is a tuple ``(x_val, y_val)`` or an iterable of batches.
        ``validation_split`` holds out the *last* fraction of (x, y) before shuffling, as Keras does (and
        of ``sample_weight``, which then weighs the validation loss too).
        ``sample_weight`` (N,) and ``class_weight`` ``{class: weight}`` (classes not named weigh 1) weigh
        each sample's loss, as Keras: sum(weight * loss) / batch size; metrics stay unweighted.
        ``seed`` makes weights (if not yet built), shuffling and dropout reproducible.
        A batch with a non-finite loss or gradient is not applied (weights, running statistics and optimizer
        state stay as before it); then ``fit`` raises ``ValueError`` unless a callback (``TerminateOnNaN``)
        stops training.
        The callbacks run in the order given, then ``History`` and, with ``verbose``, ``ProgbarLogger``
        (``verbose=1``: a progress bar, ``verbose=2``: one line per epoch).
        """
        where = "fit"
        self._require_compiled(where)
        batch_size = positive_int(batch_size, "batch_size", where)
        epochs = positive_int(epochs, "epochs", where)
        validation_split = real(validation_split, "validation_split", where, low=0.0, high=1.0)
        verbose = one_of(verbose, (0, 1, 2), "verbose", where)
        val_weights = None
        if y is None:
            if sample_weight is not None or class_weight is not None:
                raise ValueError(
                    f"{where}: sample_weight and class_weight need arrays x and y. Received: y=None"
                )
            iterator = fit_data.batch_iterator(
                self, x, steps_per_epoch, epochs, validation_split, seed, where
            )
        else:
            iterator, validation_data, val_weights = fit_data.array_iterator(
                self,
                x,
                y,
                batch_size,
                shuffle,
                seed,
                validation_data,
                validation_split,
                sample_weight,
                class_weight,
                steps_per_epoch,
                where,
            )
        if validation_data is not None and not isinstance(validation_data, tuple):
            validation_data = fit_data.validation_iterator(
                self, validation_data, epochs - initial_epoch, where
            )

        self.history = History()
        progbar = [ProgbarLogger(epochs, iterator.steps, verbose)] if verbose else []
        callback_list = CallbackList([*(callbacks or []), RaiseOnNaN(), self.history, *progbar], model=self)
        self.stop_training = False
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            logs = self._train_epoch(iterator, callback_list)
            if iterator.exhausted:
                self.stop_training = True
                if not logs:
                    break
            if validation_data is not None and not self.stop_training:
                val = fit_data.validation_logs(self, validation_data, batch_size, val_weights)
                logs.update({f"val_{key}": value for key, value in val.items()})
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def _train_epoch(self, iterator: EpochIterator, callback_list: CallbackList) -> dict[str, float]:
        """One epoch of training steps; returns the epoch's logs: the batch logs' running mean, except the
        confusion-matrix metrics (precision, recall, f1), computed from the counts of the whole epoch."""
        mean = RunningMean()
        counts = EpochCounts(self._metric_fns)
        logs: dict[str, float] = {}
        for step, x_batch, y_batch, *weights in iterator.enumerate_epoch():  # weights: [] or [(B,)]
            callback_list.on_batch_begin(step, {"size": len(y_batch)})
            loss, out = self._train_step(x_batch, y_batch, *weights)
            batch_logs = self._batch_logs(loss, out, y_batch)
            counts.update(out, y_batch)
            callback_list.on_batch_end(step, batch_logs)
            logs = mean.update(batch_logs, len(y_batch))
            if self.stop_training:
                break
        return {**logs, **counts.results()}

    # -- inference ----------------------------------------------------------------------------------------
    def predict(self, x, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """The last layer's output for every sample, in eval mode (dropout off, running BN statistics);
        with ``verbose``, a line with the number of samples and the throughput."""
        batch_size = positive_int(batch_size, "batch_size", "predict")
        x = model_inputs.inputs(self, x, "predict")
        if not self.built:
            self.build(x.shape[1:])
        start = time.perf_counter()
        with inference():  # no backward pass follows: conv + batch norm pairs fold
            outputs = [self.forward(x[batch], training=False) for batch in batch_slices(len(x), batch_size)]
        if verbose:
            seconds = time.perf_counter() - start
            print(f"{len(x)} samples - {len(x) / max(seconds, 1e-9):,.0f} img/s")
        if not outputs:
            return np.empty((0, *self._output_shape()), dtype=self.dtype)
        return np.concatenate(outputs)

    def evaluate(self, x, y, batch_size: int = 32, verbose: int = 1, sample_weight=None) -> dict[str, float]:
        """Loss (incl. regularization, as in fit; weighted by ``sample_weight`` (N,) if given) and metrics
        (unweighted) over (x, y), in eval mode."""
        where = "evaluate"
        self._require_compiled(where)
        batch_size = positive_int(batch_size, "batch_size", where)
        x, y = model_inputs.inputs_and_targets(self, x, y, where)
        if len(x) == 0:
            raise ValueError(f"{where}: x holds no samples.")
        weights = model_inputs.loss_weights(self, sample_weight, None, y, where)
        start = time.perf_counter()
        out = self.predict(x, batch_size=batch_size)
        seconds = time.perf_counter() - start
        data_loss, _ = self._loss(out, y, weights)
        results = self._batch_logs(data_loss + self.regularization_loss(), out, y)
        if verbose:
            shown = " - ".join(f"{k}: {v:.4f}" for k, v in results.items())
            print(f"{len(x)} samples - {shown} - {len(x) / max(seconds, 1e-9):,.0f} img/s")
        return results

    # -- description and persistence ---------------------------------------------------------------------
    def summary(self, print_fn=print) -> None:
        """Print each layer (with its fused activation) with its output shape and parameter count, then
        the totals: trainable, and non-trainable (frozen layers' params and the running statistics)."""
        if not self.built:
            self.build()
        print_fn(summary_text(self))

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
                "loss": losses.serialize(self.loss),
                "metrics": self.metrics,
            }
            arrays.update({f"optimizer/{key}": value for key, value in self.optimizer.get_state().items()})
        content = {"config": self.get_config(), "input_shape": list(self.input_shape), "compile": compiled}
        saving.write(path, content, arrays)


def _finite(grad) -> bool:
    """``np.isfinite(grad).all()``, in one compiled pass for a float32 or float64 gradient."""
    grad = np.asarray(grad)
    if grad.dtype in (np.float32, np.float64):
        return _kernels.all_finite(grad.reshape(-1), get_num_threads())
    return bool(np.isfinite(grad).all())
