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
                                                    ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t a_rs, ptrdiff_t b_rs,
                                                    T *vacc /* RM x RJ vectors */) {
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

static inline __attribute__((always_inline)) void FN(mk_outer)(const int OMR, const int NVF, const T *const *arow,
                                                               ptrdiff_t rk, const T *restrict bt, ptrdiff_t ldb,
                                                               ptrdiff_t nr, ptrdiff_t len, ptrdiff_t a_rs,
                                                               ptrdiff_t bt_rs, T *restrict acc, ptrdiff_t ldacc) {
    V c[CK_OMR_MAX][CK_ONV];
    const T *a0 = arow[0];
    ptrdiff_t d[CK_OMR_MAX]; /* the rows as offsets from the first: one pointer moves, not OMR */
#pragma GCC unroll 16
    for (int i = 0; i < OMR; i++) d[i] = arow[i] - a0;
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
                const T ai = a0[q + d[i]];
#pragma GCC unroll 8
                for (int j = 0; j < NVF; j++) c[i][j] += ai * bv[j];
            }
        }
        bt += bt_rs;
        a0 += a_rs;
    }
#pragma GCC unroll 16
    for (int i = 0; i < OMR; i++)
        if (i < rk)
#pragma GCC unroll 8
            for (int j = 0; j < NVF; j++) FN(vstore)(acc + i * ldacc + j * VL, c[i][j]);
}

#define CK_MK_OUTER(name, omr, nv)                                                                                     \
    static __attribute__((noinline)) void FN(name)(const T *const *arow, ptrdiff_t rk, const T *restrict bt,           \
                                                   ptrdiff_t ldb, ptrdiff_t nr, ptrdiff_t len, ptrdiff_t a_rs,         \
                                                   ptrdiff_t bt_rs, T *restrict acc, ptrdiff_t ldacc) {                \
        FN(mk_outer)(omr, nv, arow, rk, bt, ldb, nr, len, a_rs, bt_rs, acc, ldacc);                                    \
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
