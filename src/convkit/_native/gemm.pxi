# ---------------------------------------------------------------------------------------------------------
# Matrix product for the dense layers: convkit's packed GEMM (gemm.h; no BLAS threads involved)
# ---------------------------------------------------------------------------------------------------------

cdef enum:
    NARROW_MAX_PANEL = 4 * 1024 * 1024  # bytes of the deepest panel of B a narrow product packs (else blocked)
    # bytes of the packed B of a wider product that reads A in place: a Zen 3 core's L2 (on the Xeon, 1 thread,
    # both ISAs: 1.0-1.6x the blocked path's speed up to 1 MB of B, 0.83-0.97x from 2 MB)
    IN_PLACE_MAX_B = 512 * 1024
    IN_PLACE_ROW_SPLIT = 4              # tiles of rows per thread from which threads take bands of rows
    PACK_ROWS = 16                      # rows of a row-major B packed by one job
    # _gemm_one_block from this many tiles of rows: with fewer, its jobs of one tile each split unevenly and
    # the general loops' jobs over panels did better (2 threads, 64 x 256 x 120: 48 against 40 us with
    # AVX-512, 56 against 41 with AVX2; 64 x 120 x 400: 60 against 42)
    ONE_BLOCK_MIN_TILES = 16

cdef inline ptrdiff_t _b_pack_jobs(ptrdiff_t pk, ptrdiff_t jn, ptrdiff_t sbn, ptrdiff_t NR) noexcept nogil:
    """The jobs that pack a pk x jn block of B: row-major B in chunks of PACK_ROWS rows of every panel, else
    panel by panel."""
    return _cdiv(pk, PACK_ROWS) if sbn == 1 else _cdiv(jn, NR)


cdef inline void _pack_b_job(ptrdiff_t p, ptrdiff_t pk, ptrdiff_t jn, const floating *b, ptrdiff_t sbk,
                             ptrdiff_t sbn, ptrdiff_t NR, floating *bpack) noexcept nogil:
    """Job p of _b_pack_jobs: its part of the pk x jn block of B at b, into the panels of bpack ([k][NR])."""
    cdef ptrdiff_t c0 = p * NR
    if sbn == 1:
        ck_gemm_pack_b_rows(p * PACK_ROWS, pk if (p + 1) * PACK_ROWS > pk else (p + 1) * PACK_ROWS, pk, jn, b, sbk,
                            bpack)
    else:
        ck_gemm_pack_b(pk, jn - c0 if jn - c0 < NR else NR, b + c0 * sbn, sbk, sbn, bpack + c0 * pk)


