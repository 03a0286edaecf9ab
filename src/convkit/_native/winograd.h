/* ---------------------------------------------------------------------------------------------------
 * Winograd F(MxM, RxR): a stride-1 3x3 or 5x5 convolution as n*n GEMMs on transformed tiles, n = M + R - 1,
 * for F(2x2, 3x3), F(2x2, 5x5) and F(4x4, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016).
 *
 * Output tile (th, tw) is out[M th .. M th + M-1][M tw .. M tw + M-1]; its input is the n x n patch d of x
 * at rows M th - ph .., columns M tw - pw .. (zeros outside x). With g an R x R filter,
 *     Y = A^T [ (G g G^T) (.) (B^T d B) ] A,
 * the Toom-Cook matrices of the points 0, 1, -1 (n = 4) or 0, 1, -1, 2, -2 (n = 6), and infinity: wino_bt,
 * wino_g and wino_at below. For each element xi = n*a + b of the transformed tile the sum over input
 * channels is a GEMM, M_xi (O x tiles) = U_xi (O x I) V_xi (I x tiles), run by ck_gemm_block on
 * ck_gemm_pack_a's panels of U and ck_gemm_block's panels of V, which the input transform writes directly:
 * n*n multiply-adds per input channel for M*M outputs, against M*M*R*R for the direct convolution (16
 * against 36 for F(2x2, 3x3); 36 against 100 for F(2x2, 5x5); 36 against 144 for F(4x4, 3x3)). The input
 * gradient is the same convolution of dout; the weight gradient the adjoint,
 * G^T [sum over tiles of (A dY A^T) (.) (B^T d B)] G, from the same input transform (ck_wino_input_rows)
 * and ck_wino_dout. Every output element is a fixed sequence of operations on the tile (dot products over
 * channels in order), whichever job computes it.
 *
 * The transforms are written once for every size, over the tables: each is a row of a table times a vector
 * of tiles (wino_combine), unrolled with the table a constant, so that a zero coefficient costs nothing and
 * 1 and -1 cost an add or a subtract. The six points' B^T is the exception: its rows share terms, which
 * wino_bt_times computes once.
 * --------------------------------------------------------------------------------------------------- */

#ifndef CK_WINO_TABLES
#define CK_WINO_TABLES
#define WINO_NMAX 6
#define WINO_MMAX 4
#define WINO_KIND(M, R) ((M) == 4 ? 2 : (R) == 5)
/* B^T (n x n) depends on the points only: [n == 6]. F(2x2, 3x3) takes the top-left corner. */
static const double wino_bt[2][WINO_NMAX][WINO_NMAX] = {
    {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
    {{4, 0, -5, 0, 1, 0},
     {0, -4, -4, 1, 1, 0},
     {0, 4, -4, -1, 1, 0},
     {0, -2, -1, 2, 1, 0},
     {0, 2, -1, -2, 1, 0},
     {0, 4, 0, -5, 0, 1}},
};
/* G (n x R) and A^T (M x n) of F(2x2, 3x3), F(2x2, 5x5), F(4x4, 3x3): [WINO_KIND(M, R)]. G: the points'
 * powers 0 .. R-1, scaled; A^T: their powers 0 .. M-1; infinity's row of G and column of A^T hold one
 * nonzero, at the last filter tap and the last output. */
static const double wino_g[3][WINO_NMAX][WINO_NMAX] = {
    {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
    {{1 / 4., 0, 0, 0, 0},
     {-1 / 6., -1 / 6., -1 / 6., -1 / 6., -1 / 6.},
     {-1 / 6., 1 / 6., -1 / 6., 1 / 6., -1 / 6.},
     {1 / 24., 1 / 12., 1 / 6., 1 / 3., 2 / 3.},
     {1 / 24., -1 / 12., 1 / 6., -1 / 3., 2 / 3.},
     {0, 0, 0, 0, 1}},
    {{1 / 4., 0, 0},
     {-1 / 6., -1 / 6., -1 / 6.},
     {-1 / 6., 1 / 6., -1 / 6.},
     {1 / 24., 1 / 12., 1 / 6.},
     {1 / 24., -1 / 12., 1 / 6.},
     {0, 0, 1}},
};
static const double wino_at[3][WINO_MMAX][WINO_NMAX] = {
    {{1, 1, 1, 0}, {0, 1, -1, -1}},
    {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}},
    {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}},
};
#endif

#define GNR (CK_GNV * VL)

/* sum over j < n of c[j] x[j], in order, skipping the zero coefficients (c a row of a table above, a
 * constant once inlined and unrolled: x * 1 and x * -1 fold into the add) */
