# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled loops behind convkit.functional.

Design: every public function here takes C-contiguous typed memoryviews of one float type (the fused
type ``floating``), writes into output arrays allocated by the caller, and releases the GIL. Arguments are
*not* checked: convkit.functional validates shapes, dtypes and sizes before calling in (bounds checks are
off, so a wrong shape here would read or write out of bounds).

Parallel loops split the work so that no two threads ever write the same element, and each element is
reduced in a fixed order by one thread: results are bit-identical for any number of threads.

Convolution inputs arrive already zero-padded; the convolution loops therefore never test bounds.
Reductions (batch-norm statistics, weight/bias gradients) accumulate in double for both float types.
"""

from cython.parallel cimport prange
from libc.math cimport INFINITY

cimport openmp

ctypedef fused floating:
    float
    double

cdef extern from *:
    """
    #ifdef _OPENMP
    #define CONVKIT_HAS_OPENMP 1
    #else
    #define CONVKIT_HAS_OPENMP 0
    #endif
    """
    int CONVKIT_HAS_OPENMP


def openmp_enabled():
    """True when the extension was compiled with OpenMP."""
    return bool(CONVKIT_HAS_OPENMP)


def openmp_max_threads():
    """What OpenMP would use by default (honours OMP_NUM_THREADS)."""
    return openmp.omp_get_max_threads()


# ---------------------------------------------------------------------------------------------------------
# 2-D convolution (direct loops over a pre-padded input)
# ---------------------------------------------------------------------------------------------------------

def conv2d_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, HP, WP), zero-padded input
    const floating[:, :, :, ::1] w,     # IN  (F, C, KH, KW)
    const floating[::1] b,              # IN  (F,)
    floating[:, :, :, ::1] out,         # OUT (N, F, OH, OW)
    int stride_h, int stride_w, int n_threads,
):
    """out[n, f] = b[f] + sum_c sum_kh sum_kw w[f, c, kh, kw] * x[n, c, oh*sh + kh, ow*sw + kw]."""
    cdef Py_ssize_t N = out.shape[0], F = out.shape[1], OH = out.shape[2], OW = out.shape[3]
    cdef Py_ssize_t C = w.shape[1], KH = w.shape[2], KW = w.shape[3]
    cdef Py_ssize_t job, n, f, c, kh, kw, oh, ow
    cdef floating wv
    for job in prange(N * F, nogil=True, schedule="static", num_threads=n_threads):
        n = job // F
        f = job % F
        for oh in range(OH):
            for ow in range(OW):
                out[n, f, oh, ow] = b[f]
        for c in range(C):
            for kh in range(KH):
                for kw in range(KW):
                    wv = w[f, c, kh, kw]
                    for oh in range(OH):
                        for ow in range(OW):
                            out[n, f, oh, ow] += wv * x[n, c, oh * stride_h + kh, ow * stride_w + kw]


def conv2d_backward_input(
    const floating[:, :, :, ::1] dout,  # IN  (N, F, OH, OW)
    const floating[:, :, :, ::1] w,     # IN  (F, C, KH, KW)
    floating[:, :, :, ::1] dx,          # OUT (N, C, HP, WP), gradient w.r.t. the padded input, zeroed
    int stride_h, int stride_w, int n_threads,
):
    """dx[n, c, oh*sh + kh, ow*sw + kw] += w[f, c, kh, kw] * dout[n, f, oh, ow]; one (n, c) plane per job."""
    cdef Py_ssize_t N = dout.shape[0], F = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef Py_ssize_t C = w.shape[1], KH = w.shape[2], KW = w.shape[3]
    cdef Py_ssize_t job, n, f, c, kh, kw, oh, ow
    cdef floating wv
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        for f in range(F):
            for kh in range(KH):
                for kw in range(KW):
                    wv = w[f, c, kh, kw]
                    for oh in range(OH):
                        for ow in range(OW):
                            dx[n, c, oh * stride_h + kh, ow * stride_w + kw] += wv * dout[n, f, oh, ow]


def conv2d_backward_weight(
    const floating[:, :, :, ::1] x,     # IN  (N, C, HP, WP), zero-padded input
    const floating[:, :, :, ::1] dout,  # IN  (N, F, OH, OW)
    floating[:, :, :, ::1] dw,          # OUT (F, C, KH, KW)
    floating[::1] db,                   # OUT (F,)
    int stride_h, int stride_w, int n_threads,
):
    """dw[f, c, kh, kw] = sum_n,oh,ow dout[n, f, oh, ow] * x[n, c, oh*sh + kh, ow*sw + kw]; db[f] = sum dout."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1]
    cdef Py_ssize_t F = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef Py_ssize_t KH = dw.shape[2], KW = dw.shape[3]
    cdef Py_ssize_t job, n, f, c, kh, kw, oh, ow
    cdef double acc
    for job in prange(F * C * KH * KW, nogil=True, schedule="static", num_threads=n_threads):
        f = job // (C * KH * KW)
        c = (job // (KH * KW)) % C
        kh = (job // KW) % KH
        kw = job % KW
        acc = 0.0
        for n in range(N):
            for oh in range(OH):
                for ow in range(OW):
                    acc = acc + dout[n, f, oh, ow] * x[n, c, oh * stride_h + kh, ow * stride_w + kw]
        dw[f, c, kh, kw] = <floating>acc
    for f in prange(F, nogil=True, schedule="static", num_threads=n_threads):
        acc = 0.0
        for n in range(N):
            for oh in range(OH):
                for ow in range(OW):
                    acc = acc + dout[n, f, oh, ow]
        db[f] = <floating>acc


# ---------------------------------------------------------------------------------------------------------
# Pooling (no padding, floor mode: windows that do not fit are dropped, as in torch)
# ---------------------------------------------------------------------------------------------------------

def maxpool2d_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    floating[:, :, :, ::1] out,         # OUT (N, C, OH, OW)
    long long[:, :, :, ::1] argmax,     # OUT (N, C, OH, OW), flat index h*W + w of the max in x[n, c]
    int pool_h, int pool_w, int stride_h, int stride_w, int n_threads,
):
    """Max over each window; ties keep the first element and a NaN always wins (torch's rule)."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], W = x.shape[3]
    cdef Py_ssize_t OH = out.shape[2], OW = out.shape[3]
    cdef Py_ssize_t job, n, c, oh, ow, i, j, h0, w0, best_idx
    cdef floating best, v
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        for oh in range(OH):
            h0 = oh * stride_h
            for ow in range(OW):
                w0 = ow * stride_w
                best = -INFINITY
                best_idx = h0 * W + w0
                for i in range(pool_h):
                    for j in range(pool_w):
                        v = x[n, c, h0 + i, w0 + j]
                        if v > best or v != v:
                            best = v
                            best_idx = (h0 + i) * W + w0 + j
                out[n, c, oh, ow] = best
                argmax[n, c, oh, ow] = best_idx


def maxpool2d_backward(
    const floating[:, :, :, ::1] dout,  # IN  (N, C, OH, OW)
    const long long[:, :, :, ::1] argmax,  # IN (N, C, OH, OW)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W), zeroed
    int n_threads,
):
    """Route each output gradient to the input element that won its window."""
    cdef Py_ssize_t N = dout.shape[0], C = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef Py_ssize_t W = dx.shape[3]
    cdef Py_ssize_t job, n, c, oh, ow, idx
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        for oh in range(OH):
            for ow in range(OW):
                idx = argmax[n, c, oh, ow]
                dx[n, c, idx // W, idx % W] += dout[n, c, oh, ow]


def avgpool2d_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    floating[:, :, :, ::1] out,         # OUT (N, C, OH, OW)
    int pool_h, int pool_w, int stride_h, int stride_w, int n_threads,
):
    """Mean over each window."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1]
    cdef Py_ssize_t OH = out.shape[2], OW = out.shape[3]
    cdef Py_ssize_t job, n, c, oh, ow, i, j, h0, w0
    cdef double acc
    cdef double inv_area = 1.0 / (pool_h * pool_w)
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        for oh in range(OH):
            h0 = oh * stride_h
            for ow in range(OW):
                w0 = ow * stride_w
                acc = 0.0
                for i in range(pool_h):
                    for j in range(pool_w):
                        acc = acc + x[n, c, h0 + i, w0 + j]
                out[n, c, oh, ow] = <floating>(acc * inv_area)


def avgpool2d_backward(
    const floating[:, :, :, ::1] dout,  # IN  (N, C, OH, OW)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W), zeroed
    int pool_h, int pool_w, int stride_h, int stride_w, int n_threads,
):
    """Spread each output gradient evenly over its window."""
    cdef Py_ssize_t N = dout.shape[0], C = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef Py_ssize_t job, n, c, oh, ow, i, j, h0, w0
    cdef floating g
    cdef floating inv_area = <floating>(1.0 / (pool_h * pool_w))
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        for oh in range(OH):
            h0 = oh * stride_h
            for ow in range(OW):
                w0 = ow * stride_w
                g = dout[n, c, oh, ow] * inv_area
                for i in range(pool_h):
                    for j in range(pool_w):
                        dx[n, c, h0 + i, w0 + j] += g


# ---------------------------------------------------------------------------------------------------------
# Batch normalization over a (N, C, L) view: L = H*W for images, 1 after a dense layer
# ---------------------------------------------------------------------------------------------------------

def batchnorm_stats(
    const floating[:, :, ::1] x,        # IN  (N, C, L)
    double[::1] mean,                   # OUT (C,)
    double[::1] var,                    # OUT (C,), biased variance (divided by N*L)
    int n_threads,
):
    """Per-channel mean and biased variance, two-pass in double."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    cdef Py_ssize_t n, c, l
    cdef double acc, d, m
    cdef double inv_count = 1.0 / (N * L)
    for c in prange(C, nogil=True, schedule="static", num_threads=n_threads):
        acc = 0.0
        for n in range(N):
            for l in range(L):
                acc = acc + x[n, c, l]
        m = acc * inv_count
        acc = 0.0
        for n in range(N):
            for l in range(L):
                d = x[n, c, l] - m
                acc = acc + d * d
        mean[c] = m
        var[c] = acc * inv_count


def batchnorm_normalize(
    const floating[:, :, ::1] x,        # IN  (N, C, L)
    const double[::1] mean,             # IN  (C,)
    const double[::1] inv_std,          # IN  (C,), 1 / sqrt(var + eps)
    const floating[::1] gamma,          # IN  (C,)
    const floating[::1] beta,           # IN  (C,)
    floating[:, :, ::1] out,            # OUT (N, C, L)
    int n_threads,
):
    """out = (x - mean) * inv_std * gamma + beta, per channel."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    cdef Py_ssize_t job, n, c, l
    cdef double scale, shift
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        scale = inv_std[c] * gamma[c]
        shift = beta[c] - mean[c] * scale
        for l in range(L):
            out[n, c, l] = <floating>(x[n, c, l] * scale + shift)


def batchnorm_backward(
    const floating[:, :, ::1] dout,     # IN  (N, C, L)
    const floating[:, :, ::1] x,        # IN  (N, C, L)
    const double[::1] mean,             # IN  (C,), the mean used in the forward pass
    const double[::1] inv_std,          # IN  (C,)
    const floating[::1] gamma,          # IN  (C,)
    floating[:, :, ::1] dx,             # OUT (N, C, L)
    floating[::1] dgamma,               # OUT (C,)
    floating[::1] dbeta,                # OUT (C,)
    bint batch_stats,                   # True: the forward used batch statistics (training mode)
    int n_threads,
):
    """Gradients of out = gamma * xhat + beta with xhat = (x - mean) * inv_std.

    With batch statistics: dx = gamma*inv_std/M * (M*dout - sum(dout) - xhat*sum(dout*xhat)), M = N*L.
    With running statistics (eval mode) mean and inv_std are constants: dx = gamma*inv_std*dout.
    """
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    cdef Py_ssize_t n, c, l
    cdef double sum_dout, sum_dout_xhat, xhat, k, m, s, inv_count = 1.0 / (N * L)
    for c in prange(C, nogil=True, schedule="static", num_threads=n_threads):
        m = mean[c]
        s = inv_std[c]
        sum_dout = 0.0
        sum_dout_xhat = 0.0
        for n in range(N):
            for l in range(L):
                sum_dout = sum_dout + dout[n, c, l]
                sum_dout_xhat = sum_dout_xhat + dout[n, c, l] * (x[n, c, l] - m) * s
        dbeta[c] = <floating>sum_dout
        dgamma[c] = <floating>sum_dout_xhat
        k = gamma[c] * s
        if batch_stats:
            for n in range(N):
                for l in range(L):
                    xhat = (x[n, c, l] - m) * s
                    dx[n, c, l] = <floating>(
                        k * (dout[n, c, l] - inv_count * (sum_dout + xhat * sum_dout_xhat)))
        else:
            for n in range(N):
                for l in range(L):
                    dx[n, c, l] = <floating>(k * dout[n, c, l])
