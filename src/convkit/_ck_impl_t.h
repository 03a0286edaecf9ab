/* convkit compute kernels for one element type and one instruction set; included by _ck_impl.h.
 *
 * Before inclusion: CK_T (float or double), CK_TNAME (f32 or f64), CK_ISA (avx512, avx2 or base) and
 * CK_VBYTES (the vector width in bytes) are defined. Every public function gets the suffix
 * _<CK_TNAME>_<CK_ISA>; _ck_dispatch.c picks one set at run time.
 *
 * Vectors are GCC/Clang vector extensions: the compiler maps them to the registers of the instruction
 * set this file is compiled for (zmm, ymm, xmm/NEON). Unaligned loads and stores go through memcpy.
 *
 * Arithmetic order never depends on the caller's tiling of the output: every output element of
 * ck_shift_gemm is one dot product over k = 0..K-1 in order; the weight-gradient kernels add image after
 * image in the caller's order, each in a fixed order (ck_dw_reduce: per vector lane, the lanes summed in
 * order at the end; ck_dw_outer: q in order). The caller gives each thread whole output elements, so
 * results do not depend on the thread count.
 */

#define T CK_T
#define FN(name) CK_CAT3(name, CK_TNAME, CK_ISA)
#define V FN(ck_vec)
#define VI FN(ck_ivec)
#define VL ((ptrdiff_t)(CK_VBYTES / sizeof(T)))
#define NR (CK_NV * VL) /* width of a shift_gemm tile, in output columns */

typedef T V __attribute__((vector_size(CK_VBYTES)));
typedef UT VI __attribute__((vector_size(CK_VBYTES))); /* the same lanes as bits */

static inline __attribute__((always_inline)) V FN(vload)(const T *p) {
    V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void FN(vstore)(T *p, V v) { __builtin_memcpy(p, &v, sizeof v); }

/* The first n lanes of v stored at p, 0 < n < VL; nothing past p + n is touched (masked stores where the
 * instruction set has them). */
static inline __attribute__((always_inline)) void FN(vstore_part)(T *p, V v, ptrdiff_t n) {
#if CK_VBYTES == 64 && defined(__AVX512F__)
    if (sizeof(T) == 4)
        _mm512_mask_storeu_ps((void *)p, (__mmask16)((1u << n) - 1), (__m512)v);
    else
        _mm512_mask_storeu_pd((void *)p, (__mmask8)((1u << n) - 1), (__m512d)v);
#elif CK_VBYTES == 32 && defined(__AVX2__)
    VI lane;
    for (int l = 0; l < VL; l++) lane[l] = (UT)l;
    const VI mask = (VI)(lane < (UT)n);
    if (sizeof(T) == 4)
        _mm256_maskstore_ps((float *)(void *)p, (__m256i)mask, (__m256)v);
    else
        _mm256_maskstore_pd((double *)(void *)p, (__m256i)mask, (__m256d)v);
#else
    for (ptrdiff_t e = 0; e < n; e++) p[e] = v[e];
#endif
}

/* p[0 .. n) in the first n lanes, zeros in the others, 0 < n < VL; nothing past p + n is read. */
static inline __attribute__((always_inline)) V FN(vload_part)(const T *p, ptrdiff_t n) {
#if CK_VBYTES == 64 && defined(__AVX512F__)
    if (sizeof(T) == 4) return (V)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), (const void *)p);
    return (V)_mm512_maskz_loadu_pd((__mmask8)((1u << n) - 1), (const void *)p);
#elif CK_VBYTES == 32 && defined(__AVX2__)
    VI lane;
    for (int l = 0; l < VL; l++) lane[l] = (UT)l;
    const VI mask = (VI)(lane < (UT)n);
    if (sizeof(T) == 4) return (V)_mm256_maskload_ps((const float *)(const void *)p, (__m256i)mask);
    return (V)_mm256_maskload_pd((const double *)(const void *)p, (__m256i)mask);
#else
    V v = {0};
    for (ptrdiff_t e = 0; e < n; e++) v[e] = p[e];
    return v;
#endif
}

/* the lanes of v summed in order */
static inline __attribute__((always_inline)) T FN(hsum)(V v) {
    T s = v[0];
#pragma GCC unroll 16
    for (int l = 1; l < VL; l++) s += v[l];
    return s;
}

/* ---------------------------------------------------------------------------------------------------
 * shift GEMM: C[m][q] = sum_k A[m][k] * base[off[k] + q]
 *
 * "B" is never materialised: its row k is the contiguous run base + off[k]. With base = a zero-padded
 * image and off[k] = c*plane + kh*WP + kw this is a stride-1 convolution computed on the "wide" output
 * grid q = oh*WP + ow (columns ow >= OW are computed and dropped); with off[k] = k*ld it is an ordinary
 * GEMM against an im2col tile.
 * --------------------------------------------------------------------------------------------------- */

/* One MR x (NV*VL) register tile over the whole K: acc stays in registers, A is packed [k][MR]. */
static inline __attribute__((always_inline)) void FN(mk_shift)(
    const int MR, ptrdiff_t K, const T *restrict ap, const T *restrict bq, const ptrdiff_t *restrict off,
    const ptrdiff_t *restrict qo /* CK_NV vector positions */, T *restrict buf /* MR x NR */) {
    const ptrdiff_t q0 = qo[0], q1 = CK_NV > 1 ? qo[1 % CK_NV] : 0, q2 = CK_NV > 2 ? qo[2 % CK_NV] : 0;
    V acc[CK_MRMAX][CK_NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < CK_NV; j++) acc[i][j] = (V){0};
    for (ptrdiff_t k = 0; k < K; k++) {
        const T *b = bq + off[k];
        const T *a = ap + k * MR;
        V bv[CK_NV];
#pragma GCC unroll 8
        for (int j = 0; j < CK_NV; j++) bv[j] = FN(vload)(b + (j == 0 ? q0 : j == 1 ? q1 : q2));
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            const T ai = a[i];
#pragma GCC unroll 8
            for (int j = 0; j < CK_NV; j++) acc[i][j] += ai * bv[j];
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < CK_NV; j++) FN(vstore)(buf + i * NR + j * VL, acc[i][j]);
}

#define CK_MK_SHIFT(mr)                                                                                    \
    static __attribute__((noinline)) void FN(mk_shift_##mr)(ptrdiff_t K, const T *restrict ap,            \
                                                            const T *restrict bq,                         \
                                                            const ptrdiff_t *restrict off,                \
                                                            const ptrdiff_t *restrict qo, T *restrict buf) { \
        FN(mk_shift)(mr, K, ap, bq, off, qo, buf);                                                         \
    }
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

