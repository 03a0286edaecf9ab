# ---------------------------------------------------------------------------------------------------------
# Winograd F(2x2, 3x3) convolution (winograd.h): conv2d's forward pass and input gradient on the plan's
# PATH_WINOGRAD (conv_plan.pxi)
# ---------------------------------------------------------------------------------------------------------

cdef inline ptrdiff_t _skewed(ptrdiff_t n, ptrdiff_t itemsize) noexcept nogil:
    """The distance between consecutive V_xi (M_xi) of n elements: 16 arrays whose starts lie 4 KB apart
    share their L1 sets (the transforms touch all 16 at once), so each starts 256 bytes further into its
    4 KB than the one before."""
    return (_cdiv(n * itemsize, 4096) * 4096 + 256) // itemsize


cdef int _winograd_conv(
    const floating *x, ptrdiff_t N, ptrdiff_t I, ptrdiff_t H, ptrdiff_t W,  # IN  (N, I, H, W)
    const floating *w, ptrdiff_t O, ptrdiff_t so, ptrdiff_t si, bint flip,  # IN  O x I 3x3 filters, (o, i) at o*so + i*si
    const floating *bias, bint relu,                                        # IN  (O,)
    floating *out, ptrdiff_t OH, ptrdiff_t OW,                              # OUT (N, O, OH, OW)
    ptrdiff_t ph, ptrdiff_t pw, const ConvPlan *plan, int n_threads,
) noexcept nogil:
    """out[n, o] = bias[o] + the 3x3 correlation of x[n] (zero-padded by ph, pw) with filter (o, i) summed
    over i (the filters flipped with ``flip``), then ReLU with ``relu``. A job: the transforms of its tile
    rows (V: 16 x I x block), 16 GEMMs (M_xi = U_xi V_xi: 16 x O x block), M transformed into out; V and M
    in per-thread scratch. Returns 1; 0 where x or the filters hold inf/NaN (out is then unfinished, for
    the caller to compute on another path); -1 where scratch memory could not be had."""
    cdef ptrdiff_t blk[5]
    cdef ptrdiff_t TH = plan.tiles_h, TW = plan.tiles_w, per = plan.per, NT = plan.block
    cdef ptrdiff_t MR, OP, vstride, mstride, size, job, g, g1, n, r0, r1, t, xi
    cdef int status = 1
    cdef int *statusp = &status
    cdef floating *u
    cdef floating *v
    _gemm_blocking(sizeof(floating), blk)
    MR = blk[0]
    OP = _cdiv(O, MR) * MR
    u = <floating *>_scratch(SLOT_PACKED, 16 * OP * I * sizeof(floating), False)
    if u == NULL:
        return -1
    ck_wino_filter(O, I, w, so, si, flip, u)  # U_xi: 16 x (OP x I), the GEMM's packed panels of A
    if not ck_all_finite(u, 16 * OP * I):
        return 0
    vstride, mstride = _skewed(I * NT, sizeof(floating)), _skewed(O * NT, sizeof(floating))
    size = 16 * (vstride + mstride) + ck_wino_input_scratch(u, TW, per if per < TH else TH)
    with parallel(num_threads=n_threads):
        v = <floating *>_scratch(SLOT_IMAGE, size * sizeof(floating), True)  # V, then M, then the rows
        if v == NULL:
            statusp[0] = -1
        for job in prange(plan.n_jobs, schedule="static"):
            if v == NULL:
                continue
            g1 = job * per + per  # tile rows g of the batch (image g // TH)
            if g1 > N * TH:
                g1 = N * TH
            g = job * per
            t = 0
            while g < g1:  # V <- B^T d B, the job's tiles of each image in turn
                n = g // TH
                r0 = g - n * TH
                r1 = r0 + g1 - g if r0 + g1 - g < TH else TH
                if not ck_wino_input(x + n * I * H * W, I, H, W, ph, pw, TW, r0, r1, t, vstride, v,
                                     v + 16 * (vstride + mstride)):
                    statusp[0] = 0
                t = t + (r1 - r0) * TW
                g = g + r1 - r0
            for xi in range(16):  # M_xi (O x t, row stride NT) = U_xi V_xi
                ck_gemm_block(O, t, I, u + xi * OP * I, v + xi * vstride, 1, 1, NULL, 0,
                              v + 16 * vstride + xi * mstride, NT)
            g = job * per
            t = 0
            while g < g1:  # out <- A^T M A + bias
                n = g // TH
                r0 = g - n * TH
                r1 = r0 + g1 - g if r0 + g1 - g < TH else TH
                ck_wino_output(v + 16 * vstride, mstride, NT, O, TW, r0, r1, t, bias, relu, out + n * O * OH * OW,
                               OH, OW)
                t = t + (r1 - r0) * TW
                g = g + r1 - r0
    return status
