"""Training end to end: a convkit model and its to_torch copy, fed the same batches, stay equal."""

import numpy as np
import pytest

import convkit as ck
from convkit import layers, optimizers
from convkit.interop import to_torch

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")

OPTIMIZERS = {  # name: (convkit optimizer, torch optimizer factory), the same hyperparameters
    "sgd_nesterov": (
        lambda: optimizers.SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    ),
    "rmsprop_centered": (
        lambda: optimizers.RMSprop(lr=1e-3, momentum=0.5, centered=True),
        lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.5, centered=True),
    ),
    "adam": (
        lambda: optimizers.Adam(lr=1e-3, weight_decay=1e-2),
        lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1e-2),
    ),
    "adamax": (lambda: optimizers.Adamax(lr=2e-3), lambda p: torch.optim.Adamax(p, lr=2e-3)),
    "adamw": (lambda: optimizers.AdamW(lr=1e-3), lambda p: torch.optim.AdamW(p, lr=1e-3)),
}


def small_cnn():
    return ck.Sequential(
        [
            layers.Conv2D(4, 3, padding=1, use_bias=False, input_shape=(1, 8, 8), dtype="float64"),
            layers.BatchNorm(dtype="float64"),
            layers.ReLU(dtype="float64"),
            layers.MaxPool2D(2, dtype="float64"),
            layers.Flatten(dtype="float64"),
            layers.Dense(10, dtype="float64"),
            layers.Tanh(dtype="float64"),
            layers.Dense(3, dtype="float64"),
        ]
    )


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_twenty_steps_match_torch(rng, name):
    make_optimizer, make_torch_optimizer = OPTIMIZERS[name]
    model = small_cnn()
    model.build(seed=0)
    module = to_torch(model).train()
    model.compile(optimizer=make_optimizer(), loss="cross_entropy")
    torch_optimizer = make_torch_optimizer(module.parameters())
    x = rng.normal(size=(20 * 8, 1, 8, 8))
    y = rng.integers(0, 3, size=len(x))
    for step in range(20):
        batch = slice(8 * step, 8 * step + 8)
        loss = model.train_on_batch(x[batch], y[batch])
        torch_optimizer.zero_grad()
        torch_loss = torch.nn.functional.cross_entropy(
            module(torch.from_numpy(x[batch])), torch.from_numpy(y[batch])
        )
        torch_loss.backward()
        torch_optimizer.step()
        assert loss == pytest.approx(torch_loss.item(), rel=1e-9)
    back = to_torch(model)
    expected = module.state_dict()
    for key, ours in back.state_dict().items():
        if key.endswith("num_batches_tracked"):  # torch-only bookkeeping
            continue
        theirs = expected[key]
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7, atol=1e-9)