static inline void FN(mk_shift_any)(int mr, ptrdiff_t K, const T *ap, const T *bq, const ptrdiff_t *o,
                                    const ptrdiff_t *qo, T *buf) {
    switch (mr) {
#if CK_MRMAX >= 8
    case 8: FN(mk_shift_8)(K, ap, bq, o, qo, buf); break;
    case 7: FN(mk_shift_7)(K, ap, bq, o, qo, buf); break;
    case 6: FN(mk_shift_6)(K, ap, bq, o, qo, buf); break;
    case 5: FN(mk_shift_5)(K, ap, bq, o, qo, buf); break;
#endif
    case 4: FN(mk_shift_4)(K, ap, bq, o, qo, buf); break;
    case 3: FN(mk_shift_3)(K, ap, bq, o, qo, buf); break;
    case 2: FN(mk_shift_2)(K, ap, bq, o, qo, buf); break;
    default: FN(mk_shift_1)(K, ap, bq, o, qo, buf); break;
    }
}

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

/* Write rows of a tile (q0 .. q0+nvalid-1 on the wide grid of row period wq) to the owc valid columns of
 * each output row: out[m*ldo + (q / wq)*owc + q % wq] = tile + bias[m] for q % wq < owc. */
static void FN(store_tile)(const T *buf, int mr, ptrdiff_t m0, const T *bias, ptrdiff_t q0, ptrdiff_t nvalid,
                           ptrdiff_t wq, ptrdiff_t owc, T *out, ptrdiff_t ldo) {
    const ptrdiff_t row0 = q0 / wq, col0 = q0 - row0 * wq;
    for (int i = 0; i < mr; i++) {
        const T *src = buf + i * NR;
        const T bv = bias ? bias[m0 + i] : (T)0;
        T *orow = out + (m0 + i) * ldo;
        ptrdiff_t row = row0, col = col0, t = 0;
        while (t < nvalid) {
            ptrdiff_t seg = wq - col;
            if (seg > nvalid - t) seg = nvalid - t;
            ptrdiff_t keep = owc - col;
            if (keep > seg) keep = seg;
            T *dst = orow + row * owc + col;
            const T *s = src + t;
            if (keep >= VL) { /* whole vectors, the last one overlapping the one before it */
                ptrdiff_t e = 0;
                for (; e + VL <= keep; e += VL) FN(vstore)(dst + e, FN(vload)(s + e) + bv);
                if (e < keep) FN(vstore)(dst + keep - VL, FN(vload)(s + keep - VL) + bv);
            } else if (keep > 0) {
                FN(vstore_part)(dst, FN(vload)(s) + bv, keep); /* buf has a vector of slack at its end */
            }
            t += seg;
            row++;
            col = 0;
        }
    }
}

/* out <- bias + A (M x K, packed by ck_pack_a) times B, for wide columns q_begin <= q < q_end.
 * B row k: base[off[k] + q]. With tail (K x NR scratch, tail_off: K entries) only q < q_end is ever read:
 * the last, partial tile is copied into tail first. With tail = NULL the caller guarantees that the rows
 * are readable up to a whole tile past q_end (slack at the end of its buffer). */
void FN(ck_shift_gemm)(ptrdiff_t M, ptrdiff_t K, const T *apack, const T *base, const ptrdiff_t *off,
                       const T *bias, ptrdiff_t q_begin, ptrdiff_t q_end, ptrdiff_t wq, ptrdiff_t owc, T *out,
                       ptrdiff_t ldo, T *tail, ptrdiff_t *tail_off) {
    T buf[CK_MRMAX * NR + VL] __attribute__((aligned(64)));
    ptrdiff_t qo[CK_NV];
    for (int j = 0; j < CK_NV; j++) qo[j] = j * VL;
    for (ptrdiff_t q0 = q_begin; q0 < q_end; q0 += NR) {
        ptrdiff_t nvalid = q_end - q0;
        const T *bq;
        const ptrdiff_t *o;
        if (nvalid >= NR || !tail) {
            if (nvalid > NR) nvalid = NR;
            bq = base + q0;
            o = off;
        } else {
            for (ptrdiff_t k = 0; k < K; k++) {
                const T *src = base + off[k] + q0;
                T *dst = tail + k * NR;
                ptrdiff_t t = 0;
                for (; t < nvalid; t++) dst[t] = src[t];
                for (; t < NR; t++) dst[t] = 0;
                tail_off[k] = k * NR;
            }
            bq = tail;
            o = tail_off;
        }
        const T *ap = apack;
        for (ptrdiff_t m0 = 0; m0 < M;) {
            const int mr = FN(panel_rows)(M - m0);
            FN(mk_shift_any)(mr, K, ap, bq, o, qo, buf);
            FN(store_tile)(buf, mr, m0, bias, q0, nvalid, wq, owc, out, ldo);
            ap += (ptrdiff_t)mr * K;
            m0 += mr;
        }
    }
}

/* The same product on whole output rows: out[m*ldo + r*owc + c] = bias[m] + sum_k A[m][k] * B[k][r*wq + c]
 * for rows r_begin <= r < r_end and c < owc, owc a multiple of VL. Every vector of a tile is a whole
 * vector of one output row (tiles may span rows): no dropped columns are computed, the stores are whole
 * vectors. The last tile of the range repeats its last vector where it runs short. */
void FN(ck_shift_rows)(ptrdiff_t M, ptrdiff_t K, const T *apack, const T *base, const ptrdiff_t *off,
                       const T *bias, ptrdiff_t r_begin, ptrdiff_t r_end, ptrdiff_t wq, ptrdiff_t owc, T *out,
                       ptrdiff_t ldo) {
    T buf[CK_MRMAX * NR] __attribute__((aligned(64)));
    ptrdiff_t qo[CK_NV], dst[CK_NV];
    const ptrdiff_t vpr = owc / VL, v_end = r_end * vpr;
    for (ptrdiff_t v0 = r_begin * vpr; v0 < v_end; v0 += CK_NV) {
        for (int j = 0; j < CK_NV; j++) {
            const ptrdiff_t v = v0 + j < v_end ? v0 + j : v_end - 1, r = v / vpr, c = (v - r * vpr) * VL;
            qo[j] = r * wq + c;
            dst[j] = r * owc + c;
        }
        const ptrdiff_t nvec = v_end - v0 < CK_NV ? v_end - v0 : CK_NV;
        const T *ap = apack;
        for (ptrdiff_t m0 = 0; m0 < M;) {
            const int mr = FN(panel_rows)(M - m0);
            FN(mk_shift_any)(mr, K, ap, base, off, qo, buf);
            for (int i = 0; i < mr; i++) {
                const T bv = bias ? bias[m0 + i] : (T)0;
                T *orow = out + (m0 + i) * ldo;
                for (ptrdiff_t j = 0; j < nvec; j++) FN(vstore)(orow + dst[j], FN(vload)(buf + i * NR + j * VL) + bv);
            }
            ap += (ptrdiff_t)mr * K;
            m0 += mr;
        }
    }
}

