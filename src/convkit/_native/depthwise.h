/* ---------------------------------------------------------------------------------------------------
 * Depthwise convolution, one (H x W) plane at a time: each output plane is one input plane convolved with
 * its own KH x KW filter (groups = C). Memory-bound, so no im2col and no GEMM: a direct loop per output
 * row and tap over the range of output columns whose input column is inside the image (no padding copy),
 * which for stride 1 is a contiguous axpy the compiler vectorises.
 * Sums run in a fixed order (taps in (kh, kw) order, rows in order), independent of any tiling.
 * --------------------------------------------------------------------------------------------------- */

/* [lo, hi): the output columns ow < OW with 0 <= ow*s + off < W. */
static inline void FN(dwc_range)(ptrdiff_t off, ptrdiff_t s, ptrdiff_t W, ptrdiff_t OW, ptrdiff_t *lo, ptrdiff_t *hi) {
    const ptrdiff_t a = -off, b = W - 1 - off;
    *lo = a <= 0 ? 0 : (a + s - 1) / s;
    *hi = b < 0 ? 0 : b / s + 1;
    if (*hi > OW) *hi = OW;
    if (*lo > *hi) *lo = *hi;
}

/* out = bias + sum_kh,kw w[kh][kw] * x[oh*sh - ph + kh*dh][ow*sw - pw + kw*dw] (zero outside x). */
void FN(ck_dwconv_plane)(const T *x, ptrdiff_t H, ptrdiff_t W, const T *w, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh,
                         ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, T bias, T *out,
                         ptrdiff_t OH, ptrdiff_t OW) {
    for (ptrdiff_t oh = 0; oh < OH; oh++) {
        T *restrict o = out + oh * OW;
        for (ptrdiff_t ow = 0; ow < OW; ow++) o[ow] = bias;
        for (ptrdiff_t kh = 0; kh < KH; kh++) {
            const ptrdiff_t ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) continue;
            const T *xr = x + ih * W;
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                const ptrdiff_t off = kw * dw - pw;
                const T wv = w[kh * KW + kw];
                ptrdiff_t lo, hi;
                FN(dwc_range)(off, sw, W, OW, &lo, &hi);
                if (sw == 1) {
                    const T *restrict xs = xr + off;
                    for (ptrdiff_t ow = lo; ow < hi; ow++) o[ow] += wv * xs[ow];
                } else {
                    for (ptrdiff_t ow = lo; ow < hi; ow++) o[ow] += wv * xr[ow * sw + off];
                }
            }
        }
    }
}

/* dx += the adjoint of ck_dwconv_plane (no bias): dx[ih][iw] += w[kh][kw] * dout[oh][ow]. */
void FN(ck_dwconv_plane_dx)(const T *dout, ptrdiff_t OH, ptrdiff_t OW, const T *w, ptrdiff_t KH, ptrdiff_t KW,
                            ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, T *dx,
                            ptrdiff_t H, ptrdiff_t W) {
    for (ptrdiff_t oh = 0; oh < OH; oh++) {
        const T *restrict d = dout + oh * OW;
        for (ptrdiff_t kh = 0; kh < KH; kh++) {
            const ptrdiff_t ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) continue;
            T *xr = dx + ih * W;
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                const ptrdiff_t off = kw * dw - pw;
                const T wv = w[kh * KW + kw];
                ptrdiff_t lo, hi;
                FN(dwc_range)(off, sw, W, OW, &lo, &hi);
                if (sw == 1) {
                    T *restrict xs = xr + off;
                    for (ptrdiff_t ow = lo; ow < hi; ow++) xs[ow] += wv * d[ow];
                } else {
                    for (ptrdiff_t ow = lo; ow < hi; ow++) xr[ow * sw + off] += wv * d[ow];
                }
            }
        }
    }
}

/* acc[kh*KW + kw] += sum_oh,ow dout[oh][ow] * x[oh*sh - ph + kh*dh][ow*sw - pw + kw*dw] and
 * acc[KH*KW] += sum dout: one image's share of one channel's weight and bias gradients. Each row's sum runs
 * in 8 partial sums of T (in lane order), added into the double accumulators row after row. */
