"""Study 16: Lab B's NumPy CNN (conv, sigmoid, reshape, linear, softmax, cross-entropy) as a layer list
over ``convkit.functional``'s forward/backward pairs, trained with plain SGD; then one forward+backward of
the same network on the same batch timed as plain NumPy (``studies.numpy_reference``), as convkit and as
PyTorch (autograd, CPU), after checking that the three agree.
"""

from __future__ import annotations

import abc
import dataclasses
import os
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as torch_F

from convkit import functional as F
from convkit.losses import sparse_categorical_crossentropy

from . import numpy_reference, plots
from .context import StudyContext
from .data import load_study_data
from .registry import study
from .report import Report
from .timing import MIN_WINDOW_S, time_interleaved

TITLE = "A NumPy CNN trained 100 epochs; NumPy vs convkit vs PyTorch"
LAB_ITEM = "Lab B, item 1: a NumPy CNN and NumPy vs frameworks"
FILTERS, KERNEL, HIDDEN = 8, 3, 100
OVERFIT_GAP = 0.05  # train minus test accuracy above which the report names the overfitting
AGREEMENT = 1e-4  # float32: largest relative difference of loss and gradients the three may show


@dataclasses.dataclass(frozen=True)
class Ops:
    """One implementation of the network's forward/backward pairs and its loss."""

    conv2d_forward: Callable
    conv2d_backward: Callable
    affine_forward: Callable
    affine_backward: Callable
    sigmoid_forward: Callable
    sigmoid_backward: Callable
    softmax_forward: Callable
    softmax_backward: Callable
    cross_entropy: Callable  # (probabilities (N, K), labels (N,)) -> (mean loss, dprobabilities)


CONVKIT_OPS = Ops(
    F.conv2d_forward,
    F.conv2d_backward,
    F.affine_forward,
    F.affine_backward,
    F.sigmoid_forward,
    F.sigmoid_backward,
    F.softmax_forward,
    F.softmax_backward,
    sparse_categorical_crossentropy,
)
NUMPY_OPS = Ops(
    numpy_reference.conv2d_forward,
    numpy_reference.conv2d_backward,
    numpy_reference.affine_forward,
    numpy_reference.affine_backward,
    numpy_reference.sigmoid_forward,
    numpy_reference.sigmoid_backward,
    numpy_reference.softmax_forward,
    numpy_reference.softmax_backward,
    numpy_reference.cross_entropy,
)


class Layer(abc.ABC):
    """A forward/backward pair over ``ops``; ``params`` and ``grads`` share keys (empty without weights)."""

    def __init__(self, ops: Ops, **params: np.ndarray):
        self.ops, self.params, self.grads = ops, params, {}

    @abc.abstractmethod
    def forward(self, x: np.ndarray) -> np.ndarray: ...

    @abc.abstractmethod
    def backward(self, dout: np.ndarray) -> np.ndarray: ...


class Conv(Layer):
    """Valid ``KERNEL`` x ``KERNEL`` convolution, stride 1."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = self.ops.conv2d_forward(x, self.params["w"], self.params["b"])
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.grads["w"], self.grads["b"] = self.ops.conv2d_backward(dout, self.cache)
        return dx


class Linear(Layer):
    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = self.ops.affine_forward(x, self.params["w"], self.params["b"])
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.grads["w"], self.grads["b"] = self.ops.affine_backward(dout, self.cache)
        return dx


class Sigmoid(Layer):
    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = self.ops.sigmoid_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self.ops.sigmoid_backward(dout, self.cache)


class Softmax(Layer):
    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = self.ops.softmax_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self.ops.softmax_backward(dout, self.cache)


class Reshape(Layer):
    """(N, C, H, W) -> (N, C*H*W); the backward restores the shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x_shape = x.shape
        return x.reshape(len(x), -1)  # (N, C*H*W)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self.x_shape)  # (N, C, H, W)


def initial_weights(input_shape: tuple[int, int, int], num_classes: int, seed: int, dtype) -> dict:
    """Xavier-normal weights, zero biases: conv (FILTERS, C, KERNEL, KERNEL), linear1 (D, HIDDEN),
    linear2 (HIDDEN, num_classes)."""
    c, h, w = input_shape
    flat = FILTERS * (h - KERNEL + 1) * (w - KERNEL + 1)
    rng = np.random.default_rng(seed)

    def normal(shape, fan_in, fan_out):
        return (rng.standard_normal(shape) * np.sqrt(2 / (fan_in + fan_out))).astype(dtype)

    return {
        "conv.w": normal((FILTERS, c, KERNEL, KERNEL), c * KERNEL**2, FILTERS * KERNEL**2),
        "conv.b": np.zeros(FILTERS, dtype),
        "linear1.w": normal((flat, HIDDEN), flat, HIDDEN),
        "linear1.b": np.zeros(HIDDEN, dtype),
        "linear2.w": normal((HIDDEN, num_classes), HIDDEN, num_classes),
        "linear2.b": np.zeros(num_classes, dtype),
    }


