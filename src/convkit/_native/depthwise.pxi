# ---------------------------------------------------------------------------------------------------------
# Depthwise convolution (groups = C, depth multiplier D): the per-plane loops of depthwise.h
# ---------------------------------------------------------------------------------------------------------
#
# Design: output channel o = c*D + j reads input channel c = o // D with its own (KH, KW) filter. Jobs are
# whole planes: forward one (n, o) output plane, dx one (n, c) input plane (its D output planes added in j
# order), dW one channel o (its images added in order into double sums). Static schedules over job lists
# that depend on the shapes only: bit-identical results for any thread count.

def depthwise_conv2d_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    const floating[:, :, :, ::1] w,     # IN  (C*D, 1, KH, KW)
    const floating[::1] b,              # IN  (C*D,)
    floating[:, :, :, ::1] out,         # OUT (N, C*D, OH, OW)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, bint relu, int n_threads,
):
    """out[n, o] = b[o] + the (KH, KW) filter w[o, 0] over x[n, o // D]; then max(out, 0) with ``relu``."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t F = w.shape[0], KH = w.shape[2], KW = w.shape[3], D = F // C
    cdef ptrdiff_t OH = out.shape[2], OW = out.shape[3], P = OH * OW, job, n, o
    if N == 0 or F == 0:
        return
    for job in prange(N * F, nogil=True, schedule="static", num_threads=_threads_for(N * F * P * KH * KW, n_threads)):
        n = job // F
        o = job % F
        ck_dwconv_plane(&x[n, o // D, 0, 0], H, W, &w[o, 0, 0, 0], KH, KW, stride_h, stride_w, pad_h, pad_w,
                        dil_h, dil_w, b[o], &out[n, o, 0, 0], OH, OW)
        if relu:
            ck_relu_inplace(&out[n, o, 0, 0], 0, P)


def depthwise_conv2d_backward_input(
    const floating[:, :, :, ::1] dout,  # IN  (N, C*D, OH, OW)
    const floating[:, :, :, ::1] w,     # IN  (C*D, 1, KH, KW)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, int n_threads,
):
    """dx[n, c] = sum_j the adjoint of the filter w[c*D + j, 0] applied to dout[n, c*D + j]."""
    cdef ptrdiff_t N = dx.shape[0], C = dx.shape[1], H = dx.shape[2], W = dx.shape[3]
    cdef ptrdiff_t F = w.shape[0], KH = w.shape[2], KW = w.shape[3], D = F // C
    cdef ptrdiff_t OH = dout.shape[2], OW = dout.shape[3], job, n, c, j, e
    cdef floating *dxp
    if N == 0 or C == 0:
        return
    for job in prange(N * C, nogil=True, schedule="static",
                      num_threads=_threads_for(N * F * OH * OW * KH * KW, n_threads)):
        n = job // C
        c = job % C
        dxp = &dx[n, c, 0, 0]
        for e in range(H * W):
            dxp[e] = 0
        for j in range(D):
            ck_dwconv_plane_dx(&dout[n, c * D + j, 0, 0], OH, OW, &w[c * D + j, 0, 0, 0], KH, KW, stride_h,
                               stride_w, pad_h, pad_w, dil_h, dil_w, dxp, H, W)


def depthwise_conv2d_backward_weight(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    const floating[:, :, :, ::1] dout,  # IN  (N, C*D, OH, OW)
    floating[:, :, :, ::1] dw,          # OUT (C*D, 1, KH, KW)
    floating[::1] db,                   # OUT (C*D,)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, int n_threads,
):
    """dw[o, 0] = sum_n the correlation of dout[n, o] with x[n, o // D]; db[o] = sum dout[n, o]."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t F = dw.shape[0], KH = dw.shape[2], KW = dw.shape[3], D = F // C, K = KH * KW
    cdef ptrdiff_t OH = dout.shape[2], OW = dout.shape[3], o, n, e
    cdef int failed = 0
    cdef int *failp = &failed
    cdef double *acc
    if F == 0:
        return
    with nogil, parallel(num_threads=_threads_for(N * F * OH * OW * K, n_threads)):
        acc = <double *>malloc((K + 1) * sizeof(double))
        if acc == NULL:
            failp[0] = 1
        for o in prange(F, schedule="static"):
            if acc == NULL:
                continue
            for e in range(K + 1):
                acc[e] = 0
            for n in range(N):
                ck_dwconv_plane_dw(&x[n, o // D, 0, 0], H, W, &dout[n, o, 0, 0], OH, OW, KH, KW, stride_h,
                                   stride_w, pad_h, pad_w, dil_h, dil_w, acc)
            for e in range(K):
                dw[o, 0, e // KW, e % KW] = <floating>acc[e]
            db[o] = <floating>acc[K]
        free(acc)
    if failed:
        _alloc_error("depthwise_conv2d_backward")