static inline __attribute__((always_inline)) V FN(wino_combine)(const V *x, const double *c, int n) {
    V s = {0};
    int first = 1;
#pragma GCC unroll 6
    for (int j = 0; j < n; j++) {
        if (c[j] == 0) continue;
        const V t = c[j] == 1 ? x[j] : c[j] == -1 ? -x[j] : x[j] * (T)c[j];
        s = first ? t : s + t;
        first = 0;
    }
    return s;
}

/* The filter transforms run in double on WINO_LANES filters at once (a vector of doubles per element: the
 * CK_GMR filters of a panel of U, or consecutive weight-gradient elements): one filter per lane, each
 * lane's operations those of a scalar loop. */
#define WINO_LANES (CK_GMR > 8 ? 16 : CK_GMR > 4 ? 8 : 4)
typedef double FN(wino_dvec) __attribute__((vector_size(8 * WINO_LANES)));
typedef T FN(wino_tvec) __attribute__((vector_size(sizeof(T) * WINO_LANES)));
#define VD FN(wino_dvec)
#define VT FN(wino_tvec)

/* Y (rows x rows) <- L X L^T, per lane, X inner x inner, L the table tab (rows x inner) or, with
 * transposed, its transpose (tab inner x rows): each sum in order, the zero coefficients skipped (tab a
 * constant once inlined and unrolled). The filter transform is G g G^T, the weight gradient's last step
 * G^T S G. */
static inline __attribute__((always_inline)) void FN(wino_two_sided)(const double (*tab)[WINO_NMAX],
                                                                     const int transposed, const int rows,
                                                                     const int inner, const VD (*X)[WINO_NMAX],
                                                                     VD (*Y)[WINO_NMAX]) {
    VD P[WINO_NMAX][WINO_NMAX]; /* L X */
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 6
        for (int l = 0; l < inner; l++) {
            VD s = {0};
#pragma GCC unroll 6
            for (int k = 0; k < inner; k++) {
                const double c = transposed ? tab[k][i] : tab[i][k];
                if (c != 0) s += c * X[k][l];
            }
            P[i][l] = s;
        }
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 6
        for (int j = 0; j < rows; j++) {
            VD s = {0};
#pragma GCC unroll 6
            for (int l = 0; l < inner; l++) {
                const double c = transposed ? tab[l][j] : tab[j][l];
                if (c != 0) s += P[i][l] * c;
            }
            Y[i][j] = s;
        }
}

/* U <- G g G^T (G: n x R, n = M + R - 1) for the O x I filters g = w[o*so + i*si + kh*R + kw] (flip:
 * g[kh][kw] = w[.. + (R-1 - kh)*R + (R-1 - kw)], a full convolution's), in double, then rounded: U_xi at
 * u + xi * ustride holds ceil(O / CK_GMR) panels of CK_GMR rows, each [i][CK_GMR] and zero past O
 * (ck_gemm_pack_a's layout, K = I); here panels p0 .. p1 of them, a panel's filters in the lanes (its
 * CK_GMR values of each U_xi one contiguous store; one filter at a time, 36 scattered stores each took
 * most of the time). */
static inline __attribute__((always_inline)) void FN(wino_filter)(ptrdiff_t O, ptrdiff_t I, const T *w, ptrdiff_t so,
                                                                  ptrdiff_t si, int flip, ptrdiff_t p0, ptrdiff_t p1,
                                                                  T *u, const int M, const int R) {
    const int n = M + R - 1;
    const ptrdiff_t OP = (O + CK_GMR - 1) / CK_GMR * CK_GMR, ustride = OP * I;
    for (ptrdiff_t p = p0; p < p1; p++)
        for (ptrdiff_t i = 0; i < I; i++) {
            VD g[WINO_NMAX][WINO_NMAX], U[WINO_NMAX][WINO_NMAX];
            /* all taps first, then whole vectors (a load right after its lanes' stores waited for them) */
            double taps[25][WINO_LANES];
            const int filled = O - p * CK_GMR < CK_GMR ? (int)(O - p * CK_GMR) : CK_GMR;
            for (int l = 0; l < filled; l++)
                for (int k = 0; k < R * R; k++) taps[k][l] = (double)w[(p * CK_GMR + l) * so + i * si + k];
            for (int k = 0; k < R * R; k++)
                for (int l = filled; l < WINO_LANES; l++) taps[k][l] = 0;
            for (int kh = 0; kh < R; kh++)
                for (int kw = 0; kw < R; kw++)
                    __builtin_memcpy(&g[kh][kw], taps[flip ? (R - 1 - kh) * R + R - 1 - kw : kh * R + kw], sizeof(VD));
            FN(wino_two_sided)(wino_g[WINO_KIND(M, R)], 0, n, R, (const VD(*)[WINO_NMAX])g, U);
            T *dst = u + p * CK_GMR * I + i * CK_GMR;
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++) {
                    const VT rounded = __builtin_convertvector(U[a][b], VT);
                    __builtin_memcpy(dst + (n * a + b) * ustride, &rounded, CK_GMR * sizeof(T));
                }
        }
}