class Network:
    """conv - sigmoid - reshape - linear - sigmoid - linear - softmax, with a cross-entropy loss, over one
    ``Ops``; parameters are copies of ``weights`` (``name.w`` / ``name.b``), updated in place by ``sgd``."""

    def __init__(self, ops: Ops, weights: dict):
        w = {key: value.copy() for key, value in weights.items()}
        self.ops = ops
        self.layers = {
            "conv": Conv(ops, w=w["conv.w"], b=w["conv.b"]),
            "sigmoid1": Sigmoid(ops),
            "reshape": Reshape(ops),
            "linear1": Linear(ops, w=w["linear1.w"], b=w["linear1.b"]),
            "sigmoid2": Sigmoid(ops),
            "linear2": Linear(ops, w=w["linear2.w"], b=w["linear2.b"]),
            "softmax": Softmax(ops),
        }

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict, np.ndarray]:
        """Forward and backward of one batch: (mean loss, parameter gradients by name, dx)."""
        loss, grad = self.ops.cross_entropy(self.probabilities(x), y)
        for layer in reversed(self.layers.values()):
            grad = layer.backward(grad)
        grads = {
            f"{name}.{key}": value
            for name, layer in self.layers.items()
            for key, value in layer.grads.items()
        }
        return loss, grads, grad

    def sgd(self, lr: float) -> None:
        for layer in self.layers.values():
            for key, param in layer.params.items():
                param -= lr * layer.grads[key]

    def accuracy(self, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
        hits = sum(
            int((self.probabilities(x[i : i + batch_size]).argmax(1) == y[i : i + batch_size]).sum())
            for i in range(0, len(x), batch_size)
        )
        return hits / len(x)


class TorchNetwork:
    """The same network and loss in ``torch.nn.functional``, differentiated by autograd (CPU)."""

    def __init__(self, weights: dict):
        self.params = {key: torch.tensor(value, requires_grad=True) for key, value in weights.items()}

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict, np.ndarray]:
        p = self.params
        for param in p.values():
            param.grad = None
        images = torch.tensor(x, requires_grad=True)
        hidden = torch.sigmoid(torch_F.conv2d(images, p["conv.w"], p["conv.b"]))
        hidden = hidden.reshape(len(x), -1)  # (N, FILTERS*OH*OW)
        hidden = torch.sigmoid(hidden @ p["linear1.w"] + p["linear1.b"])
        probs = torch.softmax(hidden @ p["linear2.w"] + p["linear2.b"], dim=1)
        loss = -torch.log(probs[torch.arange(len(y)), torch.as_tensor(y)]).mean()
        loss.backward()
        return loss.item(), {key: param.grad.numpy() for key, param in p.items()}, images.grad.numpy()


def _largest_difference(result, reference) -> float:
    """Largest |difference| / max |reference| over the loss, each parameter gradient and dx."""
    loss, grads, dx = result
    loss_ref, grads_ref, dx_ref = reference
    pairs = [(np.float64(loss), np.float64(loss_ref)), (dx, dx_ref)]
    pairs += [(grads[key], grads_ref[key]) for key in grads_ref]
    return max(float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)) for a, b in pairs)


def _train(data, weights: dict, epochs: int, batch_size: int, lr: float, seed: int):
    net = Network(CONVKIT_OPS, weights)
    rng = np.random.default_rng(seed)
    losses, test_accuracy = [], []
    for _ in range(epochs):
        order = rng.permutation(len(data.x_train))
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            loss, _, _ = net.loss_and_gradients(data.x_train[batch], data.y_train[batch])
            net.sgd(lr)
            total += loss * len(batch)
        losses.append(total / len(order))
        test_accuracy.append(net.accuracy(data.x_test, data.y_test))
    return net, losses, test_accuracy


