# ---------------------------------------------------------------------------------------------------------
# Depthwise convolution (groups = C, depth multiplier D): the per-plane loops of depthwise.h
# ---------------------------------------------------------------------------------------------------------
#
# Design: output channel o = c*D + j reads input channel c = o // D with its own (KH, KW) filter. Jobs are
# whole planes: forward one (n, o) output plane, dx one (n, c) input plane (its D output planes added in j
# order), dW one channel o (its images added in order into double sums). Static schedules over job lists
# that depend on the shapes only: bit-identical results for any thread count. Stride 1 goes through a
# zero-padded copy of each plane in per-thread scratch (ck_dwconv_plane_s1*, one long axpy or dot per tap);
# the input gradient of stride 1 is the flipped filter over dout padded by d*(K-1) - p.

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
    cdef bint s1 = stride_h == 1 and stride_w == 1
    cdef ptrdiff_t size
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *scratch
    if N == 0 or F == 0:
        return
    size = ck_dwconv_s1_scratch(&w[0, 0, 0, 0], OH, OW, KH, KW, dil_h, dil_w) if s1 else 0
    with nogil, parallel(num_threads=_threads_for(N * F * P * KH * KW, n_threads)):
        scratch = <floating *>malloc(size * sizeof(floating)) if s1 else NULL
        if s1 and scratch == NULL:
            failp[0] = 1
        for job in prange(N * F, schedule="static"):
            n = job // F
            o = job % F
            if s1:
                if scratch == NULL:
                    continue
                ck_dwconv_plane_s1(&x[n, o // D, 0, 0], H, W, &w[o, 0, 0, 0], KH, KW, pad_h, pad_w, dil_h,
                                   dil_w, False, b[o], False, &out[n, o, 0, 0], OH, OW, scratch)
            else:
                ck_dwconv_plane(&x[n, o // D, 0, 0], H, W, &w[o, 0, 0, 0], KH, KW, stride_h, stride_w, pad_h,
                                pad_w, dil_h, dil_w, b[o], &out[n, o, 0, 0], OH, OW)
            if relu:
                ck_relu_inplace(&out[n, o, 0, 0], 0, P)
        free(scratch)
    if failed:
        _alloc_error("depthwise_conv2d_forward")


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
    cdef bint s1 = stride_h == 1 and stride_w == 1
    cdef ptrdiff_t size
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *dxp
    cdef floating *scratch
    if N == 0 or C == 0:
        return
    size = ck_dwconv_s1_scratch(&w[0, 0, 0, 0], H, W, KH, KW, dil_h, dil_w) if s1 else 0
    with nogil, parallel(num_threads=_threads_for(N * F * OH * OW * KH * KW, n_threads)):
        scratch = <floating *>malloc(size * sizeof(floating)) if s1 else NULL
        if s1 and scratch == NULL:
            failp[0] = 1
        for job in prange(N * C, schedule="static"):
            n = job // C
            c = job % C
            dxp = &dx[n, c, 0, 0]
            if s1:
                if scratch == NULL:
                    continue
                for j in range(D):
                    ck_dwconv_plane_s1(&dout[n, c * D + j, 0, 0], OH, OW, &w[c * D + j, 0, 0, 0], KH, KW,
                                       dil_h * (KH - 1) - pad_h, dil_w * (KW - 1) - pad_w, dil_h, dil_w, True, 0,
                                       j > 0, dxp, H, W, scratch)
                continue
            for e in range(H * W):
                dxp[e] = 0
            for j in range(D):
                ck_dwconv_plane_dx(&dout[n, c * D + j, 0, 0], OH, OW, &w[c * D + j, 0, 0, 0], KH, KW, stride_h,
                                   stride_w, pad_h, pad_w, dil_h, dil_w, dxp, H, W)
        free(scratch)
    if failed:
        _alloc_error("depthwise_conv2d_backward")


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
    cdef bint s1 = stride_h == 1 and stride_w == 1
    cdef ptrdiff_t size
    cdef int failed = 0
    cdef int *failp = &failed
    cdef double *acc
    cdef floating *scratch
    if F == 0:
        return
    size = ck_dwconv_s1_scratch(&dw[0, 0, 0, 0], OH, OW, KH, KW, dil_h, dil_w) if s1 else 0
    with nogil, parallel(num_threads=_threads_for(N * F * OH * OW * K, n_threads)):
        acc = <double *>malloc((K + 1) * sizeof(double))
        scratch = <floating *>malloc(size * sizeof(floating)) if s1 else NULL
        if acc == NULL or (s1 and scratch == NULL):
            failp[0] = 1
        for o in prange(F, schedule="static"):
            if acc == NULL or (s1 and scratch == NULL):
                continue
            for e in range(K + 1):
                acc[e] = 0
            for n in range(N):
                if s1:
                    ck_dwconv_plane_s1_dw(&x[n, o // D, 0, 0], H, W, &dout[n, o, 0, 0], OH, OW, KH, KW, pad_h,
                                          pad_w, dil_h, dil_w, acc, scratch)
                else:
                    ck_dwconv_plane_dw(&x[n, o // D, 0, 0], H, W, &dout[n, o, 0, 0], OH, OW, KH, KW, stride_h,
                                       stride_w, pad_h, pad_w, dil_h, dil_w, acc)
            for e in range(K):
                dw[o, 0, e // KW, e % KW] = <floating>acc[e]
            db[o] = <floating>acc[K]
        free(acc)
        free(scratch)
    if failed:
        _alloc_error("depthwise_conv2d_backward")
