"""Lab B's NumPy CNN: the plain-NumPy layers match convkit.functional's, the three implementations of the
network agree, and the study runs end to end."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="the study times PyTorch beside NumPy and convkit")

from convkit import functional as F  # noqa: E402
from studies import StudyContext, get_study, numpy_reference  # noqa: E402
from studies.numpy_cnn import CONVKIT_OPS, NUMPY_OPS, Network, TorchNetwork, initial_weights  # noqa: E402

TOLERANCE = 1e-10  # float64


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def assert_all_close(ours, theirs):
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE)


def test_conv_matches_convkit(rng):
    x, w, b = rng.standard_normal((3, 2, 7, 6)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    out, cache = numpy_reference.conv2d_forward(x, w, b)
    expected, expected_cache = F.conv2d_forward(x, w, b)
    assert out.shape == (3, 4, 5, 4)
    assert_all_close([out], [expected])
    dout = rng.standard_normal(out.shape)
    assert_all_close(numpy_reference.conv2d_backward(dout, cache), F.conv2d_backward(dout, expected_cache))


def test_affine_matches_convkit(rng):
    x, w, b = rng.standard_normal((5, 6)), rng.standard_normal((6, 3)), rng.standard_normal(3)
    out, cache = numpy_reference.affine_forward(x, w, b)
    expected, expected_cache = F.affine_forward(x, w, b)
    assert_all_close([out], [expected])
    dout = rng.standard_normal(out.shape)
    assert_all_close(numpy_reference.affine_backward(dout, cache), F.affine_backward(dout, expected_cache))


@pytest.mark.parametrize("name", ["sigmoid", "softmax"])
def test_activations_match_convkit(name, rng):
    x = 3 * rng.standard_normal((4, 10))
    out, cache = getattr(numpy_reference, f"{name}_forward")(x)
    expected, expected_cache = getattr(F, f"{name}_forward")(x)
    assert_all_close([out], [expected])
    dout = rng.standard_normal(x.shape)
    assert_all_close(
        [getattr(numpy_reference, f"{name}_backward")(dout, cache)],
        [getattr(F, f"{name}_backward")(dout, expected_cache)],
    )


def test_network_gradients_match_convkit_and_torch(rng):
    x, y = rng.random((6, 1, 10, 10)), rng.integers(0, 10, 6)
    weights = initial_weights((1, 10, 10), 10, seed=1, dtype=np.float64)
    loss, grads, dx = Network(NUMPY_OPS, weights).loss_and_gradients(x, y)
    for other in (Network(CONVKIT_OPS, weights), TorchNetwork(weights)):
        other_loss, other_grads, other_dx = other.loss_and_gradients(x, y)
        assert other_loss == pytest.approx(loss, rel=TOLERANCE)
        assert sorted(other_grads) == sorted(grads) == sorted(weights)
        assert_all_close([grads[k] for k in weights] + [dx], [other_grads[k] for k in weights] + [other_dx])


def test_sgd_lowers_the_loss_of_a_batch(rng):
    x, y = rng.random((8, 1, 8, 8)), rng.integers(0, 3, 8)
    net = Network(CONVKIT_OPS, initial_weights((1, 8, 8), 3, seed=0, dtype=np.float64))
    first, _, _ = net.loss_and_gradients(x, y)
    for _ in range(20):
        net.sgd(0.5)
        last, _, _ = net.loss_and_gradients(x, y)
    assert last < first


def test_tiny_run_reports_loss_curve_agreement_and_timing(tmp_path):
    readme = get_study("numpy_cnn").run(StudyContext(mode="tiny", out_dir=tmp_path)).save() / "README.md"
    text = readme.read_text()
    assert "(relative), within 0.0001" in text and "DISAGREE" not in text
    assert "loss.png" in text and "speed.png" in text
    for name in ("plain NumPy", "convkit", "PyTorch"):
        assert f"| {name} |" in text
