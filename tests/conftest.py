"""Shared fixtures: seeded generators, the float tolerance table used by every parity test, and helpers
that run the same arrays through convkit and torch (forward values and every gradient).

torch is the oracle of the parity tests only, so nothing here imports it at module level: the fixtures
that need it (``torch``, ``torch_run``, ``check_parity``, ``layer_parity``) skip their test, with a reason,
where torch is not installed, and the rest of the suite runs without it."""

import importlib.util

import numpy as np
import pytest

import convkit
from convkit import _kernels

TORCH_REASON = "torch is the reference of the parity tests (pip install convkit[test])"


def pytest_configure(config):
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(1)  # the reference runs alongside other test processes on few cores


# dtype -> (rtol, atol) for comparisons against torch
TOLERANCES = {
    np.float64: (1e-10, 1e-10),
    np.float32: (1e-4, 1e-4),
}

# memory layouts every parity test runs on: C-contiguous, Fortran order (a transposed view) and a strided view
LAYOUTS = ("C", "F", "strided")


@pytest.fixture(scope="session")
def torch():
    """The torch module, for tests that mix parity checks with torch-free ones; skips without torch."""
    return pytest.importorskip("torch", reason=TORCH_REASON)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# the SIMD levels this machine runs (the portable baseline always); probing them leaves the best one set
SIMD_LEVELS = [level for level in ("baseline", "avx2", "avx512") if _kernels.set_simd_level(level) == level]
_kernels.set_simd_level(_kernels.best_simd_level())


@pytest.fixture(params=SIMD_LEVELS)
def simd(request):
    """Run the test once per SIMD level, with that level set; the previous level comes back after."""
    saved = _kernels.simd_level()
    assert _kernels.set_simd_level(request.param) == request.param
    yield request.param
    _kernels.set_simd_level(saved)


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request):
    return request.param


@pytest.fixture
def tol(dtype):
    rtol, atol = TOLERANCES[dtype]
    return {"rtol": rtol, "atol": atol}


@pytest.fixture(params=LAYOUTS)
def layout(request):
    return request.param


@pytest.fixture
def restore_threads():
    """Let a test change convkit's thread setting; the previous setting (even "unset") comes back after."""
    saved = convkit._threads._num_threads
    yield
    convkit._threads._num_threads = saved


def _as_layout(a, layout):
    """``a``'s values in the given memory layout ("C", "F" or "strided"); non-contiguous for ndim >= 2."""
    a = np.asarray(a)
    if layout == "C":
        return np.ascontiguousarray(a)
    if layout == "F":
        return a.T.copy().T  # a transposed view of a C-contiguous array
    if layout == "strided":
        padded = np.zeros(a.shape + (2,), dtype=a.dtype)
        padded[..., 0] = a
        return padded[..., 0]  # every other element of the underlying buffer
    raise ValueError(layout)


def _assert_close(actual, expected, dtype, atol_scale=0.0):
    """actual is an ndarray of dtype and expected's shape, equal to it within TOLERANCES (NaN == NaN); with
    atol_scale, the absolute tolerance is at least that times expected's largest magnitude."""
    rtol, atol = TOLERANCES[np.dtype(dtype).type]
    expected = np.asarray(expected)
    if atol_scale:
        atol = max(atol, atol_scale * float(np.abs(expected).max()))
    assert isinstance(actual, np.ndarray), type(actual)
    assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def _torch_run(torch_fn, inputs, dout=None):
    """torch_fn(*tensors) on copies of inputs; with dout, also backpropagate it.

    Returns (out, grads) as numpy arrays, grads holding the gradient of every input (None without dout).
    """
    import torch

    tensors = [torch.tensor(np.array(a), requires_grad=True) for a in inputs]
    out = torch_fn(*tensors)
    if dout is None:
        return out.detach().numpy(), None
    out.backward(torch.tensor(np.array(dout)))
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


