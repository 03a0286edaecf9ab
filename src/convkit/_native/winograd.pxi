# ---------------------------------------------------------------------------------------------------------
# Winograd F(2x2, 3x3) convolution (winograd.h): conv2d's three passes on the plan's PATH_WINOGRAD
# (conv_plan.pxi)
# ---------------------------------------------------------------------------------------------------------

cdef inline bint _winograd_ran(int status, what) except -1:
    """Whether a Winograd pass computed its output (status 1); False where its operands held inf/NaN
    (status 0: the caller runs the direct path). MemoryError where it could not get scratch memory."""
    if status < 0:
        _alloc_error(what)
    return status == 1


cdef inline ptrdiff_t _skewed(ptrdiff_t n, ptrdiff_t itemsize) noexcept nogil:
    """The distance between consecutive V_xi (M_xi) of n elements: 16 arrays whose starts lie 4 KB apart
    share their L1 sets (the transforms touch all 16 at once), so each starts 256 bytes further into its
    4 KB than the one before."""
    return (_cdiv(n * itemsize, 4096) * 4096 + 256) // itemsize


cdef int _winograd_conv(
    const floating *x, ptrdiff_t N, ptrdiff_t I, ptrdiff_t H, ptrdiff_t W,  # IN  (N, I, H, W)
    const floating *w, ptrdiff_t O, ptrdiff_t so, ptrdiff_t si, bint flip,  # IN  O x I 3x3 filters: (o, i) at
                                                                            #     w + o*so + i*si
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


cdef inline void _winograd_dw_filter(const floating *part, ptrdiff_t chunks, ptrdiff_t FC, ptrdiff_t e,
                                     floating *dw) noexcept nogil:
    """dw (3 x 3) <- G^T S G, S (4 x 4) the chunks' products for filter element e (= f*C + c) summed in
    chunk order in double; G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]."""
    cdef double S[16]
    cdef double R[12]  # G^T S: 3 x 4
    cdef ptrdiff_t xi, j, b
    cdef double half  # the middle rows' (columns') half sum, shared by the first and last row (column)
    for xi in range(16):
        S[xi] = 0
        for j in range(chunks):
            S[xi] += part[(j * 16 + xi) * FC + e]
    for b in range(4):
        half = 0.5 * (S[4 + b] + S[8 + b])
        R[b] = S[b] + half
        R[4 + b] = 0.5 * (S[4 + b] - S[8 + b])
        R[8 + b] = half + S[12 + b]
    for j in range(3):
        half = 0.5 * (R[4 * j + 1] + R[4 * j + 2])
        dw[3 * j] = R[4 * j] + half
        dw[3 * j + 1] = 0.5 * (R[4 * j + 1] - R[4 * j + 2])
        dw[3 * j + 2] = half + R[4 * j + 3]


cdef int _winograd_weight_grad(
    const floating *x, ptrdiff_t N, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W,  # IN  (N, C, H, W)
    const floating *dout, ptrdiff_t F, ptrdiff_t OH, ptrdiff_t OW,          # IN  (N, F, OH, OW)
    floating *dw, floating *db,                                             # OUT (F, C, 3, 3), (F,)
    ptrdiff_t ph, ptrdiff_t pw, const ConvPlan *plan, int n_threads,
) noexcept nogil:
    """dw[f, c] = G^T [sum over tiles of (A dY A^T) (.) (B^T d B)] G, the adjoint of the forward transform
    (dY: dout's 2x2 tile, d: x's 4x4 patch); db[f] = sum dout. A job is a fixed chunk of images: per block
    of ``per`` of its tile rows (of one image or several) it transforms x (V: 16 x C x ld) and dout (Y: 16 x
    F x ld), both row-major, packs them and adds Y_xi V_xi^T to its chunk's 16 products (ck_gemm_block);
    the chunks are summed in order in double. Returns 1; 0 where x or dout hold inf/NaN (dw unfinished); -1
    where scratch memory could not be had."""
    cdef ptrdiff_t blk[5]
    cdef ptrdiff_t TH = plan.tiles_h, TW = plan.tiles_w, chunks = plan.chunks, FC = F * C
    cdef ptrdiff_t rows = plan.per, ld = plan.block
    cdef ptrdiff_t MR, NR, OP, CP, vstride, ystride, size, job, g, g1, g_end, n, r0, r1, tb, xi, pi, i, c0, e
    cdef double acc
    cdef bint first
    cdef int status = 1
    cdef int *statusp = &status
    cdef floating *part
    cdef double *dbp
    cdef floating *v
    cdef floating *y
    cdef floating *ap
    cdef floating *bp
    cdef floating *rs
    _gemm_blocking(sizeof(floating), blk)
    MR, NR = blk[0], blk[1]
    OP, CP = _cdiv(F, MR) * MR, _cdiv(C, NR) * NR
    part = <floating *>_scratch(SLOT_PACKED, chunks * (16 * FC * sizeof(floating) + F * sizeof(double)), True)
    if part == NULL:
        return -1
    dbp = <double *>(part + chunks * 16 * FC)  # the chunks' db, then their 16 products before it
    vstride, ystride = _skewed(C * ld, sizeof(floating)), _skewed(F * ld, sizeof(floating))
    size = (16 * (vstride + ystride) + (OP + CP) * ld + ck_wino_input_scratch(x, TW, rows if rows < TH else TH)
            + ck_wino_dout_scratch(x, TW))
    with parallel(num_threads=n_threads):
        v = <floating *>_scratch(SLOT_IMAGE, size * sizeof(floating), True)  # V, Y, the packs, the rows
        y = v + 16 * vstride
        ap = y + 16 * ystride
        bp = ap + OP * ld
        rs = bp + CP * ld
        if v == NULL:
            statusp[0] = -1
        for job in prange(chunks, schedule="static"):
            if v == NULL:
                continue
            g = job * N // chunks * TH  # the chunk's tile rows g (image g // TH), blocks of `rows` of them
            g_end = (job + 1) * N // chunks * TH
            first = True
            while g < g_end:
                g1 = g + rows if g + rows < g_end else g_end
                tb = 0
                while g < g1:  # V, Y <- the block's transforms, image by image
                    n = g // TH
                    r0 = g - n * TH
                    r1 = r0 + g1 - g if r0 + g1 - g < TH else TH
                    if not ck_wino_input_rows(x + n * C * H * W, C, H, W, ph, pw, TW, r0, r1, tb, ld, vstride, v,
                                              rs):
                        statusp[0] = 0
                    if not ck_wino_dout(dout + n * F * OH * OW, F, OH, OW, TW, r0, r1, tb, ld, ystride, y,
                                        dbp + job * F, rs):
                        statusp[0] = 0
                    tb = tb + (r1 - r0) * TW
                    g = g + r1 - r0
                for xi in range(16):  # the chunk's S_xi (F x C) += Y_xi (F x tb) V_xi^T (tb x C)
                    for pi in range(_cdiv(F, MR)):
                        i = pi * MR
                        ck_gemm_pack_a(F - i if F - i < MR else MR, tb, y + xi * ystride + i * ld, ld, 1, ap + i * tb)
                    for pi in range(_cdiv(C, NR)):
                        c0 = pi * NR
                        ck_gemm_pack_b(tb, C - c0 if C - c0 < NR else NR, v + xi * vstride + c0 * ld, 1, ld,
                                       bp + c0 * tb)
                    ck_gemm_block(F, C, tb, ap, bp, first, 0, NULL, 0, part + (job * 16 + xi) * FC, C)
                first = False
        for e in prange(FC, schedule="static"):  # dw = G^T S G
            _winograd_dw_filter(part, chunks, FC, e, dw + 9 * e)
    if status == 1:
        for i in range(F):
            acc = 0
            for job in range(chunks):
                acc += dbp[job * F + i]
            db[i] = acc
    return status
