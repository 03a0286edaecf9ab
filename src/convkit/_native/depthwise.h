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

/* ---------------------------------------------------------------------------------------------------
 * The flat path, where the rows of the output have the width of the input's phase planes (OW ==
 * ceil(W / sw), as "same" padding gives, at any stride). The input is split into its sh*sw phase planes
 * xq[a][b][i][j] = x[i*sh + a][j*sw + b] (each Hq x Wq, Hq = ceil(H / sh), Wq = ceil(W / sw); at stride 1
 * the plane itself), so that output element q = oh*OW + ow of tap (kh, kw) reads xq at q + shift, one
 * constant per tap: the rows of both planes are Wq apart. A plan built once per call lists the taps (the
 * index of each weight, its shift) and, for each tap and output vector, the mask of the lanes whose source
 * is inside x; each tap is then one masked load and one FMA per output vector, with no padded copy and no
 * per-row loop. The input gradient runs the same kernel once per phase plane of dx, over the taps of that
 * phase, reading dout at q - shift; the phases are then put back in place. Small planes (8x8, 16x16), where
 * the padded copy and the short rows cost more than the arithmetic, gain most.
 * --------------------------------------------------------------------------------------------------- */

#ifndef CK_DWF_PLAN_HEADER /* once for all the element types and instruction sets */
#define CK_DWF_PLAN_HEADER
enum { DWF_TAPS, DWF_ELEMENTS, DWF_VECTORS, DWF_HEADER }; /* the plan's header: its first ptrdiff_t */
enum { DWF_GROUP = 9 }; /* taps whose weight-gradient sums stay in registers together */
#endif

static inline ptrdiff_t FN(dwf_vectors)(ptrdiff_t P) { return (P + VL - 1) / VL; }

/* Bytes of a plan of at most `taps` taps over an output plane of P elements. */
ptrdiff_t FN(ck_dwconv_flat_plan_size)(ptrdiff_t P, ptrdiff_t taps) {
    return (DWF_HEADER + 2 * taps) * (ptrdiff_t)sizeof(ptrdiff_t) + taps * FN(dwf_vectors)(P) * (ptrdiff_t)sizeof(VM);
}

static inline ptrdiff_t *FN(dwf_index)(void *plan) { return (ptrdiff_t *)plan + DWF_HEADER; }
static inline ptrdiff_t *FN(dwf_shift)(void *plan) {
    return (ptrdiff_t *)plan + DWF_HEADER + ((ptrdiff_t *)plan)[DWF_TAPS];
}
static inline VM *FN(dwf_masks)(void *plan) {
    return (VM *)(void *)((ptrdiff_t *)plan + DWF_HEADER + 2 * ((ptrdiff_t *)plan)[DWF_TAPS]);
}

