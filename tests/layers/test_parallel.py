"""Parallel against an equivalent torch module (concat and add), merged params/grads/state, shape checks,
seeds, config round trips, to_torch/from_torch, save/load and summary rows."""

import json
import re

import numpy as np
import pytest

import convkit as ck
from convkit import _torch_converters, layers
from convkit.interop import from_torch, to_torch

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")
nn = torch.nn


def _inception(dtype="float64"):
    return layers.Parallel(
        [
            [layers.Conv2D(2, 1, dtype=dtype)],
            [
                layers.Conv2D(3, 3, padding=1, dtype=dtype),
                layers.GroupNorm(3, dtype=dtype),
                layers.GELU(dtype=dtype),
            ],
            [layers.MaxPool2D(3, stride=1, dtype=dtype), layers.ZeroPadding2D(1, dtype=dtype)],
        ],
        dtype=dtype,
    )


def _torch_module(layer):
    return _torch_converters.modules_for([layer], torch)[0]


def test_concat_matches_torch(dtype, rng, layer_parity):
    layer = _inception(dtype)
    layer.build((2, 5, 6))
    module = _torch_module(layer)
    assert [type(m) for m in module.branches[1]] == [nn.Conv2d, nn.GroupNorm, nn.GELU]
    names = {key: f"branches.{key}" for key in layer.params}
    out, dx = layer_parity(layer, module, rng.standard_normal((3, 2, 5, 6)), names=names)
    assert out.shape == (3, 2 + 3 + 2, 5, 6) and layer.compute_output_shape((2, 5, 6)) == (7, 5, 6)


def test_add_matches_torch(dtype, rng, layer_parity):
    layer = layers.Parallel(
        [[layers.Dense(4, dtype=dtype), layers.SiLU(dtype=dtype)], [layers.Dense(4, dtype=dtype)]],
        merge="add",
        seed=3,
        dtype=dtype,
    )
    layer.build((5,))
    module = _torch_module(layer)
    names = {key: "branches." + key for key in layer.params}
    layer_parity(
        layer,
        module,
        rng.standard_normal((4, 5)),
        names=names,
        transposed=tuple(k for k in layer.params if k.endswith("weight")),
    )


def test_params_grads_and_state_are_the_sublayers_arrays(rng, layer_gradient_errors):
    layer = layers.Parallel(
        [[layers.Dense(3)], [layers.BatchNorm(), layers.Dense(2)]], seed=0, dtype="float64"
    )
    layer.build((4,))
    assert set(layer.params) == {"0.0.weight", "0.0.bias", "1.0.gamma", "1.0.beta", "1.1.weight", "1.1.bias"}
    assert set(layer.state) == {"1.0.running_mean", "1.0.running_var"}
    assert layer.params["1.1.weight"] is layer.branches[1][1].params["weight"]
    errors = layer_gradient_errors(layer, rng.standard_normal((5, 4)), training=True)
    assert max(errors.values()) < 1e-7, errors
    assert set(layer.grads) == set(layer.params)


def test_seed_makes_the_build_reproducible():
    first, second = (layers.Parallel([[layers.Dense(3)], [layers.Dense(2)]], seed=7) for _ in range(2))
    first.build((4,))
    second.build((4,))
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_round_trip_through_json_and_save_load(tmp_path, rng):
    model = ck.Sequential([_inception(), layers.GlobalMaxPool2D(dtype="float64")])
    model.build((2, 5, 6), seed=1)
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(model.layers[0]))))
    assert clone.get_config() == model.layers[0].get_config()
    path = tmp_path / "parallel.npz"
    model.save(path)
    loaded = ck.load_model(path)
    x = rng.standard_normal((2, 2, 5, 6))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    rows = []
    model.summary(print_fn=rows.append)
    assert (
        "(Parallel)" in rows[0]
        and "(None, 7, 5, 6)" in rows[0]
        and f"{model.layers[0].count_params():,}" in rows[0]
    )


def test_to_torch_and_back(rng):
    model = ck.Sequential([_inception()])
    model.build((2, 5, 6), seed=2)
    back = from_torch(to_torch(model), (2, 5, 6))
    assert type(back.layers[0]) is layers.Parallel
    x = rng.standard_normal((2, 2, 5, 6))
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: layers.Parallel([]), ValueError, "branches must hold at least one branch"),
        (lambda: layers.Parallel(layers.ReLU()), TypeError, "branches must be a list of branches"),
        (lambda: layers.Parallel([[]]), ValueError, re.escape("every branch needs at least one layer")),
        (lambda: layers.Parallel([[layers.ReLU()]], merge="mul"), ValueError, "merge must be one of"),
        (lambda: layers.Parallel([["relu"]]), TypeError, r"branches\[0\] must hold Layers"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_branch_shapes_must_merge():
    with pytest.raises(ValueError, match="merge='add' needs branch outputs of one shape"):
        layers.Parallel([[layers.Dense(3)], [layers.Dense(2)]], merge="add").build((4,))
    with pytest.raises(ValueError, match="merge='concat' needs branch outputs that agree"):
        layers.Parallel([[layers.MaxPool2D(2)], [layers.ReLU()]]).build((1, 4, 4))