/* ---------------------------------------------------------------------------------------------------
 * Weight gradient, few filters ("reduce"): D[m][j] = sum_q A[m*lda + q] * base[off[j] + q]
 *
 * A = the upstream gradient rows (one per filter), B rows = shifted image rows or im2col rows. Vectorised
 * along the reduction q: the accumulators are RM x RJ vectors of partial sums that live in vacc between
 * calls (one call per image), and are summed over their lanes once, by ck_dw_reduce_finish. Rows must be
 * readable and zero-padded up to nq rounded up to VL (the caller's scratch guarantees it).
 * --------------------------------------------------------------------------------------------------- */

/* Number of vectors in the vacc buffer of an M x NJ gradient. */
ptrdiff_t FN(ck_dw_reduce_size)(ptrdiff_t M, ptrdiff_t NJ) {
    return ((M + CK_RM - 1) / CK_RM) * ((NJ + CK_RJ - 1) / CK_RJ) * CK_RM * CK_RJ * VL;
}

static __attribute__((noinline)) void FN(mk_reduce)(const T *const *arow, const T *base, const ptrdiff_t *offj,
                                                    ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t a_rs,
                                                    ptrdiff_t b_rs, T *vacc /* RM x RJ vectors */) {
    V acc[CK_RM][CK_RJ];
    const T *a[CK_RM];
    const T *b[CK_RJ];
#pragma GCC unroll 8
    for (int i = 0; i < CK_RM; i++) a[i] = arow[i];
#pragma GCC unroll 8
    for (int j = 0; j < CK_RJ; j++) b[j] = base + offj[j];
#pragma GCC unroll 8
    for (int i = 0; i < CK_RM; i++)
#pragma GCC unroll 8
        for (int j = 0; j < CK_RJ; j++) acc[i][j] = FN(vload)(vacc + (i * CK_RJ + j) * VL);
    for (ptrdiff_t r = 0; r < nrows; r++) {
        for (ptrdiff_t q = 0; q < rowlen; q += VL) {
            V av[CK_RM];
#pragma GCC unroll 8
            for (int i = 0; i < CK_RM; i++) av[i] = FN(vload)(a[i] + q);
#pragma GCC unroll 8
            for (int j = 0; j < CK_RJ; j++) {
                const V bv = FN(vload)(b[j] + q);
#pragma GCC unroll 8
                for (int i = 0; i < CK_RM; i++) acc[i][j] += av[i] * bv;
            }
        }
#pragma GCC unroll 8
        for (int i = 0; i < CK_RM; i++) a[i] += a_rs;
#pragma GCC unroll 8
        for (int j = 0; j < CK_RJ; j++) b[j] += b_rs;
    }
#pragma GCC unroll 8
    for (int i = 0; i < CK_RM; i++)
#pragma GCC unroll 8
        for (int j = 0; j < CK_RJ; j++) FN(vstore)(vacc + (i * CK_RJ + j) * VL, acc[i][j]);
}

/* D[m][j] (+)= sum over rows r < nrows, columns q < rowlen of A[m*lda + r*a_rs + q] * base[off[j] + r*b_rs + q].
 * Wide grid: one row of nq columns (rounded up to VL: the caller's buffers are zero-padded that far);
 * whole output rows: nrows = OH rows of rowlen = OW columns, OW a multiple of VL.
 * The tiles are visited j-block by j-block (m_outer = 0: A, all of it, is re-read for every block of
 * B rows, so A should be the smaller) or m-block by m-block (m_outer = 1: B is re-read). Each tile keeps its
 * own slot in vacc either way, so the order does not change any sum. */
void FN(ck_dw_reduce)(ptrdiff_t M, ptrdiff_t NJ, const T *a, ptrdiff_t lda, const T *base, const ptrdiff_t *off,
                      ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t a_rs, ptrdiff_t b_rs, T *vacc, int m_outer) {
    const T *arow[CK_RM];
    ptrdiff_t offj[CK_RJ];
    const ptrdiff_t nqv = (rowlen + VL - 1) / VL * VL, mblocks = (M + CK_RM - 1) / CK_RM;
    const ptrdiff_t jblocks = (NJ + CK_RJ - 1) / CK_RJ;
    for (ptrdiff_t outer = 0; outer < (m_outer ? mblocks : jblocks); outer++)
        for (ptrdiff_t inner = 0; inner < (m_outer ? jblocks : mblocks); inner++) {
            const ptrdiff_t jb = m_outer ? inner : outer, mb = m_outer ? outer : inner;
            const ptrdiff_t j0 = jb * CK_RJ, m0 = mb * CK_RM;
            const ptrdiff_t rj = NJ - j0 < CK_RJ ? NJ - j0 : CK_RJ, rm = M - m0 < CK_RM ? M - m0 : CK_RM;
            for (int j = 0; j < CK_RJ; j++) offj[j] = off[j0 + (j < rj ? j : rj - 1)]; /* edge: repeat, drop */
            for (int i = 0; i < CK_RM; i++) arow[i] = a + (m0 + (i < rm ? i : rm - 1)) * lda;
            FN(mk_reduce)(arow, base, offj, nrows, nqv, a_rs, b_rs, vacc + (jb * mblocks + mb) * CK_RM * CK_RJ * VL);
        }
}