void FN(ck_wino_filter)(ptrdiff_t O, ptrdiff_t I, const T *w, ptrdiff_t so, ptrdiff_t si, int flip, ptrdiff_t p0,
                        ptrdiff_t p1, int M, int R, T *u) {
    if (M == 4)
        FN(wino_filter)(O, I, w, so, si, flip, p0, p1, u, 4, 3);
    else if (R == 5)
        FN(wino_filter)(O, I, w, so, si, flip, p0, p1, u, 2, 5);
    else
        FN(wino_filter)(O, I, w, so, si, flip, p0, p1, u, 2, 3);
}

/* dw[e] (R x R, at dw + R*R*e) <- G^T S G for the filter elements e0 <= e < e1 (e = f*C + c), S (n x n)
 * the chunks' products for e, part[(j * n*n + xi) * FC + e] for chunk j, summed in chunk order in double
 * (the weight gradient's last step), WINO_LANES elements at a time. */
static inline __attribute__((always_inline)) void FN(wino_weight_filter)(const T *part, ptrdiff_t chunks, ptrdiff_t FC,
                                                                         ptrdiff_t e0, ptrdiff_t e1, T *dw, const int M,
                                                                         const int R) {
    const int n = M + R - 1;
    for (ptrdiff_t e = e0; e < e1; e += WINO_LANES) {
        const ptrdiff_t lanes = e1 - e < WINO_LANES ? e1 - e : WINO_LANES;
        VD S[WINO_NMAX][WINO_NMAX], D[WINO_NMAX][WINO_NMAX];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) S[a][b] = (VD){0};
        for (ptrdiff_t j = 0; j < chunks; j++) /* chunk-major (product-major: 2x the time on 128 x 128 filters) */
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++) {
                    const T *src = part + (j * n * n + n * a + b) * FC + e;
                    VT v = {0};
                    if (lanes == WINO_LANES)
                        __builtin_memcpy(&v, src, sizeof v);
                    else
                        for (ptrdiff_t l = 0; l < lanes; l++) v[l] = src[l];
                    S[a][b] += __builtin_convertvector(v, VD);
                }
        FN(wino_two_sided)(wino_g[WINO_KIND(M, R)], 1, R, n, (const VD(*)[WINO_NMAX])S, D);
        for (ptrdiff_t l = 0; l < lanes; l++)
            for (int k = 0; k < R; k++)
                for (int q = 0; q < R; q++) dw[(e + l) * R * R + k * R + q] = (T)D[k][q][l];
    }
}

void FN(ck_wino_weight_filter)(const T *part, ptrdiff_t chunks, ptrdiff_t FC, ptrdiff_t e0, ptrdiff_t e1, int M, int R,
                               T *dw) {
    if (M == 4)
        FN(wino_weight_filter)(part, chunks, FC, e0, e1, dw, 4, 3);
    else if (R == 5)
        FN(wino_weight_filter)(part, chunks, FC, e0, e1, dw, 2, 5);
    else
        FN(wino_weight_filter)(part, chunks, FC, e0, e1, dw, 2, 3);
}
#undef VD
#undef VT

#if defined(__GNUC__) && !defined(__clang__)
#define CK_WINO_SHUFFLE 1 /* GCC's two-vector shuffles; elsewhere the same lanes moved one by one */
#endif

/* The shuffle masks of wino_deinterleave: lanes 0, 2, 4, .. and 1, 3, 5, .. of a pair of vectors (x, y). */
static inline void FN(wino_split_masks)(VI *even, VI *odd) {
    for (int l = 0; l < VL; l++) {
        (*even)[l] = (UT)(2 * l);
        (*odd)[l] = (UT)(2 * l + 1);
    }
}

/* The shuffle masks of wino_store_pairs: the lanes of x and y alternating, first halves (lo), then second
 * halves (hi). */
static inline void FN(wino_merge_masks)(VI *lo, VI *hi) {
    for (int l = 0; l < VL; l++) {
        (*lo)[l] = (UT)(l / 2 + (l & 1) * VL);
        (*hi)[l] = (UT)(VL / 2 + l / 2 + (l & 1) * VL);
    }
}

/* Lanes l of the zero-padded row: xr[s + l] where 0 <= s + l < W, else 0. shift (GCC): the lanes of (zeros,
 * the row's first vector) that make the vector at s = -pw, for 0 < pw < VL (wino_shift_mask). */
