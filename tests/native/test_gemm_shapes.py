"""The packed GEMM at the edges of its blocking: M, N, K not multiples of the register tile or of the
cache blocks, K = 1, long K over several K blocks, N over several column blocks, strided operands (the
transposed views the dense layers pass), few columns, bias or none, fused ReLU; at every SIMD level,
against np.matmul in float64, bit-identical on every path (the rule's and each one forced: blocked, A read
in place, transposed) and for 1, 2 and 3 threads."""

import numpy as np
import pytest

from convkit import _kernels

ODD = [1, 7, 17, 33]
SHAPES = [(m, k, n) for m in ODD for k in ODD for n in ODD if (m, k, n) != (1, 1, 1)][::5] + [
    (1, 1, 1),
    (257, 1, 33),  # K = 1
    (7, 1537, 17),  # K over several K blocks, not a multiple of one
    (300, 401, 65),  # M over several row blocks
    (130, 97, 70),  # blocked: just over one row block, two even blocks, their jobs panel by panel on 2+
    # threads; A in place with AVX-512: bands of rows on 2 threads, panel by panel on 3
    (301, 63, 61),  # blocked: one block of K and of columns, 16+ tiles of rows, each job packing its own
    (3, 200, 4133),  # N over several column blocks
    (33, 257, 257),
    (128, 64, 10),  # few columns: one panel of B, A read in place, or transposed (C^T = B^T A^T)
    (64, 128, 10),
    (300, 1537, 3),  # over several K and row blocks
    (7, 70001, 5),  # few columns, but too deep for one packed panel at most levels
    *((384, 65, n) for n in (9, 17, 33)),  # one column more than a panel: transposed at most levels
]
# the levels whose register tiles have fewer rows than columns, where some product runs transposed
TRANSPOSING = {
    ("avx512", np.float32),
    ("avx512", np.float64),
    ("avx2", np.float32),
    ("avx2", np.float64),
    ("baseline", np.float32),
}


def test_shapes_take_every_path(simd, dtype):
    paths = {_kernels.gemm_path(m, n, k, np.dtype(dtype).itemsize) for m, k, n in SHAPES}
    expected = {"blocked", "a_in_place"} | ({"transposed"} if (simd, dtype) in TRANSPOSING else set())
    assert paths == expected


def test_force_gemm_path_names_the_paths():
    with pytest.raises(ValueError, match="path must be one of .* Received: 'packed'"):
        _kernels.force_gemm_path("packed")
    assert _kernels.force_gemm_path("transposed") is None
    try:
        assert _kernels.gemm_path(64, 84, 120, 4) == "transposed"
    finally:
        assert _kernels.force_gemm_path(None) == "transposed"


def reference(a, b, bias, relu):
    out = a.astype(np.float64) @ b.astype(np.float64)
    if bias is not None:
        out += bias
    return np.maximum(out, 0) if relu else out


def products(a, b, bias, relu, dtype):
    """a @ b (+ bias, ReLU) on the rule's path and on each path forced, with 1, 2 and 3 threads: the same
    bits every way."""
    results = []
    try:
        for path in (None, "blocked", "a_in_place", "transposed"):
            _kernels.force_gemm_path(path)
            for n_threads in (1, 2, 3):
                out = np.full((a.shape[0], b.shape[1]), np.nan, dtype)
                _kernels.gemm(a, b, out, bias, relu, n_threads)
                results.append(out)
    finally:
        _kernels.force_gemm_path(None)
    for other in results[1:]:
        assert results[0].tobytes() == other.tobytes()  # bit for bit
    return results[0]


def check(out, expected, k, dtype):
    tol = 1e-4 if dtype == np.float32 else 1e-10
    scale = np.abs(expected).max() + 1
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol * scale * max(1, k) ** 0.5)


@pytest.mark.parametrize("m, k, n", SHAPES)
@pytest.mark.parametrize("layout", ["plain", "transposed"])
def test_gemm_edges(m, k, n, layout, simd, dtype):
    rng = np.random.default_rng(m * 10_000 + k * 100 + n)
    if layout == "plain":
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
    else:  # a (the weight gradient's x.T) and b (the input gradient's w.T) as transposed views
        a = rng.standard_normal((k, m)).astype(dtype).T
        b = rng.standard_normal((n, k)).astype(dtype).T
    bias = rng.standard_normal(n).astype(dtype)
    for with_bias in (True, False):
        for relu in (False, True):
            used = bias if with_bias else None
            out = products(a, b, used, relu, dtype)
            check(out, reference(a, b, used, relu), k, dtype)


def test_gemm_relu_keeps_nan_and_zeroes_negatives(simd, dtype):
    a = np.array([[1.0], [-1.0], [np.nan]], dtype)
    b = np.ones((1, 5), dtype)
    out = products(a, b, None, True, dtype)
    np.testing.assert_array_equal(out[:2], np.array([[1.0] * 5, [0.0] * 5], dtype))
    assert not np.signbit(out[1]).any()
    assert np.isnan(out[2]).all()


@pytest.mark.parametrize("columns", [35, 5])  # one panel of B or two
def test_gemm_strided_rows_match_contiguous(columns, simd, dtype):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((40, 90)).astype(dtype)[::2, ::3]  # (20, 30), neither axis contiguous
    b = rng.standard_normal((60, 2 * columns)).astype(dtype)[::2, 1::2]  # (30, columns)
    out = products(a, b, None, False, dtype)
    contiguous = products(np.ascontiguousarray(a), np.ascontiguousarray(b), None, False, dtype)
    np.testing.assert_array_equal(out, contiguous)
    check(out, reference(a, b, None, False), 30, dtype)