/* d[m*ldd + j] += the lanes of vacc summed in order. */
void FN(ck_dw_reduce_finish)(ptrdiff_t M, ptrdiff_t NJ, const T *vacc, T *d, ptrdiff_t ldd) {
    for (ptrdiff_t j0 = 0; j0 < NJ; j0 += CK_RJ)
        for (ptrdiff_t m0 = 0; m0 < M; m0 += CK_RM) {
            for (ptrdiff_t i = 0; i < CK_RM && m0 + i < M; i++)
                for (ptrdiff_t j = 0; j < CK_RJ && j0 + j < NJ; j++) {
                    const T *v = vacc + (i * CK_RJ + j) * VL;
                    T s = v[0];
                    for (ptrdiff_t l = 1; l < VL; l++) s += v[l];
                    d[(m0 + i) * ldd + j0 + j] += s;
                }
            vacc += CK_RM * CK_RJ * VL;
        }
}

/* ---------------------------------------------------------------------------------------------------
 * Weight gradient, many filters ("outer"): acc[k][f] += sum_q base[off[k] + q] * bt[q*ldb + f]
 *
 * bt = the upstream gradient transposed (one row per pixel q, filters contiguous, zero-padded to a whole
 * number of vectors). A tile is OMR weight columns x up to ONV vectors of filters; the image values are
 * broadcast from their rows, no packing. q runs in chunks whose slice of bt stays in L1; the tile is
 * loaded from and stored back to acc around each chunk, so each element still sums q in order.
 * --------------------------------------------------------------------------------------------------- */

#define CK_OMR_MAX (CK_OMR1 > CK_OMR ? CK_OMR1 : CK_OMR)

static inline __attribute__((always_inline)) void FN(mk_outer)(
    const int OMR, const int NVF, const T *const *arow, ptrdiff_t rk, const T *restrict bt, ptrdiff_t ldb,
    ptrdiff_t nr, ptrdiff_t len, ptrdiff_t a_rs, ptrdiff_t bt_rs, T *restrict acc, ptrdiff_t ldacc) {
    V c[CK_OMR_MAX][CK_ONV];
    const T *a[CK_OMR_MAX];
#pragma GCC unroll 16
    for (int i = 0; i < OMR; i++) a[i] = arow[i];
#pragma GCC unroll 16
    for (int i = 0; i < OMR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NVF; j++) c[i][j] = i < rk ? FN(vload)(acc + i * ldacc + j * VL) : (V){0};
    for (ptrdiff_t r = 0; r < nr; r++) {
        for (ptrdiff_t q = 0; q < len; q++) {
            V bv[CK_ONV];
#pragma GCC unroll 8
            for (int j = 0; j < NVF; j++) bv[j] = FN(vload)(bt + q * ldb + j * VL);
#pragma GCC unroll 16
            for (int i = 0; i < OMR; i++) {
                const T ai = a[i][q];
#pragma GCC unroll 8
                for (int j = 0; j < NVF; j++) c[i][j] += ai * bv[j];
            }
        }
        bt += bt_rs;
#pragma GCC unroll 16
        for (int i = 0; i < OMR; i++) a[i] += a_rs;
    }
#pragma GCC unroll 16
    for (int i = 0; i < OMR; i++)
        if (i < rk)
#pragma GCC unroll 8
            for (int j = 0; j < NVF; j++) FN(vstore)(acc + i * ldacc + j * VL, c[i][j]);
}

#define CK_MK_OUTER(name, omr, nv)                                                                         \
    static __attribute__((noinline)) void FN(name)(const T *const *arow, ptrdiff_t rk,                     \
                                                   const T *restrict bt, ptrdiff_t ldb, ptrdiff_t nr,      \
                                                   ptrdiff_t len, ptrdiff_t a_rs, ptrdiff_t bt_rs,         \
                                                   T *restrict acc, ptrdiff_t ldacc) {                     \
        FN(mk_outer)(omr, nv, arow, rk, bt, ldb, nr, len, a_rs, bt_rs, acc, ldacc);                        \
    }
CK_MK_OUTER(mk_outer_one, CK_OMR1, 1) /* all the filters in one vector */
CK_MK_OUTER(mk_outer_1, CK_OMR, 1)
CK_MK_OUTER(mk_outer_2, CK_OMR, 2)
#if CK_ONV >= 3
CK_MK_OUTER(mk_outer_3, CK_OMR, 3)
#endif
#if CK_ONV >= 4
CK_MK_OUTER(mk_outer_4, CK_OMR, 4)
#endif

/* acc (NK x FP, row stride ldacc) += sum over pixels of B rows times bt (pixels x FP, row stride ldb), FP a
 * multiple of VL. Pixels: nrows rows of rowlen, row r of image row k at base + off[k] + r*b_rs, of bt at
 * bt + r*rowlen*ldb (wide grid: one row). Pixels go in chunks (whole rows, or part of the one wide row)
 * whose slice of bt stays in L1; each element still sums its pixels in order. */
void FN(ck_dw_outer)(ptrdiff_t NK, ptrdiff_t FP, const T *base, const ptrdiff_t *off, const T *bt, ptrdiff_t ldb,
                     ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t b_rs, T *acc, ptrdiff_t ldacc) {
    const T *arow[CK_OMR_MAX];
    const int one = FP == VL, omr = one ? CK_OMR1 : CK_OMR; /* rows per tile */
    ptrdiff_t qc = (32 * 1024 / (ptrdiff_t)sizeof(T)) / (FP > 0 ? FP : 1); /* bt chunk of ~32 KB */
    if (qc < 16) qc = 16;
    const ptrdiff_t rows_per = rowlen >= qc ? 1 : qc / rowlen, len_per = rowlen >= qc ? qc : rowlen;
    for (ptrdiff_t r0 = 0; r0 < nrows; r0 += rows_per)
        for (ptrdiff_t q0 = 0; q0 < rowlen; q0 += len_per) {
            const ptrdiff_t nr = nrows - r0 < rows_per ? nrows - r0 : rows_per;
            const ptrdiff_t len = rowlen - q0 < len_per ? rowlen - q0 : len_per;
            for (ptrdiff_t k0 = 0; k0 < NK; k0 += omr) {
                const ptrdiff_t rk = NK - k0 < omr ? NK - k0 : omr;
                for (int i = 0; i < omr; i++) arow[i] = base + off[k0 + (i < rk ? i : rk - 1)] + r0 * b_rs + q0;
                if (one) {
                    FN(mk_outer_one)(arow, rk, bt + (r0 * rowlen + q0) * ldb, ldb, nr, len, b_rs, rowlen * ldb,
                                     acc + k0 * ldacc, ldacc);
                    continue;
                }
                for (ptrdiff_t f0 = 0; f0 < FP; f0 += CK_ONV * VL) {
                    const ptrdiff_t nvf = (FP - f0) / VL < CK_ONV ? (FP - f0) / VL : CK_ONV;
                    T *accp = acc + k0 * ldacc + f0;
                    const T *btp = bt + (r0 * rowlen + q0) * ldb + f0;
                    const ptrdiff_t bt_rs = rowlen * ldb;
                    switch (nvf) {
#if CK_ONV >= 4
                    case 4: FN(mk_outer_4)(arow, rk, btp, ldb, nr, len, b_rs, bt_rs, accp, ldacc); break;
#endif
#if CK_ONV >= 3
                    case 3: FN(mk_outer_3)(arow, rk, btp, ldb, nr, len, b_rs, bt_rs, accp, ldacc); break;
#endif
                    case 2: FN(mk_outer_2)(arow, rk, btp, ldb, nr, len, b_rs, bt_rs, accp, ldacc); break;
                    default: FN(mk_outer_1)(arow, rk, btp, ldb, nr, len, b_rs, bt_rs, accp, ldacc); break;
                    }
                }
            }
        }
}

