/* ---------------------------------------------------------------------------------------------------
 * shift GEMM: C[m][q] = sum_k A[m][k] * base[off[k] + q]
 *
 * "B" is never materialised: its row k is the contiguous run base + off[k]. With base = a zero-padded
 * image and off[k] = c*plane + kh*WP + kw this is a stride-1 convolution computed on the "wide" output
 * grid q = oh*WP + ow (columns ow >= OW are computed and dropped); with off[k] = k*ld it is an ordinary
 * GEMM against an im2col tile.
 * --------------------------------------------------------------------------------------------------- */

/* One MR x (NV*VL) register tile over the whole K: acc stays in registers, A is packed [k][MR]. NV <
 * CK_NV (a narrower tile) serves the last vectors of a range of whole output rows (ck_shift_rows). */
static inline __attribute__((always_inline)) void
FN(mk_shift)(const int MR, const int NV, ptrdiff_t K, const T *restrict ap, const T *restrict bq,
             const ptrdiff_t *restrict off, const ptrdiff_t *restrict qo /* CK_NV vector positions */,
             T *restrict buf /* MR x NR */) {
    const ptrdiff_t q0 = qo[0], q1 = CK_NV > 1 ? qo[1 % CK_NV] : 0, q2 = CK_NV > 2 ? qo[2 % CK_NV] : 0;
    V acc[CK_MRMAX][CK_NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NV; j++) acc[i][j] = (V){0};
    for (ptrdiff_t k = 0; k < K; k++) {
        const T *b = bq + off[k];
        const T *a = ap + k * MR;
        V bv[CK_NV];
#pragma GCC unroll 8
        for (int j = 0; j < NV; j++) bv[j] = FN(vload)(b + (j == 0 ? q0 : j == 1 ? q1 : q2));
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            const T ai = a[i];
#pragma GCC unroll 8
            for (int j = 0; j < NV; j++) acc[i][j] += ai * bv[j];
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NV; j++) FN(vstore)(buf + i * NR + j * VL, acc[i][j]);
}

/* The variants: mk_shift_<MR>_<NV>, NV = 1, 2 and CK_NV (2 or 3; the baseline's 2 is defined twice over
 * under two names, which costs code size only). */
#define CK_MK_SHIFT_NV(mr, nv, name)                                                                                   \
    static __attribute__((noinline)) void FN(name)(ptrdiff_t K, const T *restrict ap, const T *restrict bq,            \
                                                   const ptrdiff_t *restrict off, const ptrdiff_t *restrict qo,        \
                                                   T *restrict buf) {                                                  \
        FN(mk_shift)(mr, nv, K, ap, bq, off, qo, buf);                                                                 \
    }