void FN(ck_dwconv_plane_dw)(const T *x, ptrdiff_t H, ptrdiff_t W, const T *dout, ptrdiff_t OH, ptrdiff_t OW,
                            ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw,
                            ptrdiff_t dh, ptrdiff_t dw, double *acc) {
    for (ptrdiff_t oh = 0; oh < OH; oh++) {
        const T *restrict d = dout + oh * OW;
        double row = 0;
        for (ptrdiff_t ow = 0; ow < OW; ow++) row += d[ow];
        acc[KH * KW] += row;
        for (ptrdiff_t kh = 0; kh < KH; kh++) {
            const ptrdiff_t ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) continue;
            const T *xr = x + ih * W;
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                const ptrdiff_t off = kw * dw - pw;
                ptrdiff_t lo, hi, ow;
                FN(dwc_range)(off, sw, W, OW, &lo, &hi);
                T s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                for (ow = lo; ow + 8 <= hi; ow += 8)
                    for (int l = 0; l < 8; l++) s[l] += d[ow + l] * xr[(ow + l) * sw + off];
                double t = 0;
                for (int l = 0; l < 8; l++) t += s[l];
                for (; ow < hi; ow++) t += (double)d[ow] * xr[ow * sw + off];
                acc[kh * KW + kw] += t;
            }
        }
    }
}

/* ---------------------------------------------------------------------------------------------------
 * Stride 1, through a zero-padded copy of the plane: xp (Hp x Wp, Hp = OH + dh*(KH-1), Wp = OW + dw*(KW-1))
 * holds x[r - pt][c - pl] (zero outside x; pt, pl may be negative, which crops), so every tap is one
 * branch-free axpy over the rows laid end to end with row stride Wp (the Wp - OW columns between rows are
 * computed and dropped). For small planes this replaces 9 short loops per row by 9 long ones.
 * --------------------------------------------------------------------------------------------------- */

static inline void FN(dwc_pad)(const T *x, ptrdiff_t H, ptrdiff_t W, ptrdiff_t pt, ptrdiff_t pl, T *xp, ptrdiff_t Hp,
                               ptrdiff_t Wp) {
    /* [c0, c1): the columns of a row of xp that hold x, the same for every row */
    const ptrdiff_t c0 = pl > 0 ? (pl < Wp ? pl : Wp) : 0;
    ptrdiff_t c1 = W + pl < Wp ? W + pl : Wp;
    if (c1 < c0) c1 = c0;
    for (ptrdiff_t r = 0; r < Hp; r++) {
        T *restrict dst = xp + r * Wp;
        const ptrdiff_t sr = r - pt;
        if (sr < 0 || sr >= H) {
            for (ptrdiff_t c = 0; c < Wp; c++) dst[c] = 0;
            continue;
        }
        const T *restrict src = x + sr * W - pl;
        for (ptrdiff_t c = 0; c < c0; c++) dst[c] = 0;
        for (ptrdiff_t c = c0; c < c1; c++) dst[c] = src[c];
        for (ptrdiff_t c = c1; c < Wp; c++) dst[c] = 0;
    }
}

/* axpys and dots run over whole blocks of CK_DWC_SLACK elements (zeros past the plane); dwc_dot's fold is for 64 */
#define CK_DWC_SLACK 64
#define CK_DWC_BLOCK 16 /* elements of one step of an axpy (one or two vector registers) */
#define CK_DWC_CHUNK 1024 /* elements a weight-gradient dot sums in T before its partial sums go into double */

/* L rounded up to a whole number of CK_DWC_SLACK blocks */
static inline ptrdiff_t FN(dwc_round)(ptrdiff_t L) { return (L + CK_DWC_SLACK - 1) / CK_DWC_SLACK * CK_DWC_SLACK; }

/* The scratch (elements of T) that ck_dwconv_plane_s1 and ck_dwconv_plane_s1_dw need for these shapes: the
 * padded plane (+ slack), then the output rows (or dout's) with row stride Wp, rounded up. */
ptrdiff_t FN(ck_dwconv_s1_scratch)(ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t dh, ptrdiff_t dw) {
    const ptrdiff_t Wp = OW + dw * (KW - 1);
    return (OH + dh * (KH - 1)) * Wp + CK_DWC_SLACK + FN(dwc_round)(OH * Wp);
}

/* The padded plane of ck_dwconv_plane_s1*, its slack zeroed: the blocks past the last output read it. */
static inline T *FN(dwc_padded)(const T *x, ptrdiff_t H, ptrdiff_t W, ptrdiff_t pt, ptrdiff_t pl, ptrdiff_t Hp,
                                ptrdiff_t Wp, T *scratch) {
    FN(dwc_pad)(x, H, W, pt, pl, scratch, Hp, Wp);
    for (ptrdiff_t i = Hp * Wp; i < Hp * Wp + CK_DWC_SLACK; i++) scratch[i] = 0;
    return scratch + Hp * Wp + CK_DWC_SLACK;
}

/* out (OH x OW) = (accumulate ? out : 0) + bias + sum_kh,kw w'[kh][kw] * xp[oh + kh*dh][ow + kw*dw], taps in
 * (kh, kw) order, where w' is w, or w rotated by 180 degrees with flip (the adjoint of a stride-1
 * convolution is the flipped filter over dout padded by d*(K-1) - p). */
