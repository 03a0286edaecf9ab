/* ---------------------------------------------------------------------------------------------------
 * Winograd F(2x2, 3x3): a stride-1 3x3 convolution as 16 GEMMs on transformed tiles (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016).
 *
 * Output tile (th, tw) is out[2th .. 2th+1][2tw .. 2tw+1]; its input is the 4x4 patch d of x at rows
 * 2th - ph .., columns 2tw - pw .. (zeros outside x). With g a 3x3 filter,
 *     Y = A^T [ (G g G^T) (.) (B^T d B) ] A,
 *     B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
 *     A^T = [1 1 1 0; 0 1 -1 -1].
 * For each element xi = 4a + b of the 4x4 transformed tile the sum over input channels is a GEMM,
 * M_xi (O x tiles) = U_xi (O x I) V_xi (I x tiles), run by ck_gemm_block on ck_gemm_pack_a's panels of U
 * and ck_gemm_block's panels of V, which the input transform writes directly: 16 multiply-adds per input
 * channel for 4 outputs, against 36 for the direct convolution. The input gradient is the same
 * convolution of dout; the weight gradient the adjoint, G^T [sum over tiles of (A dY A^T) (.) (B^T d B)] G,
 * from the same input transform (ck_wino_input_rows) and ck_wino_dout. Every output element is a fixed
 * sequence of operations on the tile (dot products over channels in order), whichever job computes it.
 * --------------------------------------------------------------------------------------------------- */

#define GNR (CK_GNV * VL)

/* U <- G g G^T for the O x I filters g = w[o*so + i*si + kh*3 + kw] (flip: g[kh][kw] = w[.. + (2 - kh)*3 +
 * (2 - kw)], a full convolution's), in double, then rounded: U_xi at u + xi * ustride holds ceil(O /
 * CK_GMR) panels of CK_GMR rows, each [i][CK_GMR] and zero past O (ck_gemm_pack_a's layout, K = I). */
void FN(ck_wino_filter)(ptrdiff_t O, ptrdiff_t I, const T *w, ptrdiff_t so, ptrdiff_t si, int flip, T *u) {
    const ptrdiff_t OP = (O + CK_GMR - 1) / CK_GMR * CK_GMR, ustride = OP * I;
    for (ptrdiff_t o = 0; o < OP; o++)
        for (ptrdiff_t i = 0; i < I; i++) {
            double g[3][3], t[4][3];
            for (int kh = 0; kh < 3; kh++)
                for (int kw = 0; kw < 3; kw++)
                    g[kh][kw] = o < O ? (double)w[o * so + i * si + (flip ? (2 - kh) * 3 + 2 - kw : kh * 3 + kw)] : 0;
            for (int kw = 0; kw < 3; kw++) { /* t = G g */
                t[0][kw] = g[0][kw];
                t[1][kw] = 0.5 * (g[0][kw] + g[1][kw] + g[2][kw]);
                t[2][kw] = 0.5 * (g[0][kw] - g[1][kw] + g[2][kw]);
                t[3][kw] = g[2][kw];
            }
            T *dst = u + (o / CK_GMR) * CK_GMR * I + i * CK_GMR + o % CK_GMR;
            for (int a = 0; a < 4; a++) { /* (G g) G^T */
                dst[(4 * a + 0) * ustride] = (T)t[a][0];
                dst[(4 * a + 1) * ustride] = (T)(0.5 * (t[a][0] + t[a][1] + t[a][2]));
                dst[(4 * a + 2) * ustride] = (T)(0.5 * (t[a][0] - t[a][1] + t[a][2]));
                dst[(4 * a + 3) * ustride] = (T)t[a][2];
            }
        }
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
    T tmp[VL];
    FN(vstore)(tmp, val);
    const ptrdiff_t n0 = panel - l;
    T *next = vx + ((p + 1) * C + c) * ldr; /* element copies: a library memcpy call costs more */
    for (ptrdiff_t e = 0; e < n0; e++) dst[e] = tmp[e];
    for (ptrdiff_t e = n0; e < n; e++) next[e - n0] = tmp[e];
}

/* Elements of ck_wino_input's scratch for TW tiles per row and jobs of at most `rows` tile rows. */
ptrdiff_t FN(ck_wino_input_scratch)(ptrdiff_t TW, ptrdiff_t rows) {
    const ptrdiff_t ld = (TW + 1 + VL - 1) / VL * VL + VL;
    return (2 * rows + 2) * 2 * ld;
}

