/* ---------------------------------------------------------------------------------------------------
 * Winograd F(2x2, RxR), R = 3 or 5: a stride-1 3x3 or 5x5 convolution as n*n GEMMs on transformed tiles,
 * n = R + 1 (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
 *
 * Output tile (th, tw) is out[2th .. 2th+1][2tw .. 2tw+1]; its input is the n x n patch d of x at rows
 * 2th - ph .., columns 2tw - pw .. (zeros outside x). With g an R x R filter,
 *     Y = A^T [ (G g G^T) (.) (B^T d B) ] A,
 * the Toom-Cook matrices of the points 0, 1, -1 (R = 3) and 0, 1, -1, 2, -2 (R = 5), and infinity: wino_bt,
 * wino_g and wino_at below. For each element xi = n*a + b of the transformed tile the sum over input
 * channels is a GEMM, M_xi (O x tiles) = U_xi (O x I) V_xi (I x tiles), run by ck_gemm_block on
 * ck_gemm_pack_a's panels of U and ck_gemm_block's panels of V, which the input transform writes directly:
 * n*n multiply-adds per input channel for 4 outputs, against 4*R*R for the direct convolution (16 against
 * 36; 36 against 100). The input gradient is the same convolution of dout; the weight gradient the adjoint,
 * G^T [sum over tiles of (A dY A^T) (.) (B^T d B)] G, from the same input transform (ck_wino_input_rows)
 * and ck_wino_dout. Every output element is a fixed sequence of operations on the tile (dot products over
 * channels in order), whichever job computes it.
 *
 * The transforms are written once for both sizes, over the tables: each is a row of a table times a vector
 * of tiles (wino_combine), unrolled with the table a constant, so that a zero coefficient costs nothing and
 * 1 and -1 cost an add or a subtract.
 * --------------------------------------------------------------------------------------------------- */