/* floor(a / b) for b > 0 */
static inline ptrdiff_t FN(dwf_floordiv)(ptrdiff_t a, ptrdiff_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* One phase of the taps: row offset r = kh*dh - ph of each tap, split as r = sh*roff + a (0 <= a < sh). */
static inline void FN(dwf_phase)(ptrdiff_t r, ptrdiff_t s, ptrdiff_t *phase, ptrdiff_t *off) {
    *off = FN(dwf_floordiv)(r, s);
    *phase = r - *off * s;
}

/* The forward plan: the (OH x OW) output reads the phase planes of an (H x W) input, OW == ceil(W / sw);
 * every tap in (kh, kw) order. The weight gradient uses it too (dout in the output's place). */
void FN(ck_dwconv_flat_plan)(ptrdiff_t H, ptrdiff_t W, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t KH, ptrdiff_t KW,
                             ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw,
                             void *plan) {
    const ptrdiff_t P = OH * OW, nv = FN(dwf_vectors)(P), Hq = (H + sh - 1) / sh, Wq = (W + sw - 1) / sw;
    ptrdiff_t *hdr = (ptrdiff_t *)plan;
    hdr[DWF_TAPS] = KH * KW;
    hdr[DWF_ELEMENTS] = P;
    hdr[DWF_VECTORS] = nv;
    ptrdiff_t *index = FN(dwf_index)(plan), *shift = FN(dwf_shift)(plan);
    VM *masks = FN(dwf_masks)(plan);
    for (ptrdiff_t kh = 0; kh < KH; kh++)
        for (ptrdiff_t kw = 0; kw < KW; kw++) {
            const ptrdiff_t t = kh * KW + kw;
            ptrdiff_t a, b, roff, coff;
            FN(dwf_phase)(kh * dh - ph, sh, &a, &roff);
            FN(dwf_phase)(kw * dw - pw, sw, &b, &coff);
            index[t] = t;
            shift[t] = (a * sw + b) * Hq * Wq + roff * Wq + coff;
            for (ptrdiff_t v = 0; v < nv; v++) {
                uint32_t bits = 0;
                for (ptrdiff_t l = 0; l < VL; l++) {
                    const ptrdiff_t q = v * VL + l, r = (q / OW + roff) * sh + a, c = (q % OW + coff) * sw + b;
                    if (q < P && r >= 0 && r < H && c >= 0 && c < W) bits |= (uint32_t)1 << l;
                }
                const VM m = FN(vmask)(bits);
                __builtin_memcpy(masks + t * nv + v, &m, sizeof m);
            }
        }
}

/* The input-gradient plan of phase (a, b) of dx: the Hq x Wq phase plane reads dout (OH x OW, OW == Wq) at
 * q - (roff*Wq + coff) for each tap of that phase, in (kh, kw) order; lanes whose dout element does not
 * exist are masked off (those of phase-plane positions outside x are computed and never put back). */
void FN(ck_dwconv_flat_dx_plan)(ptrdiff_t H, ptrdiff_t W, ptrdiff_t OH, ptrdiff_t OW, ptrdiff_t KH, ptrdiff_t KW,
                                ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw,
                                ptrdiff_t a, ptrdiff_t b, void *plan) {
    const ptrdiff_t Hq = (H + sh - 1) / sh, Wq = (W + sw - 1) / sw, P = Hq * Wq, nv = FN(dwf_vectors)(P);
    ptrdiff_t *hdr = (ptrdiff_t *)plan, taps = 0;
    for (ptrdiff_t kh = 0; kh < KH; kh++)
        for (ptrdiff_t kw = 0; kw < KW; kw++) {
            ptrdiff_t ta, tb, roff, coff;
            FN(dwf_phase)(kh * dh - ph, sh, &ta, &roff);
            FN(dwf_phase)(kw * dw - pw, sw, &tb, &coff);
            taps += ta == a && tb == b;
        }
    hdr[DWF_TAPS] = taps;
    hdr[DWF_ELEMENTS] = P;
    hdr[DWF_VECTORS] = nv;
    ptrdiff_t *index = FN(dwf_index)(plan), *shift = FN(dwf_shift)(plan), t = 0;
    VM *masks = FN(dwf_masks)(plan);
    for (ptrdiff_t kh = 0; kh < KH; kh++)
        for (ptrdiff_t kw = 0; kw < KW; kw++) {
            ptrdiff_t ta, tb, roff, coff;
            FN(dwf_phase)(kh * dh - ph, sh, &ta, &roff);
            FN(dwf_phase)(kw * dw - pw, sw, &tb, &coff);
            if (ta != a || tb != b) continue;
            index[t] = kh * KW + kw;
            shift[t] = -(roff * Wq + coff);
            for (ptrdiff_t v = 0; v < nv; v++) {
                uint32_t bits = 0;
                for (ptrdiff_t l = 0; l < VL; l++) {
                    const ptrdiff_t q = v * VL + l, r = q / Wq - roff, c = q % Wq - coff;
                    if (q < P && r >= 0 && r < OH && c >= 0 && c < OW) bits |= (uint32_t)1 << l;
                }
                const VM m = FN(vmask)(bits);
                __builtin_memcpy(masks + t * nv + v, &m, sizeof m);
            }
            t++;
        }
}

/* The K taps of ck_dwconv_flat over every output vector; inlined with K = 9 the taps unroll and their
 * weights, shifts and masks' addresses stay in registers. */
static inline __attribute__((always_inline)) void FN(dwf_apply)(const T *x, const T *w, const ptrdiff_t *index,
                                                                const ptrdiff_t *shift, const VM *masks, ptrdiff_t K,
                                                                ptrdiff_t P, ptrdiff_t nv, T bias, int accumulate,
                                                                T *restrict out) {
    /* up to 9 taps' weights and shifts in locals: read through w, index and shift (which out might alias)
     * they were reloaded for every vector, a third of the AVX2 time of a 3x3 filter */
    T wt[9];
    ptrdiff_t st[9];
    const int in_locals = K <= 9;
    for (ptrdiff_t t = 0; t < (in_locals ? K : 0); t++) {
        wt[t] = w[index[t]];
        st[t] = shift[t];
    }
    for (ptrdiff_t v = 0; v < nv; v++) {
        V acc = (V){0} + bias;
#pragma GCC unroll 9
        for (ptrdiff_t t = 0; t < K; t++)
            acc += (in_locals ? wt[t] : w[index[t]]) *
                FN(vload_mask)(x + v * VL + (in_locals ? st[t] : shift[t]), masks + t * nv + v);
        T *o = out + v * VL;
        const ptrdiff_t n = P - v * VL;
        if (n >= VL) {
            if (accumulate) acc = FN(vload)(o) + acc;
            FN(vstore)(o, acc);
        } else {
            if (accumulate) acc = FN(vload_part)(o, n) + acc;
            FN(vstore_part)(o, acc, n);
        }
    }
}

/* out (the plan's P elements) = (accumulate ? out : 0) + (bias + sum over the plan's taps t of
 * w[index[t]] * x[q + shift[t]]), taps in the plan's order. */
void FN(ck_dwconv_flat)(const T *x, const T *w, const void *plan, T bias, int accumulate, T *out) {
    const ptrdiff_t *hdr = (const ptrdiff_t *)plan;
    const ptrdiff_t K = hdr[DWF_TAPS], P = hdr[DWF_ELEMENTS], nv = hdr[DWF_VECTORS];
    const ptrdiff_t *index = FN(dwf_index)((void *)plan), *shift = FN(dwf_shift)((void *)plan);
    const VM *masks = FN(dwf_masks)((void *)plan);
    if (K == 9) /* 3x3 filters */
        FN(dwf_apply)(x, w, index, shift, masks, 9, P, nv, bias, accumulate, out);
    else
        FN(dwf_apply)(x, w, index, shift, masks, K, P, nv, bias, accumulate, out);
}

/* vacc[t*VL ..] += the lane terms of sum_q dout[q] * x[q + shift[t]] for the nt <= DWF_GROUP taps from t0:
 * each output vector loaded once for them all, each tap's terms in the order of the vectors. */
static inline __attribute__((always_inline)) void FN(dwf_dw_group)(const T *x, const T *dout, const ptrdiff_t *shift,
                                                                   const VM *masks, ptrdiff_t t0, ptrdiff_t nt,
                                                                   ptrdiff_t P, ptrdiff_t nv, T *restrict vacc) {
    V a[DWF_GROUP];
    ptrdiff_t st[DWF_GROUP]; /* the shifts in locals: read through shift they were reloaded at every vector */
#pragma GCC unroll 9
    for (ptrdiff_t t = 0; t < nt; t++) {
        a[t] = FN(vload)(vacc + (t0 + t) * VL);
        st[t] = shift[t0 + t];
    }
    for (ptrdiff_t v = 0; v < nv; v++) {
        /* dout's last vector is loaded in part: nothing past the plane is read */
        const V d = P - v * VL >= VL ? FN(vload)(dout + v * VL) : FN(vload_part)(dout + v * VL, P - v * VL);
#pragma GCC unroll 9
        for (ptrdiff_t t = 0; t < nt; t++) a[t] += d * FN(vload_mask)(x + v * VL + st[t], masks + (t0 + t) * nv + v);
    }
#pragma GCC unroll 9
    for (ptrdiff_t t = 0; t < nt; t++) FN(vstore)(vacc + (t0 + t) * VL, a[t]);
}

/* One image's share of one channel's weight and bias gradients (a forward plan, dout in the output's
 * place), as lane partial sums: vacc[t*VL + l] += the lane-l terms of sum_q dout[q] * x[q + shift[t]],
 * vacc[K*VL + l] += those of sum_q dout[q], each lane's terms in the order of the output vectors. */
void FN(ck_dwconv_flat_dw)(const T *x, const T *dout, const void *plan, T *vacc) {
    const ptrdiff_t *hdr = (const ptrdiff_t *)plan;
    const ptrdiff_t K = hdr[DWF_TAPS], P = hdr[DWF_ELEMENTS], nv = hdr[DWF_VECTORS];
    const ptrdiff_t *shift = FN(dwf_shift)((void *)plan);
    const VM *masks = FN(dwf_masks)((void *)plan);
    V s = FN(vload)(vacc + K * VL);
    for (ptrdiff_t v = 0; v < nv; v++)
        s += P - v * VL >= VL ? FN(vload)(dout + v * VL) : FN(vload_part)(dout + v * VL, P - v * VL);
    FN(vstore)(vacc + K * VL, s);
    for (ptrdiff_t t0 = 0; t0 < K; t0 += DWF_GROUP) {
        if (K - t0 >= DWF_GROUP)
            FN(dwf_dw_group)(x, dout, shift, masks, t0, DWF_GROUP, P, nv, vacc);
        else
            FN(dwf_dw_group)(x, dout, shift, masks, t0, K - t0, P, nv, vacc);
    }
}

/* acc[e] += the lanes of vacc[e*VL ..] summed in order, for e < n; those lanes set to zero. */
void FN(ck_dwconv_flat_dw_fold)(ptrdiff_t n, T *vacc, double *acc) {
    for (ptrdiff_t e = 0; e < n; e++) {
        acc[e] += (double)FN(hsum)(FN(vload)(vacc + e * VL));
        FN(vstore)(vacc + e * VL, (V){0});
    }
}
