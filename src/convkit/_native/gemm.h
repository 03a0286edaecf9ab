/* ---------------------------------------------------------------------------------------------------
 * shift GEMM: C[m][q] = sum_k A[m][k] * base[off[k] + q]
 *
 * "B" is never materialised: its row k is the contiguous run base + off[k]. With base = a zero-padded
 * image and off[k] = c*plane + kh*WP + kw this is a stride-1 convolution computed on the "wide" output
 * grid q = oh*WP + ow (columns ow >= OW are computed and dropped); with off[k] = k*ld it is an ordinary
 * GEMM against an im2col tile.
 * --------------------------------------------------------------------------------------------------- */

/* One MR x (NV*VL) register tile over the whole K: acc stays in registers, A is packed [k][MR]. */
static inline __attribute__((always_inline)) void
FN(mk_shift)(const int MR, ptrdiff_t K, const T *restrict ap, const T *restrict bq, const ptrdiff_t *restrict off,
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

#define CK_MK_SHIFT(mr)                                                                                                \
    static __attribute__((noinline)) void FN(mk_shift_##mr)(ptrdiff_t K, const T *restrict ap, const T *restrict bq,   \
                                                            const ptrdiff_t *restrict off,                             \
                                                            const ptrdiff_t *restrict qo, T *restrict buf) {           \
        FN(mk_shift)(mr, K, ap, bq, off, qo, buf);                                                                     \
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
