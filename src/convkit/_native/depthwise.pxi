# ---------------------------------------------------------------------------------------------------------
# Depthwise convolution (groups = C, depth multiplier D): the per-plane loops of depthwise.h
# ---------------------------------------------------------------------------------------------------------
#
# Design: output channel o = c*D + j reads input channel c = o // D with its own (KH, KW) filter. Jobs are
# whole planes: forward one (n, o) output plane, dx one (n, c) input plane (its D output planes added in j
# order), dW one channel o (its images added in order into double sums). Static schedules over job lists
# that depend on the shapes only: bit-identical results for any thread count. Stride 1 goes through a
# zero-padded copy of each plane in per-thread scratch (ck_dwconv_plane_s1*, one long axpy or dot per tap);
# the input gradient of stride 1 is the flipped filter over dout padded by d*(K-1) - p. Where the output's
# rows have the width of the input's phase planes (OW == ceil(W / sw), "same" padding at any stride) and
# the planes are at most DW_FLAT_MAX elements, the flat path runs instead (ck_dwconv_flat*: masked shifted
# loads over the phase planes, plans built once per call): the _dw_flat_* drivers below. Its weight-gradient
# jobs are blocks of DW_FLAT_BLOCK channels, image after image, in lane partial sums.

cdef enum:
    DW_FLAT_MAX = 4096     # the largest plane (OH*OW elements) of the flat path
    DW_FLAT_BLOCK = 8      # channels per weight-gradient job of the flat path
    DW_FLAT_CHUNK = 1024   # elements of a channel summed in lane partial sums before they go into double


cdef inline bint _dw_flat(ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t H, ptrdiff_t W, int stride_h, int stride_w) noexcept nogil:
    """Whether the flat path takes these shapes."""
    return OW == _cdiv(W, stride_w) and OH * OW <= DW_FLAT_MAX and _cdiv(H, stride_h) * OW <= DW_FLAT_MAX


cdef inline void _phase_split_plane(const floating *x, ptrdiff_t H, ptrdiff_t W, ptrdiff_t sh, ptrdiff_t sw,
                                    floating *xq) noexcept nogil:
    # IN  x (H, W); OUT xq (sh*sw, ceil(H/sh), ceil(W/sw)): xq[a*sw + b][i][j] = x[i*sh + a][j*sw + b]
    _phase_split(x, 1, H, W, sh, sw, xq, _cdiv(H, sh), _cdiv(W, sw), 0, 0)


cdef inline void _phase_merge_plane(const floating *xq, ptrdiff_t H, ptrdiff_t W, ptrdiff_t sh, ptrdiff_t sw,
                                    floating *x) noexcept nogil:
    # IN  xq (sh*sw, ceil(H/sh), ceil(W/sw)); OUT x (H, W): the inverse of _phase_split_plane
    cdef ptrdiff_t a, Hq = _cdiv(H, sh), Wq = _cdiv(W, sw)
    for a in range(sh):
        ck_phase_merge(xq + a * sw * Hq * Wq, 1, Hq, Wq, sh, sw, a, x, H, W)


cdef void *_dw_flat_plan(const floating *like, ptrdiff_t H, ptrdiff_t W, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t KH,
                         ptrdiff_t KW, int stride_h, int stride_w, int pad_h, int pad_w, int dil_h,
                         int dil_w) noexcept nogil:
    """The forward plan (malloc'd, NULL if out of memory) of these shapes: see ck_dwconv_flat_plan."""
    cdef void *plan = malloc(ck_dwconv_flat_plan_size(like, OH * OW, KH * KW))
    if plan != NULL:
        ck_dwconv_flat_plan(like, H, W, OH, OW, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, plan)
    return plan