#ifndef CK_WINO_TABLES
#define CK_WINO_TABLES
#define WINO_NMAX 6
/* [R == 5]: B^T (n x n), G (n x R), A^T (2 x n); R = 3 in the top-left corner */
static const double wino_bt[2][WINO_NMAX][WINO_NMAX] = {
    {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
    {{4, 0, -5, 0, 1, 0},
     {0, -4, -4, 1, 1, 0},
     {0, 4, -4, -1, 1, 0},
     {0, -2, -1, 2, 1, 0},
     {0, 2, -1, -2, 1, 0},
     {0, 4, 0, -5, 0, 1}},
};
static const double wino_g[2][WINO_NMAX][WINO_NMAX] = {
    {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
    {{1 / 4., 0, 0, 0, 0},
     {-1 / 6., -1 / 6., -1 / 6., -1 / 6., -1 / 6.},
     {-1 / 6., 1 / 6., -1 / 6., 1 / 6., -1 / 6.},
     {1 / 24., 1 / 12., 1 / 6., 1 / 3., 2 / 3.},
     {1 / 24., -1 / 12., 1 / 6., -1 / 3., 2 / 3.},
     {0, 0, 0, 0, 1}},
};
static const double wino_at[2][2][WINO_NMAX] = {
    {{1, 1, 1, 0}, {0, 1, -1, -1}},
    {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}},
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

/* Y (rows x rows) <- L X L^T in double, X inner x inner, L the table tab (rows x inner) or, with transposed,
 * its transpose (tab inner x rows): each sum in order, the zero coefficients skipped (tab a constant once
 * inlined and unrolled). The filter transform is G g G^T, the weight gradient's last step G^T S G. */
static inline __attribute__((always_inline)) void FN(wino_two_sided)(const double (*tab)[WINO_NMAX],
                                                                     const int transposed, const int rows,
                                                                     const int inner, const double (*X)[WINO_NMAX],
                                                                     double (*Y)[WINO_NMAX]) {
    double P[WINO_NMAX][WINO_NMAX]; /* L X */
#pragma GCC unroll 6
    for (int i = 0; i < rows; i++)
#pragma GCC unroll 6
        for (int l = 0; l < inner; l++) {
            double s = 0;
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
            double s = 0;
#pragma GCC unroll 6
            for (int l = 0; l < inner; l++) {
                const double c = transposed ? tab[l][j] : tab[j][l];
                if (c != 0) s += P[i][l] * c;
            }
            Y[i][j] = s;
        }
}

/* U <- G g G^T for the O x I filters g = w[o*so + i*si + kh*R + kw] (flip: g[kh][kw] = w[.. + (R-1 - kh)*R
 * + (R-1 - kw)], a full convolution's), in double, then rounded: U_xi at u + xi * ustride holds ceil(O /
 * CK_GMR) panels of CK_GMR rows, each [i][CK_GMR] and zero past O (ck_gemm_pack_a's layout, K = I). */
static inline __attribute__((always_inline)) void FN(wino_filter)(ptrdiff_t O, ptrdiff_t I, const T *w, ptrdiff_t so,
                                                                  ptrdiff_t si, int flip, T *u, const int R) {
    const int n = R + 1;
    const ptrdiff_t OP = (O + CK_GMR - 1) / CK_GMR * CK_GMR, ustride = OP * I;
    for (ptrdiff_t o = 0; o < OP; o++)
        for (ptrdiff_t i = 0; i < I; i++) {
            double g[WINO_NMAX][WINO_NMAX], U[WINO_NMAX][WINO_NMAX];
            for (int kh = 0; kh < R; kh++)
                for (int kw = 0; kw < R; kw++)
                    g[kh][kw] =
                        o < O ? (double)w[o * so + i * si + (flip ? (R - 1 - kh) * R + R - 1 - kw : kh * R + kw)] : 0;
            FN(wino_two_sided)(wino_g[R == 5], 0, n, R, g, U);
            T *dst = u + (o / CK_GMR) * CK_GMR * I + i * CK_GMR + o % CK_GMR;
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++) dst[(n * a + b) * ustride] = (T)U[a][b];
        }
}

void FN(ck_wino_filter)(ptrdiff_t O, ptrdiff_t I, const T *w, ptrdiff_t so, ptrdiff_t si, int flip, int R, T *u) {
    if (R == 5)
        FN(wino_filter)(O, I, w, so, si, flip, u, 5);
    else
        FN(wino_filter)(O, I, w, so, si, flip, u, 3);
}

/* dw (R x R) <- G^T S G, S (n x n) the chunks' products for filter element e (= f*C + c), part[(j * n*n +
 * xi) * FC + e] for chunk j, summed in chunk order in double (the weight gradient's last step). */
static inline __attribute__((always_inline)) void FN(wino_weight_filter)(const T *part, ptrdiff_t chunks, ptrdiff_t FC,
                                                                         ptrdiff_t e, T *dw, const int R) {
    const int n = R + 1;
    double S[WINO_NMAX][WINO_NMAX], D[WINO_NMAX][WINO_NMAX];
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            S[a][b] = 0;
            for (ptrdiff_t j = 0; j < chunks; j++) S[a][b] += part[(j * n * n + n * a + b) * FC + e];
        }
    FN(wino_two_sided)(wino_g[R == 5], 1, R, n, S, D);
    for (int k = 0; k < R; k++)
        for (int l = 0; l < R; l++) dw[k * R + l] = (T)D[k][l];
}

void FN(ck_wino_weight_filter)(const T *part, ptrdiff_t chunks, ptrdiff_t FC, ptrdiff_t e, int R, T *dw) {
    if (R == 5)
        FN(wino_weight_filter)(part, chunks, FC, e, dw, 5);
    else
        FN(wino_weight_filter)(part, chunks, FC, e, dw, 3);
}

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

/* e[t] = row[2t], o[t] = row[2t + 1] for t < n (n a multiple of VL) of the input row xr (W long) padded by
 * pw zeros on the left; *zero += (the row's sum) * 0, NaN where it holds inf/NaN (or where the sum of finite
 * values overflows: the direct path then runs too). */
