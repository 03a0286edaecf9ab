# ---------------------------------------------------------------------------------------------------------
# Matrix product for the dense layers: convkit's packed GEMM (gemm.h; no BLAS threads involved)
# ---------------------------------------------------------------------------------------------------------

def gemm(
    const floating[:, :] a,             # IN  (M, K), any strides
    const floating[:, :] b,             # IN  (K, N), any strides
    floating[:, ::1] out,               # OUT (M, N)
    bias,                               # IN  (N,) contiguous array added to every row, or None
    bint relu,
    int n_threads,
):
    """out = a @ b (+ bias), then max(out, 0) with ``relu``, BLIS-style: for each block of nc columns and
    kc of K (sizes from the shapes and the SIMD level only), the threads pack the panels of B and A, then
    compute blocks of mc rows x one panel of columns. Every element is one dot product over k in order,
    then + bias: bit-identical for any thread count."""
    cdef ptrdiff_t M = a.shape[0], K = a.shape[1], N = b.shape[1]
    cdef ptrdiff_t it = sizeof(floating)
    cdef ptrdiff_t sm = a.strides[0] // it, sk = a.strides[1] // it
    cdef ptrdiff_t sbk = b.strides[0] // it, sbn = b.strides[1] // it
    cdef ptrdiff_t blk[5]
    cdef ptrdiff_t MR, NR, KC, MC, NC, apanels, bpanels, mblocks, m, q
    cdef ptrdiff_t jb, kb, j0, jn, nbp, p0, pk, p, i, job, m0, c0
    cdef const floating[::1] bv
    cdef const floating *bp = NULL
    if M == 0 or N == 0:
        return
    if bias is not None:
        bv = bias
        bp = &bv[0]
    if K == 0:
        for m in range(M):
            for q in range(N):
                out[m, q] = bp[q] if bp != NULL else 0
        if relu:
            _relu_span(&out[0, 0], 0, M * N)
        return
    ck_gemm_blocking(&out[0, 0], blk)
    MR, NR, KC, MC, NC = blk[0], blk[1], blk[2], blk[3], blk[4]
    if KC > K:
        KC = K
    apanels = _cdiv(M, MR)
    bpanels = _cdiv(NC if NC < N else N, NR)
    mblocks = _cdiv(M, MC)
    cdef floating *apack = <floating *>_scratch(SLOT_PACKED, apanels * MR * KC * it, False)
    cdef floating *bpack = <floating *>_scratch(SLOT_WEIGHTS, bpanels * NR * KC * it, False)
    if apack == NULL or bpack == NULL:
        _alloc_error("gemm")
    with nogil, parallel(num_threads=_threads_for(M * N * K // 16, n_threads)):
        for jb in range(_cdiv(N, NC)):
            j0 = jb * NC
            jn = N - j0 if N - j0 < NC else NC
            nbp = _cdiv(jn, NR)
            for kb in range(_cdiv(K, KC)):
                p0 = kb * KC
                pk = K - p0 if K - p0 < KC else KC
                for p in prange(nbp + apanels, schedule="static"):  # pack this block's panels of B and A
                    if p < nbp:
                        c0 = p * NR
                        ck_gemm_pack_b(pk, jn - c0 if jn - c0 < NR else NR, &b[p0, j0 + c0], sbk, sbn,
                                       bpack + c0 * pk)
                    else:
                        i = (p - nbp) * MR
                        ck_gemm_pack_a(M - i if M - i < MR else MR, pk, &a[i, p0], sm, sk, apack + i * pk)
                for job in prange(mblocks * nbp, schedule="static"):  # mc rows x one panel of columns
                    m0 = (job // nbp) * MC
                    c0 = (job % nbp) * NR
                    ck_gemm_block(M - m0 if M - m0 < MC else MC, jn - c0 if jn - c0 < NR else NR, pk,
                                  apack + m0 * pk, bpack + c0 * pk, p0 == 0, p0 + pk == K,
                                  bp + j0 + c0 if bp != NULL else NULL, relu, &out[m0, j0 + c0], N)