cdef int _gemm_blocked(
    ptrdiff_t M, ptrdiff_t N, ptrdiff_t K,
    const floating *a, ptrdiff_t sm, ptrdiff_t sk,         # IN  (M, K): element (i, k) at a[i*sm + k*sk]
    const floating *b, ptrdiff_t sbk, ptrdiff_t sbn,       # IN  (K, N): element (k, j) at b[k*sbk + j*sbn]
    const floating *bias, bint relu,                       # IN  (N,) or NULL
    floating *out, ptrdiff_t ldo,                          # OUT (M, N), row stride ldo
    floating *apack, floating *bpack, const ptrdiff_t *blk, int threads,
) noexcept nogil:
    """The BLIS loops: for each block of nc columns and kc of K the threads pack the panels of B and A, then
    compute blocks of mc rows x one panel of columns (ck_gemm_block), the rows split into blocks of at most
    MC rows as evenly as whole panels allow (128 rows as 126 + 2 on AVX2 left the second thread 2 rows of
    work: 9.2 ms on 128 x 3136 x 1024, 4.8 on 126 rows). With no more blocks than threads the jobs go panel
    by panel, each thread computing its panels for every block (block by block, each thread streamed all of
    B for its block: 6.3 against 5.0-5.3 ms on 128 x 3136 x 1024); with more, block by block, so that a
    thread's block of A stays in L2 (2048^3 on one thread 100 against 94 GFLOP/s). Either way each element
    is computed by one job, in the same operations. On several threads, a product of one
    block with at least ONE_BLOCK_MIN_TILES tiles of rows, and as many as panels of columns, takes
    _gemm_one_block (the same bits: each element is the same dot product; on one thread its calls per tile
    of rows cost more, 9.7 against 8.6 us on 256 x 16 x 64 with AVX2). Returns -1 when a thread's scratch
    could not be allocated, else 0."""
    cdef ptrdiff_t MR = blk[0], NR = blk[1], KC = blk[2], MC = blk[3], NC = blk[4]
    cdef ptrdiff_t apanels = _cdiv(M, MR), mblocks = _cdiv(M, MC)
    cdef ptrdiff_t mc = _cdiv(_cdiv(M, mblocks), MR) * MR if M > 0 else MC
    cdef bint by_panel = mblocks <= threads
    cdef ptrdiff_t jb, kb, j0, jn, nbp, bjobs, p0, pk, p, i, job, m0, c0
    if threads > 1 and N <= NC and K <= KC and apanels >= ONE_BLOCK_MIN_TILES and apanels >= _cdiv(N, NR):
        return _gemm_one_block(M, N, K, a, sm, sk, b, sbk, sbn, bias, relu, out, ldo, bpack, MR, NR, threads)
    with parallel(num_threads=threads):
        for jb in range(_cdiv(N, NC)):
            j0 = jb * NC
            jn = N - j0 if N - j0 < NC else NC
            nbp = _cdiv(jn, NR)
            for kb in range(_cdiv(K, KC)):
                p0 = kb * KC
                pk = K - p0 if K - p0 < KC else KC
                bjobs = _b_pack_jobs(pk, jn, sbn, NR)
                for p in prange(bjobs + apanels, schedule="static"):  # pack this block's panels of B and A
                    if p < bjobs:
                        _pack_b_job(p, pk, jn, b + p0 * sbk + j0 * sbn, sbk, sbn, NR, bpack)
                    else:
                        i = (p - bjobs) * MR
                        ck_gemm_pack_a(M - i if M - i < MR else MR, pk, a + i * sm + p0 * sk, sm, sk,
                                       apack + i * pk)
                for job in prange(mblocks * nbp, schedule="static"):  # mc rows x one panel of columns
                    m0 = (job % mblocks if by_panel else job // nbp) * mc
                    c0 = (job // mblocks if by_panel else job % nbp) * NR
                    ck_gemm_block(M - m0 if M - m0 < mc else mc, jn - c0 if jn - c0 < NR else NR, pk,
                                  apack + m0 * pk, bpack + c0 * pk, p0 == 0, p0 + pk == K,
                                  bias + j0 + c0 if bias != NULL else NULL, relu, out + m0 * ldo + j0 + c0, ldo)
    return 0


cdef int _gemm_one_block(
    ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, const floating *a, ptrdiff_t sm, ptrdiff_t sk, const floating *b,
    ptrdiff_t sbk, ptrdiff_t sbn, const floating *bias, bint relu, floating *out, ptrdiff_t ldo,
    floating *bpack, ptrdiff_t MR, ptrdiff_t NR, int threads,
) noexcept nogil:
    """_gemm_blocked's loops for one block (N <= nc, K <= kc): the threads pack B's panels, then each job
    packs MR rows of A into its own thread's scratch and computes them across every panel. On the small
    products of dense layers (256 x 120 x 84), 2 threads ran no faster than 1 when they shared the packed
    panels of A (each packed by one core, read by the other) and split mc-row blocks unevenly."""
    cdef ptrdiff_t p, job, i0, rows
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *apack
    with parallel(num_threads=threads):
        apack = <floating *>_scratch(SLOT_TAIL, MR * K * sizeof(floating), False)
        if apack == NULL:
            failp[0] = 1
        for p in prange(_b_pack_jobs(K, N, sbn, NR), schedule="static"):
            _pack_b_job(p, K, N, b, sbk, sbn, NR, bpack)
        for job in prange(_cdiv(M, MR), schedule="static"):  # MR rows x every panel
            if apack == NULL:
                continue
            i0 = job * MR
            rows = M - i0 if M - i0 < MR else MR
            ck_gemm_pack_a(rows, K, a + i0 * sm, sm, sk, apack)
            ck_gemm_block(rows, N, K, apack, bpack, True, True, bias, relu, out + i0 * ldo, ldo)
    return -1 if failed else 0


cdef void _gemm_a_in_place(
    ptrdiff_t M, ptrdiff_t N, ptrdiff_t K,
    const floating *a, ptrdiff_t sm, ptrdiff_t sk,         # IN  (M, K): element (i, k) at a[i*sm + k*sk]
    const floating *b, ptrdiff_t sbk, ptrdiff_t sbn,       # IN  (K, N): element (k, j) at b[k*sbk + j*sbn]
    const floating *bias, bint relu,                       # IN  (N,) or NULL
    floating *out,                                         # OUT (M, N), C-contiguous
    floating *bpack, ptrdiff_t MR, ptrdiff_t NR, int threads,  # bpack: ceil(N / NR) panels K x NR, scratch
) noexcept nogil:
    """A product with A read where it is (ck_gemm_narrow): all of B packed once into panels K deep, then
    MR rows x one panel at a time. One thread goes row by row across every panel, the rows of A in L1 while
    the panels stream from L2, and opens no parallel region (one costs ~0.5 us, as much as a classifier
    head's product). Several threads pack B together, then take bands of rows when there are
    IN_PLACE_ROW_SPLIT tiles of rows per thread, else split the tiles panel by panel, each reading its
    share of B (64 x 256 x 256 on 2 threads: 78 us, against 118 by rows)."""
    cdef ptrdiff_t t, p, tiles = _cdiv(M, MR), panels = _cdiv(N, NR)
    cdef bint by_rows = tiles >= IN_PLACE_ROW_SPLIT * threads
    if threads == 1:
        for p in range(_b_pack_jobs(K, N, sbn, NR)):
            _pack_b_job(p, K, N, b, sbk, sbn, NR, bpack)
        for t in range(tiles):
            for p in range(panels):
                _tile_in_place(t * MR, p * NR, M, N, K, a, sm, sk, bpack, bias, relu, out, MR, NR)
        return
    with parallel(num_threads=threads):
        for p in prange(_b_pack_jobs(K, N, sbn, NR), schedule="static"):
            _pack_b_job(p, K, N, b, sbk, sbn, NR, bpack)
        for t in prange(tiles * panels, schedule="static"):
            if by_rows:
                _tile_in_place(t // panels * MR, t % panels * NR, M, N, K, a, sm, sk, bpack, bias, relu, out, MR, NR)
            else:
                _tile_in_place(t % tiles * MR, t // tiles * NR, M, N, K, a, sm, sk, bpack, bias, relu, out, MR, NR)


cdef inline void _tile_in_place(
    ptrdiff_t i0, ptrdiff_t j0, ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, const floating *a, ptrdiff_t sm,
    ptrdiff_t sk, const floating *bpack, const floating *bias, bint relu, floating *out, ptrdiff_t MR,
    ptrdiff_t NR,
) noexcept nogil:
    """_gemm_a_in_place's tile of rows i0 .. i0 + MR and columns j0 .. j0 + NR (fewer at the ends)."""
    ck_gemm_narrow(M - i0 if M - i0 < MR else MR, N - j0 if N - j0 < NR else NR, K, a + i0 * sm, sm, sk,
                   bpack + j0 * K, bias + j0 if bias != NULL else NULL, relu, out + i0 * N + j0, N)


cdef inline ptrdiff_t _padded_work(ptrdiff_t M, ptrdiff_t N, ptrdiff_t MR, ptrdiff_t NR) noexcept nogil:
    """The multiply-adds per k that whole MR x NR tiles spend on an M x N product."""
    return _cdiv(M, MR) * MR * _cdiv(N, NR) * NR


cdef enum GemmPath:
    GEMM_BLOCKED
    GEMM_A_IN_PLACE
    GEMM_TRANSPOSED


cdef int _forced_gemm_path = -1
_GEMM_PATH_NAMES = ("blocked", "a_in_place", "transposed")  # in GemmPath's order


cdef inline GemmPath _gemm_path(ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, ptrdiff_t itemsize,
                                const ptrdiff_t *blk) noexcept nogil:
    """How gemm computes an M x K by K x N product (blk: ck_gemm_blocking's), unless force_gemm_path
    chose: A read in place for at most one panel of columns (unless K is too deep for one packed panel);
    transposed where the few columns would leave a quarter or more of the register tiles empty and the
    rows would not; A read in place where all of B, packed, fits in IN_PLACE_MAX_B (LeNet's dense layers,
    1.1-1.6x the blocked path's speed: packing A had cost as much as a fifth of the product); else
    blocked."""
    cdef ptrdiff_t MR = blk[0], NR = blk[1]
    if _forced_gemm_path >= 0:
        return <GemmPath>_forced_gemm_path
    if N <= NR and K * NR * itemsize <= NARROW_MAX_PANEL:
        return GEMM_A_IN_PLACE
    if 4 * _padded_work(N, M, MR, NR) <= 3 * _padded_work(M, N, MR, NR):
        return GEMM_TRANSPOSED
    if K * _cdiv(N, NR) * NR * itemsize <= IN_PLACE_MAX_B:
        return GEMM_A_IN_PLACE
    return GEMM_BLOCKED


def gemm_path(M, N, K, itemsize):
    """The path gemm takes for these shapes at the current SIMD level: "blocked", "a_in_place" or
    "transposed" (for tests and benchmarks)."""
    cdef ptrdiff_t blk[5]
    _gemm_blocking(itemsize, blk)
    return _GEMM_PATH_NAMES[_gemm_path(M, N, K, itemsize, blk)]


def force_gemm_path(path=None):
    """Force gemm's path ("blocked", "a_in_place" or "transposed") for every shape; None restores the
    rule. For tests; returns the previous setting."""
    global _forced_gemm_path
    if path is not None and path not in _GEMM_PATH_NAMES:
        raise ValueError(
            f"force_gemm_path: path must be one of {sorted(_GEMM_PATH_NAMES)} or None. Received: {path!r}")
    previous = _GEMM_PATH_NAMES[_forced_gemm_path] if _forced_gemm_path >= 0 else None
    _forced_gemm_path = -1 if path is None else _GEMM_PATH_NAMES.index(path)
    return previous


def gemm(
    const floating[:, :] a,             # IN  (M, K), any strides
    const floating[:, :] b,             # IN  (K, N), any strides
    floating[:, ::1] out,               # OUT (M, N)
    bias,                               # IN  (N,) contiguous array added to every row, or None
    bint relu,
    int n_threads,
):
    """out = a @ b (+ bias), then max(out, 0) with ``relu``, on the path _gemm_path chooses: BLIS-style
    (_gemm_blocked); A read in place, not packed, for few columns or small products (_gemm_a_in_place);
    or transposed, where few columns would leave much of each register tile empty (the tiles are wide:
    2 vectors): C^T = B^T A^T into scratch, copied back with the bias and ReLU. Every way, every element
    is one dot product over k in order, then + bias, the path and the tiles depending on the shapes and the
    SIMD level only: bit-identical for any thread count."""
    cdef ptrdiff_t M = a.shape[0], K = a.shape[1], N = b.shape[1]
    cdef ptrdiff_t it = sizeof(floating)
    cdef ptrdiff_t sm = a.strides[0] // it, sk = a.strides[1] // it
    cdef ptrdiff_t sbk = b.strides[0] // it, sbn = b.strides[1] // it
    cdef ptrdiff_t blk[5]
    cdef ptrdiff_t MR, NR, rows, cols, m, q
    cdef GemmPath path
    cdef bint transposed
    cdef int threads, status
    cdef const floating[::1] bv
    cdef const floating *bp = NULL
    cdef floating *apack
    cdef floating *bpack
    cdef floating *ct
    cdef floating v
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
            _relu_span(&out[0, 0], 0, M * N, NULL)
        return
    ck_gemm_blocking(&out[0, 0], blk)
    MR, NR = blk[0], blk[1]
    path = _gemm_path(M, N, K, it, blk)
    threads = _threads_for(M * N * K // 16, n_threads)
    if path == GEMM_A_IN_PLACE:
        bpack = <floating *>_scratch(SLOT_WEIGHTS, K * _cdiv(N, NR) * NR * it, False)
        if bpack == NULL:
            _alloc_error("gemm")
        with nogil:
            _gemm_a_in_place(M, N, K, &a[0, 0], sm, sk, &b[0, 0], sbk, sbn, bp, relu, &out[0, 0], bpack, MR, NR,
                             threads)
        return
    transposed = path == GEMM_TRANSPOSED
    rows, cols = (N, M) if transposed else (M, N)
    if blk[2] > K:
        blk[2] = K
    apack = <floating *>_scratch(SLOT_PACKED, _cdiv(rows, MR) * MR * blk[2] * it, False)
    bpack = <floating *>_scratch(SLOT_WEIGHTS, _cdiv(blk[4] if blk[4] < cols else cols, NR) * NR * blk[2] * it, False)
    ct = <floating *>_scratch(SLOT_IMAGE, M * N * it, False) if transposed else NULL
    if apack == NULL or bpack == NULL or (transposed and ct == NULL):
        _alloc_error("gemm")
    with nogil:
        if not transposed:
            status = _gemm_blocked(M, N, K, &a[0, 0], sm, sk, &b[0, 0], sbk, sbn, bp, relu, &out[0, 0], N, apack,
                                   bpack, blk, threads)
        else:
            status = _gemm_blocked(N, M, K, &b[0, 0], sbn, sbk, &a[0, 0], sk, sm, NULL, False, ct, M, apack, bpack,
                                   blk, threads)
    if status < 0:
        _alloc_error("gemm")
    if transposed:
        with nogil:
            for m in range(M):  # out = ct^T + bias, then ReLU (x if x > 0 or NaN, else 0)
                for q in range(N):
                    v = ct[q * M + m] + bp[q] if bp != NULL else ct[q * M + m]
                    out[m, q] = v if (v > 0 or v != v or not relu) else 0