static inline void FN(wino_deinterleave)(const T *xr, ptrdiff_t W, ptrdiff_t pw, ptrdiff_t n, T *e, T *o, VI even,
                                         VI odd, VI shift, V *zero) {
    V sum = {0};
    for (ptrdiff_t t = 0; t < n; t += VL) {
        const ptrdiff_t s = 2 * t - pw;
        const int inside = s >= 0 && s + 2 * VL <= W;
        const V x = inside ? FN(vload)(xr + s) : FN(wino_row_vector)(xr, W, s, pw, shift);
        const V y = inside ? FN(vload)(xr + s + VL) : FN(wino_row_vector)(xr, W, s + VL, pw, shift);
        sum += x + y;
#ifdef CK_WINO_SHUFFLE
        FN(vstore)(e + t, __builtin_shuffle(x, y, even));
        FN(vstore)(o + t, __builtin_shuffle(x, y, odd));
#else
        (void)even;
        (void)odd;
        for (int l = 0; l < VL; l++) {
            e[t + l] = l < VL / 2 ? x[2 * l] : y[2 * l - VL];
            o[t + l] = l < VL / 2 ? x[2 * l + 1] : y[2 * l + 1 - VL];
        }
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

/* Elements of ck_wino_input's scratch for TW tiles per row and jobs of at most `rows` tile rows: 2 * rows +
 * R - 1 input rows, each deinterleaved into ld even and ld odd columns. */
static inline ptrdiff_t FN(wino_row_pairs)(ptrdiff_t TW, int R) { return (TW + R / 2 + VL - 1) / VL * VL; }
ptrdiff_t FN(ck_wino_input_scratch)(ptrdiff_t TW, ptrdiff_t rows, int R) {
    const ptrdiff_t ld = FN(wino_row_pairs)(TW, R) + VL;
    return (2 * rows + R - 1) * 2 * ld;
}

/* V_xi <- B^T d B for tile rows r0 .. r1 of one image x (C x H x W), TW tiles per row: tile (th, tw) is
 * column t0 + (th - r0) * TW + tw of V_xi = v + xi * vstride, in panels of `panel` columns, C rows of ldr
 * elements each (column t of row c at [(t / panel) * C + c] * ldr + t % panel). scratch:
 * ck_wino_input_scratch(TW, r1 - r0, R) elements. Per channel, its input rows are deinterleaved into scratch
 * first (even columns, odd columns), then each tile's columns 0 .. n-1 are loads at tw, tw + 1, .. from
 * there: no shuffles, and no load of what a store just wrote. Returns 0 where the values read hold inf or
 * NaN (which the transform's differences would turn into NaN), else 1. Inlined into its two layouts and
 * two sizes with panel and R constants: a division by a variable per vector of tiles cost ~10%. */
static inline __attribute__((always_inline)) int FN(wino_input)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W,
                                                                ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW, ptrdiff_t r0,
                                                                ptrdiff_t r1, ptrdiff_t t0, const ptrdiff_t panel,
                                                                ptrdiff_t ldr, ptrdiff_t vstride, T *v, T *scratch,
                                                                const int R) {
    const int n = R + 1;
    const double (*bt)[WINO_NMAX] = wino_bt[R == 5];
    const ptrdiff_t pairs = FN(wino_row_pairs)(TW, R), ld = pairs + VL;
    VI even, odd;
    FN(wino_split_masks)(&even, &odd);
    const VI shift = FN(wino_shift_mask)(pw);
    V zero = {0};
    for (ptrdiff_t c = 0; c < C; c++) {
        const T *xc = x + c * H * W;
        for (ptrdiff_t k = 0; k < 2 * (r1 - r0) + R - 1; k++) { /* input row 2 r0 - ph + k: at scratch + 2k ld */
            const ptrdiff_t ih = 2 * r0 - ph + k;
            T *ev = scratch + 2 * k * ld;
            if (ih >= 0 && ih < H) {
                FN(wino_deinterleave)(xc + ih * W, W, pw, pairs, ev, ev + ld, even, odd, shift, &zero);
                continue;
            }
            for (ptrdiff_t t = 0; t < pairs; t += VL) {
                FN(vstore)(ev + t, (V){0});
                FN(vstore)(ev + ld + t, (V){0});
            }
        }
        for (ptrdiff_t th = r0; th < r1; th++) {
            const ptrdiff_t tl = t0 + (th - r0) * TW;
            const T *rows = scratch + 2 * (2 * (th - r0)) * ld; /* the tile's input rows, 2 ld apart */
            for (ptrdiff_t tw = 0; tw < TW; tw += VL) {
                const ptrdiff_t nt = TW - tw < VL ? TW - tw : VL;
                const ptrdiff_t t = tl + tw, p = t / panel, l = t - p * panel;
                T *dst = v + (p * C + c) * ldr + l; /* this vector of tiles in each V_xi, in one panel */
                const int whole = l + nt <= panel;
#pragma GCC unroll 6
                for (int b = 0; b < n; b++) { /* column b of d B for the n rows, then B^T (d B) */
                    V e[WINO_NMAX];
#pragma GCC unroll 6
                    for (int i = 0; i < n; i++) {
                        const T *ev = rows + 2 * i * ld + tw; /* columns 2tw + j: even ones at ev, odd ld later */
                        V d[WINO_NMAX];
#pragma GCC unroll 6
                        for (int j = 0; j < n; j++)
                            d[j] = bt[b][j] != 0 ? FN(vload)(ev + (j & 1) * ld + j / 2) : (V){0};
                        e[i] = FN(wino_combine)(d, bt[b], n);
                    }
                    V r[WINO_NMAX];
#pragma GCC unroll 6
                    for (int a = 0; a < n; a++) r[a] = FN(wino_combine)(e, bt[a], n);
#pragma GCC unroll 6
                    for (int a = 0; a < n; a++) {
                        if (whole)
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
#define WINO_INPUT_SIZE(R_)                                                                                            \
    static __attribute__((noinline)) int FN(wino_input_panels_##R_)(                                                   \
        const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW, ptrdiff_t r0,     \
        ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t vstride, T *v, T *scratch) {                                             \
        return FN(wino_input)(x, C, H, W, ph, pw, TW, r0, r1, t0, GNR, GNR, vstride, v, scratch, R_);                  \
    }                                                                                                                  \
    static __attribute__((noinline)) int FN(wino_input_rows_##R_)(                                                     \
        const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW, ptrdiff_t r0,     \
        ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t ld, ptrdiff_t vstride, T *v, T *scratch) {                               \
        return FN(wino_input)(x, C, H, W, ph, pw, TW, r0, r1, t0, PTRDIFF_MAX / 2, ld, vstride, v, scratch, R_);       \
    }
WINO_INPUT_SIZE(3)
WINO_INPUT_SIZE(5)
#undef WINO_INPUT_SIZE

int FN(ck_wino_input)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW,
                      ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t vstride, T *v, T *scratch, int R) {
    return (R == 5 ? FN(wino_input_panels_5) : FN(wino_input_panels_3))(x, C, H, W, ph, pw, TW, r0, r1, t0, vstride, v,
                                                                        scratch);
}

int FN(ck_wino_input_rows)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW,
                           ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t ld, ptrdiff_t vstride, T *v, T *scratch,
                           int R) {
    return (R == 5 ? FN(wino_input_rows_5) : FN(wino_input_rows_3))(x, C, H, W, ph, pw, TW, r0, r1, t0, ld, vstride, v,
                                                                    scratch);
}

/* Elements of ck_wino_dout's scratch for TW tiles per row. */
ptrdiff_t FN(ck_wino_dout_scratch)(ptrdiff_t TW) { return 4 * ((TW + VL - 1) / VL * VL + VL); }

/* Y_xi <- A dy A^T (the adjoint of the output transform, for the weight gradient) for tile rows r0 .. r1 of
 * one image's upstream gradient dy (F x OH x OW; zeros past it): tile (th, tw) is column t0 + (th - r0) *
 * TW + tw of row f of Y_xi = y + xi * ystride, rows ld apart. db[f] += the sum of those dy rows (in T per
 * call, then added in double). scratch: ck_wino_dout_scratch(TW) elements. Returns 0 where dy holds inf or
 * NaN, else 1. */
static inline __attribute__((always_inline)) int FN(wino_dout)(const T *dy, ptrdiff_t F, ptrdiff_t OH, ptrdiff_t OW,
                                                               ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t t0,
                                                               ptrdiff_t ld, ptrdiff_t ystride, T *y, double *db,
                                                               T *scratch, const int R) {
    const int n = R + 1;
    const double (*at)[WINO_NMAX] = wino_at[R == 5];
    const ptrdiff_t pairs = (TW + VL - 1) / VL * VL, rl = pairs + VL;
    VI even, odd;
    FN(wino_split_masks)(&even, &odd);
    const VI shift = FN(wino_shift_mask)(0);
    V zero = {0};
    for (ptrdiff_t f = 0; f < F; f++) {
        const T *df = dy + f * OH * OW;
        V sum = {0};
        for (ptrdiff_t th = r0; th < r1; th++) {
            for (int r = 0; r < 2; r++) { /* output rows 2th, 2th + 1: even columns, then odd ones rl later */
                T *ev = scratch + 2 * r * rl;
                if (2 * th + r < OH) {
                    V rz = {0};
                    FN(wino_deinterleave)(df + (2 * th + r) * OW, OW, 0, pairs, ev, ev + rl, even, odd, shift, &rz);
                    zero += rz;
                    for (ptrdiff_t t = 0; t < pairs; t += VL) sum += FN(vload)(ev + t) + FN(vload)(ev + rl + t);
                } else {
                    for (ptrdiff_t t = 0; t < pairs; t += VL) {
                        FN(vstore)(ev + t, (V){0});
                        FN(vstore)(ev + rl + t, (V){0});
                    }
                }
            }
            T *dst = y + f * ld + t0 + (th - r0) * TW;
            for (ptrdiff_t tw = 0; tw < TW; tw += VL) {
                const ptrdiff_t nt = TW - tw < VL ? TW - tw : VL;
                V z[2][WINO_NMAX];
#pragma GCC unroll 2
                for (int r = 0; r < 2; r++) { /* dy A^T: the columns of row r */
                    const V d[2] = {FN(vload)(scratch + 2 * r * rl + tw), FN(vload)(scratch + 2 * r * rl + rl + tw)};
#pragma GCC unroll 6
                    for (int b = 0; b < n; b++) {
                        const double col[2] = {at[0][b], at[1][b]};
                        z[r][b] = FN(wino_combine)(d, col, 2);
                    }
                }
#pragma GCC unroll 6
                for (int b = 0; b < n; b++) { /* A (dy A^T) */
                    const V zb[2] = {z[0][b], z[1][b]};
#pragma GCC unroll 6
                    for (int a = 0; a < n; a++) {
                        const double col[2] = {at[0][a], at[1][a]};
                        FN(vstore_upto)(dst + (n * a + b) * ystride + tw, FN(wino_combine)(zb, col, 2), nt);
                    }
                }
            }
        }
        db[f] += (double)FN(hsum)(sum);
    }
    return FN(hsum)(zero) == 0;
}

int FN(ck_wino_dout)(const T *dy, ptrdiff_t F, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1,
                     ptrdiff_t t0, ptrdiff_t ld, ptrdiff_t ystride, T *y, double *db, T *scratch, int R) {
    if (R == 5) return FN(wino_dout)(dy, F, OH, OW, TW, r0, r1, t0, ld, ystride, y, db, scratch, 5);
    return FN(wino_dout)(dy, F, OH, OW, TW, r0, r1, t0, ld, ystride, y, db, scratch, 3);
}

/* 2 * n <= 2 * VL values, y0[0], y1[0], y0[1], y1[1], .., to dst, at most `keep` of them */
static inline void FN(wino_store_pairs)(T *dst, V y0, V y1, ptrdiff_t keep, VI lo, VI hi) {
#ifdef CK_WINO_SHUFFLE
    FN(vstore_upto)(dst, __builtin_shuffle(y0, y1, lo), keep);
    FN(vstore_upto)(dst + VL, __builtin_shuffle(y0, y1, hi), keep - VL);
#else
    (void)lo;
    (void)hi;
    for (ptrdiff_t e = 0; e < keep; e++) dst[e] = (e & 1) ? y1[e / 2] : y0[e / 2];
#endif
}

/* out (O x OH x OW, one image) of tile rows r0 .. r1 <- A^T M A + bias[o], then ReLU (x if x > 0 or NaN,
 * else 0) with relu: tile (th, tw) is column t0 + (th - r0) * TW + tw of M_xi = m + xi * mstride, row o at
 * o * ldm. Reads whole vectors of M: up to VL - 1 elements past a row's last tile must be readable (their
 * lanes are dropped; partial loads of the 7 tiles of a 14-wide row cost 3-7% of a 5x5 forward pass). */
static inline __attribute__((always_inline)) void FN(wino_output)(const T *m, ptrdiff_t mstride, ptrdiff_t ldm,
                                                                  ptrdiff_t O, ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1,
                                                                  ptrdiff_t t0, const T *bias, int relu, T *out,
                                                                  ptrdiff_t OH, ptrdiff_t OW, const int R) {
    const int n = R + 1;
    const double (*at)[WINO_NMAX] = wino_at[R == 5];
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
                V s[2][WINO_NMAX];
#pragma GCC unroll 6
                for (int b = 0; b < n; b++) { /* A^T M: the rows of column b */
                    V x[WINO_NMAX];
#pragma GCC unroll 6
                    for (int a = 0; a < n; a++) x[a] = FN(vload)(mo + (n * a + b) * mstride + tl + tw);
                    s[0][b] = FN(wino_combine)(x, at[0], n);
                    s[1][b] = FN(wino_combine)(x, at[1], n);
                }
                const ptrdiff_t keep = OW - 2 * tw < 2 * nt ? OW - 2 * tw : 2 * nt;
                for (int r = 0; r < (2 * th + 1 < OH ? 2 : 1); r++) { /* (A^T M) A, + bias, ReLU */
                    V y0 = FN(wino_combine)(s[r], at[0], n) + bo, y1 = FN(wino_combine)(s[r], at[1], n) + bo;
                    if (relu) {
                        y0 = (V)((VI)y0 & (VI)((y0 > 0) | (y0 != y0)));
                        y1 = (V)((VI)y1 & (VI)((y1 > 0) | (y1 != y1)));
                    }
                    FN(wino_store_pairs)(plane + (2 * th + r) * OW + 2 * tw, y0, y1, keep, lo, hi);
                }
            }
        }
    }
}

/* wino_output for each size, one function each (as wino_input) */
#define WINO_OUTPUT_SIZE(R_)                                                                                           \
    static __attribute__((noinline)) void FN(wino_output_##R_)(                                                        \
        const T *m, ptrdiff_t mstride, ptrdiff_t ldm, ptrdiff_t O, ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1,           \
        ptrdiff_t t0, const T *bias, int relu, T *out, ptrdiff_t OH, ptrdiff_t OW) {                                   \
        FN(wino_output)(m, mstride, ldm, O, TW, r0, r1, t0, bias, relu, out, OH, OW, R_);                              \
    }
WINO_OUTPUT_SIZE(3)
WINO_OUTPUT_SIZE(5)
#undef WINO_OUTPUT_SIZE

void FN(ck_wino_output)(const T *m, ptrdiff_t mstride, ptrdiff_t ldm, ptrdiff_t O, ptrdiff_t TW, ptrdiff_t r0,
                        ptrdiff_t r1, ptrdiff_t t0, const T *bias, int relu, T *out, ptrdiff_t OH, ptrdiff_t OW,
                        int R) {
    (R == 5 ? FN(wino_output_5) : FN(wino_output_3))(m, mstride, ldm, O, TW, r0, r1, t0, bias, relu, out, OH, OW);
}
#undef GNR
#undef CK_WINO_SHUFFLE