/* out[r*ors + c*ocs] = sum over chunks ch (in order, in double) of part[ch*part_size + r*ld + c], for rows
 * r0 <= r < r1 and columns c < ncols: the per-chunk partial weight gradients added up. */
void FN(ck_sum_partials)(const T *part, ptrdiff_t chunks, ptrdiff_t part_size, ptrdiff_t r0, ptrdiff_t r1,
                         ptrdiff_t ncols, ptrdiff_t ld, T *out, ptrdiff_t ors, ptrdiff_t ocs) {
    double acc[256];
    for (ptrdiff_t r = r0; r < r1; r++)
        for (ptrdiff_t c0 = 0; c0 < ncols; c0 += 256) {
            const ptrdiff_t n = ncols - c0 < 256 ? ncols - c0 : 256;
            for (ptrdiff_t c = 0; c < n; c++) acc[c] = 0;
            for (ptrdiff_t ch = 0; ch < chunks; ch++) {
                const T *restrict src = part + ch * part_size + r * ld + c0;
                for (ptrdiff_t c = 0; c < n; c++) acc[c] += src[c];
            }
            for (ptrdiff_t c = 0; c < n; c++) out[r * ors + (c0 + c) * ocs] = (T)acc[c];
        }
}

/* dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols (a transposed copy). */
void FN(ck_transpose)(const T *src, ptrdiff_t rows, ptrdiff_t lds, ptrdiff_t cols, T *dst, ptrdiff_t ldd) {
    ptrdiff_t done = 0;
    for (; done + VL <= rows; done += VL) /* VL rows at a time: each column becomes one vector store */
        for (ptrdiff_t c = 0; c < cols; c++) {
            V v;
#pragma GCC unroll 16
            for (int l = 0; l < VL; l++) v[l] = src[(done + l) * lds + c];
            FN(vstore)(dst + c * ldd + done, v);
        }
    src += done * lds;
    dst += done;
    rows -= done;
    for (ptrdiff_t r0 = 0; r0 < rows; r0 += 8)
        for (ptrdiff_t c0 = 0; c0 < cols; c0 += 64) {
            const ptrdiff_t r1 = r0 + 8 < rows ? r0 + 8 : rows, c1 = c0 + 64 < cols ? c0 + 64 : cols;
            for (ptrdiff_t c = c0; c < c1; c++)
                for (ptrdiff_t r = r0; r < r1; r++) dst[c * ldd + r] = src[r * lds + c];
        }
}

/* ---------------------------------------------------------------------------------------------------
 * Data movement
 * --------------------------------------------------------------------------------------------------- */

/* dst plane p (DH x DW, row stride DW, plane stride dps) <- src plane p (H x W, plane stride sps) placed
 * with its top-left corner at (top, left) (negative: the src is cropped). With zero != 0 the rest of each
 * dst plane is set to zero; without, it is left alone (a scratch buffer whose borders are already zero,
 * reused for image after image of the same shape).
 * With check != 0, returns 1 if a copied element is not finite (inf or NaN), else 0. */
int FN(ck_embed)(const T *src, ptrdiff_t planes, ptrdiff_t sps, ptrdiff_t H, ptrdiff_t W, T *dst, ptrdiff_t dps,
                 ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t top, ptrdiff_t left, int zero, int check) {
    const ptrdiff_t r0 = top > 0 ? top : 0, r1 = top + H < DH ? top + H : DH; /* dst rows with data */
    const ptrdiff_t c0 = left > 0 ? left : 0, c1 = left + W < DW ? left + W : DW;
    const ptrdiff_t n = c1 - c0;
    UT bad = 0; /* 1 once a copied element has all exponent bits set */
    for (ptrdiff_t p = 0; p < planes; p++) {
        const T *s = src + p * sps;
        T *d = dst + p * dps;
        if (zero) {
            for (ptrdiff_t e = 0; e < r0 * DW; e++) d[e] = 0;
            for (ptrdiff_t e = (r1 > r0 ? r1 : r0) * DW; e < DH * DW; e++) d[e] = 0;
        }
        if (n <= 0) {
            if (zero)
                for (ptrdiff_t e = 0; e < DH * DW; e++) d[e] = 0;
            continue;
        }
        for (ptrdiff_t r = r0; r < r1; r++) {
            T *restrict drow = d + r * DW;
            const T *restrict srow = s + (r - top) * W - left;
            if (zero) {
                for (ptrdiff_t c = 0; c < c0; c++) drow[c] = 0;
                for (ptrdiff_t c = c1; c < DW; c++) drow[c] = 0;
            }
            VI nonfinite = {0}; /* lanes whose exponent bits are all set: inf or NaN */
            if (n >= VL) { /* whole vectors, the last one overlapping the one before it */
                ptrdiff_t c = c0;
                for (; c + VL <= c1; c += VL) {
                    const V v = FN(vload)(srow + c);
                    FN(vstore)(drow + c, v);
                    nonfinite |= ((VI)v & EXP_MASK) == EXP_MASK;
                }
                if (c < c1) {
                    const V v = FN(vload)(srow + c1 - VL);
                    FN(vstore)(drow + c1 - VL, v);
                    nonfinite |= ((VI)v & EXP_MASK) == EXP_MASK;
                }
            } else {
                const V v = FN(vload_part)(srow + c0, n); /* zeros past n: finite */
                FN(vstore_part)(drow + c0, v, n);
                nonfinite |= ((VI)v & EXP_MASK) == EXP_MASK;
            }
            if (check)
                for (int l = 0; l < VL; l++) bad |= nonfinite[l];
        }
    }
    return bad != 0;
}