@study(16)
def run(ctx: StudyContext) -> Report:
    report = Report("numpy_cnn", TITLE, ctx)
    n_train, n_test = ctx.pick(full=(15000, 5000), quick=(2000, 1000), tiny=(128, 64))
    epochs = ctx.pick(full=100, quick=20, tiny=2)
    batch_size, lr, timed_batch = 32, 0.1, 64
    data = load_study_data(ctx).subset(n_train, n_test, ctx.seed)
    report.uses(data)
    weights = initial_weights(data.input_shape, data.num_classes, ctx.seed, np.float32)

    net, losses, test_accuracy = _train(data, weights, epochs, batch_size, lr, ctx.seed)
    train_accuracy = net.accuracy(data.x_train, data.y_train)

    # the three implementations on one batch, from the trained weights
    trained = {
        f"{name}.{key}": param.copy()
        for name, layer in net.layers.items()
        for key, param in layer.params.items()
    }
    x, y = np.ascontiguousarray(data.x_test[:timed_batch]), data.y_test[:timed_batch]
    numpy_net, convkit_net = Network(NUMPY_OPS, trained), Network(CONVKIT_OPS, trained)
    torch_net = TorchNetwork(trained)
    candidates = {
        "plain NumPy": lambda: numpy_net.loss_and_gradients(x, y),
        "convkit": lambda: convkit_net.loss_and_gradients(x, y),
        "PyTorch": lambda: torch_net.loss_and_gradients(x, y),
    }
    results = {name: fn() for name, fn in candidates.items()}
    differences = {name: _largest_difference(results[name], results["PyTorch"]) for name in candidates}
    agree = max(differences.values()) <= AGREEMENT
    window = ctx.pick(full=MIN_WINDOW_S, quick=MIN_WINDOW_S, tiny=0.02)
    timings = time_interleaved(candidates, min_window_s=window)
    omp_threads = os.environ.get("OMP_NUM_THREADS", "unset")

    speeds = ", ".join(f"{name} {1e3 * t.seconds:.3g} ms" for name, t in timings.items())
    report.headline = (
        f"test accuracy {test_accuracy[-1]:.1%} after {epochs} epochs (train loss {losses[0]:.3f} -> "
        f"{losses[-1]:.3f}); one forward+backward of {timed_batch} images: {speeds} (median of "
        f"{timings['convkit'].windows} windows, {timings['convkit'].threads})"
    )
    report.text(
        f"Lab B's CNN written as a list of layers, each a forward/backward pair of `convkit.functional`: "
        f"a {KERNEL}x{KERNEL} convolution with {FILTERS} filters (valid, stride 1), sigmoid, reshape to "
        f"vectors, a linear layer of {HIDDEN} units, sigmoid, a linear layer to {data.num_classes} scores, "
        "softmax, and the cross-entropy of the softmax's probabilities. Plain minibatch SGD (no momentum) "
        f"with learning rate {lr} and batches of {batch_size} trains it for {epochs} epochs on "
        f"{data.name} (a fixed random subset, so that {epochs} epochs fit the time box). The training loss "
        f"falls from {losses[0]:.3f} (epoch 1) to {losses[-1]:.3f} (epoch {epochs}); the network ends at "
        f"{train_accuracy:.1%} accuracy on its training images and {test_accuracy[-1]:.1%} on the "
        f"{len(data.x_test)} test images (best epoch: {max(test_accuracy):.1%})."
    )
    gap = train_accuracy - test_accuracy[-1]
    if gap > OVERFIT_GAP:
        weights_count = sum(w.size for w in weights.values())
        report.text(
            f"The {gap:.1%} gap between training and test accuracy is overfitting: the lab trains its "
            f"{weights_count:,} weights (most of them in the first linear layer) without any regularization "
            f"or early stopping, and {epochs} epochs let them fit the {len(data.x_train):,} training images."
        )
    report.figure(
        "loss.png",
        plots.curves({"NumPy CNN train": losses}, "NumPy CNN: training loss", "cross-entropy"),
        "Mean training loss of each epoch.",
    )
    report.figure(
        "test_accuracy.png",
        plots.curves({"NumPy CNN test": test_accuracy}, "NumPy CNN: test accuracy", "accuracy"),
        "Test accuracy after each epoch.",
    )
    verdict = (
        f"agree to {max(differences.values()):.1e} (relative), within {AGREEMENT:g}"
        if agree
        else f"DISAGREE: largest relative difference {max(differences.values()):.1e} > {AGREEMENT:g}"
    )
    report.text(
        f"The trained network then runs three ways on the same {timed_batch} test images, float32: plain "
        "NumPy (`studies/numpy_reference.py`: im2col by a strided view and one matrix product per "
        "convolution pass, no convkit), convkit's functional pairs (the layer list above) and PyTorch "
        "(`torch.nn.functional` with autograd, on the CPU). Each computes the loss, every parameter gradient "
        f"and the input gradient. Against PyTorch the loss and gradients {verdict}: "
        + ", ".join(f"{name} {differences[name]:.1e}" for name in candidates if name != "PyTorch")
        + "."
    )
    report.table(
        ["implementation", "forward+backward (ms)", "images / s", "conditions"],
        [
            [name, 1e3 * t.seconds, f"{t.per_second(timed_batch):,.0f}", t.conditions()]
            for name, t in timings.items()
        ],
        caption=f"One forward+backward of {timed_batch} images "
        f"(OMP_NUM_THREADS={omp_threads}; NumPy's BLAS follows it)",
    )
    report.figure(
        "speed.png",
        plots.bar(
            list(timings),
            [t.per_second(timed_batch) for t in timings.values()],
            f"Forward+backward throughput, batch of {timed_batch}",
            "images / s",
        ),
        "Images per second of one forward+backward (median window; conditions in the table).",
    )
    report.settings.update(
        model=f"conv {FILTERS}x{KERNEL}x{KERNEL} - sigmoid - reshape - linear {HIDDEN} - sigmoid - "
        f"linear {data.num_classes} - softmax - cross-entropy",
        initialization="Xavier normal, zero biases",
        optimizer=f"SGD(lr={lr})",
        epochs=epochs,
        batch_size=batch_size,
        timed_batch=timed_batch,
        threads=f"torch {torch.get_num_threads()}, OMP_NUM_THREADS={omp_threads}",
    )
    return report
