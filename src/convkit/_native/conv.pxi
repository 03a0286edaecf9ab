# ---------------------------------------------------------------------------------------------------------
# 2-D convolution: the three passes, each executing its plan (conv_plan.pxi)
# ---------------------------------------------------------------------------------------------------------

cdef inline void _embed_copies(const floating *src, ptrdiff_t planes, ptrdiff_t H, ptrdiff_t W, floating *dst,
                               ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t top, ptrdiff_t left, ptrdiff_t copies,
                               ptrdiff_t step) noexcept nogil:
    """The direct path's image: ``copies`` zero-padded copies of (planes, H, W) ``src``, copy j (planes of
    DH x DW from dst + j*planes*DH*DW) holding it from row top, column left - j*step (cropped): one padded
    copy, or the column-shifted copies of the plan's ``shifted``. The zeros were written once per call."""
    cdef ptrdiff_t j
    for j in range(copies):
        ck_embed(src, planes, H * W, H, W, dst + j * planes * DH * DW, DH * DW, DH, DW, top, left - j * step, 0, 0)


cdef inline const floating *_at(const floating *z, ptrdiff_t offset) noexcept nogil:
    """z + offset, or NULL for a NULL z (an optional array's part)."""
    return z + offset if z != NULL else NULL


def conv2d_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    const floating[:, :, :, ::1] w,     # IN  (F, C, KH, KW)
    const floating[::1] b,              # IN  (F,)
    floating[:, :, :, ::1] out,         # OUT (N, F, OH, OW)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, bint relu, int n_threads,
    const floating[:, :, :, ::1] residual=None,  # IN  (N, F, OH, OW) added before the ReLU, or None
):
    """out[n, f] = b[f] + sum_c sum_kh sum_kw w[f, c, kh, kw] * xpad[n, c, oh*sh + kh*dh, ow*sw + kw*dw], then
    max(out, 0) with ``relu`` (fused: each job clamps its own outputs while they are in cache), or with
    ``relu`` and a residual, max(out + residual, 0): a residual block's sum and ReLU, applied the same way.
    Direct and phases paths: one padded image (or its stride phases) per thread, rows of output per job;
    im2col: one tile per job."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t F = w.shape[0], KH = w.shape[2], KW = w.shape[3]
    cdef ptrdiff_t OH = out.shape[2], OW = out.shape[3], P = OH * OW, K = C * KH * KW
    cdef ptrdiff_t HP = H + 2 * pad_h, WP = W + 2 * pad_w, plane = HP * WP, image, copies
    cdef ConvPlan plan
    cdef ptrdiff_t NR, q_end, parts, per, block, blocks, n_jobs
    cdef bint rows
    cdef int path
    cdef ptrdiff_t job, n, c, kh, kw, q0, q1, p0, npix
    cdef int failed = 0, done
    cdef int *failp = &failed
    cdef const floating *z = NULL
    cdef floating *xpad
    cdef floating *tail
    cdef ptrdiff_t *toff
    cdef ptrdiff_t *last
    if N == 0 or F == 0:
        return
    if residual is not None:
        shape = (residual.shape[0], residual.shape[1], residual.shape[2], residual.shape[3])
        if shape != (N, F, OH, OW) or not relu:
            raise ValueError(f"conv2d_forward: a residual is added before the ReLU, in out's shape "
                             f"{(N, F, OH, OW)}. Received: residual.shape={shape}, relu={relu}")
        z = &residual[0, 0, 0, 0]
    plan = conv_plan(PASS_FORWARD, N, C, H, W, F, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                     sizeof(floating))
    if plan.path == PATH_WINOGRAD:
        _small_pages(&out[0, 0, 0, 0], N * F * P * sizeof(floating))
        with nogil:
            done = _winograd_conv(&x[0, 0, 0, 0], N, C, H, W, &w[0, 0, 0, 0], F, C * KH * KW, KH * KW, False, KH,
                                  &b[0], relu, z, &out[0, 0, 0, 0], OH, OW, pad_h, pad_w, &plan, n_threads)
        if _winograd_ran(done, "conv2d_forward"):
            return
        plan = conv_plan(PASS_FORWARD, N, C, H, W, F, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                         sizeof(floating), False)  # inf/NaN in x or w: the direct path
    path, NR, n_jobs = plan.path, plan.NR, plan.n_jobs
    rows, q_end, parts, per, block, blocks = plan.rows, plan.q_end, plan.parts, plan.per, plan.block, plan.blocks
    cdef floating *apack = <floating *>_scratch(SLOT_PACKED, F * K * sizeof(floating), False)
    cdef ptrdiff_t *off = <ptrdiff_t *>_scratch(SLOT_OFFSETS, K * sizeof(ptrdiff_t), False)
    if apack == NULL or off == NULL:
        _alloc_error("conv2d_forward")
    ck_pack_a(F, K, &w[0, 0, 0, 0], K, 1, apack)
    _small_pages(&out[0, 0, 0, 0], N * F * P * sizeof(floating))
    image = K * block
    copies = KW if plan.shifted else 1
    if path == PATH_DIRECT:
        if plan.shifted:  # the grid's rows are OW apart
            WP = OW
            plane = HP * WP
        image = copies * C * plane + NR
        for c in range(C):
            for kh in range(KH):
                for kw in range(KW):
                    off[(c * KH + kh) * KW + kw] = ((kw * C + c) * plane + kh * dil_h * WP if plan.shifted else
                                                    c * plane + kh * dil_h * WP + kw * dil_w)
    elif path == PATH_PHASES:
        WP = plan.ph_cols
        image = stride_h * stride_w * C * plan.ph_rows * WP + NR
        _phase_split_offsets(C, KH, KW, stride_h, stride_w, pad_h, pad_w, &plan, off)
    else:
        for c in range(K):
            off[c] = c * block
    with nogil, parallel(num_threads=n_threads):
        # direct: the padded image (zero borders) + a zero tile of slack, so that shift_gemm never copies a
        # partial tile; phases: its phase planes + the slack; im2col: the tile
        xpad = <floating *>_scratch(SLOT_IMAGE, image * sizeof(floating), path != PATH_IM2COL)
        tail = <floating *>_scratch(SLOT_TAIL, K * NR * sizeof(floating), False)
        toff = <ptrdiff_t *>_scratch(SLOT_TAIL_OFF, (K + 2) * sizeof(ptrdiff_t), False)
        last = toff + K + 1  # per-thread memory: the image now in xpad
        if xpad == NULL or tail == NULL or toff == NULL:
            failp[0] = 1
        else:
            last[0] = -1
        for job in prange(n_jobs, schedule="static"):
            if xpad == NULL or tail == NULL or toff == NULL:
                continue
            if path != PATH_IM2COL:
                n = job // parts
                if last[0] != n:
                    if path == PATH_DIRECT:
                        _embed_copies(&x[n, 0, 0, 0], C, H, W, xpad, HP, WP, pad_h, pad_w, copies, dil_w)
                    else:
                        _phase_split_image(&x[n, 0, 0, 0], C, H, W, stride_h, stride_w, &plan, xpad)
                    last[0] = n
                q0 = (job % parts) * per
                q1 = q0 + per
                if rows:
                    if q1 > OH:
                        q1 = OH
                    if q0 < q1:
                        ck_shift_rows(F, K, apack, xpad, off, &b[0], _at(z, n * F * P), relu, q0, q1, WP, OW,
                                      &out[n, 0, 0, 0], P)
                    continue
                if q1 > q_end:
                    q1 = q_end
                if q0 < q1:
                    ck_shift_gemm(F, K, apack, xpad, off, &b[0], _at(z, n * F * P), relu, q0, q1, WP, OW,
                                  &out[n, 0, 0, 0], P, NULL, toff)
            else:
                n = job // blocks
                p0 = (job % blocks) * block
                npix = P - p0
                if npix > block:
                    npix = block
                ck_im2col(&x[n, 0, 0, 0], C, H, W, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, OW,
                          p0, npix, xpad, block)
                ck_shift_gemm(F, K, apack, xpad, off, &b[0], _at(z, n * F * P + p0), relu, 0, npix, npix, npix,
                              &out[n, 0, 0, 0] + p0, P, tail, toff)
    if failed:
        _alloc_error("conv2d_forward")


def conv2d_backward_input(
    const floating[:, :, :, ::1] dout,  # IN  (N, F, OH, OW)
    const floating[:, :, :, ::1] w,     # IN  (F, C, KH, KW)
    const floating[::1] b,              # IN  (C,) a bias (a transposed convolution's; conv2d's backward: zeros)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, int n_threads,
):
    """dx[n, c] = b[c], then dx[n, c, oh*sh + kh*dh - ph, ow*sw + kw*dw - pw] += w[f, c, kh, kw] *
    dout[n, f, oh, ow].

    Direct path: dx = the stride-1 convolution of dout (zero-padded by (KH-1)*dh - ph, (KW-1)*dw - pw) with
    the flipped weights (same dilation), channels swapped. Phases path: a job is one row phase of one image's
    dx, each of its column phases a stride-1 convolution of the padded dout with that phase's taps, then
    interleaved in place (conv_phases.pxi). im2col path: per image dcol = w^T dout, one pixel block at a
    time, then col2im; a job owns a whole image of dx.
    """
    cdef ptrdiff_t N = dout.shape[0], F = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef ptrdiff_t C = w.shape[1], KH = w.shape[2], KW = w.shape[3], H = dx.shape[2], W = dx.shape[3]
    cdef ptrdiff_t P = OH * OW, K = C * KH * KW, KK = F * KH * KW
    cdef ptrdiff_t DH = H + (KH - 1) * dil_h, DW = W + (KW - 1) * dil_w, dplane = DH * DW
    cdef ConvPlan plan
    cdef ptrdiff_t NR, q_end, parts, per, block, blocks, n_jobs, scratch, n_off, tail_size
    cdef ptrdiff_t S = stride_h * stride_w, dx_h, dx_w, a, k0, copies
    cdef bint rows
    cdef int path
    cdef ptrdiff_t job, n, c, f, kh, kw, q0, q1, p0, npix, e, blk
    cdef int failed = 0, done
    cdef int *failp = &failed
    cdef floating *buf
    cdef floating *tail
    cdef ptrdiff_t *toff
    cdef ptrdiff_t *last
    cdef floating *dxn
    if N == 0 or C == 0:
        return
    plan = conv_plan(PASS_INPUT_GRAD, N, C, H, W, F, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                     sizeof(floating))
    if plan.path == PATH_WINOGRAD:  # dx: dout padded by R - 1 - p, the flipped filters with channels swapped
        _small_pages(&dx[0, 0, 0, 0], N * C * H * W * sizeof(floating))
        with nogil:
            done = _winograd_conv(&dout[0, 0, 0, 0], N, F, OH, OW, &w[0, 0, 0, 0], C, KH * KW, C * KH * KW, True, KH,
                                  &b[0], False, NULL, &dx[0, 0, 0, 0], H, W, KH - 1 - pad_h, KW - 1 - pad_w, &plan,
                                  n_threads)
        if _winograd_ran(done, "conv2d_backward"):
            return
        plan = conv_plan(PASS_INPUT_GRAD, N, C, H, W, F, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                         sizeof(floating), False)  # inf/NaN in dout or w: the direct path
    path, NR, n_jobs = plan.path, plan.NR, plan.n_jobs
    rows, q_end, parts, per, block, blocks = plan.rows, plan.q_end, plan.parts, plan.per, plan.block, plan.blocks
    cdef floating *apack = <floating *>_scratch(SLOT_PACKED, C * KK * sizeof(floating), False)
    cdef floating *wt = NULL
    cdef ptrdiff_t *off = <ptrdiff_t *>_scratch(SLOT_OFFSETS, (KK + F + S + 1) * sizeof(ptrdiff_t), False)
    cdef ptrdiff_t *start = off + KK + F  # phases: where each phase's taps start
    if apack == NULL or off == NULL:
        _alloc_error("conv2d_backward")
    _small_pages(&dx[0, 0, 0, 0], N * C * H * W * sizeof(floating))
    dx_h, dx_w = plan.dx_h, plan.dx_w
    copies = KW if plan.shifted else 1
    if path == PATH_PHASES:
        wt = <floating *>_scratch(SLOT_WEIGHTS, C * KK * sizeof(floating), False)  # (C, F*KH*KW), phase by phase
        if wt == NULL:
            _alloc_error("conv2d_backward")
        _phase_merge_taps(&w[0, 0, 0, 0], F, C, KH, KW, stride_h, stride_w, pad_h, pad_w, &plan, wt, apack, off,
                          start)
        DW = plan.ph_cols
        dplane = plan.ph_rows * DW
        scratch = F * dplane
        n_off = KK
        tail_size = stride_w * C * dx_h * dx_w  # one row phase of dx
    elif path == PATH_DIRECT:
        wt = <floating *>_scratch(SLOT_WEIGHTS, C * KK * sizeof(floating), False)  # (C, F, KH, KW), flipped in kh, kw
        if wt == NULL:
            _alloc_error("conv2d_backward")
        if plan.shifted:  # the grid's rows are W apart
            DW = W
            dplane = DH * DW
        for c in range(C):
            for f in range(F):
                for kh in range(KH):
                    for kw in range(KW):
                        wt[((c * F + f) * KH + kh) * KW + kw] = w[f, c, KH - 1 - kh, KW - 1 - kw]
                        off[(f * KH + kh) * KW + kw] = ((kw * F + f) * dplane + kh * dil_h * DW if plan.shifted else
                                                        f * dplane + kh * dil_h * DW + kw * dil_w)
        ck_pack_a(C, KK, wt, KK, 1, apack)
        scratch = copies * F * dplane
        n_off = KK
        tail_size = n_off * NR
    else:
        ck_pack_a(K, F, &w[0, 0, 0, 0], 1, K, apack)  # A = w^T: (K, F)
        for f in range(F):
            off[f] = f * P
        scratch = K * block
        n_off = F
        tail_size = n_off * NR
    with nogil, parallel(num_threads=n_threads):
        # direct, phases: the padded dout (zero borders) + a zero tile of slack; im2col: the column gradient
        # tile. tail: shift_gemm's partial tile, or one phase of dx (phases)
        buf = <floating *>_scratch(SLOT_IMAGE, (scratch + NR) * sizeof(floating), path != PATH_IM2COL)
        tail = <floating *>_scratch(SLOT_TAIL, tail_size * sizeof(floating), False)
        toff = <ptrdiff_t *>_scratch(SLOT_TAIL_OFF, (n_off + 2) * sizeof(ptrdiff_t), False)
        last = toff + n_off + 1
        if buf == NULL or tail == NULL or toff == NULL:
            failp[0] = 1
        else:
            last[0] = -1
        for job in prange(n_jobs, schedule="static"):
            if buf == NULL or tail == NULL or toff == NULL:
                continue
            if path == PATH_PHASES:  # row phase a of image n: its phases (a, b) into tail, then in place
                n = job // stride_h
                a = job % stride_h
                if last[0] != n:
                    ck_embed(&dout[n, 0, 0, 0], F, P, OH, OW, buf, dplane, plan.ph_rows, DW, plan.ph_top,
                             plan.ph_left, 0, 0)
                    last[0] = n
                for e in range(stride_w):
                    k0 = start[a * stride_w + e]
                    if rows:
                        ck_shift_rows(C, start[a * stride_w + e + 1] - k0, apack + C * k0, buf, off + k0, &b[0], NULL,
                                      False, 0, dx_h, DW, dx_w, tail + e * C * dx_h * dx_w, dx_h * dx_w)
                    else:
                        ck_shift_gemm(C, start[a * stride_w + e + 1] - k0, apack + C * k0, buf, off + k0, &b[0], NULL,
                                      False, 0, q_end, DW, dx_w, tail + e * C * dx_h * dx_w, dx_h * dx_w, NULL, toff)
                ck_phase_merge(tail, C, dx_h, dx_w, stride_h, stride_w, a, &dx[n, 0, 0, 0], H, W)
            elif path == PATH_DIRECT:
                n = job // parts
                if last[0] != n:
                    _embed_copies(&dout[n, 0, 0, 0], F, OH, OW, buf, DH, DW, (KH - 1) * dil_h - pad_h,
                                  (KW - 1) * dil_w - pad_w, copies, dil_w)
                    last[0] = n
                q0 = (job % parts) * per
                q1 = q0 + per
                if rows:
                    if q1 > H:
                        q1 = H
                    if q0 < q1:
                        ck_shift_rows(C, KK, apack, buf, off, &b[0], NULL, False, q0, q1, DW, W, &dx[n, 0, 0, 0],
                                      H * W)
                    continue
                if q1 > q_end:
                    q1 = q_end
                if q0 < q1:
                    ck_shift_gemm(C, KK, apack, buf, off, &b[0], NULL, False, q0, q1, DW, W, &dx[n, 0, 0, 0], H * W,
                                  NULL,
                                  toff)
            else:
                dxn = &dx[job, 0, 0, 0]
                for c in range(C):
                    for e in range(H * W):
                        dxn[c * H * W + e] = b[c]
                for blk in range(blocks):
                    p0 = blk * block
                    npix = P - p0
                    if npix > block:
                        npix = block
                    ck_shift_gemm(K, F, apack, &dout[job, 0, 0, 0] + p0, off, NULL, NULL, False, 0, npix, npix, npix,
                                  buf, block, tail, toff)
                    ck_col2im_add(buf, block, C, H, W, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, OW, p0,
                                  npix, dxn)
    if failed:
        _alloc_error("conv2d_backward")


cdef int _pointwise_weight_grad(
    const floating *x, ptrdiff_t N, ptrdiff_t C, ptrdiff_t P,  # IN  (N, C, P)
    const floating *dout, ptrdiff_t F,                         # IN  (N, F, P)
    floating *dw,                                              # OUT (F, C)
    floating *db,                                              # OUT (F,)
    ptrdiff_t chunks, int n_threads,
) noexcept nogil:
    """The pointwise path's dW = sum_n dout_n @ x_n^T and db = sum dout: chunk ch (images ch*N/chunks ..)
    accumulates its images' products into its partial (F, C + 1) block by block, as one GEMM over the
    chunk's pixels in order (ck_gemm_block from the chunk's first block on), and its row sums into column
    C; the partials are added in chunk order in double. Returns -1 when scratch could not be allocated."""
    cdef ptrdiff_t blk[5]
    cdef ptrdiff_t MR, NR, KC, MC, NC, C1 = C + 1, part_size = F * (C + 1)
    cdef ptrdiff_t ch, n, jb, j0, jn, kb, p0, pk, i, m0, c0, f, l, q
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *apack
    cdef floating *bpack
    cdef double *sums
    cdef floating *part
    cdef const floating *a
    cdef const floating *b
    ck_gemm_blocking(dw, blk)
    MR, NR, KC, MC, NC = blk[0], blk[1], blk[2], blk[3], blk[4]
    cdef floating *partial = <floating *>_scratch(SLOT_PACKED, chunks * part_size * sizeof(floating), False)
    cdef floating *summed = <floating *>_scratch(SLOT_WEIGHTS, part_size * sizeof(floating), False)
    if partial == NULL or summed == NULL:
        return -1
    with parallel(num_threads=_threads_for(N * F * C * P // 16, n_threads)):
        apack = <floating *>_scratch(SLOT_DW_COL, _cdiv(F, MR) * MR * KC * sizeof(floating), False)
        bpack = <floating *>_scratch(SLOT_DW_TILE, KC * _cdiv(NC, NR) * NR * sizeof(floating), False)
        sums = <double *>_scratch(SLOT_DW_VACC, 2 * F * sizeof(double), False)  # the chunk's | an image's
        if apack == NULL or bpack == NULL or sums == NULL:
            failp[0] = 1
        for ch in prange(chunks, schedule="static"):
            if apack == NULL or bpack == NULL or sums == NULL:
                continue
            part = partial + ch * part_size
            for f in range(F):
                sums[f] = 0
            for n in range(ch * N // chunks, (ch + 1) * N // chunks):
                a = dout + n * F * P  # (F, P)
                b = x + n * C * P  # (C, P): B[k][j] = b[j * P + k]
                for jb in range(_cdiv(C, NC)):
                    j0 = jb * NC
                    jn = C - j0 if C - j0 < NC else NC
                    for kb in range(_cdiv(P, KC)):
                        p0 = kb * KC
                        pk = P - p0 if P - p0 < KC else KC
                        for q in range(_cdiv(jn, NR)):
                            c0 = q * NR
                            ck_gemm_pack_b(pk, jn - c0 if jn - c0 < NR else NR, b + (j0 + c0) * P + p0, 1, P,
                                           bpack + c0 * pk)
                        for q in range(_cdiv(F, MR)):
                            i = q * MR
                            ck_gemm_pack_a(F - i if F - i < MR else MR, pk, a + i * P + p0, P, 1, apack + i * pk)
                        for q in range(_cdiv(F, MC) * _cdiv(jn, NR)):
                            m0 = (q // _cdiv(jn, NR)) * MC
                            c0 = (q % _cdiv(jn, NR)) * NR
                            ck_gemm_block(F - m0 if F - m0 < MC else MC, jn - c0 if jn - c0 < NR else NR, pk,
                                          apack + m0 * pk, bpack + c0 * pk, n == ch * N // chunks and p0 == 0,
                                          False, NULL, False, part + m0 * C1 + j0 + c0, C1)
                ck_bn_sums(a, NULL, NULL, NULL, 1, F, P, 0, F, NULL, sums + F, NULL)  # dout_n's row sums
                for f in range(F):
                    sums[f] = sums[f] + sums[F + f]
            for f in range(F):
                part[f * C1 + C] = <floating>sums[f]
    if failed:
        return -1
    for f in prange(F, nogil=True, schedule="static", num_threads=_threads_for(chunks * part_size, n_threads)):
        ck_sum_partials(partial, chunks, part_size, f, f + 1, C1, C1, summed, C1, 1)
    for f in range(F):
        for l in range(C):
            dw[f * C + l] = summed[f * C1 + l]
        db[f] = summed[f * C1 + C]
    return 0


def conv2d_backward_weight(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    const floating[:, :, :, ::1] dout,  # IN  (N, F, OH, OW)
    floating[:, :, :, ::1] dw,          # OUT (F, C, KH, KW)
    floating[::1] db,                   # OUT (F,)
    int stride_h, int stride_w, int pad_h, int pad_w, int dil_h, int dil_w, int n_threads,
):
    """dw[f, c, kh, kw] = sum_n,oh,ow dout[n, f, oh, ow] * xpad[n, c, oh*sh + kh*dh, ow*sw + kw*dw];
    db[f] = sum dout.

    One GEMM over K + 1 "B" rows: k = (c, kh, kw) are the shifted rows of the padded image (direct path),
    of its stride phases (phases path) or of an im2col tile (im2col path), row K is all ones and gives db.
    Jobs are (chunk of images, group of rows); a chunk sums its images into its own partial gradient and
    the partials are added in chunk order (in double). The plan (conv_plan.pxi) picks the path, the kernel
    (reduce or outer) and the jobs.
    """
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t F = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef ptrdiff_t KH = dw.shape[2], KW = dw.shape[3]
    cdef ptrdiff_t P = OH * OW, K = C * KH * KW, K1 = K + 1, FK1 = F * K1
    cdef ptrdiff_t HP = H + 2 * pad_h, WP = W + 2 * pad_w, plane = HP * WP
    cdef ConvPlan plan
    cdef ptrdiff_t VL, FP, q_end, qv, dps, ones_at
    cdef ptrdiff_t chunks, groups, gsize, job, n, f, c, kh, kw, j0, j1, p0, npix, e, ch, l, block, blocks, blk, oh
    cdef ptrdiff_t part_size, n_vacc, n_wide, n_tile, n_xpad, ie, nrows
    cdef bint rows, outer, check_finite
    cdef int m_outer, path
    cdef double acc
    cdef int failed = 0, done
    cdef int *failp = &failed
    cdef floating *xpad
    cdef floating *wide
    cdef floating *col
    cdef floating *tile
    cdef floating *vacc
    cdef floating *part
    cdef floating *dwp
    cdef const floating *dp
    if F == 0:
        return
    dwp = &dw[0, 0, 0, 0] if K > 0 else NULL
    if N == 0:
        for e in range(F * K):
            dwp[e] = 0
        for f in range(F):
            db[f] = 0
        return
    plan = conv_plan(PASS_WEIGHT_GRAD, N, C, H, W, F, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                     sizeof(floating))
    if plan.path == PATH_WINOGRAD:
        with nogil:
            done = _winograd_weight_grad(&x[0, 0, 0, 0], N, C, H, W, &dout[0, 0, 0, 0], F, OH, OW, dwp, &db[0],
                                         KH, pad_h, pad_w, &plan, n_threads)
        if _winograd_ran(done, "conv2d_backward"):
            return
        plan = conv_plan(PASS_WEIGHT_GRAD, N, C, H, W, F, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                         sizeof(floating), False)  # inf/NaN in x or dout: the direct path
    if plan.path == PATH_POINTWISE:
        with nogil:
            failed = _pointwise_weight_grad(&x[0, 0, 0, 0], N, C, H * W, &dout[0, 0, 0, 0], F, dwp, &db[0],
                                            plan.chunks, n_threads)
        if failed:
            _alloc_error("conv2d_backward")
        return
    path, outer, rows, m_outer, check_finite = plan.path, plan.outer, plan.rows, plan.m_outer, plan.check_finite
    chunks, groups, gsize, part_size = plan.chunks, plan.groups, plan.gsize, plan.part_size
    VL, q_end, block, blocks = plan.VL, plan.q_end, plan.block, plan.blocks
    if path == PATH_PHASES:  # the image is x's phase planes, rows ph_cols apart
        WP = plan.ph_cols
        plane = stride_h * stride_w * plan.ph_rows * WP
    FP = _cdiv(F, VL) * VL  # filters padded to whole vectors (outer)
    qv = _cdiv(q_end, VL) * VL  # the wide pixels of the direct path rounded up to whole vectors
    dps = OH * WP if OH * WP > qv else qv  # plane stride of the wide upstream gradient
    ones_at = C * plane + VL  # the row of ones in the direct (or phases) scratch
    n_vacc = 0 if outer else ck_dw_reduce_size(dwp, F, gsize)
    n_xpad = ones_at + qv if path != PATH_IM2COL else 0
    n_wide = (P * FP if outer else F * dps) if path != PATH_IM2COL else 0
    n_tile = block * FP if outer else F * block
    cdef floating *partial = <floating *>_scratch(SLOT_PACKED, chunks * part_size * sizeof(floating), True)
    cdef ptrdiff_t *off = <ptrdiff_t *>_scratch(SLOT_OFFSETS, 2 * K1 * sizeof(ptrdiff_t), False)
    cdef ptrdiff_t *offc = off + K1
    if partial == NULL or off == NULL:
        _alloc_error("conv2d_backward")
    if path == PATH_PHASES:
        _phase_split_offsets(C, KH, KW, stride_h, stride_w, pad_h, pad_w, &plan, off)
    else:
        for c in range(C):
            for kh in range(KH):
                for kw in range(KW):
                    off[(c * KH + kh) * KW + kw] = c * plane + kh * dil_h * WP + kw * dil_w
    off[K] = ones_at
    for e in range(K1):
        offc[e] = e * block
    with nogil, parallel(num_threads=n_threads):
        # per thread, zeroed once per call: borders, slack and padding lanes stay zero from image to image
        xpad = <floating *>_scratch(SLOT_IMAGE, n_xpad * sizeof(floating), True)  # image + slack + ones
        wide = <floating *>_scratch(SLOT_DW_WIDE, n_wide * sizeof(floating), True)
        col = <floating *>_scratch(SLOT_DW_COL, K1 * block * sizeof(floating), True)
        tile = <floating *>_scratch(SLOT_DW_TILE, n_tile * sizeof(floating), True)
        vacc = <floating *>_scratch(SLOT_DW_VACC, n_vacc * sizeof(floating), False)
        if xpad == NULL or wide == NULL or col == NULL or tile == NULL or vacc == NULL:
            failp[0] = 1
        else:
            if path != PATH_IM2COL:
                for ie in range(qv):
                    xpad[ones_at + ie] = 1
            for ie in range(block):
                col[K * block + ie] = 1
        for job in prange(chunks * groups, schedule="static"):
            if xpad == NULL or wide == NULL or col == NULL or tile == NULL or vacc == NULL:
                continue
            ch = job // groups
            j0 = (job % groups) * gsize
            j1 = j0 + gsize
            if j1 > K1:
                j1 = K1
            if j0 >= j1:
                continue
            part = partial + ch * part_size
            for e in range(n_vacc):
                vacc[e] = 0
            for n in range(ch * N // chunks, (ch + 1) * N // chunks):
                if path != PATH_IM2COL and rows:  # the image's rows as they are: nothing dropped, nothing wasted
                    if path == PATH_DIRECT:
                        ck_embed(&x[n, 0, 0, 0], C, H * W, H, W, xpad, plane, HP, WP, pad_h, pad_w, 0, 0)
                    else:
                        _phase_split_image(&x[n, 0, 0, 0], C, H, W, stride_h, stride_w, &plan, xpad)
                    if outer:
                        ck_transpose(&dout[n, 0, 0, 0], F, P, P, wide, FP)
                        ck_dw_outer(j1 - j0, FP, xpad, off + j0, wide, FP, OH, OW, WP, part + j0 * FP, FP)
                    else:
                        ck_dw_reduce(F, j1 - j0, &dout[n, 0, 0, 0], P, xpad, off + j0, OH, OW, OW, WP, vacc, m_outer)
                    continue
                if path == PATH_DIRECT and not ck_embed(&x[n, 0, 0, 0], C, H * W, H, W, xpad, plane, HP, WP,
                                                        pad_h, pad_w, 0, check_finite):
                    # reduce on the wide grid: dout with zeros in the dropped columns
                    ck_embed(&dout[n, 0, 0, 0], F, P, OH, OW, wide, dps, OH, WP, 0, 0, 0, 0)
                    ck_dw_reduce(F, j1 - j0, wide, dps, xpad, off + j0, 1, q_end, 0, 0, vacc, m_outer)
                    continue
                for blk in range(blocks):
                    p0 = blk * block
                    npix = P - p0
                    if npix > block:
                        npix = block
                    ck_im2col(&x[n, 0, 0, 0], C, H, W, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                              OW, p0, npix, col, block)
                    if outer:
                        ck_transpose(&dout[n, 0, 0, 0] + p0, F, P, npix, tile, FP)
                        ck_dw_outer(j1 - j0, FP, col, offc + j0, tile, FP, 1, npix, 0, part + j0 * FP, FP)
                    else:
                        # whole vectors: zero the columns past npix (but in the row of ones) and in the tile
                        for e in range(K):
                            for l in range(npix, _cdiv(npix, VL) * VL):
                                col[e * block + l] = 0
                        for f in range(F):
                            dp = &dout[n, f, 0, 0]
                            for l in range(npix):
                                tile[f * block + l] = dp[p0 + l]
                            for l in range(npix, _cdiv(npix, VL) * VL):
                                tile[f * block + l] = 0
                        ck_dw_reduce(F, j1 - j0, tile, block, col, offc + j0, 1, npix, 0, 0, vacc, m_outer)
            if not outer:
                ck_dw_reduce_finish(F, j1 - j0, vacc, part + j0, K1)
    # sum the chunks into (F, K + 1): the weight gradient and, in the last column, db
    cdef floating *dwb = <floating *>_scratch(SLOT_WEIGHTS, FK1 * sizeof(floating), False)
    if dwb == NULL:
        failed = 1
    if not failed:
        nrows = K1 if outer else F
        for l in prange(nrows, nogil=True, schedule="static", num_threads=_threads_for(chunks * FK1, n_threads)):
            if outer:  # partial (K + 1, FP): row l holds column l of the result
                ck_sum_partials(partial, chunks, part_size, l, l + 1, F, FP, dwb, 1, K1)
            else:  # partial (F, K + 1)
                ck_sum_partials(partial, chunks, part_size, l, l + 1, K1, K1, dwb, K1, 1)
        for f in range(F):
            for l in range(K):
                dwp[f * K + l] = dwb[f * K1 + l]
            db[f] = dwb[f * K1 + K]
    if failed:
        _alloc_error("conv2d_backward")