#define CK_MK_SHIFT(mr)                                                                                                \
    CK_MK_SHIFT_NV(mr, CK_NV, mk_shift_##mr)                                                                           \
    CK_MK_SHIFT_NV(mr, 1, mk_shift_##mr##_1)                                                                           \
    CK_MK_SHIFT_NV(mr, 2, mk_shift_##mr##_2)
CK_MK_SHIFT(1)
CK_MK_SHIFT(2)
CK_MK_SHIFT(3)
CK_MK_SHIFT(4)
#if CK_MRMAX >= 8
CK_MK_SHIFT(5)
CK_MK_SHIFT(6)
CK_MK_SHIFT(7)
CK_MK_SHIFT(8)
#endif

#define CK_MK_SHIFT_CASE(mr)                                                                                           \
    case mr:                                                                                                           \
        if (nv >= CK_NV)                                                                                               \
            FN(mk_shift_##mr)(K, ap, bq, o, qo, buf);                                                                  \
        else if (nv == 2)                                                                                              \
            FN(mk_shift_##mr##_2)(K, ap, bq, o, qo, buf);                                                              \
        else                                                                                                           \
            FN(mk_shift_##mr##_1)(K, ap, bq, o, qo, buf);                                                              \
        break;

/* An mr x (nv vectors) tile, nv <= CK_NV (the first nv vectors of buf's rows written). */
static inline void FN(mk_shift_any)(int mr, int nv, ptrdiff_t K, const T *ap, const T *bq, const ptrdiff_t *o,
                                    const ptrdiff_t *qo, T *buf) {
    switch (mr) {
#if CK_MRMAX >= 8
        CK_MK_SHIFT_CASE(8)
        CK_MK_SHIFT_CASE(7)
        CK_MK_SHIFT_CASE(6)
        CK_MK_SHIFT_CASE(5)
#endif
        CK_MK_SHIFT_CASE(4)
        CK_MK_SHIFT_CASE(3)
        CK_MK_SHIFT_CASE(2)
    default: CK_MK_SHIFT_CASE(1)
    }
}
#undef CK_MK_SHIFT_CASE

/* Rows of A go into panels of CK_MRMAX rows, the last one holding what is left (any size): the same
 * rule in pack and in the GEMM. */
static inline int FN(panel_rows)(ptrdiff_t left) { return left >= CK_MRMAX ? CK_MRMAX : (int)left; }

/* apack <- A (M x K, element (m, k) at a[m*sm + k*sk]) as consecutive panels, each [k][rows]. */
void FN(ck_pack_a)(ptrdiff_t M, ptrdiff_t K, const T *a, ptrdiff_t sm, ptrdiff_t sk, T *apack) {
    for (ptrdiff_t m0 = 0; m0 < M;) {
        const int mr = FN(panel_rows)(M - m0);
        for (ptrdiff_t k = 0; k < K; k++)
            for (int i = 0; i < mr; i++) *apack++ = a[(m0 + i) * sm + k * sk];
        m0 += mr;
    }
}

/* ---------------------------------------------------------------------------------------------------
 * Packed GEMM (GotoBLAS/BLIS): C = A B (+ bias, ReLU), A (M x K) and B (K x N) of any strides.
 *
 * The caller cuts K into blocks of kc and the columns into blocks of nc; for each it packs B into panels
 * of CK_GNR columns ([k][CK_GNR], zero-padded past N) and A into panels of CK_GMR rows ([k][CK_GMR],
 * zero-padded past M), then runs ck_gemm_block on blocks of mc rows x some panels of columns. The
 * micro-kernel holds a CK_GMR x CK_GNR tile of C in registers over one K block, starting from zero on the
 * first block and from C's partial sums on the others: every element of C is one dot product over
 * k = 0..K-1 in order, then + bias, then ReLU, whatever the blocking or the thread that computes it.
 * --------------------------------------------------------------------------------------------------- */

#ifndef CK_GMR
#if CK_VBYTES >= 64 /* 32 zmm: 8 x 3 accumulators + 3 loads of B + 1 broadcast of A */
#define CK_GMR 12
#define CK_GNV 2
#elif CK_VBYTES >= 32 /* 16 ymm: 6 x 2 accumulators + 2 loads + 1 broadcast */
#define CK_GMR 6
#define CK_GNV 2
#else /* 16 xmm, no FMA: room for the product temporaries */
#define CK_GMR 4
#define CK_GNV 2
#endif
#endif
#define GNR (CK_GNV * VL)

/* The register tile and the cache blocks at this level for this type: blk = {mr, nr, kc, mc, nc}. kc:
 * CK_GKC bytes of each row of a panel (AVX2: a kc x nr panel of B in L1 while the panels of A stream
 * past it; AVX-512: twice as deep, both from L2, fewer passes over C: 2048^3 went from 0.83x to 0.91x
 * NumPy's GFLOP/s on a Sapphire Rapids core); mc: an mc x kc block of A in about CK_GL2 bytes of L2; nc:
 * a kc x nc block of B in about 6 MB. */
#ifndef CK_GL2
#if CK_VBYTES >= 64
#define CK_GL2 (384 * 1024)
#else
#define CK_GL2 (192 * 1024)
#endif
#endif
#ifndef CK_GKC
#if CK_VBYTES >= 64
#define CK_GKC 3072
#else
#define CK_GKC 1536
#endif
#endif
void FN(ck_gemm_blocking)(ptrdiff_t *blk) {
    const ptrdiff_t kc = CK_GKC / (ptrdiff_t)sizeof(T);
    blk[0] = CK_GMR;
    blk[1] = GNR;
    blk[2] = kc;
    blk[3] = CK_GL2 / (kc * (ptrdiff_t)sizeof(T)) / CK_GMR * CK_GMR;
    blk[4] = 6 * 1024 * 1024 / (kc * (ptrdiff_t)sizeof(T)) / GNR * GNR;
}

#if defined(__GNUC__) && !defined(__clang__)
/* The shuffle masks of transpose_square's log2(VL) rounds (round t swaps blocks of VL / 2^(t+1) lanes),
 * built once per pack: built inside each square, they were rebuilt lane by lane at every call. */
static inline void FN(transpose_masks)(VI lo[4], VI hi[4]) {
    int t = 0;
    for (int s = VL / 2; s >= 1; s /= 2, t++)
        for (int l = 0; l < VL; l++) {
            lo[t][l] = (UT)((l & s) ? VL + l - s : l);
            hi[t][l] = (UT)((l & s) ? VL + l : l + s);
        }
}

/* r[0 .. VL) transposed in place (r[i][l] <-> r[l][i]): log2(VL) rounds of swapping blocks of s lanes
 * between rows i and i + s, two-register shuffles with the masks of transpose_masks. */
static inline __attribute__((always_inline)) void FN(transpose_square)(V *r, const VI lo[4], const VI hi[4]) {
    int t = 0;
#pragma GCC unroll 8
    for (int s = VL / 2; s >= 1; s /= 2, t++) {
        const VI mlo = lo[t], mhi = hi[t];
#pragma GCC unroll 16
        for (int i = 0; i < VL; i++)
            if (!(i & s)) {
                const V x = r[i], y = r[i + s];
                r[i] = __builtin_shuffle(x, y, mlo);
                r[i + s] = __builtin_shuffle(x, y, mhi);
            }
    }
}
#define CK_GEMM_TRANSPOSE 1
#endif

/* One panel of A: rows (<= CK_GMR) x K from a (element (i, k) at a[i*sm + k*sk]) into ap[k][CK_GMR]. */
void FN(ck_gemm_pack_a)(ptrdiff_t rows, ptrdiff_t K, const T *a, ptrdiff_t sm, ptrdiff_t sk, T *ap) {
    if (sm == 1) {
        for (ptrdiff_t k = 0; k < K; k++)
#pragma GCC unroll 4
            for (int i = 0; i < CK_GMR; i += VL)
                FN(vstore_upto)(ap + k * CK_GMR + i, FN(vload_upto)(a + k * sk + i, rows - i), CK_GMR - i);
        return;
    }
    ptrdiff_t k0 = 0;
#if defined(CK_GEMM_TRANSPOSE)
    /* A row-major (a dense layer's input or upstream gradient), a whole panel: VL x VL squares, the rows
     * past CK_GMR zero (LeNet's fc2 forward, one core: AVX2 72 -> 76 GFLOP/s, AVX-512 86 -> 94); the last
     * kt < VL columns of K as a square of partial loads, of which kt rows are stored (the ResNet-20
     * head's dX, K = 10, had spent as long packing A element by element as multiplying) */
    if (sk == 1 && rows == CK_GMR) {
        VI lo[4], hi[4];
        FN(transpose_masks)(lo, hi);
        for (; k0 < K; k0 += VL) {
            const ptrdiff_t kt = K - k0 < VL ? K - k0 : VL;
#pragma GCC unroll 2
            for (int c0 = 0; c0 < CK_GMR; c0 += VL) {
                V r[VL];
#pragma GCC unroll 16
                for (int t = 0; t < VL; t++)
                    r[t] = c0 + t >= CK_GMR ? (V){0}
                        : kt == VL          ? FN(vload)(a + (c0 + t) * sm + k0)
                                            : FN(vload_part)(a + (c0 + t) * sm + k0, kt);
                FN(transpose_square)(r, lo, hi);
#pragma GCC unroll 16
                for (int t = 0; t < VL; t++)
                    if (t < kt) FN(vstore_upto)(ap + (k0 + t) * CK_GMR + c0, r[t], CK_GMR - c0);
            }
        }
    }
#endif
    for (int i = 0; i < rows; i++) {
        const T *src = a + i * sm;
        for (ptrdiff_t k = k0; k < K; k++) ap[k * CK_GMR + i] = src[k * sk];
    }
    for (int i = (int)rows; i < CK_GMR; i++)
        for (ptrdiff_t k = 0; k < K; k++) ap[k * CK_GMR + i] = 0;
}

/* Rows k0 .. k1 of every panel of B, B row-major (element (k, j) at b[k*sk + j]) with cols columns:
 * each row of B read once, front to back, its pieces stored into the panels (bp: ceil(cols / CK_GNR)
 * panels, each K x CK_GNR, zero-padded past cols). Packing panel by panel instead reads a new row of B,
 * likely a new page, at every k, which no hardware prefetcher follows. */
void FN(ck_gemm_pack_b_rows)(ptrdiff_t k0, ptrdiff_t k1, ptrdiff_t K, ptrdiff_t cols, const T *b, ptrdiff_t sk, T *bp) {
    for (ptrdiff_t k = k0; k < k1; k++)
        for (ptrdiff_t c0 = 0; c0 < cols; c0 += GNR)
#pragma GCC unroll 8
            for (int j = 0; j < CK_GNV; j++)
                FN(vstore)(bp + c0 * K + k * GNR + j * VL,
                           FN(vload_upto)(b + k * sk + c0 + j * VL, cols - c0 - j * VL));
}

/* One panel of B: K x cols (<= CK_GNR) from b (element (k, j) at b[k*sk + j*sn]) into bp[k][CK_GNR]. */
void FN(ck_gemm_pack_b)(ptrdiff_t K, ptrdiff_t cols, const T *b, ptrdiff_t sk, ptrdiff_t sn, T *bp) {
    if (sn == 1) { /* B row-major: masked loads, nothing read past a row's cols */
        FN(ck_gemm_pack_b_rows)(0, K, K, cols, b, sk, bp);
        return;
    }
    ptrdiff_t k0 = 0;
#ifdef CK_GEMM_TRANSPOSE
    if (sk == 1 && cols == GNR) { /* B^T row-major (a weight matrix's transpose): VL x VL squares */
        VI lo[4], hi[4];
        FN(transpose_masks)(lo, hi);
        for (; k0 + VL <= K; k0 += VL)
#pragma GCC unroll 4
            for (int jv = 0; jv < CK_GNV; jv++) {
                V r[VL];
#pragma GCC unroll 16
                for (int t = 0; t < VL; t++) r[t] = FN(vload)(b + (jv * VL + t) * sn + k0);
                FN(transpose_square)(r, lo, hi);
#pragma GCC unroll 16
                for (int t = 0; t < VL; t++) FN(vstore)(bp + (k0 + t) * GNR + jv * VL, r[t]);
            }
    }
#endif
    for (ptrdiff_t j = 0; j < cols; j++) {
        const T *src = b + j * sn;
        for (ptrdiff_t k = k0; k < K; k++) bp[k * GNR + j] = src[k * sk];
    }
    for (ptrdiff_t j = cols; j < GNR; j++)
        for (ptrdiff_t k = 0; k < K; k++) bp[k * GNR + j] = 0;
}

/* acc[i][j] += sum over k < K, in order, of a[i*sm + k*sk] * bp[k*CK_GNR + j*VL ..]: an MR x NV register
 * tile's products, A packed (sm = 1, sk = CK_GMR) or read in place. */
static inline __attribute__((always_inline)) void FN(tile_products)(const int MR, const int NV, ptrdiff_t K,
                                                                    const T *restrict a, ptrdiff_t sm, ptrdiff_t sk,
                                                                    const T *restrict bp, V acc[CK_GMR][CK_GNV]) {
    for (ptrdiff_t k = 0; k < K; k++) {
        const T *ak = a + k * sk;
        V bv[CK_GNV];
#pragma GCC unroll 8
        for (int j = 0; j < NV; j++) bv[j] = FN(vload)(bp + k * GNR + j * VL);
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            const T ai = ak[i * sm];
#pragma GCC unroll 8
            for (int j = 0; j < NV; j++) acc[i][j] += ai * bv[j];
        }
    }
}

/* c (CK_GMR x CK_GNR, row stride ldc) <- (first ? 0 : c) + ap bp over K; on the last block + bias and
 * ReLU (x if x > 0 or NaN, else 0). */
static inline __attribute__((always_inline)) void FN(gemm_tile)(ptrdiff_t K, const T *restrict ap, const T *restrict bp,
                                                                T *restrict c, ptrdiff_t ldc, int first, const T *bias,
                                                                int relu) {
    V acc[CK_GMR][CK_GNV];
    if (first) {
#pragma GCC unroll 16
        for (int i = 0; i < CK_GMR; i++)
#pragma GCC unroll 8
            for (int j = 0; j < CK_GNV; j++) acc[i][j] = (V){0};
    } else {
#pragma GCC unroll 16
        for (int i = 0; i < CK_GMR; i++)
#pragma GCC unroll 8
            for (int j = 0; j < CK_GNV; j++) acc[i][j] = FN(vload)(c + i * ldc + j * VL);
    }
    FN(tile_products)(CK_GMR, CK_GNV, K, ap, 1, CK_GMR, bp, acc); /* A packed: [k][CK_GMR] */
    if (bias) {
#pragma GCC unroll 8
        for (int j = 0; j < CK_GNV; j++) {
            const V bj = FN(vload)(bias + j * VL);
#pragma GCC unroll 16
            for (int i = 0; i < CK_GMR; i++) acc[i][j] += bj;
        }
    }
    if (relu) {
#pragma GCC unroll 16
        for (int i = 0; i < CK_GMR; i++)
#pragma GCC unroll 8
            for (int j = 0; j < CK_GNV; j++) acc[i][j] = FN(vrelu)(acc[i][j]);
    }
#pragma GCC unroll 16
    for (int i = 0; i < CK_GMR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < CK_GNV; j++) FN(vstore)(c + i * ldc + j * VL, acc[i][j]);
}

static __attribute__((noinline)) void FN(gemm_tile_first)(ptrdiff_t K, const T *ap, const T *bp, T *c, ptrdiff_t ldc) {
    FN(gemm_tile)(K, ap, bp, c, ldc, 1, NULL, 0);
}

static __attribute__((noinline)) void FN(gemm_tile_next)(ptrdiff_t K, const T *ap, const T *bp, T *c, ptrdiff_t ldc) {
    FN(gemm_tile)(K, ap, bp, c, ldc, 0, NULL, 0);
}

static __attribute__((noinline)) void FN(gemm_tile_last)(ptrdiff_t K, const T *ap, const T *bp, T *c, ptrdiff_t ldc,
                                                         int first, const T *bias, int relu) {
    if (first)
        FN(gemm_tile)(K, ap, bp, c, ldc, 1, bias, relu);
    else
        FN(gemm_tile)(K, ap, bp, c, ldc, 0, bias, relu);
}

/* The rows of C's tile (i0, j0), if inside the block, on their way to L1: the partial sums that the
 * tile's accumulators start from then arrive while the tile before it computes, instead of stalling
 * its first multiply-adds (AVX2, 2048^3 on one core: 80 -> 101 GFLOP/s). */
static inline void FN(prefetch_tile)(ptrdiff_t M, ptrdiff_t N, ptrdiff_t i0, ptrdiff_t j0, const T *c, ptrdiff_t ldc) {
    if (j0 >= N) return;
    const ptrdiff_t rows = M - i0 < CK_GMR ? M - i0 : CK_GMR;
    for (ptrdiff_t i = 0; i < rows; i++) {
        const T *row = c + (i0 + i) * ldc + j0;
        for (ptrdiff_t o = 0; o < GNR; o += 64 / (ptrdiff_t)sizeof(T)) __builtin_prefetch(row + o, 0, 3);
        __builtin_prefetch(row + GNR - 1, 0, 3);
    }
}

/* ---------------------------------------------------------------------------------------------------
 * Narrow GEMM: C = A B (+ bias, ReLU) with N <= CK_GNR columns (a classifier head, a weight gradient of
 * few filters; or one panel of a small product). B is one packed panel, K deep (ck_gemm_pack_b); A is
 * read where it is, each k of a tile of mr rows broadcasting a[i*sm + k*sk]: with so few columns per
 * element of A, packing A cost more than the products. Every element of C is the packed GEMM's dot
 * product over k in order, then + bias, then ReLU: the same values.
 * --------------------------------------------------------------------------------------------------- */
static inline __attribute__((always_inline)) void FN(narrow_tile)(const int MR, const int NV, ptrdiff_t N, ptrdiff_t K,
                                                                  const T *restrict a, ptrdiff_t sm, ptrdiff_t sk,
                                                                  const T *restrict bp, const T *bias, int relu,
                                                                  T *restrict c, ptrdiff_t ldc) {
    V acc[CK_GMR][CK_GNV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NV; j++) acc[i][j] = (V){0};
    FN(tile_products)(MR, NV, K, a, sm, sk, bp, acc);
#pragma GCC unroll 8
    for (int j = 0; j < NV; j++) {
        if (bias) {
            const V bj = FN(vload_upto)(bias + j * VL, N - j * VL);
#pragma GCC unroll 16
            for (int i = 0; i < MR; i++) acc[i][j] += bj;
        }
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            V v = acc[i][j];
            if (relu) v = FN(vrelu)(v);
            FN(vstore_upto)(c + i * ldc + j * VL, v, N - j * VL);
        }
    }
}

/* the variants narrow_<mr>_<nv>: mr = 1 .. CK_GMR rows, nv = 1 or 2 vectors of columns; each with the rows
 * of A adjacent (sm = 1: a weight gradient's x.T) as a case of its own, the broadcasts then at fixed offsets
 * instead of from mr - 1 index registers (LeNet's fc2 dW, 120 x 64 x 84, one AVX-512 core: 19.5 -> 17.8 us) */
#define CK_NARROW_NV(mr, nv)                                                                                           \
    static __attribute__((noinline)) void FN(narrow_##mr##_##nv)(ptrdiff_t N, ptrdiff_t K, const T *a, ptrdiff_t sm,   \
                                                                 ptrdiff_t sk, const T *bp, const T *bias, int relu,   \
                                                                 T *c, ptrdiff_t ldc) {                                \
        if (sm == 1)                                                                                                   \
            FN(narrow_tile)(mr, nv, N, K, a, 1, sk, bp, bias, relu, c, ldc);                                           \
        else                                                                                                           \
            FN(narrow_tile)(mr, nv, N, K, a, sm, sk, bp, bias, relu, c, ldc);                                          \
    }
#define CK_NARROW(mr) CK_NARROW_NV(mr, 1) CK_NARROW_NV(mr, 2)
#define CK_NARROW_CASE(mr)                                                                                             \
    case mr: (nv == 1 ? FN(narrow_##mr##_1) : FN(narrow_##mr##_2))(N, K, a, sm, sk, bp, bias, relu, c, ldc); break;
CK_NARROW(1)
CK_NARROW(2)
CK_NARROW(3)
CK_NARROW(4)
#if CK_GMR > 4
CK_NARROW(5)
CK_NARROW(6)
#endif
#if CK_GMR > 6
CK_NARROW(7)
CK_NARROW(8)
CK_NARROW(9)
CK_NARROW(10)
CK_NARROW(11)
CK_NARROW(12)
#endif

/* Rows [0, rows) of C (rows <= CK_GMR, N <= CK_GNR columns) from A's rows at a and the panel bp. */
void FN(ck_gemm_narrow)(ptrdiff_t rows, ptrdiff_t N, ptrdiff_t K, const T *a, ptrdiff_t sm, ptrdiff_t sk, const T *bp,
                        const T *bias, int relu, T *c, ptrdiff_t ldc) {
    const int nv = N > VL ? 2 : 1;
    switch (rows) {
#if CK_GMR > 6
        CK_NARROW_CASE(12)
        CK_NARROW_CASE(11)
        CK_NARROW_CASE(10)
        CK_NARROW_CASE(9)
        CK_NARROW_CASE(8)
        CK_NARROW_CASE(7)
#endif
#if CK_GMR > 4
        CK_NARROW_CASE(6)
        CK_NARROW_CASE(5)
#endif
        CK_NARROW_CASE(4)
        CK_NARROW_CASE(3)
        CK_NARROW_CASE(2)
    default: CK_NARROW_CASE(1)
    }
}
#undef CK_NARROW_CASE
#undef CK_NARROW
#undef CK_NARROW_NV

/* C block (M x N at c, row stride ldc) over one K block: apack holds ceil(M / CK_GMR) packed panels of A,
 * bpack ceil(N / CK_GNR) packed panels of B, both K deep. first: the first K block (C starts from zero);
 * last: the last one (then + bias[0 .. N), NULL for none, and ReLU with relu). Columns in the outer loop:
 * a panel of B stays in L1 while the panels of A stream from L2. */
void FN(ck_gemm_block)(ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, const T *apack, const T *bpack, int first, int last,
                       const T *bias, int relu, T *c, ptrdiff_t ldc) {
    T buf[CK_GMR * GNR] __attribute__((aligned(64)));
    T bb[GNR];
    const int plain = !last || (!bias && !relu);
    for (ptrdiff_t j0 = 0; j0 < N; j0 += GNR) {
        const ptrdiff_t nc = N - j0 < GNR ? N - j0 : GNR;
        const T *bp = bpack + j0 * K;
        const T *bj = bias ? bias + j0 : NULL;
        if (bj && nc < GNR) { /* the bias padded to a whole tile */
            for (ptrdiff_t j = 0; j < GNR; j++) bb[j] = j < nc ? bj[j] : 0;
            bj = bb;
        }
        for (ptrdiff_t i0 = 0; i0 < M; i0 += CK_GMR) {
            const ptrdiff_t mc = M - i0 < CK_GMR ? M - i0 : CK_GMR;
            const T *ap = apack + i0 * K;
            T *ct = c + i0 * ldc + j0;
            if (!first) /* the next tile: the next rows, or the first rows of the next columns */
                FN(prefetch_tile)(M, N, i0 + CK_GMR < M ? i0 + CK_GMR : 0, i0 + CK_GMR < M ? j0 : j0 + GNR, c, ldc);
            if (mc == CK_GMR && nc == GNR) {
                if (!plain)
                    FN(gemm_tile_last)(K, ap, bp, ct, ldc, first, bj, relu);
                else if (first)
                    FN(gemm_tile_first)(K, ap, bp, ct, ldc);
                else
                    FN(gemm_tile_next)(K, ap, bp, ct, ldc);
                continue;
            }
            /* an edge tile: through a whole-tile buffer */
            if (!first)
                for (ptrdiff_t i = 0; i < mc; i++)
#pragma GCC unroll 8
                    for (int j = 0; j < CK_GNV; j++)
                        FN(vstore)(buf + i * GNR + j * VL, FN(vload_upto)(ct + i * ldc + j * VL, nc - j * VL));
            if (!plain)
                FN(gemm_tile_last)(K, ap, bp, buf, GNR, first, bj, relu);
            else if (first)
                FN(gemm_tile_first)(K, ap, bp, buf, GNR);
            else
                FN(gemm_tile_next)(K, ap, bp, buf, GNR);
            for (ptrdiff_t i = 0; i < mc; i++)
#pragma GCC unroll 8
                for (int j = 0; j < CK_GNV; j++)
                    FN(vstore_upto)(ct + i * ldc + j * VL, FN(vload)(buf + i * GNR + j * VL), nc - j * VL);
        }
    }
}
#undef GNR
