# ---------------------------------------------------------------------------------------------------------
# Matrix product on the convolution's GEMM micro-kernel (for dense layers: no BLAS threads involved)
# ---------------------------------------------------------------------------------------------------------

def gemm(
    const floating[:, :] a,             # IN  (M, K), any strides
    const floating[:, ::1] b,           # IN  (K, N), rows contiguous
    floating[:, ::1] out,               # OUT (M, N)
    bias,                               # IN  (N,) contiguous array added to every row, or None
    bint relu,
    int n_threads,
):
    """out = a @ b (+ bias), then max(out, 0) with ``relu`` (fused, per job). Jobs are blocks of 64 rows x
    192 columns, a function of the shapes only, and every element is one dot product over k in order:
    bit-identical for any thread count."""
    cdef ptrdiff_t M = a.shape[0], K = a.shape[1], N = b.shape[1]
    cdef ptrdiff_t NR = _tile_cols(sizeof(floating))
    cdef ptrdiff_t MB = 64, QB = 192, mblocks, qblocks, job, m0, m1, q0, q1, m, q, k
    cdef ptrdiff_t sm = a.strides[0] // <ptrdiff_t>sizeof(floating), sk = a.strides[1] // <ptrdiff_t>sizeof(floating)
    cdef ptrdiff_t ldb = b.strides[0] // <ptrdiff_t>sizeof(floating)
    cdef const floating[::1] bv
    cdef const floating *bp = NULL
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *tail
    cdef ptrdiff_t *toff
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
    QB = QB - QB % NR if QB >= NR else NR
    mblocks = _cdiv(M, MB)
    qblocks = _cdiv(N, QB)
    cdef floating *apack = <floating *>_scratch(SLOT_PACKED, M * K * sizeof(floating), False)
    cdef ptrdiff_t *off = <ptrdiff_t *>_scratch(SLOT_OFFSETS, K * sizeof(ptrdiff_t), False)
    if apack == NULL or off == NULL:
        _alloc_error("gemm")
    for k in range(K):
        off[k] = k * ldb
    with nogil, parallel(num_threads=_threads_for(M * N * K // 16, n_threads)):
        tail = <floating *>_scratch(SLOT_TAIL, K * NR * sizeof(floating), False)
        toff = <ptrdiff_t *>_scratch(SLOT_TAIL_OFF, K * sizeof(ptrdiff_t), False)
        if tail == NULL or toff == NULL:
            failp[0] = 1
        for job in prange(mblocks, schedule="static"):  # pack A, a block of 64 rows per job
            m0 = job * MB
            m1 = m0 + MB if m0 + MB < M else M
            ck_pack_a(m1 - m0, K, &a[m0, 0], sm, sk, apack + m0 * K)
        for job in prange(mblocks * qblocks, schedule="static"):
            if tail == NULL or toff == NULL:
                continue
            m0 = (job // qblocks) * MB
            m1 = m0 + MB if m0 + MB < M else M
            q0 = (job % qblocks) * QB
            q1 = q0 + QB if q0 + QB < N else N
            # panels start at multiples of 8 rows: apack + m0 * K is where row m0's panel begins
            ck_shift_gemm(m1 - m0, K, apack + m0 * K, &b[0, 0], off, NULL, q0, q1, N, N, &out[m0, 0], N, tail, toff)
            if bp != NULL:
                for m in range(m0, m1):
                    for q in range(q0, q1):
                        out[m, q] = out[m, q] + bp[q]
            if relu:
                _relu_planes(&out[m0, 0], m1 - m0, N, q0, q1)
    if failed:
        _alloc_error("gemm")