def _check_parity(forward, backward, torch_fn, inputs, layout="C", seed=0, atol_scale=0.0):
    """Run ``forward(*inputs)`` / ``backward(dout, cache)`` and ``torch_fn`` + autograd on the same arrays
    (inputs and a random dout in the given layout) and compare the output and the gradient of every input
    (``_assert_close``, atol_scale passed on).

    Returns (out, grads) from convkit.
    """
    dtype = np.asarray(inputs[0]).dtype
    inputs = [_as_layout(a, layout) for a in inputs]
    originals = [a.copy() for a in inputs]
    out, cache = forward(*inputs)
    dout = _as_layout(np.random.default_rng(seed).standard_normal(out.shape).astype(dtype), layout)
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    expected_out, expected_grads = _torch_run(torch_fn, inputs, dout)
    _assert_close(out, expected_out, dtype, atol_scale)
    assert len(grads) == len(inputs)
    for grad, expected in zip(grads, expected_grads):
        _assert_close(grad, expected, dtype, atol_scale)
    for a, original in zip(inputs, originals):
        np.testing.assert_array_equal(a, original)  # inputs are never modified
    return out, grads


@pytest.fixture(scope="session")
def as_layout():
    return _as_layout


@pytest.fixture(scope="session")
def assert_close():
    return _assert_close


@pytest.fixture(scope="session")
def torch_run(torch):
    return _torch_run


@pytest.fixture(scope="session")
def check_parity(torch):
    return _check_parity


def _torch_attribute(module, path: str):
    """The tensor at a dotted path in a torch module, e.g. "block.0.weight" in nn.Sequential children."""
    target = module
    for part in path.split("."):
        target = getattr(target, part)
    return target


def _check_layer_parity(layer, module, x, *, training=False, names=None, transposed=(), seed=0):
    """Run ``x`` through a convkit ``layer`` and a torch ``module`` holding copies of the layer's params and
    state, then backpropagate the same random dout; compare the output, dx, every parameter gradient and the
    state afterwards (BatchNorm's running statistics).

    - names: convkit param/state key -> dotted torch attribute (default: the same key)
    - transposed: keys whose torch tensor is the transpose of convkit's (Dense's weight vs nn.Linear's)

    Returns (out, dx) from convkit.
    """
    import torch

    names = names or {}
    x = np.ascontiguousarray(x, dtype=layer.dtype)
    if not layer.built:
        layer.build(x.shape[1:])
    module = module.to(torch.float64 if layer.dtype == np.float64 else torch.float32).train(training)

    def torch_tensor(key):
        return _torch_attribute(module, names.get(key, key))

    def torch_layout(key, array):
        return array.T if key in transposed else array

    with torch.no_grad():
        for key, value in {**layer.params, **layer.state}.items():
            torch_tensor(key).copy_(torch.from_numpy(np.ascontiguousarray(torch_layout(key, value))))
    out = layer.forward(x, training=training)
    dout = np.random.default_rng(seed).standard_normal(out.shape).astype(layer.dtype)
    dx = layer.backward(dout)
    x_t = torch.tensor(x, requires_grad=True)
    out_t = module(x_t)
    out_t.backward(torch.from_numpy(dout))
    _assert_close(out, out_t.detach().numpy(), layer.dtype)
    _assert_close(dx, x_t.grad.numpy(), layer.dtype)
    assert set(layer.grads) == set(layer.params)
    for key, grad in layer.grads.items():
        _assert_close(grad, torch_layout(key, torch_tensor(key).grad.numpy()), layer.dtype)
    for key, value in layer.state.items():
        _assert_close(value, torch_layout(key, torch_tensor(key).detach().numpy()), layer.dtype)
    return out, dx


def _layer_gradient_errors(layer, x, *, training=False, seed=0, h=1e-6):
    """Relative errors between a float64 layer's backward and centered differences of
    sum(forward(x) * dout), by input: {"x": ..., param key: ...}."""
    gradcheck = convkit.gradcheck
    x = np.array(x, dtype=np.float64, order="C")  # a copy, perturbed in place

    def forward(_):
        return layer.forward(x, training=training)

    out = forward(x)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dx = layer.backward(dout)
    grads = {key: grad.copy() for key, grad in layer.grads.items()}
    errors = {"x": gradcheck.relative_error(dx, gradcheck.numerical_gradient(forward, x, dout, h))}
    for key, param in layer.params.items():
        numeric = gradcheck.numerical_gradient(forward, param, dout, h)
        errors[key] = gradcheck.relative_error(grads[key], numeric)
    return errors


@pytest.fixture(scope="session")
def layer_parity(torch):
    return _check_layer_parity


@pytest.fixture(scope="session")
def layer_gradient_errors():
    return _layer_gradient_errors