/* col[k][p - p0] for k = (c, kh, kw) and output pixels p0 <= p < p0 + np (p = oh*OW + ow): the input
 * element under tap (kh, kw) of output pixel p, zero in the padding. Row stride of col: ldc. */
void FN(ck_im2col)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh,
                   ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t OW, ptrdiff_t p0, ptrdiff_t np, T *col,
                   ptrdiff_t ldc) {
    for (ptrdiff_t c = 0; c < C; c++)
        for (ptrdiff_t kh = 0; kh < KH; kh++)
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                T *dst = col + ((c * KH + kh) * KW + kw) * ldc;
                const T *xc = x + c * H * W;
                ptrdiff_t oh = p0 / OW, ow = p0 - oh * OW;
                for (ptrdiff_t t = 0; t < np;) {
                    ptrdiff_t run = OW - ow;
                    if (run > np - t) run = np - t;
                    const ptrdiff_t ih = oh * sh - ph + kh;
                    if (ih < 0 || ih >= H) {
                        for (ptrdiff_t e = 0; e < run; e++) dst[t + e] = 0;
                    } else {
                        const T *xr = xc + ih * W;
                        ptrdiff_t iw = ow * sw - pw + kw;
                        for (ptrdiff_t e = 0; e < run; e++, iw += sw)
                            dst[t + e] = (iw >= 0 && iw < W) ? xr[iw] : (T)0;
                    }
                    t += run;
                    oh++;
                    ow = 0;
                }
            }
}

/* dx += the column gradient dcol[k][p - p0] scattered back to the input (the adjoint of ck_im2col). */
void FN(ck_col2im_add)(const T *dcol, ptrdiff_t ldc, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t KH,
                       ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t OW,
                       ptrdiff_t p0, ptrdiff_t np, T *dx) {
    for (ptrdiff_t c = 0; c < C; c++)
        for (ptrdiff_t kh = 0; kh < KH; kh++)
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                const T *src = dcol + ((c * KH + kh) * KW + kw) * ldc;
                T *xc = dx + c * H * W;
                ptrdiff_t oh = p0 / OW, ow = p0 - oh * OW;
                for (ptrdiff_t t = 0; t < np;) {
                    ptrdiff_t run = OW - ow;
                    if (run > np - t) run = np - t;
                    const ptrdiff_t ih = oh * sh - ph + kh;
                    if (ih >= 0 && ih < H) {
                        T *xr = xc + ih * W;
                        ptrdiff_t iw = ow * sw - pw + kw;
                        for (ptrdiff_t e = 0; e < run; e++, iw += sw)
                            if (iw >= 0 && iw < W) xr[iw] += src[t + e];
                    }
                    t += run;
                    oh++;
                    ow = 0;
                }
            }
}

/* ---------------------------------------------------------------------------------------------------
 * 2x2 pooling with stride 2 (the common case), planes p0 <= p < p1 of (H x W) -> (OH x OW)
 *
 * Written so that the compiler vectorises along ow (the stride-2 loads become permutes). Max pooling
 * keeps the window-local index (0..3, row-major) of the winner with torch's rule: scan in order, take an
 * element if it is greater or NaN. The backward passes write every element of dx, zeros included.
 * The avg pooling forward uses the same spill trick as ck_maxpool2.
 * --------------------------------------------------------------------------------------------------- */

/* Rows are processed in whole vectors of outputs: a row of OW outputs is computed as OWr (OW rounded up to
 * VL) lanes, the extra lanes spilling into the next output rows, which are written afterwards. Only where
 * that would read past the end of x (xsize elements) or write past this job's planes is a row computed
 * exactly. idx is as wide as T so that one vector of outputs is one vector of indices. */
static inline __attribute__((always_inline)) void FN(maxpool2_row)(const T *restrict r0, const T *restrict r1,
                                                                   T *restrict o, UT *restrict ix, ptrdiff_t n) {
    for (ptrdiff_t ow = 0; ow < n; ow++) {
        const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
        T best = a;
        UT i = 0;
        int t = (b > best) | (b != b);
        best = t ? b : best;
        i = t ? 1 : i;
        t = (c > best) | (c != c);
        best = t ? c : best;
        i = t ? 2 : i;
        t = (d > best) | (d != d);
        best = t ? d : best;
        i = t ? 3 : i;
        o[ow] = best;
        ix[ow] = i;
    }
}

void FN(ck_maxpool2)(const T *restrict x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                     T *restrict out, UT *restrict idx, ptrdiff_t OH, ptrdiff_t OW) {
    const ptrdiff_t OWr = (OW + VL - 1) / VL * VL, end = p1 * OH * OW;
    for (ptrdiff_t p = p0; p < p1; p++)
        for (ptrdiff_t oh = 0; oh < OH; oh++) {
            const ptrdiff_t in = (p * H + 2 * oh) * W, o = (p * OH + oh) * OW;
            if (in + W + 2 * OWr <= xsize && o + OWr <= end)
                FN(maxpool2_row)(x + in, x + in + W, out + o, idx + o, OWr);
            else
                FN(maxpool2_row)(x + in, x + in + W, out + o, idx + o, OW);
        }
}

/* zero the rows and columns of dx planes that no 2x2 window covers (odd H or W) */
static void FN(zero_uncovered2)(ptrdiff_t p, ptrdiff_t H, ptrdiff_t W, T *dx, ptrdiff_t OH, ptrdiff_t OW) {
    T *plane = dx + p * H * W;
    if (2 * OW < W)
        for (ptrdiff_t r = 0; r < 2 * OH; r++)
            for (ptrdiff_t c = 2 * OW; c < W; c++) plane[r * W + c] = 0;
    for (ptrdiff_t r = 2 * OH; r < H; r++)
        for (ptrdiff_t c = 0; c < W; c++) plane[r * W + c] = 0;
}

/* The selects are integer masks on the bits of dout (an inf never meets a multiplication by 0). */
static inline __attribute__((always_inline)) void FN(maxpool2_backward_row)(
    const UTA *restrict g, const UT *restrict ix, UTA *restrict r0, UTA *restrict r1, ptrdiff_t OW) {
    for (ptrdiff_t ow = 0; ow < OW; ow++) {
        const UT v = g[ow], i = ix[ow];
        r0[2 * ow] = v & -(UT)(i == 0);
        r0[2 * ow + 1] = v & -(UT)(i == 1);
        r1[2 * ow] = v & -(UT)(i == 2);
        r1[2 * ow + 1] = v & -(UT)(i == 3);
    }
}