static inline V FN(wino_row_vector)(const T *xr, ptrdiff_t W, ptrdiff_t s, ptrdiff_t pw, VI shift) {
    if (s >= 0) return FN(vload_upto)(xr + s, W - s);
#ifdef CK_WINO_SHUFFLE
    if (s == -pw && pw < VL) return __builtin_shuffle((V){0}, FN(vload_upto)(xr, W), shift);
#else
    (void)pw;
    (void)shift;
#endif
    V v = {0};
    for (int l = 0; l < VL; l++)
        if (s + l >= 0 && s + l < W) v[l] = xr[s + l];
    return v;
}

static inline VI FN(wino_shift_mask)(ptrdiff_t pw) {
    VI m;
    for (int l = 0; l < VL; l++) m[l] = (UT)(l < pw ? l : VL + l - pw);
    return m;
}

/* The M phases of the input row xr (W long) padded by pw zeros on the left, M = 2 or 4: ph[q * ld + t] =
 * row[M t + q] for q < M, t < n (n a multiple of VL); *zero += (the row's sum) * 0, NaN where it holds
 * inf/NaN (or where the sum of finite values overflows: the direct path then runs too). Four phases are the
 * even/odd split applied twice. */
static inline __attribute__((always_inline)) void FN(wino_deinterleave)(const T *xr, ptrdiff_t W, ptrdiff_t pw,
                                                                        ptrdiff_t n, const int M, T *ph, ptrdiff_t ld,
                                                                        VI even, VI odd, VI shift, V *zero) {
    V sum = {0};
    for (ptrdiff_t t = 0; t < n; t += VL) {
        const ptrdiff_t s = M * t - pw;
        const int inside = s >= 0 && s + M * VL <= W;
        V x[WINO_MMAX];
#pragma GCC unroll 4
        for (int k = 0; k < M; k++) {
            x[k] = inside ? FN(vload)(xr + s + k * VL) : FN(wino_row_vector)(xr, W, s + k * VL, pw, shift);
            sum += x[k];
        }
#ifdef CK_WINO_SHUFFLE
        const V e01 = __builtin_shuffle(x[0], x[1], even), o01 = __builtin_shuffle(x[0], x[1], odd);
        if (M == 2) {
            FN(vstore)(ph + t, e01);
            FN(vstore)(ph + ld + t, o01);
        } else {
            const V e23 = __builtin_shuffle(x[2], x[3], even), o23 = __builtin_shuffle(x[2], x[3], odd);
            FN(vstore)(ph + t, __builtin_shuffle(e01, e23, even));
            FN(vstore)(ph + ld + t, __builtin_shuffle(o01, o23, even));
            FN(vstore)(ph + 2 * ld + t, __builtin_shuffle(e01, e23, odd));
            FN(vstore)(ph + 3 * ld + t, __builtin_shuffle(o01, o23, odd));
        }
#else
        (void)even;
        (void)odd;
        for (int q = 0; q < M; q++)
            for (int l = 0; l < VL; l++) ph[q * ld + t + l] = x[(M * l + q) / VL][(M * l + q) % VL];
#endif
    }
    *zero += sum * 0; /* one multiply-add per row on the chain through *zero */
}

/* n <= VL lanes of val to columns t .. t+n-1 of row c of a V_xi: panels of `panel` columns, C rows of ldr
 * elements each (wino_input) */
static inline void FN(wino_panel_store)(T *vx, ptrdiff_t panel, ptrdiff_t ldr, ptrdiff_t C, ptrdiff_t c, ptrdiff_t t,
                                        V val, ptrdiff_t n) {
    const ptrdiff_t p = t / panel, l = t - p * panel;
    T *dst = vx + (p * C + c) * ldr + l;
    if (l + n <= panel) {
        FN(vstore_upto)(dst, val, n);
        return;
    }
    const ptrdiff_t n0 = panel - l; /* 0 < n0 < n <= VL */
    T *next = vx + ((p + 1) * C + c) * ldr;
    T tmp[2 * VL]; /* lanes n0 .. of val as the first lanes of a vector (element loops became memcpy calls) */
    FN(vstore)(tmp, val);
    FN(vstore)(tmp + VL, val);
    FN(vstore_part)(dst, val, n0);
    FN(vstore_part)(next, FN(vload)(tmp + n0), n - n0);
}

/* r = B^T d for the n = 4 or 6 values d (the points' B^T, wino_bt). The 6 points' rows share their terms:
 * r1, r2 = (d4 - 4 d2) +- (d3 - 4 d1), r3, r4 = (d4 - d2) +- 2 (d3 - d1): 12 operations instead of 16. */
static inline __attribute__((always_inline)) void FN(wino_bt_times)(const V *d, V *r, const int n) {
    if (n == 4) {
#pragma GCC unroll 4
        for (int a = 0; a < 4; a++) r[a] = FN(wino_combine)(d, wino_bt[0][a], 4);
        return;
    }
    const V p = d[4] - d[2] * (T)4, q = d[3] - d[1] * (T)4, s = d[4] - d[2], u = (d[3] - d[1]) * (T)2;
    r[0] = d[0] * (T)4 - d[2] * (T)5 + d[4];
    r[1] = p + q;
    r[2] = p - q;
    r[3] = s + u;
    r[4] = s - u;
    r[5] = d[1] * (T)4 - d[3] * (T)5 + d[5];
}

