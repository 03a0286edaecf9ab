"""Gradient clipping (clipnorm, clipvalue, global_clipnorm) and the learning_rate alias on every optimizer:
against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ step for step, Keras's clipnorm formula, config
and save round trips, argument checks."""

import json
import re

import numpy as np
import pytest

import convkit as ck
from convkit import layers, optimizers
from convkit.interop import to_torch
from convkit.optimizers.base import CLIP_OPTIONS

torch = pytest.importorskip("torch", reason="torch is the reference of the clipping parity tests")

NAMES = ["SGD", "RMSprop", "Adam", "Adamax", "AdamW"]
KWARGS = {"SGD": {"lr": 0.1, "momentum": 0.9}, "RMSprop": {"lr": 0.01}, "Adam": {"lr": 0.05},
          "Adamax": {"lr": 0.05}, "AdamW": {"lr": 0.05, "weight_decay": 0.1}}  # fmt: skip
TOLERANCES = {np.float32: (1e-5, 1e-6), np.float64: (1e-12, 1e-13)}


def gradients(rng, shapes, steps, dtype):
    """Gradients whose norm crosses the clipping thresholds up and down (scales 1e-3 to 1e1)."""
    return [
        {
            key: (10.0 ** rng.uniform(-3, 1) * rng.standard_normal(s)).astype(dtype)
            for key, s in shapes.items()
        }
        for _ in range(steps)
    ]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("clip", ["global_clipnorm", "clipvalue"])
def test_clipping_matches_torch_utils_step_for_step(name, clip, dtype, rng):
    rtol, atol = TOLERANCES[dtype]
    shapes = {"w": (5, 3), "b": (3,)}
    params = {key: rng.standard_normal(shape).astype(dtype) for key, shape in shapes.items()}
    torch_params = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    optimizer = getattr(optimizers, name)(**KWARGS[name], **{clip: 0.5})
    torch_optimizer = getattr(torch.optim, name)(list(torch_params.values()), foreach=False, **KWARGS[name])
    clipped_steps = 0
    for grads in gradients(rng, shapes, 15, dtype):
        before = {key: grad.copy() for key, grad in grads.items()}
        for key, tensor in torch_params.items():
            tensor.grad = torch.from_numpy(grads[key].copy())
        if clip == "global_clipnorm":
            total = torch.nn.utils.clip_grad_norm_(list(torch_params.values()), 0.5)
            clipped_steps += bool(total > 0.5)
        else:
            clipped_steps += bool(max(np.abs(g).max() for g in grads.values()) > 0.5)
            torch.nn.utils.clip_grad_value_(list(torch_params.values()), 0.5)
        torch_optimizer.step()
        optimizer.apply_gradients((key, params[key], grads[key]) for key in params)
        for key, tensor in torch_params.items():
            np.testing.assert_allclose(params[key], tensor.detach().numpy(), rtol=rtol, atol=atol)
            np.testing.assert_array_equal(grads[key], before[key])  # the caller's gradient is not changed
            assert params[key].dtype == dtype
    assert 3 <= clipped_steps < 15  # some steps clipped, some not


def test_clipnorm_is_keras_per_parameter_formula(rng):
    """Each gradient g becomes g * clipnorm / max(||g||, clipnorm), its own norm: one small, one large."""
    params = {"small": np.zeros(4), "large": np.zeros((2, 3))}
    grads = {"small": np.full(4, 0.1), "large": rng.standard_normal((2, 3)) * 10}
    sgd = optimizers.SGD(lr=1.0, clipnorm=1.0)
    sgd.apply_gradients((key, params[key], grads[key]) for key in params)
    np.testing.assert_allclose(params["small"], -grads["small"], rtol=1e-15)  # norm 0.2: unchanged
    np.testing.assert_allclose(params["large"], -grads["large"] / np.linalg.norm(grads["large"]), rtol=1e-15)
    assert np.linalg.norm(params["large"]) == pytest.approx(1.0)


def small_mlp():
    return ck.Sequential(
        [
            layers.Dense(16, activation="relu", input_shape=(6,), dtype="float64"),
            layers.Dense(4, dtype="float64"),
        ]
    )


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_twelve_training_steps_with_global_clipnorm_match_torch(name, rng):
    model = small_mlp()
    model.build(seed=0)
    module = to_torch(model).train()
    model.compile(optimizer=getattr(optimizers, name)(learning_rate=0.1, global_clipnorm=0.3))
    torch_optimizer = getattr(torch.optim, name)(module.parameters(), lr=0.1)
    x, y = rng.standard_normal((12 * 8, 6)) * 3, rng.integers(0, 4, size=12 * 8)
    norms = []
    for step in range(12):
        batch = slice(8 * step, 8 * step + 8)
        loss = model.train_on_batch(x[batch], y[batch])
        torch_optimizer.zero_grad()
        logits = module(torch.from_numpy(x[batch]))
        torch_loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y[batch]))
        torch_loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(module.parameters(), 0.3)))
        torch_optimizer.step()
        assert loss == pytest.approx(torch_loss.item(), rel=1e-10)
    assert max(norms) > 0.3  # the clipping was active
    for ours, theirs in zip(to_torch(model).state_dict().values(), module.state_dict().values()):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("clip", ["clipnorm", "clipvalue", "global_clipnorm"])
def test_clipping_is_in_the_config_and_survives_save_and_load(name, clip, tmp_path, rng):
    optimizer = getattr(optimizers, name)(learning_rate=0.01, **{clip: 2.5})
    config = optimizer.get_config()
    assert config[clip] == 2.5 and config["lr"] == 0.01 and "learning_rate" not in config
    rebuilt = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(optimizer))))
    assert getattr(rebuilt, clip) == 2.5 and rebuilt.get_config() == config
    model = small_mlp()
    model.compile(optimizer=optimizer)
    model.fit(rng.standard_normal((8, 6)), rng.integers(0, 4, size=8), verbose=0, seed=0)
    model.save(tmp_path / "model.npz")
    assert ck.load_model(tmp_path / "model.npz").optimizer.get_config() == config


@pytest.mark.parametrize("name", NAMES)
def test_config_without_clipping_is_unchanged(name):
    assert not set(CLIP_OPTIONS) & set(getattr(optimizers, name)().get_config())


@pytest.mark.parametrize("name", NAMES)
def test_learning_rate_is_lr(name):
    optimizer = getattr(optimizers, name)(learning_rate=0.25)
    assert optimizer.lr == 0.25 and optimizer.learning_rate == 0.25
    optimizer.learning_rate = 0.5
    assert optimizer.lr == 0.5
    message = f"{name}: pass lr or its alias learning_rate, not both. Received: lr=0.1, learning_rate=0.2"
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(optimizers, name)(lr=0.1, learning_rate=0.2)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"clipnorm": 0.0}, ValueError, "SGD: clipnorm must be a positive float. Received: clipnorm=0.0"),
        ({"clipvalue": -1}, ValueError, "SGD: clipvalue must be a positive float. Received: clipvalue=-1"),
        ({"global_clipnorm": "1"}, TypeError, "global_clipnorm must be a positive float. Received: "),
        ({"clipnorm": 1.0, "clipvalue": 1.0}, ValueError,
         "SGD: pass at most one of clipnorm, clipvalue, global_clipnorm. Received: clipnorm=1.0, clipv"),
        ({"learning_rate": -1.0}, ValueError, "SGD: lr must be a non-negative float. Received: lr=-1.0"),
    ],
)  # fmt: skip
def test_bad_clipping_arguments(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        optimizers.SGD(**kwargs)
