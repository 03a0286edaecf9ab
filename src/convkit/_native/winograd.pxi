# ---------------------------------------------------------------------------------------------------------
# Winograd F(2x2, 3x3), F(4x4, 3x3) and F(2x2, 5x5) convolutions (winograd.h): conv2d's three passes on the
# plan's PATH_WINOGRAD (conv_plan.pxi)
# ---------------------------------------------------------------------------------------------------------

cdef enum:
    WINO_FILTER_JOB = 16  # weight-gradient elements per job of its last step (the kernel's lanes divide it)


cdef inline bint _winograd_ran(int status, what) except -1:
    """Whether a Winograd pass computed its output (status 1); False where its operands held inf/NaN
    (status 0: the caller runs the direct path). MemoryError where it could not get scratch memory."""
    if status < 0:
        _alloc_error(what)
    return status == 1


cdef inline ptrdiff_t _skewed(ptrdiff_t n, ptrdiff_t itemsize) noexcept nogil:
    """The distance between consecutive V_xi (M_xi) of n elements: 16 or 36 arrays whose starts lie 4 KB
    apart share their L1 sets (the transforms touch all of them at once), so each starts 256 bytes further
    into its 4 KB than the one before."""
    return (_cdiv(n * itemsize, 4096) * 4096 + 256) // itemsize


cdef int _winograd_conv(
    const floating *x, ptrdiff_t N, ptrdiff_t I, ptrdiff_t H, ptrdiff_t W,  # IN  (N, I, H, W)
    const floating *w, ptrdiff_t O, ptrdiff_t so, ptrdiff_t si, bint flip,  # IN  O x I R x R filters: (o, i)
    int R,                                                                  #     at w + o*so + i*si
    const floating *bias, bint relu,                                        # IN  (O,)
    const floating *z,                                                      # IN  (N, O, OH, OW) or NULL
    floating *out, ptrdiff_t OH, ptrdiff_t OW,                              # OUT (N, O, OH, OW)
    ptrdiff_t ph, ptrdiff_t pw, const ConvPlan *plan, int n_threads,
) noexcept nogil:
    """out[n, o] = bias[o] + the R x R correlation of x[n] (zero-padded by ph, pw) with filter (o, i) summed
    over i (the filters flipped with ``flip``), then ReLU with ``relu`` (of out + z where z is not NULL:
    a residual block's sum, added to each job's rows once they are written); R = 3 or 5, tiles of the plan's
    tile x tile outputs. A job: the transforms of its tile rows (V: XI x I x block, XI = (tile + R - 1)^2),
    XI GEMMs (M_xi = U_xi V_xi: XI x O x block), M transformed into out; V and M in per-thread scratch.
    Returns 1; 0 where x or the filters hold inf/NaN (out is then unfinished, for the caller to compute on
    another path); -1 where scratch memory could not be had."""
    cdef ptrdiff_t blk[5]
    cdef ptrdiff_t TH = plan.tiles_h, TW = plan.tiles_w, per = plan.per, NT = plan.block
    cdef int tile = plan.tile
    cdef ptrdiff_t MR, OP, vstride, mstride, size, job, g, g1, n, r0, r1, t, xi, p, h0, h1
    cdef ptrdiff_t XI = (tile + R - 1) * (tile + R - 1)
    cdef int status = 1
    cdef int *statusp = &status
    cdef floating *u
    cdef floating *v
    _gemm_blocking(sizeof(floating), blk)
    MR = blk[0]
    OP = _cdiv(O, MR) * MR
    u = <floating *>_scratch(SLOT_PACKED, XI * OP * I * sizeof(floating), False)
    if u == NULL:
        return -1
    # U_xi: XI x (OP x I), the GEMM's packed panels of A, panel by panel on the threads (F(4x4) on 128 x 128
    # filters: 1.7 ms on one thread, ~10% of a forward pass of 64 16 x 16 images)
    for p in prange(OP // MR, nogil=True, schedule="static", num_threads=n_threads):
        ck_wino_filter(O, I, w, so, si, flip, p, p + 1, tile, R, u)
    if not ck_all_finite(u, XI * OP * I):
        return 0
    # each M_xi is followed by 256 bytes and more (_skewed), the last one by the rows: ck_wino_output reads
    # whole vectors past a row's last tile
    vstride, mstride = _skewed(I * NT, sizeof(floating)), _skewed(O * NT, sizeof(floating))
    size = XI * (vstride + mstride) + ck_wino_input_scratch(u, TW, per if per < TH else TH, tile, R)
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
                                     v + XI * (vstride + mstride), tile, R):
                    statusp[0] = 0
                t = t + (r1 - r0) * TW
                g = g + r1 - r0
            for xi in range(XI):  # M_xi (O x t, row stride NT) = U_xi V_xi
                ck_gemm_block(O, t, I, u + xi * OP * I, v + xi * vstride, 1, 1, NULL, 0,
                              v + XI * vstride + xi * mstride, NT)
            g = job * per
            t = 0
            while g < g1:  # out <- A^T M A + bias
                n = g // TH
                r0 = g - n * TH
                r1 = r0 + g1 - g if r0 + g1 - g < TH else TH
                ck_wino_output(v + XI * vstride, mstride, NT, O, TW, r0, r1, t, bias, relu and z == NULL,
                               out + n * O * OH * OW, OH, OW, tile, R)
                if relu and z != NULL:  # output rows h0 <= h < h1 of image n
                    h0 = r0 * tile
                    h1 = r1 * tile if r1 * tile < OH else OH
                    _relu_planes(out + n * O * OH * OW, O, OH * OW, h0 * OW, h1 * OW, z + n * O * OH * OW)
                t = t + (r1 - r0) * TW
                g = g + r1 - r0
    return status