cdef int _dw_flat_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    const floating[:, :, :, ::1] w,     # IN  (C*D, 1, KH, KW)
    const floating[::1] b,              # IN  (C*D,)
    floating[:, :, :, ::1] out,         # OUT (N, C*D, OH, OW), OW == ceil(W / stride_w)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, bint relu, int n_threads,
) except -1:
    """depthwise_conv2d_forward the flat way: one job per (n, o) output plane (its input plane split into
    phase planes first, at stride > 1)."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t F = w.shape[0], KH = w.shape[2], KW = w.shape[3], D = F // C
    cdef ptrdiff_t OH = out.shape[2], OW = out.shape[3], P = OH * OW, job, n, o
    cdef bint split = stride_h > 1 or stride_w > 1
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *xq
    cdef void *plan = _dw_flat_plan(&x[0, 0, 0, 0], H, W, OH, OW, KH, KW, stride_h, stride_w, pad_h, pad_w,
                                    dil_h, dil_w)
    if plan == NULL:
        _alloc_error("depthwise_conv2d_forward")
    with nogil, parallel(num_threads=_threads_for(N * F * P * KH * KW, n_threads)):
        xq = <floating *>malloc(_cdiv(H, stride_h) * OW * stride_h * stride_w * sizeof(floating)) if split else NULL
        if split and xq == NULL:
            failp[0] = 1
        for job in prange(N * F, schedule="static"):
            n = job // F
            o = job % F
            if not split:
                ck_dwconv_flat(&x[n, o // D, 0, 0], &w[o, 0, 0, 0], plan, b[o], False, &out[n, o, 0, 0])
            elif xq != NULL:
                _phase_split_plane(&x[n, o // D, 0, 0], H, W, stride_h, stride_w, xq)
                ck_dwconv_flat(xq, &w[o, 0, 0, 0], plan, b[o], False, &out[n, o, 0, 0])
            if relu:
                ck_relu_inplace(&out[n, o, 0, 0], 0, P)
        free(xq)
    free(plan)
    if failed:
        _alloc_error("depthwise_conv2d_forward")
    return 0


cdef int _dw_flat_backward_input(
    const floating[:, :, :, ::1] dout,  # IN  (N, C*D, OH, OW)
    const floating[:, :, :, ::1] w,     # IN  (C*D, 1, KH, KW)
    const floating[::1] b,              # IN  (C,)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W), OW == ceil(W / stride_w)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, int n_threads,
) except -1:
    """depthwise_conv2d_backward_input the flat way: one job per (n, c) input plane, each of its phase planes
    the taps of that phase over dout (its D output planes added in j order), then put back in place."""
    cdef ptrdiff_t N = dx.shape[0], C = dx.shape[1], H = dx.shape[2], W = dx.shape[3]
    cdef ptrdiff_t F = w.shape[0], KH = w.shape[2], KW = w.shape[3], D = F // C
    cdef ptrdiff_t OH = dout.shape[2], OW = dout.shape[3], S = stride_h * stride_w, Q = _cdiv(H, stride_h) * OW
    cdef ptrdiff_t plan_size = ck_dwconv_flat_plan_size(&dx[0, 0, 0, 0], Q, KH * KW), job, n, c, j, p
    cdef bint split = S > 1
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *dxq
    cdef char *plans = <char *>malloc(S * plan_size)
    if plans == NULL:
        _alloc_error("depthwise_conv2d_backward")
    for p in range(S):
        ck_dwconv_flat_dx_plan(&dx[0, 0, 0, 0], H, W, OH, OW, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h,
                               dil_w, p // stride_w, p % stride_w, plans + p * plan_size)
    with nogil, parallel(num_threads=_threads_for(N * F * OH * OW * KH * KW, n_threads)):
        dxq = <floating *>malloc(S * Q * sizeof(floating)) if split else NULL
        if split and dxq == NULL:
            failp[0] = 1
        for job in prange(N * C, schedule="static"):
            n = job // C
            c = job % C
            if not split:
                for j in range(D):
                    ck_dwconv_flat(&dout[n, c * D + j, 0, 0], &w[c * D + j, 0, 0, 0], plans, b[c] if j == 0 else 0,
                                   j > 0, &dx[n, c, 0, 0])
            elif dxq != NULL:
                for p in range(S):
                    for j in range(D):
                        ck_dwconv_flat(&dout[n, c * D + j, 0, 0], &w[c * D + j, 0, 0, 0], plans + p * plan_size,
                                       b[c] if j == 0 else 0, j > 0, dxq + p * Q)
                _phase_merge_plane(dxq, H, W, stride_h, stride_w, &dx[n, c, 0, 0])
        free(dxq)
    free(plans)
    if failed:
        _alloc_error("depthwise_conv2d_backward")
    return 0


cdef int _dw_flat_backward_weight(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    const floating[:, :, :, ::1] dout,  # IN  (N, C*D, OH, OW), OW == ceil(W / stride_w)
    floating[:, :, :, ::1] dw,          # OUT (C*D, 1, KH, KW)
    floating[::1] db,                   # OUT (C*D,)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, int n_threads,
) except -1:
    """depthwise_conv2d_backward_weight the flat way: one job per block of DW_FLAT_BLOCK channels, image after
    image; each channel's K + 1 sums (taps, then the bias) run in lane partial sums that go into double every
    `chunk` images, a count that depends on the plane size only."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t F = dw.shape[0], KH = dw.shape[2], KW = dw.shape[3], D = F // C, K1 = KH * KW + 1
    cdef ptrdiff_t OH = dout.shape[2], OW = dout.shape[3], VL = _lanes(sizeof(floating))
    cdef ptrdiff_t chunk = max(1, DW_FLAT_CHUNK // (OH * OW)), blk, o0, nb, n, i, e
    cdef bint split = stride_h > 1 or stride_w > 1
    cdef int failed = 0
    cdef int *failp = &failed
    cdef double *acc
    cdef floating *vacc
    cdef floating *xq
    cdef void *plan = _dw_flat_plan(&x[0, 0, 0, 0], H, W, OH, OW, KH, KW, stride_h, stride_w, pad_h, pad_w,
                                    dil_h, dil_w)
    if plan == NULL:
        _alloc_error("depthwise_conv2d_backward")
    with nogil, parallel(num_threads=_threads_for(N * F * OH * OW * (K1 - 1), n_threads)):
        acc = <double *>malloc(DW_FLAT_BLOCK * K1 * sizeof(double))
        vacc = <floating *>malloc(DW_FLAT_BLOCK * K1 * VL * sizeof(floating))
        xq = <floating *>malloc(_cdiv(H, stride_h) * OW * stride_h * stride_w * sizeof(floating)) if split else NULL
        if acc == NULL or vacc == NULL or (split and xq == NULL):
            failp[0] = 1
        for blk in prange(_cdiv(F, DW_FLAT_BLOCK), schedule="static"):
            if acc == NULL or vacc == NULL or (split and xq == NULL):
                continue
            o0 = blk * DW_FLAT_BLOCK
            nb = min(<ptrdiff_t>DW_FLAT_BLOCK, F - o0)
            memset(acc, 0, nb * K1 * sizeof(double))
            memset(vacc, 0, nb * K1 * VL * sizeof(floating))
            for n in range(N):
                for i in range(nb):
                    if split:
                        _phase_split_plane(&x[n, (o0 + i) // D, 0, 0], H, W, stride_h, stride_w, xq)
                        ck_dwconv_flat_dw(xq, &dout[n, o0 + i, 0, 0], plan, vacc + i * K1 * VL)
                    else:
                        ck_dwconv_flat_dw(&x[n, (o0 + i) // D, 0, 0], &dout[n, o0 + i, 0, 0], plan,
                                          vacc + i * K1 * VL)
                if (n + 1) % chunk == 0 or n == N - 1:
                    for i in range(nb):
                        ck_dwconv_flat_dw_fold(K1, vacc + i * K1 * VL, acc + i * K1)
            for i in range(nb):
                for e in range(K1 - 1):
                    dw[o0 + i, 0, e // KW, e % KW] = <floating>acc[i * K1 + e]
                db[o0 + i] = <floating>acc[i * K1 + K1 - 1]
        free(acc)
        free(vacc)
        free(xq)
    free(plan)
    if failed:
        _alloc_error("depthwise_conv2d_backward")
    return 0


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
    if _dw_flat(OH, OW, H, W, stride_h, stride_w):
        _dw_flat_forward(x, w, b, out, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, relu, n_threads)
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
    const floating[::1] b,              # IN  (C,) a bias (a transposed convolution's; conv2d's backward: zeros)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, int n_threads,
):
    """dx[n, c] = b[c] + sum_j the adjoint of the filter w[c*D + j, 0] applied to dout[n, c*D + j]."""
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
    if _dw_flat(OH, OW, H, W, stride_h, stride_w):
        _dw_flat_backward_input(dout, w, b, dx, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, n_threads)
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
                                       dil_h * (KH - 1) - pad_h, dil_w * (KW - 1) - pad_w, dil_h, dil_w, True,
                                       b[c] if j == 0 else 0, j > 0, dxp, H, W, scratch)
                continue
            for e in range(H * W):
                dxp[e] = b[c]
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
    if N > 0 and _dw_flat(OH, OW, H, W, stride_h, stride_w):
        _dw_flat_backward_weight(x, dout, dw, db, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, n_threads)
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