/* Phase columns per input row for TW tiles per row (a tile's n columns reach (n - 1) / M past its first),
 * whole vectors of them; ck_wino_input's scratch for jobs of at most `rows` tile rows: M * rows + R - 1
 * input rows of M phases, each ld = that + VL elements. */
static inline ptrdiff_t FN(wino_phase_cols)(ptrdiff_t TW, int M, int R) {
    return (TW + (M + R - 2) / M + VL - 1) / VL * VL;
}
ptrdiff_t FN(ck_wino_input_scratch)(ptrdiff_t TW, ptrdiff_t rows, int M, int R) {
    const ptrdiff_t ld = FN(wino_phase_cols)(TW, M, R) + VL;
    return (M * rows + R - 1) * M * ld;
}

/* V_xi <- B^T d B for tile rows r0 .. r1 of one image x (C x H x W), TW tiles per row: tile (th, tw) is
 * column t0 + (th - r0) * TW + tw of V_xi = v + xi * vstride, in panels of `panel` columns, C rows of ldr
 * elements each (column t of row c at [(t / panel) * C + c] * ldr + t % panel). scratch:
 * ck_wino_input_scratch(TW, r1 - r0, M, R) elements. Per channel, its input rows are split into their M
 * phases in scratch first (columns M t + q at phase q), then each tile's columns 0 .. n-1 are loads at tw,
 * tw + 1, .. of those: no shuffles, and no load of what a store just wrote. Returns 0 where the values read
 * hold inf or NaN (which the transform's differences would turn into NaN), else 1. Inlined into its layouts
 * and sizes with panel, M and R constants: a division by a variable per vector of tiles cost ~10%. */
static inline __attribute__((always_inline)) int FN(wino_input)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W,
                                                                ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW, ptrdiff_t r0,
                                                                ptrdiff_t r1, ptrdiff_t t0, const ptrdiff_t panel,
                                                                ptrdiff_t ldr, ptrdiff_t vstride, T *v, T *scratch,
                                                                const int M, const int R) {
    const int n = M + R - 1;
    const ptrdiff_t cols = FN(wino_phase_cols)(TW, M, R), ld = cols + VL;
    VI even, odd;
    FN(wino_split_masks)(&even, &odd);
    const VI shift = FN(wino_shift_mask)(pw);
    V zero = {0};
    for (ptrdiff_t c = 0; c < C; c++) {
        const T *xc = x + c * H * W;
        for (ptrdiff_t k = 0; k < M * (r1 - r0) + R - 1; k++) { /* input row M r0 - ph + k: at scratch + M k ld */
            const ptrdiff_t ih = M * r0 - ph + k;
            T *row = scratch + M * k * ld;
            if (ih >= 0 && ih < H) {
                FN(wino_deinterleave)(xc + ih * W, W, pw, cols, M, row, ld, even, odd, shift, &zero);
                continue;
            }
            for (ptrdiff_t t = 0; t < M * ld; t += VL) FN(vstore)(row + t, (V){0});
        }
        for (ptrdiff_t th = r0; th < r1; th++) {
            const ptrdiff_t tl = t0 + (th - r0) * TW;
            const T *rows = scratch + M * (M * (th - r0)) * ld; /* the tile's input rows, M ld apart */
            for (ptrdiff_t tw = 0; tw < TW; tw += VL) {
                const ptrdiff_t nt = TW - tw < VL ? TW - tw : VL;
                const ptrdiff_t t = tl + tw, p = t / panel, l = t - p * panel;
                T *dst = v + (p * C + c) * ldr + l; /* this vector of tiles in each V_xi, in one panel */
                const int whole = l + nt <= panel;
                /* A whole vector inside the row: its lanes past nt land on the next tile row's columns (written
                 * after these) or past the job's tiles (never read), and one full store beats vstore_part (on
                 * AVX2 up to three stores and two shuffles; as a masked store it was 42% of F(2x2, 5x5)'s input
                 * transform on a Zen 4). */
                const int fits = l + VL <= ldr;
                V db[WINO_NMAX][WINO_NMAX]; /* d B, row by row */
#pragma GCC unroll 6
                for (int i = 0; i < n; i++) {
                    const T *ev = rows + M * i * ld + tw; /* columns M tw + j: phase j % M, j / M further */
                    V d[WINO_NMAX];
#pragma GCC unroll 6
                    for (int j = 0; j < n; j++) d[j] = FN(vload)(ev + (j % M) * ld + j / M);
                    FN(wino_bt_times)(d, db[i], n);
                }
#pragma GCC unroll 6
                for (int b = 0; b < n; b++) { /* B^T (d B), column by column */
                    V e[WINO_NMAX], r[WINO_NMAX];
#pragma GCC unroll 6
                    for (int i = 0; i < n; i++) e[i] = db[i][b];
                    FN(wino_bt_times)(e, r, n);
#pragma GCC unroll 6
                    for (int a = 0; a < n; a++) {
                        if (fits)
                            FN(vstore)(dst + (n * a + b) * vstride, r[a]);
                        else if (whole)
                            FN(vstore_upto)(dst + (n * a + b) * vstride, r[a], nt);
                        else
                            FN(wino_panel_store)(v + (n * a + b) * vstride, panel, ldr, C, c, t, r[a], nt);
                    }
                }
            }
        }
    }
    return FN(hsum)(zero) == 0;
}