void FN(ck_dwconv_plane_s1)(const T *x, ptrdiff_t H, ptrdiff_t W, const T *w, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t pt,
                            ptrdiff_t pl, ptrdiff_t dh, ptrdiff_t dw, int flip, T bias, int accumulate, T *out,
                            ptrdiff_t OH, ptrdiff_t OW, T *scratch) {
    const ptrdiff_t Hp = OH + dh * (KH - 1), Wp = OW + dw * (KW - 1), L = FN(dwc_round)((OH - 1) * Wp + OW);
    const T *restrict xp = scratch;
    T *restrict op = FN(dwc_padded)(x, H, W, pt, pl, Hp, Wp, scratch);
    for (ptrdiff_t i = 0; i < L; i++) op[i] = bias;
    for (ptrdiff_t kh = 0; kh < KH; kh++)
        for (ptrdiff_t kw = 0; kw < KW; kw++) {
            const T wv = flip ? w[(KH - 1 - kh) * KW + (KW - 1 - kw)] : w[kh * KW + kw];
            const T *restrict xs = xp + kh * dh * Wp + kw * dw;
            for (ptrdiff_t i = 0; i < L; i += CK_DWC_BLOCK)
#pragma GCC unroll 16
                for (int l = 0; l < CK_DWC_BLOCK; l++) op[i + l] += wv * xs[i + l];
        }
    for (ptrdiff_t oh = 0; oh < OH; oh++) {
        T *restrict o = out + oh * OW;
        const T *restrict s = op + oh * Wp;
        if (accumulate)
            for (ptrdiff_t ow = 0; ow < OW; ow++) o[ow] += s[ow];
        else
            for (ptrdiff_t ow = 0; ow < OW; ow++) o[ow] = s[ow];
    }
}

/* sum_i a[i] * b[i] over i < L (a multiple of CK_DWC_SLACK), or sum_i a[i] without b: CK_DWC_SLACK partial
 * sums of T per chunk of CK_DWC_CHUNK elements, folded in a fixed tree, each chunk's sum added into double. */
static inline double FN(dwc_dot)(const T *restrict a, const T *restrict b, ptrdiff_t L) {
    double t = 0;
    for (ptrdiff_t c0 = 0; c0 < L; c0 += CK_DWC_CHUNK) {
        const ptrdiff_t c1 = c0 + CK_DWC_CHUNK < L ? c0 + CK_DWC_CHUNK : L;
        T s[CK_DWC_SLACK] = {0};
        for (ptrdiff_t i = c0; i < c1; i += CK_DWC_SLACK)
            if (b)
#pragma GCC unroll 64
                for (int l = 0; l < CK_DWC_SLACK; l++) s[l] += a[i + l] * b[i + l];
            else
#pragma GCC unroll 64
                for (int l = 0; l < CK_DWC_SLACK; l++) s[l] += a[i + l];
        for (int l = 0; l < 32; l++) s[l] += s[l + 32];
        for (int l = 0; l < 16; l++) s[l] += s[l + 16];
        for (int l = 0; l < 8; l++) s[l] += s[l + 8];
        for (int l = 0; l < 4; l++) s[l] += s[l + 4];
        t += (double)((s[0] + s[2]) + (s[1] + s[3]));
    }
    return t;
}

/* ck_dwconv_plane_dw for stride 1: dout is laid out with row stride Wp (zeros between rows and past the end)
 * beside the padded x, and each tap's sum is one dwc_dot over the rows end to end. */
void FN(ck_dwconv_plane_s1_dw)(const T *x, ptrdiff_t H, ptrdiff_t W, const T *dout, ptrdiff_t OH, ptrdiff_t OW,
                               ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t pt, ptrdiff_t pl, ptrdiff_t dh, ptrdiff_t dw,
                               double *acc, T *scratch) {
    const ptrdiff_t Hp = OH + dh * (KH - 1), Wp = OW + dw * (KW - 1), L = FN(dwc_round)((OH - 1) * Wp + OW);
    const T *restrict xp = scratch;
    T *restrict dp = FN(dwc_padded)(x, H, W, pt, pl, Hp, Wp, scratch);
    for (ptrdiff_t i = 0; i < L; i++) dp[i] = 0;
    for (ptrdiff_t oh = 0; oh < OH; oh++)
        for (ptrdiff_t ow = 0; ow < OW; ow++) dp[oh * Wp + ow] = dout[oh * OW + ow];
    acc[KH * KW] += FN(dwc_dot)(dp, NULL, L);
    for (ptrdiff_t kh = 0; kh < KH; kh++)
        for (ptrdiff_t kw = 0; kw < KW; kw++) acc[kh * KW + kw] += FN(dwc_dot)(dp, xp + kh * dh * Wp + kw * dw, L);
}
#undef CK_DWC_SLACK
#undef CK_DWC_BLOCK
#undef CK_DWC_CHUNK