/* V_xi <- B^T d B for tile rows r0 .. r1 of one image x (C x H x W), TW tiles per row: tile (th, tw) is
 * column t0 + (th - r0) * TW + tw of V_xi = v + xi * vstride, in panels of `panel` columns, C rows of ldr
 * elements each (column t of row c at [(t / panel) * C + c] * ldr + t % panel). scratch:
 * ck_wino_input_scratch(TW, r1 - r0) elements. Per channel, its input rows are deinterleaved into scratch
 * first (even columns, odd columns), then each tile's columns 0 .. 3 are loads at tw and tw + 1 from
 * there: no shuffles, and no load of what a store just wrote. Returns 0 where the values read hold inf or
 * NaN (which the transform's differences would turn into NaN), else 1. Inlined into its two layouts with
 * panel a constant: a division by a variable per vector of tiles cost ~10%. */
static inline __attribute__((always_inline)) int FN(wino_input)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W,
                                                                ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW, ptrdiff_t r0,
                                                                ptrdiff_t r1, ptrdiff_t t0, const ptrdiff_t panel,
                                                                ptrdiff_t ldr, ptrdiff_t vstride, T *v, T *scratch) {
    const ptrdiff_t pairs = (TW + 1 + VL - 1) / VL * VL, ld = pairs + VL;
    VI even, odd;
    FN(wino_split_masks)(&even, &odd);
    const VI shift = FN(wino_shift_mask)(pw);
    V zero = {0};
    for (ptrdiff_t c = 0; c < C; c++) {
        const T *xc = x + c * H * W;
        for (ptrdiff_t k = 0; k < 2 * (r1 - r0) + 2; k++) { /* input row 2 r0 - ph + k: at scratch + 2k ld */
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
                const ptrdiff_t n = TW - tw < VL ? TW - tw : VL;
                const ptrdiff_t t = tl + tw, p = t / panel, l = t - p * panel;
                T *dst = v + (p * C + c) * ldr + l; /* this vector of tiles in each V_xi, in one panel */
                const int whole = l + n <= panel;
#pragma GCC unroll 4
                for (int b = 0; b < 4; b++) { /* column b of d B for the 4 rows, then B^T (d B): 12 registers */
                    V e[4];
#pragma GCC unroll 4
                    for (int i = 0; i < 4; i++) {
                        const T *ev = rows + 2 * i * ld + tw, *od = ev + ld; /* columns 2tw, 2tw + 1, .. */
                        e[i] = b == 0 ? FN(vload)(ev) - FN(vload)(ev + 1)
                            : b == 1  ? FN(vload)(od) + FN(vload)(ev + 1)
                            : b == 2  ? FN(vload)(ev + 1) - FN(vload)(od)
                                      : FN(vload)(od) - FN(vload)(od + 1);
                    }
                    const V r[4] = {e[0] - e[2], e[1] + e[2], e[2] - e[1], e[1] - e[3]};
#pragma GCC unroll 4
                    for (int a = 0; a < 4; a++) {
                        if (whole)
                            FN(vstore_upto)(dst + (4 * a + b) * vstride, r[a], n);
                        else
                            FN(wino_panel_store)(v + (4 * a + b) * vstride, panel, ldr, C, c, t, r[a], n);
                    }
                }
            }
        }
    }
    return FN(hsum)(zero) == 0;
}

/* wino_input into ck_gemm_block's panels of B (K = C) */
int FN(ck_wino_input)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW,
                      ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t vstride, T *v, T *scratch) {
    return FN(wino_input)(x, C, H, W, ph, pw, TW, r0, r1, t0, GNR, GNR, vstride, v, scratch);
}

/* wino_input into row-major C x ld matrices (the weight gradient's, packed afterwards; t0 + tiles <= ld) */
int FN(ck_wino_input_rows)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t TW,
                           ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t t0, ptrdiff_t ld, ptrdiff_t vstride, T *v,
                           T *scratch) {
    return FN(wino_input)(x, C, H, W, ph, pw, TW, r0, r1, t0, PTRDIFF_MAX / 2, ld, vstride, v, scratch);
}