/* wino_input for each size and layout, one function each (inlined side by side, the 3x3 loops were
 * register-allocated around the 5x5 ones and ran ~25% slower): into ck_gemm_block's panels of B (K = C),
 * or into row-major C x ld matrices (the weight gradient's, packed afterwards; t0 + tiles <= ld: one panel,
 * no column ever crosses into another) */
#define WINO_INPUT_PANELS(M_, R_)                                                                                      \
    static __attribute__((noinline)) int FN(wino_input_panels_##M_##_##R_)(                                            \
        const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW, ptrdiff_t r0,     \
        ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t vstride, T *v, T *scratch) {                                             \
        return FN(wino_input)(x, C, H, W, ph, pw, TW, r0, r1, t0, GNR, GNR, vstride, v, scratch, M_, R_);              \
    }
#define WINO_INPUT_ROWS(M_, R_)                                                                                        \
    static __attribute__((noinline)) int FN(wino_input_rows_##M_##_##R_)(                                              \
        const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW, ptrdiff_t r0,     \
        ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t ld, ptrdiff_t vstride, T *v, T *scratch) {                               \
        return FN(wino_input)(x, C, H, W, ph, pw, TW, r0, r1, t0, PTRDIFF_MAX / 2, ld, vstride, v, scratch, M_, R_);   \
    }
WINO_INPUT_PANELS(2, 3)
WINO_INPUT_PANELS(2, 5)
WINO_INPUT_PANELS(4, 3)
WINO_INPUT_ROWS(2, 3)
WINO_INPUT_ROWS(2, 5)
WINO_INPUT_ROWS(4, 3)
#undef WINO_INPUT_PANELS
#undef WINO_INPUT_ROWS

int FN(ck_wino_input)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW,
                      ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t vstride, T *v, T *scratch, int M, int R) {
    return (M == 4       ? FN(wino_input_panels_4_3)
                : R == 5 ? FN(wino_input_panels_2_5)
                         : FN(wino_input_panels_2_3))(x, C, H, W, ph, pw, TW, r0, r1, t0, vstride, v, scratch);
}

int FN(ck_wino_input_rows)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW,
                           ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t ld, ptrdiff_t vstride, T *v, T *scratch,
                           int M, int R) {
    return (M == 4       ? FN(wino_input_rows_4_3)
                : R == 5 ? FN(wino_input_rows_2_5)
                         : FN(wino_input_rows_2_3))(x, C, H, W, ph, pw, TW, r0, r1, t0, ld, vstride, v, scratch);
}

/* Elements of ck_wino_dout's scratch for TW tiles per row: M rows of M phases. */
ptrdiff_t FN(ck_wino_dout_scratch)(ptrdiff_t TW, int M) { return M * M * ((TW + VL - 1) / VL * VL + VL); }

/* Y_xi <- A dy A^T (the adjoint of the output transform, for the weight gradient) for tile rows r0 .. r1 of
 * one image's upstream gradient dy (F x OH x OW; zeros past it): tile (th, tw) is column t0 + (th - r0) *
 * TW + tw of row f of Y_xi = y + xi * ystride, rows ld apart. db[f] += the sum of those dy rows (in T per
 * call, then added in double). scratch: ck_wino_dout_scratch(TW, M) elements. Returns 0 where dy holds inf
 * or NaN, else 1. */