void FN(ck_maxpool2_backward)(const T *dout, const UT *idx, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                              T *dx, ptrdiff_t OH, ptrdiff_t OW) {
    for (ptrdiff_t p = p0; p < p1; p++) {
        for (ptrdiff_t oh = 0; oh < OH; oh++) {
            UTA *r0 = (UTA *)(void *)(dx + (p * H + 2 * oh) * W);
            FN(maxpool2_backward_row)((const UTA *)(const void *)(dout + (p * OH + oh) * OW), idx + (p * OH + oh) * OW,
                                      r0, r0 + W, OW);
        }
        FN(zero_uncovered2)(p, H, W, dx, OH, OW);
    }
}

static inline __attribute__((always_inline)) void FN(avgpool2_row)(const T *restrict r0, const T *restrict r1,
                                                                   T *restrict o, ptrdiff_t n) {
    for (ptrdiff_t ow = 0; ow < n; ow++) o[ow] = (r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1]) * (T)0.25;
}

void FN(ck_avgpool2)(const T *restrict x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                     T *restrict out, ptrdiff_t OH, ptrdiff_t OW) {
    const ptrdiff_t OWr = (OW + VL - 1) / VL * VL, end = p1 * OH * OW;
    for (ptrdiff_t p = p0; p < p1; p++)
        for (ptrdiff_t oh = 0; oh < OH; oh++) {
            const ptrdiff_t in = (p * H + 2 * oh) * W, o = (p * OH + oh) * OW;
            if (in + W + 2 * OWr <= xsize && o + OWr <= end)
                FN(avgpool2_row)(x + in, x + in + W, out + o, OWr);
            else
                FN(avgpool2_row)(x + in, x + in + W, out + o, OW);
        }
}

void FN(ck_avgpool2_backward)(const T *restrict dout, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                              T *restrict dx, ptrdiff_t OH, ptrdiff_t OW) {
    for (ptrdiff_t p = p0; p < p1; p++) {
        for (ptrdiff_t oh = 0; oh < OH; oh++) {
            T *restrict r0 = dx + (p * H + 2 * oh) * W;
            T *restrict r1 = r0 + W;
            const T *restrict g = dout + (p * OH + oh) * OW;
            for (ptrdiff_t ow = 0; ow < OW; ow++) {
                const T v = g[ow] * (T)0.25;
                r0[2 * ow] = v;
                r0[2 * ow + 1] = v;
                r1[2 * ow] = v;
                r1[2 * ow + 1] = v;
            }
        }
        FN(zero_uncovered2)(p, H, W, dx, OH, OW);
    }
}

/* ---------------------------------------------------------------------------------------------------
 * ReLU on a flat range [i0, i1): out = x if x > 0 or x is NaN else 0 (np.maximum(x, 0)), and
 * dx = dout where x > 0 else 0 (np.where(x > 0, dout, 0)), selected with bit masks: inf/NaN in dout stay
 * where they are and never turn a zero into NaN.
 * --------------------------------------------------------------------------------------------------- */

static inline __attribute__((always_inline)) void FN(relu_range)(const UTA *restrict x, UTA *restrict out,
                                                                 ptrdiff_t n) {
    const T *xf = (const T *)(const void *)x;
    for (ptrdiff_t i = 0; i < n; i++) out[i] = x[i] & -(UT)((xf[i] > 0) | (xf[i] != xf[i]));
}

void FN(ck_relu)(const T *x, T *out, ptrdiff_t i0, ptrdiff_t i1) {
    FN(relu_range)((const UTA *)(const void *)(x + i0), (UTA *)(void *)(out + i0), i1 - i0);
}

/* the same in place (a fused activation: the conv / dense output just written, still in cache) */
void FN(ck_relu_inplace)(T *x, ptrdiff_t i0, ptrdiff_t i1) {
    UTA *u = (UTA *)(void *)(x + i0);
    const T *xf = x + i0;
    for (ptrdiff_t i = 0; i < i1 - i0; i++) u[i] &= -(UT)((xf[i] > 0) | (xf[i] != xf[i]));
}

static inline __attribute__((always_inline)) void FN(relu_backward_range)(const T *restrict x,
                                                                          const UTA *restrict dout,
                                                                          UTA *restrict dx, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) dx[i] = dout[i] & -(UT)(x[i] > 0);
}

void FN(ck_relu_backward)(const T *x, const T *dout, T *dx, ptrdiff_t i0, ptrdiff_t i1) {
    FN(relu_backward_range)(x + i0, (const UTA *)(const void *)(dout + i0), (UTA *)(void *)(dx + i0), i1 - i0);
}

/* ---------------------------------------------------------------------------------------------------
 * Batch norm over x (N, C, L), channels c0 <= c < c1
 *
 * ck_bn_sums: s1[c] = sum x (or sum y when y is given), s2[c] = sum (x - mean[c]) * (y ? y : x - mean[c]).
 * One pass, vectorised: rows of L >= VL elements use vector partial sums (lanes summed in order into a
 * double per row); short rows (L < VL, e.g. L = 1 after a dense layer) are summed column-wise over n,
 * vectorised across the contiguous channels, into doubles. A fixed order either way.
 * ck_bn_affine: out = a[c] * (x - e[c]) + b[c] * y + d[c] (y optional): the normalisation and the input
 * gradient, centred before scaling so that a large mean cancels exactly.
 * --------------------------------------------------------------------------------------------------- */