/* Elements of ck_wino_dout's scratch for TW tiles per row. */
ptrdiff_t FN(ck_wino_dout_scratch)(ptrdiff_t TW) { return 4 * ((TW + VL - 1) / VL * VL + VL); }

/* Y_xi <- A dy A^T (the adjoint of the output transform, for the weight gradient) for tile rows r0 .. r1 of
 * one image's upstream gradient dy (F x OH x OW; zeros past it): tile (th, tw) is column t0 + (th - r0) *
 * TW + tw of row f of Y_xi = y + xi * ystride, rows ld apart, A = [1 0; 1 1; 1 -1; 0 -1]. db[f] += the
 * sum of those dy rows (in T per call, then added in double). scratch: ck_wino_dout_scratch(TW) elements.
 * Returns 0 where dy holds inf or NaN, else 1. */
int FN(ck_wino_dout)(const T *dy, ptrdiff_t F, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t TW, ptrdiff_t r0, ptrdiff_t r1,
                     ptrdiff_t t0, ptrdiff_t ld, ptrdiff_t ystride, T *y, double *db, T *scratch) {
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
                const ptrdiff_t n = TW - tw < VL ? TW - tw : VL;
                V z[2][4];
#pragma GCC unroll 2
                for (int r = 0; r < 2; r++) { /* dy A^T: the columns of row r */
                    const V d0 = FN(vload)(scratch + 2 * r * rl + tw), d1 = FN(vload)(scratch + 2 * r * rl + rl + tw);
                    z[r][0] = d0;
                    z[r][1] = d0 + d1;
                    z[r][2] = d0 - d1;
                    z[r][3] = -d1;
                }
#pragma GCC unroll 4
                for (int b = 0; b < 4; b++) { /* A (dy A^T) */
                    FN(vstore_upto)(dst + (0 + b) * ystride + tw, z[0][b], n);
                    FN(vstore_upto)(dst + (4 + b) * ystride + tw, z[0][b] + z[1][b], n);
                    FN(vstore_upto)(dst + (8 + b) * ystride + tw, z[0][b] - z[1][b], n);
                    FN(vstore_upto)(dst + (12 + b) * ystride + tw, -z[1][b], n);
                }
            }
        }
        db[f] += (double)FN(hsum)(sum);
    }
    return FN(hsum)(zero) == 0;
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
 * o * ldm. */
void FN(ck_wino_output)(const T *m, ptrdiff_t mstride, ptrdiff_t ldm, ptrdiff_t O, ptrdiff_t TW, ptrdiff_t r0,
                        ptrdiff_t r1, ptrdiff_t t0, const T *bias, int relu, T *out, ptrdiff_t OH, ptrdiff_t OW) {
    VI lo, hi;
    FN(wino_merge_masks)(&lo, &hi);
    for (ptrdiff_t o = 0; o < O; o++) {
        const V bo = (V){0} + bias[o];
        const T *mo = m + o * ldm;
        T *plane = out + o * OH * OW;
        for (ptrdiff_t th = r0; th < r1; th++) {
            const ptrdiff_t tl = t0 + (th - r0) * TW;
            for (ptrdiff_t tw = 0; tw < TW; tw += VL) {
                const ptrdiff_t n = TW - tw < VL ? TW - tw : VL;
                V s[2][4];
#pragma GCC unroll 4
                for (int b = 0; b < 4; b++) { /* A^T M: the rows of column b */
                    const V x0 = FN(vload_upto)(mo + (0 + b) * mstride + tl + tw, n);
                    const V x1 = FN(vload_upto)(mo + (4 + b) * mstride + tl + tw, n);
                    const V x2 = FN(vload_upto)(mo + (8 + b) * mstride + tl + tw, n);
                    const V x3 = FN(vload_upto)(mo + (12 + b) * mstride + tl + tw, n);
                    s[0][b] = x0 + x1 + x2;
                    s[1][b] = x1 - x2 - x3;
                }
                const ptrdiff_t keep = OW - 2 * tw < 2 * n ? OW - 2 * tw : 2 * n;
                for (int r = 0; r < (2 * th + 1 < OH ? 2 : 1); r++) { /* (A^T M) A, + bias, ReLU */
                    V y0 = s[r][0] + s[r][1] + s[r][2] + bo, y1 = s[r][1] - s[r][2] - s[r][3] + bo;
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
#undef GNR
#undef CK_WINO_SHUFFLE