static inline __attribute__((always_inline)) int FN(wino_dout)(const T *dy, ptrdiff_t F, ptrdiff_t OH, ptrdiff_t OW,
                                                               ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t t0,
                                                               ptrdiff_t ld, ptrdiff_t ystride, T *y, double *db,
                                                               T *scratch, const int M, const int R) {
    const int n = M + R - 1;
    const double (*at)[WINO_NMAX] = wino_at[WINO_KIND(M, R)];
    const ptrdiff_t cols = (TW + VL - 1) / VL * VL, rl = cols + VL;
    VI even, odd;
    FN(wino_split_masks)(&even, &odd);
    const VI shift = FN(wino_shift_mask)(0);
    V zero = {0};
    for (ptrdiff_t f = 0; f < F; f++) {
        const T *df = dy + f * OH * OW;
        V sum = {0};
        for (ptrdiff_t th = r0; th < r1; th++) {
            for (int r = 0; r < M; r++) { /* output row M th + r: its M phases, rl apart */
                T *row = scratch + M * r * rl;
                if (M * th + r < OH) {
                    V rz = {0};
                    FN(wino_deinterleave)(df + (M * th + r) * OW, OW, 0, cols, M, row, rl, even, odd, shift, &rz);
                    zero += rz;
                    for (ptrdiff_t t = 0; t < cols; t += VL) {
                        V rs = FN(vload)(row + t);
#pragma GCC unroll 4
                        for (int q = 1; q < M; q++) rs += FN(vload)(row + q * rl + t);
                        sum += rs;
                    }
                } else {
                    for (ptrdiff_t t = 0; t < M * rl; t += VL) FN(vstore)(row + t, (V){0});
                }
            }
            T *dst = y + f * ld + t0 + (th - r0) * TW;
            for (ptrdiff_t tw = 0; tw < TW; tw += VL) {
                const ptrdiff_t nt = TW - tw < VL ? TW - tw : VL;
                /* a whole vector where the row has room: as in wino_input, lanes past nt land on columns written
                 * after these or never packed */
                const ptrdiff_t keep = t0 + (th - r0) * TW + tw + VL <= ld ? VL : nt;
                V z[WINO_MMAX][WINO_NMAX];
#pragma GCC unroll 4
                for (int r = 0; r < M; r++) { /* dy A^T: the columns of row r */
                    V d[WINO_MMAX];
#pragma GCC unroll 4
                    for (int q = 0; q < M; q++) d[q] = FN(vload)(scratch + (M * r + q) * rl + tw);
#pragma GCC unroll 6
                    for (int b = 0; b < n; b++) {
                        double col[WINO_MMAX];
#pragma GCC unroll 4
                        for (int q = 0; q < M; q++) col[q] = at[q][b];
                        z[r][b] = FN(wino_combine)(d, col, M);
                    }
                }
#pragma GCC unroll 6
                for (int b = 0; b < n; b++) { /* A (dy A^T) */
                    V zb[WINO_MMAX];
#pragma GCC unroll 4
                    for (int r = 0; r < M; r++) zb[r] = z[r][b];
#pragma GCC unroll 6
                    for (int a = 0; a < n; a++) {
                        double col[WINO_MMAX];
#pragma GCC unroll 4
                        for (int q = 0; q < M; q++) col[q] = at[q][a];
                        FN(vstore_upto)(dst + (n * a + b) * ystride + tw, FN(wino_combine)(zb, col, M), keep);
                    }
                }
            }
        }
        db[f] += (double)FN(hsum)(sum);
    }
    return FN(hsum)(zero) == 0;
}

int FN(ck_wino_dout)(const T *dy, ptrdiff_t F, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1,
                     ptrdiff_t t0, ptrdiff_t ld, ptrdiff_t ystride, T *y, double *db, T *scratch, int M, int R) {
    if (M == 4) return FN(wino_dout)(dy, F, OH, OW, TW, r0, r1, t0, ld, ystride, y, db, scratch, 4, 3);
    if (R == 5) return FN(wino_dout)(dy, F, OH, OW, TW, r0, r1, t0, ld, ystride, y, db, scratch, 2, 5);
    return FN(wino_dout)(dy, F, OH, OW, TW, r0, r1, t0, ld, ystride, y, db, scratch, 2, 3);
}

/* M = 2 or 4 vectors of tiles' columns y[k] (column k of each tile) interleaved to dst, y[0][0], y[1][0], ..,
 * y[M-1][0], y[0][1], ..: at most `keep` of the M * VL values. Four are the pairwise merge applied twice. */
static inline __attribute__((always_inline)) void FN(wino_store_tiles)(T *dst, const V *y, const int M, ptrdiff_t keep,
                                                                       VI lo, VI hi) {
#ifdef CK_WINO_SHUFFLE
    if (M == 2) {
        FN(vstore_upto)(dst, __builtin_shuffle(y[0], y[1], lo), keep);
        FN(vstore_upto)(dst + VL, __builtin_shuffle(y[0], y[1], hi), keep - VL);
        return;
    }
    const V a0 = __builtin_shuffle(y[0], y[2], lo), a1 = __builtin_shuffle(y[0], y[2], hi);
    const V b0 = __builtin_shuffle(y[1], y[3], lo), b1 = __builtin_shuffle(y[1], y[3], hi);
    FN(vstore_upto)(dst, __builtin_shuffle(a0, b0, lo), keep);
    FN(vstore_upto)(dst + VL, __builtin_shuffle(a0, b0, hi), keep - VL);
    FN(vstore_upto)(dst + 2 * VL, __builtin_shuffle(a1, b1, lo), keep - 2 * VL);
    FN(vstore_upto)(dst + 3 * VL, __builtin_shuffle(a1, b1, hi), keep - 3 * VL);
#else
    (void)lo;
    (void)hi;
    for (ptrdiff_t e = 0; e < keep; e++) dst[e] = y[e % M][e / M];
#endif
}