cdef int _winograd_weight_grad(
    const floating *x, ptrdiff_t N, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W,  # IN  (N, C, H, W)
    const floating *dout, ptrdiff_t F, ptrdiff_t OH, ptrdiff_t OW,          # IN  (N, F, OH, OW)
    floating *dw, floating *db,                                             # OUT (F, C, R, R), (F,)
    int R, ptrdiff_t ph, ptrdiff_t pw, const ConvPlan *plan, int n_threads,
) noexcept nogil:
    """dw[f, c] = G^T [sum over tiles of (A dY A^T) (.) (B^T d B)] G, the adjoint of the forward transform
    (dY: dout's tile x tile tile, d: x's n x n patch, n = tile + R - 1); db[f] = sum dout. A job is a fixed chunk of
    images: per block of ``per`` of its tile rows (of one image or several) it transforms x (V: XI x C x ld)
    and dout (Y: XI x F x ld), both row-major, packs them and adds Y_xi V_xi^T to its chunk's XI products
    (ck_gemm_block); the chunks are summed in order in double (ck_wino_weight_filter). Returns 1; 0 where x
    or dout hold inf/NaN (dw unfinished); -1 where scratch memory could not be had."""
    cdef ptrdiff_t blk[5]
    cdef ptrdiff_t TH = plan.tiles_h, TW = plan.tiles_w, chunks = plan.chunks, FC = F * C
    cdef ptrdiff_t rows = plan.per, ld = plan.block
    cdef ptrdiff_t MR, NR, OP, CP, vstride, ystride, size, job, g, g1, g_end, n, r0, r1, tb, xi, pi, i, c0, e
    cdef int tile = plan.tile
    cdef ptrdiff_t XI = (tile + R - 1) * (tile + R - 1)
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
    part = <floating *>_scratch(SLOT_PACKED, chunks * (XI * FC * sizeof(floating) + F * sizeof(double)), True)
    if part == NULL:
        return -1
    dbp = <double *>(part + chunks * XI * FC)  # the chunks' db, after their XI products
    vstride, ystride = _skewed(C * ld, sizeof(floating)), _skewed(F * ld, sizeof(floating))
    size = (XI * (vstride + ystride) + (OP + CP) * ld
            + ck_wino_input_scratch(x, TW, rows if rows < TH else TH, tile, R) + ck_wino_dout_scratch(x, TW, tile))
    with parallel(num_threads=n_threads):
        v = <floating *>_scratch(SLOT_IMAGE, size * sizeof(floating), True)  # V, Y, the packs, the rows
        y = v + XI * vstride
        ap = y + XI * ystride
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
                                              rs, tile, R):
                        statusp[0] = 0
                    if not ck_wino_dout(dout + n * F * OH * OW, F, OH, OW, TW, r0, r1, tb, ld, ystride, y,
                                        dbp + job * F, rs, tile, R):
                        statusp[0] = 0
                    tb = tb + (r1 - r0) * TW
                    g = g + r1 - r0
                for xi in range(XI):  # the chunk's S_xi (F x C) += Y_xi (F x tb) V_xi^T (tb x C)
                    for pi in range(_cdiv(F, MR)):
                        i = pi * MR
                        ck_gemm_pack_a(F - i if F - i < MR else MR, tb, y + xi * ystride + i * ld, ld, 1, ap + i * tb)
                    for pi in range(_cdiv(C, NR)):
                        c0 = pi * NR
                        ck_gemm_pack_b(tb, C - c0 if C - c0 < NR else NR, v + xi * vstride + c0 * ld, 1, ld,
                                       bp + c0 * tb)
                    ck_gemm_block(F, C, tb, ap, bp, first, 0, NULL, 0, part + (job * XI + xi) * FC, C)
                first = False
        for job in prange(_cdiv(FC, WINO_FILTER_JOB), schedule="static"):  # dw = G^T S G
            e = job * WINO_FILTER_JOB
            ck_wino_weight_filter(part, chunks, FC, e, e + WINO_FILTER_JOB if e + WINO_FILTER_JOB < FC else FC, tile,
                                  R, dw)
    if status == 1:
        for i in range(F):
            acc = 0
            for job in range(chunks):
                acc += dbp[job * F + i]
            db[i] = acc
    return status