void FN(ck_bn_sums)(const T *x, const T *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0, ptrdiff_t c1,
                    const double *mean, double *s1, double *s2) {
    if (L >= VL) {
        for (ptrdiff_t c = c0; c < c1; c++) {
            const T m = mean ? (T)mean[c] : (T)0;
            double t1 = 0, t2 = 0;
            for (ptrdiff_t n = 0; n < N; n++) {
                const T *xr = x + (n * C + c) * L;
                const T *yr = y ? y + (n * C + c) * L : xr;
                V a1 = (V){0}, a2 = (V){0};
                const ptrdiff_t nv = L - L % VL;
                for (ptrdiff_t l = 0; l < nv; l += VL) {
                    const V xv = FN(vload)(xr + l) - m;
                    const V yv = y ? FN(vload)(yr + l) : xv;
                    a1 += y ? yv : FN(vload)(xr + l);
                    a2 += xv * yv;
                }
                T r1 = FN(hsum)(a1), r2 = FN(hsum)(a2);
                for (ptrdiff_t l = nv; l < L; l++) {
                    const T xv = xr[l] - m, yv = y ? yr[l] : xv;
                    r1 += y ? yv : xr[l];
                    r2 += xv * yv;
                }
                t1 += r1;
                t2 += r2;
            }
            if (s1) s1[c] = t1;
            if (s2) s2[c] = t2;
        }
        return;
    }
    /* short rows: columns j = c*L + l of the (N, C*L) matrix, up to 8 vectors of columns at a time (the
     * last vector of a block ends at the block's last column and overlaps the one before: the overlapping
     * lanes are masked out); vector partial sums over 64 rows at a time go into doubles */
    const ptrdiff_t j0 = c0 * L, j1 = c1 * L, ld = C * L;
    double t1[8 * VL], t2[8 * VL];
    for (ptrdiff_t jb = j0; jb < j1; jb += 8 * VL) {
        const ptrdiff_t nj = j1 - jb < 8 * VL ? j1 - jb : 8 * VL;
        for (ptrdiff_t j = 0; j < nj; j++) t1[j] = t2[j] = 0;
        if (nj < VL || ld < VL) { /* fewer columns than lanes: one by one, in double */
            for (ptrdiff_t n = 0; n < N; n++)
                for (ptrdiff_t j = 0; j < nj; j++) {
                    const double m = mean ? mean[(jb + j) / L] : 0;
                    const double xv = x[n * ld + jb + j], dv = xv - m;
                    const double yv = y ? (double)y[n * ld + jb + j] : dv;
                    t1[j] += y ? yv : xv;
                    t2[j] += dv * yv;
                }
        } else {
            const ptrdiff_t nvec = (nj + VL - 1) / VL, last = nj - VL; /* start of the last vector */
            V mv[8];
            VI keep[8]; /* all ones for the lanes a vector adds */
            for (ptrdiff_t v = 0; v < nvec; v++) {
                const ptrdiff_t start = v * VL < last ? v * VL : last;
                for (ptrdiff_t l = 0; l < VL; l++) {
                    mv[v][l] = mean ? (T)mean[(jb + start + l) / L] : (T)0;
                    keep[v][l] = start + l >= v * VL ? (UT)-1 : 0;
                }
            }
            for (ptrdiff_t n0 = 0; n0 < N; n0 += 64) {
                const ptrdiff_t n1 = n0 + 64 < N ? n0 + 64 : N;
                V p1[8], p2[8];
                for (ptrdiff_t v = 0; v < nvec; v++) p1[v] = p2[v] = (V){0};
                for (ptrdiff_t n = n0; n < n1; n++) {
                    const T *xr = x + n * ld + jb;
                    const T *yr = y ? y + n * ld + jb : xr;
                    for (ptrdiff_t v = 0; v < nvec; v++) {
                        const ptrdiff_t start = v * VL < last ? v * VL : last;
                        const V xv = (V)((VI)FN(vload)(xr + start) & keep[v]);
                        const V dv = (V)((VI)(xv - mv[v]) & keep[v]);
                        const V yv = y ? (V)((VI)FN(vload)(yr + start) & keep[v]) : dv;
                        p1[v] += y ? yv : xv;
                        p2[v] += dv * yv;
                    }
                }
                for (ptrdiff_t v = 0; v < nvec; v++) {
                    const ptrdiff_t start = v * VL < last ? v * VL : last;
                    for (ptrdiff_t l = 0; l < VL; l++) {
                        t1[start + l] += p1[v][l];
                        t2[start + l] += p2[v][l];
                    }
                }
            }
        }
        for (ptrdiff_t j = 0; j < nj; j++) { /* the columns of a channel are consecutive */
            const ptrdiff_t c = (jb + j) / L;
            if ((jb + j) % L == 0) {
                if (s1) s1[c] = 0;
                if (s2) s2[c] = 0;
            }
            if (s1) s1[c] += t1[j];
            if (s2) s2[c] += t2[j];
        }
    }
}

void FN(ck_bn_affine)(const T *x, const T *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0, ptrdiff_t c1,
                      const T *a, const T *e, const T *b, const T *d, T *out) {
    if (L >= VL) {
        for (ptrdiff_t n = 0; n < N; n++)
            for (ptrdiff_t c = c0; c < c1; c++) {
                const T *restrict xr = x + (n * C + c) * L;
                T *restrict o = out + (n * C + c) * L;
                const T ac = a[c], ec = e[c], dc = d[c];
                if (y) {
                    const T *restrict yr = y + (n * C + c) * L;
                    const T bc = b[c];
                    for (ptrdiff_t l = 0; l < L; l++) o[l] = ac * (xr[l] - ec) + bc * yr[l] + dc;
                } else {
                    for (ptrdiff_t l = 0; l < L; l++) o[l] = ac * (xr[l] - ec) + dc;
                }
            }
        return;
    }
    const ptrdiff_t j0 = c0 * L, j1 = c1 * L;
    T acol[256], ecol[256], bcol[256], dcol[256];
    for (ptrdiff_t jb = j0; jb < j1; jb += 256) {
        const ptrdiff_t nj = j1 - jb < 256 ? j1 - jb : 256;
        for (ptrdiff_t j = 0; j < nj; j++) {
            const ptrdiff_t c = (jb + j) / L;
            acol[j] = a[c];
            ecol[j] = e[c];
            bcol[j] = y ? b[c] : 0;
            dcol[j] = d[c];
        }
        for (ptrdiff_t n = 0; n < N; n++) {
            const T *restrict xr = x + n * C * L + jb;
            T *restrict o = out + n * C * L + jb;
            if (y) {
                const T *restrict yr = y + n * C * L + jb;
                for (ptrdiff_t j = 0; j < nj; j++) o[j] = acol[j] * (xr[j] - ecol[j]) + bcol[j] * yr[j] + dcol[j];
            } else {
                for (ptrdiff_t j = 0; j < nj; j++) o[j] = acol[j] * (xr[j] - ecol[j]) + dcol[j];
            }
        }
    }
}

#undef T
#undef FN
#undef V
#undef VI
#undef VL
#undef NR