/* out (O x OH x OW, one image) of tile rows r0 .. r1 <- A^T M A + bias[o], then ReLU (x if x > 0 or NaN,
 * else 0) with relu: tile (th, tw) is column t0 + (th - r0) * TW + tw of M_xi = m + xi * mstride, row o at
 * o * ldm. Reads whole vectors of M: up to VL - 1 elements past a row's last tile must be readable (their
 * lanes are dropped; partial loads of the 7 tiles of a 14-wide row cost 3-7% of a 5x5 forward pass). */
static inline __attribute__((always_inline)) void
FN(wino_output)(const T *m, ptrdiff_t mstride, ptrdiff_t ldm, ptrdiff_t O, ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1,
                ptrdiff_t t0, const T *bias, int relu, T *out, ptrdiff_t OH, ptrdiff_t OW, const int M, const int R) {
    const int n = M + R - 1;
    const double (*at)[WINO_NMAX] = wino_at[WINO_KIND(M, R)];
    VI lo, hi;
    FN(wino_merge_masks)(&lo, &hi);
    for (ptrdiff_t o = 0; o < O; o++) {
        const V bo = (V){0} + bias[o];
        const T *mo = m + o * ldm;
        T *plane = out + o * OH * OW;
        for (ptrdiff_t th = r0; th < r1; th++) {
            const ptrdiff_t tl = t0 + (th - r0) * TW;
            for (ptrdiff_t tw = 0; tw < TW; tw += VL) {
                const ptrdiff_t nt = TW - tw < VL ? TW - tw : VL;
                V s[WINO_MMAX][WINO_NMAX];
#pragma GCC unroll 6
                for (int b = 0; b < n; b++) { /* A^T M: the rows of column b */
                    V x[WINO_NMAX];
#pragma GCC unroll 6
                    for (int a = 0; a < n; a++) x[a] = FN(vload)(mo + (n * a + b) * mstride + tl + tw);
#pragma GCC unroll 4
                    for (int k = 0; k < M; k++) s[k][b] = FN(wino_combine)(x, at[k], n);
                }
                const ptrdiff_t keep = OW - M * tw < M * nt ? OW - M * tw : M * nt;
                for (int r = 0; r < M && M * th + r < OH; r++) { /* (A^T M) A, + bias, ReLU */
                    V y[WINO_MMAX];
#pragma GCC unroll 4
                    for (int k = 0; k < M; k++) {
                        y[k] = FN(wino_combine)(s[r], at[k], n) + bo;
                        if (relu) y[k] = FN(vrelu)(y[k]);
                    }
                    FN(wino_store_tiles)(plane + (M * th + r) * OW + M * tw, y, M, keep, lo, hi);
                }
            }
        }
    }
}

/* wino_output for each size, one function each (as wino_input) */
#define WINO_OUTPUT_SIZE(M_, R_)                                                                                       \
    static __attribute__((noinline)) void FN(wino_output_##M_##_##R_)(                                                 \
        const T *m, ptrdiff_t mstride, ptrdiff_t ldm, ptrdiff_t O, ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1,           \
        ptrdiff_t t0, const T *bias, int relu, T *out, ptrdiff_t OH, ptrdiff_t OW) {                                   \
        FN(wino_output)(m, mstride, ldm, O, TW, r0, r1, t0, bias, relu, out, OH, OW, M_, R_);                          \
    }
WINO_OUTPUT_SIZE(2, 3)
WINO_OUTPUT_SIZE(2, 5)
WINO_OUTPUT_SIZE(4, 3)
#undef WINO_OUTPUT_SIZE

void FN(ck_wino_output)(const T *m, ptrdiff_t mstride, ptrdiff_t ldm, ptrdiff_t O, ptrdiff_t TW, ptrdiff_t r0,
                        ptrdiff_t r1, ptrdiff_t t0, const T *bias, int relu, T *out, ptrdiff_t OH, ptrdiff_t OW, int M,
                        int R) {
    (M == 4       ? FN(wino_output_4_3)
         : R == 5 ? FN(wino_output_2_5)
                  : FN(wino_output_2_3))(m, mstride, ldm, O, TW, r0, r1, t0, bias, relu, out, OH, OW);
}
#undef GNR
#undef CK_WINO_SHUFFLE
